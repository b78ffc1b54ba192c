"""The flags of BRIEF §4: one function per kind, each reading the same :class:`FlagContext`.
:data:`RULES` lists them in the order they are reported; :func:`flag_table` joins them with
the numbers and sentences.

Coverage flags (no_provision, under_provision, duplication, overlap, continuity_risk) are per
(area, need, tier): their frames are indexed by (area_code, need, tier). The journey flags
(stage_gap, specialist_gap, no_report_route_gap) and access_gap read all of a need's services
together, because a victim's journey and the nearest door run across tiers: their frames are
indexed by (area_code, need) and reported with an empty tier ("all tiers").

Every flag except ``no_provision`` is raised only where there is provision (at least one
approved service for the need, or the tier) and demand is assessed and above 0.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from planner.assumptions import STAGES, Assumptions
from planner.coverage.contracts import ContractState
from planner.coverage.stages import group_lists, required_stages, stage_terms
from planner.coverage.thresholds import above, below, percent, threshold_percent
from planner.demand import TIER_DEMAND_COLUMNS

SEVERITY_ORDER = {"high": 0, "medium": 1, "low": 2, "info": 3}
KEY = ["area_code", "need", "tier"]
FLAG_COLUMNS = [
    *TIER_DEMAND_COLUMNS[:5],  # area_code, area_name, need, tier, tier_label
    "unit",
    "flag",
    "severity",
    "uncertain",
    "estimated",
    "capacity",
    "ratio",
    "ratio_low",
    "ratio_high",
    "detail",
    "service_ids",
    "services",
    "sentence",
]
AGE_GROUPS = ("children", "young_people", "adults", "older_people")


@dataclass(frozen=True)
class FlagContext:
    """What every rule reads. ``key``: the assessed (area, need, tier) triples with demand
    above 0, indexed, with estimated, capacity, ratio (and its range), services and
    services_without_capacity. ``covered``: service_id, area_code, need, tier, name for those
    triples, sorted by name. ``covering``: (area, need, tier) → the ids of the services
    serving it, in name order. The ``need_*`` properties are the same per (area, need)."""

    assumptions: Assumptions
    as_of: dt.date
    key: pd.DataFrame
    covered: pd.DataFrame
    covering: pd.Series
    shares: pd.DataFrame
    services: pd.DataFrame
    terms: pd.DataFrame
    contracts: ContractState
    access: pd.DataFrame

    @property
    def provided(self) -> pd.Index:
        return self.covering.index

    @cached_property
    def need_covered(self) -> pd.DataFrame:
        """service_id, area_code, need, name: each service once per (area, need) it serves,
        where the need has provision. A service counts for its need in every tier it serves,
        with demand or not: a bereavement service in a tier with no recorded demand still
        covers the need's stages and specialisms there."""
        pairs = self.shares[["service_id", "area_code", "need"]].drop_duplicates()
        provided = self.covered.set_index(["area_code", "need"]).index
        pairs = pairs[pairs.set_index(["area_code", "need"]).index.isin(provided)]
        pairs = pairs.assign(name=pairs["service_id"].map(self.services["name"]))
        return pairs.sort_values(["area_code", "need", "name", "service_id"], ignore_index=True)

    @cached_property
    def need_covering(self) -> pd.Series:
        return group_lists(self.need_covered, ["area_code", "need"], "service_id")

    @property
    def need_provided(self) -> pd.Index:
        return self.need_covering.index

    def threshold(self, name: str) -> float:
        return self.assumptions.thresholds[name].value

    def services_of(self, index: pd.Index) -> list[tuple[str, ...]]:
        if index.nlevels == 2:
            return list(self.need_covering.reindex(index))
        return list(self.covering.reindex(index))

    @cached_property
    def overlapping_pairs(self) -> pd.DataFrame:
        """Computed once for both duplication and overlap."""
        from planner.coverage.overlaps import overlapping_pairs

        return overlapping_pairs(self)


def flag_frame(
    kind: str,
    severity,
    index: pd.Index,
    service_ids: Sequence,
    detail="",
    extra: Sequence[dict] | None = None,
    uncertain=False,
) -> pd.DataFrame:
    """Flags of one kind, indexed by (area_code, need, tier) or (area_code, need); ``extra``
    holds the words a sentence needs beyond the row's numbers; ``uncertain``: the severity
    would change within the range of the assumptions."""
    frame = pd.DataFrame(index=index)
    frame["flag"] = kind
    frame["severity"] = severity
    frame["service_ids"] = list(service_ids)
    frame["detail"] = detail
    frame["extra"] = list(extra) if extra is not None else [{}] * len(frame)
    frame["uncertain"] = uncertain
    return frame


def no_provision(ctx: FlagContext) -> pd.DataFrame:
    """Demand above 0 and no approved service covering the pair."""
    none = ctx.key.index[ctx.key["services"] == 0]
    return flag_frame("no_provision", "high", none, [()] * len(none))


def under_provision(ctx: FlagContext) -> pd.DataFrame:
    """Coverage below the amber threshold (high below red), as the sentence shows it."""
    key = ctx.key
    red, amber = ctx.threshold("under_provision_red"), ctx.threshold("under_provision_amber")
    under = key[(key["services"] > 0) & below(key["ratio"].to_numpy(dtype=float), amber)]
    lapsed = ctx.contracts.lapsed
    details = []
    missing_counts = under["services_without_capacity"]
    for ids, missing in zip(ctx.services_of(under.index), missing_counts, strict=True):
        ended = [ctx.contracts.ended_text(i) for i in ids if i in lapsed]
        no_record = missing - len(ended)
        parts = [f"{no_record} service(s) with no capacity recorded"] if no_record else []
        if ended:
            parts.append(f"{'; '.join(ended)}: not counted as capacity")
        details.append("; ".join(parts))
    return flag_frame(
        "under_provision",
        np.where(below(under["ratio"].to_numpy(dtype=float), red), "high", "medium"),
        under.index,
        ctx.services_of(under.index),
        detail=details,
        extra=[{"count": int(c)} for c in under["services"]],
        uncertain=under["uncertain"].to_numpy(dtype=bool),
    )


def stage_gap(ctx: FlagContext) -> pd.DataFrame:
    """A stage the need requires that no covering service supports (high when the first days
    or the before-report stage is missing)."""
    req = pd.DataFrame(sorted(required_stages(ctx.assumptions)), columns=["need", "stage"])
    want = pd.DataFrame(list(ctx.need_provided), columns=["area_code", "need"]).merge(
        req, on="need"
    )
    have = ctx.need_covered.merge(stage_terms(ctx.terms), on="service_id")
    have = have[["area_code", "need", "stage"]].drop_duplicates()
    missing = want.merge(have, how="left", indicator=True)
    missing = missing[missing["_merge"] == "left_only"]
    missing = missing.assign(order=missing["stage"].map(STAGES.index)).sort_values("order")
    lists = missing.groupby(["area_code", "need"], sort=False)["stage"].agg(list)
    return flag_frame(
        "stage_gap",
        ["high" if {"immediate", "before_report"} & set(v) else "medium" for v in lists],
        lists.index,
        ctx.services_of(lists.index),
        detail=[", ".join(v) for v in lists],
        extra=[{"stages": v} for v in lists],
    )


def _requirements_met(ctx: FlagContext) -> pd.DataFrame:
    """service_id, requirement: what each service satisfies (``specialism:lgbt_plus``,
    ``age_group:children``, ``service_type:isva``)."""
    parts = []
    for kind in ("specialism", "age_group"):
        rows = ctx.terms.loc[ctx.terms["kind"] == kind, ["service_id", "value"]]
        parts.append(
            rows.assign(requirement=kind + ":" + rows["value"])[["service_id", "requirement"]]
        )
    services = ctx.services
    parts.append(
        pd.DataFrame(
            {
                "service_id": services.index,
                "requirement": "service_type:" + services["service_type"].astype(str),
            }
        )
    )
    return pd.concat(parts, ignore_index=True)


def specialist_gap(ctx: FlagContext) -> pd.DataFrame:
    """A specialist service the need requires (by-and-for, children, LGBT+, ...) is missing."""
    reqs = [(n, r) for n, spec in ctx.assumptions.needs.items() for r in spec.required_specialist]
    if not reqs:
        return flag_frame("specialist_gap", "medium", pd.Index([]), [])
    req_frame = pd.DataFrame(reqs, columns=["need", "requirement"])
    want = pd.DataFrame(list(ctx.need_provided), columns=["area_code", "need"]).merge(
        req_frame, on="need"
    )
    have = (
        ctx.need_covered[["service_id", "area_code", "need"]]
        .merge(_requirements_met(ctx), on="service_id")[["area_code", "need", "requirement"]]
        .drop_duplicates()
    )
    missing = want.merge(have, how="left", indicator=True)
    missing = missing[missing["_merge"] == "left_only"]
    order = {r: i for i, (_, r) in enumerate(reqs)}
    missing = missing.assign(order=missing["requirement"].map(order)).sort_values("order")
    lists = missing.groupby(["area_code", "need"], sort=False)["requirement"].agg(list)
    return flag_frame(
        "specialist_gap",
        "medium",
        lists.index,
        ctx.services_of(lists.index),
        detail=[", ".join(v) for v in lists],
        extra=[{"missing": v} for v in lists],
    )


def no_report_route_gap(ctx: FlagContext) -> pd.DataFrame:
    """For needs where most victims never report, no covering service takes people without a
    police report."""
    needing = [n for n, spec in ctx.assumptions.needs.items() if spec.no_report_route_required]
    open_door = ctx.services["without_police_report"].fillna(False).astype(bool)
    route = ctx.need_covered[ctx.need_covered["need"].isin(needing)]
    route = route.assign(open=route["service_id"].map(open_door).fillna(False).astype(bool))
    any_open = route.groupby(["area_code", "need"], sort=False)["open"].any()
    closed = any_open.index[~any_open.to_numpy(dtype=bool)]
    ids = ctx.services_of(closed)
    return flag_frame(
        "no_report_route_gap", "high", closed, ids, extra=[{"count": len(v)} for v in ids]
    )


def continuity_risk(ctx: FlagContext) -> pd.DataFrame:
    """All provision from one provider, or contracts behind at least half the capacity have
    ended or end within the window (high when both, or all of it). Capacity here is what the
    services were built to supply, whether or not their contracts are still live."""
    services, state = ctx.services, ctx.contracts
    at_risk = state.at_risk
    cont = ctx.shares[ctx.shares.set_index(KEY).index.isin(ctx.provided)]
    cont = cont[["service_id", "area_code", "need", "tier", "nominal_share"]]
    first_end = state.per_service["first_end"]
    cont = cont.assign(
        org=cont["service_id"].map(services["organisation_id"]),
        risk=cont["service_id"].isin(at_risk),
        end=pd.to_datetime(cont["service_id"].map(first_end.to_dict())),
    )
    cont["risk_capacity"] = cont["nominal_share"].where(cont["risk"], 0.0)
    cont["risk_end"] = cont["end"].where(cont["risk"])
    groups = cont.groupby(KEY, sort=False).agg(
        providers=("org", "nunique"),
        capacity=("nominal_share", "sum"),
        risk_capacity=("risk_capacity", "sum"),
        risky=("risk", "sum"),
        n=("service_id", "size"),
        ends_by=("risk_end", "min"),
        first_org=("org", "first"),
    )
    share_ending = (
        groups["risk_capacity"] / groups["capacity"].where(groups["capacity"] > 0)
    ).fillna((groups["risky"] == groups["n"]).astype(float))
    shown = percent(share_ending.to_numpy(dtype=float))
    single = groups["providers"] == 1
    ending = (groups["risky"] > 0) & (
        (shown >= threshold_percent(0.5)) | (groups["risky"] == groups["n"])
    )
    hit = groups[single | ending]
    org_name = services.drop_duplicates("organisation_id").set_index("organisation_id")[
        "organisation_name"
    ]
    reasons = [
        [r for r, on in (("single_provider", s), ("contracts_ending", e)) if on]
        for s, e in zip(single[hit.index], ending[hit.index], strict=True)
    ]
    covering = ctx.services_of(hit.index)
    ids = [
        tuple(i for i in c if i in at_risk) or c if "contracts_ending" in r else c
        for c, r in zip(covering, reasons, strict=True)
    ]
    shares_end = share_ending[hit.index]
    severity = [
        "high" if len(r) == 2 or ("contracts_ending" in r and percent(se) >= 100) else "medium"
        for r, se in zip(reasons, shares_end, strict=True)
    ]
    as_of = pd.Timestamp(ctx.as_of)
    return flag_frame(
        "continuity_risk",
        severity,
        hit.index,
        ids,
        detail=["; ".join(r) for r in reasons],
        extra=[
            {
                "reasons": r,
                "share_ending": se,
                "ends_by": e,
                "ended": bool(pd.notna(e) and e < as_of),
                "provider": org_name.get(o) if "single_provider" in r else None,
            }
            for r, se, e, o in zip(
                reasons, shares_end, hit["ends_by"], hit["first_org"], strict=True
            )
        ],
    )


def access_gap(ctx: FlagContext) -> pd.DataFrame:
    """More than the threshold share of residents farther than the distance from every
    face-to-face site of a covering service (high above 50%)."""
    if ctx.access.empty:
        return flag_frame("access_gap", "medium", pd.Index([]), [])
    km = ctx.threshold("access_distance_km")
    share = ctx.access.set_index(["area_code", "need"])["share_beyond"].reindex(ctx.need_provided)
    gap = share[above(share.to_numpy(dtype=float), ctx.threshold("access_gap_share"))]
    return flag_frame(
        "access_gap",
        np.where(above(gap.to_numpy(dtype=float), 0.5), "high", "medium"),
        gap.index,
        ctx.services_of(gap.index),
        detail=[f"{percent(v):.0f}% beyond {km:g} km" for v in gap],
        extra=[{"share": v, "distance_km": km} for v in gap],
    )
