"""Budget allocation (BRIEF §4.2): the lots that reduce the most weighted unmet need for a
budget, chosen by a mixed-integer programme solved with HiGHS (:func:`scipy.optimize.milp`).

The model, in a commissioner's words:

- a *gap* is one area's unmet need in one tier (people or families a year, or family places),
  worth the tier's ranking weight per person (``planner.coverage.ratios.rank_weights``);
- a *candidate lot* buys capacity in one tier for one commissioning geography: one area, a
  sub-region, or the whole area set. Its capacity is shared over its areas by the tier's
  demand, exactly as the coverage engine shares a service's capacity, so a London-wide lot
  also lands where there is no gap (and buys nothing there);
- capacity beyond a gap buys nothing (coverage above 100% gains nothing: diminishing returns);
- a lot is either not bought or bought at least at the minimum viable value of its service
  type, and a tier whose area-wide demand is small is offered only as sub-regional or
  area-wide lots; any lot may lift its gaps part of the way;
- lots can be pinned (must be bought) or excluded, and needs excluded.

Pure: tables in, tables out; no database, no Streamlit.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

from planner.assumptions import Assumptions
from planner.errors import PlannerError

PRIMARY_TYPE = {
    "domestic_abuse": "idva",
    "sexual_violence": "isva",
    "homicide": "homicide_casework",
    "road_harm": "road_crash_casework",
    "hate_crime": "hate_crime_advocacy",
}
GEOGRAPHIES = ("local", "sub-regional", "area-wide")


def lot_type(assumptions: Assumptions, need: str, tier_key: str) -> str:
    """The service type a lot for one tier is bought as: the first the tier names that no
    other tier of the need names (so that the lot's capacity lands in that tier, not split
    with a sibling), else the first it names, else the need's main type."""
    tiers = assumptions.needs[need].tier_specs
    mine = tiers[tier_key].service_types
    others = {t for key, tier in tiers.items() if key != tier_key for t in tier.service_types}
    exclusive = [t for t in mine if t not in others]
    return (exclusive or mine or [PRIMARY_TYPE[need]])[0]


def unit_cost(assumptions: Assumptions, need: str, tier_key: str) -> float | None:
    """Pounds a year for one unit of the tier (a person or family supported, a place)."""
    tier = assumptions.needs[need].tier_specs[tier_key]
    item = assumptions.unit_costs.get(tier.unit_cost or PRIMARY_TYPE.get(need, ""))
    return None if item is None else item.value


@dataclass(frozen=True)
class Problem:
    """An allocation problem: the gaps, the candidate lots and where a lot's capacity lands.

    ``gaps``: one row per (area, need, tier) with unmet need: area_code, area_name, need,
    tier, tier_label, unit, estimated, capacity, unmet (units), people_per_unit, value (the
    weighted people a year one unit met is worth). ``lots``: one row per candidate: key,
    need, tier, tier_label, unit, service_type, geography, place, areas (a tuple of codes),
    unit_cost, min_units, max_units, tier_demand (the tier's area-wide demand), pinned.
    ``shares``: lots × gaps, the part of one unit of a lot that lands in each gap.
    """

    gaps: pd.DataFrame
    lots: pd.DataFrame
    shares: sparse.csr_matrix
    area_set_name: str = "the area set"


@dataclass(frozen=True)
class Solution:
    """The units bought per candidate lot and what they meet per gap."""

    units: np.ndarray
    met: np.ndarray
    objective: float
    """Weighted unmet need reduced (weighted people a year)."""
    spent: float
    budget: float
    optimal: bool
    message: str


def _key(need: str, tier: str, place: str) -> str:
    return f"{need}.{tier}@{place}"


def _place_matches(keys: pd.Series, wanted: Iterable[str]) -> np.ndarray:
    wanted = {w.strip().lower() for w in wanted}
    return keys.str.lower().isin(wanted).to_numpy()


GAP_COLUMNS = [
    "area_code",
    "area_name",
    "need",
    "tier",
    "tier_label",
    "unit",
    "estimated",
    "capacity",
    "unmet",
    "people_per_unit",
    "value",
]
LOT_COLUMNS = [
    "key",
    "need",
    "tier",
    "tier_label",
    "unit",
    "service_type",
    "geography",
    "place",
    "areas",
    "unit_cost",
    "min_units",
    "max_units",
    "tier_demand",
]


def _places(rows: pd.DataFrame, gap_areas, area_set, local: bool):
    """The commissioning geographies a tier's lots may take: each area with a gap (when
    ``local``), each sub-region with a gap, and the whole area set."""
    places: list[tuple[str, str, tuple[str, ...]]] = []
    if local:
        names = dict(zip(rows["area_code"], rows["area_name"], strict=True))
        places += [("local", names[a], (a,)) for a in gap_areas]
    sub_region = {a.code: a.sub_region for a in area_set.areas}
    regions: dict[str, list[str]] = {}
    for code in rows["area_code"]:
        regions.setdefault(sub_region.get(code, ""), []).append(code)
    if len(regions) > 1:
        places += [
            ("sub-regional", f"{region} {area_set.area_label}s".strip(), tuple(codes))
            for region, codes in sorted(regions.items())
            if region and any(c in gap_areas for c in codes)
        ]
    places.append(("area-wide", area_set.name, tuple(rows["area_code"])))
    return places


def _tier_problem(rows: pd.DataFrame, assumptions: Assumptions, area_set, need: str, key: str):
    """One tier's gaps, candidate lots and the (lot, gap, share) triples where each lot's
    capacity lands (numbered within the tier)."""
    tier = assumptions.needs[need].tier_specs[key]
    cost = unit_cost(assumptions, need, key)
    if cost is None or not tier.ranked_in_people:
        return [], [], []  # centres are counted, not bought by the person
    assessed = rows["status"] == "assessed"
    demand = rows["estimated"].astype(float).where(assessed).fillna(0.0).clip(lower=0)
    unmet = rows["unmet"].astype(float).where(assessed).fillna(0.0)
    factor = tier.people_factor()
    common = {"need": need, "tier": key, "tier_label": tier.label, "unit": tier.unit}
    gaps = [
        {
            "area_code": row.area_code,
            "area_name": row.area_name,
            **common,
            "estimated": d,
            "capacity": float(row.capacity),
            "unmet": u,
            "people_per_unit": factor,
            "value": assumptions.weight(need, key) * factor,
        }
        for row, d, u in zip(rows.itertuples(index=False), demand, unmet, strict=True)
        if u > 0
    ]
    gap_of = {g["area_code"]: i for i, g in enumerate(gaps)}
    d_of = dict(zip(rows["area_code"], demand, strict=True))
    service_type = lot_type(assumptions, need, key)
    min_units = max(1, math.ceil(assumptions.allocation.minimum_lot(service_type) / cost))
    local = demand.sum() >= assumptions.allocation.local_lot_min_demand.value
    lots, shares = [], []
    for geography, place, codes in _places(rows, gap_of, area_set, local) if gaps else ():
        weights = np.array([d_of[c] for c in codes], dtype=float)
        share = (
            weights / weights.sum() if weights.sum() > 0 else np.full(len(codes), 1 / len(codes))
        )
        landing = {gap_of[c]: s for c, s in zip(codes, share, strict=True) if c in gap_of and s > 0}
        if not landing:
            continue
        fill = max(gaps[g]["unmet"] / s for g, s in landing.items())
        shares += [(len(lots), g, s) for g, s in landing.items()]
        lots.append(
            {
                "key": _key(need, key, place),
                **common,
                "service_type": service_type,
                "geography": geography,
                "place": place,
                "areas": codes,
                "unit_cost": cost,
                "min_units": min_units,
                "max_units": max(min_units, math.ceil(fill - 1e-9)),
                "tier_demand": float(demand.sum()),
            }
        )
    return gaps, lots, shares


def _check_keys(lots: pd.DataFrame, pinned: Sequence[str], excluded: Sequence[str]) -> None:
    for label, asked in (("pin", pinned), ("exclude", excluded)):
        missing = {a.strip().lower() for a in asked} - set(lots["key"].str.lower())
        if missing:
            raise PlannerError(
                f"No lot to {label}: {', '.join(sorted(missing))}. A lot is named "
                "need.tier@place, e.g. "
                + ", ".join(lots["key"].head(3))
                + " (planner plan suggest --list-lots shows every one)."
            )


def build_problem(
    coverage: pd.DataFrame,
    assumptions: Assumptions,
    area_set,
    *,
    pinned: Sequence[str] = (),
    excluded: Sequence[str] = (),
    excluded_needs: Sequence[str] = (),
) -> Problem:
    """The gaps and candidate lots of today's coverage (``coverage``: the engine's coverage
    table with ``unmet``). ``pinned`` / ``excluded``: lot keys such as
    ``road_harm.bereaved@London`` or ``domestic_abuse.community@Croydon`` (the ``key``
    column); an unknown key or need is an error that says what is known."""
    unknown_needs = sorted(set(excluded_needs) - set(assumptions.needs))
    if unknown_needs:
        raise PlannerError(
            f"Unknown need to exclude: {', '.join(unknown_needs)} "
            f"(needs: {', '.join(assumptions.needs)})."
        )
    gap_rows, lot_rows, share_rows = [], [], []
    for need, spec in assumptions.needs.items():
        if need in excluded_needs:
            continue
        for key in spec.tier_specs:
            rows = coverage[(coverage["need"] == need) & (coverage["tier"] == key)]
            gaps, lots, shares = _tier_problem(rows, assumptions, area_set, need, key)
            share_rows += [(i + len(lot_rows), g + len(gap_rows), v) for i, g, v in shares]
            gap_rows += gaps
            lot_rows += lots
    lots = pd.DataFrame(lot_rows, columns=LOT_COLUMNS)
    gaps = pd.DataFrame(gap_rows, columns=GAP_COLUMNS)
    _check_keys(lots, pinned, excluded)
    lots["pinned"] = _place_matches(lots["key"], pinned)
    i, g, v = (list(x) for x in zip(*share_rows, strict=True)) if share_rows else ([], [], [])
    shares = sparse.csr_matrix((v, (i, g)), shape=(len(lots), len(gaps)))
    kept = np.flatnonzero(~_place_matches(lots["key"], excluded))
    return Problem(
        gaps=gaps,
        lots=lots.iloc[kept].reset_index(drop=True),
        shares=shares[kept],
        area_set_name=area_set.name,
    )


def met_by(problem: Problem, units: np.ndarray) -> np.ndarray:
    """Units of need met per gap when each lot buys ``units``: what lands, never more than
    the gap."""
    landed = problem.shares.T @ np.asarray(units, dtype=float)
    return np.minimum(landed, problem.gaps["unmet"].to_numpy(dtype=float))


def objective(problem: Problem, units: np.ndarray) -> float:
    """Weighted unmet need reduced (weighted people a year) by buying ``units``."""
    return float(met_by(problem, units) @ problem.gaps["value"].to_numpy(dtype=float))


def solve(
    problem: Problem,
    budget: float,
    *,
    whole_units: bool = False,
    exact_seconds: float = 2.0,
    time_limit: float = 30.0,
) -> Solution:
    """The lots to buy for ``budget`` (pounds a year) that reduce the most weighted unmet
    need: a mixed-integer programme (HiGHS) in which each lot is bought or not and, when
    bought, holds from its minimum capacity up, in whole people.

    Solved exactly when HiGHS proves the optimum within ``exact_seconds`` (``whole_units``: however
    long it takes); otherwise in two passes, which lots to buy with capacities allowed
    fractions, then those lots' whole capacities, keeping the better plan (on London within
    0.01% of the exact optimum, measured in ``bench/advice.py``). Pinned lots
    are bought at least at their minimum; if they alone cost more than the budget, that is
    an error naming them."""
    lots = problem.lots
    if len(lots) == 0 or budget <= 0:
        return _solution(problem, np.zeros(len(lots)), budget, True, "nothing to buy")
    cost = lots["unit_cost"].to_numpy(dtype=float)
    low = lots["min_units"].to_numpy(dtype=float)
    pinned = lots["pinned"].to_numpy(dtype=bool)
    floor_cost = float((low * cost)[pinned].sum())
    if floor_cost > budget + 1e-6:
        raise PlannerError(
            f"The pinned lots cost at least £{floor_cost:,.0f} a year, more than the budget "
            f"of £{budget:,.0f}: raise the budget or unpin "
            + ", ".join(lots.loc[pinned, "key"])
            + "."
        )
    units, res = np.zeros(len(lots)), None
    if whole_units or exact_seconds > 0:
        units, res = _milp(
            problem,
            budget,
            whole=True,
            bought=None,
            time_limit=time_limit if whole_units else exact_seconds,
        )
    if not whole_units and (res is None or res.status != 0):
        # not proven in 2 s (London's larger budgets): choose the lots with fractional
        # capacities, then their whole capacities; keep the better of the two plans
        relaxed, _ = _milp(problem, budget, whole=False, bought=None, time_limit=time_limit)
        two_pass, res2 = _milp(problem, budget, whole=True, bought=relaxed > 0, time_limit=2.0)
        if res is None or objective(problem, two_pass) > objective(problem, units):
            units, res = two_pass, res2
    if float(units @ cost) > budget + 0.01:  # the solver's tolerance, never a plan over budget
        raise PlannerError(f"The allocation came out over the budget: {res.message}")
    return _solution(problem, units, budget, res.status == 0, res.message)


def _milp(problem: Problem, budget: float, *, whole: bool, bought, time_limit: float):
    """One HiGHS run. Variables: units x per lot, bought y per lot (0/1), met u per gap.
    ``bought``: where given, which lots are bought (y fixed), the rest not."""
    lots, gaps = problem.lots, problem.gaps
    n_lots, n_gaps = len(lots), len(gaps)
    cost = lots["unit_cost"].to_numpy(dtype=float)
    low = lots["min_units"].to_numpy(dtype=float)
    high = np.maximum(low, np.minimum(lots["max_units"].to_numpy(dtype=float), budget // cost))
    y_low = lots["pinned"].to_numpy(dtype=float)
    y_high = np.ones(n_lots)
    if bought is not None:
        y_low = y_high = bought.astype(float)
    # a tiny price on capacity: of two equal plans, the cheaper
    c = np.concatenate([cost * 1e-9, np.zeros(n_lots), -gaps["value"].to_numpy(dtype=float)])
    eye = sparse.identity(n_lots, format="csr")
    zeros_lg = sparse.csr_matrix((n_lots, n_gaps))
    constraints = [
        LinearConstraint(
            np.concatenate([cost, np.zeros(n_lots + n_gaps)])[None, :], -np.inf, budget
        ),
        # x ≤ high·y and x ≥ low·y: nothing, or a lot of at least its minimum value
        LinearConstraint(sparse.hstack([eye, -sparse.diags(high), zeros_lg]), -np.inf, 0),
        LinearConstraint(sparse.hstack([eye, -sparse.diags(low), zeros_lg]), 0, np.inf),
        # met ≤ what the lots land in the gap (and ≤ the gap: the bound)
        LinearConstraint(
            sparse.hstack(
                [-problem.shares.T, sparse.csr_matrix((n_gaps, n_lots)), sparse.identity(n_gaps)]
            ),
            -np.inf,
            0,
        ),
    ]
    bounds = Bounds(
        np.concatenate([np.zeros(n_lots), y_low, np.zeros(n_gaps)]),
        np.concatenate([high, y_high, gaps["unmet"].to_numpy(dtype=float)]),
    )
    integrality = np.concatenate(
        [np.full(n_lots, 1 if whole else 0), np.ones(n_lots), np.zeros(n_gaps)]
    )
    res = milp(
        c,
        constraints=constraints,
        bounds=bounds,
        integrality=integrality,
        options={"time_limit": time_limit, "mip_rel_gap": 1e-6 if whole else 1e-4},
    )
    if res.x is None:
        raise PlannerError(f"The allocation could not be solved: {res.message}")
    units = np.round(res.x[:n_lots]) if whole else res.x[:n_lots]
    return np.where(units >= low - 1e-6, units, 0.0), res


def _solution(
    problem: Problem, units: np.ndarray, budget: float, optimal: bool, message: str
) -> Solution:
    cost = problem.lots["unit_cost"].to_numpy(dtype=float)
    met = met_by(problem, units)
    value = problem.gaps["value"].to_numpy(dtype=float)
    return Solution(
        units=units,
        met=met,
        objective=float(met @ value),
        spent=float(units @ cost) if len(units) else 0.0,
        budget=float(budget),
        optimal=optimal,
        message=message,
    )


def people_added(problem: Problem, solution: Solution) -> float:
    """People (or families) a year newly supported: units met × people per unit."""
    return float(solution.met @ problem.gaps["people_per_unit"].to_numpy(dtype=float))
