"""The coverage engine (BRIEF §4): demand against approved supply, per area and need.

Pure and deterministic: tables in, tables out; no Streamlit, no database, no files. Start at
:func:`planner.coverage.engine.analyse`.
"""

from planner.coverage.engine import CoverageResult, analyse

__all__ = ["CoverageResult", "analyse"]
