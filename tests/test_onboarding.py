"""A charity gets onto the registry by itself: it asks for an account, a commissioner accepts
or refuses with a note, the provider's own template needs no ids, a submission can be returned
with a note, and likely duplicates are found (BRIEF §8)."""

import io

import pytest
from openpyxl import load_workbook

from planner.registry.auth import SYSTEM, Actor, AuthError, PermissionDenied
from planner.registry.onboarding import normalised_name, similar
from planner.registry.template import template_bytes
from planner.registry.validation import ValidationError
from planner.registry.workbook import parse_workbook
from tests.registry_helpers import org, service_raw, stored

COMMISSIONER = Actor("comm", "commissioner")
REQUEST = {
    "organisation_name": "Sutton Women's Aid",
    "charity_number": "1122334",
    "contact_name": "Ada Byrne",
    "email": "ada@sutton-wa.org.uk",
    "phone": "020 8000 0000",
    "password": "a long passphrase",
    "message": "We run IDVA support in Sutton.",
}


def test_a_charity_asks_a_commissioner_accepts_and_it_signs_in(registry):
    stored(registry, COMMISSIONER)
    asked = registry.request_account(REQUEST)
    assert asked["status"] == "pending" and "password" not in str(asked)
    # before the decision, signing in says the request waits (not "wrong password")
    with pytest.raises(AuthError, match="waiting for a commissioner"):
        registry.authenticate(REQUEST["email"], REQUEST["password"])
    with pytest.raises(AuthError, match="Unknown user name or wrong password"):
        registry.authenticate(REQUEST["email"], "not the password")
    [waiting] = registry.account_requests(COMMISSIONER)
    assert waiting["organisation_name"] == "Sutton Women's Aid"
    assert waiting["similar_organisations"] == []
    registry.decide_request(COMMISSIONER, waiting["id"], accept=True, note="Welcome")
    who = registry.authenticate(REQUEST["email"], REQUEST["password"])
    assert who.role == "provider"
    orgs = registry.organisations()
    row = orgs[orgs["id"] == who.organisation_id].iloc[0]
    assert row["name"] == "Sutton Women's Aid" and row["charity_number"] == "1122334"
    assert registry.account_requests(COMMISSIONER) == []
    # deciding twice is refused
    with pytest.raises(ValidationError, match="accepted already"):
        registry.decide_request(COMMISSIONER, waiting["id"], accept=False, note="no")


def test_refusal_needs_a_note_and_the_charity_reads_it(registry):
    stored(registry, COMMISSIONER)
    asked = registry.request_account(REQUEST)
    with pytest.raises(ValidationError, match="say why"):
        registry.decide_request(COMMISSIONER, asked["id"], accept=False)
    registry.decide_request(
        COMMISSIONER, asked["id"], accept=False, note="Please register through your umbrella body."
    )
    with pytest.raises(AuthError, match="refused: Please register through your umbrella body"):
        registry.authenticate(REQUEST["email"], REQUEST["password"])
    # a new request may be sent after a refusal
    assert registry.request_account(REQUEST)["status"] == "pending"


def test_bad_requests_name_every_field_and_store_nothing(registry):
    stored(registry, COMMISSIONER)
    with pytest.raises(ValidationError) as caught:
        registry.request_account(
            {
                "organisation_name": "",
                "contact_name": "x" * 201,
                "email": "not-an-address",
                "password": "short",
                "charity_number": "12;DROP",
                "message": "a\x0bb",
            }
        )
    fields = {p.field for p in caught.value.problems}
    assert fields == {
        "organisation_name",
        "contact_name",
        "email",
        "password",
        "charity_number",
        "message",
    }
    assert registry.account_requests(COMMISSIONER) == []
    registry.request_account(REQUEST)
    with pytest.raises(ValidationError, match="waiting already"):
        registry.request_account({**REQUEST, "email": REQUEST["email"].upper()})
    registry.add_user(SYSTEM, "taken@example.org", "0123456789", "commissioner")
    with pytest.raises(ValidationError, match="already has an account"):
        registry.request_account({**REQUEST, "email": "taken@example.org"})


def test_only_commissioners_read_and_decide_requests(registry):
    asked = registry.request_account(REQUEST)
    for who in (Actor("v", "viewer"), Actor("p", "provider", "x")):
        with pytest.raises(PermissionDenied):
            registry.account_requests(who)
        with pytest.raises(PermissionDenied):
            registry.decide_request(who, asked["id"], accept=True)


def test_a_request_like_a_registered_organisation_joins_it(registry):
    stored(registry, COMMISSIONER)
    existing = registry.save_organisation(
        SYSTEM, {"id": "swa", "name": "Sutton Womens Aid Ltd", "charity_number": "1122 334"}
    )
    asked = registry.request_account(REQUEST)
    [waiting] = registry.account_requests(COMMISSIONER)
    assert [o["id"] for o in waiting["similar_organisations"]] == [existing["id"]]
    registry.decide_request(COMMISSIONER, asked["id"], accept=True, organisation_id=existing["id"])
    who = registry.authenticate(REQUEST["email"], REQUEST["password"])
    assert who.organisation_id == existing["id"]
    assert len(registry.organisations()) == 1


def test_the_providers_own_template_needs_no_ids(registry, validation_ctx):
    org_id = org(registry, "org-a", "Sutton Women's Aid")
    who = stored(registry, Actor("ada", "provider", org_id))
    orgs = registry.organisations()
    mine = orgs[orgs["id"] == org_id].iloc[0].to_dict()
    content = template_bytes(validation_ctx.vocab, validation_ctx.area_set, mine)
    wb = load_workbook(io.BytesIO(content))
    assert [c.value for c in wb["Organisations"][2]][:2] == [org_id, "Sutton Women's Aid"]
    assert "Sutton Women's Aid" in wb["Instructions"]["A1"].value
    ws = wb["Services"]
    header = [c.value for c in ws[1]]
    row = [None] * len(header)
    for key, value in {
        "id": "S1",
        "name": "Sutton IDVA",
        "service_type": "idva",
        "referral_route": "self_referral",
        "without_police_report": "yes",
        "capacity_per_year": 120,
        "needs: domestic_abuse": "yes",
        "stages: immediate": "yes",
        "status": "submitted",
    }.items():
        row[header.index(key)] = value
    ws.append(row)
    wb["Service areas"].append(["S1", "Sutton", None])
    buffer = io.BytesIO()
    wb.save(buffer)
    parsed = parse_workbook(buffer.getvalue(), validation_ctx.vocab, filename="mine.xlsx")
    result = registry.import_records(who, parsed.organisations, parsed.services, source="mine")
    assert result.services_created == 1
    [made] = registry.services(organisation_id=org_id, actor=SYSTEM)
    assert made["name"] == "Sutton IDVA" and made["status"] == "submitted"
    # an organisation's name where its id goes is its id, for a commissioner's file too
    named = {**service_raw("Sutton Women's Aid", "S2"), "name": "Other"}
    registry.import_records(SYSTEM, [], [("Services row 2", named)], source="named")
    assert {r["name"] for r in registry.services(organisation_id=org_id, actor=SYSTEM)} == {
        "Sutton IDVA",
        "Other",
    }


def test_a_returned_submission_carries_its_note_until_approved(registry):
    stored(registry, COMMISSIONER)
    org_id = org(registry, "org-a")
    mine = stored(registry, Actor("p", "provider", org_id))
    made = registry.create_service(mine, service_raw())
    assert made["status"] == "submitted"
    with pytest.raises(ValidationError, match="say what the provider should change"):
        registry.return_service(COMMISSIONER, made["id"], "  ")
    with pytest.raises(PermissionDenied):
        registry.return_service(mine, made["id"], "x")
    back = registry.return_service(COMMISSIONER, made["id"], "Add your opening hours.")
    assert back["status"] == "draft" and back["review_note"] == "Add your opening hours."
    assert registry.history(made["id"], actor=SYSTEM)[-1]["action"] == "return"
    again = registry.update_service(
        mine,
        made["id"],
        {**service_raw(), "hours": "Mon-Fri 9-5"},
        expected_version=back["version"],
    )
    assert again["status"] == "submitted" and again["review_note"] == "Add your opening hours."
    approved = registry.approve_service(COMMISSIONER, made["id"])
    assert approved["review_note"] is None
    assert registry.last_approved(made["id"])["hours"] == "Mon-Fri 9-5"


def test_likely_duplicates_need_a_similar_name_and_a_shared_need_and_borough(registry):
    org(registry, "org-a")
    org(registry, "org-b")
    registry.create_service(SYSTEM, service_raw("org-a", "s1", name="Croydon IDVA Service"))
    registry.create_service(
        SYSTEM, service_raw("org-a", "s2", name="Croydon IDVA Service", areas=["Barnet"], sites=[])
    )
    registry.create_service(SYSTEM, service_raw("org-a", "s3", name="Rape crisis line"))
    candidate = {
        **service_raw("org-b", "new"),
        "id": "new",
        "name": "The Croydon I.D.V.A. service",
        "organisation_id": registry.organisations()["id"].iloc[1],
        "areas": [{"area_code": "E09000008"}],
        "needs": ["domestic_abuse"],
    }
    found = registry.duplicates_of(candidate)
    assert [f["name"] for f in found] == ["Croydon IDVA Service"]
    assert "a need and a borough in common" in found[0]["reasons"]


def test_names_are_compared_without_case_punctuation_or_filler():
    assert normalised_name("The Sutton Women's Aid Ltd.") == "sutton women s aid"
    assert similar("Sutton Womens Aid", "SUTTON WOMEN'S AID LIMITED")
    assert not similar("Sutton Women's Aid", "Croydon Rape Crisis")
    assert not similar("", "")


def test_a_session_token_is_signed_expires_and_ends_with_a_password_change(registry):
    from planner.registry import sessions

    secret = b"k" * 32
    registry.add_user(SYSTEM, "carol", "commissioner password", "commissioner")
    token = registry.session_token(secret, "carol")
    assert registry.actor_from_token(secret, token) == Actor("carol", "commissioner")
    assert "commissioner" not in token  # the role is read from the account, never the token
    # another key, a changed byte, nonsense: no one
    assert registry.actor_from_token(b"x" * 32, token) is None
    body, mac = token.split(".")
    assert (
        registry.actor_from_token(secret, body + "." + mac[:-1] + ("A" if mac[-1] != "A" else "B"))
        is None
    )
    assert registry.actor_from_token(secret, "not a token") is None
    # expired
    old = sessions.sign(secret, "carol", "tag", now=0)
    assert sessions.read(secret, old) is None
    # a changed password (a new hash) ends the session
    from sqlalchemy import update

    from planner.registry.auth import hash_password
    from planner.registry.models import User

    with registry.session() as s, s.begin():
        s.execute(
            update(User)
            .where(User.username == "carol")
            .values(password_hash=hash_password("a new long password"))
        )
    assert registry.actor_from_token(secret, token) is None


def test_the_session_key_is_kept_owner_only(tmp_path):
    from planner.registry.sessions import session_secret

    env = {"XDG_DATA_HOME": str(tmp_path)}
    first = session_secret(env)
    assert session_secret(env) == first and len(first) == 32
    assert (tmp_path / "planner" / "session.key").stat().st_mode & 0o077 == 0
    assert session_secret({**env, "PLANNER_SESSION_SECRET": "shared"}) == b"shared"
