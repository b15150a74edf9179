"""The words a member wrote in an e-mailed reply, without the quoted bulletin or their signature.

mail-parser-reply does most of it in many languages; the small rules here catch what it leaves
(RFC 3676 ``-- `` signatures, Dutch attribution lines, phone signatures), so a quoted bulletin
never goes back into a thread.
"""

from __future__ import annotations

import re

from mailparser_reply import EmailReplyParser  # type: ignore[import-untyped]

_LANGUAGES = ["en", "fr", "nl", "de"]
_ATTRIBUTION = re.compile(
    r"^\s*(on|le|op|am|el|il)\b.{0,200}(wrote|a écrit|schreef|schrieb|escribió|ha scritto)\s*:\s*$",
    re.IGNORECASE,
)
_FORWARD_HEADER = re.compile(
    r"^\s*(-{2,}\s*(original message|message d'origine|oorspronkelijk bericht|"
    r"ursprüngliche nachricht)\s*-{2,}|_{10,})\s*$",
    re.IGNORECASE,
)
_OUTLOOK_FROM = re.compile(r"^\s*\*?(from|de|van|von)\s*\*?\s*:\s*\S", re.IGNORECASE)
_OUTLOOK_NEXT = re.compile(
    r"^\s*\*?(sent|date|envoyé|verzonden|gesendet|datum|to|à|aan|an)\s*\*?\s*:", re.IGNORECASE
)
_PHONE = re.compile(
    r"^\s*(sent from my|envoyé de mon|verzonden (met|vanaf) mijn|verstuurd (met|vanaf) mijn|"
    r"von meinem|get outlook for)\b",
    re.IGNORECASE,
)


def _cut(text: str) -> str:
    lines = text.splitlines()
    kept: list[str] = []
    for i, line in enumerate(lines):
        following = lines[i + 1] if i + 1 < len(lines) else ""
        if line.rstrip() == "--" or line.startswith(">") or _FORWARD_HEADER.match(line):
            break
        if _ATTRIBUTION.match(line) or (line.rstrip().endswith(":") and following.startswith(">")):
            break
        if _OUTLOOK_FROM.match(line) and _OUTLOOK_NEXT.match(following):
            break
        kept.append(line)
    while kept and (not kept[-1].strip() or _PHONE.match(kept[-1])):
        kept.pop()
    return "\n".join(line.rstrip() for line in kept).strip()


def reply_text(body: str) -> str:
    """What the member wrote above the quote; empty if they wrote nothing of their own."""
    body = body.replace("\r\n", "\n").replace("\r", "\n")
    own = _cut(body)
    try:
        parsed = EmailReplyParser(languages=_LANGUAGES).parse_reply(text=own)
    except Exception:  # a parser bug must not lose the member's words
        parsed = None
    cleaned = _cut(parsed) if isinstance(parsed, str) else ""
    return cleaned or own
