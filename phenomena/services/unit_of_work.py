"""The storage ports the use cases need; ``phenomena.storage`` implements them with SQLAlchemy.

A unit of work is one transaction: the state changes and the events they record are committed
together into the outbox, or not at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from types import TracebackType
from typing import Any, Protocol, Self

from phenomena.alert import Alert, AlertContent, AlertStatus
from phenomena.detection.records import DetectionRecord
from phenomena.events import Event
from phenomena.partners import Member, MemberStatus, Organisation, OrganisationKind


@dataclass(frozen=True)
class AuditEntry:
    """One recorded admin action: who did what to whom, when."""

    at: datetime
    actor: str
    action: str
    subject: str
    details: dict[str, Any]


class OrganisationRepository(Protocol):
    """Partner organisations by key."""

    async def get(self, key: str) -> Organisation | None: ...
    async def kind(self, key: str) -> OrganisationKind | None: ...
    async def list(self) -> Sequence[Organisation]: ...
    async def add(self, organisation: Organisation) -> None: ...
    async def save(self, organisation: Organisation) -> None: ...


class MemberRepository(Protocol):
    """Members by Matrix ID."""

    async def get(self, matrix_id: str) -> Member | None: ...
    async def list(
        self, organisation: str | None = None, statuses: Sequence[MemberStatus] | None = None
    ) -> Sequence[Member]: ...
    async def with_email(self, address: str) -> Sequence[Member]: ...
    async def add(self, member: Member) -> None: ...
    async def save(self, member: Member) -> None: ...


class AlertRepository(Protocol):
    """Alerts by id; ``create`` assigns the id."""

    async def create(
        self,
        content: AlertContent,
        author: str,
        organisation: str,
        at: datetime,
        origin_room: str | None = None,
    ) -> Alert: ...
    async def delete_draft(self, alert_id: int) -> None: ...
    async def get(self, alert_id: int) -> Alert | None: ...
    async def list(
        self,
        statuses: Sequence[AlertStatus] | None = None,
        author: str | None = None,
        room: str | None = None,
    ) -> Sequence[Alert]: ...
    async def save(self, alert: Alert) -> None: ...
    async def organisation_kind(self, alert: Alert) -> OrganisationKind | None: ...
    async def source_names(self, alert: Alert) -> tuple[str | None, str | None]: ...


class DetectionRepository(Protocol):
    """The clusters behind proposed alerts."""

    async def add(self, record: DetectionRecord) -> None: ...
    async def get(self, alert_id: int) -> DetectionRecord | None: ...
    async def recent(self, kind: str, since: date) -> Sequence[DetectionRecord]: ...


class AuditLog(Protocol):
    """The append-only record of admin actions."""

    async def record(
        self, actor: str, action: str, subject: str, details: dict[str, Any], at: datetime
    ) -> None: ...
    async def list(self, limit: int = 100, subject: str | None = None) -> Sequence[AuditEntry]: ...


class UnitOfWork(Protocol):
    """One transaction over every repository."""

    @property
    def organisations(self) -> OrganisationRepository: ...
    @property
    def members(self) -> MemberRepository: ...
    @property
    def alerts(self) -> AlertRepository: ...
    @property
    def audit(self) -> AuditLog: ...
    @property
    def detections(self) -> DetectionRepository: ...

    async def __aenter__(self) -> Self: ...
    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...
    def record(self, event: Event) -> None: ...
    async def commit(self) -> None: ...
    async def rollback(self) -> None: ...
