"""An incident file as a header and numbered records, whatever it was (CSV text or a sheet).

Records keep their fields as delivered, so a rejected line can be written back as it was.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass

from phenomena.errors import InvalidValue
from phenomena.incident_files.problems import LineProblem

FIELD_COUNT = "the line does not have the header's number of fields (check separators and quotes)"


@dataclass(frozen=True)
class Record:
    """One line of the file (its number as an editor shows it) and its fields."""

    line: int
    fields: tuple[str, ...]


@dataclass(frozen=True)
class Table:
    """The header's column names and every non-empty record after it."""

    header: tuple[str, ...]
    records: tuple[Record, ...]

    def shape_problem(self, record: Record) -> LineProblem | None:
        """Why a record cannot be read by column (None when its fields match the header)."""
        if len(record.fields) == len(self.header):
            return None
        return LineProblem(
            FIELD_COUNT, f"{len(record.fields)} fields where the header has {len(self.header)}"
        )

    def row(self, record: Record) -> dict[str, str]:
        """A well-shaped record by column name."""
        return dict(zip(self.header, record.fields, strict=True))


def table_of(records: Iterable[Record]) -> Table:
    """The first non-empty record is the header; empty records (all fields blank) are dropped.

    Trailing empty fields beyond the header (``a;b;c;`` from some exports) are dropped too.
    """
    header: tuple[str, ...] | None = None
    kept: list[Record] = []
    for record in records:
        if not any(field.strip() for field in record.fields):
            continue
        if header is None:
            header = tuple(name.strip() for name in record.fields)
            continue
        fields = record.fields
        while len(fields) > len(header) and not fields[-1].strip():
            fields = fields[:-1]
        kept.append(Record(record.line, fields))
    if header is None:
        raise InvalidValue("the file is empty: it should start with a header of column names")
    return Table(header, tuple(kept))


def _never_closed(lines: list[str], delimiter: str) -> bool:
    """Whether these lines end inside a quoted field (strict parsing says so at the end)."""
    try:
        for _ in csv.reader(lines, delimiter=delimiter, strict=True):
            pass
    except csv.Error as exc:
        return "unexpected end of data" in str(exc)
    return False


def _csv_records(text: str, delimiter: str) -> Iterable[Record]:
    lines = list(io.StringIO(text, newline=""))  # the lines as csv counts them
    reader = csv.reader(lines, delimiter=delimiter)
    while True:
        start = reader.line_num + 1
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise InvalidValue(
                f"line {start} cannot be read as CSV ({exc}): check the quotes, or the file is "
                "not a text export"
            ) from None
        end = reader.line_num
        if end == len(lines) and end > start and _never_closed(lines[start - 1 :], delimiter):
            raise InvalidValue(
                f"line {start} opens a quoted field that is never closed, so lines {start} to "
                f"{end} would be read as one field; nothing was imported: check the quotes on "
                f"line {start}"
            )
        yield Record(start, tuple(fields))


def split(text: str, delimiter: str) -> Table:
    """A delimited text as a table; a quoted field may span lines (its record starts first)."""
    return table_of(_csv_records(text, delimiter))
