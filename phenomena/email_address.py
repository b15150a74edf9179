"""One plain e-mail address (``name@domain``), checked once for every door that takes one.

A looser check let ``victim@org.be,attacker@evil.com`` or ``attacker@evil.com(victim@org.be)``
through, and the relay then mailed bulletins, invitations and reset links to the attacker. Only a
bare addr-spec is accepted: no display name, comment, list, quoting, whitespace or line break.
"""

from __future__ import annotations

import re
from email.headerregistry import Address

from phenomena.errors import InvalidValue

MAX_LENGTH = 254
_LOCAL = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
_LABEL = re.compile(r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
HINT = "write one plain address such as name@example.be (no name, comma, brackets or spaces)"


def email_problem(text: str) -> str | None:
    """Why ``text`` is not one plain e-mail address, or None when it is one."""
    if len(text) > MAX_LENGTH:
        return f"it is longer than {MAX_LENGTH} characters"
    if any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in text):
        return "it holds a space or a line break"
    if text.count("@") > 1:
        return "it holds more than one @ (give one address only)"
    local, at, domain = text.rpartition("@")
    if not at or not local or not domain:
        return "it has no name@domain"
    if not _LOCAL.fullmatch(local):
        return "the part before @ holds a character an address cannot have"
    labels = domain.split(".")
    if len(labels) < 2 or not all(_LABEL.fullmatch(label) for label in labels):
        return "the domain after @ is not a domain name such as example.be"
    try:
        parsed = Address(addr_spec=text)
    except (ValueError, IndexError):
        return "it is not one address"
    if parsed.addr_spec != text or parsed.display_name:
        return "it is not one plain address"
    return None


def normalise_email(text: str) -> str:
    """``text`` as stored and compared: trimmed, with a lower-case domain; InvalidValue if it is
    not exactly one plain address."""
    candidate = text.strip()
    local, _, domain = candidate.rpartition("@")
    candidate = f"{local}@{domain.lower()}" if local else candidate
    problem = email_problem(candidate)
    if problem is not None:
        raise InvalidValue(f"{text!r} is not an e-mail address: {problem}; {HINT}")
    return candidate


def name_problem(name: str) -> str | None:
    """Why a display or organisation name cannot go into a mail header (a line break or other
    control character), or None."""
    if any(ord(c) < 32 or ord(c) == 127 for c in name):
        return "it holds a line break or control character: write it on one line"
    return None


def mail_address(address: str, display_name: str = "") -> Address:
    """The header form of a stored address, for ``To``: raises InvalidValue on a bad one, and
    drops line breaks from the display name so it can never add a header."""
    plain = normalise_email(address)
    local, _, domain = plain.rpartition("@")
    name = " ".join(display_name.split())
    return Address(display_name=name, username=local, domain=domain)
