"""Capsule answers in the room's language: a ``Said`` (template and values) looked up in the
bots' gettext catalogues (``bots/locale``, context ``capsule``), whole, in each of the room's
languages.

A bilingual room reads each message once per language, joined with " / " as the bots' labels
are; values that are messages themselves (a part's name, a state) are said in the same
language, so a line never mixes two.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from bots.i18n import catalogue
from phenomena.capsules.said import Said, said_of
from phenomena.rooms import room_languages
from phenomena.territory import TerritoryRegistry

CONTEXT = "capsule"
"""The catalogues' ``msgctxt`` of capsule messages (kept apart from the bulletins' labels)."""
LanguageOf = Callable[[str], Awaitable[str | None]]
"""The language a member chose (``!prefs language``), for their direct chat: None if none."""


def say(languages: Sequence[str], message: Said | str) -> str:
    """``message`` in each of ``languages`` (English without any); plain text as it is."""
    if isinstance(message, str):
        return message
    texts: list[str] = []
    for language in languages or ("en",):
        text = _in(language, message)
        if text not in texts:
            texts.append(text)
    return " / ".join(texts)


def _in(language: str, message: Said) -> str:
    values = {
        k: _in(language, v) if isinstance(v, Said) else str(v) for k, v in message.values.items()
    }
    return catalogue(language).pgettext(CONTEXT, message.template).format(**values)


def say_error(languages: Sequence[str], error: BaseException) -> str:
    """An error's message in the room's languages, if it was made translatable; else its text."""
    message = said_of(error)
    return say(languages, message) if message is not None else str(error)


async def languages_for(
    room_key: str | None,
    member: str,
    territories: TerritoryRegistry,
    language_of: LanguageOf | None,
) -> tuple[str, ...]:
    """The room's languages; in a direct chat (no language of its own), the member's choice."""
    found = room_languages(room_key or "", territories)
    if found:
        return found
    chosen = await language_of(member) if language_of is not None else None
    return (chosen,) if chosen else ()
