"""Journey: for one borough and need, which services support each stage; missing stages marked."""

import streamlit as st

from planner.app import cache, components, state

st.title("The victim's journey")
state.require("provider", "commissioner", "admin")
with cache.shown_errors():
    data, analysis = cache.planner_data(), cache.analysis()
    components.demo_banner(analysis)
    left, right = st.columns(2)
    with left:
        area = components.area_picker(data, key="journey_area")
    with right:
        need = components.need_picker(data, key="journey_need")
    stages = analysis.result.stages
    rows = stages[(stages["area_code"] == area) & (stages["need"] == need)].copy()
    rows["status"] = [
        ("MISSING (required)" if required else "none (not required)") if n == 0 else "covered"
        for required, n in zip(rows["required"], rows["services"], strict=True)
    ]
    st.subheader(f"{data.area_set.name_of(area)}: {data.assumptions.needs[need].label}")
    vocab = cache.registry().context.vocab
    rows["stage"] = rows["stage"].map(lambda k: vocab.label("stages", k))
    rows["required"] = rows["required"].map({True: "yes", False: "no"})
    missing = rows[rows["status"].str.startswith("MISSING")]["stage"].tolist()
    if missing:
        st.error("Missing stages: " + ", ".join(missing))
    else:
        st.success("Every required stage has at least one approved service.")
    st.dataframe(
        rows[["stage", "required", "status", "services", "service_names"]].rename(
            columns={
                "stage": "Stage",
                "required": "Required",
                "status": "Status",
                "services": "Services",
                "service_names": "Which services",
            }
        ),
        hide_index=True,
        width="stretch",
    )
