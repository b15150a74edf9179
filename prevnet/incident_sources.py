"""Opening an analyst's incident file, CSV text or an .xlsx workbook, as one table.

Spreadsheet cells that Excel holds as dates come out as ISO dates, which read the same in every
country; everything else comes out as the text the sheet shows.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.worksheet._read_only import ReadOnlyWorksheet

from phenomena.errors import InvalidValue
from phenomena.incident_files.dialect import decode, detect_delimiter
from phenomena.incident_files.table import Record, Table, split, table_of

SPREADSHEETS = (".xlsx", ".xlsm")
_ZIP = b"PK\x03\x04"
"""How an .xlsx begins, whatever its name (a workbook saved as ``export.csv`` is still one)."""
_OLE2 = bytes.fromhex("D0CF11E0A1B11AE1")
"""How an Excel 97-2003 .xls begins: binary, not text in some encoding."""


@dataclass(frozen=True)
class FileOptions:
    """How to read a text file: its separator and encoding (None: find out)."""

    delimiter: str | None = None
    encoding: str | None = None


@dataclass(frozen=True)
class Opened:
    """A file's table, the separator its rejects file should use, and how it was read."""

    table: Table
    delimiter: str
    how: str


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _sheet(path: Path) -> Opened:
    with path.open("rb") as handle:  # a file, not a name: openpyxl would refuse "export.csv"
        try:
            workbook = load_workbook(handle, read_only=True, data_only=True)
        except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError) as exc:
            raise InvalidValue(
                f"{path.name} cannot be read as an .xlsx workbook ({exc}): save it again from "
                "the spreadsheet as .xlsx, or export it as CSV"
            ) from None
        try:
            sheet = workbook.worksheets[0]
            if isinstance(sheet, ReadOnlyWorksheet):
                sheet.reset_dimensions()  # a wrong recorded used range would cut rows silently
            rows = [
                Record(number, tuple(_cell(v) for v in values))
                for number, values in enumerate(sheet.iter_rows(values_only=True), 1)
            ]
            name = sheet.title
        finally:
            workbook.close()
    width = max((len(r.fields) for r in rows), default=0)
    padded = [Record(r.line, r.fields + ("",) * (width - len(r.fields))) for r in rows]
    return Opened(table_of(padded), ",", f"sheet {name!r} of the workbook")


def open_table(path: Path, options: FileOptions) -> Opened:
    """The file's table; InvalidValue saying what to do when it cannot be read."""
    with path.open("rb") as handle:
        start = handle.read(len(_OLE2))
    if start.startswith(_OLE2):
        raise InvalidValue(
            f"{path.name} is an Excel 97-2003 workbook (.xls), which this import cannot read: "
            "open it in the spreadsheet and save it as .xlsx, or export it as CSV"
        )
    if path.suffix.lower() in SPREADSHEETS or start.startswith(_ZIP):
        opened = _sheet(path)
        if options.delimiter or options.encoding:
            how = f"{opened.how} (a workbook has no separator or encoding: those are ignored)"
            return Opened(opened.table, opened.delimiter, how)
        return opened
    text, encoding = decode(path.read_bytes(), options.encoding)
    delimiter = options.delimiter or detect_delimiter(text)
    shown = "tab" if delimiter == "\t" else repr(delimiter)
    found = "" if options.delimiter else " (found from the first lines)"
    return Opened(split(text, delimiter), delimiter, f"separator {shown}{found}, {encoding}")
