"""A charity gets onto the registry without anyone editing files (BRIEF §8).

The charity asks for a provider account for its organisation (name, charity or company number,
contact, e-mail, a password it chooses). A commissioner sees the request beside any organisation
already registered that looks like the same one, and accepts it (the organisation is created,
or the account joins the one already there) or refuses it with a note. The charity's password
is kept only as its scrypt hash, and becomes the account's when the request is accepted.

A submitted service can also be returned to its provider with a note (``return_service``).
"""

from __future__ import annotations

import difflib
import re
import uuid

from sqlalchemy import func, select

from planner.registry.auth import Actor, AuthError, hash_password, verify_password
from planner.registry.base import NotFoundError, RegistryBase, acting, check_version
from planner.registry.checks import EMAIL, Checker, FieldProblem, ValidationError
from planner.registry.models import AccountRequest, Organisation, User, utcnow
from planner.registry.records import organisation_snapshot, service_snapshot

SIMILAR_NAME = 0.8
"""Two names this alike (difflib's ratio of their normalised words) are a likely duplicate."""
_WORDS = re.compile(r"[^a-z0-9]+")
_FILLER = {"the", "ltd", "limited", "cic", "charity", "trust", "and", "of", "for"}


def normalised_name(name: str) -> str:
    """A name without case, punctuation and filler words, for likeness checks."""
    words = [w for w in _WORDS.split(str(name).casefold()) if w and w not in _FILLER]
    return " ".join(words)


def similar(a: str, b: str) -> bool:
    x, y = normalised_name(a), normalised_name(b)
    return bool(x and y) and (x == y or difflib.SequenceMatcher(None, x, y).ratio() >= SIMILAR_NAME)


def _number(value: str | None) -> str:
    return re.sub(r"\s+", "", value or "").upper()


class Onboarding(RegistryBase):
    # --- account requests ---------------------------------------------------------------------

    def request_account(self, raw: dict) -> dict:
        """A charity's request for a provider account: anyone may make one. Refused (with
        every problem at once) when a field is wrong, the e-mail already has an account, or a
        request from it is already waiting."""
        c = Checker(self.context)
        record = {
            "organisation_name": c.text(raw, "organisation_name", required=True),
            "charity_number": c.text(raw, "charity_number"),
            "contact_name": c.text(raw, "contact_name", required=True),
            "email": c.text(raw, "email", required=True),
            "phone": c.text(raw, "phone"),
            "website": c.text(raw, "website"),
            "message": c.text(raw, "message"),
        }
        if record["email"] and not EMAIL.match(record["email"]):
            c.add("email", f"expected an e-mail address, found {record['email']!r}")
        if record["charity_number"] and not re.fullmatch(
            r"[A-Za-z0-9 -]{1,20}", record["charity_number"]
        ):
            c.add("charity_number", "expected a charity or company number (letters and digits)")
        if record["website"] and not re.match(r"^https?://", record["website"], re.I):
            c.add("website", "expected a web address starting http:// or https://")
        password = str(raw.get("password") or "")
        try:
            hashed = hash_password(password)
        except AuthError as exc:
            c.add("password", str(exc))
        if c.problems:
            raise ValidationError(c.problems, heading="The request was not sent")
        email = record["email"].casefold()
        with self.session() as s, s.begin():
            if s.scalar(select(User.id).where(func.lower(User.username) == email)):
                raise ValidationError(
                    [FieldProblem("email", "already has an account: sign in with it")],
                    heading="The request was not sent",
                )
            waiting = s.scalar(
                select(AccountRequest.id).where(
                    func.lower(AccountRequest.email) == email, AccountRequest.status == "pending"
                )
            )
            if waiting:
                raise ValidationError(
                    [
                        FieldProblem(
                            "email", "has a request waiting already: a commissioner will reply"
                        )
                    ],
                    heading="The request was not sent",
                )
            request = AccountRequest(
                id=str(uuid.uuid4()),
                **{**record, "email": record["email"]},
                password_hash=hashed,
                status="pending",
                created_at=utcnow(),
            )
            s.add(request)
            s.flush()
            self.audit(
                s,
                Actor(record["email"], "public"),
                "request",
                request.id,
                "create",
                None,
                _request_snapshot(request),
            )
            return _request_snapshot(request)

    @acting
    def account_requests(self, actor: Actor, *, status: str | None = "pending") -> list[dict]:
        """Requests (newest first), each with the registered organisations it may duplicate
        (same charity number, or a similar name): commissioners only."""
        self.require_manager(actor, "read account requests")
        with self.session() as s:
            query = select(AccountRequest).order_by(AccountRequest.created_at.desc())
            if status:
                query = query.where(AccountRequest.status == status)
            requests = s.scalars(query).all()
            orgs = s.scalars(select(Organisation).where(Organisation.deleted_at.is_(None))).all()
            out = []
            for r in requests:
                matches = [
                    {"id": o.id, "name": o.name, "charity_number": o.charity_number}
                    for o in orgs
                    if (r.charity_number and _number(o.charity_number) == _number(r.charity_number))
                    or similar(o.name, r.organisation_name)
                ]
                out.append({**_request_snapshot(r), "similar_organisations": matches})
            return out

    @acting
    def decide_request(
        self,
        actor: Actor,
        request_id: str,
        *,
        accept: bool,
        note: str | None = None,
        organisation_id: str | None = None,
    ) -> dict:
        """Accept (creating the organisation, or joining ``organisation_id`` already
        registered, and the provider account) or refuse, with a note the charity sees."""
        self.require_manager(actor, "accept or refuse account requests")
        c = Checker(self.context)
        note = c.text({"note": note}, "note")
        if not accept and not note:
            c.add("note", "say why, so the charity knows what to do")
        if c.problems:
            raise ValidationError(c.problems, heading="Nothing was decided")
        with self.session() as s, s.begin():
            request = s.get(AccountRequest, request_id)
            if request is None:
                raise NotFoundError(f"No account request {request_id}.")
            if request.status != "pending":
                raise ValidationError(
                    [
                        FieldProblem(
                            "status", f"was {request.status} already by {request.decided_by}"
                        )
                    ],
                    heading="Nothing was decided",
                )
            before = _request_snapshot(request)
            if accept:
                if s.scalar(
                    select(User.id).where(func.lower(User.username) == request.email.casefold())
                ):
                    raise ValidationError(
                        [FieldProblem("email", f"{request.email} has an account already")],
                        heading="Nothing was decided",
                    )
                if organisation_id:
                    org = s.get(Organisation, organisation_id)
                    if org is None or org.deleted_at is not None:
                        raise NotFoundError(f"No organisation {organisation_id}.")
                else:
                    org = Organisation(
                        id=str(uuid.uuid4()),
                        name=request.organisation_name,
                        charity_number=request.charity_number,
                        email=request.email,
                        phone=request.phone,
                        website=request.website,
                        is_demo=False,
                        updated_at=utcnow(),
                        updated_by=actor.username,
                    )
                    s.add(org)
                    s.flush()
                    self.audit(
                        s,
                        actor,
                        "organisation",
                        org.id,
                        "create",
                        None,
                        organisation_snapshot(org),
                        note=f"account request from {request.email}",
                    )
                s.add(
                    User(
                        username=request.email,
                        password_hash=request.password_hash,
                        role="provider",
                        organisation_id=org.id,
                    )
                )
                request.organisation_id = org.id
                self.audit(
                    s,
                    actor,
                    "user",
                    request.email,
                    "create",
                    None,
                    {"username": request.email, "role": "provider", "organisation_id": org.id},
                    note="account request accepted",
                )
            request.status = "accepted" if accept else "refused"
            request.note = note
            request.decided_at, request.decided_by = utcnow(), actor.username
            s.flush()
            after = _request_snapshot(request)
            self.audit(
                s,
                actor,
                "request",
                request.id,
                "accept" if accept else "refuse",
                before,
                after,
                note=note,
            )
            return after

    def request_waiting_for(self, username: str, password: str) -> str | None:
        """What to tell someone who signs in with a request's e-mail and password but has
        no account yet: that it waits, or why it was refused. None when there is no such
        request (the usual "unknown user name or wrong password")."""
        with self.session() as s:
            requests = s.scalars(
                select(AccountRequest)
                .where(
                    func.lower(AccountRequest.email) == username.strip().casefold(),
                    AccountRequest.status != "accepted",
                )
                .order_by(AccountRequest.created_at.desc())
            ).all()
        for r in requests:
            if verify_password(password, r.password_hash):
                if r.status == "pending":
                    return (
                        f"Your request for {r.organisation_name} is waiting for a "
                        "commissioner. You can sign in once it is accepted."
                    )
                return (
                    f"Your request for {r.organisation_name} was refused: {r.note} "
                    "You may send a new request."
                )
        return None

    # --- returning a submission ---------------------------------------------------------------

    @acting
    def return_service(
        self, actor: Actor, service_id: str, note: str, *, expected_version: int | None = None
    ) -> dict:
        """Send a submitted service back to its provider as a draft, with a note it sees on
        its Services page (commissioners only)."""
        self.require_manager(actor, "return a submission")
        c = Checker(self.context)
        note = c.text({"note": note}, "note")
        if not note:
            c.add("note", "say what the provider should change")
        if c.problems:
            raise ValidationError(c.problems, heading="The service was not returned")
        with self.session() as s, s.begin():
            service = self._service(s, service_id)
            check_version(service, expected_version, f"The service '{service.name}'")
            before = service_snapshot(service)
            service.status, service.review_note = "draft", note
            service.updated_at, service.updated_by = utcnow(), actor.username
            s.flush()
            self.audit(
                s, actor, "service", service_id, "return", before, service_snapshot(service), note
            )
        return self.get_service(service_id, actor=actor)


def _request_snapshot(r: AccountRequest) -> dict:
    return {
        "id": r.id,
        "organisation_name": r.organisation_name,
        "charity_number": r.charity_number,
        "contact_name": r.contact_name,
        "email": r.email,
        "phone": r.phone,
        "website": r.website,
        "message": r.message,
        "status": r.status,
        "note": r.note,
        "organisation_id": r.organisation_id,
        "created_at": r.created_at.isoformat() if r.created_at else None,
        "decided_by": r.decided_by,
    }


def likely_duplicates(
    record: dict, others: list[dict], charity_numbers: dict[str, str]
) -> list[dict]:
    """Services in ``others`` that ``record`` may duplicate, each with its reasons: a similar
    name, and either a need and an area in common or the same charity number.
    ``charity_numbers`` maps organisation ids to their numbers."""

    def areas(r: dict) -> set[str] | None:
        return None if r.get("all_areas") else {a["area_code"] for a in r.get("areas", [])}

    mine_areas, mine_needs = areas(record), set(record.get("needs", []))
    mine_number = _number(charity_numbers.get(record.get("organisation_id")))
    found = []
    for other in others:
        if other["id"] == record.get("id") or not similar(other["name"], record["name"]):
            continue
        reasons = ["a similar name"]
        theirs = areas(other)
        shared_area = mine_areas is None or theirs is None or bool(mine_areas & theirs)
        shared_need = bool(mine_needs & set(other.get("needs", [])))
        if shared_area and shared_need:
            reasons.append("a need and a borough in common")
        number = _number(charity_numbers.get(other.get("organisation_id")))
        if mine_number and number == mine_number:
            reasons.append("the same charity number")
        if len(reasons) > 1:
            found.append({**other, "reasons": reasons})
    return found
