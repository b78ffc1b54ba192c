"""Entry point: ``streamlit run planner/app/app.py``. Declares the pages, nothing else."""

import streamlit as st

st.set_page_config(page_title="Victim Services Commissioning Planner", layout="wide")

pages = {
    "Understand demand": [
        st.Page("pages/demand.py", title="Demand", default=True),
    ],
}
st.navigation(pages).run()
