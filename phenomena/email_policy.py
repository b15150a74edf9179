"""What a TLP label lets a bulletin e-mail carry: the rule, kept pure so every channel reads one.

CLEAR and GREEN go in full; AMBER only as a notice that points back to Matrix (its text never
leaves it); AMBER+STRICT and RED never by e-mail.
"""

from __future__ import annotations

import enum

from phenomena.errors import InvalidValue
from phenomena.tlp import Tlp


class EmailShare(enum.Enum):
    """How much of an alert an e-mail may hold."""

    FULL = "full"
    NOTICE = "notice"
    NOTHING = "nothing"


_SHARE = {
    Tlp.CLEAR: EmailShare.FULL,
    Tlp.GREEN: EmailShare.FULL,
    Tlp.AMBER: EmailShare.NOTICE,
    Tlp.AMBER_STRICT: EmailShare.NOTHING,
    Tlp.RED: EmailShare.NOTHING,
}


def email_share(tlp: Tlp) -> EmailShare:
    """What an e-mail may carry of an alert labelled ``tlp`` (NOTHING for a label not listed)."""
    return _SHARE.get(tlp, EmailShare.NOTHING)


class EmailPreference(enum.Enum):
    """What a member chose to receive by e-mail (``!prefs email all|digest|none``)."""

    ALL = "all"
    DIGEST = "digest"
    NONE = "none"

    @classmethod
    def parse(cls, text: str) -> EmailPreference:
        """Read a choice as a member types it: 'all', 'Digest', ' none '."""
        key = text.strip().lower()
        for preference in cls:
            if key == preference.value:
                return preference
        raise InvalidValue(f"unknown e-mail choice {text!r}: write all, digest or none")


DEFAULT_EMAIL_PREFERENCE = EmailPreference.NONE
"""Nobody gets e-mail until they ask for it."""
