"""Set-password links on SQLite and PostgreSQL: hashed, single use, 72 hours, one open each."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from phenomena.storage.database import Database
from phenomena.storage.password_links import LinkPurpose, LinkState, SqlPasswordLinks
from phenomena.storage.schema import PasswordLinkRow

START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


JEAN = "@jean:prevnet.localhost"


async def test_a_link_works_once_and_only_its_hash_is_stored(db: Database) -> None:
    links = SqlPasswordLinks(db, Clock())
    token = await links.issue(JEAN, LinkPurpose.INVITE)
    async with db.sessions() as session:
        stored = list(await session.scalars(select(PasswordLinkRow)))
    assert len(stored) == 1 and token not in (stored[0].token_hash, stored[0].member)
    seen = await links.look(token)
    assert seen is not None and seen.state is LinkState.VALID and seen.member == JEAN
    used = await links.use(token)
    assert used is not None and used.member == JEAN and used.purpose is LinkPurpose.INVITE
    assert await links.use(token) is None
    again = await links.look(token)
    assert again is not None and again.state is LinkState.USED
    assert await links.members_who_set_a_password() == {JEAN}


async def test_a_link_expires_after_72_hours(db: Database) -> None:
    clock = Clock()
    links = SqlPasswordLinks(db, clock)
    token = await links.issue(JEAN, LinkPurpose.RESET)
    clock.now = START + timedelta(hours=71, minutes=59)
    found = await links.look(token)
    assert found is not None and found.state is LinkState.VALID
    clock.now = START + timedelta(hours=72)
    found = await links.look(token)
    assert found is not None and found.state is LinkState.EXPIRED
    assert await links.use(token) is None


async def test_a_new_link_replaces_the_open_one(db: Database) -> None:
    links = SqlPasswordLinks(db, Clock())
    first = await links.issue(JEAN, LinkPurpose.INVITE)
    other = await links.issue("@ann:prevnet.localhost", LinkPurpose.INVITE)
    second = await links.issue(JEAN, LinkPurpose.RESET)
    old = await links.look(first)
    assert old is not None and old.state is LinkState.REPLACED
    assert await links.use(first) is None
    new = await links.look(second)
    assert new is not None and new.state is LinkState.VALID and new.purpose is LinkPurpose.RESET
    ann = await links.look(other)
    assert ann is not None and ann.state is LinkState.VALID


async def test_forged_tokens_open_nothing(db: Database) -> None:
    links = SqlPasswordLinks(db, Clock())
    token = await links.issue(JEAN, LinkPurpose.INVITE)
    for forged in ("", token[:-1] + ("A" if token[-1] != "A" else "B"), "x" * 5000, "\udcff"):
        assert await links.look(forged) is None
        assert await links.use(forged) is None


async def test_two_racing_uses_have_one_winner(db: Database) -> None:
    links = SqlPasswordLinks(db, Clock())
    token = await links.issue(JEAN, LinkPurpose.INVITE)
    results = await asyncio.gather(*(links.use(token) for _ in range(5)))
    assert sum(r is not None for r in results) == 1


async def test_a_reopened_link_can_be_used_again(db: Database) -> None:
    links = SqlPasswordLinks(db, Clock())
    token = await links.issue(JEAN, LinkPurpose.INVITE)
    assert await links.use(token) is not None
    await links.reopen(token)
    assert await links.use(token) is not None
