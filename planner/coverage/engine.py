"""analyse(): demand and approved services in; coverage, flags, stages, access, benchmarks and
data quality out. Every number in every table can be traced to its inputs by its columns."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from planner.assumptions import Assumptions
from planner.coverage.access import access_tables
from planner.coverage.capacity import capacity_shares, coverage_pairs
from planner.coverage.text import (
    FLAG_KINDS,
    METHOD,
    RAG_WORDS,
    join_names,
    sentence,
)
from planner.registry.tables import RegistryTables

SEVERITY_ORDER = {"high": 0, "medium": 1, "low": 2, "info": 3}
FLAG_COLUMNS = [
    "area_code",
    "area_name",
    "need",
    "flag",
    "severity",
    "estimated",
    "capacity",
    "ratio",
    "detail",
    "service_ids",
    "services",
    "sentence",
]
COVERAGE_COLUMNS = [
    "area_code",
    "area_name",
    "need",
    "status",
    "recorded",
    "estimated",
    "services",
    "services_without_capacity",
    "capacity",
    "ratio",
    "rag",
    "rag_words",
]


@dataclass(frozen=True)
class CoverageResult:
    coverage: pd.DataFrame
    flags: pd.DataFrame
    stages: pd.DataFrame
    shares: pd.DataFrame
    access: pd.DataFrame
    access_small_areas: pd.DataFrame
    benchmarks: pd.DataFrame
    data_quality: pd.DataFrame
    method: list[str]

    def flag_counts(self) -> pd.Series:
        return self.flags["flag"].value_counts().reindex(FLAG_KINDS, fill_value=0)


def _rag(
    ratio: float, services: int, status: str, estimated: float, red: float, amber: float
) -> str:
    if status != "assessed":
        return "not assessed"
    if not estimated or estimated <= 0 or np.isnan(estimated):
        return "no recorded demand"
    if services == 0:
        return "red"
    if ratio < red:
        return "red"
    if ratio < amber:
        return "amber"
    return "green"


def _commissioned(contracts: pd.DataFrame) -> set[str]:
    return set(contracts.loc[contracts["funding_status"] == "commissioned", "service_id"])


def _as_date(value) -> dt.date | None:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def _months_after(day: dt.date, months: float) -> dt.date:
    whole = int(months)
    year, month = divmod(day.month - 1 + whole, 12)
    return dt.date(day.year + year, month + 1, min(day.day, 28))


def _group_lists(frame: pd.DataFrame, keys: list[str], column: str) -> pd.Series:
    """The values of ``column`` per group, in frame order, as tuples (plain Python: much
    faster than a pandas per-group aggregation for thousands of small groups)."""
    groups: dict[tuple, list] = {}
    for *k, value in zip(*(frame[c].tolist() for c in keys), frame[column].tolist(), strict=True):
        groups.setdefault(tuple(k), []).append(value)
    index = (
        pd.MultiIndex.from_tuples(list(groups), names=keys)
        if groups
        else pd.MultiIndex(levels=[[]] * len(keys), codes=[[]] * len(keys), names=keys)
    )
    return pd.Series([tuple(v) for v in groups.values()], index=index, dtype=object)


def _bitmask(terms: pd.DataFrame, kind: str, values: Iterable[str]) -> pd.Series:
    """service_id → an integer with one bit per value the service has for ``kind``."""
    bit = {v: 1 << i for i, v in enumerate(values)}
    rows = terms[terms["kind"] == kind]
    return rows["value"].map(bit).fillna(0).astype(np.int64).groupby(rows["service_id"]).sum()


def analyse(
    demand: pd.DataFrame,
    tables: RegistryTables,
    assumptions: Assumptions,
    *,
    as_of: dt.date,
    small_areas: pd.DataFrame | None = None,
    site_points: pd.DataFrame | None = None,
    vocab_keys: dict[str, Iterable[str]] | None = None,
) -> CoverageResult:
    """Run the whole coverage model.

    ``demand``: the demand table (area_code, area_name, need, status, recorded, estimated,
    population, women_16plus). ``tables``: the approved services (``Registry.tables()``).
    ``small_areas``: lsoa_code, area_code, population, x, y (EPSG:27700) for access; without
    it access is not assessed. ``site_points``: site_id, x, y (EPSG:27700) for the sites
    with coordinates. ``vocab_keys``: accepted values per kind, for the data-quality check.
    """
    from planner.assumptions import STAGES

    t = assumptions.thresholds
    red, amber = t["under_provision_red"].value, t["under_provision_amber"].value
    services = tables.services.set_index("service_id", drop=False)
    names = services["name"].to_dict()
    terms = tables.terms
    need_rows = demand[
        [
            "area_code",
            "area_name",
            "need",
            "status",
            "recorded",
            "estimated",
            "population",
            "women_16plus",
        ]
    ].copy()
    area_names = dict(zip(need_rows["area_code"], need_rows["area_name"], strict=False))

    pairs = coverage_pairs(tables.areas, terms)
    pairs = pairs[
        pairs["need"].isin(list(assumptions.needs)) & pairs["area_code"].isin(list(area_names))
    ]
    shares = capacity_shares(pairs, services["capacity_per_year"], need_rows)

    # --- coverage ------------------------------------------------------------------------------
    no_capacity = services["capacity_per_year"].isna()
    per_pair = (
        shares.assign(no_capacity=shares["service_id"].map(no_capacity).fillna(False).astype(int))
        .groupby(["area_code", "need"])
        .agg(
            capacity=("capacity_share", "sum"),
            services=("service_id", "size"),
            services_without_capacity=("no_capacity", "sum"),
        )
    )
    coverage = need_rows.merge(per_pair.reset_index(), on=["area_code", "need"], how="left")
    coverage["capacity"] = coverage["capacity"].fillna(0.0)
    coverage[["services", "services_without_capacity"]] = (
        coverage[["services", "services_without_capacity"]].fillna(0).astype(int)
    )
    estimated = coverage["estimated"]
    positive = estimated > 0
    coverage["ratio"] = (coverage["capacity"] / estimated.where(positive)).where(positive)
    rag = np.select(
        [
            coverage["status"] != "assessed",
            ~positive.fillna(False),
            coverage["services"] == 0,
            coverage["ratio"] < red,
            coverage["ratio"] < amber,
        ],
        ["not assessed", "no recorded demand", "red", "red", "amber"],
        default="green",
    )
    coverage["rag"] = rag
    coverage["rag_words"] = coverage["rag"].map(RAG_WORDS)
    coverage = coverage[COVERAGE_COLUMNS].sort_values(["need", "area_code"], ignore_index=True)
    key = coverage[(coverage["status"] == "assessed") & (coverage["estimated"] > 0)]
    key = key.set_index(["area_code", "need"])

    # the services covering each assessed (area, need), sorted by name for stable output
    covered = (
        shares[["service_id", "area_code", "need"]]
        .assign(name=shares["service_id"].map(services["name"]))
        .sort_values(["area_code", "need", "name", "service_id"])
    )
    covered = covered[covered.set_index(["area_code", "need"]).index.isin(key.index)]
    covering = _group_lists(covered, ["area_code", "need"], "service_id")
    provided = covering.index
    flag_frames: list[pd.DataFrame] = []

    def flags_of(kind: str, severity, index: pd.Index, service_ids, detail="", extra=None):
        frame = pd.DataFrame(index=index)
        frame["flag"] = kind
        frame["severity"] = severity
        frame["service_ids"] = list(service_ids)
        frame["detail"] = detail
        frame["extra"] = list(extra) if extra is not None else [{}] * len(frame)
        flag_frames.append(frame)

    # --- no_provision / under_provision ----------------------------------------------------------
    none = key.index[key["services"] == 0]
    flags_of("no_provision", "high", none, [()] * len(none))
    under = key[(key["services"] > 0) & (key["ratio"] < amber)]
    flags_of(
        "under_provision",
        np.where(under["ratio"] < red, "high", "medium"),
        under.index,
        covering.reindex(under.index),
        detail=[
            f"{m} service(s) with no capacity recorded" if m else ""
            for m in under["services_without_capacity"]
        ],
        extra=[{"count": int(c)} for c in under["services"]],
    )

    # --- stages ----------------------------------------------------------------------------------
    stage_terms = terms.loc[terms["kind"] == "stage", ["service_id", "value"]].rename(
        columns={"value": "stage"}
    )
    staged = covered.merge(stage_terms, on="service_id")
    all_stage = (
        shares[["service_id", "area_code", "need"]]
        .merge(stage_terms, on="service_id")
        .assign(name=lambda f: f["service_id"].map(services["name"]))
        .sort_values(["area_code", "need", "stage", "name", "service_id"])
    )
    stage_ids = _group_lists(all_stage, ["area_code", "need", "stage"], "service_id")
    stage_all = pd.DataFrame(
        {
            "services": [len(v) for v in stage_ids],
            "service_names": [join_names([names[i] for i in v]) for v in stage_ids],
            "service_ids": ["; ".join(v) for v in stage_ids],
        },
        index=stage_ids.index,
    )
    grid = pd.MultiIndex.from_product(
        [coverage["area_code"].unique(), list(assumptions.needs), list(STAGES)],
        names=["area_code", "need", "stage"],
    )
    stages = stage_all.reindex(grid).reset_index()
    stages["services"] = stages["services"].fillna(0).astype(int)
    for column in ("service_names", "service_ids"):
        stages[column] = stages[column].astype(object).where(stages[column].notna(), "")
    required = {(n, s) for n, spec in assumptions.needs.items() for s in spec.required_stages}
    stages["required"] = [
        (n, s) in required for n, s in zip(stages["need"], stages["stage"], strict=True)
    ]
    stages.insert(1, "area_name", stages["area_code"].map(area_names))
    stages = stages[
        [
            "area_code",
            "area_name",
            "need",
            "stage",
            "required",
            "services",
            "service_names",
            "service_ids",
        ]
    ]
    req = pd.DataFrame(sorted(required), columns=["need", "stage"])
    want = pd.DataFrame(list(provided), columns=["area_code", "need"]).merge(req, on="need")
    have = staged[["area_code", "need", "stage"]].drop_duplicates()
    missing = want.merge(have, how="left", indicator=True)
    missing = missing[missing["_merge"] == "left_only"]
    missing["order"] = missing["stage"].map(STAGES.index)
    lists = (
        missing.sort_values("order").groupby(["area_code", "need"], sort=False)["stage"].agg(list)
    )
    flags_of(
        "stage_gap",
        ["high" if {"immediate", "before_report"} & set(v) else "medium" for v in lists],
        lists.index,
        covering.reindex(lists.index),
        detail=[", ".join(v) for v in lists],
        extra=[{"stages": v} for v in lists],
    )

    # --- specialist_gap --------------------------------------------------------------------------
    reqs = [(n, r) for n, spec in assumptions.needs.items() for r in spec.required_specialist]
    if reqs:
        satisfied = []
        for kind in ("specialism", "age_group"):
            rows = terms.loc[terms["kind"] == kind, ["service_id", "value"]]
            satisfied.append(
                rows.assign(requirement=kind + ":" + rows["value"])[["service_id", "requirement"]]
            )
        satisfied.append(
            pd.DataFrame(
                {
                    "service_id": services.index,
                    "requirement": "service_type:" + services["service_type"].astype(str),
                }
            )
        )
        satisfied = pd.concat(satisfied, ignore_index=True)
        req_frame = pd.DataFrame(reqs, columns=["need", "requirement"])
        want = pd.DataFrame(list(provided), columns=["area_code", "need"]).merge(
            req_frame, on="need"
        )
        have = (
            covered[["service_id", "area_code", "need"]]
            .merge(satisfied, on="service_id")[["area_code", "need", "requirement"]]
            .drop_duplicates()
        )
        missing = want.merge(have, how="left", indicator=True)
        missing = missing[missing["_merge"] == "left_only"]
        order = {r: i for i, (_, r) in enumerate(reqs)}
        missing = missing.assign(order=missing["requirement"].map(order)).sort_values("order")
        lists = missing.groupby(["area_code", "need"], sort=False)["requirement"].agg(list)
        flags_of(
            "specialist_gap",
            "medium",
            lists.index,
            covering.reindex(lists.index),
            detail=[", ".join(v) for v in lists],
            extra=[{"missing": v} for v in lists],
        )

    # --- no_report_route_gap ---------------------------------------------------------------------
    needing = [n for n, spec in assumptions.needs.items() if spec.no_report_route_required]
    route = covered[covered["need"].isin(needing)].assign(
        open=lambda f: (
            f["service_id"].map(services["without_police_report"]).fillna(False).astype(bool)
        )
    )
    any_open = route.groupby(["area_code", "need"], sort=False)["open"].any()
    closed = any_open.index[~any_open.to_numpy()]
    flags_of(
        "no_report_route_gap",
        "high",
        closed,
        covering.reindex(closed),
        extra=[{"count": len(covering[k])} for k in closed],
    )

    # --- duplication / overlap -------------------------------------------------------------------
    commissioned = _commissioned(tables.contracts)
    stage_bits = _bitmask(terms, "stage", STAGES)
    age_bits = _bitmask(terms, "age_group", ["children", "young_people", "adults", "older_people"])
    cand = covered[covered["service_id"].isin(commissioned)][["service_id", "area_code", "need"]]
    cand = cand.assign(service_type=cand["service_id"].map(services["service_type"]))
    both = cand.merge(cand, on=["area_code", "need", "service_type"], suffixes=("_a", "_b"))
    both = both[both["service_id_a"] < both["service_id_b"]]
    if not both.empty:
        sa, sb = both["service_id_a"], both["service_id_b"]
        ga, gb = sa.map(services["gender"]).fillna("any"), sb.map(services["gender"]).fillna("any")
        gender_ok = ~(
            ((ga == "women_only") & (gb == "men_only"))
            | ((ga == "men_only") & (gb == "women_only"))
        )
        aa = sa.map(age_bits).fillna(0).astype(np.int64)
        ab = sb.map(age_bits).fillna(0).astype(np.int64)
        age_ok = (aa == 0) | (ab == 0) | ((aa & ab) != 0)
        shared = sa.map(stage_bits).fillna(0).astype(np.int64) & sb.map(stage_bits).fillna(
            0
        ).astype(np.int64)
        # assign before filtering: pandas gives an empty frame the index of an assigned Series
        both = both.assign(shared=shared)[gender_ok & age_ok & (shared != 0)]
        ratio = key["ratio"].reindex(pd.MultiIndex.from_frame(both[["area_code", "need"]]))
        both = both.assign(ratio=ratio.to_numpy())
        over = t["over_provision"].value
        for kind, part in (
            ("duplication", both[both["ratio"] > over]),
            ("overlap", both[~(both["ratio"] > over)]),
        ):
            stages_shared = [
                [s for i, s in enumerate(STAGES) if bits >> i & 1] for bits in part["shared"]
            ]
            ids = [
                tuple(sorted((a, b), key=lambda i: (names[i], i)))
                for a, b in zip(part["service_id_a"], part["service_id_b"], strict=True)
            ]
            flags_of(
                kind,
                "medium" if kind == "duplication" else "info",
                pd.MultiIndex.from_frame(part[["area_code", "need"]]),
                ids,
                detail=[", ".join(v) for v in stages_shared],
                extra=[
                    {"stages": v, "service_type": st}
                    for v, st in zip(stages_shared, part["service_type"], strict=True)
                ],
            )

    # --- continuity_risk -------------------------------------------------------------------------
    window_end = _months_after(as_of, t["contract_end_window_months"].value)
    ends = pd.to_datetime(tables.contracts["end_date"], errors="coerce")
    contracts = tables.contracts.assign(end=ends)
    live = contracts[contracts["end"].isna() | (contracts["end"] >= pd.Timestamp(as_of))]
    live = live.assign(ending=live["end"].notna() & (live["end"] <= pd.Timestamp(window_end)))
    per_service = live.groupby("service_id").agg(
        all_ending=("ending", "all"), first_end=("end", "min")
    )
    at_risk = per_service.index[per_service["all_ending"]]
    cont = shares[shares.set_index(["area_code", "need"]).index.isin(provided)][
        ["service_id", "area_code", "need", "capacity_share"]
    ]
    cont = cont.assign(
        org=cont["service_id"].map(services["organisation_id"]),
        risk=cont["service_id"].isin(at_risk),
        end=pd.to_datetime(cont["service_id"].map(per_service["first_end"].to_dict())),
    )
    cont["risk_capacity"] = cont["capacity_share"].where(cont["risk"], 0.0)
    cont["risk_end"] = cont["end"].where(cont["risk"])
    groups = cont.groupby(["area_code", "need"], sort=False).agg(
        providers=("org", "nunique"),
        capacity=("capacity_share", "sum"),
        risk_capacity=("risk_capacity", "sum"),
        risky=("risk", "sum"),
        n=("service_id", "size"),
        ends_by=("risk_end", "min"),
        first_org=("org", "first"),
    )
    share_ending = (
        groups["risk_capacity"] / groups["capacity"].where(groups["capacity"] > 0)
    ).fillna((groups["risky"] == groups["n"]).astype(float))
    single = groups["providers"] == 1
    ending_flag = (groups["risky"] > 0) & ((share_ending >= 0.5) | (groups["risky"] == groups["n"]))
    hit = groups[single | ending_flag]
    if not hit.empty:
        at_risk_set = set(at_risk)
        org_name = services.drop_duplicates("organisation_id").set_index("organisation_id")[
            "organisation_name"
        ]
        reasons = [
            [r for r, on in (("single_provider", s), ("contracts_ending", e)) if on]
            for s, e in zip(single[hit.index], ending_flag[hit.index], strict=True)
        ]
        ids = [
            tuple(i for i in covering[k] if i in at_risk_set) or covering[k]
            if "contracts_ending" in r
            else covering[k]
            for k, r in zip(hit.index, reasons, strict=True)
        ]
        shares_end = share_ending[hit.index]
        severity = [
            "high" if len(r) == 2 or (("contracts_ending" in r) and se >= 0.999) else "medium"
            for r, se in zip(reasons, shares_end, strict=True)
        ]
        flags_of(
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
                    "provider": org_name.get(o) if "single_provider" in r else None,
                }
                for r, se, e, o in zip(
                    reasons, shares_end, hit["ends_by"], hit["first_org"], strict=True
                )
            ],
        )

    # --- access ----------------------------------------------------------------------------------
    access, access_lsoa = _access(
        small_areas,
        site_points,
        tables,
        shares,
        coverage,
        radius_m=t["access_distance_km"].value * 1000,
    )
    if not access.empty:
        acc = access.set_index(["area_code", "need"])["share_beyond"].reindex(provided)
        gap = acc[acc > t["access_gap_share"].value]
        flags_of(
            "access_gap",
            np.where(gap > 0.5, "high", "medium"),
            gap.index,
            covering.reindex(gap.index),
            detail=[f"{v:.0%} beyond {t['access_distance_km'].value:g} km" for v in gap],
            extra=[{"share": v, "distance_km": t["access_distance_km"].value} for v in gap],
        )

    flag_table = _flag_table(flag_frames, key, area_names, names, assumptions)
    return CoverageResult(
        coverage=coverage,
        flags=flag_table,
        stages=stages,
        shares=shares.sort_values(["service_id", "area_code", "need"], ignore_index=True),
        access=access,
        access_small_areas=access_lsoa,
        benchmarks=_benchmarks(tables, shares, need_rows, assumptions),
        data_quality=_data_quality(
            tables, as_of, t["stale_after_months"].value, vocab_keys, set(area_names), site_points
        ),
        method=METHOD(assumptions),
    )


def join_names_series(values: pd.Series) -> str:
    return join_names(list(values))


def _flag_table(frames, key, area_names, names, assumptions) -> pd.DataFrame:
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame(columns=FLAG_COLUMNS)
    flags = pd.concat(frames)
    flags.index = pd.MultiIndex.from_tuples(list(flags.index), names=["area_code", "need"])
    numbers = key[["estimated", "capacity", "ratio"]].reset_index()
    flags = flags.reset_index().merge(numbers, on=["area_code", "need"], how="left")
    flags["area_name"] = flags["area_code"].map(area_names)
    flags["services"] = [join_names([names[i] for i in ids]) for ids in flags["service_ids"]]
    flags["sentence"] = [
        sentence(row, assumptions.needs[row["need"]], **row["extra"])
        for row in flags.to_dict("records")
    ]
    flags["service_ids"] = ["; ".join(ids) for ids in flags["service_ids"]]
    flags["_order"] = flags["severity"].map(SEVERITY_ORDER)
    flags["_kind"] = flags["flag"].map(FLAG_KINDS.index)
    flags = flags.sort_values(
        ["_order", "_kind", "need", "area_code", "service_ids"], ignore_index=True
    )
    return flags[FLAG_COLUMNS]


def _eligibility_overlaps(gender_a, gender_b, ages_a: set, ages_b: set) -> bool:
    genders = {gender_a or "any", gender_b or "any"}
    if genders == {"women_only", "men_only"}:
        return False
    return not ages_a or not ages_b or bool(ages_a & ages_b)


def _access(small_areas, site_points, tables, shares, coverage, *, radius_m):
    columns = [
        "area_code",
        "need",
        "population",
        "share_beyond",
        "two_sfca_per_1000",
        "median_nearest_km",
    ]
    if small_areas is None or site_points is None:
        return pd.DataFrame(columns=columns), pd.DataFrame()
    face = set(
        tables.terms.loc[
            (tables.terms["kind"] == "channel") & (tables.terms["value"] == "face_to_face"),
            "service_id",
        ]
    )
    sites = tables.sites[tables.sites["service_id"].isin(face)]
    sites = sites.merge(site_points[["site_id", "x", "y"]], left_on="id", right_on="site_id")
    per_need = shares.groupby(["service_id", "need"], as_index=False)["capacity_share"].sum()
    n_sites = sites.groupby("service_id")["id"].nunique()
    rows = sites.merge(per_need, on="service_id")
    rows["supply"] = rows["capacity_share"] / rows["service_id"].map(n_sites)
    rows = rows[["service_id", "site_id", "x", "y", "need", "supply"]]
    assessed = coverage[coverage["status"] == "assessed"]
    cover = shares[["service_id", "need", "area_code"]]
    return access_tables(small_areas, rows, cover, assessed, radius_m=radius_m)


def _benchmarks(tables, shares, need_rows, assumptions) -> pd.DataFrame:
    """Provision against the benchmarks of BRIEF §3.5, beside the demand-based ratio."""
    b = assumptions.benchmarks
    services = tables.services.set_index("service_id")
    accredited = set(
        tables.terms.loc[
            (tables.terms["kind"] == "accreditation")
            & (tables.terms["value"] == "rape_crisis_nss"),
            "service_id",
        ]
    )
    base = need_rows.drop_duplicates("area_code").set_index("area_code")[
        ["area_name", "population", "women_16plus"]
    ]
    area_pairs = shares[["service_id", "area_code"]].drop_duplicates()
    rows = []

    def apportioned(ids: set[str], weight: str) -> pd.Series:
        """Each service counted once, split over its areas by population (or women)."""
        chosen = area_pairs[area_pairs["service_id"].isin(ids)].copy()
        chosen["w"] = chosen["area_code"].map(base[weight]).astype(float).fillna(0.0)
        total = chosen.groupby("service_id")["w"].transform("sum")
        chosen["part"] = chosen["w"] / total.where(total > 0, np.nan)
        return chosen.groupby("area_code")["part"].sum()

    refuge_ids = set(services.index[services["service_type"] == "refuge"])
    refuge_shares = shares[
        shares["service_id"].isin(refuge_ids) & (shares["need"] == "domestic_abuse")
    ]
    places = refuge_shares.drop_duplicates(["service_id", "area_code"]).assign(
        places=lambda f: f["service_id"].map(services["places"]).astype(float)
    )
    n_areas = places.groupby("service_id")["area_code"].transform("size")
    places_by_area = (places["places"] / n_areas).groupby(places["area_code"]).sum(min_count=1)
    rc = apportioned(accredited, "women_16plus")
    sarc = apportioned(set(services.index[services["service_type"] == "sarc"]), "women_16plus")
    helplines = set(services.index[services["service_type"] == "helpline"])
    da_helplines = (
        shares[shares["service_id"].isin(helplines) & (shares["need"] == "domestic_abuse")]
        .groupby("area_code")["service_id"]
        .nunique()
    )
    idva_ids = set(services.index[services["service_type"] == "idva"])
    idva = shares[shares["service_id"].isin(idva_ids) & (shares["need"] == "domestic_abuse")]
    idva = idva[idva["service_id"].map(services["staff_fte"]).notna()]
    idva = idva.assign(
        fte=idva["service_id"].map(services["staff_fte"]).astype(float),
        cap=idva["service_id"].map(services["capacity_per_year"]).astype(float),
    )
    idva["fte_share"] = idva["fte"] * idva["capacity_share"] / idva["cap"].where(idva["cap"] > 0)
    idva_by_area = idva.groupby("area_code")[["fte_share", "capacity_share"]].sum(min_count=1)
    for area, row in base.iterrows():

        def put(key, need, required, provided, note, area=area, row=row):
            if key not in b:
                return
            ratio = (
                provided / required
                if required and provided is not None and not np.isnan(provided)
                else np.nan
            )
            rows.append(
                {
                    "area_code": area,
                    "area_name": row["area_name"],
                    "need": need,
                    "benchmark": key,
                    "unit": b[key].unit,
                    "standard": b[key].value,
                    "required": required,
                    "provided": provided,
                    "ratio": ratio,
                    "note": note,
                    "source": b[key].source,
                }
            )

        pop, women = row["population"], row["women_16plus"]
        value = places_by_area.get(area, np.nan)
        put(
            "refuge_family_places_per_10000_population",
            "domestic_abuse",
            pop / 10_000 * b["refuge_family_places_per_10000_population"].value
            if "refuge_family_places_per_10000_population" in b
            else np.nan,
            value if not np.isnan(value) else 0.0,
            "family places of refuge services covering the area (split equally over a refuge's "
            "areas)" + ("" if not np.isnan(value) else "; no refuge places recorded"),
        )
        if "rape_crisis_centres_per_200000_women" in b:
            put(
                "rape_crisis_centres_per_200000_women",
                "sexual_violence",
                women / 200_000 * b["rape_crisis_centres_per_200000_women"].value,
                float(rc.get(area, 0.0)),
                "Rape Crisis-accredited services, each counted once and split over its areas by "
                "women aged 16+",
            )
        if "sarcs_per_400000_women" in b:
            put(
                "sarcs_per_400000_women",
                "sexual_violence",
                women / 400_000 * b["sarcs_per_400000_women"].value,
                float(sarc.get(area, 0.0)),
                "sexual assault referral centres, split over their areas by women aged 16+",
            )
        if "national_helplines_24_7" in b:
            put(
                "national_helplines_24_7",
                "domestic_abuse",
                b["national_helplines_24_7"].value,
                float(da_helplines.get(area, 0)),
                "domestic abuse helplines covering the area (24/7 and free not checked)",
            )
        if "idva_caseload_high" in b and area in idva_by_area.index:
            fte = idva_by_area.at[area, "fte_share"]
            cases = idva_by_area.at[area, "capacity_share"]
            caseload = cases / fte if fte and not np.isnan(fte) and fte > 0 else np.nan
            put(
                "idva_caseload_high",
                "domestic_abuse",
                b["idva_caseload_high"].value,
                caseload,
                f"cases a year per full-time IDVA ({cases:,.0f} cases, {fte:,.1f} FTE); "
                "a ratio above 1 means caseloads above the safe range",
            )
    return pd.DataFrame(
        sorted(rows, key=lambda r: (r["area_code"], r["benchmark"])),
        columns=[
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
        ],
    )


def _data_quality(tables, as_of, stale_months, vocab_keys, area_codes, site_points) -> pd.DataFrame:
    """Records to fix: no capacity, stale, contracts ended or open-ended, unknown values,
    face-to-face services with no located site."""
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
        cutoff = pd.Timestamp(_months_after(as_of, -stale_months), tz="UTC")
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
    contracts = tables.contracts
    ends = pd.to_datetime(contracts["end_date"], errors="coerce")
    label = contracts["reference"].fillna(contracts["id"])
    ended = ends < pd.Timestamp(as_of)
    issue(
        contracts.loc[ended, "service_id"],
        "contract_ended",
        [
            f"contract {r} ended on {e.date().isoformat()}"
            for r, e in zip(label[ended], ends[ended], strict=True)
        ],
    )
    open_ended = (contracts["funding_status"] == "commissioned") & ends.isna()
    issue(
        contracts.loc[open_ended, "service_id"],
        "no_end_date",
        [f"commissioned contract {r} has no end date" for r in label[open_ended]],
    )
    if vocab_keys:
        terms = tables.terms
        allowed = terms["kind"].map(lambda k: vocab_keys.get(k))
        unknown = [
            a is not None and v not in a for a, v in zip(allowed, terms["value"], strict=True)
        ]
        bad = terms[unknown]
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
    out = pd.concat([p for p in parts if len(p)] or [parts[0]], ignore_index=True)
    return out.sort_values(["issue", "service", "service_id"], ignore_index=True)
