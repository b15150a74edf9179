"""Sending many claimed mails in chunks over one connection, so each mail goes out once.

For each chunk of (say) 100 mails: claim them in one transaction (the mails sent or being sent
already are left out) that also records the fates of the chunk before, write the chunk's mails
while that transaction commits, then hand the claimed ones to the relay over the connection the
earlier chunks used. One commit per chunk, not two per mail, and a crash leaves at most one
chunk ``sending`` (fate unknown, listed by ``prevnet outbox list``, never resent); the chunks
after it were never claimed and go on the next run. A relay failure is recorded (what it took
``sent``, the one in flight unknown, the others of its chunk ``retry``) and raised, so the
caller retries later. A mail that cannot be written is recorded ``retry`` and the others go.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from email.errors import MessageError
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


@dataclass(frozen=True)
class PendingMail:
    """A mail to send once: its claim, and how to write it (ValueError or MessageError if it
    cannot be, e.g. a line break in a name); the mail written has the claim's Message-ID."""

    claim: Claim
    write: Callable[[], OutgoingMail]

    @classmethod
    def written(cls, claim: Claim, mail: OutgoingMail) -> PendingMail:
        """A mail written already."""
        return cls(claim, lambda: mail)


SetAside = Callable[[Claim, str], None]
"""Told of each claimed mail that could not be written, and why (to log it)."""


async def send_once(
    sender: Sender,
    deliveries: SqlEmailDeliveries,
    mails: Sequence[PendingMail],
    chunk_size: int = CHUNK_SIZE,
    set_aside: SetAside | None = None,
) -> SendReport:
    """Send each of ``mails`` that was never sent, chunk by chunk over one connection (opened
    for the first chunk that has a mail to send), and record each one's fate. MailSendError,
    after recording, if the relay fails: its ``sent`` names every mail the relay took here."""
    if chunk_size < 1:
        raise ValueError("a chunk holds at least one mail")
    unique = list({m.claim.message_id: m for m in reversed(mails)}.values())
    unique.reverse()  # one mail per Message-ID, in the order given
    sent: list[str] = []
    refused: dict[str, str] = {}
    deferred: dict[str, str] = {}
    fates = Fates()  # of the chunk just sent: recorded as the next one is claimed
    async with contextlib.AsyncExitStack() as stack:
        relay: Connection | None = None
        for start in range(0, len(unique), chunk_size):
            chunk = unique[start : start + chunk_size]
            claiming = asyncio.ensure_future(
                deliveries.claim_many([m.claim for m in chunk], recording=fates)
            )
            try:
                written, unwritable = await _write(chunk)  # while the claim commits
            finally:
                taken = await claiming
            claimed = [
                mail
                for m in chunk
                if m.claim.message_id in taken and (mail := written[m.claim.message_id])
            ]
            aside = {own_id: why for own_id, why in unwritable.items() if own_id in taken}
            for pending in chunk:
                if set_aside is not None and pending.claim.message_id in aside:
                    set_aside(pending.claim, aside[pending.claim.message_id])
            fates = Fates(retry=aside)
            if not claimed:
                continue
            try:
                if relay is None:
                    relay = await stack.enter_async_context(sender.connection())
                report = await relay.send(claimed)
            except MailSendError as exc:
                await deliveries.record(_failure(claimed, exc, aside))
                exc.sent = (*sent, *exc.sent)
                raise
            fates = Fates(
                sent=report.sent,
                retry={
                    **aside,
                    **{
                        own_id: reason
                        for own_id, reason in {**report.refused, **report.deferred}.items()
                        if own_id not in report.sent  # accepted, if only for some recipients
                    },
                },
            )
            sent += report.sent
            refused.update(report.refused)
            deferred.update(report.deferred)
    await deliveries.record(fates)
    return SendReport(tuple(sent), refused, deferred)


async def _write(
    chunk: Sequence[PendingMail],
) -> tuple[dict[str, OutgoingMail | None], dict[str, str]]:
    """Each mail of ``chunk`` written (None for one that cannot be, with why)."""
    written: dict[str, OutgoingMail | None] = {}
    unwritable: dict[str, str] = {}
    for pending in chunk:
        await asyncio.sleep(0)  # the claim's round trips to the database go on meanwhile
        own_id = pending.claim.message_id
        try:
            mail = pending.write()
        except (ValueError, MessageError) as exc:
            written[own_id], unwritable[own_id] = None, f"could not be written: {exc}"
            continue
        if mail.message_id != own_id:
            raise ValueError(f"a mail claimed as {own_id} was written as {mail.message_id}")
        written[own_id] = mail
    return written, unwritable


def _failure(claimed: Sequence[OutgoingMail], exc: MailSendError, aside: dict[str, str]) -> Fates:
    """The relay took ``exc.sent``, may have ``exc.unknown`` (never resent), and none of the
    others of the chunk: those may be claimed again, as may those set aside."""
    took, unknown = set(exc.sent), set(exc.unknown)
    return Fates(
        sent=tuple(m.message_id for m in claimed if m.message_id in took),
        unknown=dict.fromkeys(sorted(unknown), str(exc)),
        retry={
            **aside,
            **{
                m.message_id: type(exc).__name__
                for m in claimed
                if m.message_id not in took | unknown
            },
        },
    )
