"""The attention report: per organisation, alerts received, how soon they were seen, escalations
and usefulness; the cost/benefit view partners asked for, from plain records (no database).

Only organisation names and counts come out of it, never an alert's text: it is posted to
``#admin``, and TLP:RED alerts are counted like the others without anything of their content.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from phenomena.events import Event
from phenomena.partners import Organisation
from phenomena.rooms import organisation_rooms
from phenomena.routing import alert_room
from phenomena.territory import TerritoryRegistry

WITHIN_HOUR = timedelta(hours=1)
WITHIN_DAY = timedelta(days=1)


@dataclass(frozen=True)
class AttentionReportDue(Event):
    """The monthly report of ``[start, end)`` (ISO times) is to be posted in ``#admin``.

    Queued for the bots' consumer only, once per period (see ``report_queries.queue_once``);
    it carries no figures, so the outbox holds nothing the report would not show.
    """

    start: str
    end: str

    @property
    def period(self) -> tuple[datetime, datetime]:
        """The period as aware datetimes."""
        return datetime.fromisoformat(self.start), datetime.fromisoformat(self.end)


@dataclass(frozen=True)
class ReportAlert:
    """An alert as the report needs it: its number and a RED alert's recipient organisations."""

    id: int
    recipients: tuple[str, ...] = ()


@dataclass(frozen=True)
class ReportBulletin:
    """A bulletin sent: the alert, the room key, when."""

    alert_id: int
    room: str
    sent_at: datetime


@dataclass(frozen=True)
class ReportAcknowledgement:
    """A member of ``organisation`` reacted on a bulletin of the alert at ``at``."""

    alert_id: int
    organisation: str
    at: datetime


@dataclass(frozen=True)
class ReportEscalation:
    """One escalation step of an alert and its state (``waiting``, ``fired``, ``stopped``)."""

    alert_id: int
    kind: str
    state: str


@dataclass(frozen=True)
class ReportVote:
    """A member of ``organisation`` said whether the alert's bulletin helped."""

    alert_id: int
    organisation: str
    useful: bool


@dataclass(frozen=True)
class ReportRecords:
    """Everything the report is computed from, for one period."""

    alerts: Sequence[ReportAlert] = ()
    bulletins: Sequence[ReportBulletin] = ()
    acknowledgements: Sequence[ReportAcknowledgement] = ()
    escalations: Sequence[ReportEscalation] = ()
    votes: Sequence[ReportVote] = ()


@dataclass(frozen=True)
class OrganisationFigures:
    """One organisation's figures for the period."""

    key: str
    name: str
    received: int = 0
    seen_within_hour: int = 0
    seen_within_day: int = 0  # after the first hour, within 24 hours
    seen_later: int = 0
    never_seen: int = 0  # not seen by the end of the period
    escalations: int = 0  # acknowledgement escalations that fired for alerts it received
    useful_yes: int = 0
    useful_no: int = 0

    @property
    def votes(self) -> int:
        """How many of its members' votes on usefulness were counted."""
        return self.useful_yes + self.useful_no

    @property
    def usefulness(self) -> float | None:
        """The share of yes among its members' votes, or None without votes."""
        return self.useful_yes / self.votes if self.votes else None

    def as_dict(self) -> dict[str, Any]:
        """The figures as JSON-ready data."""
        return {
            "key": self.key,
            "name": self.name,
            "received": self.received,
            "seen_within_hour": self.seen_within_hour,
            "seen_within_day": self.seen_within_day,
            "seen_later": self.seen_later,
            "never_seen": self.never_seen,
            "escalations": self.escalations,
            "useful_yes": self.useful_yes,
            "useful_no": self.useful_no,
            "usefulness": None if self.usefulness is None else round(self.usefulness, 4),
        }


@dataclass(frozen=True)
class AttentionReport:
    """The figures of every organisation that received an alert or voted in the period."""

    start: datetime
    end: datetime
    alerts: int  # alerts with a bulletin first sent in the period
    organisations: tuple[OrganisationFigures, ...] = field(default=())
    quiet: int = 0  # registered organisations that received nothing

    def as_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data."""
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "alerts": self.alerts,
            "quiet_organisations": self.quiet,
            "organisations": [o.as_dict() for o in self.organisations],
        }


def attention_report(
    records: ReportRecords,
    organisations: Iterable[Organisation],
    territories: TerritoryRegistry,
    start: datetime,
    end: datetime,
) -> AttentionReport:
    """Compute the figures of ``[start, end)``.

    An organisation received an alert when a bulletin went to a room its members are in (for a
    TLP:RED alert, its own room, to its recipients); it counts in the period when its first
    such bulletin was sent in it. It saw the alert when one of its members first reacted, timed
    from that first bulletin; a reaction after ``end`` does not count (the report stays the same
    when computed again).
    """
    if end <= start:
        raise ValueError(f"the report's period is empty: {start:%Y-%m-%d} to {end:%Y-%m-%d}")
    recipients = {a.id: set(a.recipients) for a in records.alerts}
    orgs = list(organisations)
    rooms = {o.key: organisation_rooms(o, territories) for o in orgs}
    room_orgs: dict[str, list[str]] = defaultdict(list)
    for key, keys in rooms.items():
        for room in keys:
            room_orgs[room].append(key)
    first_sent: dict[tuple[int, str], datetime] = {}
    alert_first: dict[int, datetime] = {}
    for bulletin in records.bulletins:
        if bulletin.sent_at >= end:
            continue
        if bulletin.room == alert_room(bulletin.alert_id):
            reached = sorted(recipients.get(bulletin.alert_id, ()))
        else:
            reached = room_orgs.get(bulletin.room, [])
        for org in reached:
            pair = (bulletin.alert_id, org)
            if pair not in first_sent or bulletin.sent_at < first_sent[pair]:
                first_sent[pair] = bulletin.sent_at
        earliest = alert_first.get(bulletin.alert_id)
        if earliest is None or bulletin.sent_at < earliest:
            alert_first[bulletin.alert_id] = bulletin.sent_at
    received = {pair: at for pair, at in first_sent.items() if start <= at < end}
    in_period = {a for a, at in alert_first.items() if start <= at < end}
    first_seen: dict[tuple[int, str], datetime] = {}
    for ack in records.acknowledgements:
        pair = (ack.alert_id, ack.organisation)
        if ack.at < end and (pair not in first_seen or ack.at < first_seen[pair]):
            first_seen[pair] = ack.at
    fired: dict[int, int] = defaultdict(int)
    for step in records.escalations:  # a slow moderator is not the receiving partners' doing
        if step.state == "fired" and step.kind == "ack":
            fired[step.alert_id] += 1
    figures: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for (alert_id, org), sent in received.items():
        counts = figures[org]
        counts["received"] += 1
        counts["escalations"] += fired.get(alert_id, 0)
        counts[_bucket(sent, first_seen.get((alert_id, org)))] += 1
    for vote in records.votes:
        if vote.alert_id in in_period:
            figures[vote.organisation]["useful_yes" if vote.useful else "useful_no"] += 1
    names = {o.key: o.name for o in orgs}
    rows = [
        OrganisationFigures(key=key, name=names.get(key, key), **dict(counts))
        for key, counts in figures.items()
    ]
    rows.sort(key=lambda r: (-r.received, r.key))
    quiet = sum(1 for o in orgs if o.key not in figures)
    return AttentionReport(start, end, len(in_period), tuple(rows), quiet)


def _bucket(sent: datetime, seen: datetime | None) -> str:
    if seen is None:
        return "never_seen"
    delay = seen - sent  # a reaction held before its bulletin was recorded counts as at once
    if delay <= WITHIN_HOUR:
        return "seen_within_hour"
    if delay <= WITHIN_DAY:
        return "seen_within_day"
    return "seen_later"


def report_text(report: AttentionReport, zone: tzinfo = UTC, limit: int = 40) -> str:
    """The report in words for ``#admin``: totals, then the ``limit`` busiest organisations
    (dates in ``zone``)."""
    first_day = report.start.astimezone(zone)
    last_day = (report.end - timedelta(microseconds=1)).astimezone(zone)
    lines = [
        f"Attention report {first_day:%d/%m/%Y} to {last_day:%d/%m/%Y}: "
        f"{report.alerts} alert(s) sent, to {len(report.organisations)} organisation(s)"
        + (f"; {report.quiet} received none." if report.quiet else "."),
        "Per organisation: received; seen within 1 hour / within a day / later / never; "
        "escalations; useful.",
    ]
    for row in report.organisations[:limit]:
        lines.append(f"- {row.name} [{row.key}]: {figures_line(row)}")
    hidden = len(report.organisations) - limit
    if hidden > 0:
        lines.append(f"- and {hidden} more organisation(s): `prevnet report` lists them all.")
    return "\n".join(lines)


def figures_line(row: OrganisationFigures) -> str:
    """One organisation's figures in a line."""
    useful = (
        f"{row.usefulness:.0%} useful ({row.votes} vote(s))"
        if row.usefulness is not None
        else "no votes"
    )
    return (
        f"{row.received} received; seen {row.seen_within_hour} / {row.seen_within_day} / "
        f"{row.seen_later} / never {row.never_seen}; {row.escalations} escalation(s); {useful}"
    )


def month_period(day: datetime, report_day: int) -> tuple[datetime, datetime]:
    """The month a report on ``day`` covers: from ``report_day`` of the month before to
    ``report_day`` of this month, at midnight in ``day``'s time zone, as UTC."""
    end = day.replace(day=report_day, hour=0, minute=0, second=0, microsecond=0)
    if end > day:
        end = _month_before(end)
    return _month_before(end).astimezone(UTC), end.astimezone(UTC)


def _month_before(moment: datetime) -> datetime:
    if moment.month == 1:
        return moment.replace(year=moment.year - 1, month=12)
    return moment.replace(month=moment.month - 1)
