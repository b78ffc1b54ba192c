"""The consultation log a commissioner carries from one joint needs assessment to the next:
every bad input gets a sentence naming its row and field, and nothing is read from a file
with a problem."""

import io

import openpyxl
import pytest

from planner.needs_assessment import CONSULTATION_COLUMNS, ConsultationError, read_consultation

HEADER = ",".join(CONSULTATION_COLUMNS)


def csv(*rows: str) -> bytes:
    return "\n".join([HEADER, *rows]).encode()


def test_a_csv_log_is_read_and_waiting_rows_are_left_out():
    log = read_consultation(
        csv(
            "2026-10-01,provider,Kestrel,meeting,IDVA waits,Lot 2",
            "[x],Provider,Meridian,to be consulted,[x],[x]",
            "2026-09-12,Victims' views,Survivors' panel,focus group,Evening hours,",
        ),
        filename="log.csv",
    )
    assert log["organisation or group"].tolist() == ["Kestrel", "Survivors' panel"]
    assert log["who was heard"].tolist() == ["Provider", "Victims' views"]
    assert log.loc[1, "what changed as a result"] == "[x]"  # nothing typed: the shorthand


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "log.csv is empty"),
        (b"date,who\n", "log.csv row 1: column(s) missing: who was heard, organisation or group"),
        (
            csv("2026-13-01,Provider,Kestrel,meeting,x,y"),
            "log.csv row 2, date: '2026-13-01' is not a date",
        ),
        (csv("2026-05-01 or so,Provider,Kestrel,meeting,x,y"), "row 2, date: '2026-05-01 or so'"),
        (csv(",Provider,Kestrel,meeting,x,y"), "log.csv row 2, date: missing"),
        (
            csv("2026-05-01,Nobody,Kestrel,meeting,x,y"),
            "row 2, who was heard: 'Nobody' must be one of",
        ),
        (csv("2026-05-01,Provider,,meeting,x,y"), "row 2, organisation or group: missing"),
        (
            csv("2026-05-01,Provider,Kestrel,meeting," + "x" * 5001 + ",y"),
            "row 2, what they said: 5,001",
        ),
        ("date\n\udcff".encode("utf-8", "surrogateescape"), "is not UTF-8 text"),
        (b"\xff\xfe" + HEADER.encode("utf-16-le"), "is not UTF-8 text"),
    ],
)
def test_every_bad_log_is_refused_with_its_row_and_field(content, message):
    with pytest.raises(ConsultationError) as caught:
        read_consultation(content, filename="log.csv")
    assert message in str(caught.value)


def test_every_problem_is_listed_and_nothing_is_read():
    with pytest.raises(ConsultationError) as caught:
        read_consultation(
            csv(
                "2026-05-01,Provider,Kestrel,meeting,x,y",
                "nope,Provider,A,b,c,d",
                "2026-01-01,?,B,c,d,e",
            ),
            filename="log.csv",
        )
    text = str(caught.value)
    assert "2 problem(s); nothing was read" in text
    assert "row 3, date" in text and "row 4, who was heard" in text


def _workbook(sheet: str = "Consultation log", rows=()) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    ws.append(["Consultation log"])
    ws.append(["This worksheet contains one table."])
    ws.append(CONSULTATION_COLUMNS)
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_workbook_logs_are_checked_like_csv_ones():
    good = _workbook(rows=[["2026-10-01", "Other", "Healthwatch", "letter", "x", "y"]])
    assert read_consultation(good, filename="pack.xlsx")["how"].tolist() == ["letter"]
    with pytest.raises(ConsultationError, match="has no 'Consultation log' sheet"):
        read_consultation(_workbook(sheet="Summary"), filename="pack.xlsx")
    with pytest.raises(ConsultationError, match=r"pack.xlsx row 4, date: 'soon'"):
        read_consultation(
            _workbook(rows=[["soon", "Other", "A", "b", "c", "d"]]), filename="pack.xlsx"
        )
    # not a workbook at all: the upload check's sentence, not a traceback
    with pytest.raises(Exception, match=r"not an Excel workbook|is a PDF") as caught:
        read_consultation(b"%PDF-1.4 not a workbook", filename="pack.xlsx")
    assert caught.type.__name__.endswith("Error")
