"""A tiny hand-built world for the coverage tests: three areas, demand written by hand, and
services as canonical registry records."""

from __future__ import annotations

import pandas as pd

from planner.coverage.inputs import RegistryTables

AREAS = {"A1": "Alpha", "A2": "Beta", "A3": "Gamma"}
NEEDS = ("domestic_abuse", "sexual_violence", "homicide", "road_harm", "hate_crime")


def demand(
    values: dict[tuple[str, str], float], *, not_assessed=("A3",), population: float = 100_000
) -> pd.DataFrame:
    """Estimated demand per (area, need); missing pairs are 0; ``not_assessed`` areas have no
    police data for police-recorded needs."""
    rows = []
    for code, name in AREAS.items():
        for need in NEEDS:
            police = need != "road_harm"
            blank = code in not_assessed and police
            value = values.get((code, need), 0.0)
            rows.append(
                {
                    "area_code": code,
                    "area_name": name,
                    "need": need,
                    "status": "no police data (Other force area)" if blank else "assessed",
                    "recorded": None if blank else value,
                    "estimated": None if blank else value,
                    "population": population,
                    "women_16plus": population * 0.4,
                    # road harm's parts: the world's road demand is all serious injury
                    "recorded_fatal": 0.0 if need == "road_harm" else None,
                    "recorded_serious": value if need == "road_harm" else None,
                }
            )
    return pd.DataFrame(rows)


def service(
    sid: str,
    *,
    org: str = "org1",
    areas=("A1",),
    needs=("domestic_abuse",),
    capacity: float | None = 100,
    service_type: str = "idva",
    stages=("immediate",),
    without_police_report: bool = True,
    gender: str = "any",
    age_groups=(),
    specialisms=(),
    channels=("phone",),
    commissioned: bool = False,
    contract_end: str | None = None,
    sites=(),
    all_areas=False,
    area_capacity=None,
    places=None,
    staff_fte=None,
    updated_at="2026-10-01",
) -> dict:
    area_capacity = area_capacity or {}
    record = {
        "id": sid,
        "organisation_id": org,
        "organisation_name": f"Provider {org}",
        "name": f"Service {sid}",
        "service_type": service_type,
        "status": "approved",
        "referral_route": "self_referral" if without_police_report else "police_referral_only",
        "without_police_report": without_police_report,
        "gender": gender,
        "all_areas": all_areas,
        "capacity_per_year": capacity,
        "places": places,
        "staff_fte": staff_fte,
        "is_demo": False,
        "updated_at": pd.Timestamp(updated_at),
        "needs": list(needs),
        "stages": list(stages),
        "specialisms": list(specialisms),
        "channels": list(channels),
        "age_groups": list(age_groups),
        "languages": [],
        "accreditations": [],
        "areas": [{"area_code": a, "capacity_share": area_capacity.get(a)} for a in areas],
        "sites": [
            {
                "id": f"{sid}-site{i}",
                "name": "Hub",
                "postcode": None,
                "latitude": lat,
                "longitude": lon,
                "area_code": area,
                "confidential": False,
            }
            for i, (area, lat, lon) in enumerate(sites)
        ],
        "contracts": [],
    }
    if commissioned or contract_end:
        record["contracts"].append(
            {
                "id": f"{sid}-c",
                "funding_status": "commissioned" if commissioned else "grant_funded",
                "commissioner": "Test",
                "reference": f"{sid}-ref",
                "annual_value_gbp": "1000.00",
                "start_date": "2025-01-01",
                "end_date": contract_end or "2030-01-01",
            }
        )
    return record


def tables(*records: dict) -> RegistryTables:
    return RegistryTables.from_records(list(records))
