"""The demonstration registry: fictional providers and services from ``data/demo_registry.toml``.

Loaded into a new, empty database by ``make app`` (``planner registry init --demo``). Every
organisation and service is flagged ``is_demo`` and says so in its description.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from pathlib import Path

import geopandas as gpd
from sqlalchemy import update

from planner.areas import AreaSet
from planner.registry.auth import SYSTEM
from planner.registry.models import Organisation, Service
from planner.registry.service import ImportResult, Registry
from planner.schema import CHOICE_FIELDS, TERM_FIELDS
from planner.settings import MAP_CRS, load_settings

DEMO_NOTE = "Demonstration data: a fictional service."
_RELATIVE = re.compile(r"^([+-])(\d+)m$")
COPIED = (*CHOICE_FIELDS, *TERM_FIELDS, "without_police_report", "hours", "staff_fte", "places")
"""What a demonstration family gives every service made from it."""


def _date(value: str, today: dt.date) -> str:
    match = _RELATIVE.match(value)
    if not match:
        return value
    months = int(match.group(2)) * (1 if match.group(1) == "+" else -1)
    year, month = divmod(today.month - 1 + months, 12)
    return dt.date(today.year + year, month + 1, min(today.day, 28)).isoformat()


def _points(areas: gpd.GeoDataFrame) -> dict[str, tuple[float, float]]:
    """A point inside each area (longitude, latitude), for demo sites."""
    inside = areas.set_index("area_code").geometry.representative_point().to_crs(MAP_CRS)
    return {code: (round(p.x, 5), round(p.y, 5)) for code, p in inside.items()}


def demo_records(
    area_set: AreaSet,
    areas: gpd.GeoDataFrame,
    *,
    today: dt.date | None = None,
    path: Path | None = None,
) -> tuple[list[tuple[str, dict]], list[tuple[str, dict]], set[str]]:
    """(organisations, services, ids of stale services) as registry input records."""
    today = today or dt.date.today()
    path = path or load_settings().demo_registry_file
    spec = tomllib.loads(path.read_text(encoding="utf-8"))
    meta = spec["meta"]
    points = _points(areas)
    orgs = [
        (
            f"demo organisation {o['key']}",
            {
                "id": f"demo-org-{o['key']}",
                "name": o["name"],
                "description": o["description"],
                "is_demo": True,
            },
        )
        for o in spec["organisations"]
    ]
    services: list[tuple[str, dict]] = []
    stale: set[str] = set()
    for family in spec["services"]:
        for ref, area_list, site_area in _expand(family, area_set):
            raw = {k: family[k] for k in COPIED if k in family}
            label = area_set.name_of(area_list[0]) if len(area_list) == 1 else ""
            raw.update(
                id=f"demo-{family['key']}-{ref}",
                organisation_id=f"demo-org-{family['organisation']}",
                name=family["name"].replace("{area}", label or ref),
                description=DEMO_NOTE,
                # fictional contact details: example.org addresses and the 020 7946 0xxx
                # numbers that Ofcom keeps for drama, so nobody real is ever called
                website=f"https://{family['organisation']}.example.org/{family['key']}",
                phone=f"020 7946 0{len(services) % 1000:03d}",
                capacity_per_year=family.get("capacity_by_area", {}).get(
                    label, family.get("capacity_per_year")
                ),
                areas=area_list,
                all_areas=family.get("areas") == "all",
                status="approved",
                is_demo=True,
                sites=[],
                contracts=[],
            )
            if site_area:
                lon, lat = points[site_area]
                raw["sites"].append(
                    {
                        "id": "site",
                        "name": f"{raw['name']} (hub)",
                        "latitude": lat,
                        "longitude": lon,
                    }
                )
            if family.get("confidential_site"):
                raw["sites"].append(
                    {"id": "site", "name": "Refuge", "area": area_list[0], "confidential": True}
                )
            contract = family.get("contract")
            if contract:
                commissioner = contract["commissioner"]
                if commissioner == "meta":
                    commissioner = meta["commissioner"]
                elif commissioner == "borough":
                    commissioner = f"{area_set.name_of(area_list[0])} Council (demo)"
                end = contract["end_date"]
                if label and label in family.get("ending_soon", []):
                    end = "+2m"
                raw["contracts"].append(
                    {
                        "id": "contract",
                        "funding_status": contract["funding_status"],
                        "commissioner": commissioner,
                        "reference": f"DEMO-{family['key']}-{ref}"[:100],
                        "annual_value_gbp": contract["annual_value_gbp"],
                        "start_date": _date(contract["start_date"], today),
                        "end_date": _date(end, today),
                    }
                )
            services.append((f"demo service {raw['id']}", raw))
            if family.get("stale"):
                stale.add(raw["id"])
    return orgs, services, stale


def _expand(family: dict, area_set: AreaSet):
    """(reference, area codes, site area code or None) for each service of a family."""
    site = family.get("site")
    if "per_area" in family:
        for name in family["per_area"]:
            code = area_set.resolve(name)
            slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
            yield slug, [code], code if site == "in_area" else None
    elif "regions" in family:
        for region, hub in family["regions"].items():
            codes = [a.code for a in area_set.areas if a.sub_region == region]
            yield region.lower(), codes, area_set.resolve(hub)
    elif "hubs" in family:
        for hub, names in family["hubs"].items():
            yield (
                hub.lower().replace(" ", "-"),
                [area_set.resolve(n) for n in names],
                area_set.resolve(hub),
            )
    else:
        codes = (
            area_set.codes
            if family["areas"] == "all"
            else [area_set.resolve(n) for n in family["areas"]]
        )
        yield (
            "london" if family["areas"] == "all" else "main",
            codes,
            (area_set.resolve(site) if site else None),
        )


def load_demo(
    registry: Registry, areas: gpd.GeoDataFrame, *, today: dt.date | None = None
) -> ImportResult:
    """Import the demonstration registry (all approved) and age the stale records."""
    from planner.registry.validation import stable_id

    orgs, services, stale = demo_records(registry.context.area_set, areas, today=today)
    result = registry.import_records(SYSTEM, orgs, services, source="demonstration registry")
    two_years_ago = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(days=730)
    with registry.session() as s, s.begin():
        s.execute(
            update(Organisation)
            .where(Organisation.id.in_([stable_id("organisation", o["id"]) for _, o in orgs]))
            .values(is_demo=True)
        )
        s.execute(
            update(Service)
            .where(Service.id.in_([stable_id("service", i) for i in stale]))
            .values(updated_at=two_years_ago),
            execution_options={"synchronize_session": False},
        )
    return result
