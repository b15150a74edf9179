"""Labels in the room's language, from the gettext catalogues in ``bots/locale``.

The catalogues are ``.po`` files compiled in memory (Babel) when first needed, so there is no
build step and no compiled file to keep in sync. English is the source language and the fallback.
"""

from __future__ import annotations

import functools
import gettext
import io
from collections.abc import Sequence
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALE_DIR = Path(__file__).parent / "locale"
LANGUAGES = ("fr", "nl", "de")


@functools.cache
def catalogue(language: str) -> gettext.NullTranslations:
    """The translations of one language (English, or an unknown language: the msgids)."""
    path = LOCALE_DIR / language / "LC_MESSAGES" / "prevnet.po"
    if language not in LANGUAGES or not path.exists():
        return gettext.NullTranslations()
    with path.open("rb") as handle:
        messages = read_po(handle, locale=language)
    buffer = io.BytesIO()
    write_mo(buffer, messages)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


class Labels:
    """Translate into one language, or into several joined with ' / ' (bilingual rooms)."""

    def __init__(self, languages: Sequence[str]) -> None:
        self.languages = tuple(languages) or ("en",)

    def __call__(self, message: str, **values: str) -> str:
        texts: list[str] = []
        for language in self.languages:
            text = catalogue(language).gettext(message).format(**values)
            if text not in texts:
                texts.append(text)
        return " / ".join(texts)

    @property
    def first(self) -> str:
        """The main language (for names that are not joined)."""
        return self.languages[0]
