"""Phenomenon alerts: what partners warn each other about, and the lifecycle an alert goes through.

Lifecycle (an arrow not drawn is an IllegalTransition)::

    draft ──► pending moderation ──► published ──► updated ──► closed
      │              │                  │   ▲         │   │
      │              └──► rejected      │   └─────────┘   └──► expired
      ├──────────────────────────────► published ──► closed / expired
      └──► cancelled (its number stays taken, its text is wiped)

A published alert may carry a *proposed widening* (a lower TLP, more municipalities, more
recipients): it takes effect only when a second person, a moderator, approves it.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

from phenomena.errors import IllegalTransition, InvalidValue
from phenomena.events import (
    AlertClosed,
    AlertExpired,
    AlertPublished,
    AlertRejected,
    AlertRevised,
    AlertSubmitted,
    AlertUpdated,
    AlertWideningDecided,
    AlertWideningProposed,
    Event,
)
from phenomena.priority import Priority
from phenomena.taxonomy import PhenomenonType
from phenomena.tlp import Tlp

OPEN_ENDED_DAYS = 30
"""An alert without an end date is treated as running this many days for expiry."""


class AlertStatus(enum.Enum):
    """Where an alert is in its lifecycle."""

    DRAFT = "draft"
    PENDING_MODERATION = "pending-moderation"
    PUBLISHED = "published"
    UPDATED = "updated"
    CLOSED = "closed"
    EXPIRED = "expired"
    REJECTED = "rejected"
    CANCELLED = "cancelled"

    @property
    def is_open(self) -> bool:
        """Published (or updated since) and not yet closed or expired."""
        return self in (AlertStatus.PUBLISHED, AlertStatus.UPDATED)


_ALLOWED: dict[AlertStatus, frozenset[AlertStatus]] = {
    AlertStatus.DRAFT: frozenset(
        {AlertStatus.PENDING_MODERATION, AlertStatus.PUBLISHED, AlertStatus.CANCELLED}
    ),
    AlertStatus.PENDING_MODERATION: frozenset({AlertStatus.PUBLISHED, AlertStatus.REJECTED}),
    AlertStatus.PUBLISHED: frozenset(
        {AlertStatus.UPDATED, AlertStatus.CLOSED, AlertStatus.EXPIRED}
    ),
    AlertStatus.UPDATED: frozenset({AlertStatus.UPDATED, AlertStatus.CLOSED, AlertStatus.EXPIRED}),
    AlertStatus.CLOSED: frozenset(),
    AlertStatus.EXPIRED: frozenset(),
    AlertStatus.REJECTED: frozenset(),
    AlertStatus.CANCELLED: frozenset(),
}

_WHAT_TO_DO = {
    AlertStatus.CLOSED: "it is closed; publish a new alert instead",
    AlertStatus.EXPIRED: "it has expired; publish a new alert instead",
    AlertStatus.REJECTED: "it was rejected; write a new alert instead",
    AlertStatus.CANCELLED: "its draft was dropped; write a new alert instead",
    AlertStatus.DRAFT: "it is still a draft; publish it first",
    AlertStatus.PENDING_MODERATION: "it is waiting for a moderator; wait for approval first",
    AlertStatus.PUBLISHED: "it is already published",
    AlertStatus.UPDATED: "it is already published",
}


def format_ref(alert_id: int) -> str:
    """The reference people type to name an alert, e.g. ``A-42``."""
    return f"A-{alert_id}"


_REF = re.compile(r"^\s*(?:a\s*-?\s*)?(\d{1,12})\s*$", re.IGNORECASE)


def parse_ref(text: str) -> int:
    """Read an alert reference as people type it: 'A-42', 'a42' or '42'."""
    match = _REF.match(text)
    if not match:
        raise InvalidValue(f"{text!r} is not an alert reference: write it as A-42")
    return int(match.group(1))


@dataclass(frozen=True)
class AlertContent:
    """What an alert says. Immutable: an update replaces it whole."""

    type: PhenomenonType
    municipalities: tuple[str, ...]
    period_start: date
    period_end: date | None
    tlp: Tlp
    summary: str
    modus: str | None = None
    advice: str | None = None
    recipients: tuple[str, ...] = ()
    """Organisations the author names (``recipients:``), besides those routing gives."""
    priority: Priority = Priority.NORMAL
    """How loudly it is delivered: urgent mentions the room, info posts no bulletin."""

    def changed_fields(self, other: AlertContent) -> tuple[str, ...]:
        """Names of the fields whose value differs in ``other``."""
        names = (
            "type",
            "municipalities",
            "period_start",
            "period_end",
            "tlp",
            "summary",
            "modus",
            "advice",
            "recipients",
            "priority",
        )
        return tuple(n for n in names if getattr(self, n) != getattr(other, n))

    def last_day(self) -> date:
        """The last day of the period (open-ended alerts run OPEN_ENDED_DAYS)."""
        if self.period_end is not None:
            return self.period_end
        return self.period_start + timedelta(days=OPEN_ENDED_DAYS - 1)


@dataclass(frozen=True)
class ProposedChange:
    """A widening of a published alert waiting for a second person (a moderator)."""

    content: AlertContent
    recipients: tuple[str, ...]
    by: str
    at: datetime
    widens: tuple[str, ...]  # what makes it wider: "tlp", "area", "recipients"


@dataclass
class Alert:
    """A phenomenon alert as an aggregate: content, lifecycle and the events it records."""

    id: int
    content: AlertContent
    author: str
    organisation: str
    status: AlertStatus = AlertStatus.DRAFT
    created_at: datetime | None = None
    updated_at: datetime | None = None
    version: int = 1
    rooms: tuple[str, ...] = ()
    status_reason: str | None = None
    status_by: str | None = None
    origin_room: str | None = None
    recipients: tuple[str, ...] = ()
    """Organisation keys a TLP:RED alert's own room is made for (empty for other labels)."""
    proposed: ProposedChange | None = None
    revised_by: tuple[str, ...] = ()
    """The moderators who edited it while it waited: none of them may approve it (four eyes)."""
    events: list[Event] = field(default_factory=list, compare=False, repr=False)

    @property
    def ref(self) -> str:
        """The reference people type, e.g. ``A-42``."""
        return format_ref(self.id)

    def _move(self, to: AlertStatus, action: str, at: datetime) -> None:
        if to not in _ALLOWED[self.status]:
            raise IllegalTransition(
                f"alert {self.ref} cannot be {action}: {_WHAT_TO_DO[self.status]}"
            )
        self.status = to
        self.updated_at = at

    def submit_for_moderation(self, at: datetime) -> None:
        """Put a draft in front of a moderator."""
        self._move(AlertStatus.PENDING_MODERATION, "sent to moderation", at)
        self.events.append(AlertSubmitted(alert_id=self.id, author=self.author))

    def publish(self, rooms: tuple[str, ...], by: str, at: datetime) -> None:
        """Publish a draft (or approve a pending alert) to the routed rooms."""
        if not rooms:
            raise InvalidValue(f"alert {self.ref} has nowhere to go: its area has no rooms")
        self._move(AlertStatus.PUBLISHED, "published", at)
        self.rooms = rooms
        self.status_by = by
        self.events.append(
            AlertPublished(alert_id=self.id, tlp=self.content.tlp.value, rooms=rooms)
        )

    def reject(self, by: str, reason: str, at: datetime) -> None:
        """A moderator refuses a pending alert; the reason goes back to the author."""
        if not reason.strip():
            raise InvalidValue("say why the alert is rejected, so that its author can fix it")
        self._move(AlertStatus.REJECTED, "rejected", at)
        self.status_by, self.status_reason = by, reason.strip()
        self.events.append(AlertRejected(alert_id=self.id, reason=reason.strip(), by=by))

    def update(
        self,
        content: AlertContent,
        rooms: tuple[str, ...],
        by: str,
        at: datetime,
        recipients: tuple[str, ...] = (),
    ) -> tuple[str, ...]:
        """Replace the content of a published alert; returns the names of the fields changed.

        A TLP label can be widened but not narrowed: what was shared cannot be unshared, so the
        author closes the alert and publishes a new, stricter one instead. Rooms and recipients
        only grow. Whether a widening may be done now is the use case's decision.
        """
        changed = self.content.changed_fields(content)
        if not changed:
            return ()
        self.check_not_stricter(content)
        self._move(AlertStatus.UPDATED, "updated", at)
        self.content = content
        self.version += 1
        self.rooms = self.rooms + tuple(r for r in rooms if r not in self.rooms)
        self.recipients = self.recipients + tuple(r for r in recipients if r not in self.recipients)
        self.proposed = None
        self.events.append(
            AlertUpdated(
                alert_id=self.id, version=self.version, fields=changed, by=by, rooms=self.rooms
            )
        )
        return changed

    def check_not_stricter(self, content: AlertContent) -> None:
        """Refuse a stricter TLP label than the one the alert was shared with."""
        order = list(Tlp)
        if order.index(content.tlp) > order.index(self.content.tlp):
            raise InvalidValue(
                f"alert {self.ref} was shared as {self.content.tlp.label}; it cannot be made "
                f"{content.tlp.label} afterwards. Close it and publish a new alert instead."
            )

    def propose(
        self,
        content: AlertContent,
        recipients: tuple[str, ...],
        widens: tuple[str, ...],
        by: str,
        at: datetime,
    ) -> tuple[str, ...]:
        """Keep a widening aside until a moderator approves it; the bulletins stay as they are."""
        if not self.status.is_open:
            self._move(AlertStatus.UPDATED, "changed", at)  # raises with what to do instead
        if self.proposed is not None:
            raise IllegalTransition(
                f"alert {self.ref} already has a widening waiting for a moderator; wait for "
                f"!approve {self.ref} or !reject {self.ref} before proposing another"
            )
        self.check_not_stricter(content)
        changed = self.content.changed_fields(content)
        self.proposed = ProposedChange(content, recipients, by, at, widens)
        self.updated_at = at
        self.events.append(AlertWideningProposed(alert_id=self.id, fields=changed, by=by))
        return changed

    def drop_proposal(self, by: str, reason: str, at: datetime) -> None:
        """A moderator refuses the proposed widening; the alert stays as it was."""
        if self.proposed is None:
            raise IllegalTransition(f"alert {self.ref} has no widening waiting for a moderator")
        if not reason.strip():
            raise InvalidValue("say why the widening is refused, so that its author knows")
        proposer = self.proposed.by
        self.proposed = None
        self.updated_at = at
        self.events.append(
            AlertWideningDecided(
                alert_id=self.id, approved=False, by=by, reason=reason.strip(), proposer=proposer
            )
        )

    def fold_into_digest(self, at: datetime) -> None:
        """Make a draft ``info``: published, it posts no bulletin and waits for the weekly digest
        (what its author chooses when a room has had its week's normal bulletins)."""
        if self.status is not AlertStatus.DRAFT:
            instead = (
                f"; to make it info now: !alert update {self.ref} priority: info"
                if self.status.is_open
                else ""
            )
            raise IllegalTransition(
                f"alert {self.ref} cannot be folded into the digest: only a draft can, and "
                f"{_WHAT_TO_DO[self.status]}{instead}"
            )
        self.content = replace(self.content, priority=Priority.INFO)
        self.updated_at = at

    def cancel(self, at: datetime) -> None:
        """The author drops a draft: its number stays taken, its text is wiped."""
        self._move(AlertStatus.CANCELLED, "cancelled", at)
        self.content = replace(self.content, summary="", modus=None, advice=None)

    def revise_pending(self, content: AlertContent, at: datetime, by: str = "") -> tuple[str, ...]:
        """A moderator edits an alert before it is approved; nothing was shared yet. The editor
        is recorded in ``revised_by``: another moderator approves it."""
        if self.status is not AlertStatus.PENDING_MODERATION:
            raise IllegalTransition(f"alert {self.ref} is not waiting for a moderator")
        changed = self.content.changed_fields(content)
        self.content = content
        self.updated_at = at
        if changed:  # the moderators' notice shows the new text
            if by and by not in self.revised_by:
                self.revised_by = (*self.revised_by, by)
            self.events.append(AlertRevised(alert_id=self.id, fields=changed, by=by))
        return changed

    def close(self, by: str, reason: str, at: datetime) -> None:
        """Close a published alert; the reason is shown in its bulletins."""
        if self.status in (AlertStatus.CLOSED, AlertStatus.EXPIRED):
            raise IllegalTransition(f"{self.ref} is already {self.status.value}")
        self.proposed = None
        self._move(AlertStatus.CLOSED, "closed", at)
        self.status_by, self.status_reason = by, reason.strip() or None
        self.events.append(AlertClosed(alert_id=self.id, reason=reason.strip(), by=by))

    def expire(self, at: datetime) -> None:
        """Close an alert whose period and grace are over."""
        self._move(AlertStatus.EXPIRED, "expired", at)
        self.events.append(AlertExpired(alert_id=self.id))

    def expires_after(self, grace: timedelta) -> date:
        """The last day the alert stays open: the end of its period plus the grace."""
        return self.content.last_day() + grace

    def with_content(self, **changes: object) -> AlertContent:
        """A copy of the content with some fields replaced (for updates)."""
        return replace(self.content, **changes)  # type: ignore[arg-type]
