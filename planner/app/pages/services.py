"""Services: browse, map and read the registry; register or edit; Excel and ORUK in and out."""

import streamlit as st

from planner import words
from planner.app import cache, components, forms, state
from planner.app.components import md
from planner.coverage.inputs import public_site
from planner.errors import PlannerError
from planner.maps import sites_map
from planner.registry.template import problems_workbook, template_bytes
from planner.registry.validation import ValidationError
from planner.registry.workbook import parse_workbook
from planner.schema import SITE_FIELDS

st.title("Services")
who = state.require("provider", "commissioner", "admin")
with cache.shown_errors():
    data, analysis, registry = cache.planner_data(), cache.analysis(), cache.registry()
    components.demo_banner(analysis)
    vocab, areas = registry.context.vocab, data.area_set
    statuses = list(cache.EVERY_STATUS) if who.manages else None
    records = cache.services(statuses, who)
    if who.role == "provider":
        records = [
            r
            for r in records
            if r["status"] == "approved" or r["organisation_id"] == who.organisation_id
        ]
    if who.role == "provider":
        returned = [
            r
            for r in records
            if r["organisation_id"] == who.organisation_id
            and r.get("review_note")
            and r["status"] == "draft"
        ]
        for r in returned:
            st.warning(
                f"**{md(r['name'])}** was returned to you by a commissioner: "
                f"{md(r['review_note'])} Change it below (Service details → Edit) and save "
                "to send it again."
            )
    query = st.text_input("Search by name or provider")
    f1, f2, f3 = st.columns(3)
    any_label = {"any": "Any"}
    need = f1.selectbox(
        "Need",
        ["any", *vocab.keys("needs")],
        format_func=lambda k: any_label.get(k) or vocab.label("needs", k),
    )
    kind = f2.selectbox(
        "Service type",
        ["any", *vocab.keys("service_types")],
        format_func=lambda k: any_label.get(k) or vocab.label("service_types", k),
    )
    borough = f3.selectbox("Borough", ["Any"] + [a.name for a in areas.areas])
    code = areas.resolve(borough) if borough != "Any" else None
    shown = [
        r
        for r in records
        if (not query or query.lower() in (r["name"] + r["organisation_name"]).lower())
        and (need == "any" or need in r["needs"])
        and (kind == "any" or r["service_type"] == kind)
        and (code is None or code in {a["area_code"] for a in r["areas"]})
    ]
    st.dataframe(
        [
            {
                "Service": r["name"],
                "Provider": r["organisation_name"],
                "Status": words.status(r["status"]),
                "People a year": r["capacity_per_year"],
                "Needs": ", ".join(vocab.label("needs", n) for n in r["needs"]),
                "Type": vocab.label("service_types", r["service_type"] or ""),
                "Scope": vocab.label("scopes", r.get("scope") or "local"),
            }
            for r in shown
        ],
        hide_index=True,
        width="stretch",
        column_config={"People a year": st.column_config.NumberColumn(format="localized")},
    )
    sites = [
        {**public_site(s), "service_name": r["name"], "site_name": public_site(s)["name"]}
        for r in shown
        for s in r["sites"]
    ]
    import pandas as pd

    site_frame = pd.DataFrame(
        sites,
        columns=[*SITE_FIELDS, "service_name", "site_name"],
    )
    components.show_map(
        ("sites", registry.stamp(), who.role, who.organisation_id, query, need, kind, borough),
        lambda: sites_map(cache.area_map_layer(), site_frame, title="Service sites"),
        height=420,
        title="service sites",
    )
    if shown:
        pick = st.selectbox("Service details", [r["name"] for r in shown])
        record = next(r for r in shown if r["name"] == pick)
        forms.service_detail(record, areas, vocab)
        may_edit = who.manages or record["organisation_id"] == who.organisation_id
        if may_edit and st.button("Edit this service"):
            st.session_state["edit_service"] = record["id"]
    st.divider()
    editing = st.session_state.get("edit_service")
    current = registry.get_service(editing, actor=who) if editing else None
    forms.service_form(registry, who, current)
    st.divider()
    st.subheader("Excel and Open Referral UK")
    own = None
    if who.role == "provider":
        orgs = registry.organisations()
        mine = orgs[orgs["id"] == who.organisation_id]
        own = mine.iloc[0].to_dict() if not mine.empty else None
    st.download_button(
        "Download your organisation's registration template"
        if own
        else "Download the Excel registration template",
        lambda: template_bytes(vocab, areas, own),
        "registration_template.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        on_click="ignore",
    )
    upload = st.file_uploader(
        "Upload a filled template (.xlsx) or Open Referral UK (.json)", type=["xlsx", "json"]
    )
    if upload is not None and st.button("Import the file"):
        try:
            content = upload.getvalue()
            if upload.name.lower().endswith(".json"):
                from planner.registry.oruk_import import oruk_to_records, read_oruk_json

                payload = read_oruk_json(content, upload.name)
                mapped = oruk_to_records(payload, registry.context)
                result = registry.import_records(
                    who, mapped.organisations, mapped.services, source=upload.name
                )
                for note in mapped.notes:
                    st.caption(note)
            else:
                parsed = parse_workbook(content, vocab, filename=upload.name)
                result = registry.import_records(
                    who, parsed.organisations, parsed.services, source=upload.name
                )
            st.success(f"Imported {md(upload.name)}: {result}.")
            cache.clear_after_change()
        except ValidationError as exc:
            st.error(str(exc))
            st.download_button(
                "Download the problems as a workbook",
                problems_workbook(exc.problems),
                "import_problems.xlsx",
            )
        except PlannerError as exc:  # not JSON, values of the wrong kind, a damaged workbook
            st.error(str(exc))
    if who.manages and st.button("Prepare the registry as Open Referral UK JSON"):
        # made and checked against the ORUK schema on request (seconds for a large registry;
        # kept until the registry changes)
        with st.spinner("Writing and checking Open Referral UK…"):
            payload, problems = cache.oruk_json(who)
        if problems:
            st.error(
                "The registry does not yet make valid Open Referral UK: "
                + "; ".join(map(md, problems[:5]))
            )
        else:
            st.download_button(
                "Download registry_oruk.json",
                payload,
                "registry_oruk.json",
                mime="application/json",
                on_click="ignore",
            )
