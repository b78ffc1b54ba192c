"""Issue 15, roles at the service layer: only commissioners set demonstration marks, a provider
cannot delete an approved service, and e-mail-length user names work on both databases."""

import pytest

from planner.registry.auth import PUBLIC, SYSTEM, Actor, PermissionDenied
from planner.registry.base import NotFoundError
from planner.registry.validation import ValidationError
from tests.registry_helpers import org, provider, service_raw, stored


def test_only_a_commissioner_marks_demonstration_data(registry):
    org_id = org(registry, "org-a")
    kim = provider(registry, org_id)
    mine = registry.create_service(kim, service_raw(is_demo=True))
    assert mine["is_demo"] is False  # every export would otherwise call the registry fictional
    edited = registry.update_service(
        kim, mine["id"], service_raw(is_demo=True), expected_version=mine["version"]
    )
    assert edited["is_demo"] is False
    registry.import_records(
        kim,
        [("Organisations row 2", {"id": "org-a", "name": "Org org-a", "is_demo": True})],
        [("Services row 2", service_raw(ref="svc-2", is_demo=True))],
        source="kim.xlsx",
    )
    assert not any(r["is_demo"] for r in registry.services(statuses=None, actor=SYSTEM))
    assert not registry.organisations()["is_demo"].any()
    marked = registry.create_service(SYSTEM, service_raw(ref="svc-3", is_demo=True))
    assert marked["is_demo"] is True


def test_a_provider_cannot_delete_an_approved_service(registry):
    org_id = org(registry, "org-a")
    kim = provider(registry, org_id)
    approved = registry.create_service(SYSTEM, service_raw())
    with pytest.raises(PermissionDenied) as caught:
        registry.delete_service(kim, approved["id"], expected_version=approved["version"])
    assert "deleted by a commissioner" in str(caught.value)
    assert registry.get_service(approved["id"], actor=SYSTEM)["status"] == "approved"
    submitted = registry.create_service(kim, service_raw(ref="svc-2"))
    assert submitted["status"] == "submitted"
    registry.delete_service(kim, submitted["id"], expected_version=submitted["version"])
    assert [r["id"] for r in registry.services(statuses=None, actor=SYSTEM)] == [approved["id"]]


def test_e_mail_user_names_fit_on_both_databases(registry):
    long_name = "commissioning.team.member." + "x" * 40 + "@mayors-office.london.gov.uk"
    assert len(long_name) > 36 + 50
    actor = registry.add_user(SYSTEM, long_name, "a good long password", "commissioner")
    assert registry.authenticate(long_name, "a good long password") == actor
    assert registry.audit_log(actor=SYSTEM)["entity_id"].str.len().max() == len(long_name)


@pytest.mark.parametrize(
    ("name", "message"),
    [("x" * 255 + "@example.org", "longer than 254 characters"), ("car\x0bol", "U+000B")],
)
def test_user_names_are_checked(registry, name, message):
    with pytest.raises(ValidationError) as caught:
        registry.add_user(SYSTEM, name, "a good long password", "viewer")
    assert message in str(caught.value)
    assert registry.users(actor=SYSTEM).empty


def test_the_stored_account_decides_what_an_actor_may_do(registry):
    """Issue 15: the service layer acts with the stored role and organisation, not the
    caller's: an actor object claiming more than its account holds gets only its account's
    rights; one whose account is gone or deactivated may do nothing."""
    org_id = org(registry, "org-a")
    other = org(registry, "org-b")
    registry.add_user(SYSTEM, "vic", "vic's long password", "viewer")
    # a viewer's session object dressed up as a provider of org-a
    with pytest.raises(PermissionDenied, match="viewer account cannot"):
        registry.create_service(Actor("vic", "provider", org_id), service_raw())
    with pytest.raises(PermissionDenied):
        registry.import_records(
            Actor("vic", "provider", org_id), [], [("row 2", service_raw())], source="f"
        )
    # a provider claiming to be a commissioner: its service waits for approval, no demo mark
    registry.add_user(SYSTEM, "kim", "kim's long password", "provider", org_id)
    made = registry.create_service(
        Actor("kim", "commissioner"), service_raw(is_demo=True, status="approved")
    )
    assert made["status"] == "submitted" and not made["is_demo"]
    with pytest.raises(PermissionDenied):
        registry.approve_service(Actor("kim", "commissioner"), made["id"])
    # a provider claiming another organisation acts for its own only
    with pytest.raises(PermissionDenied, match="only for its own organisation"):
        registry.create_service(Actor("kim", "provider", other), service_raw("org-b", "s2"))
    # no account, or a deactivated one: nothing
    with pytest.raises(PermissionDenied, match="no active account"):
        registry.save_organisation(Actor("ghost", "admin"), {"id": "x", "name": "X"})
    registry.set_user_active(SYSTEM, "kim", False)
    with pytest.raises(PermissionDenied, match="no active account"):
        registry.update_service(
            Actor("kim", "provider", org_id),
            made["id"],
            service_raw(),
            expected_version=made["version"],
        )
    assert registry.get_service(made["id"], actor=SYSTEM)["version"] == made["version"]


def test_reads_follow_the_same_role_rules_as_writes(registry):
    """Issue 15: a read without an actor is the public's: approved services only, confidential
    sites as their borough, no contracts, notes or editors; no history and no accounts. A
    provider sees all of its own and the public view of others'; a commissioner everything."""
    org_id = org(registry, "org-a")
    other = org(registry, "org-b")
    approved = registry.create_service(SYSTEM, service_raw())  # with a confidential site
    theirs = registry.create_service(
        SYSTEM, service_raw("org-b", "theirs", status="submitted", sites=[], contracts=[])
    )
    kim = provider(registry, org_id, "kim")
    draft = registry.create_service(kim, service_raw(ref="kim-draft", sites=[], contracts=[]))
    public = registry.services()
    assert [r["id"] for r in public] == [approved["id"]]
    [site] = [s for s in public[0]["sites"] if s["confidential"]]
    assert (site["postcode"], site["latitude"], site["name"]) == (None, None, "Confidential site")
    assert public[0]["contracts"] == [] and public[0]["updated_by"] is None
    with pytest.raises(NotFoundError):
        registry.get_service(theirs["id"])
    for read in (
        lambda who: registry.history(approved["id"], actor=who),
        lambda who: registry.audit_log(actor=who),
        lambda who: registry.users(actor=who),
    ):
        for who in (PUBLIC, kim, stored(registry, Actor("vic", "viewer"))):
            with pytest.raises(PermissionDenied):
                read(who)
    mine = {r["id"] for r in registry.services(actor=kim)}
    assert mine == {approved["id"], draft["id"]}  # not org-b's submission
    assert registry.get_service(draft["id"], actor=kim)["status"] == "submitted"
    with pytest.raises(NotFoundError):
        registry.get_service(theirs["id"], actor=kim)
    # a provider sees other organisations' confidential sites only as their borough
    other_view = registry.get_service(approved["id"], actor=provider(registry, other, "bo"))
    assert all(s["postcode"] is None for s in other_view["sites"] if s["confidential"])
    everything = registry.services(actor=stored(registry, Actor("comm", "commissioner")))
    assert {r["id"] for r in everything} == {approved["id"], theirs["id"], draft["id"]}
    assert any(s["postcode"] == "CR0 1AA" for r in everything for s in r["sites"])
