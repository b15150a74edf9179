"""Members' e-mail choices and the record of e-mails sent, so a crash never sends one twice.

A send is *claimed* under its deterministic Message-ID before it goes to the relay and marked
*sent* after. A second claim of the same Message-ID is refused whether the first was sent or is
still in flight, so a process that died between the relay's answer and the mark sends nothing
again: such a claim stays ``sending`` and :meth:`SqlEmailDeliveries.unfinished` lists it for an
operator, as it does a mail in flight when the relay's connection failed (``mark_unknown``).
Only a send the relay refused for now (``retry``) may be claimed again. A batch claims a chunk
of mails and records their fates in one transaction each (``claim_many``, ``record``).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update

from phenomena.email_policy import DEFAULT_EMAIL_PREFERENCE, EmailPreference
from phenomena.storage.database import Database
from phenomena.storage.schema import EmailPreferenceRow, EmailSendRow
from phenomena.storage.unit_of_work import utc_now
from phenomena.storage.upserts import insert_for, upsert

SENDING, SENT, RETRY = "sending", "sent", "retry"
UNKNOWN = "fate unknown"
STUCK_AFTER = timedelta(minutes=15)
"""A claim older than this and never marked is taken for a crash mid-send."""


@dataclass(frozen=True)
class Claim:
    """The right asked for to send one e-mail now, under its Message-ID."""

    message_id: str
    member: str
    kind: str
    alert_id: int | None = None


@dataclass(frozen=True)
class EmailSend:
    """What is recorded of one e-mail."""

    message_id: str
    alert_id: int | None
    member: str
    kind: str
    state: str
    attempts: int
    claimed_at: datetime
    sent_at: datetime | None
    last_error: str | None


def _send(row: EmailSendRow) -> EmailSend:
    return EmailSend(
        row.message_id,
        row.alert_id,
        row.member,
        row.kind,
        row.state,
        row.attempts,
        row.claimed_at,
        row.sent_at,
        row.last_error,
    )


class SqlEmailDeliveries:
    """E-mail choices and sends on SQLite or PostgreSQL."""

    def __init__(self, db: Database, clock: Callable[[], datetime] = utc_now) -> None:
        self._db = db
        self._clock = clock

    async def preference(self, member: str) -> EmailPreference:
        """What ``member`` chose (``none`` if they never chose)."""
        async with self._db.sessions() as session:
            row = await session.get(EmailPreferenceRow, member)
        return EmailPreference(row.choice) if row is not None else DEFAULT_EMAIL_PREFERENCE

    async def preferences(self, members: Collection[str]) -> dict[str, EmailPreference]:
        """The choice of each of ``members``, in one query (the default for those without)."""
        found: dict[str, EmailPreference] = dict.fromkeys(members, DEFAULT_EMAIL_PREFERENCE)
        if not members:
            return found
        async with self._db.sessions() as session:
            rows = await session.scalars(
                select(EmailPreferenceRow).where(EmailPreferenceRow.member.in_(list(members)))
            )
            for row in rows:
                found[row.member] = EmailPreference(row.choice)
        return found

    async def set_preference(self, member: str, choice: EmailPreference) -> None:
        """Record ``member``'s choice (``!prefs email``, or ``none`` from an unsubscribe link)."""
        values = {"member": member, "choice": choice.value, "changed_at": self._clock()}
        async with self._db.sessions() as session, session.begin():
            await upsert(session, EmailPreferenceRow, ["member"], values)

    async def claim(
        self, message_id: str, member: str, kind: str, alert_id: int | None = None
    ) -> bool:
        """Take the right to send ``message_id`` now; False if it was sent or is being sent."""
        return bool(await self.claim_many([Claim(message_id, member, kind, alert_id)]))

    async def claim_many(self, claims: Sequence[Claim]) -> set[str]:
        """Take the right to send each of ``claims`` now, in one transaction: the Message-IDs
        claimed, leaving out those sent or being sent (by this or another worker)."""
        if not claims:
            return set()
        now = self._clock()
        rows = [
            {
                "message_id": c.message_id,
                "alert_id": c.alert_id,
                "member": c.member,
                "kind": c.kind,
                "state": SENDING,
                "attempts": 1,
                "claimed_at": now,
                "sent_at": None,
                "last_error": None,
            }
            # one order for every writer, so two that claim the same mails cannot deadlock
            for c in sorted({c.message_id: c for c in claims}.values(), key=_message_id)
        ]
        async with self._db.sessions() as session, session.begin():
            inserted = await session.scalars(
                insert_for(session, EmailSendRow)
                .values(rows)
                .on_conflict_do_nothing(index_elements=["message_id"])
                .returning(EmailSendRow.message_id)
            )
            claimed = set(inserted)
            known = [r["message_id"] for r in rows if r["message_id"] not in claimed]
            if known:  # only a send the relay refused for now may be claimed again
                again = await session.scalars(
                    update(EmailSendRow)
                    .where(EmailSendRow.message_id.in_(known), EmailSendRow.state == RETRY)
                    .values(
                        state=SENDING,
                        claimed_at=now,
                        attempts=EmailSendRow.attempts + 1,
                        last_error=None,
                    )
                    .returning(EmailSendRow.message_id)
                )
                claimed.update(again)
        return claimed

    async def mark_sent(self, message_id: str) -> None:
        """The relay took it: it is never sent again."""
        await self.record(sent=[message_id])

    async def mark_retry(self, message_id: str, error: str) -> None:
        """The relay refused it for now (no mail went out): it may be claimed again."""
        await self.record(retry={message_id: error})

    async def mark_unknown(self, message_id: str, error: str) -> None:
        """The connection failed while the relay had it: it may have gone out, so it stays
        ``sending`` (never claimed again) and :meth:`unfinished` lists it at once."""
        await self.record(unknown={message_id: error})

    async def record(
        self,
        *,
        sent: Collection[str] = (),
        retry: Mapping[str, str] | None = None,
        unknown: Mapping[str, str] | None = None,
    ) -> None:
        """What became of claimed sends, in one transaction: ``sent`` (never sent again),
        ``retry`` (refused for now, no mail went out: may be claimed again) and ``unknown`` (the
        relay may have it: stays ``sending``, listed by :meth:`unfinished`), each with its error.
        LookupError, after the others are recorded, for one that is not being sent."""
        retry, unknown = retry or {}, unknown or {}
        marks: list[tuple[Collection[str], dict[str, object]]] = []
        if sent:
            marks.append((sent, {"state": SENT, "sent_at": self._clock(), "last_error": None}))
        for own_id, error in retry.items():
            marks.append(([own_id], {"state": RETRY, "last_error": error[:500]}))
        for own_id, error in unknown.items():
            marks.append(([own_id], {"state": SENDING, "last_error": f"{UNKNOWN}: {error}"[:500]}))
        done: set[str] = set()
        async with self._db.sessions() as session, session.begin():
            for ids, values in marks:
                changed = await session.scalars(
                    update(EmailSendRow)
                    .where(EmailSendRow.message_id.in_(list(ids)), EmailSendRow.state == SENDING)
                    .values(**values)
                    .returning(EmailSendRow.message_id)
                )
                done.update(changed)
        missing = sorted({*sent, *retry, *unknown} - done)
        if missing:
            raise LookupError(
                f"no e-mail {', '.join(missing[:3])} is being sent: claim it before sending"
            )

    async def send(self, message_id: str) -> EmailSend | None:
        """What is recorded of ``message_id``, or None if it was never claimed."""
        async with self._db.sessions() as session:
            row = await session.get(EmailSendRow, message_id)
        return _send(row) if row is not None else None

    async def unfinished(self, claimed_before: datetime) -> list[EmailSend]:
        """Sends whose fate is unknown: claimed before ``claimed_before`` and never marked (a
        crash mid-send), or marked unknown (the connection failed while the relay had it)."""
        async with self._db.sessions() as session:
            rows = await session.scalars(
                select(EmailSendRow)
                .where(
                    EmailSendRow.state == SENDING,
                    or_(
                        EmailSendRow.claimed_at < claimed_before,
                        EmailSendRow.last_error.like(f"{UNKNOWN}:%"),
                    ),
                )
                .order_by(EmailSendRow.claimed_at)
            )
            return [_send(row) for row in rows]


def _message_id(claim: Claim) -> str:
    return claim.message_id
