"""A synthetic national area set for the benchmark: 330 areas, 20,000 services, 35,000 small
areas. Deterministic (seeded); nothing here is real data."""

from __future__ import annotations

import numpy as np
import pandas as pd

from planner.assumptions import STAGES
from planner.coverage.inputs import RegistryTables

NEEDS = ("domestic_abuse", "sexual_violence", "homicide", "road_harm", "hate_crime")
TYPES = (
    "idva",
    "isva",
    "counselling",
    "helpline",
    "advocacy",
    "homicide_casework",
    "road_crash_casework",
    "hate_crime_advocacy",
    "refuge",
    "sarc",
)
RATE = {
    "domestic_abuse": 5000,
    "sexual_violence": 2000,
    "homicide": 1.2,
    "road_harm": 150,
    "hate_crime": 250,
}  # estimated people a year per 100,000 residents


def national(n_areas: int = 330, n_services: int = 20_000, n_small: int = 35_000, seed: int = 1):
    rng = np.random.default_rng(seed)
    side = int(np.ceil(np.sqrt(n_areas)))
    codes = [f"X{i:08d}" for i in range(n_areas)]
    cx = (np.arange(n_areas) % side) * 20_000.0
    cy = (np.arange(n_areas) // side) * 20_000.0
    area_of = rng.integers(0, n_areas, n_small)
    small = pd.DataFrame(
        {
            "lsoa_code": [f"S{i:08d}" for i in range(n_small)],
            "area_code": np.array(codes)[area_of],
            "population": rng.integers(1000, 3000, n_small).astype(float),
            "x": cx[area_of] + rng.uniform(0, 20_000, n_small),
            "y": cy[area_of] + rng.uniform(0, 20_000, n_small),
        }
    )
    pop = small.groupby("area_code")["population"].sum()
    demand = pd.DataFrame(
        [
            {
                "area_code": c,
                "area_name": f"Area {i}",
                "need": n,
                "status": "assessed",
                "recorded": pop.get(c, 0) * RATE[n] / 1e5 * 0.3,
                "estimated": pop.get(c, 0) * RATE[n] / 1e5,
                "population": pop.get(c, 0),
                "women_16plus": pop.get(c, 0) * 0.41,
                # road harm's parts (BRIEF §4.1 tiers): about 1 in 50 KSI collisions is fatal
                "recorded_fatal": pop.get(c, 0) * RATE[n] / 1e5 * 0.3 * 0.02
                if n == "road_harm"
                else None,
                "recorded_serious": pop.get(c, 0) * RATE[n] / 1e5 * 0.3 * 0.98
                if n == "road_harm"
                else None,
            }
            for i, c in enumerate(codes)
            for n in NEEDS
        ]
    )
    services, areas, terms, sites, contracts = [], [], [], [], []
    for s in range(n_services):
        sid = f"svc{s:06d}"
        home = int(rng.integers(0, n_areas))
        k = int(rng.choice([1, 1, 1, 2, 3]))
        cover = sorted({home, *rng.integers(0, n_areas, k - 1).tolist()})
        needs = sorted(set(rng.choice(NEEDS, int(rng.choice([1, 1, 2]))).tolist()))
        capacity = None if rng.random() < 0.05 else float(rng.integers(20, 600))
        services.append(
            {
                "service_id": sid,
                "organisation_id": f"org{s % 4000:05d}",
                "organisation_name": f"Organisation {s % 4000}",
                "name": f"Service {s}",
                "service_type": TYPES[s % len(TYPES)],
                "referral_route": "self_referral",
                "without_police_report": bool(rng.random() < 0.7),
                "gender": "any",
                "all_areas": False,
                "capacity_per_year": capacity,
                "places": None,
                "staff_fte": None,
                "status": "approved",
                "is_demo": False,
                "updated_at": pd.Timestamp("2026-06-01"),
                "website": None,
                "phone": None,
                "email": None,
                "hours": None,
                "description": None,
            }
        )
        areas += [{"service_id": sid, "area_code": codes[a], "capacity_share": None} for a in cover]
        terms += [{"service_id": sid, "kind": "need", "value": n} for n in needs]
        terms += [
            {"service_id": sid, "kind": "stage", "value": st}
            for st in rng.choice(STAGES, 3, replace=False).tolist()
        ]
        face = rng.random() < 0.6
        terms.append(
            {"service_id": sid, "kind": "channel", "value": "face_to_face" if face else "phone"}
        )
        if face:
            sites.append(
                {
                    "service_id": sid,
                    "id": f"site{s:06d}",
                    "name": "Hub",
                    "postcode": None,
                    "latitude": 0.0,
                    "longitude": 0.0,
                    "area_code": codes[home],
                    "confidential": False,
                    "x": cx[home] + rng.uniform(0, 20_000),
                    "y": cy[home] + rng.uniform(0, 20_000),
                }
            )
        if rng.random() < 0.5:
            contracts.append(
                {
                    "service_id": sid,
                    "id": f"c{s:06d}",
                    "funding_status": "commissioned",
                    "commissioner": "PCC",
                    "reference": f"R{s}",
                    "annual_value_gbp": "100000.00",
                    "start_date": "2025-04-01",
                    "end_date": str(rng.choice(["2027-03-31", "2029-03-31"])),
                }
            )
    site_frame = pd.DataFrame(sites)
    tables = RegistryTables(
        pd.DataFrame(services, columns=list(RegistryTables.SERVICE_COLUMNS)),
        pd.DataFrame(areas),
        pd.DataFrame(terms),
        site_frame.drop(columns=["x", "y"]),
        pd.DataFrame(contracts),
    )
    points = site_frame.rename(columns={"id": "site_id"})[["site_id", "x", "y"]]
    return demand, tables, small, points
