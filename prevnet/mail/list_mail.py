"""What every prevnet list mail (bulletins, digests, capsules) carries: the list and one-click
unsubscribe headers, the marks that keep auto-replies away, and a text part with its HTML twin."""

from __future__ import annotations

import html
from email.message import EmailMessage


def list_headers(list_id: str, unsubscribe: str) -> list[tuple[str, str]]:
    """The headers of a list mail: its list, one-click unsubscribe (RFC 8058), and the marks that
    keep out-of-office answers from replying to it."""
    return [
        ("List-Id", list_id),
        ("List-Unsubscribe", f"<{unsubscribe}>"),
        ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
        ("Auto-Submitted", "auto-generated"),
        ("X-Auto-Response-Suppress", "All"),
        ("Precedence", "list"),
    ]


def finish_list_mail(msg: EmailMessage, list_id: str, unsubscribe: str) -> None:
    """Add :func:`list_headers` to ``msg``."""
    for name, value in list_headers(list_id, unsubscribe):
        msg[name] = value


def add_text_and_html(msg: EmailMessage, text: list[str], body: list[str], language: str) -> None:
    """The plain-text part and its HTML alternative, so every mail client shows one of them."""
    msg.set_content("\n".join(text), cte="quoted-printable")
    lang = html.escape(language)
    html_doc = f'<!DOCTYPE html><html lang="{lang}"><body>{"".join(body)}</body></html>'
    msg.add_alternative(html_doc, subtype="html", cte="quoted-printable")
