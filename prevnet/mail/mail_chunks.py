"""Sending many claimed mails in chunks over one connection, so each mail goes out once.

For each chunk of (say) 100 mails: claim them in one transaction (the mails sent or being sent
already are left out) that also records the fates of the chunk before, then hand the claimed
ones to the relay over the connection the earlier chunks used. One commit per chunk, not two per
mail, and a crash leaves at most one chunk ``sending`` (fate unknown, listed by ``prevnet outbox
list``, never resent); the chunks after it were never claimed and go on the next run. A relay
failure is recorded (what it took ``sent``, the one in flight unknown, the others of its chunk
``retry``) and raised, so the caller retries later.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from typing import Protocol

from phenomena.storage.email_deliveries import Claim, Fates, SqlEmailDeliveries
from prevnet.mail.sender import MailSendError, OutgoingMail, SendReport

CHUNK_SIZE = 100
"""Mails claimed, sent and recorded together: at most this many are of unknown fate after a
crash, and a batch costs one commit per this many mails."""


class Connection(Protocol):
    """One open connection to the relay (``prevnet.mail.sender.SmtpConnection``)."""

    async def send(self, mails: Sequence[OutgoingMail]) -> SendReport: ...


class Sender(Protocol):
    """What opens a connection to the relay (``prevnet.mail.sender.SmtpSender``)."""

    def connection(self) -> AbstractAsyncContextManager[Connection]: ...


async def send_once(
    sender: Sender,
    deliveries: SqlEmailDeliveries,
    mails: Sequence[tuple[Claim, OutgoingMail]],
    chunk_size: int = CHUNK_SIZE,
) -> SendReport:
    """Send each of ``mails`` that was never sent, chunk by chunk over one connection (opened
    for the first chunk that has a mail to send), and record each one's fate. MailSendError,
    after recording, if the relay fails: its ``sent`` names every mail the relay took here."""
    if chunk_size < 1:
        raise ValueError("a chunk holds at least one mail")
    unique = list({claim.message_id: (claim, mail) for claim, mail in reversed(mails)}.values())
    unique.reverse()  # one mail per Message-ID, in the order given
    sent: list[str] = []
    refused: dict[str, str] = {}
    deferred: dict[str, str] = {}
    fates = Fates()  # of the chunk just sent: recorded as the next one is claimed
    async with contextlib.AsyncExitStack() as stack:
        relay: Connection | None = None
        for start in range(0, len(unique), chunk_size):
            chunk = unique[start : start + chunk_size]
            taken = await deliveries.claim_many([claim for claim, _ in chunk], recording=fates)
            fates = Fates()
            claimed = [mail for claim, mail in chunk if claim.message_id in taken]
            if not claimed:
                continue
            try:
                if relay is None:
                    relay = await stack.enter_async_context(sender.connection())
                report = await relay.send(claimed)
            except MailSendError as exc:
                await deliveries.record(_failure(claimed, exc))
                exc.sent = (*sent, *exc.sent)
                raise
            fates = Fates(
                sent=report.sent,
                retry={
                    own_id: reason
                    for own_id, reason in {**report.refused, **report.deferred}.items()
                    if own_id not in report.sent  # accepted, if only for some of its recipients
                },
            )
            sent += report.sent
            refused.update(report.refused)
            deferred.update(report.deferred)
    await deliveries.record(fates)
    return SendReport(tuple(sent), refused, deferred)


def _failure(claimed: Sequence[OutgoingMail], exc: MailSendError) -> Fates:
    """The relay took ``exc.sent``, may have ``exc.unknown`` (never resent), and none of the
    others of the chunk: those may be claimed again."""
    took, unknown = set(exc.sent), set(exc.unknown)
    return Fates(
        sent=tuple(m.message_id for m in claimed if m.message_id in took),
        unknown=dict.fromkeys(sorted(unknown), str(exc)),
        retry={
            m.message_id: type(exc).__name__ for m in claimed if m.message_id not in took | unknown
        },
    )
