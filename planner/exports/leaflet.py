"""The borough leaflet: "Support available in <borough>" for one need, in plain language,
printable (HTML with print CSS) and as a PDF (fpdf2, pure Python). No personal data;
confidential sites appear only as the borough."""

from __future__ import annotations

import html

import pandas as pd

from planner.analysis import Analysis
from planner.datasets import PlannerData

HELPLINES = [
    ("Emergency", "999 (or 999 then 55 if you cannot speak)"),
    ("Victim Support Supportline (free, 24 hours)", "08 08 16 89 111"),
    ("National Domestic Abuse Helpline (free, 24 hours)", "0808 2000 247"),
    ("Rape Crisis 24/7 Support Line", "0808 500 2222"),
    ("Brake (road crash victims)", "0808 8000 401"),
]


def clean(value: object) -> str:
    """Text for a field that may be missing (None or NaN from a table)."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return str(value).strip()


def leaflet_services(analysis: Analysis, area_code: str, need: str) -> pd.DataFrame:
    t = analysis.tables
    covering = set(t.areas.loc[t.areas["area_code"] == area_code, "service_id"]) & set(
        t.terms.loc[(t.terms["kind"] == "need") & (t.terms["value"] == need), "service_id"]
    )
    services = t.services[t.services["service_id"].isin(covering)]
    langs = (
        t.terms[t.terms["kind"] == "language"]
        .groupby("service_id")["value"]
        .agg(lambda v: ", ".join(sorted(v)))
    )
    out = services.assign(languages=services["service_id"].map(langs).fillna(""))
    return out.sort_values(["without_police_report", "name"], ascending=[False, True])


def _lines(analysis: Analysis, data: PlannerData, area_code: str, need: str):
    area = data.area_set.name_of(area_code)
    spec = data.assumptions.needs[need]
    services = leaflet_services(analysis, area_code, need)
    title = f"Support available in {area}"
    intro = (
        f"For {spec.phrase}. You can get help whether or not you have told the police, "
        "unless a service says otherwise. All services listed are free unless they say so."
    )
    items = []
    for s in services.itertuples(index=False):
        phone, website, email = clean(s.phone), clean(s.website), clean(s.email)
        reach = [x for x in (phone and f"Phone {phone}", website, email) if x]
        items.append(
            {
                "name": s.name,
                "provider": s.organisation_name,
                "police": "No police report needed"
                if s.without_police_report
                else "For people who have reported to the police (or are referred by them)",
                "reach": " · ".join(reach) or "Ask Victim Support to refer you",
                "hours": clean(s.hours),
                "languages": clean(s.languages),
            }
        )
    return title, intro, items, analysis.demo


def leaflet_html(analysis: Analysis, data: PlannerData, area_code: str, need: str) -> bytes:
    title, intro, items, demo = _lines(analysis, data, area_code, need)
    e = html.escape
    cards = (
        "".join(
            f"<section><h2>{e(i['name'])}</h2><p class='provider'>{e(i['provider'])}</p>"
            f"<p><strong>{e(i['police'])}</strong></p><p>How to get in touch: {e(i['reach'])}</p>"
            + (f"<p>When: {e(i['hours'])}</p>" if i["hours"] else "")
            + (f"<p>Languages: {e(i['languages'])}</p>" if i["languages"] else "")
            + "</section>"
            for i in items
        )
        or "<p>No approved service is listed yet.</p>"
    )
    helplines = "".join(f"<li>{e(n)}: <strong>{e(v)}</strong></li>" for n, v in HELPLINES)
    banner = "<p class='demo'>Demonstration: these services are fictional.</p>" if demo else ""
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{e(title)}</title>
<style>
body {{ font-family: Arial, sans-serif; font-size: 14pt; line-height: 1.45; margin: 2em;
       max-width: 46em; color: #111; }}
h1 {{ font-size: 22pt; }} h2 {{ font-size: 16pt; margin-bottom: 0.2em; }}
section {{ border-top: 1px solid #999; padding-top: 0.4em; break-inside: avoid; }}
.provider {{ margin-top: 0; color: #333; }} .demo {{ background: #fff2cc; padding: 0.5em; }}
@media print {{ body {{ margin: 0; font-size: 12pt; }} a {{ color: #000; }}
  @page {{ size: A4; margin: 18mm; }} }}
</style></head><body>
<h1>{e(title)}</h1>{banner}<p>{e(intro)}</p>{cards}
<h2>National helplines</h2><ul>{helplines}</ul>
<p><small>Listed from the approved services in the commissioning registry.</small></p>
</body></html>"""
    return page.encode("utf-8")


def leaflet_pdf(analysis: Analysis, data: PlannerData, area_code: str, need: str) -> bytes:
    from fpdf import FPDF

    title, intro, items, demo = _lines(analysis, data, area_code, need)
    pdf = FPDF(format="A4")
    pdf.set_margins(18, 18, 18)
    pdf.add_page()

    def text(value: str, size: int = 11, style: str = "") -> None:
        pdf.set_font("Helvetica", style, size)
        safe = value.encode("latin-1", "replace").decode("latin-1")
        pdf.multi_cell(0, size * 0.5, safe, new_x="LMARGIN", new_y="NEXT")

    text(title, 18, "B")
    if demo:
        text("Demonstration: these services are fictional.", 10, "I")
    text(intro)
    for i in items:
        pdf.ln(2)
        text(i["name"], 13, "B")
        text(i["provider"], 10)
        text(i["police"], 11, "B")
        text("How to get in touch: " + i["reach"])
        if i["hours"]:
            text("When: " + i["hours"])
        if i["languages"]:
            text("Languages: " + i["languages"])
    pdf.ln(3)
    text("National helplines", 13, "B")
    for name, number in HELPLINES:
        text(f"{name}: {number}")
    return bytes(pdf.output())
