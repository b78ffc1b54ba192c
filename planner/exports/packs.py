"""The statutory packs as workbooks (BRIEF §5.3), each with the gap workbook's conventions
(GSS layout, named tables, shorthand, print setup) and a cover that quotes, section by section,
the duties each sheet answers. The joint needs assessment also has a short printable summary
(PDF). Tables come from :mod:`planner.packs`; quotations of the Acts are Crown copyright,
reproduced under the Open Government Licence v3.0."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from planner.analysis import Analysis
from planner.datasets import PlannerData
from planner.exports.duties import DA_DUTIES, MAP_OF_GAPS_SOURCE, VPA_DUTIES
from planner.exports.tables import DATA_VINTAGES, LICENCE, labels_for, produced, when
from planner.exports.xlsx import Sheet, gss_workbook
from planner.needs_assessment import needs_assessment
from planner.packs import Pack, map_of_gaps, safe_accommodation

NUM, NUM1, PCT = "#,##0", "#,##0.0", "0.0%"


def _findings_sheet(pack: Pack, description: str) -> Sheet:
    return Sheet(
        "Summary",
        "Summary of findings",
        pd.DataFrame({"number": range(1, len(pack.findings) + 1), "finding": pack.findings}),
        description,
        wrap=("finding",),
    )


def _duties_sheet(duties) -> Sheet:
    return Sheet(
        "Duties",
        "The duties this pack answers, section by section",
        pd.DataFrame(duties, columns=["section", "what the Act says", "answered in"]),
        "Each section of the Act, its words, and the sheet that answers it.",
        wrap=("what the Act says", "answered in"),
    )


def _cover_head(data: PlannerData, analysis: Analysis) -> list:
    return [
        ("Area set", f"{data.area_set.name} ({len(data.area_set.areas)} areas)"),
        ("Services", f"{len(analysis.tables.services)} approved services on the registry"),
        ("Data vintages", DATA_VINTAGES),
    ]


def _cover_tail(contact: str, generated: dt.datetime) -> list:
    return [
        ("Contact", contact),
        ("Produced", f"{when(generated)} by the Victim Services Commissioning Planner"),
        ("Licence", LICENCE + " Quotations of Acts of Parliament: Crown copyright, OGL v3.0."),
    ]


def _warning(analysis: Analysis) -> str | None:
    if not analysis.demo:
        return None
    return (
        "DEMONSTRATION DATA. The services in this pack come from a fictional demonstration "
        "registry: do not publish or use the findings. Demand figures are real."
    )


def _workbook(title: str, analysis: Analysis, cover: list, notes: list, sheets: list) -> bytes:
    """A pack's workbook: its cover, notes and tables, with the demonstration warning when the
    registry is the fictional one."""
    return gss_workbook(
        title=title, cover=cover, notes=notes, sheets=sheets, warning=_warning(analysis)
    )


def needs_assessment_pack(
    analysis: Analysis,
    data: PlannerData,
    *,
    consultation: pd.DataFrame | None = None,
    review: dt.date | None = None,
    contact: str = "The commissioning team (set a contact in the export)",
    generated: dt.datetime | None = None,
) -> tuple[bytes, Pack]:
    """The joint needs assessment workbook (Victims and Prisoners Act 2024, ss. 13-15)."""
    generated = produced(generated)
    review = review or generated.date().replace(year=generated.year + 1)
    words = labels_for(data)
    pack = needs_assessment(analysis, data, words, consultation=consultation, review=review)
    t = pack.tables
    authorities = data.area_set.relevant_authorities or (
        f"The local policing body, local authorities and integrated care boards of the "
        f"{data.area_set.police_force} area"
    )
    cover = [
        (
            "What this is",
            "A joint assessment of the needs of victims for support other than safe "
            "accommodation, and of how far the services available meet them. It follows the "
            "text of the Victims and Prisoners Act 2024, sections 13 to 15: those sections were "
            "not in force and no template had been published when this pack was written.",
        ),
        ("Relevant authorities (s.13(3))", authorities),
        *_cover_head(data, analysis),
        ("Review date (s.14(5))", when(review)),
        *[(f"{s} of the Act", f"{words_} Answered in: {where}") for s, words_, where in VPA_DUTIES],
        *_cover_tail(contact, generated),
    ]
    notes = [
        (
            "[note 1]",
            "Estimated need = recorded ÷ reporting rate × take-up share, per tier, in the tier's "
            "unit (people or families a year, or centres); see the gap analysis workbook's "
            "Assumptions and sources.",
        ),
        (
            "[note 2]",
            "Road harm and hate crime are not named by s.13(5): they are assessed alongside, "
            "marked 'beyond the duty'.",
        ),
        (
            "[note 3]",
            "Protected characteristics as the registry records them: by-and-for services for "
            "Black and minoritised communities (race), services for disabled and Deaf people "
            "(disability), LGBT+ services (sexual orientation, gender reassignment), "
            "faith-specific services (religion or belief), women-only and men-only services "
            "(sex), services for older people (age). Other characteristics are not recorded.",
        ),
        (
            "[note 4]",
            "Type over an [x] in the Consultation log as consultation happens; give the filled-in "
            "pack back to the next export (--consultation, or the upload on the Exports page) to "
            "carry the log forward.",
        ),
    ]
    sheets = [
        _findings_sheet(pack, "The headline findings, for a printed summary."),
        _duties_sheet(VPA_DUTIES),
        Sheet(
            "Needs assessed",
            "Needs assessed per need and tier (non-accommodation support) [note 1] [note 2]",
            t["Needs assessed"],
            "Each need and tier across the area set: estimated need with its range, capacity, "
            "coverage, unmet need, and how many areas are red, amber and green.",
            {
                "estimated need": NUM1,
                "estimated need, low end": NUM1,
                "estimated need, high end": NUM1,
                "capacity": NUM1,
                "coverage (%)": PCT,
                "unmet need": NUM1,
            },
        ),
        Sheet(
            "Unmet need",
            "Unmet need per area, need and tier [note 1]",
            t["Unmet need"],
            "Every area and tier where estimated need is above capacity.",
            {
                "estimated need": NUM1,
                "capacity": NUM1,
                "unmet need": NUM1,
                "unmet need (people or families a year)": NUM,
            },
            wrap=("status",),
            blank={"unmet need (people or families a year)": "[z]"},
        ),
        Sheet(
            "Provision found",
            "Provision found, commissioned or not",
            t["Provision found"],
            "Every approved non-accommodation service, with how it is funded.",
            {"capacity (people a year)": NUM},
        ),
        Sheet(
            "Under 18",
            "Provision for victims under 18",
            t["Under 18"],
            "Per need: services for children and young people, and the areas with none.",
            wrap=("areas without", "services"),
        ),
        Sheet(
            "Protected characteristics",
            "Provision for protected characteristics [note 3]",
            t["Protected characteristics"],
            "Per need and characteristic: specialist services, and the areas with none.",
            wrap=("areas without", "services"),
        ),
        Sheet(
            "Consultation log",
            "Consultation log [note 4]",
            t["Consultation log"],
            "Who was heard, when, how, what they said and what changed: providers and victims' "
            "views (s.14(2)).",
            wrap=("what they said", "what changed as a result"),
        ),
    ]
    return _workbook(
        f"Joint needs assessment of victim support: {data.area_set.name}",
        analysis,
        cover,
        notes,
        sheets,
    ), pack


def needs_assessment_summary_pdf(
    pack: Pack, data: PlannerData, analysis: Analysis, *, generated: dt.datetime | None = None
) -> bytes:
    """The short printable summary: what the pack is, who it is for, the findings, the review
    date and the duties, on one or two A4 pages."""
    from fpdf import FPDF

    generated = produced(generated)
    pdf = FPDF(format="A4")
    pdf.set_margins(18, 16, 18)
    pdf.set_auto_page_break(True, 16)
    pdf.add_page()

    def text(value: str, size: float = 10, style: str = "", gap: float = 1.5) -> None:
        pdf.set_font("Helvetica", style, size)
        safe = (
            value.replace("\u2019", "'")
            .replace("\u2018", "'")
            .replace("\u2014", "-")
            .replace("\u2013", "-")
            .replace("÷", "/")
        )
        pdf.multi_cell(
            0,
            size * 0.48,
            safe.encode("latin-1", "replace").decode("latin-1"),
            new_x="LMARGIN",
            new_y="NEXT",
        )
        pdf.ln(gap)

    text(f"Joint needs assessment of victim support: {data.area_set.name}", 16, "B")
    if analysis.demo:
        text(_warning(analysis) or "", 10, "B")
    text(
        "Following the text of the Victims and Prisoners Act 2024, sections 13 to 15 (not yet "
        "in force; no template published). Produced " + when(generated) + ".",
        9,
        "I",
    )
    text("Relevant authorities: " + (data.area_set.relevant_authorities or "see the workbook"), 9)
    text("Review date: " + when(pack.extra["review"]), 11, "B")
    text("Findings", 13, "B")
    for i, finding in enumerate(pack.findings, start=1):
        text(f"{i}. {finding}", 10)
    text("The duties and where the workbook answers them", 13, "B")
    for section, _words, where in VPA_DUTIES:
        text(f"{section}: {where}", 9, gap=0.8)
    text(
        "The workbook holds the tables behind each finding: needs assessed, unmet need per "
        "area, provision found, under-18 and protected-characteristic provision, and the "
        "consultation log.",
        9,
        "I",
    )
    return bytes(pdf.output())


def safe_accommodation_pack(
    analysis: Analysis,
    data: PlannerData,
    *,
    contact: str = "The commissioning team (set a contact in the export)",
    generated: dt.datetime | None = None,
) -> tuple[bytes, Pack]:
    """The safe accommodation needs assessment (Domestic Abuse Act 2021, Part 4)."""
    generated = produced(generated)
    words = labels_for(data)
    pack = safe_accommodation(analysis, data, words)
    t = pack.tables
    cover = [
        (
            "What this is",
            "An assessment of the need for support in safe accommodation for victims of "
            "domestic abuse and their children, against the Council of Europe standard, "
            "following the Domestic Abuse Act 2021, Part 4 (in force since 1 October 2021).",
        ),
        ("Tier-one authority", data.area_set.tier_one_authority or "Set it in the area file"),
        *_cover_head(data, analysis),
        ("Standard", str(pack.extra["standard_source"])),
        *[(f"{s} of the Act", f"{w} Answered in: {where}") for s, w, where in DA_DUTIES],
        *_cover_tail(contact, generated),
    ]
    notes = [
        (
            "[note 1]",
            "Family places in refuges are shared over the areas each refuge serves, as in the "
            "gap analysis (safe accommodation tier); a confidential refuge appears only as its "
            "borough.",
        ),
        (
            "[note 2]",
            "Specialist groups as the registry records them: a refuge counts for a group when "
            "it records that specialism (or children in its age groups). No recourse to public "
            "funds is counted only where the registry records it.",
        ),
    ]
    sheets = [
        _findings_sheet(pack, "The headline findings."),
        _duties_sheet(DA_DUTIES),
        Sheet(
            "Bedspaces by area",
            "Family places against the Council of Europe standard, per area [note 1]",
            t["Bedspaces by area"],
            "Each area's standard (one family place per 10,000 residents unless the "
            "assumptions say otherwise), the places recorded, and the shortfall.",
            {
                "population (residents)": NUM,
                "Council of Europe standard (family places)": NUM1,
                "family places recorded": NUM1,
                "shortfall (family places)": NUM1,
                "places as a share of the standard (%)": PCT,
            },
            wrap=("status",),
        ),
        Sheet(
            "Bedspaces by type",
            "Family places by type of accommodation",
            t["Bedspaces by type"],
            "Refuge services and their family places by type.",
            {"family places": NUM},
        ),
        Sheet(
            "Support by group",
            "Support in safe accommodation by specialist group [note 2]",
            t["Support by group"],
            "Per specialist group: refuge services, their places and the areas they serve.",
            {"family places": NUM},
            wrap=("services",),
        ),
        Sheet(
            "Gaps",
            "Gaps in safe accommodation support",
            t["Gaps"],
            "Areas below the standard and groups with no support recorded.",
            {"shortfall (family places)": NUM1},
            blank={"shortfall (family places)": "[z]"},
            empty="No gaps found",
        ),
    ]
    return _workbook(
        f"Safe accommodation needs assessment: {data.area_set.name}", analysis, cover, notes, sheets
    ), pack


def map_of_gaps_pack(
    analysis: Analysis,
    data: PlannerData,
    *,
    contact: str = "The commissioning team (set a contact in the export)",
    generated: dt.datetime | None = None,
) -> tuple[bytes, Pack]:
    """The Map of Gaps matrix: violence type × support type per area, by-and-for provision,
    and the count of areas with none."""
    generated = produced(generated)
    words = labels_for(data)
    pack = map_of_gaps(analysis, data, words)
    t = pack.tables
    cover = [
        (
            "What this is",
            "Per area, which kinds of support exist for each violence type, whether any is by "
            "and for Black and minoritised communities, and how many areas have none: the "
            "measure of the national Map of Gaps audits, so that results can be compared.",
        ),
        ("Comparable with", MAP_OF_GAPS_SOURCE),
        *_cover_head(data, analysis),
        *_cover_tail(contact, generated),
    ]
    notes = [
        (
            "[note 1]",
            "A service counts in every area it covers, including London-wide and national "
            "services (a national helpline is present everywhere); the audits counted services "
            "by the local authority areas they served.",
        ),
        (
            "[note 2]",
            "By and for: a service the registry records as by and for Black and minoritised "
            "communities.",
        ),
    ]
    sheets = [
        _findings_sheet(pack, "The headline findings."),
        Sheet(
            "Areas with none",
            "Areas with no support, by violence type and support type [note 1]",
            t["Areas with none"],
            "The Map of Gaps measure: for each violence type and support type, the areas with "
            "none, and those with by-and-for provision.",
            {"areas with none (%)": PCT},
        ),
        Sheet(
            "Matrix",
            "Presence of each support type per area and violence type [note 1] [note 2]",
            t["Matrix"],
            "Each area and violence type: Yes, Yes including by and for, or None for every "
            "support type.",
        ),
    ]
    return _workbook(
        f"Map of Gaps: violence type by support type, {data.area_set.name}",
        analysis,
        cover,
        notes,
        sheets,
    ), pack
