"""User accounts: adding them, signing in (local passwords or single sign-on) and listing."""

from __future__ import annotations

import datetime as dt
import functools
import secrets

import pandas as pd
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from planner.registry.auth import PUBLIC, ROLES, Actor, AuthError, hash_password, verify_password
from planner.registry.base import RegistryBase, acting
from planner.registry.checks import unprintable
from planner.registry.models import (
    USER_NAME_LENGTH,
    Organisation,
    SignInFailure,
    User,
    utcnow,
)
from planner.registry.validation import FieldProblem, ValidationError

MAX_FAILURES = 5
FAILURE_WINDOW = dt.timedelta(minutes=15)
LOCK_TIME = dt.timedelta(minutes=15)


@functools.cache
def _dummy_hash() -> str:
    """A hash to check an unknown name's password against, at the same cost as a real one."""
    return hash_password(secrets.token_urlsafe(16))


def _aware(moment: dt.datetime | None) -> dt.datetime:
    """SQLite gives back naive datetimes (stored as UTC); PostgreSQL aware ones."""
    if moment is None:
        return dt.datetime.min.replace(tzinfo=dt.UTC)
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _locked(until: dt.datetime) -> str:
    return (
        f"Too many wrong passwords for this user name: it is locked until "
        f"{_aware(until).strftime('%H:%M')} UTC. Try again then, or ask an administrator "
        "to set a new password."
    )


class UserAccounts(RegistryBase):
    @acting
    def add_user(
        self,
        actor: Actor,
        username: str,
        password: str,
        role: str,
        organisation_id: str | None = None,
    ) -> Actor:
        self.require_manager(actor, "add users")
        username = str(username).strip()
        if not username:
            raise ValidationError([FieldProblem("username", "is required")])
        if len(username) > USER_NAME_LENGTH:
            raise ValidationError(
                [FieldProblem("username", f"is longer than {USER_NAME_LENGTH} characters")]
            )
        if bad := unprintable(username):
            raise ValidationError([FieldProblem("username", bad)])
        if role not in ROLES:
            raise ValidationError([FieldProblem("role", f"{role!r}; accepted: {', '.join(ROLES)}")])
        if role == "provider" and not organisation_id:
            raise ValidationError(
                [FieldProblem("organisation", "a provider belongs to one organisation: give --org")]
            )
        if role != "provider":
            organisation_id = None
        with self.session() as s:
            if organisation_id:
                org = (
                    s.get(Organisation, organisation_id)
                    or s.scalars(
                        select(Organisation).where(Organisation.name == organisation_id)
                    ).first()
                )
                if org is None:
                    raise ValidationError(
                        [FieldProblem("organisation", f"no organisation {organisation_id!r}")]
                    )
                organisation_id = org.id
        hashed = hash_password(password)
        try:
            with self.session() as s, s.begin():
                s.add(
                    User(
                        username=username,
                        password_hash=hashed,
                        role=role,
                        organisation_id=organisation_id,
                    )
                )
                self.audit(
                    s,
                    actor,
                    "user",
                    username,
                    "create",
                    None,
                    {"username": username, "role": role, "organisation_id": organisation_id},
                )
        except IntegrityError as exc:
            raise ValidationError([FieldProblem("username", f"{username!r} is taken")]) from exc
        return Actor(username, role, organisation_id)

    def authenticate(self, username: str, password: str) -> Actor:
        """The account for a user name and password. After ``MAX_FAILURES`` wrong passwords
        for a name within ``FAILURE_WINDOW`` the name is locked for ``LOCK_TIME`` (even the
        right password is refused), and an unknown name costs the same password check as a
        known one, so neither guessing nor timing tells which names exist."""
        name = str(username).strip()[:USER_NAME_LENGTH]
        now = utcnow()
        with self.session() as s, s.begin():
            failure = s.get(SignInFailure, name)
            if failure is not None and _aware(failure.locked_until) > now:
                raise AuthError(_locked(failure.locked_until))
            user = s.scalars(select(User).where(User.username == name)).first()
            right = verify_password(password, user.password_hash if user else _dummy_hash())
            if user is not None and right:
                if failure is not None:
                    s.delete(failure)
                if not user.active:
                    raise AuthError(
                        "This account is deactivated: ask an administrator to activate it."
                    )
                return Actor(user.username, user.role, user.organisation_id)
            if user is None and (waiting := self.request_waiting_for(name, password)):
                raise AuthError(waiting)  # a charity asking whether its request is accepted
            if failure is None or _aware(failure.first_at) < now - FAILURE_WINDOW:
                if failure is None:
                    failure = SignInFailure(username=name)
                    s.add(failure)
                failure.failures, failure.first_at, failure.locked_until = 0, now, None
            failure.failures += 1
            if failure.failures >= MAX_FAILURES:
                failure.locked_until = now + LOCK_TIME
            locked = failure.locked_until
        if locked is not None:
            raise AuthError(_locked(locked))
        raise AuthError("Unknown user name or wrong password.")

    def current_actor(self, username: str) -> Actor | None:
        """The account as stored now (role, organisation), or None when it is gone or
        deactivated: the app checks a signed-in session against it on every page."""
        with self.session() as s:
            user = s.scalars(select(User).where(User.username == username)).first()
        if user is None or not user.active:
            return None
        return Actor(user.username, user.role, user.organisation_id)

    @acting
    def set_user_active(self, actor: Actor, username: str, active: bool) -> None:
        """Deactivate (or activate again) an account: commissioners and administrators,
        never their own. A deactivated account cannot sign in, and its open sessions end at
        their next page."""
        self.require_manager(actor, "deactivate or activate accounts")
        if username == actor.username and not active:
            raise ValidationError([FieldProblem("username", "you cannot deactivate yourself")])
        with self.session() as s, s.begin():
            user = s.scalars(select(User).where(User.username == username)).first()
            if user is None:
                raise ValidationError([FieldProblem("username", f"no account {username!r}")])
            before = {"username": user.username, "active": user.active}
            user.active = bool(active)
            self.audit(
                s,
                actor,
                "user",
                username,
                "activate" if active else "deactivate",
                before,
                {"username": user.username, "active": user.active},
            )

    @acting
    def change_password(
        self, actor: Actor, username: str, new: str, *, current: str | None = None
    ) -> None:
        """A person changes their own password (giving the current one), or a commissioner
        or administrator sets a new one for someone. Every session signed in with the old
        password ends (the session cookie carries a tag of the password hash)."""
        own = actor.username == username
        if not own:
            self.require_manager(actor, "set other people's passwords")
        hashed = hash_password(new)
        with self.session() as s, s.begin():
            user = s.scalars(select(User).where(User.username == username)).first()
            if user is None:
                raise ValidationError([FieldProblem("username", f"no account {username!r}")])
            if own and not verify_password(current or "", user.password_hash):
                raise AuthError("The current password is wrong: nothing was changed.")
            user.password_hash = hashed
            failure = s.get(SignInFailure, username)
            if failure is not None:
                s.delete(failure)
            self.audit(s, actor, "user", username, "password", None, None, note="password changed")

    def actor_for(self, username: str) -> Actor:
        """The account of a user signed in elsewhere (single sign-on): it must exist here,
        where its role and organisation are kept."""
        with self.session() as s:
            user = s.scalars(select(User).where(User.username == username.strip())).first()
        if user is None or not user.active:
            raise AuthError(
                f"{username} has no account in the planner: ask an administrator "
                "to add one with this e-mail as the user name."
            )
        return Actor(user.username, user.role, user.organisation_id)

    def session_token(self, secret: bytes, username: str) -> str:
        """A signed sign-in token for an account (see ``sessions``)."""
        from planner.registry.sessions import password_tag, sign

        with self.session() as s:
            user = s.scalars(select(User).where(User.username == username)).one()
            return sign(secret, user.username, password_tag(user.password_hash))

    def actor_from_token(self, secret: bytes, token: str) -> Actor | None:
        """The account a valid token names, read afresh (role, organisation, still active,
        password unchanged); None when the token or the account no longer holds."""
        from planner.registry.sessions import password_tag, read

        found = read(secret, token)
        if found is None:
            return None
        username, tag = found
        with self.session() as s:
            user = s.scalars(select(User).where(User.username == username)).first()
        if user is None or not user.active or password_tag(user.password_hash) != tag:
            return None
        return Actor(user.username, user.role, user.organisation_id)

    def users(self, *, actor: Actor = PUBLIC) -> pd.DataFrame:
        """The accounts: commissioners and administrators only."""
        self.require_manager(self._reader(actor), "list the accounts")
        with self.session() as s:
            rows = s.scalars(select(User).order_by(User.username)).all()
            return pd.DataFrame(
                [
                    {
                        "username": u.username,
                        "role": u.role,
                        "organisation_id": u.organisation_id,
                        "active": u.active,
                    }
                    for u in rows
                ],
                columns=["username", "role", "organisation_id", "active"],
            )
