"""Provision against the published benchmarks of BRIEF §3.5 (refuge places, rape crisis
centres, SARCs, helplines, IDVA caseloads), beside the demand-based ratio.

One function per benchmark, each returning, per area: the need, what the standard requires,
what is provided and a note. :func:`benchmarks` runs those whose key is in the assumptions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from planner.assumptions import Assumptions
from planner.coverage.inputs import RegistryTables

BENCHMARK_COLUMNS = [
    "area_code",
    "area_name",
    "need",
    "benchmark",
    "unit",
    "standard",
    "required",
    "provided",
    "ratio",
    "note",
    "source",
]


@dataclass(frozen=True)
class Provision:
    """What the benchmark rules read: services (indexed by id), terms, capacity shares, and
    per area its name, population and women aged 16+."""

    services: pd.DataFrame
    terms: pd.DataFrame
    shares: pd.DataFrame
    areas: pd.DataFrame

    def of_type(self, service_type: str) -> set[str]:
        return set(self.services.index[self.services["service_type"] == service_type])

    def for_need(self, ids: set[str], need: str) -> pd.DataFrame:
        return self.shares[self.shares["service_id"].isin(ids) & (self.shares["need"] == need)]

    def apportioned(self, ids: set[str], weight: str) -> pd.Series:
        """Each service counted once, split over its areas by ``weight`` (e.g. women 16+)."""
        pairs = self.shares[["service_id", "area_code"]].drop_duplicates()
        chosen = pairs[pairs["service_id"].isin(ids)].copy()
        chosen["w"] = chosen["area_code"].map(self.areas[weight]).astype(float).fillna(0.0)
        total = chosen.groupby("service_id")["w"].transform("sum")
        chosen["part"] = chosen["w"] / total.where(total > 0, np.nan)
        return chosen.groupby("area_code")["part"].sum()

    def per_area(self, values: pd.Series, fill: float = 0.0) -> pd.Series:
        return values.reindex(self.areas.index).astype(float).fillna(fill)


Rule = Callable[[Provision, float], pd.DataFrame]


def _rows(p: Provision, need: str, required, provided, note) -> pd.DataFrame:
    return pd.DataFrame(
        {"need": need, "required": required, "provided": provided, "note": note},
        index=p.areas.index,
    )


def refuge_places(p: Provision, standard: float) -> pd.DataFrame:
    """Family places of refuges covering the area, each refuge's places split equally over
    its areas, against places per 10,000 residents."""
    refuges = p.for_need(p.of_type("refuge"), "domestic_abuse")
    places = refuges.drop_duplicates(["service_id", "area_code"])
    count = places["service_id"].map(p.services["places"]).astype(float)
    n_areas = places.groupby("service_id")["area_code"].transform("size")
    by_area = (count / n_areas).groupby(places["area_code"]).sum(min_count=1)
    recorded = by_area.reindex(p.areas.index).notna()
    note = (
        "family places of refuge services covering the area (split equally over a refuge's areas)"
    )
    return _rows(
        p,
        "domestic_abuse",
        p.areas["population"] / 10_000 * standard,
        p.per_area(by_area),
        [note + ("" if r else "; no refuge places recorded") for r in recorded],
    )


def rape_crisis_centres(p: Provision, standard: float) -> pd.DataFrame:
    accredited = p.terms[(p.terms["kind"] == "accreditation")]
    ids = set(accredited.loc[accredited["value"] == "rape_crisis_nss", "service_id"])
    return _rows(
        p,
        "sexual_violence",
        p.areas["women_16plus"] / 200_000 * standard,
        p.per_area(p.apportioned(ids, "women_16plus")),
        "Rape Crisis-accredited services, each counted once and split over its areas by women "
        "aged 16+",
    )


def sarcs(p: Provision, standard: float) -> pd.DataFrame:
    return _rows(
        p,
        "sexual_violence",
        p.areas["women_16plus"] / 400_000 * standard,
        p.per_area(p.apportioned(p.of_type("sarc"), "women_16plus")),
        "sexual assault referral centres, split over their areas by women aged 16+",
    )


def helplines(p: Provision, standard: float) -> pd.DataFrame:
    covering = p.for_need(p.of_type("helpline"), "domestic_abuse")
    return _rows(
        p,
        "domestic_abuse",
        standard,
        p.per_area(covering.groupby("area_code")["service_id"].nunique()),
        "domestic abuse helplines covering the area (24/7 and free not checked)",
    )


def idva_caseload(p: Provision, standard: float) -> pd.DataFrame:
    """Cases a year per full-time IDVA, for areas with IDVA services that record their staff;
    each service's staff split over its areas as its capacity is."""
    idva = p.for_need(p.of_type("idva"), "domestic_abuse")
    fte = idva["service_id"].map(p.services["staff_fte"]).astype(float)
    idva = idva[fte.notna()]
    cap = idva["service_id"].map(p.services["capacity_per_year"]).astype(float)
    idva = idva.assign(fte_share=fte[fte.notna()] * idva["capacity_share"] / cap.where(cap > 0))
    by_area = idva.groupby("area_code")[["fte_share", "capacity_share"]].sum(min_count=1)
    staff, cases = by_area["fte_share"], by_area["capacity_share"]
    caseload = (cases / staff.where(staff > 0)).astype(float)
    return pd.DataFrame(
        {
            "need": "domestic_abuse",
            "required": standard,
            "provided": caseload,
            "note": [
                f"cases a year per full-time IDVA ({c:,.0f} cases, {f:,.1f} FTE); a ratio above "
                "1 means caseloads above the safe range"
                for c, f in zip(cases, staff, strict=True)
            ],
        },
        index=by_area.index.rename("area_code"),
    )


RULES: dict[str, Rule] = {
    "refuge_family_places_per_10000_population": refuge_places,
    "rape_crisis_centres_per_200000_women": rape_crisis_centres,
    "sarcs_per_400000_women": sarcs,
    "national_helplines_24_7": helplines,
    "idva_caseload_high": idva_caseload,
}


def benchmarks(
    tables: RegistryTables, shares: pd.DataFrame, need_rows: pd.DataFrame, assumptions: Assumptions
) -> pd.DataFrame:
    """Provision against every benchmark in the assumptions, per area."""
    areas = need_rows.drop_duplicates("area_code").set_index("area_code")
    p = Provision(
        tables.services.set_index("service_id"),
        tables.terms,
        shares,
        areas[["area_name", "population", "women_16plus"]],
    )
    frames = []
    for key, rule in RULES.items():
        if key not in assumptions.benchmarks:
            continue
        spec = assumptions.benchmarks[key]
        frame = rule(p, spec.value).reset_index()
        frame["benchmark"], frame["unit"] = key, spec.unit
        frame["standard"], frame["source"] = spec.value, spec.source
        frames.append(frame)
    if not frames:
        return pd.DataFrame(columns=BENCHMARK_COLUMNS)
    out = pd.concat(frames, ignore_index=True)
    out["area_name"] = out["area_code"].map(areas["area_name"])
    required = out["required"].astype(float)
    out["ratio"] = (out["provided"].astype(float) / required.where(required != 0)).astype(float)
    return out[BENCHMARK_COLUMNS].sort_values(["area_code", "benchmark"], ignore_index=True)
