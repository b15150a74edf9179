"""The database tables (SQLAlchemy 2 typed ORM). Alembic migrations create and evolve them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Double,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    select,
)
from sqlalchemy.orm import Mapped, column_property, mapped_column, relationship

from phenomena.events import Event
from phenomena.storage import schema_attention as _attention  # noqa: F401 - its tables in Base
from phenomena.storage import schema_capsules as _capsules  # noqa: F401 - its tables in Base
from phenomena.storage import schema_toolbox as _toolbox  # noqa: F401 - its tables in Base
from phenomena.storage.base import Base, UtcDateTime

__all__ = ["Base", "UtcDateTime"]


class OrganisationRow(Base):
    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))
    # citizen capsules (migration 0013): the prevention page, BIN/PLP coordinators (",a,b,")
    prevention_url: Mapped[str | None] = mapped_column(String(200), default=None)
    coordinators: Mapped[str] = mapped_column(Text, default="", server_default="")
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    territories: Mapped[list[OrganisationTerritoryRow]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="OrganisationTerritoryRow.ref"
    )


class OrganisationTerritoryRow(Base):
    __tablename__ = "organisation_territories"

    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True
    )
    ref: Mapped[str] = mapped_column(String(80), primary_key=True)


class MemberRow(Base):
    __tablename__ = "members"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    matrix_id: Mapped[str] = mapped_column(String(255), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    roles: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(16), index=True)
    status_changed_at: Mapped[datetime | None]
    status_changed_by: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    organisation: Mapped[OrganisationRow] = relationship(lazy="joined")


class AlertRow(Base):
    __tablename__ = "alerts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    type: Mapped[str] = mapped_column(String(40), index=True)
    tlp: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(24), index=True)
    period_start: Mapped[date]
    period_end: Mapped[date | None]
    summary: Mapped[str] = mapped_column(Text)
    modus: Mapped[str | None] = mapped_column(Text)
    advice: Mapped[str | None] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(255), index=True)
    organisation: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    rooms: Mapped[str] = mapped_column(Text, default="")
    status_reason: Mapped[str | None] = mapped_column(Text)
    status_by: Mapped[str | None] = mapped_column(String(255))
    origin_room: Mapped[str | None] = mapped_column(String(255))
    priority: Mapped[str] = mapped_column(String(8), default="normal", server_default="normal")
    # organisations the author named (recipients:), and a RED alert's recipients (",a,b,"):
    # its own room is made for them
    named_recipients: Mapped[str] = mapped_column(Text, default="", server_default="")
    recipients: Mapped[str] = mapped_column(Text, default="", server_default="")
    # a widening waiting for a moderator (content, recipients, by, at, widens), or None
    proposed: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    municipalities: Mapped[list[AlertMunicipalityRow]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="AlertMunicipalityRow.position"
    )
    # the kind of its organisation, for the moderation policy: read along with the alert where
    # asked (SqlAlertRepository.get), not in a statement of its own
    organisation_kind: Mapped[str | None] = column_property(
        select(OrganisationRow.kind)
        .where(OrganisationRow.key == organisation)
        .correlate_except(OrganisationRow)
        .scalar_subquery(),
        deferred=True,
    )


class AlertMunicipalityRow(Base):
    __tablename__ = "alert_municipalities"

    alert_id: Mapped[int] = mapped_column(
        ForeignKey("alerts.id", ondelete="CASCADE"), primary_key=True
    )
    nis: Mapped[str] = mapped_column(String(5), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)


class OutboxRow(Base):
    """A domain event waiting for (or done with) its handlers."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_pending", "consumer", "delivered_at", "available_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    consumer: Mapped[str] = mapped_column(String(40), default="bots", server_default="bots")
    event_type: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]
    available_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    claimed_until: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    # why the last attempt failed: handler, error class, Matrix errcode / HTTP status (no text)
    last_error: Mapped[str | None] = mapped_column(Text)
    # pending, delivered, dead (set aside after its attempts; never claimed) or dropped
    state: Mapped[str] = mapped_column(String(16), default="pending", server_default="pending")
    dead_at: Mapped[datetime | None]  # when it was set aside (or dropped)

    @classmethod
    def pending(cls, event: Event, consumer: str, now: datetime) -> OutboxRow:
        """A new row: ``event`` for ``consumer``, due now."""
        return cls(
            consumer=consumer,
            event_type=event.name,
            payload=event.to_payload(),
            created_at=now,
            available_at=now,
            attempts=0,
        )


class OutboxConsumerRow(Base):
    """A service that reads the outbox (the bots, the bridge): each gets its own copy of events.

    Separate services run separate handlers and fail separately, so each has its own rows to
    claim, retry and settle; a consumer registered later receives the events from then on.
    """

    __tablename__ = "outbox_consumers"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    registered_at: Mapped[datetime]


class SyncTokenRow(Base):
    """Where a bot device's sync stopped: the next run reads on from here.

    Saved after the events of a sync were handled, so a crash in between replays them (commands
    are carried out once anyway, see ``ProcessedCommandRow``) instead of skipping them.
    """

    __tablename__ = "sync_tokens"

    device: Mapped[str] = mapped_column(String(255), primary_key=True)  # user ID / device ID
    token: Mapped[str] = mapped_column(Text)
    saved_at: Mapped[datetime]


class RoomRow(Base):
    """A room prevnet created, by its key (``zone:5324``, ``dm:@jean:server``, ``alert:12``).

    prevnet finds every room it relies on here, never by an alias a member could take.
    ``complete`` is false while the first members of a room prevnet just made are being added.
    """

    __tablename__ = "rooms"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    room_id: Mapped[str] = mapped_column(String(255), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    complete: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]


class OutboxHandledRow(Base):
    """A handler that has finished with an event, so a retry runs only the ones that failed."""

    __tablename__ = "outbox_handled"

    event_id: Mapped[int] = mapped_column(
        ForeignKey("outbox.id", ondelete="CASCADE"), primary_key=True
    )
    handler: Mapped[str] = mapped_column(String(100), primary_key=True)
    handled_at: Mapped[datetime]


class AuditRow(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    actor: Mapped[str] = mapped_column(String(255))
    action: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(255), index=True)
    details: Mapped[dict[str, Any]]


class BulletinRow(Base):
    """An alert's bulletin in one room: sent once, then edited in place."""

    __tablename__ = "bulletins"

    alert_id: Mapped[int] = mapped_column(
        ForeignKey("alerts.id", ondelete="CASCADE"), primary_key=True
    )
    room: Mapped[str] = mapped_column(String(80), primary_key=True)
    room_id: Mapped[str] = mapped_column(String(255))
    event_id: Mapped[str] = mapped_column(String(255), index=True)
    version: Mapped[int] = mapped_column(Integer)
    sent_at: Mapped[datetime]
    edited_at: Mapped[datetime | None]


class ModerationNoticeRow(Base):
    """The notice that shows a pending alert to moderators (reactions on it approve)."""

    __tablename__ = "moderation_notices"

    alert_id: Mapped[int] = mapped_column(
        ForeignKey("alerts.id", ondelete="CASCADE"), primary_key=True
    )
    room_id: Mapped[str] = mapped_column(String(255))
    event_id: Mapped[str] = mapped_column(String(255), index=True)


class AcknowledgementRow(Base):
    """A member's reaction on a bulletin: their organisation has seen the alert."""

    __tablename__ = "acknowledgements"

    alert_id: Mapped[int] = mapped_column(
        ForeignKey("alerts.id", ondelete="CASCADE"), primary_key=True
    )
    member: Mapped[str] = mapped_column(String(255), primary_key=True)
    organisation: Mapped[str] = mapped_column(String(64), index=True)
    room: Mapped[str] = mapped_column(String(80))
    at: Mapped[datetime]


class PendingReactionRow(Base):
    """A member's reaction on an event that is not (yet) a recorded bulletin: matched when the
    bulletin's record is written, dropped after a while (it was on something else)."""

    __tablename__ = "pending_reactions"

    event_id: Mapped[str] = mapped_column(String(255), primary_key=True)  # the reaction
    target: Mapped[str] = mapped_column(String(255), index=True)  # the event reacted to
    member: Mapped[str] = mapped_column(String(255))
    organisation: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(index=True)


class ProcessedCommandRow(Base):
    """A chat command already carried out, committed with its effects: never run twice."""

    __tablename__ = "processed_commands"

    event_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    at: Mapped[datetime]


class IncidentRow(Base):
    """An incident report, located in metres (EPSG:3812 by default)."""

    __tablename__ = "incidents"
    __table_args__ = (Index("ix_incidents_type_day", "type", "occurred_on"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64), unique=True)
    source: Mapped[str] = mapped_column(String(200))
    occurred_on: Mapped[date]
    x: Mapped[float] = mapped_column(Double)
    y: Mapped[float] = mapped_column(Double)
    type: Mapped[str] = mapped_column(String(40))
    municipality: Mapped[str | None] = mapped_column(String(5))
    modus: Mapped[str | None] = mapped_column(Text)
    external_id: Mapped[str | None] = mapped_column(String(200))
    imported_at: Mapped[datetime]


class DetectionRow(Base):
    """The cluster behind an alert that detection proposed."""

    __tablename__ = "detections"

    alert_id: Mapped[int] = mapped_column(
        ForeignKey("alerts.id", ondelete="CASCADE"), primary_key=True
    )
    type: Mapped[str] = mapped_column(String(40), index=True)
    centre_x: Mapped[float] = mapped_column(Double)
    centre_y: Mapped[float] = mapped_column(Double)
    radius_metres: Mapped[float] = mapped_column(Double)
    first_day: Mapped[date]
    last_day: Mapped[date]
    observed: Mapped[int] = mapped_column(Integer)
    expected: Mapped[float] = mapped_column(Double)
    p_value: Mapped[float] = mapped_column(Double)
    incident_ids: Mapped[dict[str, Any]]


class ApiTokenRow(Base):
    """A partner system's token for the incident API (only its SHA-256 is kept)."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation: Mapped[str] = mapped_column(String(64), index=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class PasswordLinkRow(Base):
    """A one-time set-password link (invitation or reset): only the token's SHA-256 is kept."""

    __tablename__ = "password_links"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    member: Mapped[str] = mapped_column(String(255), index=True)
    purpose: Mapped[str] = mapped_column(String(16))  # invite | reset
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    ended_at: Mapped[datetime | None] = mapped_column(default=None)
    end_reason: Mapped[str | None] = mapped_column(String(16), default=None)  # used | replaced


class EmailPreferenceRow(Base):
    """A member's choice of bulletins by e-mail; no row means the default, ``none``."""

    __tablename__ = "email_preferences"

    member: Mapped[str] = mapped_column(String(255), primary_key=True)
    choice: Mapped[str] = mapped_column(String(8), index=True)  # all | digest | none
    changed_at: Mapped[datetime]


class EmailSendRow(Base):
    """One e-mail prevnet sends, keyed by its deterministic Message-ID: claimed, then sent."""

    __tablename__ = "email_sends"

    message_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    alert_id: Mapped[int | None] = mapped_column(Integer, index=True)
    member: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(16))  # bulletin | digest
    state: Mapped[str] = mapped_column(String(8), index=True)  # sending | sent | retry
    attempts: Mapped[int] = mapped_column(Integer)
    claimed_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(500))
