"""Exports read back cell by cell (openpyxl) and opened by LibreOffice headless."""

import datetime as dt
import io
import os
import re
import shutil
import subprocess
import zipfile

import openpyxl
import pytest

from planner.analysis import analyse_registry
from planner.coverage.ranking import map_rows, worst_areas
from planner.datasets import load_planner_data, load_small_areas
from planner.exports.demand import demand_workbook
from planner.exports.framework import framework_workbook, plan_lots_frame
from planner.exports.gap_analysis import gap_analysis_workbook
from planner.exports.leaflet import leaflet_html, leaflet_pdf
from planner.exports.maps import gap_map_png, map_html
from planner.exports.packs import (
    map_of_gaps_pack,
    needs_assessment_pack,
    needs_assessment_summary_pdf,
    safe_accommodation_pack,
)
from planner.exports.tables import labels_for
from planner.maps import coverage_map
from planner.needs_assessment import read_consultation
from planner.registry.auth import SYSTEM
from planner.registry.demo import load_demo
from planner.settings import load_settings
from planner.sources.boundaries import map_layer
from tests.workbook_checker import problems

AS_OF = dt.date(2026, 11, 29)
GENERATED = dt.datetime(2026, 11, 29, 12, 0, tzinfo=dt.UTC)
GAP_SHEETS = [
    "Cover",
    "Contents",
    "Notes",
    "Summary",
    "Flags",
    "Tiers",
    "Worst areas",
    "Coverage",
    "Demand",
    "Services",
    "Journey stages",
    "Access",
    "Data quality",
    "Method",
    "Assumptions and sources",
]
FRAMEWORK_SHEETS = [
    "Cover",
    "Contents",
    "Notes",
    "Principles",
    "Minimum standards",
    "Outcomes and KPIs",
    "Service specifications",
    "Lots",
    "Spend and outcome",
    "Evidence",
    "Assumptions and sources",
]


@pytest.fixture(scope="module")
def world(tmp_path_factory, data_dir, validation_ctx):
    from planner.registry.service import Registry

    path = tmp_path_factory.mktemp("exports") / "registry.sqlite"
    registry = Registry.open(validation_ctx, f"sqlite:///{path}")
    data = load_planner_data(load_settings({"PLANNER_DATA_DIR": str(data_dir)}))
    load_demo(registry, data.boundaries, today=AS_OF)
    # a provider's hostile text must stay text in every export
    record = registry.services(actor=SYSTEM)[0]
    from planner.registry.records import snapshot_to_raw

    raw = snapshot_to_raw(record)
    raw["name"] = '=HYPERLINK("http://evil.example","click")'
    raw["description"] = "+44 20 7946 0000"
    registry.update_service(SYSTEM, record["id"], raw, expected_version=record["version"])
    analysis = analyse_registry(
        data, registry, as_of=AS_OF, small_areas=load_small_areas(data.data_dir, data.area_set)
    )
    return data, analysis


@pytest.fixture(scope="module")
def gap_bytes(world):
    data, analysis = world
    return gap_analysis_workbook(analysis, data, generated=GENERATED, contact="Test team")


def load(content: bytes):
    return openpyxl.load_workbook(io.BytesIO(content))


@pytest.fixture(scope="module")
def gap_book(gap_bytes):
    """The gap workbook read once (2 s a read) for the tests that only look at it."""
    return load(gap_bytes)


def test_gap_workbook_sheets_tables_and_structure(gap_bytes, gap_book):
    wb = gap_book
    assert wb.sheetnames == GAP_SHEETS
    for name in GAP_SHEETS[3:]:
        ws = wb[name]
        assert ws["A1"].value and ws["A1"].font.bold, name
        assert ws["A2"].value.startswith("This worksheet contains one table of"), name
        assert all(c.value for c in ws[3]), f"{name}: blank header cell"
        assert ws.freeze_panes == "A4", name
        (table,) = ws.tables.values()
        assert table.ref.startswith("A3:") and table.ref.endswith(str(ws.max_row)), name
        assert ws.print_title_rows == "$1:$3", name
        assert not ws.merged_cells.ranges, name
        widths = [ws.column_dimensions[c].width for c in "AB"]
        assert all(w and w >= 8 for w in widths), name
    for ws in wb.worksheets:
        assert not ws.merged_cells.ranges
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{ws.title}!{cell.coordinate} is a formula"
    links = [
        c.hyperlink.location or c.hyperlink.target
        for (c,) in wb["Contents"].iter_rows(min_row=4, max_col=1)
        if c.hyperlink
    ]
    assert len(links) == len(GAP_SHEETS) - 2
    xml = zipfile.ZipFile(io.BytesIO(gap_bytes)).namelist()
    assert not [n for n in xml if "vbaProject" in n]


def test_gap_workbook_cover_and_demo_warning(gap_book):
    ws = gap_book["Cover"]
    cover = {r[0]: r[1] for r in ws.iter_rows(min_row=2, values_only=True)}
    # the warning comes first, in bold on a fill, and there is no blank row
    assert ws["A2"].value == "Warning" and ws["B2"].value.startswith("DEMONSTRATION DATA")
    assert "fictional demonstration registry" in cover["Warning"]
    assert ws["B2"].font.b and ws["B2"].fill.fgColor.rgb.endswith("FDE2E1")
    assert all(r[0] and r[1] for r in ws.iter_rows(min_row=2, values_only=True))
    assert cover["Area set"] == "London (33 areas)"
    assert cover["Contact"] == "Test team"
    assert (
        cover["Produced"]
        == "29 November 2026 at 12:00 UTC by the Victim Services Commissioning Planner"
    )
    assert cover["Contracts judged on"].startswith("29 November 2026: a contract that ended")
    assert "Domestic abuse: 2024-08 to 2025-07" in cover["Demand periods"]


def test_gap_workbook_numbers_equal_the_engine(gap_bytes, gap_book, world):
    _, analysis = world
    wb = gap_book
    summary = wb["Summary"]
    header = [c.value for c in summary[3]]
    rows = {r[1]: r for r in summary.iter_rows(min_row=4, values_only=True)}
    heads = analysis.result.headline.set_index(["area_name", "need"])
    croydon = rows["Croydon"]
    ratio = croydon[header.index("Domestic abuse: coverage (%)")]
    assert isinstance(ratio, float)
    worst = heads.loc[("Croydon", "domestic_abuse")]
    # shares are rounded to a tenth of a percent
    assert ratio == round(worst["ratio"], 3)
    assert croydon[header.index("Domestic abuse: status")] == "Red"
    assert croydon[header.index("Domestic abuse: worst tier")] == worst["worst_tier_label"]
    # the tier sheet and the worst-areas sheet carry the engine's numbers and ranking
    tiers = wb["Tiers"]
    theader = [c.value for c in tiers[3]]
    idva = next(
        r
        for r in tiers.iter_rows(min_row=4, values_only=True)
        if r[theader.index("tier")] == "High risk (IDVA / Marac)"
    )
    cov = analysis.result.coverage
    high = cov[(cov["tier"] == "high_risk") & (cov["status"] == "assessed")]
    assert idva[theader.index("estimated need")] == round(high["estimated"].sum(), 1)
    assert idva[theader.index("capacity")] == pytest.approx(round(high["capacity"].sum(), 1))
    worst_sheet = [r[1] for r in wb["Worst areas"].iter_rows(min_row=4, values_only=True)]
    assert worst_sheet == list(worst_areas(analysis.result, n=None)["area_name"])
    assert rows["City of London"][
        header.index(
            "Homicide" if "Homicide" in header else "Families bereaved by homicide: status"
        )
    ] == ("Not assessed")
    status_cell = summary.cell(row=4, column=header.index("Domestic abuse: status") + 1)
    assert status_cell.fill.fgColor.rgb.endswith(("BDBDBD", "D7301F", "FDAE61", "1A9850"))
    flags = wb["Flags"]
    assert flags.max_row - 3 == len(analysis.result.flags)
    fheader = [c.value for c in flags[3]]
    first = [c.value for c in flags[4]]
    engine = analysis.result.flags.iloc[0]
    assert first[fheader.index("finding")] == engine["sentence"]
    assert first[fheader.index("estimated need (tier's unit)")] == round(engine["estimated"], 1)
    assert first[fheader.index("tier")] == engine["tier_label"]
    assert first[fheader.index("finding kind")] == "No provision"  # never no_provision
    assert flags.cell(row=4, column=fheader.index("coverage (%)") + 1).number_format == "0.0%"
    demand = wb["Demand"]
    dheader = [c.value for c in demand[3]]
    assert demand.max_row - 3 == len(analysis.demand)
    assert "area_code" not in dheader and "need_label" not in dheader
    # a blank carries its shorthand: City of London has no police-recorded domestic abuse
    city = next(
        r
        for r in demand.iter_rows(min_row=4, values_only=True)
        if r[1] == "City of London" and r[2] == "Domestic abuse"
    )
    assert city[dheader.index("recorded (a year)")] == "[x]"
    assert "estimated need (people a year)" in dheader and "reporting rate (%)" in dheader


def test_user_text_is_never_a_formula(gap_bytes, gap_book):
    services = gap_book["Services"]
    cells = {
        c.value: c for row in services.iter_rows(min_row=4) for c in row if isinstance(c.value, str)
    }
    evil = cells['=HYPERLINK("http://evil.example","click")']
    assert evil.data_type == "s"
    sheet_xml = zipfile.ZipFile(io.BytesIO(gap_bytes)).read("xl/worksheets/sheet8.xml")
    assert b"<f>" not in sheet_xml


def test_filters_carry_into_the_export_and_cells_are_reproducible(world):
    data, analysis = world
    a = gap_analysis_workbook(
        analysis, data, needs=["homicide"], areas=["E09000022"], generated=GENERATED
    )
    b = gap_analysis_workbook(
        analysis, data, needs=["homicide"], areas=["E09000022"], generated=GENERATED
    )
    wa, wb = load(a), load(b)
    for name in wa.sheetnames:
        assert [[c.value for c in r] for r in wa[name].iter_rows()] == [
            [c.value for c in r] for r in wb[name].iter_rows()
        ], name
    cover = {r[0]: r[1] for r in wa["Cover"].iter_rows(min_row=2, values_only=True)}
    assert cover["Needs"] == "Families bereaved by homicide" and cover["Areas"] == "Lambeth"
    flags = list(wa["Flags"].iter_rows(min_row=4, values_only=True))
    assert flags and {r[1] for r in flags} == {"Lambeth"}
    assert {r[2] for r in flags} == {"Families bereaved by homicide"}
    assert "Duplication" in {r[4] for r in flags}  # after the tier column, in words


def test_framework_workbook(world):
    data, analysis = world
    wb = load(framework_workbook(analysis, data, generated=GENERATED, contact="Team X"))
    assert wb.sheetnames == FRAMEWORK_SHEETS
    # the spend–outcome curve, cell by cell: the optimiser's frontier on the same analysis
    from planner.allocation import build_problem
    from planner.frontier import frontier

    curve = frontier(build_problem(analysis.result.coverage, data.assumptions, data.area_set))
    spend = [r for r in wb["Spend and outcome"].iter_rows(min_row=4, values_only=True) if r[0]]
    assert [r[0] for r in spend] == list(curve["budget_gbp"])
    assert [r[1] for r in spend] == pytest.approx(list(curve["weighted_unmet_reduced"]), abs=0.5)
    assert [r[3] for r in spend] == list(curve["lots"])
    assert all(
        a <= b for a, b in zip([r[1] for r in spend], [r[1] for r in spend][1:], strict=False)
    )
    cover = [r for r in wb["Cover"].iter_rows(values_only=True)]
    assert ("Lots", "proposed from the gaps: no plan given") in cover
    assert ("Contact", "Team X") in cover
    assert cover[1][0] == "Warning" and cover[1][1].startswith("DEMONSTRATION DATA")
    assert all(r[0] and r[1] for r in cover[1:])  # no blank rows
    principles = [r[0] for r in wb["Principles"].iter_rows(min_row=4, values_only=True)]
    assert "Road-crash victims are victims of crime" in principles
    lots = list(wb["Lots"].iter_rows(min_row=4, values_only=True))
    lheader = [c.value for c in wb["Lots"][3]]
    # a proposed lot has no value or dates yet: the shorthand, explained on Notes
    assert {r[lheader.index("annual value (GBP)")] for r in lots} == {"[x]"}
    notes = {r[0] for r in wb["Notes"].iter_rows(min_row=4, values_only=True)}
    assert "[x]" in notes and "[note 2]" in notes
    assert any(
        r[0] == "Road crash: killed or seriously injured, and the bereaved, Seriously injured: "
        "East London"
        for r in lots
    )
    evidence = list(wb["Evidence"].iter_rows(min_row=4, values_only=True))
    assert {r[0] for r in evidence} <= {r[0] for r in lots} and evidence
    # a lot for one tier rests on that tier's findings only
    assert all(r[2] in r[0] for r in evidence)
    sheet = wb["Service specifications"]
    sheader = [c.value for c in sheet[3]]
    specs = {(r[0], r[1]): r for r in sheet.iter_rows(min_row=4, values_only=True)}
    homicide = specs[("Families bereaved by homicide", "Bereaved families")]
    assert "Inquest" in homicide[sheader.index("required stages")]
    # indicative capacity per tier from its benchmark: refuge places at 1 per 10,000 residents
    refuge = specs[("Domestic abuse", "Safe accommodation (refuge)")]
    assert refuge[sheader.index("unit")] == "family places"
    assert refuge[sheader.index("indicative capacity (tier's unit) [note 1]")] == round(
        data.population["population"].sum() / 10_000, 1
    )
    for ws in wb.worksheets:
        assert not ws.merged_cells.ranges


def _codes(data) -> dict[str, str]:
    """Every code a reader must not meet, with its label (plain-word lists left out: a
    severity "high" or a role "provider" reads the same as its label)."""
    words = labels_for(data)
    return {
        k: v
        for name, items in words.lists.items()
        if name not in ("roles", "severities", "registration_statuses")
        for k, v in items.items()
    }


@pytest.fixture(scope="module")
def every_workbook(world, gap_bytes):
    """Every publication workbook the product writes, on the real data and the demonstration
    registry (with a formula-like service name in it)."""
    data, analysis = world
    plan = {
        "name": "Test plan",
        "status": "draft",
        "lots": [
            {
                "name": "South London IDVAs",
                "needs": ["domestic_abuse"],
                "areas": ["E09000008", "E09000022"],
                "capacity_per_year": 600,
                "annual_value_gbp": 250000,
                "start_date": "2027-04-01",
                "end_date": "2030-03-31",
            }
        ],
    }
    table = analysis.demand
    return {
        "gap analysis": gap_bytes,
        "gap analysis, one need and area": gap_analysis_workbook(
            analysis, data, needs=["homicide"], areas=["E09000022"], generated=GENERATED
        ),
        "framework, proposed lots": framework_workbook(analysis, data, generated=GENERATED),
        "framework, a plan's lots": framework_workbook(
            analysis, data, lots=plan_lots_frame(plan, data.area_set), generated=GENERATED
        ),
        "demand": demand_workbook(table, data.assumptions),
        "joint needs assessment": needs_assessment_pack(analysis, data, generated=GENERATED)[0],
        "safe accommodation": safe_accommodation_pack(analysis, data, generated=GENERATED)[0],
        "map of gaps": map_of_gaps_pack(analysis, data, generated=GENERATED)[0],
    }


@pytest.mark.slow  # 10 s: eight workbooks built and read; make test and CI run it
def test_every_workbook_passes_the_checker(world, every_workbook):
    data, _ = world
    codes = _codes(data)
    assert "no_provision" in codes and "pre_trial" in codes and "idva" in codes
    for name, content in every_workbook.items():
        assert problems(content, codes) == [], name


def test_the_joint_needs_assessment_answers_the_act(world):
    data, analysis = world
    content, pack = needs_assessment_pack(
        analysis, data, review=dt.date(2027, 6, 30), contact="Victims team", generated=GENERATED
    )
    wb = load(content)
    assert wb.sheetnames == [
        "Cover",
        "Contents",
        "Notes",
        "Summary",
        "Duties",
        "Needs assessed",
        "Unmet need",
        "Provision found",
        "Under 18",
        "Protected characteristics",
        "Consultation log",
    ]
    cover = {r[0]: r[1] for r in wb["Cover"].iter_rows(min_row=2, values_only=True)}
    assert cover["Review date (s.14(5))"] == "30 June 2027"
    assert "Mayor's Office for Policing and Crime" in cover["Relevant authorities (s.13(3))"]
    assert "not in force" in cover["What this is"]
    assert '"assess the needs of victims in the police area' in cover["s.14(3)(a) of the Act"]
    assert "Under 18; Protected characteristics." in cover["s.14(4) of the Act"]
    # safe accommodation is the Domestic Abuse Act's pack: left out here (s.13(5))
    needs = list(wb["Needs assessed"].iter_rows(min_row=4, values_only=True))
    assert "Safe accommodation (refuge)" not in {r[2] for r in needs}
    assert {
        r[1] for r in needs if r[0] == "Road crash: killed or seriously injured, and the bereaved"
    } == {"beyond the duty: assessed alongside"}
    # the tiers carry the engine's numbers
    cov = analysis.result.coverage
    isva = cov[(cov["tier"] == "isva") & (cov["status"] == "assessed")]
    row = next(r for r in needs if r[2] == "Independent sexual violence advisers (ISVA)")
    assert row[4] == round(isva["estimated"].sum(), 1)
    # provision found includes services the authorities do not commission
    provision = list(wb["Provision found"].iter_rows(min_row=4, values_only=True))
    funded = {r[6].split(" by ")[0] for r in provision}
    assert "Commissioned" in funded and funded - {"Commissioned"}
    log = list(wb["Consultation log"].iter_rows(min_row=4, values_only=True))
    assert log[0][1:4] == (
        "Victims' views",
        "Victims in the police area (s.14(2)(a))",
        "to be consulted",
    )
    orgs = set(analysis.tables.services["organisation_name"])
    assert {r[2] for r in log if r[1] == "Provider"} == orgs
    assert pack.findings[-1].endswith("the review is due by 30 June 2027.")
    pdf = needs_assessment_summary_pdf(pack, data, analysis, generated=GENERATED)
    import pypdf

    reader = pypdf.PdfReader(io.BytesIO(pdf))
    text = " ".join(p.extract_text() for p in reader.pages)
    assert len(reader.pages) <= 2 and "Review date: 30 June 2027" in text
    assert "DEMONSTRATION DATA" in text


@pytest.mark.slow  # 3 s
def test_a_filled_in_consultation_log_is_carried_forward(world):
    data, analysis = world
    content, _ = needs_assessment_pack(analysis, data, generated=GENERATED)
    wb = load(content)
    ws = wb["Consultation log"]
    kestrel = next(
        r for r in ws.iter_rows(min_row=4) if r[2].value == "Kestrel Domestic Abuse Partnership"
    )
    for cell, value in zip(
        kestrel,
        [dt.date(2026, 10, 1), "Provider", kestrel[2].value, "meeting", "IDVA waits", "Lot 2"],
        strict=True,
    ):
        cell.value = value
    saved = io.BytesIO()
    wb.save(saved)
    entries = read_consultation(saved.getvalue(), filename="last_year.xlsx")
    assert entries.to_dict("records") == [
        {
            "date": "2026-10-01",
            "who was heard": "Provider",
            "organisation or group": "Kestrel Domestic Abuse Partnership",
            "how": "meeting",
            "what they said": "IDVA waits",
            "what changed as a result": "Lot 2",
        }
    ]
    again, pack = needs_assessment_pack(analysis, data, consultation=entries, generated=GENERATED)
    log = list(load(again)["Consultation log"].iter_rows(min_row=4, values_only=True))
    assert log[0][:3] == ("2026-10-01", "Provider", "Kestrel Domestic Abuse Partnership")
    assert [r[2] for r in log].count("Kestrel Domestic Abuse Partnership") == 1
    assert "Consultation log: 1 of" in pack.findings[-1]


def test_safe_accommodation_and_map_of_gaps_follow_the_analysis(world):
    data, analysis = world
    content, pack = safe_accommodation_pack(analysis, data, generated=GENERATED)
    wb = load(content)
    cov = analysis.result.coverage
    refuge = cov[(cov["tier"] == "safe_accommodation")].set_index("area_name")
    rows = {r[1]: r for r in wb["Bedspaces by area"].iter_rows(min_row=4, values_only=True)}
    assert len(rows) == 33
    croydon = rows["Croydon"]
    assert croydon[3] == round(refuge.loc["Croydon", "estimated"], 1)  # 1 per 10,000 residents
    assert croydon[3] == round(croydon[2] / 10_000, 1)
    assert croydon[4] == round(refuge.loc["Croydon", "capacity"], 1)
    standard = sum(r[3] for r in rows.values())
    assert f"standard of {standard:,.0f}" in pack.findings[0]
    cover = {r[0]: r[1] for r in wb["Cover"].iter_rows(min_row=2, values_only=True)}
    assert "assess, or make arrangements for the" in cover["s.57(1)(a) of the Act"]
    groups = {r[0]: r for r in wb["Support by group"].iter_rows(min_row=4, values_only=True)}
    assert set(groups) >= {
        "Black and minoritised (by and for)",
        "Disabled people",
        "LGBT+",
        "Children",
        "No recourse to public funds",
    }
    assert groups["No recourse to public funds"][1] == 8  # the demonstration refuges record it

    content, pack = map_of_gaps_pack(analysis, data, generated=GENERATED)
    wb = load(content)
    matrix = list(wb["Matrix"].iter_rows(min_row=4, values_only=True))
    header = [c.value for c in wb["Matrix"][3]]
    assert len(matrix) == 33 * 5
    idva = header.index("Independent domestic violence advocate (IDVA)")
    da = [r for r in matrix if r[2] == "Domestic abuse"]
    none = sum(r[idva] == "None" for r in da)
    counts = {(r[0], r[1]): r for r in wb["Areas with none"].iter_rows(min_row=4, values_only=True)}
    assert counts[("Domestic abuse", "Independent domestic violence advocate (IDVA)")][2] == none
    assert f"Domestic abuse: {none} of 33 areas have no Independent domestic" in " ".join(
        pack.findings
    )
    # by-and-for provision shows in the matrix where a by-and-for service covers the area
    assert any("by and for" in str(v) for r in da for v in r)


@pytest.mark.slow
def test_libreoffice_prints_every_workbook_with_titles_and_headers_on_each_page(
    every_workbook, tmp_path
):
    """LibreOffice (the real client) converts each workbook to PDF. Every page's footer names
    its sheet; on every page of a table sheet the title (row 1) and the table's header row are
    printed again, and the cover fits on one page."""
    soffice = shutil.which("soffice")
    if soffice is None:
        if os.environ.get("CI"):
            pytest.fail("LibreOffice is not installed; .ci/system-deps.sh should install it")
        pytest.skip("LibreOffice is not installed (make test installs it)")
    import pypdf

    names = [
        "gap analysis",
        "framework, proposed lots",
        "joint needs assessment",
        "safe accommodation",
        "map of gaps",
    ]
    for name in names:
        path = tmp_path / (name.replace(" ", "_").replace(",", "") + ".xlsx")
        path.write_bytes(every_workbook[name])
    env = {**os.environ, "HOME": str(tmp_path)}
    result = subprocess.run(
        [
            soffice,
            "--headless",
            "--norestore",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            *[str(p) for p in sorted(tmp_path.glob("*.xlsx"))],
        ],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    report = {}
    for xlsx in sorted(tmp_path.glob("*.xlsx")):
        wb = load(xlsx.read_bytes())
        reader = pypdf.PdfReader(xlsx.with_suffix(".pdf"))
        pages: dict[str, list[str]] = {}
        for page in reader.pages:
            text = page.extract_text()
            footer = re.search(r"(.+), page \d+ of \d+", text)
            assert footer, f"{xlsx.name}: a page without its footer"
            pages.setdefault(footer.group(1).strip(), []).append(text)
        assert set(pages) == set(wb.sheetnames), xlsx.name
        assert len(pages["Cover"]) == 1, xlsx.name
        for sheet, texts in pages.items():
            ws = wb[sheet]
            if not ws.tables:
                continue
            title = str(ws["A1"].value)[:20]
            first_header = str(ws["A3"].value)
            for n, text in enumerate(texts, start=1):
                flat = " ".join(text.split())
                assert title in flat, f"{xlsx.name} {sheet} page {n}: title not repeated"
                assert first_header in flat, f"{xlsx.name} {sheet} page {n}: header not repeated"
        report[xlsx.name] = (len(reader.pages), {k: len(v) for k, v in pages.items()})
    print("\nPages per workbook (LibreOffice):", report)


def test_map_exports(world):
    data, analysis = world
    rows = map_rows(analysis.result, "road_harm")
    page = map_html(
        coverage_map(map_layer(data.boundaries), rows, title="Road harm", red=0.5, amber=0.8)
    ).decode()
    assert "cdn.jsdelivr.net" not in page and "data:text/javascript;base64," in page
    assert page.count('"area_name"') >= 33
    png = gap_map_png(data.boundaries, rows, title="Road harm")
    assert png.startswith(b"\x89PNG") and len(png) > 20_000


def test_leaflets(world):
    data, analysis = world
    page = leaflet_html(analysis, data, "E09000008", "domestic_abuse").decode()
    assert "<h1>Support available in Croydon</h1>" in page
    assert "Croydon IDVA service" in page and "No police report needed" in page
    assert "0808 2000 247" in page and "@media print" in page
    assert "Refuge" not in page or "Northbank refuge: Croydon" in page
    assert "nan" not in page
    pdf = leaflet_pdf(analysis, data, "E09000008", "domestic_abuse")
    assert pdf.startswith(b"%PDF")
