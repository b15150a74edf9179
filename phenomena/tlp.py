"""The Traffic Light Protocol 2.0 labels that decide where an alert may travel."""

from __future__ import annotations

import enum

from phenomena.errors import InvalidValue
from phenomena.text import fold


class Tlp(enum.Enum):
    """TLP 2.0 (FIRST, 2022). The order is from the widest audience to the narrowest."""

    CLEAR = "clear"
    GREEN = "green"
    AMBER = "amber"
    AMBER_STRICT = "amber+strict"
    RED = "red"

    @property
    def label(self) -> str:
        """The label as TLP 2.0 prints it, e.g. ``TLP:AMBER+STRICT``."""
        return f"TLP:{self.value.upper()}"

    @property
    def colour(self) -> str:
        """The hex colour TLP 2.0 prescribes for the label text (on a black background)."""
        return _COLOURS[self]

    @property
    def leaves_the_zone(self) -> bool:
        """Whether the alert may be shared beyond the police zones of the affected area."""
        return self in (Tlp.CLEAR, Tlp.GREEN, Tlp.AMBER)

    @property
    def may_leave_matrix(self) -> bool:
        """Whether the alert may be copied to another system (the Discourse toolbox)."""
        return self in (Tlp.CLEAR, Tlp.GREEN, Tlp.AMBER)

    @classmethod
    def parse(cls, text: str) -> Tlp:
        """Read a label as people write it: 'amber', 'TLP:AMBER', 'amber strict', 'white'."""
        key = fold(text)
        if key.startswith("tlp "):
            key = key[4:]
        key = key.replace(" ", "+")
        if key in ("white", "wit", "blanc", "weiss"):  # TLP 1.0 name of CLEAR
            return cls.CLEAR
        for tlp in cls:
            if key == tlp.value:
                return tlp
        names = ", ".join(t.value for t in cls)
        raise InvalidValue(f"unknown TLP label {text!r}: write one of {names}")


_COLOURS = {
    Tlp.CLEAR: "#FFFFFF",
    Tlp.GREEN: "#33FF00",
    Tlp.AMBER: "#FFC000",
    Tlp.AMBER_STRICT: "#FFC000",
    Tlp.RED: "#FF2B2B",
}
