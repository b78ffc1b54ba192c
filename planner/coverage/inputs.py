"""The analysis's input: the registry as tidy tables (what analysis, maps and exports read).

Plain pandas, no database. The storage layer builds these tables (``Registry.tables()``); the
analysis side never imports storage.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from planner.schema import CONTRACT_FIELDS, SCALARS, SITE_FIELDS, TERM_FIELDS


@dataclass(frozen=True)
class RegistryTables:
    """The registry as tidy tables: what analysis, maps and exports read."""

    services: pd.DataFrame
    areas: pd.DataFrame
    terms: pd.DataFrame
    sites: pd.DataFrame
    contracts: pd.DataFrame

    SERVICE_COLUMNS = ("service_id", "organisation_name", *SCALARS, "updated_at")
    """The service's own fields the analysis, maps and exports read, and who provides it."""

    @classmethod
    def from_records(cls, records: Sequence[dict]) -> RegistryTables:
        services = pd.DataFrame(
            [
                {
                    **{k: r.get(k) for k in cls.SERVICE_COLUMNS if k != "service_id"},
                    "service_id": r["id"],
                }
                for r in records
            ],
            columns=list(cls.SERVICE_COLUMNS),
        )
        areas = pd.DataFrame(
            [{"service_id": r["id"], **a} for r in records for a in r["areas"]],
            columns=["service_id", "area_code", "capacity_share"],
        )
        terms = pd.DataFrame(
            [
                {"service_id": r["id"], "kind": kind, "value": v}
                for r in records
                for field, kind in TERM_FIELDS.items()
                for v in r[field]
            ],
            columns=["service_id", "kind", "value"],
        )
        sites = pd.DataFrame(
            [{"service_id": r["id"], **public_site(x)} for r in records for x in r["sites"]],
            columns=["service_id", *SITE_FIELDS],
        )
        contracts = pd.DataFrame(
            [{"service_id": r["id"], **c} for r in records for c in r["contracts"]],
            columns=["service_id", *CONTRACT_FIELDS],
        )
        return cls(services, areas, terms, sites, contracts)


def public_site(site: dict) -> dict:
    """A site as it may be shown or exported: confidential sites only as their area."""
    if not site.get("confidential"):
        return dict(site)
    return {
        **site,
        "name": "Confidential site",
        "postcode": None,
        "latitude": None,
        "longitude": None,
    }
