"""The weekly digest by e-mail for members who chose ``digest``: only what they may read and
what may leave Matrix.

Each member's digest is built from the alerts routed to their rooms that the audience rule lets
them read (``phenomena.audience.may_read``) and that the TLP rule lets an e-mail carry
(``phenomena.email_policy``): CLEAR and GREEN in full, AMBER as one notice line without its
text, AMBER+STRICT and RED left out before anything is written or counted, chart included.
The mail's Message-ID derives from (member, ISO week) and is claimed before sending, so a
second run in the same week, or a restart after a crash, sends nothing twice.
"""

from __future__ import annotations

import asyncio
import html
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from email.errors import MessageError
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from bots.digest import digest_chart
from bots.i18n import Labels
from phenomena.alert import Alert
from phenomena.audience import may_read, routed_rooms
from phenomena.digest import PUBLISHED_STATES, Digest, week_start
from phenomena.email_address import email_problem, mail_address
from phenomena.email_policy import EmailPreference, EmailShare, email_share
from phenomena.partners import Member, MemberStatus, Organisation
from phenomena.rooms import member_rooms, room_languages
from phenomena.services.unit_of_work import UnitOfWork
from phenomena.storage.database import Database
from phenomena.storage.email_deliveries import Claim, SqlEmailDeliveries
from phenomena.storage.unit_of_work import SqlUnitOfWork, utc_now
from phenomena.taxonomy import PhenomenonType
from phenomena.territory import TerritoryRegistry
from prevnet.mail.bulletin_delivery import DEFAULT_LANGUAGE, ChosenLanguages
from prevnet.mail.bulletin_mail import MAIL_POLICY, MailSetup, unsubscribe_url
from prevnet.mail.bulletin_wiring import chosen_languages, mail_setup, mail_signer
from prevnet.mail.digest_texts import digest_text
from prevnet.mail.list_mail import add_text_and_html, finish_list_mail
from prevnet.mail.mail_chunks import PendingMail, Sender, send_once
from prevnet.mail.sender import MailSendError, SmtpSender, outgoing_mail
from prevnet.mail.signing import Purpose
from prevnet.settings import Settings

log = logging.getLogger(__name__)

DIGEST_KIND = "digest"
WEEKS = 8
_UNSUBSCRIBE_ALERT = 0
"""Unsubscribe links name an alert; the digest's names none (the link only sets ``none``)."""
UowFactory = Callable[[], UnitOfWork]


@dataclass(frozen=True)
class DigestReader:
    """One member who gets the digest by e-mail, and the rooms and language it is written for."""

    member: Member
    organisation: Organisation | None
    address: str
    rooms: frozenset[str]
    language: str


def _room_order(key: str) -> tuple[int, str]:
    return (0 if key.startswith("zone:") else 1, key)


def digest_reader(
    member: Member,
    organisation: Organisation | None,
    preference: EmailPreference,
    territories: TerritoryRegistry,
) -> DigestReader | None:
    """The member as a digest reader: active, chose ``digest``, has an address and a territory
    room; its language is that of the room a bulletin would be written for (zone first), which
    the mailer replaces by the one the member chose (``!prefs language``)."""
    address = (member.email or "").strip()
    if not member.is_active or preference is not EmailPreference.DIGEST or not address:
        return None
    if email_problem(address) is not None:
        log.warning("%s has no usable e-mail address: fix it with member add", member.matrix_id)
        return None
    rooms = frozenset(
        key
        for key in member_rooms(member, organisation, territories)
        if key.startswith(("zone:", "province:"))
    )
    if not rooms:
        return None
    languages = room_languages(min(rooms, key=_room_order), territories)
    language = languages[0] if languages else DEFAULT_LANGUAGE
    return DigestReader(member, organisation, address, rooms, language)


def readable_alerts(
    reader: DigestReader, alerts: Sequence[Alert], territories: TerritoryRegistry
) -> list[Alert]:
    """The alerts the digest may name: published in the reader's rooms, readable by them, and
    allowed in an e-mail. RED and AMBER+STRICT never pass, so they are not even counted."""
    return [
        alert
        for alert in alerts
        if alert.status in PUBLISHED_STATES
        and email_share(alert.content.tlp) is not EmailShare.NOTHING
        and reader.rooms & set(routed_rooms(alert, territories))
        and may_read(alert, reader.member, reader.organisation, territories)
    ]


def member_digest(member_id: str, alerts: Sequence[Alert], today: date) -> Digest:
    """The digest of already filtered ``alerts``, as ``phenomena.digest.room_digest`` counts."""
    since = today - timedelta(days=7)
    starts = tuple(week_start(today) - timedelta(weeks=n) for n in range(WEEKS - 1, -1, -1))
    counts: dict[PhenomenonType, list[int]] = {}
    for alert in alerts:
        if alert.created_at is None:
            continue
        start = week_start(alert.created_at.date())
        if start in starts:
            counts.setdefault(alert.content.type, [0] * WEEKS)[starts.index(start)] += 1
    return Digest(
        room=member_id,
        week_ending=today,
        open=tuple(a for a in alerts if a.status.is_open),
        new=tuple(a for a in alerts if a.created_at is not None and a.created_at.date() > since),
        weeks=starts,
        counts={k: tuple(v) for k, v in sorted(counts.items(), key=lambda kv: kv[0].value)},
    )


def digest_message_id(setup: MailSetup, member_id: str, today: date) -> str:
    """The Message-ID of a member's digest of the ISO week of ``today``: the same all week."""
    year, week, _ = today.isocalendar()
    tag = setup.signer.mac(Purpose.MESSAGE_ID, year * 100 + week, f"digest\x00{member_id}")[:20]
    return f"<digest-{year}-W{week:02d}.{tag}@{setup.domain}>"


def _area(alert: Alert, territories: TerritoryRegistry, language: str) -> str:
    names = []
    for nis in alert.content.municipalities:
        m = territories.municipalities[nis]
        names.append(
            m.name_nl
            if language == "nl"
            else (m.name_de or m.name_fr)
            if language == "de"
            else m.name_fr
        )
    return ", ".join(names)


def _period(alert: Alert, labels: Labels) -> str:
    content = alert.content
    start = f"{content.period_start:%d/%m/%Y}"
    if content.period_end:
        return labels("from {start} to {end}", start=start, end=f"{content.period_end:%d/%m/%Y}")
    return labels("since {start}", start=start)


def _alert_lines(
    alert: Alert, labels: Labels, language: str, territories: TerritoryRegistry
) -> list[str]:
    """The lines of one open alert: in full for CLEAR and GREEN, a notice line for AMBER."""
    content = alert.content
    type_name = content.type.names.get(language, content.type.names["en"])
    head = f"{alert.ref} {content.tlp.label} {type_name}: {_area(alert, territories, language)}"
    head += f" ({_period(alert, labels)})"
    if email_share(content.tlp) is not EmailShare.FULL:
        return [f"{head} — {digest_text('amber', language, tlp=content.tlp.label)}"]
    lines = [head, f"{labels('Summary')}: {content.summary}"]
    if content.modus:
        lines.append(f"{labels('Modus operandi')}: {content.modus}")
    if content.advice:
        lines.append(f"{labels('Advice')}: {content.advice}")
    return lines


def render_digest_mail(
    reader: DigestReader,
    digest: Digest,
    setup: MailSetup,
    territories: TerritoryRegistry,
    at: datetime | None = None,
) -> EmailMessage:
    """The digest e-mail of ``reader``: plain and HTML, with the chart inline (``cid:``).

    ``digest`` must hold only :func:`readable_alerts`; this function adds nothing to it.
    """
    language = reader.language
    labels = Labels([language])
    member_id = reader.member.matrix_id
    title = f"{labels('Weekly digest')} ({digest.week_ending:%d/%m/%Y})"
    blocks = [_alert_lines(a, labels, language, territories) for a in digest.open]
    new = ", ".join(a.ref for a in digest.new)
    unsubscribe = unsubscribe_url(setup, _UNSUBSCRIBE_ALERT, member_id)

    text = [title, ""]
    if blocks:
        text.append(f"{labels('Open alerts')}:")
        for block in blocks:
            text += [f"- {block[0]}", *(f"  {line}" for line in block[1:])]
    else:
        text.append(labels("No open alerts."))
    if new:
        text += ["", f"{labels('New this week')}: {new}"]
    text += ["", "-- ", digest_text("why", language)]
    text += [f"{digest_text('unsubscribe', language)}: {unsubscribe}", ""]

    e = html.escape
    chart_cid = make_msgid("chart", setup.domain)
    body = [f"<h2>{e(title)}</h2>"]
    if blocks:
        items = "".join(
            f"<li><b>{e(block[0])}</b>{''.join(f'<br>{e(line)}' for line in block[1:])}</li>"
            for block in blocks
        )
        body.append(f"<p>{e(labels('Open alerts'))}:</p><ul>{items}</ul>")
    else:
        body.append(f"<p>{e(labels('No open alerts.'))}</p>")
    if new:
        body.append(f"<p>{e(labels('New this week'))}: {e(new)}</p>")
    body.append(
        f'<p><img src="cid:{e(chart_cid[1:-1])}" alt="{e(digest_text("chart", language))}"></p>'
    )
    body.append(
        f'<hr><p style="font-size:small">{e(digest_text("why", language))} '
        f'<a href="{e(unsubscribe)}">{e(digest_text("unsubscribe", language))}</a></p>'
    )

    msg = EmailMessage(policy=MAIL_POLICY)
    msg["From"] = setup.from_address
    msg["To"] = mail_address(reader.address)
    msg["Subject"] = f"[prevnet] {title}"
    msg["Date"] = format_datetime(at or datetime.now(UTC))
    msg["Message-ID"] = digest_message_id(setup, member_id, digest.week_ending)
    finish_list_mail(msg, f"prevnet digest <digest.{setup.domain}>", unsubscribe)
    add_text_and_html(msg, text, body, language)
    html_part = msg.get_body(preferencelist=("html",))
    assert html_part is not None  # added just above
    html_part.add_related(
        digest_chart(digest, labels),
        maintype="image",
        subtype="png",
        cid=chart_cid,
        filename=f"alerts-{digest.week_ending:%G-W%V}.png",
        disposition="inline",
    )
    return msg


class DigestMailer:
    """The weekly digest e-mails: one per (member, week), claimed before it is sent."""

    def __init__(
        self,
        uow: UowFactory,
        deliveries: SqlEmailDeliveries,
        sender: Sender,
        setup: MailSetup,
        territories: TerritoryRegistry,
        languages: ChosenLanguages | None = None,
    ) -> None:
        self._languages = languages
        self._uow = uow
        self._deliveries = deliveries
        self._sender = sender
        self._setup = setup
        self._territories = territories

    async def send_week(self, today: date) -> int:
        """Mail this week's digest to every ``digest`` member not yet mailed it; how many went."""
        async with self._uow() as unit:
            alerts = list(await unit.alerts.list())
            members = list(await unit.members.list(statuses=[MemberStatus.ACTIVE]))
            organisations = {o.key: o for o in await unit.organisations.list()}
        preferences = await self._deliveries.preferences([m.matrix_id for m in members if m.email])
        readers = [m.matrix_id for m in members if preferences.get(m.matrix_id)]
        chosen = await self._languages(readers) if self._languages and readers else {}
        mails: list[PendingMail] = []
        for member in members:
            reader = digest_reader(
                member,
                organisations.get(member.organisation),
                preferences.get(member.matrix_id, EmailPreference.NONE),
                self._territories,
            )
            if reader is None:
                continue
            reader = replace(reader, language=chosen.get(member.matrix_id) or reader.language)
            digest = member_digest(
                member.matrix_id, readable_alerts(reader, alerts, self._territories), today
            )
            if digest.is_empty:
                continue
            try:  # written once for the relay: a header that cannot be fails here
                mail = outgoing_mail(
                    render_digest_mail(reader, digest, self._setup, self._territories)
                )
            except (ValueError, MessageError) as exc:
                log.warning("the digest e-mail to %s cannot be written: %s", member.matrix_id, exc)
                continue
            claim = Claim(mail.message_id, member.matrix_id, DIGEST_KIND)
            mails.append(PendingMail.written(claim, mail))
        return await self._send(mails) if mails else 0

    async def send_week_retrying(
        self,
        today: date,
        *,
        attempts: int = 8,
        first_delay: float = 60.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> int:
        """:meth:`send_week`, tried again with backoff (1 min doubling to 1 h, about 4 h in all)
        while the relay is down: the job runs once a week, so one failure would lose the week."""
        delay = first_delay
        sent = 0
        for attempt in range(1, attempts + 1):
            try:
                return sent + await self.send_week(today)
            except MailSendError as exc:
                sent += len(exc.sent)
                if not exc.transient or attempt == attempts:
                    raise
                log.warning("the weekly digest e-mails wait %.0f s for the relay: %s", delay, exc)
                await sleep(delay)
                delay = min(delay * 2, 3600.0)
        return sent

    async def _send(self, mails: list[PendingMail]) -> int:
        """Each mail not sent before, claimed, sent and recorded a chunk at a time."""
        report = await send_once(self._sender, self._deliveries, mails)
        return len(report.sent)


def digest_mailer(
    settings: Settings,
    db: Database,
    territories: TerritoryRegistry,
    *,
    sender: Sender | None = None,
    clock: Callable[[], datetime] = utc_now,
) -> DigestMailer | None:
    """The digest mailer of a running prevnet; None (nothing is mailed) without ``[email]``."""
    email = settings.email
    if email is None:
        return None
    setup = mail_setup(settings, email, mail_signer(email, settings.data_dir.resolve()))
    return DigestMailer(
        lambda: SqlUnitOfWork(db.sessions, clock),
        SqlEmailDeliveries(db, clock),
        sender or SmtpSender(email),
        setup,
        territories,
        chosen_languages(db),
    )
