"""Members' e-mailed replies in a running prevnet: the receiver on ``[email] listen_port``, and
each accepted reply recorded once as an ``EmailReplied`` event.

The event commits through the outbox, so the chat (every thread of the alert's bulletins) and
the toolbox bridge each get it with retries, and a reply is never lost between the SMTP answer
and the posting: the sender is told 250 only once the event is committed.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable, Collection
from pathlib import Path

from phenomena.errors import AlreadyDone
from phenomena.events import EmailReplied
from phenomena.services.unit_of_work import UnitOfWork
from phenomena.tlp import Tlp
from prevnet.mail.bulletin_wiring import mail_setup, mail_signer
from prevnet.mail.replies import EmailReply, ReplyReceiver, start_reply_server
from prevnet.settings import Settings

UowFactory = Callable[[], UnitOfWork]
OnceUowFactory = Callable[[str], UnitOfWork]
REPLY_TLPS = (Tlp.CLEAR, Tlp.GREEN)
"""An AMBER discussion stays in Matrix: its bulletin mail carries no reply address either."""


def reply_key(reply: EmailReply) -> str:
    """The reply's identity: a relay that delivers the same mail twice gets it posted once.

    Alert and member are part of it, so one member's Message-ID can never suppress another's.
    """
    basis = f"{reply.alert_id}\0{reply.member_id}\0{reply.message_id or reply.text}"
    return "email:" + hashlib.sha256(basis.encode()).hexdigest()[:32]


class ReplyRecorder:
    """What the receiver asks of the database: who has this address, whether the alert takes
    replies, and recording an accepted one."""

    def __init__(self, uow: UowFactory, once: OnceUowFactory) -> None:
        self._uow = uow
        self._once = once

    async def members_for(self, address: str) -> Collection[str]:
        async with self._uow() as unit:
            return [m.matrix_id for m in await unit.members.with_email(address)]

    async def replies_open(self, alert_id: int) -> bool:
        async with self._uow() as unit:
            alert = await unit.alerts.get(alert_id)
        return alert is not None and alert.status.is_open and alert.content.tlp in REPLY_TLPS

    async def record(self, reply: EmailReply) -> None:
        """Commit the reply as an event, once; a member gone meanwhile is refused upstream."""
        key = reply_key(reply)
        async with self._uow() as unit:
            member = await unit.members.get(reply.member_id)
            organisation = (
                await unit.organisations.get(member.organisation) if member is not None else None
            )
        if member is None:
            raise LookupError(f"{reply.member_id} is no longer a member")
        event = EmailReplied(
            alert_id=reply.alert_id,
            room="",
            event_id=key,
            sender=member.matrix_id,
            display_name=member.display_name,
            organisation=organisation.name if organisation is not None else member.organisation,
            text=reply.text,
        )
        try:
            async with self._once(key) as unit:
                unit.record(event)
                await unit.commit()
        except AlreadyDone:
            return  # the same mail, delivered again: posted once already


async def start_replies(
    settings: Settings, data_dir: Path, recorder: ReplyRecorder
) -> asyncio.Server | None:
    """Listen for replies to bulletins on ``[email] listen_host:listen_port`` (the reply domain's
    MX forwards there); None without ``[email]`` or with ``listen_port = 0``."""
    email = settings.email
    if email is None or not email.listen_port:
        return None
    signer = mail_signer(email, data_dir)
    receiver = ReplyReceiver(
        signer,
        mail_setup(settings, email, signer).reply_domain,
        recorder.members_for,
        recorder.record,
        recorder.replies_open,
    )
    return await start_reply_server(receiver, email.listen_host, email.listen_port)
