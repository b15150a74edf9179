"""The screen's word lists per language (``wordlists/<lang>.yaml``) and matching them in text.

Matching ignores case and accents and keeps positions in the original text, so a finding can
point at the exact words. The lists and how entries match are documented in
``wordlists/README.md``.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import yaml

from phenomena.capsules.wording import check_language

WORDLISTS_DIR = Path(__file__).parent / "wordlists"


@dataclass(frozen=True)
class Anxious:
    """A word that raises anxiety, and a calmer one to write instead."""

    word: str
    instead: str


@dataclass(frozen=True)
class WordLists:
    """One language's lists: anxiety words, origin words, other descriptors of people."""

    anxiety: tuple[Anxious, ...]
    origin: tuple[str, ...]
    descriptors: tuple[str, ...]


@dataclass(frozen=True)
class Match:
    """Where an entry matched, as offsets in the original text."""

    entry: str
    start: int
    end: int


@functools.cache
def word_lists(language: str) -> WordLists:
    """The shipped lists of one capsule language."""
    code = check_language(language)
    data = yaml.safe_load((WORDLISTS_DIR / f"{code}.yaml").read_text(encoding="utf-8"))
    return WordLists(
        anxiety=tuple(Anxious(str(a["word"]), str(a["instead"])) for a in data["anxiety"]),
        origin=tuple(str(w) for w in data["origin"]),
        descriptors=tuple(str(w) for w in data["descriptors"]),
    )


def _fold_char(char: str) -> str:
    decomposed = unicodedata.normalize("NFKD", char.casefold())
    kept = "".join(c for c in decomposed if not unicodedata.combining(c))
    kept = kept.replace("ß", "ss").replace("œ", "oe").replace("æ", "ae")
    return "".join(c if c.isalnum() else " " for c in kept)


@dataclass(frozen=True)
class Folded:
    """Text folded for matching, with the original offset of every folded character."""

    text: str
    origin: tuple[int, ...]

    @classmethod
    def of(cls, text: str) -> Folded:
        chars: list[str] = []
        origin: list[int] = []
        for index, char in enumerate(text):
            folded = _fold_char(char) if char.isalnum() else " "
            chars.append(folded)
            origin.extend([index] * len(folded))
        return cls("".join(chars), tuple(origin))

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The original offsets of the folded span ``start:end``."""
        return self.origin[start], self.origin[end - 1] + 1


@functools.cache
def _pattern(entry: str) -> re.Pattern[str]:
    stem = entry.endswith("*")
    words = Folded.of(entry.rstrip("*")).text.split()
    body = r"[ ]+".join(re.escape(w) for w in words)
    tail = r"[^\W_]*" if stem else ""
    return re.compile(rf"(?<![^\W_]){body}{tail}(?![^\W_])")


def find_entries(folded: Folded, entries: tuple[str, ...]) -> list[Match]:
    """Every match of any entry, longest first where two overlap, in text order."""
    found: list[Match] = []
    for entry in entries:
        for m in _pattern(entry).finditer(folded.text):
            start, end = folded.span(m.start(), m.end())
            found.append(Match(entry, start, end))
    found.sort(key=lambda m: (m.start, -(m.end - m.start)))
    kept: list[Match] = []
    for match in found:
        if kept and match.start < kept[-1].end:
            continue
        kept.append(match)
    return kept
