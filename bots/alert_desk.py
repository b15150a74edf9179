"""What the alert commands share: the collaborators the composition root hands over (units of
work, territories, the bulletin ledger), and reading an alert reference from a command."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bots.alert_views import room_readers
from bots.bulletin_size import oversize
from bots.commands import Arguments, Context, UsageError
from bots.escalation_views import EscalationStepLike
from phenomena.alert import Alert, AlertStatus, parse_ref
from phenomena.audience import Reader, may_read
from phenomena.errors import InvalidValue, PermissionDenied
from phenomena.partners import Member, Organisation
from phenomena.routing import route_alert
from phenomena.services.alerts import ModerationPolicy, unseen
from phenomena.services.budget import WeeklyBudget
from phenomena.services.unit_of_work import UnitOfWork
from phenomena.territory import TerritoryRegistry
from phenomena.usefulness import Tally, Vote

UowFactory = Callable[[str | None], UnitOfWork]
RoomExists = Callable[[str], Awaitable[bool]]


class ReachLedger(Protocol):
    """What the commands read and write of bulletins (``SqlBulletinLedger``)."""

    async def bulletins(self, alert_id: int) -> Mapping[str, object]: ...
    async def acknowledgements(self, alert_id: int) -> dict[str, list[str]]: ...
    async def acknowledge(
        self, alert_id: int, member: str, organisation: str, room: str
    ) -> bool: ...
    async def find_bulletin(self, event_id: str) -> _BulletinLike | None: ...
    async def find_moderation_notice(self, event_id: str) -> int | None: ...
    async def hold_reaction(
        self,
        event_id: str,
        target: str,
        member: str,
        organisation: str,
        vote: tuple[bool, str] | None = None,
    ) -> bool: ...


class UsefulnessLedger(Protocol):
    """Where usefulness votes are kept (``SqlUsefulness``)."""

    async def vote(self, vote: Vote) -> bool | None: ...
    async def tally(self, alert_id: int) -> Tally: ...
    async def tallies_since(self, since: datetime) -> dict[int, Tally]: ...


class EscalationSteps(Protocol):
    """Where escalation steps are kept (``SqlEscalations``)."""

    async def steps(self, alert_id: int) -> Sequence[EscalationStepLike]: ...


class _BulletinLike(Protocol):
    @property
    def alert_id(self) -> int: ...
    @property
    def room(self) -> str: ...
    @property
    def room_id(self) -> str: ...


@dataclass
class AlertDesk:
    """What the alert commands need, handed over by the composition root.

    ``room_exists`` says whether a routed room exists (``MatrixNetwork.room_id(key) is not
    None``); without it every routed room is counted. ``budget``: the weekly volume budget
    (``[attention] budget_per_week``); without it no publication is held.
    """

    uow: UowFactory
    territories: TerritoryRegistry
    policy: ModerationPolicy
    clock: Callable[[], datetime]
    ledger: ReachLedger
    room_exists: RoomExists | None = None
    escalations: EscalationSteps | None = None
    """The alerts' escalation steps (``SqlEscalations``), shown by ``!alert reach``."""
    budget: WeeklyBudget | None = None
    usefulness: UsefulnessLedger | None = None
    """Members' usefulness votes (``SqlUsefulness``); without it none are taken or shown."""

    async def registry(self) -> tuple[list[Member], dict[str, Organisation]]:
        """Every member and organisation."""
        async with self.uow(None) as unit:
            members = list(await unit.members.list())
            organisations = {o.key: o for o in await unit.organisations.list()}
        return members, organisations

    async def visible(self, ref: str, member: Member) -> tuple[Alert, dict[str, Organisation]]:
        """The alert, if ``member`` may read it; else the same answer as for no alert at all."""
        alert_id = parse_ref(ref)
        async with self.uow(None) as unit:
            alert = await unit.alerts.get(alert_id)
            organisations = {o.key: o for o in await unit.organisations.list()}
        if alert is None or alert.status is AlertStatus.CANCELLED:
            raise unseen(ref)
        if not may_read(alert, member, organisations.get(member.organisation), self.territories):
            raise unseen(alert.ref)
        return alert, organisations

    async def source(self, alert: Alert) -> str:
        """The source line of a bulletin: organisation (author), as they are named today."""
        async with self.uow(None) as unit:
            org_name, author = await unit.alerts.source_names(alert)
        org_name = org_name or alert.organisation
        return f"{org_name} ({author})" if author else org_name

    async def existing(self, rooms: Sequence[str]) -> frozenset[str] | None:
        """The routed rooms that exist (an alert's own room is made when it is published)."""
        if self.room_exists is None:
            return None
        return frozenset([r for r in rooms if r.startswith("alert:") or await self.room_exists(r)])

    async def readers(self, context: Context, room_alert: Alert | None = None) -> list[Reader]:
        """Everyone who reads the room of ``context`` ([]: unknown, so shown to nobody)."""
        members, organisations = await self.registry()
        if context.room_key is not None and context.room_key.startswith("alert:"):
            async with self.uow(None) as unit:
                room_alert = await unit.alerts.get(int(context.room_key.split(":", 1)[1]))
        found = room_readers(context, members, organisations, self.territories, room_alert)
        return found or []

    def check_size(self, alert: Alert, source: str) -> None:
        """Refuse an alert whose bulletin the homeserver would refuse as too large."""
        rooms = route_alert(alert.content, self.territories, alert_id=alert.id).rooms
        too_large = oversize(alert, rooms, self.territories, source)
        if too_large is not None:
            raise InvalidValue(too_large.message(alert.ref if alert.id else "The alert"))


def alert_ref(args: Arguments) -> str:
    if not args.positional:
        raise UsageError("name the alert, e.g. A-12")
    return args.positional[0]


def after_ref(args: Arguments) -> str:
    """What follows the alert reference: the changes, or a reason."""
    parts = args.rest.split(None, 1)
    return parts[1].strip() if len(parts) > 1 else ""


def asking_member(context: Context) -> Member:
    if context.member is None:  # dispatch never calls handlers for strangers
        raise PermissionDenied("you are not a member of the network")
    return context.member
