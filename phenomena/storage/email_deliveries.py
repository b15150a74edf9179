"""Members' e-mail choices and the record of e-mails sent, so a crash never sends one twice.

A send is *claimed* under its deterministic Message-ID before it goes to the relay and marked
*sent* after. A second claim of the same Message-ID is refused whether the first was sent or is
still in flight, so a process that died between the relay's answer and the mark sends nothing
again: such a claim stays ``sending`` and :meth:`SqlEmailDeliveries.unfinished` lists it for an
operator, as it does a mail in flight when the relay's connection failed (``mark_unknown``).
Only a send the relay refused for now (``retry``) may be claimed again. A batch claims a chunk
of mails in one transaction that also records the previous chunk's fates (``claim_many``).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

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
class Fates:
    """What became of claimed sends, by Message-ID: taken by the relay, refused for now (with
    why), or perhaps taken (the connection failed while the relay had it; with why)."""

    sent: tuple[str, ...] = ()
    retry: Mapping[str, str] = field(default_factory=dict)
    unknown: Mapping[str, str] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.sent or self.retry or self.unknown)


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
            rows = await session.execute(  # plain rows: no objects to build for a whole roster
                select(EmailPreferenceRow.member, EmailPreferenceRow.choice).where(
                    EmailPreferenceRow.member.in_(list(members))
                )
            )
            for member, choice in rows:
                found[member] = EmailPreference(choice)
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

    async def claim_many(
        self, claims: Sequence[Claim], *, recording: Fates | None = None
    ) -> set[str]:
        """Take the right to send each of ``claims`` now, in one transaction: the Message-IDs
        claimed, leaving out those sent or being sent (by this or another worker).

        ``recording`` is recorded in the same transaction (see :meth:`record`): a batch records
        one chunk's fates as it claims the next, one commit a chunk, and never has two chunks
        ``sending`` at once."""
        fates = recording or Fates()
        if not claims and not fates:
            return set()
        async with self._db.sessions() as session, session.begin():
            done = await self._record(session, fates)
            claimed = await self._claim(session, claims)
        _check_recorded(fates, done)
        return claimed

    async def _claim(self, session: AsyncSession, claims: Sequence[Claim]) -> set[str]:
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
        inserted = await session.scalars(  # one cached statement, many rows per round trip
            insert_for(session, EmailSendRow)
            .on_conflict_do_nothing(index_elements=["message_id"])
            .returning(EmailSendRow.message_id),
            rows,
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
        await self.record(Fates(sent=(message_id,)))

    async def mark_retry(self, message_id: str, error: str) -> None:
        """The relay refused it for now (no mail went out): it may be claimed again."""
        await self.record(Fates(retry={message_id: error}))

    async def mark_unknown(self, message_id: str, error: str) -> None:
        """The connection failed while the relay had it: it may have gone out, so it stays
        ``sending`` (never claimed again) and :meth:`unfinished` lists it at once."""
        await self.record(Fates(unknown={message_id: error}))

    async def record(self, fates: Fates) -> None:
        """What became of claimed sends, in one transaction: ``sent`` (never sent again),
        ``retry`` (refused for now, no mail went out: may be claimed again) and ``unknown`` (the
        relay may have it: stays ``sending``, listed by :meth:`unfinished`), each with its error.
        LookupError, after the others are recorded, for one that is not being sent."""
        if not fates:
            return
        async with self._db.sessions() as session, session.begin():
            done = await self._record(session, fates)
        _check_recorded(fates, done)

    async def _record(self, session: AsyncSession, fates: Fates) -> set[str]:
        marks: list[tuple[Collection[str], dict[str, object]]] = []
        if fates.sent:
            values = {"state": SENT, "sent_at": self._clock(), "last_error": None}
            marks.append((fates.sent, values))
        for own_id, error in fates.retry.items():
            marks.append(([own_id], {"state": RETRY, "last_error": error[:500]}))
        for own_id, error in fates.unknown.items():
            marks.append(([own_id], {"state": SENDING, "last_error": f"{UNKNOWN}: {error}"[:500]}))
        done: set[str] = set()
        for ids, values in marks:
            changed = await session.scalars(
                update(EmailSendRow)
                .where(EmailSendRow.message_id.in_(list(ids)), EmailSendRow.state == SENDING)
                .values(**values)
                .returning(EmailSendRow.message_id)
            )
            done.update(changed)
        return done

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


def _check_recorded(fates: Fates, done: set[str]) -> None:
    missing = sorted({*fates.sent, *fates.retry, *fates.unknown} - done)
    if missing:
        raise LookupError(
            f"no e-mail {', '.join(missing[:3])} is being sent: claim it before sending"
        )
