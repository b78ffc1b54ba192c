"""The joint needs assessment's tables (Victims and Prisoners Act 2024, ss. 13-15) and its
consultation log, read back from last year's pack or a CSV. Pure: the analysis in, tables in
words out."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from planner.analysis import Analysis
from planner.coverage.ranking import tier_summary
from planner.datasets import PlannerData
from planner.errors import PlannerError
from planner.packs import (
    ACCOMMODATION_TIERS,
    ACT_NEEDS,
    CONSULTATION_COLUMNS,
    CONSULTATION_WHO,
    PROTECTED,
    UNDER_18,
    Pack,
    has_term,
    service_facts,
)
from planner.words import Labels


def needs_assessment(
    analysis: Analysis,
    data: PlannerData,
    words: Labels,
    *,
    consultation: pd.DataFrame | None = None,
    review: dt.date,
) -> Pack:
    """The joint needs assessment's tables: needs per tier (non-accommodation support),
    provision found whether or not commissioned, unmet need per area and tier, under-18 and
    protected-characteristic provision, and the consultation log."""
    a = data.assumptions
    cov = analysis.result.coverage
    cov = cov[~cov["tier"].isin(ACCOMMODATION_TIERS)]
    scope = {n: ACT_NEEDS.get(n, "beyond the duty: assessed alongside") for n in a.needs}
    tiers = tier_summary(cov, a)
    tiers = tiers[~tiers["tier"].isin(ACCOMMODATION_TIERS)]
    needs_t = pd.DataFrame(
        {
            "need": tiers["need"].map(words.lists["needs"]),
            "the Act's words": tiers["need"].map(scope),
            "tier": [
                a.needs[n].tier_specs[t].label
                for n, t in zip(tiers["need"], tiers["tier"], strict=True)
            ],
            "unit": [
                a.needs[n].tier_specs[t].unit
                for n, t in zip(tiers["need"], tiers["tier"], strict=True)
            ],
            "estimated need": tiers["demand"],
            "estimated need, low end": tiers["demand_low"],
            "estimated need, high end": tiers["demand_high"],
            "capacity": tiers["capacity"],
            "coverage (%)": tiers["ratio"],
            "unmet need": (tiers["demand"] - tiers["capacity"]).clip(lower=0),
            "areas red": tiers["red"],
            "areas amber": tiers["amber"],
            "areas green": tiers["green"],
        }
    ).reset_index(drop=True)
    unmet = cov[cov["unmet"].fillna(0) > 0]
    unmet_t = pd.DataFrame(
        {
            "area code": unmet["area_code"],
            "area": unmet["area_name"],
            "need": unmet["need"].map(words.lists["needs"]),
            "tier": unmet["tier_label"],
            "unit": unmet["unit"],
            "estimated need": unmet["estimated"],
            "capacity": unmet["capacity"],
            "unmet need": unmet["unmet"],
            "unmet need (people or families a year)": unmet["unmet_people"],
            "status": unmet["rag_words"],
        }
    ).reset_index(drop=True)
    facts = service_facts(analysis, data)
    facts = facts[facts["service_type"].map(lambda t: t != "refuge")]
    names = {x.code: x.name for x in data.area_set.areas}
    everywhere = set(names)

    def funded(row) -> str:
        if "commissioned" in row["funding"]:
            who = ", ".join(row["commissioners"])
            return "Commissioned" + (f" by {who}" if who else "")
        if row["funding"]:
            return "; ".join(words.of("funding_statuses", f) for f in sorted(row["funding"]))
        return "No contract or grant recorded"

    provision = pd.DataFrame(
        [
            {
                "service": r["name"],
                "provider": r["provider"],
                "type": words.of("service_types", r["service_type"]),
                "needs": words.many("needs", sorted(r["needs"]), "; "),
                "areas": f"all of {data.area_set.name}"
                if r["areas"] >= everywhere
                else ", ".join(sorted(names[c] for c in r["areas"] if c in names)),
                "capacity (people a year)": r["capacity"],
                "how it is funded": funded(r),
                "commissioned by a relevant authority": "yes"
                if "commissioned" in r["funding"]
                else "no",
            }
            for r in facts.sort_values("name").to_dict("records")
        ]
    )
    under_18, protected = [], []
    for need, spec in a.needs.items():
        serving = facts[[need in n for n in facts["needs"]]]
        young = serving[
            [
                bool(r["age_groups"] & set(UNDER_18))
                or r["service_type"] == "children_young_people"
                for r in serving.to_dict("records")
            ]
        ]
        under_18.append(
            _coverage_row(spec.label, "Under 18 (children and young people)", young, names)
        )
        for label, kind, keys in PROTECTED:
            chosen = serving[[has_term(r, kind, keys) for r in serving.to_dict("records")]]
            protected.append(_coverage_row(spec.label, label, chosen, names))
    under_t = pd.DataFrame(under_18)
    protected_t = pd.DataFrame(protected)
    log = consultation_log(consultation, analysis)
    in_scope = needs_t[needs_t["the Act's words"].str.startswith("s.")]
    findings = []
    for need_label, group in in_scope.groupby("need", sort=False):
        worst = group.sort_values("coverage (%)").iloc[0]
        unmet_total = group["unmet need"].sum()
        tiers_n = f"{len(group)} tier{'s' if len(group) != 1 else ''}"
        if unmet_total > 0:
            findings.append(
                f"{need_label}: {unmet_total:,.0f} estimated people or families a year beyond "
                f"capacity across {tiers_n}; the furthest behind is {worst['tier']} at "
                f"{worst['coverage (%)']:.0%} coverage."
            )
        else:
            findings.append(
                f"{need_label}: recorded capacity is at or above the estimated need in its "
                f"{tiers_n} across {data.area_set.name} (lowest: {worst['tier']} at "
                f"{worst['coverage (%)']:.0%}); areas may still differ (see Unmet need)."
            )
    no_young = under_t[under_t["areas without (count)"] > 0]
    for r in no_young.itertuples(index=False):
        if r[0] in set(in_scope["need"]):
            findings.append(
                f"{r[0]}: {r[4]} of {len(names)} areas have no service recorded for under-18s."
            )
    missing = protected_t[
        (protected_t["services (count)"] == 0) & protected_t["need"].isin(set(in_scope["need"]))
    ]
    if len(missing):
        findings.append(
            "No service recorded for: "
            + "; ".join(f"{r[1]} ({r[0]})" for r in missing.itertuples(index=False))
            + "."
        )
    commissioned = (provision["commissioned by a relevant authority"] == "yes").sum()
    findings.append(
        f"{len(provision)} non-accommodation services found; {commissioned} commissioned by a "
        f"relevant authority and {len(provision) - commissioned} funded otherwise or not recorded."
    )
    heard = (log["date"] != "[x]").sum() if len(log) else 0
    findings.append(
        f"Consultation log: {heard} of {len(log)} entries recorded; the review is due by "
        f"{review.day} {review:%B %Y}."
    )
    return Pack(
        {
            "Needs assessed": needs_t,
            "Unmet need": unmet_t,
            "Provision found": provision,
            "Under 18": under_t,
            "Protected characteristics": protected_t,
            "Consultation log": log,
        },
        findings,
        {"review": review},
    )


def _coverage_row(need: str, group: str, chosen: pd.DataFrame, names: dict[str, str]) -> dict:
    covered = set().union(*chosen["areas"]) if len(chosen) else set()
    without = sorted(names[c] for c in set(names) - covered)
    return {
        "need": need,
        "group of victims": group,
        "services (count)": len(chosen),
        "areas served (count)": len(covered & set(names)),
        "areas without (count)": len(without),
        "areas without": ", ".join(without) or "none",
        "services": "; ".join(sorted(chosen["name"])) or "none",
    }


def consultation_log(entries: pd.DataFrame | None, analysis: Analysis) -> pd.DataFrame:
    """The consultation log: the entries given (from the last pack or a CSV), then a row to
    fill for every provider organisation not yet heard and one for victims' views (s.14(2))."""
    log = (
        entries[CONSULTATION_COLUMNS].copy()
        if entries is not None and len(entries)
        else pd.DataFrame(columns=CONSULTATION_COLUMNS)
    )
    heard = set(log["organisation or group"].astype(str).str.casefold())
    todo = []
    if not (log["who was heard"] == "Victims' views").any():
        todo.append(("Victims' views", "Victims in the police area (s.14(2)(a))"))
    for org in sorted(set(analysis.tables.services["organisation_name"])):
        if org.casefold() not in heard:
            todo.append(("Provider", org))
    for who, org in todo:
        log.loc[len(log)] = ["[x]", who, org, "to be consulted", "[x]", "[x]"]
    return log.reset_index(drop=True)


MAX_LOG_ROWS = 5_000
MAX_LOG_TEXT = 5_000


class ConsultationError(PlannerError):
    """A consultation log that cannot be read: each problem names its row and field."""


def read_consultation(content: bytes, *, filename: str = "consultation") -> pd.DataFrame:
    """Consultation entries from a CSV, or from a previous pack's Consultation log sheet
    (.xlsx). Rows still waiting ("to be consulted" with no date) are left out: the pack adds
    them again. Raises :class:`ConsultationError` naming every bad row and field."""
    import io

    if filename.lower().endswith(".xlsx"):
        rows = _xlsx_rows(content, filename)
    else:
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ConsultationError(
                f"{filename} is not UTF-8 text (byte {exc.start}); save it as CSV UTF-8."
            ) from None
        import csv

        reader = csv.reader(io.StringIO(text))
        rows = [(n, r) for n, r in enumerate(reader, start=1)]
    if not rows:
        raise ConsultationError(
            f"{filename} is empty: it needs a header row ({', '.join(CONSULTATION_COLUMNS)})."
        )
    header_at, header = rows[0]
    header = [str(h or "").strip().casefold() for h in header]
    missing = [c for c in CONSULTATION_COLUMNS if c not in header]
    if missing:
        raise ConsultationError(
            f"{filename} row {header_at}: column(s) missing: {', '.join(missing)} (the header "
            f"must read: {', '.join(CONSULTATION_COLUMNS)})."
        )
    if len(rows) - 1 > MAX_LOG_ROWS:
        raise ConsultationError(f"{filename} has more than {MAX_LOG_ROWS:,} entries.")
    problems, out = [], []
    for number, cells in rows[1:]:
        record = {
            c: (cells[header.index(c)] if header.index(c) < len(cells) else None)
            for c in CONSULTATION_COLUMNS
        }
        record = {k: ("" if v is None else v) for k, v in record.items()}
        if not _waiting(record):
            out.append(_checked_entry(record, f"{filename} row {number}", problems))
    if problems:
        raise ConsultationError(
            f"{filename}: {len(problems)} problem(s); nothing was read:\n"
            + "\n".join(f"  - {p}" for p in problems[:50])
        )
    return pd.DataFrame(out, columns=CONSULTATION_COLUMNS)


def _waiting(record: dict) -> bool:
    """A row the pack wrote for someone not yet heard (or an empty row): left out."""
    how = str(record["how"]).strip()
    blank = all(str(record[k]).strip() in ("", "[x]") for k in ("date", "what they said"))
    return (how in ("", "to be consulted") and blank) or all(
        str(v).strip() in ("", "[x]") for v in record.values()
    )


def _checked_entry(record: dict, where: str, problems: list[str]) -> dict:
    """One entry with its date as ISO text and its fields checked; problems appended."""
    date = record["date"]
    if isinstance(date, dt.datetime):
        date = date.date()
    if isinstance(date, dt.date):
        record["date"] = date.isoformat()
    elif str(date).strip() in ("", "[x]"):
        problems.append(f"{where}, date: missing; write the date of the meeting or reply")
    else:
        try:
            record["date"] = dt.date.fromisoformat(str(date).strip()).isoformat()
        except ValueError:
            problems.append(f"{where}, date: {str(date)[:40]!r} is not a date like 2026-05-01")
    who = str(record["who was heard"]).strip()
    match = [w for w in CONSULTATION_WHO if w.casefold() == who.casefold()]
    if match:
        record["who was heard"] = match[0]
    else:
        problems.append(
            f"{where}, who was heard: {who[:40]!r} must be one of {', '.join(CONSULTATION_WHO)}"
        )
    for key in CONSULTATION_COLUMNS[2:]:
        value = str(record[key]).strip()
        if len(value) > MAX_LOG_TEXT:
            problems.append(f"{where}, {key}: {len(value):,} characters; at most {MAX_LOG_TEXT:,}")
        record[key] = value or "[x]"
    if record["organisation or group"] == "[x]":
        problems.append(f"{where}, organisation or group: missing")
    return record


def _xlsx_rows(content: bytes, filename: str) -> list[tuple[int, list]]:
    import io
    import zipfile

    import openpyxl

    from planner.registry.workbook import check_upload

    check_upload(content, filename=filename)
    try:
        wb = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise ConsultationError(f"{filename} cannot be read as a workbook: {exc}") from None
    if "Consultation log" not in wb.sheetnames:
        raise ConsultationError(
            f"{filename} has no 'Consultation log' sheet: give last year's needs assessment "
            "pack, or a CSV with the columns " + ", ".join(CONSULTATION_COLUMNS) + "."
        )
    ws = wb["Consultation log"]
    ws.reset_dimensions()
    rows, started = [], False
    for number, cells in enumerate(
        ws.iter_rows(
            max_col=len(CONSULTATION_COLUMNS) + 2, max_row=MAX_LOG_ROWS + 10, values_only=True
        ),
        start=1,
    ):
        if not started:
            if cells and str(cells[0] or "").strip().casefold() == "date":
                started = True
                rows.append((number, list(cells)))
            continue
        rows.append((number, list(cells)))
    wb.close()
    return rows
