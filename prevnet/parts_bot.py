"""The bot of ``prevnet up``: its commands, the alert desk behind them, and #admin's notices.

Built from the ``Core`` in one factory so the commands a member can type are all listed in one
place, each registered with the collaborators it needs.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from bots.admin_commands import register_member_commands, register_reconcile_command
from bots.alert_commands import register_alert_commands
from bots.alert_desk import AlertDesk
from bots.bot import Bot
from bots.commands import CommandRegistry, Reply
from bots.late_joiners import LateJoiners
from bots.network import MatrixNetwork, ReconcileReport
from bots.prefs_commands import register_prefs_commands
from bots.reactions import on_reaction
from bots.synapse_admin import MatrixSendError
from bots.toolbox import record_thread_reply
from bots.useful_commands import register_useful_commands
from phenomena.partners import Member
from phenomena.rooms import ADMIN
from phenomena.services.budget import WeeklyBudget
from phenomena.storage.bulletin_volume import SqlBulletinVolume
from phenomena.storage.email_deliveries import SqlEmailDeliveries
from phenomena.storage.notify_prefs import SqlNotifyPreferences
from phenomena.storage.outbox import OutboxEntry
from phenomena.storage.sync_tokens import SqlSyncTokens
from phenomena.storage.unit_of_work import SqlUnitOfWork, utc_now
from phenomena.storage.usefulness import SqlUsefulness
from prevnet.dispatch import dead_letter_notice
from prevnet.duty_wiring import DutyService, duty_service
from prevnet.late_joiner_wiring import late_joiners, open_bulletins
from prevnet.mail.invitation_service import InvitationService, invitation_service
from prevnet.parts_core import ADMIN_LINES, Core
from prevnet.wiring import load_registry, member_lookup

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BotParts:
    """The bot and what its commands act through."""

    bot: Bot
    commands: CommandRegistry  # more are added once the capsule desk exists
    desk: AlertDesk
    mail: InvitationService
    duty: DutyService
    usefulness: SqlUsefulness
    sharing: LateJoiners  # room keys for late joiners and new devices (issue 19)


class AdminRoom:
    """#admin as the network's notice board: drift reports, dead letters, failed set-ups."""

    def __init__(self, network: MatrixNetwork, bot: Bot) -> None:
        self._network = network
        self._bot = bot
        self._known_unknown: set[str] = set()
        self._known_problems: set[str] = set()

    def news_in(self, report: ReconcileReport) -> bool:
        """Whether a report names a stranger or a problem #admin has not been told of."""
        strangers = set(report.unknown_accounts) - self._known_unknown
        problems = {p.line() for p in report.problems} - self._known_problems
        self._known_unknown.update(report.unknown_accounts)
        self._known_problems.update(p.line() for p in report.problems)
        return bool(strangers or problems)

    async def post(self, text: str) -> None:
        """Tell #admin; a refused post is logged, never a reason to stop the network."""
        room = await self._network.room_id(ADMIN)
        if room is not None and self._bot.ready.is_set():
            try:
                await self._bot.send(room, Reply(text))
            except MatrixSendError as exc:
                log.error("could not tell #admin (%s): %s", exc, text[:200])

    async def announce_dead_letters(self, entries: Sequence[OutboxEntry]) -> None:
        """Tell #admin; outside the outbox, so the notice cannot become a poison event."""
        room = await self._network.room_id(ADMIN)
        if room is None or not self._bot.ready.is_set():
            raise ConnectionError("#admin is not reachable yet")  # tried again in a minute
        await self._bot.send(room, Reply(dead_letter_notice(entries)))


def alert_desk(core: Core) -> AlertDesk:
    """Where alerts are drafted, moderated and published, within the weekly attention budget."""

    async def room_exists(key: str) -> bool:
        return await core.network.room_id(key) is not None

    return AlertDesk(
        uow=lambda once: SqlUnitOfWork(core.db.sessions, once=once, handoff=core.dispatcher),
        territories=core.territories,
        policy=core.settings.moderation,
        clock=utc_now,
        ledger=core.ledger,
        room_exists=room_exists,
        budget=WeeklyBudget(
            SqlBulletinVolume(core.db),
            core.settings.attention.budget_per_week,
            core.settings.timezone,
        ),
    )


def build_bot(core: Core, stack: contextlib.AsyncExitStack) -> BotParts:
    """The bot with its commands; the late joiners' key history is closed with the stack."""
    settings, db, uow = core.settings, core.db, core.uow

    async def reconcile() -> str:
        """Repair drift now and return the report (the ``!reconcile`` command)."""
        members, organisations = await load_registry(uow)
        return (await core.network.reconcile(members, organisations)).summary(ADMIN_LINES)

    desk = alert_desk(core)
    commands = CommandRegistry()
    mail = invitation_service(
        settings, db, core.territories, settings.homeserver_url or core.url, core.admin
    )
    register_member_commands(
        commands,
        uow,
        utc_now,
        settings.server_name,
        core.session.user_id,
        send_link=mail.send_link if settings.email else None,
        never_logged_in=mail.never_logged_in,
    )
    register_reconcile_command(commands, reconcile)
    register_alert_commands(commands, desk)
    duty = duty_service(
        db, core.territories, member_lookup(uow), settings.timezone, utc_now, core.dispatcher
    )
    duty.register(commands)  # !duty, !duty take
    notify_prefs = SqlNotifyPreferences(db)
    register_prefs_commands(
        commands,
        SqlEmailDeliveries(db),
        email_enabled=settings.email is not None,
        notify=notify_prefs,
    )
    desk.usefulness = usefulness = SqlUsefulness(db)
    register_useful_commands(commands, desk, notify_prefs)

    async def reaction(
        member: Member | None, event_id: str, reacts_to: str, key: str, room_id: str
    ) -> object:
        return await on_reaction(desk, member, event_id, reacts_to, key, room_id)

    async def organisation_name(key: str) -> str:
        async with uow() as unit:
            found = await unit.organisations.get(key)
        return found.name if found is not None else key

    async def thread_reply(member: Member | None, event_id: str, root: str, text: str) -> str:
        return await record_thread_reply(
            core.ledger, core.once_uow, organisation_name, member, event_id, root, text
        )

    bot = Bot(
        core.client,
        commands,
        member_lookup(uow),
        core.network.key_of_room,
        reaction,
        thread_reply,
        SqlSyncTokens(db, f"{core.session.user_id}/{core.session.device_id}"),
        direct_chats=core.network,
        direct_room=core.network.direct_room,
    )
    sharing = late_joiners(
        core.client, core.store, member_lookup(uow), open_bulletins(uow, core.ledger)
    )
    stack.callback(sharing.history.close)
    return BotParts(bot, commands, desk, mail, duty, usefulness, sharing)
