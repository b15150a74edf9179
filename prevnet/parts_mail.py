"""The e-mail of ``prevnet up``: bulletins and weekly digests out, members' replies in.

Each is None without ``[email]``, so a network without a relay starts the same parts minus these.
"""

from __future__ import annotations

import contextlib

from prevnet.dispatch import Dispatcher
from prevnet.mail.bulletin_wiring import bulletin_mail_dispatcher, chat_links
from prevnet.mail.digest_mail import DigestMailer, digest_mailer
from prevnet.mail.reply_wiring import ReplyRecorder, start_replies
from prevnet.parts_bot import AdminRoom
from prevnet.parts_core import Core
from prevnet.parts_delivery import Delivery


async def mail_dispatcher(core: Core, delivery: Delivery, admins: AdminRoom) -> Dispatcher | None:
    """Bulletin e-mails: a consumer of their own, so a relay that is down holds back no Matrix
    message; None (not registered, nothing sent) without ``[email]``."""
    dispatcher = await bulletin_mail_dispatcher(
        core.settings,
        core.db,
        core.territories,
        chat_links(core.ledger, core.network.room_id),
        delivery.source_of,
        worker=f"email-{core.session.device_id}",
        on_failure=core.count_failure,
    )
    if dispatcher is not None:
        dispatcher.on_dead_letter = admins.announce_dead_letters
    return dispatcher


def digest_mails(core: Core) -> DigestMailer | None:
    """The weekly digest by e-mail, sent after the rooms' digests; None without ``[email]``."""
    return digest_mailer(core.settings, core.db, core.territories)


async def receive_replies(core: Core, stack: contextlib.AsyncExitStack) -> None:
    """Listen for replies to bulletin e-mails until the stack unwinds (with ``[email]`` and a
    ``listen_port``)."""
    recorder = ReplyRecorder(core.uow, core.once_uow)
    replies = await start_replies(core.settings, core.data, recorder)
    if replies is not None:
        stack.callback(replies.close)
