"""Exports read back cell by cell (openpyxl) and opened by LibreOffice headless."""

import datetime as dt
import io
import os
import shutil
import subprocess
import zipfile

import openpyxl
import pytest

from planner.analysis import analyse_registry
from planner.coverage.ranking import map_rows, worst_areas
from planner.datasets import load_planner_data, load_small_areas
from planner.exports.framework import framework_workbook
from planner.exports.gap_analysis import gap_analysis_workbook
from planner.exports.leaflet import leaflet_html, leaflet_pdf
from planner.exports.maps import gap_map_png, map_html
from planner.maps import coverage_map
from planner.registry.auth import SYSTEM
from planner.registry.demo import load_demo
from planner.settings import load_settings
from planner.sources.boundaries import map_layer

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
    "Principles",
    "Minimum standards",
    "Outcomes and KPIs",
    "Service specifications",
    "Lots",
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


def test_gap_workbook_sheets_tables_and_structure(gap_bytes):
    wb = load(gap_bytes)
    assert wb.sheetnames == GAP_SHEETS
    for name in GAP_SHEETS[3:]:
        ws = wb[name]
        assert ws["A1"].value and ws["A1"].font.bold, name
        assert all(c.value for c in ws[2]), f"{name}: blank header cell"
        assert ws.freeze_panes == "A3", name
        assert ws.auto_filter.ref and ws.auto_filter.ref.startswith("A2:"), name
        assert not ws.merged_cells.ranges, name
        widths = [ws.column_dimensions[c].width for c in "AB"]
        assert all(w and w >= 10 for w in widths), name
    for ws in wb.worksheets:
        assert not ws.merged_cells.ranges
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{ws.title}!{cell.coordinate} is a formula"
    links = [
        c.hyperlink.location or c.hyperlink.target
        for (c,) in wb["Contents"].iter_rows(min_row=3, max_col=1)
        if c.hyperlink
    ]
    assert len(links) == len(GAP_SHEETS) - 2
    xml = zipfile.ZipFile(io.BytesIO(gap_bytes)).namelist()
    assert not [n for n in xml if "vbaProject" in n]


def test_gap_workbook_cover_and_demo_warning(gap_bytes):
    cover = {r[0]: r[1] for r in load(gap_bytes)["Cover"].iter_rows(min_row=2, values_only=True)}
    assert "fictional demonstration registry" in cover["DEMONSTRATION DATA"]
    assert cover["Area set"] == "London (33 areas)"
    assert cover["Contact"] == "Test team"
    assert cover["Produced"].startswith("2026-11-29T12:00:00+00:00")
    assert "Domestic abuse: 2024-08 to 2025-07" in cover["Demand periods"]


def test_gap_workbook_numbers_equal_the_engine(gap_bytes, world):
    _, analysis = world
    wb = load(gap_bytes)
    summary = wb["Summary"]
    header = [c.value for c in summary[2]]
    rows = {r[1]: r for r in summary.iter_rows(min_row=3, values_only=True)}
    heads = analysis.result.headline.set_index(["area_name", "need"])
    croydon = rows["Croydon"]
    ratio = croydon[header.index("Domestic abuse: coverage (%)")]
    assert isinstance(ratio, float)
    worst = heads.loc[("Croydon", "domestic_abuse")]
    assert ratio == pytest.approx(worst["ratio"])
    assert croydon[header.index("Domestic abuse: status")] == "Red"
    assert croydon[header.index("Domestic abuse: worst tier")] == worst["worst_tier_label"]
    # the tier sheet and the worst-areas sheet carry the engine's numbers and ranking
    tiers = wb["Tiers"]
    theader = [c.value for c in tiers[2]]
    idva = next(
        r
        for r in tiers.iter_rows(min_row=3, values_only=True)
        if r[theader.index("tier")] == "High risk (IDVA / Marac)"
    )
    cov = analysis.result.coverage
    high = cov[(cov["tier"] == "high_risk") & (cov["status"] == "assessed")]
    assert idva[theader.index("estimated need")] == pytest.approx(high["estimated"].sum())
    assert idva[theader.index("capacity")] == pytest.approx(high["capacity"].sum())
    worst_sheet = [r[1] for r in wb["Worst areas"].iter_rows(min_row=3, values_only=True)]
    assert worst_sheet == list(worst_areas(analysis.result, n=None)["area_name"])
    assert rows["City of London"][
        header.index(
            "Homicide" if "Homicide" in header else "Families bereaved by homicide: status"
        )
    ] == ("Not assessed")
    status_cell = summary.cell(row=3, column=header.index("Domestic abuse: status") + 1)
    assert status_cell.fill.fgColor.rgb.endswith(("BDBDBD", "D7301F", "FDAE61", "1A9850"))
    flags = wb["Flags"]
    assert flags.max_row - 2 == len(analysis.result.flags)
    fheader = [c.value for c in flags[2]]
    first = [c.value for c in flags[3]]
    engine = analysis.result.flags.iloc[0]
    assert first[fheader.index("finding")] == engine["sentence"]
    assert first[fheader.index("estimated need (tier's unit)")] == pytest.approx(
        engine["estimated"]
    )
    assert first[fheader.index("tier")] == engine["tier_label"]
    assert flags.cell(row=3, column=fheader.index("coverage (%)") + 1).number_format == "0%"
    demand = wb["Demand"]
    dheader = [c.value for c in demand[2]]
    assert demand.max_row - 2 == len(analysis.demand)
    assert "estimated need (people a year)" in dheader and "reporting rate (%)" in dheader


def test_user_text_is_never_a_formula(gap_bytes):
    services = load(gap_bytes)["Services"]
    cells = {
        c.value: c for row in services.iter_rows(min_row=3) for c in row if isinstance(c.value, str)
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
    flags = list(wa["Flags"].iter_rows(min_row=3, values_only=True))
    assert flags and {r[1] for r in flags} == {"Lambeth"}
    assert {r[2] for r in flags} == {"Families bereaved by homicide"}
    assert "duplication" in {r[4] for r in flags}  # after the tier column


def test_framework_workbook(world):
    data, analysis = world
    wb = load(framework_workbook(analysis, data, generated=GENERATED))
    assert wb.sheetnames == FRAMEWORK_SHEETS
    cover = [r for r in wb["Cover"].iter_rows(values_only=True)]
    assert ("Lots", "proposed from the gaps: no plan given") in cover
    assert any(r[0] == "DEMONSTRATION DATA" for r in cover)
    principles = [r[0] for r in wb["Principles"].iter_rows(min_row=3, values_only=True)]
    assert "Road-crash victims are victims of crime" in principles
    lots = list(wb["Lots"].iter_rows(min_row=3, values_only=True))
    assert any(
        r[0] == "Road crash: killed or seriously injured, and the bereaved, Seriously injured: "
        "East London"
        for r in lots
    )
    evidence = {r[0] for r in wb["Evidence"].iter_rows(min_row=3, values_only=True)}
    assert evidence <= {r[0] for r in lots} and evidence
    sheet = wb["Service specifications"]
    sheader = [c.value for c in sheet[2]]
    specs = {(r[0], r[1]): r for r in sheet.iter_rows(min_row=3, values_only=True)}
    homicide = specs[("Families bereaved by homicide", "Bereaved families")]
    assert "inquest" in homicide[sheader.index("required stages")]
    # indicative capacity per tier from its benchmark: refuge places at 1 per 10,000 residents
    refuge = specs[("Domestic abuse", "Safe accommodation (refuge)")]
    assert refuge[sheader.index("unit")] == "family places"
    assert refuge[sheader.index("indicative capacity (tier's unit)")] == pytest.approx(
        data.population["population"].sum() / 10_000, rel=1e-6
    )
    for ws in wb.worksheets:
        assert not ws.merged_cells.ranges


@pytest.mark.slow
def test_libreoffice_opens_both_workbooks(world, gap_bytes, tmp_path):
    soffice = shutil.which("soffice")
    if soffice is None:
        if os.environ.get("CI"):
            pytest.fail("LibreOffice is not installed; .ci/system-deps.sh should install it")
        pytest.skip("LibreOffice is not installed (make test installs it)")
    data, analysis = world
    (tmp_path / "gap_analysis.xlsx").write_bytes(gap_bytes)
    (tmp_path / "framework.xlsx").write_bytes(framework_workbook(analysis, data))
    env = {**os.environ, "HOME": str(tmp_path)}
    for name in ("gap_analysis", "framework"):
        result = subprocess.run(
            [
                soffice,
                "--headless",
                "--norestore",
                "--convert-to",
                "pdf",
                "--outdir",
                str(tmp_path),
                str(tmp_path / f"{name}.xlsx"),
            ],
            capture_output=True,
            text=True,
            timeout=300,
            env=env,
        )
        pdf = tmp_path / f"{name}.pdf"
        assert result.returncode == 0 and pdf.is_file(), result.stderr
        assert pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 10_000


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
