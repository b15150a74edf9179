"""``!capsule A-12``, ``!capsule show|edit|approve|letter C-3``: citizen capsules drafted from a
shared CLEAR or GREEN alert, screened, and approved by a second person before they go out; the
cocoon letter of one whose alert detection proposed, on demand.

Every answer goes to the asker's direct chat: a draft is work in progress, and the room the
command was typed in need not see it. The rules are ``phenomena.capsules.service``'s.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from bots.alert_desk import AlertDesk, asking_member
from bots.capsule_replies import render, state_line
from bots.capsule_words import LanguageOf, languages_for, say, say_error
from bots.commands import Arguments, CommandRegistry, Context, Handler, Reply, UsageError
from phenomena.alert import format_ref
from phenomena.audience import municipalities_of
from phenomena.capsules.capsule import Capsule, CapsuleRefused, Part, edit, require_public
from phenomena.capsules.drafting import draft_capsules, languages_of, names_of
from phenomena.capsules.files import CapsuleFile
from phenomena.capsules.said import said, says, with_said
from phenomena.capsules.screen import screen_capsule
from phenomena.capsules.service import (
    CapsuleRecord,
    CapsuleState,
    approval_refusal,
    check_capsule_public,
    commune_of,
    commune_service_of_zone,
    drafting_refusal,
    parse_capsule_ref,
)
from phenomena.detection.records import DetectionRecord
from phenomena.errors import AlreadyDone, DomainError, InvalidValue, NotFound, PermissionDenied
from phenomena.partners import Member, Organisation, OrganisationKind, Role
from phenomena.storage.capsules import SqlCapsules
from phenomena.territory import TerritoryRegistry

USAGE = "capsule A-12 [commune]"
LetterOf = Callable[[CapsuleRecord, Capsule, DetectionRecord, Sequence[str]], CapsuleFile]
"""Render one language's cocoon letter (``prevnet.capsule_files.letter_file``)."""
SendFile = Callable[[str, CapsuleFile], Awaitable[None]]
"""Put a file in a member's direct chat with the bot."""


@dataclass
class CapsuleDesk:
    """What the capsule commands need: the alert desk, the stored capsules, the weekly cap."""

    alerts: AlertDesk
    capsules: SqlCapsules
    per_week: int
    timezone: str
    clock: Callable[[], datetime]
    letter_of: LetterOf | None = None
    send_file: SendFile | None = None
    language_of: LanguageOf | None = None

    async def draft(
        self, member: Member, ref: str, asked: str | None = None, once: str | None = None
    ) -> CapsuleRecord:
        """Draft and store the capsule of alert ``ref`` for its commune, or refuse with why."""
        alert, organisations = await self.alerts.visible(ref, member)
        check_capsule_public(alert)
        own = organisations.get(member.organisation)
        refused = drafting_refusal(alert, member, own, self.alerts.territories)
        if refused is not None:
            raise with_said(PermissionDenied(str(refused)), refused)
        commune = commune_of(alert, own, self.alerts.territories, asked)
        link = prevention_page(commune.nis, own, organisations.values(), self.alerts.territories)
        if link is None:
            raise said(
                InvalidValue,
                "there is no prevention page for {name}: add 'prevention_page: https://...' to "
                "its commune's organisation in the partner file and import it (prevnet partners "
                "import FILE), then ask again",
                name=commune.name,
            )
        drafted = draft_capsules(
            alert, commune=names_of(commune), prevention_url=link, languages=languages_of(commune)
        )
        return await self.capsules.add(
            alert_id=alert.id,
            municipality=commune.nis,
            organisation=member.organisation,
            author=member.matrix_id,
            capsules=drafted,
            findings={c.language: findings_of(c) for c in drafted},
            now=self.clock(),
            once=once,
        )

    async def readable(self, member: Member, ref: str) -> CapsuleRecord:
        """The capsule, if ``member`` may work on it (the same answer as none otherwise)."""
        record = await self.capsules.get(parse_capsule_ref(ref))
        if record is None:
            raise _unseen(ref)
        _, organisations = await self.alerts.registry()
        own = organisations.get(member.organisation)
        if not self._may_work_on(record, member, own, self.alerts.territories):
            async with self.alerts.uow(None) as unit:
                alert = await unit.alerts.get(record.alert_id)
            if alert is None or drafting_refusal(alert, member, own, self.alerts.territories):
                raise _unseen(ref)
        try:  # whoever may not read its alert (now) may not see its capsule either
            await self.alerts.visible(format_ref(record.alert_id), member)
        except DomainError:
            raise _unseen(ref) from None
        return record

    @staticmethod
    def _may_work_on(
        record: CapsuleRecord,
        member: Member,
        organisation: Organisation | None,
        t: TerritoryRegistry,
    ) -> bool:
        """Its organisation, moderators, and the commune services of its zone."""
        return (
            member.has(Role.MODERATOR)
            or member.organisation == record.organisation
            or commune_service_of_zone(organisation, record.municipality, t)
        )

    async def edit(
        self, member: Member, ref: str, text: str, once: str | None = None
    ) -> CapsuleRecord:
        """Change one part (``[lang] part: text``); the capsule needs approving again."""
        record = await self.readable(member, ref)
        if not (member.has(Role.AUTHOR) or member.has(Role.MODERATOR)):
            raise said(PermissionDenied, "editing a capsule needs the author role")
        language, part, value = parse_edit(text)
        changed = edit(record.in_language(language), part, value)
        return await self.capsules.edit(
            record.id, changed, findings_of(changed), self.clock(), once
        )

    async def approve(self, member: Member, ref: str, once: str | None = None) -> CapsuleRecord:
        """Four eyes: a second person approves; published now or waiting for next week."""
        record = await self.readable(member, ref)
        _, organisations = await self.alerts.registry()
        refused = approval_refusal(
            record, member, organisations.get(member.organisation), self.alerts.territories
        )
        if refused is not None:
            raise with_said(PermissionDenied(str(refused)), refused)
        return await self.capsules.approve(
            record.id, member.matrix_id, self.clock(), self.per_week, self.timezone, once
        )

    async def letters(
        self, member: Member, ref: str, streets: Sequence[str] = ()
    ) -> tuple[CapsuleRecord, tuple[CapsuleFile, ...]]:
        """The cocoon letter of an approved capsule, one per language, to ``streets`` (else to
        those around the cluster): only when detection proposed the capsule's alert."""
        record = await self.readable(member, ref)
        for capsule in record.capsules:  # the alert's label now, not when it was drafted
            require_public(capsule, record.ref)
        if record.state is CapsuleState.DRAFT:
            raise said(
                InvalidValue,
                "{ref} is a draft: a letter goes to residents, so a second person approves the "
                "capsule first (!capsule approve {ref})",
                ref=record.ref,
            )
        async with self.alerts.uow(None) as unit:
            detected = await unit.detections.get(record.alert_id)
        alert = format_ref(record.alert_id)
        if detected is None:
            raise said(
                CapsuleRefused,
                "{alert} was not proposed by detection: a cocoon letter is for the streets "
                "around a detected cluster; print the poster of {ref} instead",
                alert=alert,
                ref=record.ref,
            )
        if self.letter_of is None:
            raise said(InvalidValue, "letters are not made here: ask with prevnet capsule letter")
        letter_of = self.letter_of
        files = await asyncio.to_thread(  # a PDF takes about a second: off the event loop
            lambda: tuple(letter_of(record, c, detected, streets) for c in record.capsules)
        )
        return record, files


def parse_streets(text: str) -> list[str]:
    """``streets: rue A, rue B; rue C`` (or nothing) -> the street names, in order."""
    head, colon, names = text.partition(":")
    if not text.strip():
        return []
    if not colon or head.strip().lower() != "streets":
        raise said(UsageError, "name the streets after 'streets:', e.g. streets: rue A, rue B")
    return [n.strip() for n in names.replace(";", ",").replace("\n", ",").split(",") if n.strip()]


def prevention_page(
    nis: str,
    own: Organisation | None,
    organisations: Iterable[Organisation],
    territories: TerritoryRegistry,
) -> str | None:
    """The commune's own prevention page (its commune service's), else the drafter's."""
    for org in organisations:
        if (
            org.kind is OrganisationKind.COMMUNE
            and org.prevention_url
            and nis in municipalities_of(org, territories)
        ):
            return org.prevention_url
    return own.prevention_url if own is not None else None


def findings_of(capsule: Capsule) -> tuple[str, ...]:
    """The content screen's findings, as lines to show."""
    return tuple(str(f) for f in screen_capsule(capsule))


def parse_edit(text: str) -> tuple[str | None, Part, str]:
    """``[fr] short: new text`` -> the language (None: the first), the part and the text."""
    head, colon, value = text.partition(":")
    words = head.split()
    if not colon or not words or len(words) > 2:
        raise said(UsageError, "write the part and its text, e.g. short: Fermez à clé ...")
    language = words[0].lower() if len(words) == 2 else None
    if language is not None and language not in ("fr", "nl", "de", "en"):
        raise said(
            UsageError, "{word} is not a language: write fr, nl, de or en", word=repr(words[0])
        )
    return language, Part.parse(words[-1]), value


def _unseen(ref: str) -> NotFound:
    return said(NotFound, "there is no capsule {ref} you can see", ref=ref)


Spoken = Callable[[Context, Arguments, tuple[str, ...]], Awaitable[Reply]]


def register_capsule_commands(commands: CommandRegistry, desk: CapsuleDesk) -> None:
    """``!capsule A-12`` and its ``show``, ``edit``, ``approve`` and ``letter`` companions, each
    answered in the room's language (in a direct chat, the one the member chose)."""

    def privately(handler: Spoken) -> Handler:
        """Refusals too go to the asker's direct chat: "A-12 is TLP:AMBER" is not for the room."""

        async def answer(context: Context, args: Arguments) -> Reply | None:
            languages = await languages_for(
                context.room_key, context.sender, desk.alerts.territories, desk.language_of
            )
            try:
                return await handler(context, args, languages)
            except AlreadyDone:
                raise
            except DomainError as exc:
                return Reply(say_error(languages, exc), private=True)

        return answer

    def capsule_ref(args: Arguments) -> str:
        if not args.positional:
            raise said(UsageError, "name the capsule, e.g. C-3")
        return args.positional[0]

    @commands.command(
        "capsule",
        help="draft a citizen capsule from a CLEAR or GREEN alert (answered in your direct chat)",
        usage=USAGE,
    )
    @privately
    async def draft(context: Context, args: Arguments, languages: tuple[str, ...]) -> Reply:
        if not args.positional:
            raise said(UsageError, "name the alert, e.g. A-12")
        member = asking_member(context)
        asked = " ".join(args.positional[1:]) or None
        record = await desk.draft(member, args.positional[0], asked, context.event_id)
        head = says(
            "Draft {ref} of {alert}. {state}",
            ref=record.ref,
            alert=record.capsules[0].alert_ref,
            state=state_line(record),
        )
        return render(record, head, languages)

    @commands.command("capsule show", help="see a capsule and its screen", usage="capsule show C-3")
    @privately
    async def show(context: Context, args: Arguments, languages: tuple[str, ...]) -> Reply:
        record = await desk.readable(asking_member(context), capsule_ref(args))
        return render(record, state_line(record), languages)

    @commands.command(
        "capsule edit",
        help="change a part of a capsule (it needs approving again)",
        usage="capsule edit C-3 [fr] short: ...",
        raw=True,
    )
    @privately
    async def change(context: Context, args: Arguments, languages: tuple[str, ...]) -> Reply:
        ref = capsule_ref(args)
        rest = args.rest.split(None, 1)
        change = rest[1] if len(rest) > 1 else ""
        record = await desk.edit(asking_member(context), ref, change, context.event_id)
        return render(record, says("Changed. {state}", state=state_line(record)), languages)

    @commands.command(
        "capsule approve",
        help="approve a capsule someone else wrote (four eyes)",
        usage="capsule approve C-3",
    )
    @privately
    async def approve(context: Context, args: Arguments, languages: tuple[str, ...]) -> Reply:
        record = await desk.approve(asking_member(context), capsule_ref(args), context.event_id)
        approved = says("Approved. {state}", state=state_line(record))
        return Reply(say(languages, approved), private=True)

    @commands.command(
        "capsule letter",
        help="the cocoon letter of a capsule whose alert detection proposed (a PDF)",
        usage="capsule letter C-3 [streets: rue A, rue B]",
        raw=True,
    )
    @privately
    async def letter(context: Context, args: Arguments, languages: tuple[str, ...]) -> Reply:
        ref = capsule_ref(args)
        rest = args.rest.split(None, 1)
        streets = parse_streets(rest[1] if len(rest) > 1 else "")
        record, files = await desk.letters(asking_member(context), ref, streets)
        if desk.send_file is None:
            raise said(InvalidValue, "files cannot be sent here: use prevnet capsule letter")
        for file in files:
            await desk.send_file(context.sender, file)
        sent = says(
            "The cocoon letter of {ref} is in our direct chat ({names}): print it for the "
            "residents of the streets it names.",
            ref=record.ref,
            names=", ".join(f.name for f in files),
        )
        return Reply(say(languages, sent), private=True)
