"""What an alert looks like in the toolbox: title, Markdown body, tags and category.

Pure functions of the alert and the territory registry, so the bridge's calls are easy to
test and a retried sync writes exactly the same topic.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from phenomena.alert import Alert, AlertStatus
from phenomena.partners import Organisation
from phenomena.rooms import organisation_rooms
from phenomena.territory import TerritoryRegistry
from phenomena.tlp import Tlp

# The body's field names in the language of the area (the toolbox is national; a reader of the
# topic is a partner of that area). English is the fallback.
_LABELS: Mapping[str, Mapping[str, str]] = {
    "fr": {"area": "Zone", "period": "Période", "summary": "Résumé", "modus": "Mode opératoire",
           "advice": "Conseils", "source": "Source", "ref": "Référence", "to": "au",
           "since": "depuis le", "closed": "Clôturée", "expired": "Expirée",
           "chat": "Discussion dans le fil du bulletin prevnet ; les réponses ici y apparaissent."},
    "nl": {"area": "Gebied", "period": "Periode", "summary": "Samenvatting",
           "modus": "Werkwijze", "advice": "Advies", "source": "Bron", "ref": "Referentie",
           "to": "tot", "since": "sinds", "closed": "Afgesloten", "expired": "Verlopen",
           "chat": "Discussie in de draad van het prevnet-bulletin; antwoorden hier verschijnen "
           "daar ook."},
    "de": {"area": "Gebiet", "period": "Zeitraum", "summary": "Zusammenfassung",
           "modus": "Vorgehensweise", "advice": "Hinweise", "source": "Quelle",
           "ref": "Referenz", "to": "bis", "since": "seit", "closed": "Geschlossen",
           "expired": "Abgelaufen",
           "chat": "Diskussion im Thread des prevnet-Bulletins; Antworten hier erscheinen dort."},
    "en": {"area": "Area", "period": "Period", "summary": "Summary", "modus": "Modus operandi",
           "advice": "Advice", "source": "Source", "ref": "Reference", "to": "to",
           "since": "since", "closed": "Closed", "expired": "Expired",
           "chat": "Discussion happens in the prevnet bulletin's thread; replies here appear "
           "there too."},
}  # fmt: skip


def _language(alert: Alert, territories: TerritoryRegistry) -> str:
    first = territories.municipalities.get(alert.content.municipalities[0])
    if first is None or not first.languages:
        return "en"
    return first.languages[0].value


def _area(alert: Alert, territories: TerritoryRegistry) -> str:
    names = []
    for nis in alert.content.municipalities:
        m = territories.municipalities.get(nis)
        names.append(m.own_name if m is not None else nis)
    return ", ".join(names)


def _period(alert: Alert, words: Mapping[str, str]) -> str:
    start = alert.content.period_start.isoformat()
    if alert.content.period_end is None:
        return f"{words['since']} {start}"
    return f"{start} {words['to']} {alert.content.period_end.isoformat()}"


def topic_title(alert: Alert, territories: TerritoryRegistry) -> str:
    """Type, area and period, as a forum reader scans a list of topics (at most 250 chars)."""
    language = _language(alert, territories)
    words = _LABELS[language]
    kind = alert.content.type.names.get(language, alert.content.type.names["en"])
    area = _area(alert, territories)
    if len(area) > 120:
        area = area[:117].rsplit(", ", 1)[0] + " …"
    return f"{kind} · {area} · {_period(alert, words)}"[:250]


def topic_body(alert: Alert, territories: TerritoryRegistry, source: str) -> str:
    """Every field of the alert, in Markdown, in the area's language."""
    language = _language(alert, territories)
    words = _LABELS[language]
    content = alert.content
    kind = content.type.names.get(language, content.type.names["en"])
    head = f"**{content.tlp.label}** · **{kind}** · {alert.ref}"
    if alert.status is AlertStatus.CLOSED:
        head = f"**[{words['closed']}]** {head}"
    elif alert.status is AlertStatus.EXPIRED:
        head = f"**[{words['expired']}]** {head}"
    rows = [
        (words["area"], _area(alert, territories)),
        (words["period"], _period(alert, words)),
        (words["summary"], content.summary),
    ]
    if content.modus:
        rows.append((words["modus"], content.modus))
    if content.advice:
        rows.append((words["advice"], content.advice))
    rows += [(words["source"], source), (words["ref"], alert.ref)]
    lines = [head, ""] + [f"- **{name}**: {_one_line(value)}" for name, value in rows]
    return "\n".join([*lines, "", f"*{words['chat']}*"])


def withdrawn_body(alert: Alert) -> str:
    """What stays on a topic whose alert was raised to a label that may not leave Matrix."""
    return (
        f"**{alert.content.tlp.label}** · {alert.ref}\n\n"
        "This alert is now restricted and is only shown in prevnet's Matrix rooms. "
        "Cette alerte est désormais restreinte. Deze melding is nu beperkt. "
        "Diese Meldung ist jetzt eingeschränkt."
    )


def _one_line(text: str) -> str:
    return " ".join(text.split())


def tag(text: str) -> str:
    """A Discourse tag: lower case ASCII, dashes, at most 20 characters."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", folded).strip("-")[:20].strip("-")


def topic_tags(alert: Alert, territories: TerritoryRegistry) -> list[str]:
    """Phenomenon type, municipalities (at most five) and TLP."""
    tags = [tag(alert.content.type.value), tag(alert.content.tlp.label)]
    for nis in alert.content.municipalities[:5]:
        m = territories.municipalities.get(nis)
        tags.append(tag(m.own_name if m is not None else nis))
    return list(dict.fromkeys(t for t in tags if t))


def group_name(organisation_key: str) -> str:
    """The Discourse group of an organisation: its key, made to fit Discourse's name rules."""
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", organisation_key).strip("-.")
    if 3 <= len(name) <= 20:
        return name
    digest = hashlib.sha256(organisation_key.encode()).hexdigest()[:5]
    return f"{name[:14].rstrip('-.')}-{digest}"


@dataclass(frozen=True)
class Placement:
    """Where a topic goes: a category (and its parent) and who may read it."""

    key: str
    name: str
    parent_key: str | None = None
    parent_name: str | None = None
    groups: tuple[str, ...] | None = None  # None: everyone who may see the parent


def routed_organisations(
    alert: Alert, organisations: Iterable[Organisation], territories: TerritoryRegistry
) -> list[str]:
    """The organisations whose members received the alert's bulletins."""
    rooms = set(alert.rooms)
    return sorted(o.key for o in organisations if organisation_rooms(o, territories) & rooms)


def placement(
    alert: Alert,
    organisations: Iterable[Organisation],
    territories: TerritoryRegistry,
    single: str | None = None,
) -> Placement:
    """One category per province (or the ``single`` one configured); AMBER goes to a restricted
    sub-category of the area's zone.

    The sub-category admits only the Discourse groups of the organisations the alert was
    routed to, so the toolbox shows an AMBER alert to the same partners as the chat does.
    """
    tlp = alert.content.tlp
    if not tlp.may_leave_matrix:
        raise ValueError(f"{tlp.label} alerts never leave Matrix")
    first = territories.municipalities[alert.content.municipalities[0]]
    province = territories.provinces[first.province_nis]
    name = (
        province.name_fr
        if first.languages and first.languages[0].value == "fr"
        else (
            province.name_de
            if first.languages and first.languages[0].value == "de"
            else province.name_nl
        )
    )
    general = (
        Placement(key=f"single:{single}", name=single)
        if single
        else Placement(key=f"province:{province.nis}", name=name)
    )
    if tlp is not Tlp.AMBER:
        return general
    zone = territories.zones[first.zone_key]
    groups = tuple(group_name(k) for k in routed_organisations(alert, organisations, territories))
    return Placement(
        key=f"amber:{zone.key}",
        name=f"AMBER · {zone.name}"[:50],
        parent_key=general.key,
        parent_name=general.name,
        groups=groups,
    )
