"""The set-password pages on a real local server, with a real relay and a clock tests move."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bots.synapse_admin import MatrixAdminError
from phenomena.partners import (
    Member,
    Organisation,
    OrganisationKind,
    Role,
    TerritoryKind,
    TerritoryRef,
)
from phenomena.storage.database import Database
from phenomena.storage.password_links import SqlPasswordLinks
from phenomena.storage.unit_of_work import SqlUnitOfWork
from phenomena.territory import TerritoryRegistry
from prevnet.mail.invitations import Invitations, InvitationSetup
from prevnet.mail.sender import SmtpSender
from prevnet.page_guards import PageLimits, RateLimit, proxy_networks
from prevnet.password_page import PageSetup, PasswordPages
from tests.mail.smtp_relay import Relay, free_port

JEAN = Member(
    "@jean:prevnet.localhost",
    "Jean Dupont",
    "pcs-mons",
    frozenset({Role.MEMBER}),
    email="jean@mons.example",
)
ANN = Member(
    "@ann:prevnet.localhost",
    "Ann Peeters",
    "pz-oostende",
    frozenset({Role.MEMBER}),
    "ann@oostende.example",
)
NOMAIL = Member("@nomail:prevnet.localhost", "No Mail", "pcs-mons", frozenset({Role.MEMBER}))
LINK = re.compile(r"(https?://\S+/account/password/([A-Za-z0-9_\-]+)\?l=(\w\w))")


class Clock:
    """Wall clock for the links, and a monotonic one for the rate limits; both move by hand."""

    def __init__(self) -> None:
        self.now = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
        self.seconds = 1000.0

    def __call__(self) -> datetime:
        return self.now

    def monotonic(self) -> float:
        return self.seconds


async def seed_members(db: Database, *members: Member) -> None:
    """Mons's prevention service (French), Oostende's police zone (Dutch) and the members."""
    async with SqlUnitOfWork(db.sessions) as unit:
        await unit.organisations.add(
            Organisation(
                "pcs-mons",
                "PCS Mons",
                OrganisationKind.COMMUNE,
                (TerritoryRef(TerritoryKind.MUNICIPALITY, "53053"),),
            )
        )
        await unit.organisations.add(
            Organisation(
                "pz-oostende",
                "PZ Oostende",
                OrganisationKind.POLICE_ZONE,
                (TerritoryRef(TerritoryKind.ZONE, "5449"),),
            )
        )
        for member in members:
            await unit.members.add(member)
        await unit.commit()


@dataclass
class Site:
    """The running pages, what they did, and the mail that left."""

    base: str
    relay: Relay
    clock: Clock
    links: SqlPasswordLinks
    invitations: Invitations
    pages: PasswordPages
    passwords: dict[str, str] = field(default_factory=dict)
    logged_out: list[str] = field(default_factory=list)  # accounts told to drop their devices
    failing: bool = False  # the homeserver answers 500
    answer_lost: bool = False  # the homeserver sets the password, its answer never arrives

    def links_to(self, address: str) -> list[tuple[str, str, str]]:
        """(URL, token, language) of every set-password link mailed to ``address``."""
        found = []
        for message in self.relay.inbox.to(address):
            body = message.get_body(preferencelist=("plain",))
            assert body is not None
            match = LINK.search(str(body.get_content()))
            assert match is not None, "no set-password link in the mail"
            found.append((match.group(1), match.group(2), match.group(3)))
        return found


def browser_session() -> aiohttp.ClientSession:
    """A client keeping cookies for 127.0.0.1 like a browser does."""
    return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))


@pytest.fixture
async def site(db: Database, relay: Relay, territories: TerritoryRegistry) -> AsyncIterator[Site]:
    clock = Clock()
    await seed_members(db, JEAN, ANN, NOMAIL)
    links = SqlPasswordLinks(db, clock)

    async def member_of(matrix_id: str) -> Member | None:
        async with SqlUnitOfWork(db.sessions) as unit:
            return await unit.members.get(matrix_id)

    async def organisation_of(key: str) -> Organisation | None:
        async with SqlUnitOfWork(db.sessions) as unit:
            return await unit.organisations.get(key)

    async def is_active(matrix_id: str) -> bool:
        member = await member_of(matrix_id)
        return member is not None and member.is_active

    app = web.Application()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    invitations = Invitations(
        links,
        SmtpSender(relay.settings()),
        InvitationSetup(base, "https://matrix.prevnet.example"),
        member_of,
        organisation_of,
        territories,
    )
    limits = PageLimits(
        password_per_address=RateLimit(10, 900, clock.monotonic),
        password_per_link=RateLimit(5, 900, clock.monotonic),
        pages_per_address=RateLimit(120, 900, clock.monotonic),
        pages_per_link=RateLimit(60, 900, clock.monotonic),
        reset_per_address=RateLimit(5, 3600, clock.monotonic),
        reset_per_mailbox=RateLimit(3, 3600, clock.monotonic),
    )
    state: Site | None = None

    async def set_password(matrix_id: str, password: str, logout: bool) -> None:
        assert state is not None
        if state.failing:
            raise MatrixAdminError(
                "PUT", "/_synapse/admin/v2/users/x", 500, {"errcode": "M_UNKNOWN"}
            )
        state.passwords[matrix_id] = password
        if logout:
            state.logged_out.append(matrix_id)
        if state.answer_lost:
            raise TimeoutError

    pages = PasswordPages(
        links,
        set_password,
        is_active,
        invitations.reset_by_address,
        # the pages sit behind a proxy on 127.0.0.1 that names the visitor in X-Forwarded-For
        PageSetup("https://matrix.prevnet.example", False, proxy_networks(["127.0.0.1"])),
        limits,
    )
    pages.add_routes(app)
    state = Site(base, relay, clock, links, invitations, pages)
    server = TestServer(app, host="127.0.0.1", port=port)
    await server.start_server()
    try:
        yield state
    finally:
        await server.close()
