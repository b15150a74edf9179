"""The content screen a capsule goes through before anything is published; findings, not verdicts.

Each finding says what was found, in which part and where, and what to do. It looks for personal
data (the alerts' own screen, ``phenomena.pii``), exact street addresses and licence plates,
people described by origin or nationality alone (anti-profiling: several descriptors, or none),
anxiety words with a calmer alternative, and a tip, without which a capsule has no point.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field

from phenomena.capsules.capsule import ELLIPSIS, Capsule, Part
from phenomena.capsules.places import licence_plates, street_addresses
from phenomena.capsules.said import Said, says
from phenomena.capsules.screen_words import Folded, find_entries, word_lists
from phenomena.pii import PersonalDataKind, screen_personal_data


class Concern(enum.Enum):
    """What a finding is about."""

    PERSONAL_DATA = "personal data"
    STREET_ADDRESS = "exact address"
    LICENCE_PLATE = "licence plate"
    ORIGIN_ONLY = "person described by origin alone"
    ANXIETY = "anxiety word"
    NO_TIP = "no tip"


@dataclass(frozen=True)
class ScreenFinding:
    """One thing to look at before publishing: what, where (part and offsets) and what to do."""

    concern: Concern
    part: Part
    text: str
    start: int
    end: int
    todo: str
    todo_said: Said | None = field(default=None, compare=False)  # ``todo`` to translate

    def __str__(self) -> str:
        return str(self.said())

    def said(self) -> Said:
        """The finding as a message the chat says in the room's language."""
        values: dict[str, str | int | Said] = {
            "concern": says(self.concern.value),
            "part": says(self.part.label),
            "start": self.start + 1,
            "end": self.end,
            "todo": self.todo_said or self.todo,
        }
        if self.text:
            return Said(
                "{concern} «{text}» ({part}, characters {start}-{end}): {todo}",
                {**values, "text": self.text},
            )
        return Said("{concern} ({part}, characters {start}-{end}): {todo}", values)


def _finding(
    concern: Concern, part: Part, text: str, start: int, end: int, todo: str, **values: str | Said
) -> ScreenFinding:
    """A finding whose ``todo`` is the template ``todo`` with ``values``."""
    said = Said(todo, values)
    return ScreenFinding(concern, part, text, start, end, str(said), said)


_SCREENED = (Part.TITLE, Part.TIP, Part.SHORT, Part.LONG, Part.HASHTAGS)
_SENTENCE = re.compile(r"[^.!?;\n]+")
_PII_TODO = "{kind}: remove it: a capsule speaks of a phenomenon, never of a person"


def screen_capsule(capsule: Capsule) -> tuple[ScreenFinding, ...]:
    """Every finding in the capsule, part by part in reading order, each part in text order."""
    findings: list[ScreenFinding] = []
    for part in _SCREENED:
        findings += sorted(screen_text(capsule.part(part), part, capsule.language), key=_order)
    findings += _tip_findings(capsule)
    return tuple(findings)


def _order(finding: ScreenFinding) -> tuple[int, int]:
    return finding.start, finding.end


def screen_text(text: str, part: Part, language: str) -> list[ScreenFinding]:
    """The findings in one part's text, written in ``language``."""
    found: list[ScreenFinding] = []
    for pii in screen_personal_data(text):
        if pii.kind is not PersonalDataKind.LICENCE_PLATE:  # plates: below, found on their own
            found.append(
                _finding(
                    Concern.PERSONAL_DATA,
                    part,
                    pii.text,
                    pii.start,
                    pii.end,
                    _PII_TODO,
                    kind=says(pii.kind.value),
                )
            )
    for place in street_addresses(text):
        todo = "name the street or the neighbourhood without a house number, or leave it out"
        found.append(
            _finding(Concern.STREET_ADDRESS, part, place.text, place.start, place.end, todo)
        )
    for plate in licence_plates(text):
        todo = "remove the plate: it identifies a person; describe the phenomenon instead"
        found.append(
            _finding(Concern.LICENCE_PLATE, part, plate.text, plate.start, plate.end, todo)
        )
    found += _anxiety(text, part, language)
    found += _origin_alone(text, part, language)
    return found


def _anxiety(text: str, part: Part, language: str) -> list[ScreenFinding]:
    lists = word_lists(language)
    calmer = {a.word: a.instead for a in lists.anxiety}
    folded = Folded.of(text)
    out = []
    for match in find_entries(folded, tuple(calmer)):
        said = text[match.start : match.end]
        todo = "it raises anxiety; write «{instead}» or similar instead"
        out.append(
            _finding(
                Concern.ANXIETY,
                part,
                said,
                match.start,
                match.end,
                todo,
                instead=calmer[match.entry],
            )
        )
    return out


def _origin_alone(text: str, part: Part, language: str) -> list[ScreenFinding]:
    lists = word_lists(language)
    folded = Folded.of(text)
    origins = find_entries(folded, lists.origin)
    if not origins:
        return []
    descriptors = find_entries(folded, lists.descriptors)
    out = []
    for sentence in _SENTENCE.finditer(text):
        inside = [m for m in origins if sentence.start() <= m.start < sentence.end()]
        described = any(sentence.start() <= m.start < sentence.end() for m in descriptors)
        if inside and not described:
            for match in inside:
                out.append(
                    _finding(
                        Concern.ORIGIN_ONLY,
                        part,
                        text[match.start : match.end],
                        match.start,
                        match.end,
                        "origin or nationality alone points at a group: describe the person "
                        "by several features (clothing, height, vehicle ...) or not at all",
                    )
                )
    return out


def _tip_findings(capsule: Capsule) -> list[ScreenFinding]:
    tip = capsule.tip.strip()
    if not tip or tip == ELLIPSIS:
        return [
            _finding(
                Concern.NO_TIP,
                Part.TIP,
                "",
                0,
                0,
                "a capsule needs one practical tip: write it with 'edit tip: ...' and put it in "
                "the posts",
            )
        ]
    opening = " ".join(Folded.of(tip.rstrip(ELLIPSIS)).text.split()[:4])
    carried = " ".join(Folded.of(capsule.long).text.split())
    if opening and opening not in carried:
        return [
            _finding(
                Concern.NO_TIP,
                Part.LONG,
                "",
                0,
                0,
                "the long post does not carry the tip: put the tip in it, or change the tip",
            )
        ]
    return []
