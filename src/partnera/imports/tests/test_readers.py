"""Reading files: every encoding and delimiter, quoted fields, XLSX, and clear refusals."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import Workbook

from partnera.imports.readers import FileProblem, detect_delimiter, read_table

HEADER = ["ЕИК", "Име на фирма", "Град", "Адрес"]
ROWS = [["175074752", "Алфа ООД", "София", "ул. „Шипка“ 6, ет. 2"],
        ["121640066", "Бета, Гама и сие АД", "Пловдив", "бул. „Марица“ 15"]]


def csv_text(delimiter: str, rows=ROWS, header=HEADER, newline="\r\n") -> str:
    def cell(value: str) -> str:
        if any(ch in value for ch in (delimiter, '"', "\n", ",")):
            return '"' + value.replace('"', '""') + '"'
        return value
    return newline.join(delimiter.join(cell(v) for v in row) for row in [header, *rows]) + newline


def rows_of(table) -> list[tuple[int, list[str]]]:
    return list(table.rows())


@pytest.mark.parametrize("encoding,expected", [
    ("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("cp1251", "cp1251"), ("utf-16", "utf-16"),
])
@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_every_encoding_and_delimiter_reads_the_same_rows(encoding, expected, delimiter):
    data = csv_text(delimiter).encode(encoding)

    table = read_table(data, "firmi.csv")

    assert table.file_format == "csv"
    assert table.encoding == expected
    assert table.delimiter == delimiter
    assert table.headers == HEADER
    assert table.header_row == 1
    assert table.rows_total == 2
    assert rows_of(table) == [(2, ROWS[0]), (3, ROWS[1])]


def test_quoted_fields_keep_delimiters_quotes_and_line_breaks():
    rows = [["175074752", 'Фирма "Алфа"; ООД', "София", "ул. Шипка 6\nет. 2, ап. 5"],
            ["121640066", "Бета", "Варна", ""]]
    data = csv_text(";", rows).encode("utf-8")

    table = read_table(data, "a.csv")

    assert table.delimiter == ";"
    # Row numbers count records, as a spreadsheet shows them: the line break stays in its cell.
    assert rows_of(table) == [(2, rows[0]), (3, rows[1])]


def test_semicolon_file_full_of_commas_is_not_mistaken_for_comma_separated():
    rows = [[f"{n}", f"Фирма {n}, клон {n}", "София", f"ул. Раковски {n}, ет. {n}, ап. 1"]
            for n in range(20)]
    text = csv_text(";", rows).replace('"', "")  # Excel does not quote ; files with commas

    assert detect_delimiter(text) == ";"
    assert read_table(text.encode(), "a.csv").headers == HEADER


def test_a_single_column_file_is_read():
    table = read_table("Име на фирма\nАлфа\nБета\n".encode(), "a.csv")

    assert table.headers == ["Име на фирма"]
    assert rows_of(table) == [(2, ["Алфа"]), (3, ["Бета"])]


def test_header_after_blank_lines_keeps_file_row_numbers_and_blank_rows_between_count():
    data = "\n\nЕИК;Име\n175074752;Алфа\n;\n121640066;Бета\n;\n\n".encode()

    table = read_table(data, "a.csv")

    assert table.header_row == 3
    # The empty row between data rows counts (as skipped); the trailing ones do not.
    assert rows_of(table) == [(4, ["175074752", "Алфа"]), (5, ["", ""]),
                              (6, ["121640066", "Бета"])]
    assert table.rows_total == 3


def test_cells_are_trimmed_and_empty_headers_named():
    table = read_table(" ЕИК ;;Град\n 175074752 ; Алфа ;София \n".encode(), "a.csv")

    assert table.headers == ["ЕИК", "Column 2", "Град"]
    assert rows_of(table) == [(2, ["175074752", "Алфа", "София"])]


@pytest.mark.parametrize("data,message", [
    (b"", "The file is empty."),
    (b"   \r\n\r\n", "The file is empty."),
    ("ЕИК;Име\r\n".encode(), "The file has a header row but no data rows."),
    ("ЕИК;Име\r\n;\r\n\r\n".encode(), "The file has a header row but no data rows."),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)),
     "This does not look like a CSV file: it contains binary data."),
    (bytes(range(1, 32)) * 20, "This does not look like a CSV file: it contains binary data."),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "Old Excel files (.xls) cannot be read."),
    (b"PK\x03\x04not really a zip", "This is not a readable XLSX file."),
])
def test_unreadable_files_are_refused_with_a_clear_reason(data, message):
    with pytest.raises(FileProblem) as caught:
        read_table(data, "file.csv")

    assert caught.value.message.startswith(message)
    assert caught.value.fields == {"file": [caught.value.message]}


def test_a_file_named_xlsx_that_is_not_one_is_refused():
    with pytest.raises(FileProblem, match="not a readable XLSX"):
        read_table(b"name,city\nAlfa,Sofia\n", "list.xlsx")


def test_size_and_row_limits(settings):
    settings.PARTNERA_IMPORT_MAX_BYTES = 1000
    settings.PARTNERA_IMPORT_MAX_ROWS = 3
    with pytest.raises(FileProblem, match="larger than 1000"):
        read_table(b"a,b\n" + b"x,y\n" * 400, "a.csv")
    with pytest.raises(FileProblem, match="more than 3 rows"):
        read_table(b"a,b\n" + b"x,y\n" * 4, "a.csv")
    assert read_table(b"a,b\n" + b"x,y\n" * 3, "a.csv").rows_total == 3


# --- XLSX -----------------------------------------------------------------------------------------

def xlsx(rows: list[list], title_rows: int = 0) -> bytes:
    book = Workbook()
    sheet = book.active
    for _ in range(title_rows):
        sheet.append([])
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_xlsx_cells_become_text_as_a_person_typed_them():
    data = xlsx([
        ["ЕИК", "Име на фирма", "Телефон", "Кредитен лимит", "Дата", "Съгласие"],
        [40683212, "Алфа ООД", 359888123456, 15000.5, dt.datetime(2025, 3, 1), True],
        ["121640066", "Бета", None, 2000.0, dt.date(2024, 12, 31), False],
        [None, None, None, None, None, None],
        [None, None, None, None, None, None],
    ])

    table = read_table(data, "firmi.xlsx")

    assert table.file_format == "xlsx"
    assert table.headers == ["ЕИК", "Име на фирма", "Телефон", "Кредитен лимит", "Дата",
                             "Съгласие"]
    assert rows_of(table) == [
        (2, ["40683212", "Алфа ООД", "359888123456", "15000.5", "2025-03-01", "yes"]),
        (3, ["121640066", "Бета", "", "2000", "2024-12-31", "no"]),
    ]
    assert table.rows_total == 2


def test_xlsx_header_below_title_rows_keeps_sheet_row_numbers():
    table = read_table(xlsx([["Име"], ["Алфа"]], title_rows=2), "a.xlsx")

    assert table.header_row == 3
    assert rows_of(table) == [(4, ["Алфа"])]


def test_xlsx_renamed_to_csv_is_still_read_as_xlsx():
    assert read_table(xlsx([["Име"], ["Алфа"]]), "export.csv").file_format == "xlsx"


def test_empty_xlsx_is_refused():
    with pytest.raises(FileProblem, match=r"The spreadsheet is empty\."):
        read_table(xlsx([]), "a.xlsx")
