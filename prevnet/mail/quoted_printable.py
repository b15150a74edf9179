"""Quoted-printable bodies encoded once for many mails, each mail's own values filled in.

A bulletin's text and HTML parts are the same for every member who reads it in one room but
for their links. :class:`QuotedPrintable` encodes the shared pieces once and, per mail, only
the values, then wraps the lines as ``email.quoprimime.body_encode`` does: the result is the
very text ``EmailMessage.set_content(text, cte="quoted-printable")`` writes (tests compare them).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

_UNSAFE = re.compile(r"[^\t\n\r -<>-~]")
"""What quoted-printable must escape: every octet but printable ASCII other than ``=``, tab
and line ends (``email.quoprimime``'s body map)."""


def _escape(octets: str) -> str:
    """Latin-1 decoded UTF-8 octets with the unsafe ones written ``=XX``."""
    return _UNSAFE.sub(lambda found: f"={ord(found.group()):02X}", octets)


def _octets(text: str) -> str:
    return text.encode("utf-8").decode("latin-1")


def _wrap(line: str, max_line_length: int) -> str:
    """One escaped line wrapped with soft breaks, exactly as ``quoprimime.body_encode``."""
    if len(line) <= max_line_length and not line.endswith((" ", "\t")):
        return line  # the usual case: nothing to do
    pieces = []
    start = 0
    last_start = len(line) - 1 - max_line_length
    while start <= last_start:
        stop = start + max_line_length - 1
        if line[stop - 2] == "=":  # never split an escape sequence
            pieces.append(line[start : stop - 1])
            start = stop - 2
        elif line[stop - 1] == "=":
            pieces.append(line[start:stop])
            start = stop - 1
        else:
            pieces.append(line[start:stop] + "=")
            start = stop
    if line and line[-1] in " \t":  # trailing white space is escaped, or kept before a break
        room = start - last_start
        if room >= 3:
            end = f"={ord(line[-1]):02X}"
        elif room == 2:
            end = line[-1] + "=\n"
        else:
            end = f"=\n={ord(line[-1]):02X}"
        pieces.append(line[start:-1] + end)
    else:
        pieces.append(line[start:])
    return "\n".join(pieces)


class QuotedPrintable:
    """A text body made of fixed ``pieces`` with a value between each two, encoded as
    ``set_content`` does under a policy of ``max_line_length``, with ``linesep`` line ends."""

    def __init__(self, pieces: Sequence[str], max_line_length: int, linesep: str) -> None:
        if not pieces:
            raise ValueError("a body has at least one piece")
        normal = [p.replace("\r\n", "\n").replace("\r", "\n") for p in pieces]
        if not normal[-1].endswith("\n"):
            normal[-1] += "\n"  # as set_content ends every body with a line end
        self._pieces = tuple(pieces)
        self._escaped = [_escape(_octets(p)) for p in normal]
        self._max = max_line_length
        self._linesep = linesep

    def encode(self, values: Sequence[str]) -> str:
        """The encoded body with ``values`` in their places (none may hold a line end)."""
        if len(values) != len(self._escaped) - 1:
            raise ValueError(f"this body takes {len(self._escaped) - 1} value(s)")
        if any("\r" in v or "\n" in v for v in values):
            raise ValueError("a value in a mail's body may not hold a line break")
        if not all(values) and len(self._pieces) > 1:  # a CR and an LF around it would meet
            whole = "".join(p + v for p, v in zip(self._pieces, [*values, ""], strict=True))
            return QuotedPrintable([whole], self._max, self._linesep).encode([])
        escaped = [self._escaped[0]]
        for value, piece in zip(values, self._escaped[1:], strict=True):
            escaped += [_escape(_octets(value)), piece]
        lines = "".join(escaped).split("\n")
        return "\n".join(_wrap(line, self._max) for line in lines).replace("\n", self._linesep)
