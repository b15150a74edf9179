"""Text normalisation shared by every lookup that people type: names, types, labels."""

from __future__ import annotations

import re
import unicodedata

_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def fold(text: str) -> str:
    """Case- and accent-insensitive form of a name, so that 'QUEVY', 'quévy' and 'Quévy' meet.

    Punctuation and runs of spaces become one space, so 'Sint-Pieters-Woluwe' and
    'sint pieters woluwe' meet too.
    """
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    stripped = stripped.replace("ß", "ss").replace("œ", "oe").replace("æ", "ae")
    return _NON_ALNUM.sub(" ", stripped).strip()


def slug(text: str) -> str:
    """A lower-case ASCII identifier with dashes, for keys and aliases."""
    return fold(text).replace(" ", "-")
