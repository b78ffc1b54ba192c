"""Every page of the app through streamlit.testing.v1.AppTest, on the real data and a fresh
demonstration registry in a temporary database."""

import datetime as dt
import tomllib

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from planner.registry.auth import SYSTEM, Actor
from planner.settings import REPO_ROOT, edited_assumptions_file

APP = str(REPO_ROOT / "planner" / "app" / "app.py")
TODAY = dt.date.today()


CAROL = Actor("carol", "commissioner")


def text_of(at) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    parts += [e.value for e in at.error] + [s.value for s in at.subheader]
    return "\n".join(str(p) for p in parts)


def test_overview(app, world):
    at = app()
    assert at.title[0].value == "Overview"
    assert len(at.metric) == 5
    assert at.metric[0].label == "Domestic abuse"
    # under each need, its tiers' London-wide coverage
    assert "High risk (IDVA / Marac) 60%" in text_of(at)
    assert any("Demonstration data" in i.value for i in at.info)
    assert "The five most serious findings" in text_of(at)
    assert len([b for b in at.button if b.label == "See flags"]) == 5


def test_overview_click_through_to_a_boroughs_flags(app):
    at = app()
    first = next(b for b in at.button if b.label == "See flags")
    first.click().run()
    assert at.title[0].value == "Gaps & duplication"
    area = at.session_state["gaps_area"]
    assert f"flags for {area}" in text_of(at)
    flags = at.dataframe[1].value
    # one borough's flags (named above the table, so no Borough column)
    assert "Borough" not in flags.columns and len(flags) > 0
    assert all(area in sentence for sentence in flags["What we found"])


def test_gaps_page_matrix_and_filters(app):
    at = app("gaps")
    matrix = at.dataframe[0].value
    da, idva = "Domestic abuse: Community support", "Domestic abuse: High risk (IDVA / Marac)"
    assert "Croydon" in matrix.index and {da, idva} <= set(matrix.columns)
    assert len(matrix.columns) == 11  # one column per need and tier
    # the City has no Metropolitan Police data, but the IDVA tier rests on its population
    assert str(matrix.loc["City of London", da]).startswith("Not assessed")
    assert str(matrix.loc["City of London", idva]).split(" ")[0] in {"Red", "Amber", "Green"}
    assert "Key: Red:" in text_of(at)
    at.selectbox(key="gaps_area_pick").select("Lambeth").run()
    at.multiselect[0].set_value(["duplication"]).run()
    flags = at.dataframe[1].value
    assert set(flags["Flag"]) == {"Duplication"}
    assert all("Lambeth" in sentence for sentence in flags["What we found"])
    assert "Services" not in flags.columns  # aggregate view for the public


def test_find_support(app):
    at = app("find_support")
    at.selectbox(key="find_area").select("Croydon").run()
    text = text_of(at)
    assert "services in Croydon" in text
    assert "**Croydon IDVA service** · Kestrel Domestic Abuse Partnership" in text
    assert "No police report needed" in text


def test_demand_page_trend(app):
    at = app("demand")
    assert at.title[0].value == "Demand for victim support"
    assert "recording system (CONNECT)" in text_of(at)


def test_journey(app):
    at = app("journey", CAROL)
    at.selectbox(key="journey_area").select("Croydon").run()
    at.selectbox(key="journey_need").select("Hate crime").run()
    rows = at.dataframe[0].value.set_index("Stage")
    after_trial = "After trial: sentence, appeal, release, parole"
    assert rows.loc[after_trial, "Status"] == "MISSING (required)"
    assert rows.loc["Trial", "Status"] == "covered"
    assert f"Missing stages: {after_trial}" in text_of(at)


def test_access_page(app):
    at = app("access", CAROL)
    at.selectbox(key="access_area").select("Bromley").run()
    assert "of residents live more than 5 km from a site" in text_of(at)


def test_data_page(app):
    at = app("data", CAROL)
    datasets = at.dataframe[0].value
    assert set(datasets["Dataset"]) == {
        "boundaries",
        "lsoa_boundaries",
        "population",
        "mps_crime",
        "mps_dashboard",
        "stats19",
    }
    assert (datasets["Problems"] == "none").all()
    assert "Change an assumption" in text_of(at)
    # a tier's rate is editable, and the form starts from the value in force
    label = next(o for o in at.selectbox(key="assumption_pick").options if "IDVA" in o)
    at.selectbox(key="assumption_pick").select(label).run()
    value = next(n for n in at.number_input if n.label.startswith("New value"))
    assert value.value == 40.0
    target = edited_assumptions_file()
    try:
        value.set_value(45.0)
        next(b for b in at.button if b.label == "Save the change").click().run()
        assert not at.exception
        saved = tomllib.loads(target.read_text(encoding="utf-8"))
        assert saved["needs"]["domestic_abuse"]["tiers"]["high_risk"]["rate"]["value"] == 45.0
        assert saved["meta"]["edited_by"].startswith("carol")
    finally:
        target.unlink(missing_ok=True)
        st.cache_resource.clear()
        st.cache_data.clear()


def test_a_bookmarked_page_asks_the_public_to_sign_in(app):
    """Issue 12: every page exists for everyone (a bookmarked /services link finds it), but a
    page a role may not use shows only "sign in to see this page", not its content."""
    at = app()
    for page in ("services", "admin", "journey", "access", "plan", "exports"):
        at.switch_page(f"pages/{page}.py").run()
        assert not at.exception, page
        warned = [w.value for w in at.warning]
        assert [w for w in warned if w.startswith("Sign in to see this page")], (page, warned)
        assert not at.dataframe and not at.get("download_button"), page
        assert not [b for b in at.button if b.label in ("Approve", "Register", "Save")], page
    # the page itself refuses, whatever the navigation
    direct = AppTest.from_file(
        str(REPO_ROOT / "planner/app/pages/admin.py"), default_timeout=60
    ).run()
    assert "Sign in to see this page" in direct.warning[0].value


def test_a_provider_is_told_a_commissioners_page_is_not_for_it(app, world):
    at = app("admin", Actor("kim", "provider", world["kestrel"]))
    assert "This page is for a commissioner" in at.warning[0].value
    assert not at.button or not [b for b in at.button if b.label == "Approve"]


def test_open_referral_uk_is_made_on_request_and_downloads(app):
    """Issue 14: the ORUK export (seconds: the schema check) is made when asked for, not on
    every visit to Services; then it is offered as a download."""
    at = app("services", CAROL)
    assert "Download registry_oruk.json" not in [d.label for d in at.get("download_button")]
    next(b for b in at.button if b.label.startswith("Prepare the registry as Open")).click().run()
    assert not at.exception and not at.error
    assert "Download registry_oruk.json" in [d.label for d in at.get("download_button")]


def test_provider_sees_only_its_organisations_edit_controls(app, world):
    kim = Actor("kim", "provider", world["kestrel"])
    at = app("services", kim)
    at.selectbox[3].select("Croydon IDVA service").run()
    assert [b for b in at.button if b.label == "Edit this service"]
    at.selectbox[3].select("Beacon hate crime advocacy: Croydon").run()
    assert not [b for b in at.button if b.label == "Edit this service"]
    # the form names the provider's own organisation: nothing to choose, no id to type
    assert not [s for s in at.selectbox if s.label == "Organisation"]
    assert "Organisation: **Kestrel Domestic Abuse Partnership**" in text_of(at)


def test_registration_lands_as_submitted_and_approval_changes_the_gaps(app, world):
    registry = world["registry"]
    kim = Actor("kim", "provider", world["kestrel"])
    at = app("services", kim)
    form_name = next(t for t in at.text_input if t.label == "Service name")
    form_name.input("Kestrel road crash pilot: Barnet")
    next(s for s in at.selectbox if s.label == "Service type").select("road_crash_casework")
    next(m for m in at.multiselect if m.label == "Needs").set_value(["road_harm"])
    next(m for m in at.multiselect if m.label == "Journey stages").set_value(
        ["immediate", "inquest"]
    )
    next(m for m in at.multiselect if m.label == "Boroughs covered").set_value(["Barnet"])
    next(n for n in at.number_input if n.label.startswith("Capacity")).set_value(400)
    next(b for b in at.button if b.label == "Register").click().run()
    assert not at.exception
    saved = [
        r
        for r in registry.services(statuses=["submitted"], actor=SYSTEM)
        if r["name"] == "Kestrel road crash pilot: Barnet"
    ]
    assert len(saved) == 1 and saved[0]["organisation_id"] == world["kestrel"]

    def barnet_road_flags():
        gaps = app("gaps")
        gaps.selectbox(key="gaps_area_pick").select("Barnet").run()
        flags = gaps.dataframe[1].value
        road = flags[flags["Need"].str.startswith("Road crash")]
        return set(zip(road["Tier"], road["Flag"], strict=True))

    # only the national service: seriously injured people 4% covered
    assert ("Seriously injured", "Under-provision") in barnet_road_flags()
    admin = app("admin", CAROL)
    # the commissioner sees the whole submission, not just its name
    assert "**People supported a year:** 400" in text_of(admin)
    approve = next(b for b in admin.button if b.key == f"approve_{saved[0]['id']}")
    approve.click().run()
    assert registry.get_service(saved[0]["id"], actor=SYSTEM)["status"] == "approved"
    # and is told which flags the approval closed
    said = " ".join(s.value for s in admin.success)
    assert "Approved Kestrel road crash pilot\\: Barnet. It closed 2 flag(s)" in said
    assert "Barnet" in text_of(admin) and "Closed:" in text_of(admin)
    assert ("Seriously injured", "Under-provision") not in barnet_road_flags()


def test_validation_messages_appear_beside_the_fields(app, world):
    at = app("services", CAROL)
    next(b for b in at.button if b.label == "Register").click().run()
    messages = [e.value for e in at.error]
    assert "is required" in " ".join(messages)
    assert any("at least one is required" in m for m in messages)


def test_a_filter_change_does_not_recompute_the_analysis(app, monkeypatch):
    import streamlit as st

    from planner.app import cache

    calls = []
    real = cache.analyse_registry
    monkeypatch.setattr(cache, "analyse_registry", lambda *a, **k: calls.append(1) or real(*a, **k))
    st.cache_resource.clear()
    at = app("gaps")
    at.selectbox(key="gaps_area_pick").select("Croydon").run()
    at.multiselect[0].set_value(["stage_gap"]).run()
    at.selectbox(key="gaps_area_pick").select("Hackney").run()
    assert not at.exception
    assert len(calls) == 1


def test_creating_a_plan_or_a_user_does_not_recompute_the_analysis(app, world, monkeypatch):
    """Issue 14: the analysis is keyed by the changes it reads (services, organisations),
    not by plans or accounts; a registry change still brings a fresh analysis."""
    import streamlit as st

    from planner.app import cache

    registry = world["registry"]
    calls = []
    real = cache.analyse_registry
    monkeypatch.setattr(cache, "analyse_registry", lambda *a, **k: calls.append(1) or real(*a, **k))
    st.cache_resource.clear()
    at = app("plan", CAROL)
    stamp, full = registry.stamp(analysis=True), registry.stamp()
    next(t for t in at.text_input if t.label == "Plan name").input("Stamp check")
    next(b for b in at.button if b.label == "Create plan").click().run()
    assert not at.exception
    assert any("Plan “Stamp check” created." in s.value for s in at.success)
    registry.add_user(SYSTEM, "stamp-user", "a long enough password", "viewer")
    at.run()
    assert registry.stamp() > full and registry.stamp(analysis=True) == stamp
    assert len(calls) == 1
    registry.save_organisation(SYSTEM, {"name": "A new charity for the stamp test"})
    assert registry.stamp(analysis=True) > stamp
    at.run()
    assert not at.exception and len(calls) == 2


def test_what_planner_app_prepares_at_start_is_what_the_pages_read(app, monkeypatch):
    """Issue 14: the start-up preparation fills the caches the pages use (the Overview then
    runs no analysis of its own)."""
    import streamlit as st

    from planner.app import cache
    from planner.app.serve import warm_first, warm_later

    calls = []
    real = cache.analyse_registry
    monkeypatch.setattr(cache, "analyse_registry", lambda *a, **k: calls.append(1) or real(*a, **k))
    st.cache_resource.clear()
    warm_first()
    assert warm_later(quiet_s=0) == ["data", "access", "plans"]
    at = app()
    assert at.title[0].value == "Overview" and not at.exception
    assert len(calls) == 1


def test_exports_page(app):
    at = app("exports", CAROL)
    assert at.title[0].value == "Exports"
    assert any("Demonstration data" in i.value for i in at.info)
    next(b for b in at.button if b.label == "Build the gap analysis workbook").click().run()
    assert not at.exception
    assert "Download gap_analysis.xlsx" in [d.label for d in at.get("download_button")]


@pytest.mark.slow  # 8 s: three packs built in the page; make test and CI run it
def test_exports_page_builds_each_statutory_pack(app):
    at = app("exports", CAROL)
    pack = next(r for r in at.radio if r.label == "Pack")
    assert pack.value.startswith("Joint needs assessment")
    assert any("Review date" in d.label for d in at.date_input)
    next(b for b in at.button if b.label == "Build the pack").click().run()
    assert not at.exception
    labels = [d.label for d in at.get("download_button")]
    assert "Download joint_needs_assessment.xlsx" in labels
    assert "Download joint_needs_assessment_summary.pdf" in labels
    assert any("the review is due by" in m.value for m in at.markdown)
    for choice, name, finding in (
        ("Safe accommodation", "safe_accommodation_assessment.xlsx", "Council of Europe"),
        ("Map of Gaps", "map_of_gaps.xlsx", "areas have no"),
    ):
        pack = next(r for r in at.radio if r.label == "Pack")
        pack.set_value(next(o for o in pack.options if o.startswith(choice))).run()
        next(b for b in at.button if b.label == "Build the pack").click().run()
        assert not at.exception
        assert f"Download {name}" in [d.label for d in at.get("download_button")]
        assert any(finding in m.value for m in at.markdown)


def test_plan_page_creates_a_plan_adds_a_lot_and_shows_the_difference(app):
    at = app("plan", CAROL)
    assert at.title[0].value == "Plan"
    next(t for t in at.text_input if t.label == "Plan name").input("Road harm east")
    next(b for b in at.button if b.label == "Create plan").click().run()
    assert not at.exception
    at.selectbox(key="plan_pick").select("Road harm east").run()
    next(t for t in at.text_input if t.label == "Lot name").input("Road crash casework: east")
    next(m for m in at.multiselect if m.label == "Needs").set_value(["road_harm"])
    next(s for s in at.selectbox if s.label == "Service type").select("road_crash_casework")
    next(m for m in at.multiselect if m.label == "Boroughs").set_value(
        ["Havering", "Bexley", "Bromley"]
    )
    next(n for n in at.number_input if n.label.startswith("Capacity")).set_value(400)
    next(n for n in at.number_input if n.label.startswith("Annual value")).set_value(600_000)
    next(b for b in at.button if b.label == "Add lot").click().run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert int(metrics["Flags closed"]) >= 3
    assert metrics["More people supported a year"] == "400"
    assert metrics["Cost per extra person"] == "£1,500"
    assert "provision in Havering comes from one provider" in text_of(at)
    compare = next(d.value for d in at.dataframe if "Plan" in d.value.columns)
    assert "Road harm east" in set(compare["Plan"])
    # the optimiser's suggestion for the default £2m, the gaps it leaves and the curve
    assert "£2,000,000 allocated" in text_of(at) or "of £2,000,000 allocated" in text_of(at)
    lots = next(d.value for d in at.dataframe if "Geography" in d.value.columns)
    assert len(lots) and lots["Annual value (£)"].sum() <= 2_000_000
    curve = next(d.value for d in at.dataframe if "Weighted unmet need reduced" in d.value.columns)
    assert curve["Weighted unmet need reduced"].is_monotonic_increasing


def test_an_empty_plan_changes_nothing_on_the_plan_page(app):
    """Issue 10: the Plan page once said "Flags closed 65" for an empty plan (the scenario
    was run without the access analysis that today's view has)."""
    at = app("plan", CAROL)
    next(t for t in at.text_input if t.label == "Plan name").input("Nothing yet")
    next(b for b in at.button if b.label == "Create plan").click().run()
    at.selectbox(key="plan_pick").select("Nothing yet").run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert (metrics["Flags closed"], metrics["Flags opened"]) == ("0", "0")
    assert metrics["More people supported a year"] == "0"


def test_weights_changed_on_the_plan_page_redraw_the_suggestion_and_the_overview(app):
    """BRIEF §4.2: a weight changed on the Plan page changes the suggested lots at once, and
    the Overview's ranking in the same session."""

    def ranking(at):
        table = next(
            d.value for d in at.dataframe if "Priority (weighted people a year)" in d.value
        )
        return table.set_index("Area")

    at = app("overview", CAROL)
    default = ranking(at)
    at.switch_page("pages/plan.py").run()
    next(t for t in at.text_input if t.label == "Plan name").input("Weights")
    next(b for b in at.button if b.label == "Create plan").click().run()
    lots = next(d.value for d in at.dataframe if "Geography" in d.value.columns)
    assert "High risk (IDVA / Marac)" in set(lots["Tier"])
    before = next(d.value for d in at.dataframe if "Weighted unmet need reduced" in d.value.columns)
    idva = next(n for n in at.number_input if n.key == "plan_w_domestic_abuse_high_risk")
    idva.set_value(0.0).run()
    assert not at.exception
    lots = next(d.value for d in at.dataframe if "Geography" in d.value.columns)
    assert "High risk (IDVA / Marac)" not in set(lots["Tier"])
    after = next(d.value for d in at.dataframe if "Weighted unmet need reduced" in d.value.columns)
    assert not after.equals(before)
    at.switch_page("pages/overview.py").run()
    assert not at.exception
    assert "Weights changed on the Plan page" in " ".join(c.value for c in at.caption)
    changed = ranking(at)
    both = default.index.intersection(changed.index)  # the top five, before and after
    assert len(both)
    changed, default = changed.loc[both], default.loc[both]
    # the same people unmet; IDVA cases now count nothing, so no priority rises and some fall
    unmet = "Unmet need (people a year)"
    assert (changed[unmet] == default[unmet]).all()
    priority = "Priority (weighted people a year)"
    assert (changed[priority] <= default[priority]).all()
    assert (changed[priority] < default[priority]).any()
