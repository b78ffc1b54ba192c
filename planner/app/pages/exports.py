"""Exports: the gap analysis and framework workbooks, the statutory packs, the gap map,
borough leaflets."""

import datetime as dt

import streamlit as st

from planner.app import cache, components, state, views
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
from planner.needs_assessment import read_consultation
from planner.registry import plan_store

st.title("Exports")
state.require("commissioner", "admin")
with cache.shown_errors():
    data, analysis = cache.planner_data(), cache.analysis()
    components.demo_banner(analysis)
    labels = {spec.label: need for need, spec in data.assumptions.needs.items()}
    st.subheader("Gap analysis workbook")
    needs = st.multiselect("Needs", list(labels), default=list(labels))
    boroughs = st.multiselect("Boroughs (none: all)", [a.name for a in data.area_set.areas])
    contact = st.text_input("Contact on the covers", "The commissioning team")
    if st.button("Build the gap analysis workbook"):
        progress = st.progress(0.1, "Writing the tables…")
        content = gap_analysis_workbook(
            analysis,
            data,
            needs=[labels[n] for n in needs],
            areas=[data.area_set.resolve(b) for b in boroughs] or None,
            contact=contact,
        )
        progress.progress(1.0, "Done")
        st.download_button(
            "Download gap_analysis.xlsx", content, "gap_analysis.xlsx", on_click="ignore"
        )
    st.subheader("Commissioning framework workbook")
    plans = {p["name"]: p for p in plan_store.list_plans(cache.registry())}
    chosen = st.selectbox("Lots from", ["proposed from the gaps", *plans])
    if st.button("Build the framework workbook"):
        progress = st.progress(0.1, "Writing the framework…")
        lots = plan_lots_frame(plans[chosen], data.area_set) if chosen in plans else None
        content = framework_workbook(analysis, data, lots=lots, contact=contact)
        progress.progress(1.0, "Done")
        st.download_button("Download framework.xlsx", content, "framework.xlsx", on_click="ignore")
    st.subheader("Statutory packs")
    st.caption(
        "Each pack is built from the same analysis as the gap workbook; its cover quotes the "
        "duties it answers, section by section."
    )
    packs = {
        "Joint needs assessment (Victims and Prisoners Act 2024, ss. 13 to 15)": "jna",
        "Safe accommodation needs assessment (Domestic Abuse Act 2021, Part 4)": "safe",
        "Map of Gaps matrix (violence type by support type, per area)": "gaps",
    }
    which = packs[st.radio("Pack", list(packs))]
    review, log = None, None
    if which == "jna":
        review = st.date_input(
            "Review date (s.14(5): keep the strategy under review)",
            dt.date.today().replace(year=dt.date.today().year + 1),
            format="DD/MM/YYYY",
        )
        upload = st.file_uploader(
            "Carry a consultation log forward (last year's pack, or a CSV)",
            type=["xlsx", "csv"],
        )
        if upload is not None:
            log = read_consultation(upload.getvalue(), filename=upload.name)
            st.caption(f"{len(log)} consultation entries read from {upload.name}.")
    if st.button("Build the pack"):
        progress = st.progress(0.1, "Assessing the registry against demand…")
        if which == "jna":
            content, pack = needs_assessment_pack(
                analysis, data, consultation=log, review=review, contact=contact
            )
            progress.progress(0.7, "Writing the printable summary…")
            summary = needs_assessment_summary_pdf(pack, data, analysis)
            names = ("joint_needs_assessment.xlsx", "joint_needs_assessment_summary.pdf")
        elif which == "safe":
            content, pack = safe_accommodation_pack(analysis, data, contact=contact)
            summary, names = None, ("safe_accommodation_assessment.xlsx", "")
        else:
            content, pack = map_of_gaps_pack(analysis, data, contact=contact)
            summary, names = None, ("map_of_gaps.xlsx", "")
        progress.progress(1.0, "Done")
        st.markdown("**Findings**")
        st.markdown("\n".join(f"- {components.md(f)}" for f in pack.findings))
        left, right = st.columns(2)
        left.download_button(f"Download {names[0]}", content, names[0], on_click="ignore")
        if summary is not None:
            right.download_button(
                f"Download {names[1]}",
                summary,
                names[1],
                mime="application/pdf",
                on_click="ignore",
            )
    # the files below are made when their button is clicked (on a thread of their own, from
    # values fixed here), so a change of borough or need costs nothing until then
    st.subheader("Gap map")
    need = components.need_picker(data, key="export_need")
    rows, layer = views.map_rows(need), cache.area_map_layer()
    title = f"{data.assumptions.needs[need].label}, worst tier"
    left, right = st.columns(2)
    left.download_button(
        "Map as a web page (HTML)",
        lambda: map_html(components.coverage_map_of(data, rows, title, layer)),
        "gap_map.html",
        mime="text/html",
        on_click="ignore",
    )
    right.download_button(
        "Map as a picture (PNG)",
        lambda: gap_map_png(data.boundaries, rows, title=title),
        "gap_map.png",
        mime="image/png",
        on_click="ignore",
    )
    st.subheader("Borough leaflet")
    left, right = st.columns(2)
    with left:
        area = components.area_picker(data, key="leaflet_area")
    with right:
        leaflet_need = components.need_picker(data, key="leaflet_need", label="Need")
    st.caption(
        f"Leaflet for {data.area_set.name_of(area)}: {data.assumptions.needs[leaflet_need].label}"
        " support, for people who have been affected."
    )
    for column, (label, make, name, mime) in zip(
        st.columns(2),
        [
            ("Leaflet (printable web page)", leaflet_html, "leaflet.html", "text/html"),
            ("Leaflet (PDF)", leaflet_pdf, "leaflet.pdf", "application/pdf"),
        ],
        strict=True,
    ):
        column.download_button(
            label,
            lambda make=make: make(analysis, data, area, leaflet_need),
            name,
            mime=mime,
            on_click="ignore",
        )
