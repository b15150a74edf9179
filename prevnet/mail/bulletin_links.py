"""What the acknowledge and unsubscribe links of a bulletin e-mail do, on prevnet's web server.

Acknowledging records the same reach as a reaction in chat (``SqlBulletinLedger.acknowledge``),
for the member's organisation, and only while the member is active and may read the alert;
unsubscribing sets the member's e-mail choice to ``none``. The pages and the signed tokens are
:mod:`prevnet.mail.ack_page`'s.
"""

from __future__ import annotations

from collections.abc import Callable

from aiohttp import web

from phenomena.email_policy import EmailPreference
from phenomena.services.unit_of_work import UnitOfWork
from phenomena.storage.bulletins import SqlBulletinLedger
from phenomena.storage.email_deliveries import SqlEmailDeliveries
from phenomena.territory import TerritoryRegistry
from prevnet.mail.ack_page import RecordAck, Unsubscribe, add_mail_link_routes
from prevnet.mail.bulletin_delivery import mail_room
from prevnet.mail.signing import MailSigner


class NotAcknowledged(PermissionError):
    """The link's member may not (or no longer) acknowledge the alert: nothing is recorded."""


def mail_link_callbacks(
    uow: Callable[[], UnitOfWork],
    ledger: SqlBulletinLedger,
    deliveries: SqlEmailDeliveries,
    territories: TerritoryRegistry,
) -> tuple[RecordAck, Unsubscribe]:
    """The callbacks behind the two links."""

    async def record_ack(alert_id: int, member_id: str) -> None:
        async with uow() as unit:
            alert = await unit.alerts.get(alert_id)
            member = await unit.members.get(member_id)
            organisation = (
                await unit.organisations.get(member.organisation) if member is not None else None
            )
        room = (
            mail_room(alert, member, organisation, territories)
            if alert is not None and member is not None
            else None
        )
        if member is None or room is None:
            raise NotAcknowledged("the link's member may not acknowledge this alert now")
        await ledger.acknowledge(alert_id, member_id, member.organisation, room)

    async def unsubscribe(alert_id: int, member_id: str) -> None:
        await deliveries.set_preference(member_id, EmailPreference.NONE)

    return record_ack, unsubscribe


def add_bulletin_mail_pages(
    app: web.Application,
    signer: MailSigner,
    uow: Callable[[], UnitOfWork],
    ledger: SqlBulletinLedger,
    deliveries: SqlEmailDeliveries,
    territories: TerritoryRegistry,
) -> None:
    """Serve the acknowledge and unsubscribe pages on ``app`` (the pages' web server)."""
    record_ack, unsubscribe = mail_link_callbacks(uow, ledger, deliveries, territories)
    add_mail_link_routes(app, signer, record_ack, unsubscribe)
