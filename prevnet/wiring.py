"""Which handler reacts to which domain event, and the lookups the bots need from storage."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Protocol

from bots.delivery import ALERT_EVENTS, AlertDelivery
from bots.email_replies import EmailReplyNotices
from bots.toolbox import ToolboxNotices
from phenomena.events import (
    AlertPublished,
    EmailReplied,
    Event,
    MemberAdded,
    MemberChanged,
    MemberReinstated,
    MemberRemoved,
    MemberSuspended,
    OrganisationAdded,
    OrganisationChanged,
    ToolboxReplied,
    ToolboxTopicCreated,
)
from phenomena.partners import Member, Organisation
from phenomena.storage.unit_of_work import SqlUnitOfWork
from prevnet.dispatch import Subscription
from prevnet.observability import Metrics

UowFactory = Callable[[], SqlUnitOfWork]


class MemberApplier(Protocol):
    """What applies one member to the homeserver (``bots.network.MatrixNetwork``)."""

    async def apply_member(
        self, member: Member, organisations: Mapping[str, Organisation]
    ) -> object: ...


async def load_registry(uow: UowFactory) -> tuple[list[Member], dict[str, Organisation]]:
    """Every member and organisation."""
    async with uow() as unit:
        members = list(await unit.members.list())
        organisations = {o.key: o for o in await unit.organisations.list()}
    return members, organisations


def membership_subscription(network: MemberApplier, uow: UowFactory) -> Subscription:
    """Apply membership changes to the homeserver: accounts, rooms, power levels.

    Each event reads only the members it names (one, or one organisation's), so a partner import
    of thousands of members costs a read per member, not the whole registry per member.
    """

    async def handle(event: Event) -> None:
        async with uow() as unit:
            organisations = {o.key: o for o in await unit.organisations.list()}
            if isinstance(event, OrganisationAdded | OrganisationChanged):
                affected = list(await unit.members.list(organisation=event.key))
            else:
                found = await unit.members.get(getattr(event, "matrix_id", ""))
                affected = [found] if found is not None else []
        for member in affected:
            await network.apply_member(member, organisations)

    return Subscription(
        "matrix-membership",
        (
            MemberAdded,
            MemberChanged,
            MemberSuspended,
            MemberReinstated,
            MemberRemoved,
            OrganisationAdded,
            OrganisationChanged,
        ),
        handle,
    )


def bulletin_subscription(delivery: AlertDelivery) -> Subscription:
    """Post moderation notices and bulletins, and edit them as alerts change."""
    return Subscription("matrix-bulletins", ALERT_EVENTS, delivery.handle)


def member_lookup(uow: UowFactory) -> Callable[[str], Awaitable[Member | None]]:
    """A coroutine function: the member with a Matrix ID, or None."""

    async def lookup(matrix_id: str) -> Member | None:
        async with uow() as unit:
            return await unit.members.get(matrix_id)

    return lookup


def metrics_subscription(metrics: Metrics) -> Subscription:
    """Count published alerts for the metrics (a retry may count one twice: it is a metric)."""

    async def count(event: Event) -> None:
        metrics.alerts_published.inc()

    return Subscription("metrics", (AlertPublished,), count)


def toolbox_subscription(notices: ToolboxNotices) -> Subscription:
    """Bring the toolbox bridge's news into chat: forum replies, new material."""
    return Subscription("matrix-toolbox", (ToolboxReplied, ToolboxTopicCreated), notices.handle)


def email_reply_subscription(notices: EmailReplyNotices) -> Subscription:
    """Post members' e-mailed replies in the threads of the alert's bulletins."""
    return Subscription("matrix-email-replies", (EmailReplied,), notices.handle)
