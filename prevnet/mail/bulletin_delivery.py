"""Alert bulletins by e-mail, as an outbox consumer of its own (``email``): who gets which mail.

On an alert published, updated, closed or expired, every active member with an e-mail address
who chose ``all``, who gets the bulletin in one of the alert's routed rooms and whom the
audience rule lets read it (``phenomena.audience.may_read``: never wider than chat) gets one
mail, written from one :func:`prevnet.mail.bulletin_mail.bulletin_template` per routed room.
RED and AMBER+STRICT alerts are dropped before anyone is looked up.

Each mail is *claimed* under its Message-ID (derived from alert, member and the alert's state)
before it goes to the relay and marked sent after, a chunk at a time over one connection
(:mod:`prevnet.mail.mail_chunks`). A relay that is down raises, so the outbox retries the event
with backoff; mails already sent refuse a second claim, and a crash between the relay's answer
and the mark leaves at most one chunk ``sending``, which is never claimed again: nothing is sent
twice. A mail that was never sent is marked ``retry``; the one in flight when the relay's
connection failed or stalled is marked of unknown fate (listed by ``prevnet outbox list``), never
resent. A mail that cannot be written (a line break in a name) is set aside and marked, and the
others still go.

Language: the one the member chose (``!prefs language``); else that of the routed room the
member gets the bulletin in (a zone room before a province room, the first language of a
bilingual Brussels room), as that room's bulletin is; English where the room has none.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from email.errors import MessageError

from phenomena.alert import Alert
from phenomena.audience import may_read, routed_rooms
from phenomena.email_address import email_problem
from phenomena.email_policy import EmailPreference, EmailShare, email_share
from phenomena.events import AlertClosed, AlertExpired, AlertPublished, AlertUpdated, Event
from phenomena.partners import Member, MemberStatus, Organisation
from phenomena.rooms import member_rooms, room_languages
from phenomena.services.unit_of_work import UnitOfWork
from phenomena.storage.email_deliveries import Claim, SqlEmailDeliveries
from phenomena.territory import TerritoryRegistry
from prevnet.mail.bulletin_mail import (
    BulletinTemplate,
    ChatLink,
    MailRecipient,
    MailSetup,
    bulletin_template,
    message_id,
)
from prevnet.mail.mail_chunks import CHUNK_SIZE, PendingMail, send_once
from prevnet.mail.mail_chunks import Sender as Sender  # what the wiring and tests pass in
from prevnet.mail.sender import MailSendError, OutgoingMail

log = logging.getLogger(__name__)

MAIL_CONSUMER = "email"
"""The outbox consumer of bulletin e-mails: the relay being down holds back no Matrix message."""
MAIL_EVENTS = (AlertPublished, AlertUpdated, AlertClosed, AlertExpired)
MAIL_HANDLER = "email-bulletins"
BULLETIN_KIND = "bulletin"
DEFAULT_LANGUAGE = "en"

ChatLinkOf = Callable[[Alert, str], Awaitable[ChatLink]]
"""Where the member opens the bulletin in Matrix: ``(alert, room key)``."""
SourceOf = Callable[[Alert], Awaitable[str]]
ChosenLanguages = Callable[[Sequence[str]], Awaitable[Mapping[str, str | None]]]
"""The language each member chose with ``!prefs language`` (None: none chosen)."""
UowFactory = Callable[[], UnitOfWork]


class MailsDeferred(MailSendError):
    """The relay put some mails off for now (4xx): the event is tried again later."""


@dataclass(frozen=True)
class MailTarget:
    """One member who gets this alert by e-mail, and the routed room it is written for."""

    member: Member
    address: str
    room: str
    language: str


def _room_order(key: str) -> tuple[int, str]:
    return (0 if key.startswith("zone:") else 1 if key.startswith("province:") else 2, key)


def mail_room(
    alert: Alert,
    member: Member,
    organisation: Organisation | None,
    territories: TerritoryRegistry,
    routed: frozenset[str] | None = None,
) -> str | None:
    """The routed room through which the member gets the alert's bulletin (zone rooms first),
    or None when they get none or may not read it (``routed``: the alert's routed rooms)."""
    if routed is None:
        routed = frozenset(routed_rooms(alert, territories))
    rooms = member_rooms(member, organisation, territories) & routed
    if not rooms or not may_read(alert, member, organisation, territories):
        return None
    return min(rooms, key=_room_order)


def mail_targets(
    alert: Alert,
    members: Sequence[Member],
    organisations: dict[str, Organisation],
    preferences: dict[str, EmailPreference],
    territories: TerritoryRegistry,
) -> list[MailTarget]:
    """Who gets ``alert`` by e-mail: the chat audience of its routed rooms, narrowed, never
    widened: active, may read it, chose ``all``, has an address. Empty for RED, AMBER+STRICT,
    and for an ``info`` alert, which has no bulletin (it waits for the weekly digest)."""
    if email_share(alert.content.tlp) is EmailShare.NOTHING:
        return []
    if not alert.content.priority.posted_as_bulletin:
        return []
    found = []
    routed = frozenset(routed_rooms(alert, territories))
    languages: dict[str, str] = {}
    for member in members:
        address = (member.email or "").strip()
        if not member.is_active or not address:
            continue
        if preferences.get(member.matrix_id) is not EmailPreference.ALL:
            continue
        if email_problem(address) is not None:  # a list or comment an older prevnet stored
            log.warning("%s has no usable e-mail address: fix it with member add", member.matrix_id)
            continue
        organisation = organisations.get(member.organisation)
        room = mail_room(alert, member, organisation, territories, routed)
        if room is None:
            continue
        if room not in languages:
            spoken = room_languages(room, territories)
            languages[room] = spoken[0] if spoken else DEFAULT_LANGUAGE
        found.append(MailTarget(member, address, room, languages[room]))
    return found


class BulletinMailer:
    """The ``email-bulletins`` handler: one mail per (alert state, member), sent once."""

    def __init__(
        self,
        uow: UowFactory,
        deliveries: SqlEmailDeliveries,
        sender: Sender,
        setup: MailSetup,
        territories: TerritoryRegistry,
        chat_link: ChatLinkOf,
        source_of: SourceOf,
        chunk_size: int = CHUNK_SIZE,
        languages: ChosenLanguages | None = None,
    ) -> None:
        self._languages = languages
        self._uow = uow
        self._deliveries = deliveries
        self._sender = sender
        self._setup = setup
        self._territories = territories
        self._chat_link = chat_link
        self._source_of = source_of
        self._chunk_size = chunk_size

    async def handle(self, event: Event) -> None:
        """Mail the alert the event names, as it is now, to those who chose e-mail."""
        alert_id = getattr(event, "alert_id", None)
        if not isinstance(alert_id, int):
            return
        async with self._uow() as unit:
            alert = await unit.alerts.get(alert_id)
        if alert is None or email_share(alert.content.tlp) is EmailShare.NOTHING:
            return  # RED and AMBER+STRICT: not even their recipients are looked up
        targets = await self._targets(alert)
        if not targets:
            return
        mails = await self._prepare(alert, targets)
        if mails is None:
            return  # not published (any more): nobody gets it
        await self._send(alert, mails)

    async def _targets(self, alert: Alert) -> list[MailTarget]:
        async with self._uow() as unit:
            members = list(await unit.members.list(statuses=[MemberStatus.ACTIVE]))
            organisations = {o.key: o for o in await unit.organisations.list()}
        preferences = await self._deliveries.preferences([m.matrix_id for m in members if m.email])
        found = mail_targets(alert, members, organisations, preferences, self._territories)
        if self._languages is None or not found:
            return found
        chosen = await self._languages([t.member.matrix_id for t in found])  # theirs first
        return [replace(t, language=chosen.get(t.member.matrix_id) or t.language) for t in found]

    async def _prepare(
        self, alert: Alert, targets: Sequence[MailTarget]
    ) -> list[PendingMail] | None:
        """Each target's mail, to be written from one template per routed room (one chat link
        read per room, not per member); None when none may be sent."""
        source = await self._source_of(alert)
        templates: dict[tuple[str, str], BulletinTemplate | str] = {}
        chats: dict[str, ChatLink] = {}
        mails: list[PendingMail] = []
        for target in targets:
            written_for = (target.room, target.language)
            template = templates.get(written_for)
            if template is None:
                if target.room not in chats:
                    chats[target.room] = await self._chat_link(alert, target.room)
                chat = chats[target.room]
                try:
                    made = bulletin_template(
                        alert, target.language, self._setup, self._territories, chat, source
                    )
                except (ValueError, MessageError) as exc:  # e.g. a line break in a name
                    template = templates[written_for] = str(exc)
                else:
                    if made is None:
                        return None
                    template = templates[written_for] = made
            member = target.member.matrix_id
            own_id = message_id(self._setup, alert, member)
            claim = Claim(own_id, member, BULLETIN_KIND, alert.id)
            recipient = MailRecipient(member, target.address, target.language)
            mails.append(PendingMail(claim, _writer(template, recipient, own_id)))
        return mails

    def _set_aside(self, alert: Alert, claim: Claim, reason: str) -> None:
        log.warning(
            "%s: the bulletin e-mail to %s is set aside, the others go: %s",
            alert.ref,
            claim.member,
            reason,
        )

    async def _send(self, alert: Alert, mails: Sequence[PendingMail]) -> None:
        try:
            report = await send_once(
                self._sender,
                self._deliveries,
                mails,
                self._chunk_size,
                lambda claim, reason: self._set_aside(alert, claim, reason),
            )
        except MailSendError as exc:
            if exc.unknown:
                log.warning(
                    "%s: %d bulletin e-mail(s) may or may not have gone out and are not sent "
                    "again: see `prevnet outbox list`",
                    alert.ref,
                    len(exc.unknown),
                )
            raise
        if report.refused:
            log.warning(
                "%s: the relay refused %d bulletin e-mail(s) for good (see the e-mail sends)",
                alert.ref,
                len(report.refused),
            )
        if report.deferred:
            raise MailsDeferred(
                f"{alert.ref}: the relay put {len(report.deferred)} bulletin e-mail(s) off for "
                "now; they are tried again with the event",
                transient=True,
            )


def _writer(
    template: BulletinTemplate | str, recipient: MailRecipient, own_id: str
) -> Callable[[], OutgoingMail]:
    """What writes one member's mail from their room's template (or says why it cannot)."""

    def write() -> OutgoingMail:
        if isinstance(template, str):
            raise ValueError(template)  # the room's template could not be written
        return template.mail(recipient, own_id)

    return write
