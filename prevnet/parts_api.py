"""The HTTP side of ``prevnet up``: one port for the incident API and every page it serves.

The set-password pages, bulletin mail pages, capsule feeds, health checks and metrics share the
incident API's port, so a deployment opens and proxies one address.
"""

from __future__ import annotations

import contextlib
import logging

from aiohttp import web

from phenomena.storage.email_deliveries import STUCK_AFTER, SqlEmailDeliveries
from phenomena.storage.incidents import SqlApiTokens
from phenomena.storage.unit_of_work import utc_now
from prevnet.capsule_wiring import CapsuleParts
from prevnet.incident_api import incident_app
from prevnet.mail.bulletin_wiring import add_bulletin_mail_routes
from prevnet.mail.invitation_service import InvitationService
from prevnet.observability import observability_routes
from prevnet.page_guards import proxy_networks
from prevnet.parts_core import Core

log = logging.getLogger(__name__)


async def start_api(
    core: Core, mail: InvitationService, capsules: CapsuleParts, stack: contextlib.AsyncExitStack
) -> None:
    """Serve on ``api_port`` (nothing when it is 0) until the stack unwinds."""
    settings, db = core.settings, core.db
    if settings.email and not settings.api_port:
        log.warning("api_port is 0: the set-password pages of invitations are not served")
    if not settings.api_port:
        return
    service = incident_app(core.incident_store, SqlApiTokens(db), core.territories, core.outlines)
    mail.pages.trust(proxy_networks(settings.trusted_proxies))
    mail.add_routes(service)  # the set-password pages share its port
    add_bulletin_mail_routes(service, settings, db, core.territories, core.ledger)
    capsules.add_routes(service, core.territories, settings.pages_url)  # public feeds

    async def unknown_mails() -> list[str]:
        sends = await SqlEmailDeliveries(db).unfinished(utc_now() - STUCK_AFTER)
        return [send.message_id for send in sends]

    async def database_ok() -> bool:
        return await db.revision() is not None

    async def homeserver_ok() -> bool:
        return await core.admin.request("GET", "/_matrix/client/versions") is not None

    observability_routes(
        service,
        core.metrics,
        core.outbox.stats,
        database_ok,
        homeserver_ok,
        utc_now,
        problems=lambda: [p.line()[2:] for p in core.network.problems],
        unknown_mails=unknown_mails if settings.email is not None else None,
    )
    api = web.AppRunner(service)
    await api.setup()
    await web.TCPSite(api, settings.api_host, settings.api_port).start()
    stack.push_async_callback(api.cleanup)
