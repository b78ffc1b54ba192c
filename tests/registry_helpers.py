"""Small records the registry tests build themselves."""

from planner.registry.auth import SYSTEM, Actor


def org(registry, ref: str, name: str | None = None) -> str:
    return registry.save_organisation(SYSTEM, {"id": ref, "name": name or f"Org {ref}"})["id"]


def service_raw(org_ref: str = "org-a", ref: str = "svc-1", **overrides) -> dict:
    raw = {
        "id": ref,
        "organisation_id": org_ref,
        "name": f"Service {ref}",
        "service_type": "idva",
        "referral_route": "self_referral",
        "without_police_report": "yes",
        "needs": ["domestic_abuse"],
        "stages": ["immediate", "investigation"],
        "channels": ["face_to_face", "phone"],
        "areas": ["Croydon", "Sutton"],
        "capacity_per_year": 300,
        "sites": [
            {"id": "hub", "name": "Croydon hub", "latitude": 51.3727, "longitude": -0.0999},
            {
                "id": "refuge",
                "name": "Secret House",
                "postcode": "CR0 1AA",
                "area": "Croydon",
                "latitude": 51.38,
                "longitude": -0.10,
                "confidential": True,
            },
        ],
        "contracts": [
            {
                "id": "c1",
                "funding_status": "commissioned",
                "commissioner": "MOPAC",
                "reference": "C-1",
                "annual_value_gbp": 120000,
                "start_date": "2025-04-01",
                "end_date": "2027-03-31",
            }
        ],
    }
    raw.update(overrides)
    return raw


TEST_PASSWORD = "a long test password"


def stored(registry, actor: Actor) -> Actor:
    """``actor`` with an account in ``registry`` (the registry acts with the stored role and
    organisation, never the caller's), added if missing."""
    if registry.current_actor(actor.username) is None:
        registry.add_user(SYSTEM, actor.username, TEST_PASSWORD, actor.role, actor.organisation_id)
    return actor


def provider(registry, org_id: str, name: str = "prov") -> Actor:
    """A provider of ``org_id`` with its account."""
    return stored(registry, Actor(name, "provider", org_id))
