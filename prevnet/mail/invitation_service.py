"""The invitation parts of a running ``prevnet up``, built from the settings in one place.

``prevnet up`` asks :func:`invitation_service` for them and wires each where it belongs: the
outbox subscription that invites new members, the ``!member invite|reset|list`` callbacks and
the set-password pages on the incident API's web server. Without ``[email]`` nothing is sent,
and the commands that would send say which setting to add.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from aiohttp import web

from bots.synapse_admin import SynapseAdmin
from phenomena.partners import Member
from phenomena.storage.database import Database
from phenomena.storage.password_links import LinkPurpose, SqlPasswordLinks
from phenomena.storage.unit_of_work import SqlUnitOfWork
from phenomena.territory import TerritoryRegistry
from prevnet.dispatch import Subscription
from prevnet.login_status import never_logged_in
from prevnet.mail.invitations import (
    Invitations,
    address_change_subscription,
    build_invitations,
    invitation_subscription,
)
from prevnet.password_page import PageSetup, PasswordPages
from prevnet.settings import Settings


def link_sent_text(member: Member, purpose: LinkPurpose) -> str:
    """What an admin is told once a link is on its way."""
    what = "an invitation" if purpose is LinkPurpose.INVITE else "a set-new-password link"
    return (
        f"{what} for {member.matrix_id} went to {member.email}; it works once, for 72 hours, "
        "and ends the links sent before"
    )


@dataclass
class InvitationService:
    """Invitations, the pages their links open, and who has never logged in."""

    settings: Settings
    invitations: Invitations | None
    pages: PasswordPages
    admin: SynapseAdmin

    def subscriptions(self) -> list[Subscription]:
        """The outbox handlers that invite new members and end links sent to an address that
        changed (none without ``[email]``)."""
        if self.invitations is None:
            return []
        return [
            invitation_subscription(self.invitations),
            address_change_subscription(self.invitations.links),
        ]

    async def send_link(self, matrix_id: str, purpose: str) -> str:
        """``!member invite`` / ``!member reset``: e-mail a new link; the answer for the admin."""
        kind = LinkPurpose(purpose)
        if self.invitations is None:
            self.settings.require_email("invitations")  # raises, saying which setting to add
            raise AssertionError("unreachable")
        member = await self.invitations.send_link(matrix_id, kind)
        return link_sent_text(member, kind)

    async def never_logged_in(self, matrix_ids: Iterable[str]) -> set[str]:
        """Those who have never logged in, as the homeserver tells."""
        return await never_logged_in(self.admin, matrix_ids)

    def add_routes(self, app: web.Application) -> None:
        """Serve the set-password pages (only where links can be sent)."""
        if self.invitations is not None:
            self.pages.add_routes(app)


def invitation_service(
    settings: Settings,
    db: Database,
    territories: TerritoryRegistry,
    homeserver_url: str,
    admin: SynapseAdmin,
    links: SqlPasswordLinks | None = None,
) -> InvitationService:
    """Build the parts; ``homeserver_url`` is the address members' apps log in to.

    ``links`` may bring its own clock (tests); by default it reads the time of day.
    """
    links = links or SqlPasswordLinks(db)
    invitations = build_invitations(settings, db, territories, homeserver_url, links)

    async def set_password(matrix_id: str, password: str, log_out: bool) -> None:
        await admin.put_user(matrix_id, password=password, logout_devices=log_out)

    async def is_active(matrix_id: str) -> bool:
        async with SqlUnitOfWork(db.sessions) as unit:
            member = await unit.members.get(matrix_id)
        return member is not None and member.is_active

    pages = PasswordPages(
        links,
        set_password,
        is_active,
        invitations.reset_by_address if invitations else None,
        PageSetup(homeserver_url, secure_cookies=settings.pages_url.startswith("https://")),
    )
    return InvitationService(settings, invitations, pages, admin)
