"""Reading an uploaded file into a header and rows of text.

CSV: UTF-8, UTF-8 with BOM, UTF-16 with BOM ("Unicode text" from Excel) or Windows-1251 (what a
Bulgarian Excel saves), told apart by decoding; the delimiter (`,` `;` tab or `|`) found by parsing
the start of the file with each candidate and keeping the one that gives a consistent number of
columns (csv.Sniffer guesses from character counts and is easily fooled by commas in addresses);
quoted fields may hold delimiters and line breaks. XLSX through openpyxl in read-only mode (the
first sheet). Other types (vCard) through readers a domain registers.

Every failure is a clear `FileProblem` (a ValidationFailed on the field "file"); nothing is stored
before a file has been read successfully.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from partnera.core.errors import ValidationFailed
from partnera.imports.registry import reader_for

DELIMITERS = [",", ";", "\t", "|"]
SAMPLE_CHARS = 256 * 1024
SAMPLE_RECORDS = 50
MAX_CELL_CHARS = 100_000
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # the old binary .xls (and .doc)


class FileProblem(ValidationFailed):
    code = "import_file"

    def __init__(self, message: str) -> None:
        super().__init__(message, fields={"file": [message]})


def max_bytes() -> int:
    return int(getattr(settings, "PARTNERA_IMPORT_MAX_BYTES", 50 * 1024 * 1024))


def max_rows() -> int:
    return int(getattr(settings, "PARTNERA_IMPORT_MAX_ROWS", 200_000))


RowSource = Callable[[], Iterator[tuple[int, list[str]]]]


@dataclass
class Table:
    file_format: str  # csv | xlsx | <registered extension>
    headers: list[str]
    header_row: int  # the header's row number (0: the format has no header row, e.g. vCard)
    source: RowSource  # (row number, cells) of every row after the header, trailing blanks cut
    encoding: str = ""
    delimiter: str = ""
    # Registered readers deliver rows keyed by field: their header *is* the field key.
    keyed: bool = False
    rows_total: int = 0
    samples: list[list[str]] = field(default_factory=list)  # the first rows, for the mapping step

    def rows(self, start: int = 0) -> Iterator[tuple[int, list[str]]]:
        """Data rows from the `start`-th (0-based), each with its row number in the file."""
        for index, item in enumerate(self.source()):
            if index >= start:
                yield item


def extension_of(filename: str) -> str:
    name = (filename or "").rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def read_table(data: bytes, filename: str, *, kind: str = "", limit_rows: int | None = None,
               count: bool = True) -> Table:
    """The file's header and a re-readable source of its rows, or a FileProblem."""
    limit_rows = max_rows() if limit_rows is None else limit_rows
    if len(data) > max_bytes():
        raise FileProblem(_("The file is larger than %(limit)s. Split it into smaller files.")
                          % {"limit": filesizeformat(max_bytes())})
    if not data.strip():
        raise FileProblem(_("The file is empty."))
    extension = extension_of(filename)
    registered = reader_for(extension)
    if registered is not None:
        reader, kinds = registered
        if kind and kind not in kinds:
            raise FileProblem(_("“.%(ext)s” files cannot be imported as this kind of record.")
                              % {"ext": extension})
        table = _keyed_table(data, reader, extension)
    elif data.startswith(ZIP_MAGIC):
        table = _xlsx_table(data)
    elif data.startswith(OLE_MAGIC):
        raise FileProblem(_("Old Excel files (.xls) cannot be read. Save the sheet as XLSX or CSV."))
    elif extension in ("xlsx", "xlsm"):
        raise FileProblem(_("This is not a readable XLSX file."))
    else:
        table = _csv_table(data)
    if count:
        table.rows_total = _count(table, limit_rows)
    return table


def _count(table: Table, limit_rows: int) -> int:
    total = 0
    for _number, cells in table.rows():
        total += 1
        if len(table.samples) < 5 and any(cells):
            table.samples.append(cells)
        if total > limit_rows:
            raise FileProblem(_("The file has more than %(n)s rows. Split it into smaller files.")
                              % {"n": f"{limit_rows:,}".replace(",", " ")})
    if total == 0:
        raise FileProblem(_("The file has a header row but no data rows."))
    return total


def _trim_trailing_blank(rows: Iterator[tuple[int, list[str]]]) -> Iterator[tuple[int, list[str]]]:
    """Blank rows count (as skipped) only when data follows them: an exported sheet often ends in
    rows that are formatted but empty."""
    pending: list[tuple[int, list[str]]] = []
    for number, cells in rows:
        if any(cells):
            yield from pending
            pending.clear()
            yield number, cells
        else:
            pending.append((number, cells))


# --- CSV ------------------------------------------------------------------------------------------

def decode(data: bytes) -> tuple[str, str]:
    """The text and the encoding it was in: a BOM decides; else UTF-8 when it decodes cleanly;
    else Windows-1251 (the Cyrillic code page Excel uses in Bulgaria)."""
    if data.startswith(b"\xef\xbb\xbf"):
        encoding = "utf-8-sig"
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding = "utf-16"
    else:
        if b"\x00" in data[:SAMPLE_CHARS]:
            raise FileProblem(_("This does not look like a CSV file: it contains binary data. "
                                "Save the sheet as CSV (UTF-8) or XLSX."))
        try:
            text = data.decode("utf-8")
            return _checked_text(text), "utf-8"
        except UnicodeDecodeError:
            encoding = "cp1251"
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError:
        raise FileProblem(_("The file's text encoding is not recognised. Save it as CSV UTF-8."))\
            from None
    return _checked_text(text), encoding


def _checked_text(text: str) -> str:
    sample = text[:SAMPLE_CHARS]
    controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\t\r\n\f")
    if "\x00" in sample or controls > max(3, len(sample) // 200):
        raise FileProblem(_("This does not look like a CSV file: it contains binary data. "
                            "Save the sheet as CSV (UTF-8) or XLSX."))
    return text


def _records(text: str, delimiter: str) -> Iterator[list[str]]:
    return csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar='"',
                      doublequote=True, skipinitialspace=False, strict=False)


def detect_delimiter(text: str) -> str:
    """The delimiter that splits the first records into the same number of columns (more than
    one), preferring the most consistent, then the one giving more columns."""
    sample = text[:SAMPLE_CHARS]
    if len(text) > SAMPLE_CHARS:
        cut = sample.rfind("\n")
        sample = sample[:cut] if cut > 0 else sample
    best, best_score = ",", (0.0, 0)
    for delimiter in DELIMITERS:
        counts: list[int] = []
        try:
            for record in _records(sample, delimiter):
                if any(c.strip() for c in record):
                    counts.append(len(record))
                if len(counts) >= SAMPLE_RECORDS:
                    break
        except csv.Error:
            continue
        if not counts:
            continue
        width = counts[0]  # the header
        if width < 2:
            continue
        consistent = sum(1 for c in counts if c == width) / len(counts)
        score = (round(consistent, 2), width)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _csv_table(data: bytes) -> Table:
    text, encoding = decode(data)
    if not text.strip():
        raise FileProblem(_("The file is empty."))
    delimiter = detect_delimiter(text)
    header_row, headers = 0, []
    try:
        for number, record in enumerate(_records(text, delimiter), 1):
            if any(c.strip() for c in record):
                header_row, headers = number, [_clean_cell(c) for c in record]
                break
    except csv.Error as exc:
        raise FileProblem(_("The file could not be read as CSV: %(error)s") % {"error": exc}) from None
    if not header_row:
        raise FileProblem(_("The file is empty."))
    headers = _named_headers(headers)

    def source() -> Iterator[tuple[int, list[str]]]:
        def rows() -> Iterator[tuple[int, list[str]]]:
            reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar='"',
                                doublequote=True, strict=False)
            try:
                for number, record in enumerate(reader, 1):
                    if number <= header_row:
                        continue
                    yield number, [_clean_cell(c) for c in record]
            except csv.Error as exc:
                raise FileProblem(_("Row %(row)s could not be read: %(error)s")
                                  % {"row": reader.line_num, "error": exc}) from None
        return _trim_trailing_blank(rows())

    return Table("csv", headers, header_row, source, encoding=encoding, delimiter=delimiter)


def _clean_cell(value: str) -> str:
    value = value.replace("\x00", "").strip()
    if len(value) > MAX_CELL_CHARS:
        raise FileProblem(_("A cell holds more than %(n)s characters; this is not a client list.")
                          % {"n": MAX_CELL_CHARS})
    return value


def _named_headers(headers: list[str]) -> list[str]:
    return [h or _("Column %(n)s") % {"n": i} for i, h in enumerate(headers, 1)]


# --- XLSX -----------------------------------------------------------------------------------------

def _xlsx_table(data: bytes) -> Table:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError):
        raise FileProblem(_("This is not a readable XLSX file.")) from None
    if unpacked > 20 * max_bytes():
        raise FileProblem(_("The spreadsheet is too large once unpacked. Split it into smaller files."))
    if "xl/workbook.xml" not in archive.namelist():
        raise FileProblem(_("This is not a readable XLSX file."))

    def open_sheet():
        from openpyxl import load_workbook

        try:
            book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception:  # openpyxl raises many kinds on a damaged file
            raise FileProblem(_("This is not a readable XLSX file.")) from None
        sheet = book.worksheets[0] if book.worksheets else None
        if sheet is None:
            raise FileProblem(_("The spreadsheet has no sheets."))
        return book, sheet

    def all_rows() -> Iterator[tuple[int, list[str]]]:
        book, sheet = open_sheet()
        try:
            for number, values in enumerate(sheet.iter_rows(values_only=True), 1):
                yield number, [_xlsx_cell(v) for v in values]
        except FileProblem:
            raise
        except Exception:
            raise FileProblem(_("This is not a readable XLSX file.")) from None
        finally:
            book.close()

    header_row, headers = 0, []
    for number, cells in all_rows():
        if any(cells):
            header_row, headers = number, cells
            break
    if not header_row:
        raise FileProblem(_("The spreadsheet is empty."))
    while headers and not headers[-1]:
        headers.pop()
    headers = _named_headers(headers)
    width = len(headers)

    def source() -> Iterator[tuple[int, list[str]]]:
        def rows() -> Iterator[tuple[int, list[str]]]:
            for number, cells in all_rows():
                if number > header_row:
                    yield number, cells[:max(width, _last_filled(cells))]
        return _trim_trailing_blank(rows())

    return Table("xlsx", headers, header_row, source)


def _last_filled(cells: list[str]) -> int:
    for index in range(len(cells) - 1, -1, -1):
        if cells[index]:
            return index + 1
    return 0


def _xlsx_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.isoformat()
    return _clean_cell(str(value))


# --- readers a domain registers (vCard …) -------------------------------------------------------

def _keyed_table(data: bytes, reader, extension: str) -> Table:
    try:
        records = reader(data)
    except FileProblem:
        raise
    except ValidationFailed as exc:
        raise FileProblem(exc.message) from None
    except (ValueError, UnicodeDecodeError):
        raise FileProblem(_("The “.%(ext)s” file could not be read.") % {"ext": extension}) from None
    if not records:
        raise FileProblem(_("The file holds no records."))
    keys: list[str] = []
    for record in records:
        for key in record:
            if key not in keys:
                keys.append(key)

    def source() -> Iterator[tuple[int, list[str]]]:
        for number, record in enumerate(records, 1):
            yield number, [_clean_cell(str(record.get(k) or "")) for k in keys]

    return Table(extension, keys, 0, source, encoding="utf-8", keyed=True)
