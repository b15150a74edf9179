"""The typeface of capsule media: DejaVu Sans, from Debian's fonts-dejavu-core or matplotlib's copy.

DejaVu covers every letter of French, Dutch and German and reads well small; Debian ships it on
a fresh machine and matplotlib (a dependency) ships the same files, so a font is always there.
Its licence (Bitstream Vera / public domain changes) allows embedding in images and PDFs.
"""

from __future__ import annotations

import enum
import functools
import importlib.util
from pathlib import Path

DEBIAN_DIR = Path("/usr/share/fonts/truetype/dejavu")


class Weight(enum.Enum):
    """The two weights capsule media use."""

    REGULAR = "DejaVuSans.ttf"
    BOLD = "DejaVuSans-Bold.ttf"


class FontMissing(RuntimeError):
    """No DejaVu Sans file was found; the message says what to install."""


def _matplotlib_dir() -> Path | None:
    spec = importlib.util.find_spec("matplotlib")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "mpl-data" / "fonts" / "ttf"


@functools.cache
def font_path(weight: Weight) -> Path:
    """The font file of a weight: Debian's first, matplotlib's copy otherwise."""
    places = [DEBIAN_DIR, _matplotlib_dir()]
    for place in places:
        if place is not None and (place / weight.value).is_file():
            return place / weight.value
    raise FontMissing(
        f"{weight.value} is missing: install Debian's fonts-dejavu-core "
        "('apt-get install fonts-dejavu-core') or reinstall matplotlib"
    )
