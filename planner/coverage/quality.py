"""The data-quality list: the registry records a commissioner should ask providers to fix."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import pandas as pd

from planner.coverage.contracts import ContractState, months_after
from planner.coverage.inputs import RegistryTables


def data_quality(
    tables: RegistryTables,
    state: ContractState,
    *,
    stale_months: float,
    vocab_keys: Mapping[str, Iterable[str]] | None,
    area_codes: set[str],
    untiered: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Records to fix: no capacity, stale, contracts ended (and whether the service's capacity
    still counts) or open-ended, unknown values, face-to-face services with no located site."""
    services = tables.services.set_index("service_id", drop=False)
    parts = []

    def issue(service_ids: pd.Series, kind: str, details) -> None:
        ids = pd.Series(service_ids).to_numpy()
        parts.append(
            pd.DataFrame(
                {
                    "service_id": ids,
                    "service": services["name"].reindex(ids).to_numpy(),
                    "organisation": services["organisation_name"].reindex(ids).to_numpy(),
                    "issue": kind,
                    "detail": details if isinstance(details, str) else list(details),
                }
            )
        )

    no_capacity = services[services["capacity_per_year"].isna()]
    issue(
        no_capacity["service_id"],
        "no_capacity",
        "no capacity recorded: counts for presence, stages and specialisms, adds 0 capacity",
    )
    if stale_months:
        updated = pd.to_datetime(services["updated_at"], errors="coerce", utc=True)
        cutoff = pd.Timestamp(months_after(state.as_of, -stale_months), tz="UTC")
        stale = services[updated < cutoff]
        issue(
            stale["service_id"],
            "stale",
            [
                f"last updated {u.date().isoformat()}, more than {stale_months:g} months ago: "
                "ask the provider to confirm it"
                for u in updated[updated < cutoff]
            ],
        )
    c = state.contracts
    lapsed = state.lapsed
    ended = c[c["ended"]]
    issue(
        ended["service_id"],
        "contract_ended",
        [
            f"contract {r} ended on {e.date().isoformat()}"
            + (
                ": no live contract, so the service's capacity is not counted"
                if s in lapsed
                else "; the service's other funding still counts"
            )
            for r, e, s in zip(ended["label"], ended["end"], ended["service_id"], strict=True)
        ],
    )
    open_ended = c[(c["funding_status"] == "commissioned") & c["end"].isna()]
    issue(
        open_ended["service_id"],
        "no_end_date",
        [f"commissioned contract {r} has no end date" for r in open_ended["label"]],
    )
    if vocab_keys:
        terms = tables.terms
        allowed = terms["kind"].map(lambda k: vocab_keys.get(k))
        unknown = [
            a is not None and v not in a for a, v in zip(allowed, terms["value"], strict=True)
        ]
        bad = terms.loc[pd.Series(unknown, index=terms.index, dtype=bool)]
        issue(
            bad["service_id"],
            "unknown_value",
            [
                f"{k} {v!r} is not in the vocabulary"
                for k, v in zip(bad["kind"], bad["value"], strict=True)
            ],
        )
    outside = tables.areas[~tables.areas["area_code"].isin(area_codes)]
    issue(
        outside["service_id"],
        "unknown_value",
        [f"area {a} is not in the area set" for a in outside["area_code"]],
    )
    terms = tables.terms
    face = set(
        terms.loc[(terms["kind"] == "channel") & (terms["value"] == "face_to_face"), "service_id"]
    )
    located = set(tables.sites.loc[tables.sites["latitude"].notna(), "service_id"])
    confidential_only = set(tables.sites.loc[tables.sites["confidential"], "service_id"])
    missing_site = sorted(face - located - confidential_only)
    issue(
        pd.Series(missing_site, dtype=object),
        "no_site",
        "face-to-face service with no site coordinates: not in the access analysis",
    )
    if untiered is not None and len(untiered):
        issue(
            untiered["service_id"],
            "no_tier",
            [
                f"its type is in no tier of {n.replace('_', ' ')}: adds no capacity to it "
                "(add the type to a tier in the assumptions)"
                for n in untiered["need"]
            ],
        )
    out = pd.concat([p for p in parts if len(p)] or [parts[0]], ignore_index=True)
    return out.sort_values(["issue", "service", "service_id"], ignore_index=True)
