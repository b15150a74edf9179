"""The unsubscribe link of capsule mails, for BIN/PLP coordinators (who are not members):
``/mail/capsules/unsubscribe/<token>``.

The token is the bulletin mails' signed link token (``MailSigner``) under a purpose of its own,
over the capsule and the address: it cannot be forged, it does not work on the bulletins'
unsubscribe page, nor theirs here. GET only shows a button (link scanners fetch links and must
change nothing); POST, the button or RFC 8058 one-click, records the address as unsubscribed.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from urllib.parse import quote

from aiohttp import web

from prevnet.mail.ack_page import page
from prevnet.mail.signing import MailSigner, Purpose

log = logging.getLogger(__name__)

UNSUBSCRIBE_PATH = "/mail/capsules/unsubscribe"
OptOut = Callable[[str, datetime], Awaitable[None]]
"""Record that an address wants no more capsule mails (``SqlCapsules.opt_out``)."""
_LANGUAGES = ("fr", "nl", "de", "en")
_PAGES: dict[str, dict[str, str]] = {
    "ask": {
        "fr": "Ne plus recevoir les capsules de prévention par e-mail à {address} ?",
        "nl": "Geen preventiecapsules meer per e-mail ontvangen op {address}?",
        "de": "Keine Präventionskapseln mehr per E-Mail an {address} erhalten?",
        "en": "Stop receiving prevention capsules by e-mail at {address}?",
    },
    "button": {"fr": "Arrêter", "nl": "Stoppen", "de": "Beenden", "en": "Stop"},
    "done": {
        "fr": "C'est fait : {address} ne reçoit plus de capsules de prévention. Pour les "
        "recevoir à nouveau, demandez-le au service de prévention de votre commune.",
        "nl": "Klaar: {address} krijgt geen preventiecapsules meer. Wilt u ze opnieuw krijgen, "
        "vraag het aan de preventiedienst van uw gemeente.",
        "de": "Erledigt: {address} erhält keine Präventionskapseln mehr. Um sie wieder zu "
        "erhalten, wenden Sie sich an den Präventionsdienst Ihrer Gemeinde.",
        "en": "Done: {address} gets no more prevention capsules. To get them again, ask your "
        "commune's prevention service.",
    },
    "invalid": {
        "fr": "Ce lien n'est pas valide : il est peut-être incomplet ou modifié.",
        "nl": "Deze link is niet geldig: hij is misschien onvolledig of gewijzigd.",
        "de": "Dieser Link ist ungültig: er ist vielleicht unvollständig oder verändert.",
        "en": "This link is not valid: it may be cut short or changed.",
    },
    "failed": {
        "fr": "Impossible de l'enregistrer pour l'instant. Réessayez dans quelques minutes.",
        "nl": "Dit kon nu niet worden opgeslagen. Probeer het over enkele minuten opnieuw.",
        "de": "Das konnte gerade nicht gespeichert werden. Bitte versuchen Sie es gleich wieder.",
        "en": "This could not be recorded just now. Please try again in a few minutes.",
    },
}


def unsubscribe_url(
    signer: MailSigner, public_url: str, capsule_id: int, address: str, language: str
) -> str:
    """The signed link that stops capsule mails to ``address`` (one per mail)."""
    token = signer.link_token(Purpose.CAPSULE_UNSUBSCRIBE, capsule_id, address.strip().lower())
    return f"{public_url.rstrip('/')}{UNSUBSCRIBE_PATH}/{token}?l={quote(language)}"


def add_capsule_unsubscribe_routes(
    app: web.Application, signer: MailSigner, opt_out: OptOut, clock: Callable[[], datetime]
) -> None:
    """Serve the unsubscribe page (GET: a button; POST: done) on the pages' server."""

    def read(request: web.Request) -> tuple[str, str | None]:
        language = request.query.get("l", "en")
        language = language if language in _LANGUAGES else "en"
        token = request.match_info.get("token", "")
        signed = signer.open_link_token(Purpose.CAPSULE_UNSUBSCRIBE, token)
        return language, signed.member_id if signed is not None else None

    async def show(request: web.Request) -> web.Response:
        language, address = read(request)
        if address is None:
            return page(language, _PAGES["invalid"][language], status=404)
        ask = _PAGES["ask"][language].format(address=address)
        return page(language, ask, button=_PAGES["button"][language])

    async def do(request: web.Request) -> web.Response:
        language, address = read(request)
        if address is None:
            log.warning("refused a capsule unsubscribe link that is not valid")
            return page(language, _PAGES["invalid"][language], status=404)
        try:
            await opt_out(address, clock())
        except Exception:
            log.exception("could not record a coordinator's capsule unsubscription")
            return page(language, _PAGES["failed"][language], status=503)
        return page(language, _PAGES["done"][language].format(address=address))

    app.router.add_get(UNSUBSCRIBE_PATH + "/{token}", show)
    app.router.add_post(UNSUBSCRIBE_PATH + "/{token}", do)
