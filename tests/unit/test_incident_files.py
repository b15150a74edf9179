"""Incident files as analysts have them: separators found, types never guessed, reports grouped."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from phenomena.errors import InvalidValue
from phenomena.incident_files.dialect import (
    decode,
    delimiter_named,
    detect_delimiter,
    encoding_named,
)
from phenomena.incident_files.problems import LineProblem, LineProblems
from phenomena.incident_files.report import ImportReport, Rejection, rejects_rows
from phenomena.incident_files.table import Record, split
from phenomena.incident_files.type_map import TypeMap
from phenomena.incidents import IncidentMapping, read_incident
from phenomena.taxonomy import PhenomenonType
from phenomena.territory import TerritoryRegistry


def identity(a: float, b: float) -> tuple[float, float]:
    return a, b


BELGIAN = (
    "date;x;y;fait;description\n"
    "14/11/2026;121000,5;125000,25;woninginbraak;"
    '"porte forcée, vitre cassée, 2 TV, 1 PC, bijoux, argent"\n'
    "15/11/2026;121010,5;125010,75;vandalism;graffiti, 3 murs, 2 voitures, 1 abribus, 4 poubelles\n"
)


def test_a_semicolon_file_with_decimal_commas_and_commas_in_text_is_semicolon() -> None:
    assert BELGIAN.count(",") > BELGIAN.count(";")
    assert detect_delimiter(BELGIAN) == ";"
    table = split(BELGIAN, ";")
    assert table.header == ("date", "x", "y", "fait", "description")
    assert table.row(table.records[0])["description"] == (
        "porte forcée, vitre cassée, 2 TV, 1 PC, bijoux, argent"
    )


@pytest.mark.parametrize("delimiter", [",", ";", "|", "\t"])
def test_each_separator_is_found(delimiter: str) -> None:
    text = delimiter.join(["when", "where", "what"]) + "\n"
    text += delimiter.join(["7/19/17 13:45", "41.8,-87.6", "BURGLARY"]) + "\n"
    text += delimiter.join(["7/20/17 09:00", "41.9,-87.7", "THEFT"]) + "\n"
    if delimiter == ",":
        text = 'when,where,what\n7/19/17 13:45,"41.8,-87.6",BURGLARY\n'
    assert detect_delimiter(text) == delimiter


def test_a_file_with_one_column_asks_for_the_separator() -> None:
    with pytest.raises(InvalidValue, match="give it with --delimiter"):
        detect_delimiter("date\n2026-11-14\n")


def test_separators_and_encodings_are_named_or_refused() -> None:
    assert delimiter_named("tab") == "\t"
    assert delimiter_named("|") == "|"
    with pytest.raises(InvalidValue, match="not a separator"):
        delimiter_named(";;")
    assert encoding_named("CP1252") == "cp1252"
    with pytest.raises(InvalidValue, match="unknown encoding 'klingon'"):
        encoding_named("klingon")


def test_windows_1252_is_read_and_a_wrong_encoding_named_with_its_line() -> None:
    raw = "commune;fait\nQuévy;Vol qualifié dans habitation\n".encode("cp1252")
    assert decode(raw, None) == ("commune;fait\nQuévy;Vol qualifié dans habitation\n", "cp1252")
    with pytest.raises(InvalidValue, match="not in utf-8: byte 0xe9 on line 2"):
        decode(raw, "utf-8")


def test_excels_unicode_text_export_utf16_with_its_byte_order_mark_is_read() -> None:
    """Excel's "Unicode Text" is UTF-16 with a byte order mark and tabs: read, not garbled."""
    text = "commune\tfait\r\nQuévy\tVol qualifié dans habitation\r\n"
    for codec in ("utf-16-le", "utf-16-be"):
        bom = "\ufeff".encode(codec)
        assert decode(bom + text.encode(codec), None) == (text, "utf-16")
        table = split(decode(bom + text.encode(codec), None)[0], "\t")
        assert table.header == ("commune", "fait")


def test_quoted_fields_spanning_lines_keep_the_line_they_start_on() -> None:
    table = split('a,b\n1,"two\nlines"\n\n,,\n3,4,,\n5\n', ",")
    assert [r.line for r in table.records] == [2, 6, 7]
    assert table.records[1].fields == ("3", "4")  # trailing empty fields dropped
    problem = table.shape_problem(table.records[2])
    assert problem is not None
    assert str(problem) == "1 fields where the header has 2"


def test_a_quote_never_closed_is_refused_rather_than_swallowing_the_rest_of_the_file() -> None:
    """Read leniently, one stray opening quote made every later line part of one field: the
    lines were lost without a word (or stored as a long modus text)."""
    lines = ["when,modus"] + [f"2026-11-{d:02d},door" for d in range(1, 29)]
    lines[4] = '2026-11-04,"door forced'
    with pytest.raises(InvalidValue, match=r"line 5 opens a quoted field that is never closed"):
        split("\n".join(lines) + "\n", ",")
    closed = split('when,modus\n2026-11-01,"door\nforced"\n', ",")
    assert closed.records[0].fields == ("2026-11-01", "door\nforced")
    sloppy = split('when,modus\n2026-11-01,door 12" wide\n2026-11-02,"two\nlines"\n', ",")
    assert [r.line for r in sloppy.records] == [2, 3]


def test_types_are_mapped_or_exactly_named_never_guessed() -> None:
    types = TypeMap.parse(
        {"459 PC BURGLARY RESIDENCE": "residential-burglary", "Vol qualifié": "Woninginbraak"},
        "map.yaml",
    )
    assert types.read("459 pc burglary residence") is PhenomenonType.RESIDENTIAL_BURGLARY
    assert types.read("VOL QUALIFIE") is PhenomenonType.RESIDENTIAL_BURGLARY
    assert types.read("Cambriolage d'habitation") is PhenomenonType.RESIDENTIAL_BURGLARY
    assert types.read("business-burglary") is PhenomenonType.BUSINESS_BURGLARY
    with pytest.raises(LineProblem) as unknown:
        types.read("BURGLARY")
    assert unknown.value.reason == (
        "type 'BURGLARY' is neither in the mapping file's types: nor a type's slug or name"
    )
    assert "add it under types:" in str(unknown.value)


def test_a_type_map_to_no_type_is_refused_with_every_wrong_entry() -> None:
    with pytest.raises(InvalidValue) as wrong:
        TypeMap.parse({"BURGLARY": "burglary", "THEFT": "theft", "ARSON": "arson"}, "m.yaml")
    assert "'BURGLARY': 'burglary' is not a type; 'THEFT': 'theft' is not a type" in str(
        wrong.value
    )


def test_every_problem_of_a_line_is_reported(territories: TerritoryRegistry) -> None:
    mapping = IncidentMapping(time="t", lat="lat", lon="lon", type="k", modus="m")
    row = {"t": "31/02/2026", "lat": "fifty", "lon": "3,95", "k": "BURGLARY", "m": "x" * 4001}
    with pytest.raises(LineProblems) as rejected:
        read_incident(row, mapping, territories, identity, identity)
    reasons = [p.reason for p in rejected.value.problems]
    assert reasons == [
        "the time is not a day of the calendar",
        "latitude is not a number",
        "type 'BURGLARY' is neither in the mapping file's types: nor a type's slug or name",
        "the modus operandi text is longer than 4000 characters",
    ]


def test_a_latlon_column_and_decimal_commas_are_read(territories: TerritoryRegistry) -> None:
    mapping = IncidentMapping(time="t", latlon="ll", default_type=PhenomenonType.VANDALISM)
    for text in ("50.45,3.95", "(50.45, 3.95)", "50,45;3,95", "50.45 3.95"):
        incident = read_incident(
            {"t": "2026-11-14", "ll": text}, mapping, territories, identity, identity
        )
        assert (incident.x, incident.y) == (3.95, 50.45)  # projected as (lon, lat)
    with pytest.raises(LineProblems, match="'1,2,3' is not 'latitude,longitude'"):
        read_incident({"t": "2026-11-14", "ll": "1,2,3"}, mapping, territories, identity, identity)


def test_rejections_are_grouped_by_reason_with_their_first_lines() -> None:
    time = LineProblem("the time is empty")
    rejected = [
        Rejection(
            Record(line, ("", "x")), (time, LineProblem("x is not a number", f"x {line // 10}"))
        )
        for line in range(2, 30)
    ]
    rejected.append(Rejection(Record(40, ("a",)), (LineProblem("two fields", "1 field"),)))
    report = ImportReport(read=40, added=11, known=1, rejected=rejected)
    assert report.summary() == "40 line(s) read: 11 added, 1 already known, 29 rejected"
    lines = report.by_reason("rejects.csv")
    assert lines[0] == "rejected lines, by reason (every one is in rejects.csv):"
    assert lines[1] == (
        "  28 line(s) (2, 3, 4, 5, 6, 7, 8, 9, 10, 11 and 18 more): the time is empty"
    )
    assert lines[2].startswith("  28 line(s) (2, 3,") and lines[2].endswith("x is not a number")
    assert lines[3:6] == ["    line 2: x 0", "    line 10: x 1", "    line 20: x 2"]
    assert lines[6:] == ["  1 line(s) (40): two fields", "    line 40: 1 field"]
    rows = rejects_rows(("when", "x"), rejected)
    assert rows[0] == ["line", "problems", "when", "x"]
    assert rows[1] == ["2", "the time is empty; x 0", "", "x"]


@given(st.text(alphabet=st.sampled_from('ab,;|\t"\n 1.'), max_size=200))
def test_any_text_splits_or_says_why(text: str) -> None:
    for delimiter in (",", ";", "|", "\t"):
        try:
            table = split(text, delimiter)
        except InvalidValue:
            continue
        assert all(r.line >= 2 for r in table.records)
    try:
        assert detect_delimiter(text) in (",", ";", "|", "\t")
    except InvalidValue as exc:
        assert "--delimiter" in str(exc)
