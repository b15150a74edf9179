"""Bulletins as people read them: an ``m.notice`` with HTML and a plain-text fallback.

Labels come from the gettext catalogues in the room's language; phenomenon type names from the
taxonomy; municipality names in the room's language where they have one.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import date

from bots.i18n import Labels
from phenomena.alert import Alert, AlertStatus
from phenomena.priority import Priority
from phenomena.territory import Municipality, TerritoryRegistry

URGENT_MARK = "🚨"
"""Before an urgent bulletin's head, with the word in the room's language."""
TLP_SQUARES = {"clear": "⬜", "green": "🟩", "amber": "🟧", "amber+strict": "🟧", "red": "🟥"}


@dataclass(frozen=True)
class Rendered:
    """A notice's plain text and HTML."""

    text: str
    html: str


def _day(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def _municipality_name(m: Municipality, language: str, bilingual: bool) -> str:
    if bilingual:
        return m.name
    if language == "nl":
        return m.name_nl
    if language == "de":
        return m.name_de or m.name_fr
    return m.name_fr


def _html_lines(text: str) -> str:
    return html.escape(text).replace("\n", "<br>")


def render_alert(
    alert: Alert,
    territories: TerritoryRegistry,
    labels: Labels,
    source: str,
    *,
    withhold_content: bool = False,
    footer: str | None = None,
) -> Rendered:
    """The bulletin of an alert in the given language(s).

    ``withhold_content`` leaves out the free text (summary, modus, advice): for TLP:RED alerts
    shown outside their rooms, where only the fact that they exist may be told.
    """
    content = alert.content
    marker = {
        AlertStatus.CLOSED: labels("CLOSED"),
        AlertStatus.EXPIRED: labels("EXPIRED"),
        AlertStatus.UPDATED: labels("UPDATED"),
    }.get(alert.status)
    type_name = " / ".join(
        dict.fromkeys(
            content.type.names.get(lang, content.type.names["en"]) for lang in labels.languages
        )
    )
    bilingual = len(labels.languages) > 1
    area = ", ".join(
        _municipality_name(territories.municipalities[n], labels.first, bilingual)
        for n in content.municipalities
    )
    period = (
        labels(
            "from {start} to {end}", start=_day(content.period_start), end=_day(content.period_end)
        )
        if content.period_end
        else labels("since {start}", start=_day(content.period_start))
    )
    fields: list[tuple[str, str]] = [
        (labels("Area"), area),
        (labels("Period"), period),
        (labels("Priority"), labels(content.priority.value)),
    ]
    if not withhold_content:
        fields.append((labels("Summary"), content.summary))
        if content.modus:
            fields.append((labels("Modus operandi"), content.modus))
        if content.advice:
            fields.append((labels("Advice"), content.advice))
    fields += [(labels("Source"), source), (labels("Reference"), alert.ref)]
    tlp = content.tlp
    square = TLP_SQUARES[tlp.value]
    head_text = f"{square} {tlp.label} · {type_name} · {alert.ref}"
    urgent = f"{URGENT_MARK} {labels('URGENT')}" if content.priority is Priority.URGENT else ""
    if urgent:
        head_text = f"{urgent} · {head_text}"
    if marker:
        head_text = f"[{marker}] {head_text}"
    text_lines = [head_text, *[f"{name}: {value}" for name, value in fields]]
    closing = (
        footer
        if footer is not None
        else labels("Discuss in this thread; react to tell the author you have seen it.")
    )
    if closing:
        text_lines.append(closing)
    tlp_html = (
        f'<font color="{tlp.colour}" data-mx-color="{tlp.colour}" data-mx-bg-color="#000000">'
        f"<b>{tlp.label}</b></font>"
    )
    head_html = f"{square} {tlp_html} · <b>{html.escape(type_name)}</b> · {alert.ref}"
    if urgent:
        head_html = f"<b>{html.escape(urgent)}</b> · {head_html}"
    if marker:
        head_html = f"<b>[{html.escape(marker)}]</b> {head_html}"
    rows = "".join(
        f"<li><b>{html.escape(name)}</b>: {_html_lines(value)}</li>" for name, value in fields
    )
    body_html = f"<p>{head_html}</p><ul>{rows}</ul>"
    if closing:
        body_html += f"<p><i>{html.escape(closing)}</i></p>"
    return Rendered("\n".join(text_lines), body_html)


def render_change_note(fields: tuple[str, ...], labels: Labels) -> str:
    """The short note posted in a bulletin's thread when it is updated."""
    return labels("Updated: {fields}", fields=", ".join(labels(f) for f in fields))


def render_close_note(status: AlertStatus, reason: str | None, labels: Labels) -> str:
    """The note posted in a bulletin's thread when the alert closes or expires."""
    if status is AlertStatus.EXPIRED:
        return labels("This alert has expired: its period is over.")
    return labels("Closed: {reason}", reason=reason) if reason else labels("Closed.")
