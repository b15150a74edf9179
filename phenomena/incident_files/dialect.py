"""Which separator and encoding a delimited text file uses, told or found from its first lines.

A guess from characters alone fails on real exports (a Belgian ``;`` file with decimal commas
has more commas than semicolons), so each candidate is confirmed by parsing the header and the
first rows: the separator is the one that splits them all into the header's number of fields.
"""

from __future__ import annotations

import codecs
import csv
import io

from phenomena.errors import InvalidValue

DELIMITERS = (",", ";", "|", "\t")
_NAMES = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}
SAMPLE_CHARS = 64 * 1024
SAMPLE_ROWS = 50


def delimiter_named(text: str) -> str:
    """The separator a person names: the character itself, or tab, comma, semicolon, pipe."""
    value = _NAMES.get(text.strip().lower(), text)
    if len(value) != 1 or value in ('"', "\r", "\n") or value.isalnum():
        raise InvalidValue(
            f"{text!r} is not a separator: give one character such as ',' ';' '|', or 'tab'"
        )
    return value


def encoding_named(text: str) -> str:
    """A codec name Python knows (utf-8, cp1252, latin-1, ...), or InvalidValue."""
    try:
        return codecs.lookup(text).name
    except LookupError:
        raise InvalidValue(
            f"unknown encoding {text!r}: give utf-8, cp1252 (Windows, Excel) or latin-1"
        ) from None


def decode(raw: bytes, encoding: str | None) -> tuple[str, str]:
    """The text of a file and its encoding: the one given, UTF-16 when a byte order mark says
    so (Excel's "Unicode Text"), or UTF-8 and else Windows-1252.

    Raises InvalidValue naming the first byte that cannot be read, rather than replacing it.
    """
    if encoding is None and raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    if encoding is None:
        try:
            return raw.decode("utf-8-sig"), "utf-8"
        except UnicodeDecodeError:
            encoding = "cp1252"  # Excel's usual export in Belgium
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InvalidValue(
            f"the file is not in {encoding}: byte {raw[exc.start]:#04x} on line {line} cannot "
            "be read; give the file's encoding with --encoding (utf-8, cp1252, latin-1, ...)"
        ) from None
    return text.removeprefix("\ufeff"), encoding


def _records(sample: str, delimiter: str) -> list[list[str]]:
    reader = csv.reader(io.StringIO(sample), delimiter=delimiter)
    records: list[list[str]] = []
    try:
        for record in reader:
            if any(field.strip() for field in record):
                records.append(record)
            if len(records) > SAMPLE_ROWS:
                break
    except csv.Error:
        pass
    return records


def _fit(records: list[list[str]]) -> tuple[float, int]:
    """How well a split fits: the share of rows with the header's field count, and that count."""
    if not records or len(records[0]) < 2:
        return 0.0, 0
    width = len(records[0])
    rows = records[1:]
    if not rows:
        return 1.0, width
    same = sum(1 for row in rows if len(row) == width)
    return same / len(rows), width


def detect_delimiter(text: str) -> str:
    """The separator among , ; | and tab that splits the header and the first rows evenly."""
    sample = text[:SAMPLE_CHARS]
    if len(text) > SAMPLE_CHARS and "\n" in sample:
        sample = sample[: sample.rindex("\n")]  # no half record at the end
    try:
        sniffed: str | None = csv.Sniffer().sniff(sample, "".join(DELIMITERS)).delimiter
    except csv.Error:
        sniffed = None
    fits = {d: _fit(_records(sample, d)) for d in DELIMITERS}
    best = max(fits.values())
    if best[1] < 2:
        raise InvalidValue(
            "cannot tell the file's separator: the header splits into one column with , ; | "
            "and tab; give it with --delimiter"
        )
    tied = [d for d in DELIMITERS if fits[d][0] == best[0]]
    if sniffed in tied:
        return sniffed
    return max(tied, key=lambda d: fits[d][1])
