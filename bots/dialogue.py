"""Guided alert entry: ``!alert new`` alone asks for each field in turn.

Each answer is checked as it comes, so a mistake is fixed at once; "cancel" stops at any point;
nothing is stored until every field is answered and the full alert is checked. Dialogues live in
memory: one that is interrupted by a restart is simply started again (nothing half-made exists).

The questions and answers are the draft's text, so they happen in the author's direct chat with
the bot: ``!alert new`` typed in a shared room gets only a pointer there.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime

from bots.alert_views import is_direct_chat
from bots.commands import Context, Reply
from bots.i18n import Labels
from phenomena.alert_text import FIELD_ORDER, HINTS, REQUIRED, check_field
from phenomena.errors import DomainError
from phenomena.territory import TerritoryRegistry
from phenomena.text import fold

CANCEL_WORDS = frozenset({"cancel", "annuler", "annuleren", "abbrechen", "stop"})
SKIP_WORDS = frozenset({"-", "skip", "passer", "overslaan", "uberspringen", "none"})
Finish = Callable[[Context, str], Awaitable[Reply]]
LanguagesOf = Callable[[Context], tuple[str, ...]]


POINTER = (
    "New alert: I ask you its questions in our direct chat with the bot; answer them there "
    "(nothing of it is posted here)."
)


@dataclass
class _Dialogue:
    languages: tuple[str, ...] = ()  # of the room it was started in
    answers: dict[str, str] = field(default_factory=dict)
    step: int = 0
    touched: float = field(default_factory=time.monotonic)


class GuidedEntry:
    """Dialogues by sender, answered in the sender's direct chat with the bot."""

    def __init__(
        self,
        territories: TerritoryRegistry,
        clock: Callable[[], datetime],
        finish: Finish,
        idle_seconds: float = 1800,
        languages_of: LanguagesOf = lambda context: (),
    ) -> None:
        self._territories = territories
        self._languages_of = languages_of  # the room's languages (English when none)
        self._clock = clock
        self._finish = finish
        self._idle = idle_seconds
        self._open: dict[str, _Dialogue] = {}

    def _question(self, step: int, labels: Labels) -> str:
        name = FIELD_ORDER[step]
        skip = labels("optional: '-' to skip")
        optional = "" if name in REQUIRED else f" ({skip})"
        return f"({step + 1}/{len(FIELD_ORDER)}) {name}: {labels(HINTS[name])}{optional}"

    def start(self, context: Context) -> Reply:
        """Open a dialogue and ask the first question, in the room's language, in the direct
        chat (from a shared room: a private reply, and only a pointer for the room)."""
        languages = self._languages_of(context)
        self._open[context.sender] = _Dialogue(languages)
        labels = Labels(languages)
        text = (
            labels("New alert: answer each question in a message of its own; 'cancel' stops.")
            + "\n"
            + self._question(0, labels)
        )
        if is_direct_chat(context):
            return Reply(text)
        return Reply(text, private=True, pointer=POINTER)

    async def answer(self, context: Context, body: str) -> Reply | None:
        """Take an answer typed in the direct chat; None when this person has no open dialogue
        or typed elsewhere (a shared room never reads the draft's text back)."""
        key = context.sender
        dialogue = self._open.get(key)
        if dialogue is None or not is_direct_chat(context):
            return None
        if time.monotonic() - dialogue.touched > self._idle:
            del self._open[key]
            return None
        dialogue.touched = time.monotonic()
        labels = Labels(dialogue.languages)
        text = body.strip()
        if fold(text) in CANCEL_WORDS:
            del self._open[key]
            return Reply(labels("Cancelled; nothing was published."))
        name = FIELD_ORDER[dialogue.step]
        if fold(text) in SKIP_WORDS or text == "-":
            if name in REQUIRED:
                required = labels("'{name}' is required.", name=name)
                return Reply(required + "\n" + self._question(dialogue.step, labels))
        else:
            try:
                check_field(name, text, self._territories, self._clock().date())
            except DomainError as exc:
                return Reply(f"{exc}\n" + self._question(dialogue.step, labels))
            dialogue.answers[name] = text
        dialogue.step += 1
        if dialogue.step < len(FIELD_ORDER):
            return Reply(self._question(dialogue.step, labels))
        del self._open[key]
        lines = []
        for field_name in FIELD_ORDER:
            if field_name in dialogue.answers:
                first, *rest = dialogue.answers[field_name].split("\n")
                lines.append(f"{field_name}: {first}")
                lines.extend(f"  {r}" for r in rest)
        return await self._finish(context, "\n".join(lines) + "\n")
