"""Capsule wording in one language, from the ``capsules`` gettext catalogues shipped beside it.

A catalogue domain of its own (``locale/<lang>/LC_MESSAGES/capsules.po``), compiled in memory
with Babel like the bots' labels, so citizen wording is reviewed apart from partners' labels.
Messages are keyed (``residential-burglary:title``); every language, English included, has a
catalogue, and a key missing from one is an error rather than a key shown to residents.
"""

from __future__ import annotations

import functools
import gettext
import io
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from phenomena.errors import InvalidValue
from phenomena.taxonomy import PhenomenonType

LOCALE_DIR = Path(__file__).parent / "locale"
LANGUAGES = ("fr", "nl", "de", "en")
"""The languages capsules are written in: Belgium's three and English."""


def check_language(language: str) -> str:
    """The language code as capsules use it, or an error naming the ones there are."""
    code = language.strip().lower()
    if code not in LANGUAGES:
        raise InvalidValue(
            f"capsules are not written in {language!r}: use one of {', '.join(LANGUAGES)}"
        )
    return code


@functools.cache
def _catalogue(language: str) -> gettext.GNUTranslations:
    path = LOCALE_DIR / language / "LC_MESSAGES" / "capsules.po"
    with path.open("rb") as handle:
        messages = read_po(handle, locale=language)
    buffer = io.BytesIO()
    write_mo(buffer, messages)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


class Wording:
    """The capsule messages of one language, with their placeholders filled in."""

    def __init__(self, language: str) -> None:
        self.language = check_language(language)
        self._messages = _catalogue(self.language)

    def __call__(self, key: str, **values: str) -> str:
        text = self._messages.gettext(key)
        if text == key:
            raise LookupError(
                f"capsule message {key!r} is missing from the {self.language} catalogue"
            )
        return text.format(**values)

    def of(self, kind: PhenomenonType, part: str, **values: str) -> str:
        """A phenomenon type's own message: its ``title``, ``lead`` or ``hashtag``."""
        return self(f"{kind.value}:{part}", **values)
