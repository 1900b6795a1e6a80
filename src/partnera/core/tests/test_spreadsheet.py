"""The spreadsheet writers: files parsed back (csv module, openpyxl) and checked cell by cell."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from decimal import Decimal

import openpyxl
import pytest
from django.utils import translation

from partnera.core.spreadsheet import (
    BOOL,
    COMMA,
    DATE,
    DECIMAL,
    INTEGER,
    SEMICOLON,
    Column,
    column_letter,
    csv_chunks,
    csv_dialect,
    neutralise,
    write_csv,
    write_xlsx,
)

COLUMNS = [
    Column("name", "legal name"),
    Column("limit", "credit limit", DECIMAL),
    Column("days", "payment days", INTEGER),
    Column("date", "consent date", DATE),
    Column("consent", "consent", BOOL),
    Column("notes", "notes"),
]
ROWS = [
    ("=HYPERLINK(\"http://evil\",\"Кликни\")", Decimal("-5.50"), -5, dt.date(2025, 3, 1), True,
     "ред 1\nред 2; \"кавички\", запетая"),
    ("Алфа ООД", None, None, None, False, ""),
    ("+359888123456", Decimal("12500.00"), 30, dt.date(1999, 12, 31), None, "-5"),
    ("@SUM(A1:A2)", Decimal("0.10"), 0, None, True, "\tскрит"),
    ("\rвръщане", None, None, None, None, "обикновен текст, с запетая"),
]


# --- neutralisation --------------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["=1+1", "+359", "-5", "@SUM(A1)", "\tx", "\rx"])
def test_text_starting_like_a_formula_gets_an_apostrophe(text):
    assert neutralise(text) == "'" + text


@pytest.mark.parametrize("text", ["", "Алфа", "a=b", "5", "'=x", " =x", "\n=x", "—"])
def test_other_text_is_left_alone(text):
    assert neutralise(text) == text


def test_column_letters():
    assert [column_letter(i) for i in (0, 1, 25, 26, 27, 51, 52, 701, 702)] == [
        "A", "B", "Z", "AA", "AB", "AZ", "BA", "ZZ", "AAA"]


def test_the_dialect_follows_the_language_unless_chosen():
    assert csv_dialect("bg") == SEMICOLON
    assert csv_dialect("bg-bg") == SEMICOLON
    assert csv_dialect("en") == COMMA
    assert csv_dialect(None) == COMMA
    assert csv_dialect("bg", "comma") == COMMA
    assert csv_dialect("en", "semicolon") == SEMICOLON


# --- CSV -------------------------------------------------------------------------------------------

def read_csv(data: bytes, delimiter: str) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to read UTF-8
    return list(csv.reader(io.StringIO(data[3:].decode("utf-8"), newline=""), delimiter=delimiter))


def test_csv_comma_cell_by_cell():
    data = b"".join(csv_chunks(COLUMNS, ROWS, dialect=COMMA))

    rows = read_csv(data, ",")

    assert rows == [
        ["Legal name", "Credit limit", "Payment days", "Consent date", "Consent", "Notes"],
        ["'=HYPERLINK(\"http://evil\",\"Кликни\")", "-5.50", "-5", "2025-03-01", "yes",
         "ред 1\nред 2; \"кавички\", запетая"],
        ["Алфа ООД", "", "", "", "no", ""],
        ["'+359888123456", "12500.00", "30", "1999-12-31", "", "'-5"],
        ["'@SUM(A1:A2)", "0.10", "0", "", "yes", "'\tскрит"],
        ["'\rвръщане", "", "", "", "", "обикновен текст, с запетая"],
    ]
    assert b"\r\n" in data and data.count(b"\r\n") >= 6


def test_csv_semicolon_writes_decimal_commas_and_bulgarian_yes_no():
    with translation.override("bg"):
        data = b"".join(csv_chunks(COLUMNS, ROWS, dialect=SEMICOLON))

    rows = read_csv(data, ";")

    assert rows[1][1:5] == ["-5,50", "-5", "2025-03-01", "да"]
    assert rows[2][4] == "не"
    assert rows[3][1] == "12500,00"
    assert rows[5][5] == "обикновен текст, с запетая"


def test_csv_streams_in_chunks_and_counts_rows():
    rows = [(f"Фирма {i}", Decimal(i), i, None, True, "") for i in range(1234)]

    chunks = list(csv_chunks(COLUMNS, rows, dialect=COMMA, chunk_rows=500))
    out = io.BytesIO()
    written = write_csv(out, COLUMNS, rows, dialect=COMMA)

    assert len(chunks) == 1 + 3  # the header, then 500 + 500 + 234 rows
    assert written == 1234
    assert out.getvalue() == b"".join(chunks)
    parsed = read_csv(out.getvalue(), ",")
    assert len(parsed) == 1235
    assert parsed[-1] == ["Фирма 1233", "1233", "1233", "", "yes", ""]


def test_csv_of_no_rows_is_the_header():
    assert read_csv(b"".join(csv_chunks(COLUMNS, [])), ",") == [[c.header for c in COLUMNS]]


# --- XLSX ------------------------------------------------------------------------------------------

def build_xlsx(rows, **kwargs) -> bytes:
    out = io.BytesIO()
    written = write_xlsx(out, COLUMNS, rows, sheet_name="Фирми", **kwargs)
    assert written == len(rows)
    return out.getvalue()


def test_xlsx_cell_by_cell_with_types_and_styles():
    data = build_xlsx(ROWS)

    book = openpyxl.load_workbook(io.BytesIO(data))
    sheet = book.active

    assert book.sheetnames == ["Фирми"]
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:F6"
    header = [c.value for c in sheet[1]]
    assert header == ["Legal name", "Credit limit", "Payment days", "Consent date", "Consent",
                      "Notes"]
    assert all(c.font.b for c in sheet[1])
    values = [[c.value for c in row] for row in sheet.iter_rows(min_row=2)]
    assert values == [
        ["=HYPERLINK(\"http://evil\",\"Кликни\")", -5.5, -5, dt.datetime(2025, 3, 1), True,
         "ред 1\nред 2; \"кавички\", запетая"],
        ["Алфа ООД", None, None, None, False, None],
        ["+359888123456", 12500, 30, dt.datetime(1999, 12, 31), None, "-5"],
        ["@SUM(A1:A2)", 0.1, 0, None, True, "\tскрит"],
        ["\rвръщане", None, None, None, None, "обикновен текст, с запетая"],
    ]
    # Formula-like text is a string cell with Excel's quote prefix; numbers stay numbers.
    formula_like = [(2, 1), (4, 1), (4, 6), (5, 1), (5, 6), (6, 1)]
    for row, col in formula_like:
        cell = sheet.cell(row, col)
        assert cell.data_type == "s"
        assert cell.quotePrefix is True, (row, col)
    assert sheet.cell(3, 1).quotePrefix is False
    assert sheet.cell(3, 6).value is None  # an empty text is no cell at all
    assert sheet.cell(2, 2).data_type == "n" and sheet.cell(2, 2).number_format == "#,##0.00"
    assert sheet.cell(2, 3).data_type == "n" and sheet.cell(2, 3).value == -5
    assert sheet.cell(2, 4).is_date
    assert sheet.cell(2, 5).data_type == "b"


def test_xlsx_never_holds_a_formula():
    data = build_xlsx(ROWS)

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml").decode()
        names = set(archive.namelist())

    assert "<f>" not in sheet and "<f " not in sheet
    assert {"[Content_Types].xml", "_rels/.rels", "xl/workbook.xml", "xl/_rels/workbook.xml.rels",
            "xl/styles.xml", "xl/worksheets/sheet1.xml", "docProps/core.xml",
            "docProps/app.xml"} <= names


def test_xlsx_column_widths_follow_the_header_and_first_rows():
    rows = [("Много дълго име на фирма със седалище в София", None, None, None, None, "")]

    sheet = openpyxl.load_workbook(io.BytesIO(build_xlsx(rows))).active

    assert sheet.column_dimensions["A"].width == len(rows[0][0]) + 1
    assert sheet.column_dimensions["C"].width == len("Payment days") + 4
    assert sheet.column_dimensions["E"].width == 8 + 3  # "Consent" + the filter button


def test_xlsx_drops_characters_xml_cannot_hold_and_keeps_the_rest():
    rows = [("Нулев\x00байт\x0bи\x1fвертикален таб", None, None, None, None, "a&b<c>d\"e'f")]

    sheet = openpyxl.load_workbook(io.BytesIO(build_xlsx(rows))).active

    assert sheet["A2"].value == "Нулевбайтивертикален таб"
    assert sheet["F2"].value == "a&b<c>d\"e'f"


def test_xlsx_continues_on_a_new_sheet_when_one_is_full():
    rows = [(f"Фирма {i}", Decimal(i), i, None, None, "") for i in range(7)]

    book = openpyxl.load_workbook(io.BytesIO(build_xlsx(rows, max_rows_per_sheet=4)))

    assert book.sheetnames == ["Фирми", "Фирми (2)", "Фирми (3)"]
    names = [[row[0] for row in s.iter_rows(min_row=2, values_only=True)] for s in book.worksheets]
    assert names == [["Фирма 0", "Фирма 1", "Фирма 2"], ["Фирма 3", "Фирма 4", "Фирма 5"],
                     ["Фирма 6"]]
    for sheet in book.worksheets:
        assert sheet["A1"].value == "Legal name"
        assert sheet.freeze_panes == "A2"


def test_xlsx_of_no_rows_is_the_header():
    sheet = openpyxl.load_workbook(io.BytesIO(build_xlsx([]))).active

    assert [[c.value for c in row] for row in sheet.iter_rows()] == [[c.header for c in COLUMNS]]


def test_xlsx_sheet_names_are_made_valid():
    out = io.BytesIO()
    write_xlsx(out, COLUMNS[:1], [("x",)], sheet_name="Фирми: [2026/11] * много дълго име")

    assert openpyxl.load_workbook(io.BytesIO(out.getvalue())).sheetnames == [
        "Фирми 2026 11 много дълго име"]


def test_csv_drops_nul_characters_and_refuses_a_row_of_the_wrong_width():
    rows = [("Нулев\x00байт", None, None, None, None, "=\x00x")]

    parsed = read_csv(b"".join(csv_chunks(COLUMNS, rows)), ",")

    assert parsed[1] == ["Нулевбайт", "", "", "", "", "'=x"]
    with pytest.raises(ValueError, match="a row of 2 values for 6 columns"):
        b"".join(csv_chunks(COLUMNS, [("a", "b")]))
