"""One-time set-password links: made for one member and one purpose, used once, for 72 hours.

The token a member receives is 256 random bits; the database keeps only its SHA-256, so a copy
of the database opens no account. Issuing a new link for a member ends the links they had
before (``replaced``), and using one is a single conditional UPDATE, so two browsers racing with
the same link cannot both win.
"""

from __future__ import annotations

import enum
import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import CursorResult, func, select, update

from phenomena.email_address import email_problem
from phenomena.storage.database import Database
from phenomena.storage.schema import MemberRow, PasswordLinkRow
from phenomena.storage.unit_of_work import utc_now

LINK_LIFETIME = timedelta(hours=72)
_TOKEN_BYTES = 32
_MAX_TOKEN_LENGTH = 128


class LinkPurpose(enum.Enum):
    """Why a link was sent: the first password (invitation) or a new one (reset)."""

    INVITE = "invite"
    RESET = "reset"


class LinkState(enum.Enum):
    """What a token is worth now."""

    VALID = "valid"
    EXPIRED = "expired"
    USED = "used"
    REPLACED = "replaced"  # a newer link was sent to the member
    UNKNOWN = "unknown"  # never issued (or forged)


@dataclass(frozen=True)
class PasswordLink:
    """A link as the page sees it (never with its token)."""

    member: str
    purpose: LinkPurpose
    expires_at: datetime
    state: LinkState


def token_hash(token: str) -> str:
    """The SHA-256 (hex) under which a token is stored."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


class SqlPasswordLinks:
    """The ``password_links`` table."""

    def __init__(self, db: Database, clock: Callable[[], datetime] = utc_now) -> None:
        self._db = db
        self._clock = clock

    async def issue(
        self, member: str, purpose: LinkPurpose, lifetime: timedelta = LINK_LIFETIME
    ) -> str:
        """A new token for ``member``; their earlier open links stop working."""
        token = secrets.token_urlsafe(_TOKEN_BYTES)
        now = self._clock()
        async with self._db.sessions() as session, session.begin():
            await session.execute(
                update(PasswordLinkRow)
                .where(PasswordLinkRow.member == member, PasswordLinkRow.ended_at.is_(None))
                .values(ended_at=now, end_reason=LinkState.REPLACED.value)
            )
            session.add(
                PasswordLinkRow(
                    token_hash=token_hash(token),
                    member=member,
                    purpose=purpose.value,
                    created_at=now,
                    expires_at=now + lifetime,
                )
            )
        return token

    async def look(self, token: str) -> PasswordLink | None:
        """The link a token opens, with its state; None for a token never issued."""
        if not token or len(token) > _MAX_TOKEN_LENGTH:
            return None
        async with self._db.sessions() as session:
            row = await session.get(PasswordLinkRow, token_hash(token))
        if row is None:
            return None
        if row.ended_at is not None:
            state = LinkState(row.end_reason or LinkState.USED.value)
        elif row.expires_at <= self._clock():
            state = LinkState.EXPIRED
        else:
            state = LinkState.VALID
        return PasswordLink(row.member, LinkPurpose(row.purpose), row.expires_at, state)

    async def use(self, token: str) -> PasswordLink | None:
        """Spend a valid link (once: a second call, or a racing one, gets None)."""
        link = await self.look(token)
        if link is None or link.state is not LinkState.VALID:
            return None
        now = self._clock()
        async with self._db.sessions() as session, session.begin():
            result = await session.execute(
                update(PasswordLinkRow)
                .where(
                    PasswordLinkRow.token_hash == token_hash(token),
                    PasswordLinkRow.ended_at.is_(None),
                    PasswordLinkRow.expires_at > now,
                )
                .values(ended_at=now, end_reason=LinkState.USED.value)
            )
        if getattr(result, "rowcount", 0) != 1:
            return None
        return PasswordLink(link.member, link.purpose, link.expires_at, LinkState.USED)

    async def reopen(self, token: str) -> None:
        """Make a just-spent link valid again, when the password could not be set after all."""
        async with self._db.sessions() as session, session.begin():
            await session.execute(
                update(PasswordLinkRow)
                .where(
                    PasswordLinkRow.token_hash == token_hash(token),
                    PasswordLinkRow.end_reason == LinkState.USED.value,
                )
                .values(ended_at=None, end_reason=None)
            )

    async def members_who_set_a_password(self) -> set[str]:
        """Members who have chosen a password through a link at least once."""
        async with self._db.sessions() as session:
            rows = await session.scalars(
                select(PasswordLinkRow.member)
                .where(PasswordLinkRow.end_reason == LinkState.USED.value)
                .distinct()
            )
            return set(rows)

    async def active_member_with_address(self, address: str) -> str | None:
        """The Matrix ID of the one active member registered with ``address`` (any case).

        Only one plain address is looked up, and only a member whose stored address is itself
        one plain address is found: a list or comment stored by an older prevnet matches none.
        """
        wanted = address.strip().lower()
        if email_problem(wanted) is not None:
            return None
        async with self._db.sessions() as session:
            rows = await session.execute(
                select(MemberRow.matrix_id, MemberRow.email).where(
                    func.lower(MemberRow.email) == wanted, MemberRow.status == "active"
                )
            )
            found = [
                matrix_id
                for matrix_id, stored in rows
                if stored is not None and email_problem(stored) is None
            ]
        return found[0] if len(found) == 1 else None

    async def end_open_links(self, member: str) -> int:
        """End ``member``'s open links (their address changed): how many were ended."""
        async with self._db.sessions() as session, session.begin():
            done = await session.execute(
                update(PasswordLinkRow)
                .where(PasswordLinkRow.member == member, PasswordLinkRow.ended_at.is_(None))
                .values(ended_at=self._clock(), end_reason=LinkState.REPLACED.value)
            )
        return done.rowcount if isinstance(done, CursorResult) else 0
