"""Invitation and reset e-mails: a one-time link to choose a password, never a password.

:class:`Invitations` issues the link (``phenomena.storage.password_links``), writes the e-mail in
the member's language(s) and sends it through :class:`prevnet.mail.sender.SmtpSender`. The page
the link opens is :mod:`prevnet.password_page`. The member's language is their organisation's
area's (a Brussels or federal member gets French and Dutch).

Errors::

    PrevnetError
    ├── InvitationError    the member cannot be invited (unknown, inactive, no e-mail address)
    └── MailSendError      (prevnet.mail.sender) the relay did not take the message
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from email.message import EmailMessage

from phenomena.email_address import email_problem, mail_address
from phenomena.errors import PrevnetError
from phenomena.events import Event, MemberAdded, MemberChanged
from phenomena.partners import Member, Organisation, TerritoryKind
from phenomena.rooms import room_languages
from phenomena.storage.database import Database
from phenomena.storage.password_links import LinkPurpose, SqlPasswordLinks
from phenomena.storage.unit_of_work import SqlUnitOfWork
from phenomena.territory import TerritoryRegistry
from prevnet.dispatch import Subscription
from prevnet.mail.invitation_texts import LANGUAGES, text
from prevnet.mail.sender import MailSendError, SmtpSender
from prevnet.settings import Settings

log = logging.getLogger(__name__)

PASSWORD_PATH = "/account/password"  # noqa: S105 - a URL path, not a password
RESET_PATH = "/account/reset"
DEFAULT_LANGUAGES = ("fr", "nl")  # national members: Belgium's two largest language areas


class InvitationError(PrevnetError):
    """The member cannot be sent a link; the message says why and what to do."""


@dataclass(frozen=True)
class InvitationSetup:
    """Where the e-mails point: the pages' base URL and the homeserver members log in to."""

    pages_url: str
    homeserver_url: str


def member_languages(
    organisation: Organisation | None, territories: TerritoryRegistry
) -> tuple[str, ...]:
    """The languages to write to a member in: their organisation's area's, else French+Dutch."""
    found: list[str] = []
    for ref in organisation.territories if organisation else ():
        if ref.kind is TerritoryKind.ZONE:
            langs = room_languages(f"zone:{ref.key}", territories)
        elif ref.kind is TerritoryKind.PROVINCE:
            langs = room_languages(f"province:{ref.key}", territories)
        elif ref.kind is TerritoryKind.MUNICIPALITY and ref.key in territories.municipalities:
            langs = tuple(lang.value for lang in territories.municipalities[ref.key].languages)
        else:
            langs = ()
        found.extend(lang for lang in langs if lang in LANGUAGES and lang not in found)
    return tuple(found) or DEFAULT_LANGUAGES


def link_url(setup: InvitationSetup, token: str, language: str) -> str:
    """The set-password link of a token, opening the page in ``language``."""
    return f"{setup.pages_url.rstrip('/')}{PASSWORD_PATH}/{token}?l={language}"


def render_link_mail(
    member: Member,
    languages: Sequence[str],
    purpose: LinkPurpose,
    url: str,
    setup: InvitationSetup,
    from_address: str,
) -> EmailMessage:
    """The invitation (or reset) e-mail: one section per language, the link in each."""
    assert member.email is not None
    languages = tuple(languages) or ("en",)
    subject_key = "subject_invite" if purpose is LinkPurpose.INVITE else "subject_reset"
    subjects: list[str] = []
    for language in languages:
        subject = text(subject_key, language)
        if subject not in subjects:
            subjects.append(subject)
    sections: list[str] = []
    for language in languages:
        lines = [text("hello", language, name=member.display_name), ""]
        if purpose is LinkPurpose.INVITE:
            lines += [
                text("what", language),
                "",
                text("account", language),
                f"  {text('homeserver', language)}: {setup.homeserver_url}",
                f"  {text('user_id', language)}: {member.matrix_id}",
                "",
                text("clients", language),
                "",
                text("choose", language),
            ]
        else:
            lines += [text("reset", language, user_id=member.matrix_id)]
        lines += [
            f"{url.rpartition('?')[0]}?l={language}",
            "",
            text("never", language),
            text("not_you", language),
        ]
        sections.append("\n".join(lines))
    message = EmailMessage()
    message["From"] = from_address
    message["To"] = mail_address(member.email or "", member.display_name)
    message["Subject"] = " / ".join(subjects)
    message["Auto-Submitted"] = "auto-generated"
    message["Content-Language"] = ", ".join(languages)
    message.set_content("\n\n----\n\n".join(sections) + "\n")
    return message


MemberFinder = Callable[[str], Awaitable[Member | None]]
OrganisationFinder = Callable[[str], Awaitable[Organisation | None]]


class Invitations:
    """Sends one-time set-password links to members."""

    def __init__(
        self,
        links: SqlPasswordLinks,
        sender: SmtpSender,
        setup: InvitationSetup,
        member_of: MemberFinder,
        organisation_of: OrganisationFinder,
        territories: TerritoryRegistry,
    ) -> None:
        self._links = links
        self._sender = sender
        self._setup = setup
        self._member_of = member_of
        self._organisation_of = organisation_of
        self._territories = territories

    @property
    def links(self) -> SqlPasswordLinks:
        """The set-password links these invitations issue."""
        return self._links

    async def send_link(self, matrix_id: str, purpose: LinkPurpose) -> Member:
        """Issue a new link (ending the member's earlier ones) and e-mail it; the member."""
        member = await self._member_of(matrix_id)
        if member is None:
            raise InvitationError(f"no member {matrix_id}: add them first")
        if not member.is_active:
            raise InvitationError(
                f"{matrix_id} is {member.status.value}: reinstate them before sending a link"
            )
        if not member.email:
            raise InvitationError(
                f"{matrix_id} has no e-mail address: set one with `prevnet member add "
                f"{matrix_id} --org {member.organisation} --name ... --email ADDRESS` "
                "(or !member add ... email=ADDRESS)"
            )
        problem = email_problem(member.email)
        if problem is not None:  # as an older prevnet may have stored it
            raise InvitationError(
                f"{matrix_id}'s stored e-mail address is not one plain address ({problem}): set "
                f"it again with `prevnet member add {matrix_id} --org {member.organisation} "
                "--name ... --email ADDRESS`"
            )
        languages = member_languages(
            await self._organisation_of(member.organisation), self._territories
        )
        token = await self._links.issue(member.matrix_id, purpose)
        url = link_url(self._setup, token, languages[0])
        mail = render_link_mail(
            member, languages, purpose, url, self._setup, self._sender.from_address
        )
        report = await self._sender.send([mail])
        if report.deferred:
            raise MailSendError(
                f"the relay deferred the e-mail to {member.matrix_id}; it will be retried",
                transient=True,
            )
        if report.refused:
            reason = "; ".join(report.refused.values())
            raise InvitationError(
                f"the relay did not take the e-mail to {member.matrix_id}'s address: {reason}. "
                "Check the address, then send a new link"
            )
        log.info("%s link sent to %s", purpose.value, member.matrix_id)
        return member

    async def reset_by_address(self, address: str) -> None:
        """Send a reset link if ``address`` is an active member's; say nothing either way."""
        matrix_id = await self._links.active_member_with_address(address)
        if matrix_id is None:
            log.info("reset asked for an address that is no member's")
            return
        try:
            await self.send_link(matrix_id, LinkPurpose.RESET)
        except PrevnetError as exc:
            log.warning("reset link for %s not sent: %s", matrix_id, exc)


def address_change_subscription(links: SqlPasswordLinks) -> Subscription:
    """End a member's open set-password links when their e-mail address changes: a link sent
    to the old address must not outlive it."""

    async def handle(event: Event) -> None:
        assert isinstance(event, MemberChanged)
        if "email" in event.fields:
            ended = await links.end_open_links(event.matrix_id)
            if ended:
                log.info("address of %s changed: %d open link(s) ended", event.matrix_id, ended)

    return Subscription("password-links-address", (MemberChanged,), handle)


def build_invitations(
    settings: Settings,
    db: Database,
    territories: TerritoryRegistry,
    homeserver_url: str,
    links: SqlPasswordLinks | None = None,
) -> Invitations | None:
    """The invitations of this deployment, or None when ``[email]`` is not set up."""
    if settings.email is None:
        return None

    async def member_of(matrix_id: str) -> Member | None:
        async with SqlUnitOfWork(db.sessions) as unit:
            return await unit.members.get(matrix_id)

    async def organisation_of(key: str) -> Organisation | None:
        async with SqlUnitOfWork(db.sessions) as unit:
            return await unit.organisations.get(key)

    return Invitations(
        links or SqlPasswordLinks(db),
        SmtpSender(settings.email),
        InvitationSetup(settings.pages_url, homeserver_url),
        member_of,
        organisation_of,
        territories,
    )


def invitation_subscription(invitations: Invitations) -> Subscription:
    """E-mail an invitation to each new member with an address, once their account exists.

    Subscribed after the membership handler, which the dispatcher runs first: a failure there
    holds the invitation back until the account is made. A retry after a crash between the send
    and its record sends a second e-mail whose link replaces the first: the member loses nothing.
    """

    async def handle(event: Event) -> None:
        assert isinstance(event, MemberAdded)
        try:
            await invitations.send_link(event.matrix_id, LinkPurpose.INVITE)
        except InvitationError as exc:
            log.info("no invitation for %s: %s", event.matrix_id, exc)

    return Subscription("mail-invitations", (MemberAdded,), handle)
