"""The pages behind the links of a bulletin e-mail: acknowledge it, or stop bulletins by e-mail.

GET only shows a button (link scanners and previews fetch links; they must change nothing); POST
does it, through a callback the caller wires to storage. A link works only for its own purpose:
an unsubscribe token does not acknowledge, and the other way round. The token in the path is the
member's secret, so no cross-site form can guess it; pages are never cached nor framed and send
no referrer. RFC 8058 one-click unsubscribe is a POST to the same URL.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from phenomena.alert import format_ref
from prevnet.mail.bulletin_mail import ACK_PATH, UNSUBSCRIBE_PATH
from prevnet.mail.signing import MailSigner, Purpose, Signed

RecordAck = Callable[[int, str], Awaitable[None]]
"""Record that member (and so their organisation) has seen the alert: ``(alert_id, member_id)``."""
Unsubscribe = Callable[[int, str], Awaitable[None]]
"""Set the member's e-mail preference to ``none``; the alert is the mail the link came from."""
Handler = Callable[[web.Request], Awaitable[web.Response]]

log = logging.getLogger(__name__)
_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
    "form-action 'self'; frame-ancestors 'none'",
}
_PAGES: dict[str, dict[str, str]] = {
    "ack_ask": {
        "en": "Tell the author of {ref} that your organisation has seen it?",
        "fr": "Signaler à l'auteur de {ref} que votre organisation l'a vue ?",
        "nl": "De auteur van {ref} laten weten dat uw organisatie ze gezien heeft?",
        "de": "Dem Verfasser von {ref} melden, dass Ihre Organisation sie gesehen hat?",
    },
    "ack_button": {"en": "Seen", "fr": "Vu", "nl": "Gezien", "de": "Gesehen"},
    "ack_done": {
        "en": "Recorded: the author of {ref} sees that your organisation has seen it.",
        "fr": "C'est noté : l'auteur de {ref} voit que votre organisation l'a vue.",
        "nl": "Genoteerd: de auteur van {ref} ziet dat uw organisatie ze gezien heeft.",
        "de": "Vermerkt: der Verfasser von {ref} sieht, dass Ihre Organisation sie gesehen hat.",
    },
    "unsub_ask": {
        "en": "Stop receiving bulletins by e-mail? You keep them in Matrix.",
        "fr": "Ne plus recevoir les bulletins par e-mail ? Vous les gardez dans Matrix.",
        "nl": "Geen bulletins meer per e-mail ontvangen? U houdt ze in Matrix.",
        "de": "Keine Bulletins mehr per E-Mail? In Matrix erhalten Sie sie weiter.",
    },
    "unsub_button": {"en": "Stop", "fr": "Arrêter", "nl": "Stoppen", "de": "Beenden"},
    "unsub_done": {
        "en": "Done: no more bulletins by e-mail. Type !prefs email all in Matrix to resume.",
        "fr": "C'est fait : plus de bulletins par e-mail. Tapez !prefs email all dans Matrix "
        "pour les reprendre.",
        "nl": "Klaar: geen bulletins meer per e-mail. Typ !prefs email all in Matrix om ze "
        "weer te krijgen.",
        "de": "Erledigt: keine Bulletins mehr per E-Mail. Tippen Sie !prefs email all in "
        "Matrix, um sie wieder zu erhalten.",
    },
    "invalid": {
        "en": "This link is not valid: it may be cut short or changed. Open the alert in "
        "Matrix instead.",
        "fr": "Ce lien n'est pas valide : il est peut-être incomplet ou modifié. Ouvrez "
        "plutôt l'alerte dans Matrix.",
        "nl": "Deze link is niet geldig: hij is misschien onvolledig of gewijzigd. Open de "
        "melding in Matrix.",
        "de": "Dieser Link ist ungültig: er ist vielleicht unvollständig oder verändert. "
        "Öffnen Sie die Warnung in Matrix.",
    },
    "failed": {
        "en": "This could not be recorded just now. Please try again in a few minutes.",
        "fr": "Impossible de l'enregistrer pour l'instant. Réessayez dans quelques minutes.",
        "nl": "Dit kon nu niet worden opgeslagen. Probeer het over enkele minuten opnieuw.",
        "de": "Das konnte gerade nicht gespeichert werden. Bitte versuchen Sie es gleich wieder.",
    },
}


def _language(request: web.Request) -> str:
    language = request.query.get("l", "en")
    return language if language in ("en", "fr", "nl", "de") else "en"


def _say(key: str, language: str, **values: str) -> str:
    return _PAGES[key][language].format(**values)


def page(language: str, message: str, status: int = 200, button: str | None = None) -> web.Response:
    """A small page for a link opened from a mail: a message and, to act, one POST button."""
    form = (
        f'<form method="post"><button type="submit">{html.escape(button)}</button></form>'
        if button
        else ""
    )
    body = (
        f'<!DOCTYPE html><html lang="{language}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width"><title>prevnet</title></head>'
        '<body style="font-family:sans-serif;max-width:40em;margin:2em auto">'
        f"<p>{html.escape(message)}</p>{form}</body></html>"
    )
    return web.Response(
        text=body, status=status, content_type="text/html", charset="utf-8", headers=_HEADERS
    )


def _handlers(
    signer: MailSigner, purpose: Purpose, act: RecordAck, ask: str, button: str, done: str
) -> tuple[Handler, Handler]:
    def signed(request: web.Request) -> Signed | None:
        return signer.open_link_token(purpose, request.match_info.get("token", ""))

    async def show(request: web.Request) -> web.Response:
        language = _language(request)
        link = signed(request)
        if link is None:
            return page(language, _say("invalid", language), status=404)
        ref = format_ref(link.alert_id)
        return page(language, _say(ask, language, ref=ref), button=_say(button, language))

    async def do(request: web.Request) -> web.Response:
        language = _language(request)
        link = signed(request)
        if link is None:
            log.warning("refused a %s link that is not valid", purpose.value)
            return page(language, _say("invalid", language), status=404)
        try:
            await act(link.alert_id, link.member_id)
        except Exception:
            log.exception("could not record %s of A-%d", purpose.value, link.alert_id)
            return page(language, _say("failed", language), status=503)
        return page(language, _say(done, language, ref=format_ref(link.alert_id)))

    return show, do


def acknowledge_handlers(signer: MailSigner, record_ack: RecordAck) -> tuple[Handler, Handler]:
    """The GET (a button) and POST (records through ``record_ack``) of the acknowledge link."""
    return _handlers(signer, Purpose.ACKNOWLEDGE, record_ack, "ack_ask", "ack_button", "ack_done")


def unsubscribe_handlers(signer: MailSigner, unsubscribe: Unsubscribe) -> tuple[Handler, Handler]:
    """The GET (a button) and POST (RFC 8058 one-click, or the button) of the unsubscribe link."""
    return _handlers(
        signer, Purpose.UNSUBSCRIBE, unsubscribe, "unsub_ask", "unsub_button", "unsub_done"
    )


def add_mail_link_routes(
    app: web.Application, signer: MailSigner, record_ack: RecordAck, unsubscribe: Unsubscribe
) -> None:
    """Serve both links at the paths :mod:`prevnet.mail.bulletin_mail` puts in the e-mails."""
    show, do = acknowledge_handlers(signer, record_ack)
    app.router.add_get(ACK_PATH + "/{token}", show)
    app.router.add_post(ACK_PATH + "/{token}", do)
    show, do = unsubscribe_handlers(signer, unsubscribe)
    app.router.add_get(UNSUBSCRIBE_PATH + "/{token}", show)
    app.router.add_post(UNSUBSCRIBE_PATH + "/{token}", do)
