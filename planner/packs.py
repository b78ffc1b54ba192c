"""The statutory packs' tables (BRIEF §5.3), built from the same analysis as the gap workbook:
the joint needs assessment (Victims and Prisoners Act 2024, ss. 13-15), the safe accommodation
needs assessment (Domestic Abuse Act 2021, Part 4) and the Map of Gaps matrix. Pure: the
analysis and the loaded data in, tables in words out (no workbook, no database)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from planner.analysis import Analysis
from planner.datasets import PlannerData
from planner.words import Labels

ACT_NEEDS = {
    "domestic_abuse": "s.13(5)(a) domestic abuse",
    "sexual_violence": "s.13(5)(b) conduct of a sexual nature",
    "homicide": "s.13(5)(c) serious violence (homicide: bereaved families)",
}
"""The needs the Victims and Prisoners Act 2024 names (s.13(5)); the others are assessed
alongside them, marked as beyond the duty."""
ACCOMMODATION_TIERS = ("safe_accommodation",)
"""s.13(5) leaves accommodation-based support out: it is the Domestic Abuse Act's Part 4 pack."""
BY_AND_FOR = "by_and_for_black_minoritised"
KEY_TYPES = (("domestic_abuse", "idva"), ("sexual_violence", "isva"), ("sexual_violence", "sarc"))
"""Support types the Map of Gaps findings name for their violence type."""
UNDER_18 = ("children", "young_people")
PROTECTED = [
    ("Race", "specialism", ("by_and_for_black_minoritised",)),
    ("Disability", "specialism", ("disabled", "deaf_bsl")),
    ("Sexual orientation and gender reassignment", "specialism", ("lgbt_plus",)),
    ("Religion or belief", "specialism", ("faith_specific",)),
    ("Sex (women-only services)", "gender", ("women_only",)),
    ("Sex (men-only services)", "gender", ("men_only",)),
    ("Age (older people)", "age_group", ("older_people",)),
]
"""Protected characteristics (Equality Act 2010, s.4) as the registry can record them."""
SAFE_GROUPS = [
    ("Black and minoritised (by and for)", "specialism", ("by_and_for_black_minoritised",)),
    ("Disabled people", "specialism", ("disabled", "deaf_bsl")),
    ("LGBT+", "specialism", ("lgbt_plus",)),
    ("Children", "age_group", ("children", "young_people")),
    ("No recourse to public funds", "specialism", ("nrpf",)),
]
CONSULTATION_COLUMNS = [
    "date",
    "who was heard",
    "organisation or group",
    "how",
    "what they said",
    "what changed as a result",
]
CONSULTATION_WHO = ("Provider", "Victims' views", "Other")


def service_facts(analysis: Analysis, data: PlannerData) -> pd.DataFrame:
    """One row per approved service: its codes as sets (needs, specialisms, age groups), the
    area codes it covers, capacity, places and how it is funded."""
    t = analysis.tables
    terms = t.terms.groupby(["service_id", "kind"])["value"].agg(set)
    covered = t.areas.groupby("service_id")["area_code"].agg(set)
    every = set(data.area_set.codes)
    funding = t.contracts.groupby("service_id").agg(
        statuses=("funding_status", lambda v: set(v.dropna())),
        commissioners=("commissioner", lambda v: sorted({c for c in v.dropna() if c})),
    )
    rows = []
    for s in t.services.itertuples(index=False):
        f = funding.loc[s.service_id] if s.service_id in funding.index else None
        rows.append(
            {
                "service_id": s.service_id,
                "name": s.name,
                "provider": s.organisation_name,
                "service_type": s.service_type,
                "gender": s.gender,
                "scope": s.scope or "local",
                "needs": terms.get((s.service_id, "need"), set()),
                "specialisms": terms.get((s.service_id, "specialism"), set()),
                "age_groups": terms.get((s.service_id, "age_group"), set()),
                "areas": every if s.all_areas else covered.get(s.service_id, set()),
                "capacity": s.capacity_per_year,
                "places": s.places,
                "funding": set() if f is None else f["statuses"],
                "commissioners": [] if f is None else f["commissioners"],
            }
        )
    return pd.DataFrame(rows)


def has_term(row, kind: str, keys) -> bool:
    if kind == "specialism":
        return bool(row["specialisms"] & set(keys))
    if kind == "age_group":
        return bool(row["age_groups"] & set(keys))
    if kind == "gender":
        return row["gender"] in keys
    return False


@dataclass
class Pack:
    """A pack's tables in words, its headline findings and what the cover says."""

    tables: dict[str, pd.DataFrame]
    findings: list[str]
    extra: dict[str, object] = field(default_factory=dict)


# ---------------------------------------------------------------------- Map of Gaps


def map_of_gaps(analysis: Analysis, data: PlannerData, words: Labels) -> Pack:
    """Per area and violence type (need), which support types are present, whether any is
    by and for Black and minoritised communities, and per violence type and support type the
    count of areas with none (the measure of the 2007 and 2009 Map of Gaps audits). National
    services (a national helpline) are left out: the audits counted the support serving each
    local area, and a national service would make every area look served."""
    facts = service_facts(analysis, data)
    facts = facts[facts["scope"] != "national"]
    types = list(words.lists["service_types"])
    type_words = [words.of("service_types", k) for k in types]
    areas = data.area_set.areas
    total = len(areas)
    long = (
        facts.assign(
            need=facts["needs"].map(sorted),
            area=facts["areas"].map(sorted),
            by_for=[BY_AND_FOR in s for s in facts["specialisms"]],
        )
        .explode("need")
        .explode("area")
        .dropna(subset=["need", "area"])
    )
    present = long.groupby(["need", "area", "service_type"])["by_for"].any()
    matrix, counts, findings = [], [], []
    for need, spec in data.assumptions.needs.items():
        none_of = dict.fromkeys(types, 0)
        by_for_of = dict.fromkeys(types, 0)
        no_support = with_by_for = 0
        for area in areas:
            row = {"area code": area.code, "area": area.name, "violence type": spec.label}
            found = 0
            any_by_for = False
            for kind, label in zip(types, type_words, strict=True):
                by_for = present.get((need, area.code, kind))
                if by_for is None:
                    none_of[kind] += 1
                    row[label] = "None"
                    continue
                found += 1
                any_by_for |= bool(by_for)
                by_for_of[kind] += bool(by_for)
                row[label] = "Yes, including by and for" if by_for else "Yes"
            row["support types present (count)"] = found
            row["by-and-for provision"] = "Yes" if any_by_for else "None"
            no_support += found == 0
            with_by_for += any_by_for
            matrix.append(row)
        counts.append(
            {
                "violence type": spec.label,
                "support type": "Any local or regional support",
                "areas with none (count)": no_support,
                "areas with none (%)": no_support / total,
                "areas with by-and-for provision (count)": with_by_for,
            }
        )
        counts += [
            {
                "violence type": spec.label,
                "support type": label,
                "areas with none (count)": none_of[kind],
                "areas with none (%)": none_of[kind] / total,
                "areas with by-and-for provision (count)": by_for_of[kind],
            }
            for kind, label in zip(types, type_words, strict=True)
        ]
        findings.append(
            f"{spec.label}: {no_support} of {total} areas have no local or regional support; "
            f"{with_by_for} have by-and-for provision for Black and minoritised communities."
        )
    counts_t = pd.DataFrame(counts)
    for need, kind in KEY_TYPES:
        row = counts_t[
            (counts_t["violence type"] == words.of("needs", need))
            & (counts_t["support type"] == words.of("service_types", kind))
        ]
        if len(row):
            n = int(row["areas with none (count)"].iloc[0])
            findings.append(
                f"{words.of('needs', need)}: {n} of {total} areas have no "
                f"{words.of('service_types', kind)}."
            )
    return Pack({"Matrix": pd.DataFrame(matrix), "Areas with none": counts_t}, findings)


# ---------------------------------------------------------------------- Safe accommodation


def safe_accommodation(analysis: Analysis, data: PlannerData, words: Labels) -> Pack:
    """Bedspaces (family places) per area against the Council of Europe standard (the
    assumptions' safe accommodation tier: its rate per residents), places and support by
    specialist group, and the gaps."""
    need, tier = "domestic_abuse", "safe_accommodation"
    spec = data.assumptions.needs[need]
    tier_spec = spec.tier_specs[tier]
    cov = analysis.result.coverage
    rows = cov[(cov["need"] == need) & (cov["tier"] == tier)]
    bedspaces = pd.DataFrame(
        {
            "area code": rows["area_code"],
            "area": rows["area_name"],
            "population (residents)": rows["area_code"].map(
                data.population.set_index("area_code")["population"]
            ),
            "Council of Europe standard (family places)": rows["estimated"],
            "family places recorded": rows["capacity"],
            "shortfall (family places)": (rows["estimated"] - rows["capacity"]).clip(lower=0),
            "places as a share of the standard (%)": rows["ratio"],
            "refuge services (count)": rows["services"],
            "status": rows["rag_words"],
        }
    ).reset_index(drop=True)
    facts = service_facts(analysis, data)
    types = set(tier_spec.service_types)
    refuges = facts[
        [
            need in n and t in types
            for n, t in zip(facts["needs"], facts["service_type"], strict=True)
        ]
    ]
    codes = data.area_set.codes
    groups = []
    groups.append(_group_row("All refuges (any group)", refuges, codes))
    for label, kind, keys in SAFE_GROUPS:
        chosen = refuges[[has_term(r, kind, keys) for r in refuges.to_dict("records")]]
        groups.append(_group_row(label, chosen, codes))
    by_group = pd.DataFrame(groups)
    by_type = pd.DataFrame(
        [
            {
                "bedspace type": words.of("service_types", kind),
                "services (count)": int((refuges["service_type"] == kind).sum()),
                "family places": float(
                    refuges.loc[refuges["service_type"] == kind, "places"].sum()
                ),
            }
            for kind in sorted(types)
        ]
        + [
            {
                "bedspace type": "Women-only accommodation",
                "services (count)": int((refuges["gender"] == "women_only").sum()),
                "family places": float(
                    refuges.loc[refuges["gender"] == "women_only", "places"].sum()
                ),
            }
        ]
    )
    gaps = []
    short = bedspaces[bedspaces["shortfall (family places)"] > 0]
    for r in short.itertuples(index=False):
        gaps.append(
            {
                "area": r[1],
                "gap": "Fewer family places than the Council of Europe standard",
                "shortfall (family places)": r[5],
            }
        )
    for r in by_group.itertuples(index=False):
        if r[1] == 0:
            gaps.append(
                {
                    "area": f"All of {data.area_set.name}",
                    "gap": f"No safe accommodation support recorded for: {r[0]}",
                    "shortfall (family places)": None,
                }
            )
    standard, places = bedspaces.iloc[:, 3].sum(), bedspaces.iloc[:, 4].sum()
    findings = [
        f"{data.area_set.name} has {places:,.0f} family places recorded in refuges against a "
        f"Council of Europe standard of {standard:,.0f} ({places / standard:.0%})."
        if standard
        else "No standard could be computed (no population).",
        f"{len(short)} of {len(bedspaces)} areas are below the standard; "
        f"{int((bedspaces['family places recorded'] == 0).sum())} have no refuge places at all.",
    ]
    missing = [r[0] for r in by_group.itertuples(index=False) if r[1] == 0]
    findings.append(
        "No safe accommodation support is recorded for: " + ", ".join(missing) + "."
        if missing
        else "Every specialist group has some safe accommodation support recorded."
    )
    return Pack(
        {
            "Bedspaces by area": bedspaces,
            "Bedspaces by type": by_type,
            "Support by group": by_group,
            "Gaps": pd.DataFrame(gaps, columns=["area", "gap", "shortfall (family places)"]),
        },
        findings,
        {"standard_source": tier_spec.rate.source},
    )


def _group_row(label: str, chosen: pd.DataFrame, codes) -> dict:
    covered = set().union(*chosen["areas"]) if len(chosen) else set()
    return {
        "specialist group": label,
        "services (count)": len(chosen),
        "family places": float(chosen["places"].fillna(0).sum()),
        "areas served (count)": len(covered & set(codes)),
        "areas without (count)": len(set(codes) - covered),
        "services": "; ".join(sorted(chosen["name"])) or "none",
    }
