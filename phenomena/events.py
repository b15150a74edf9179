"""Domain events: facts the use cases record, committed with the change into the outbox.

Handlers outside the core (Matrix fan-out, Discourse sync, membership provisioning) react to
them; each event is plain data that survives a round trip through JSON.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, ClassVar


@dataclass(frozen=True)
class Event:
    """Base of every domain event. ``name`` is the stable identifier stored in the outbox."""

    registry: ClassVar[dict[str, type[Event]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        Event.registry[cls.__name__] = cls

    @property
    def name(self) -> str:
        """The event's stable name (its class name)."""
        return type(self).__name__

    def to_payload(self) -> dict[str, Any]:
        """The event as JSON-compatible data."""
        return {f.name: _jsonable(getattr(self, f.name)) for f in dataclasses.fields(self)}


def event_from_payload(name: str, payload: dict[str, Any]) -> Event:
    """Rebuild an event stored in the outbox; tuples come back as tuples."""
    cls = Event.registry.get(name)
    if cls is None:
        raise ValueError(f"unknown event type {name!r} in the outbox: is this prevnet too old?")
    kwargs = {}
    for f in dataclasses.fields(cls):
        value = payload.get(f.name)
        kwargs[f.name] = tuple(value) if isinstance(value, list) else value
    return cls(**kwargs)


def _jsonable(value: object) -> object:
    if isinstance(value, tuple | list):
        return [_jsonable(v) for v in value]
    return value


# -- alerts -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class AlertSubmitted(Event):
    """An alert waits for a moderator's approval."""

    alert_id: int
    author: str


@dataclass(frozen=True)
class AlertRevised(Event):
    """A moderator edited an alert that waits for approval (nothing was shared yet)."""

    alert_id: int
    fields: tuple[str, ...]
    by: str


@dataclass(frozen=True)
class AlertPublished(Event):
    """An alert went out; ``rooms`` is the routing decided at that moment (room keys)."""

    alert_id: int
    tlp: str
    rooms: tuple[str, ...]


@dataclass(frozen=True)
class AlertUpdated(Event):
    """A published alert changed; ``fields`` names what changed."""

    alert_id: int
    version: int
    fields: tuple[str, ...]
    by: str
    rooms: tuple[str, ...]


@dataclass(frozen=True)
class AlertClosed(Event):
    """A published alert was closed by a person."""

    alert_id: int
    reason: str
    by: str


@dataclass(frozen=True)
class AlertExpired(Event):
    """A published alert reached the end of its period and grace."""

    alert_id: int


@dataclass(frozen=True)
class AlertRejected(Event):
    """A moderator refused an alert; its author is told why."""

    alert_id: int
    reason: str
    by: str


@dataclass(frozen=True)
class AlertWideningProposed(Event):
    """A widening of a published alert waits for a moderator who is not its proposer."""

    alert_id: int
    fields: tuple[str, ...]
    by: str


@dataclass(frozen=True)
class AlertWideningDecided(Event):
    """A moderator refused a proposed widening (an approval is an ``AlertUpdated``)."""

    alert_id: int
    approved: bool
    by: str
    reason: str
    proposer: str


# -- partners ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class OrganisationAdded(Event):
    """A partner organisation joined the network."""

    key: str


@dataclass(frozen=True)
class OrganisationChanged(Event):
    """A partner organisation changed; when ``territories`` is among ``fields``, members move."""

    key: str
    fields: tuple[str, ...]


@dataclass(frozen=True)
class MemberAdded(Event):
    """A person became a member: their account and rooms are to be provisioned."""

    matrix_id: str
    organisation: str


@dataclass(frozen=True)
class MemberChanged(Event):
    """A member's name, e-mail, organisation or roles changed."""

    matrix_id: str
    fields: tuple[str, ...]


@dataclass(frozen=True)
class MemberSuspended(Event):
    """A member is locked out for now; their messages stay."""

    matrix_id: str
    by: str
    reason: str


@dataclass(frozen=True)
class MemberReinstated(Event):
    """A suspended or removed member is let back in."""

    matrix_id: str
    by: str


@dataclass(frozen=True)
class MemberRemoved(Event):
    """A member left the network: out of every room, sessions ended, messages kept."""

    matrix_id: str
    by: str
    reason: str


# -- conversations between the chat and the toolbox -------------------------------------------


@dataclass(frozen=True)
class ThreadReplied(Event):
    """A member answered in a bulletin's thread (the bridge carries it to the alert's topic)."""

    alert_id: int
    room: str
    event_id: str
    sender: str
    display_name: str
    organisation: str
    text: str


@dataclass(frozen=True)
class EmailReplied(ThreadReplied):
    """A member answered a bulletin by e-mail: posted in the thread of every bulletin of the
    alert, and carried to the toolbox like any thread reply. ``room`` is empty, ``event_id`` is
    ``email:`` and a digest of the mail, so a mail delivered twice is posted once."""


@dataclass(frozen=True)
class ToolboxReplied(Event):
    """Someone answered on an alert's toolbox topic (the bots carry it to the bulletin threads)."""

    alert_id: int
    post_id: int
    author: str
    text: str
    url: str


@dataclass(frozen=True)
class ToolboxTopicCreated(Event):
    """New material was published in the toolbox category (announced in ``#toolbox``)."""

    topic_id: int
    title: str
    category: str
    excerpt: str
    url: str


# -- the duty rota ----------------------------------------------------------------------------


@dataclass(frozen=True)
class DutyHandedOver(Event):
    """A duty period started: the handover note goes to ``#moderation`` once. Times are ISO
    8601 in UTC; ``previous_member`` is who was on duty for the area just before (or None)."""

    period_id: int
    scope: str
    area: str
    member: str
    starts_at: str
    ends_at: str
    previous_member: str | None = None
    previous_ends_at: str | None = None


# -- escalation -------------------------------------------------------------------------------


@dataclass(frozen=True)
class EscalationFired(Event):
    """An escalation step fired (``phenomena.escalation``): whom it mentions and mails is in its
    ``escalations`` row, recorded in the same commit."""

    alert_id: int
    kind: str  # ack | moderation
    level: int


# -- citizen capsules -------------------------------------------------------------------------


@dataclass(frozen=True)
class CapsulePublished(Event):
    """An approved capsule's week came: it goes to the commune's zone room, its feed and its
    BIN/PLP coordinators (``capsules`` row, published in the same commit)."""

    capsule_id: int
    municipality: str
