"""The page where a member chooses their password from a one-time link, and asks for a new link.

``GET /account/password/<token>`` shows a form (or a page saying the link is expired, used,
replaced or not valid); ``POST`` checks the form's CSRF token (a signed double-submit cookie,
``SameSite=Strict``), the password rule (12 to 512 characters, not containing the user name)
and the rate limits, spends the link and sets the password through the Synapse admin API (which
logs the account out of its devices). If the homeserver answers with an error, the link is made
valid again; if its answer is lost, the password may be set, so the page says to try logging in.
``/account/reset`` asks for the registered e-mail address and answers the same whatever it is;
the link goes out in the background, so even the time of the answer tells nothing about
membership. Rate limits count per link, and per visitor (behind ``trusted_proxies``) only the
unknown links and the reset form, so no one's guessing locks a member out. Passwords are never
logged.
"""

from __future__ import annotations

import asyncio
import hashlib
import html
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace

import aiohttp
from aiohttp import web

from bots.synapse_admin import MatrixAdminError
from phenomena.storage.password_links import LinkState, SqlPasswordLinks
from prevnet.mail.invitations import PASSWORD_PATH, RESET_PATH
from prevnet.page_guards import CsrfGuard, Network, PageLimits, client_address
from prevnet.password_texts import LANGUAGES, say

log = logging.getLogger(__name__)

SetPassword = Callable[[str, str, bool], Awaitable[None]]
"""Set ``(matrix_id, password, log_out_other_sessions)`` on the homeserver."""
IsActive = Callable[[str], Awaitable[bool]]
"""Whether the member with this Matrix ID is active (a suspended one sets no password)."""
RequestReset = Callable[[str], Awaitable[None]]
"""Send a reset link if the address is an active member's (and only then)."""

MIN_LENGTH = 12
MAX_LENGTH = 512
CSRF_COOKIE = "prevnet_csrf"
_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",  # the token is in the URL: never pass it on
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
    "form-action 'self'; frame-ancestors 'none'",
}
_STATE_TEXT = {
    LinkState.EXPIRED: "expired",
    LinkState.USED: "used",
    LinkState.REPLACED: "replaced",
}


def password_problem(password: str, again: str, matrix_id: str) -> str | None:
    """The text key of what is wrong with a chosen password, or None when it is fine."""
    if password != again:
        return "mismatch"
    if len(password) < MIN_LENGTH:
        return "too_short"
    if len(password) > MAX_LENGTH:
        return "too_long"
    localpart = matrix_id.lstrip("@").partition(":")[0].casefold()
    if len(localpart) >= 3 and localpart in password.casefold():
        return "has_name"
    return None


def _language(request: web.Request) -> str:
    language = request.query.get("l", "")
    if language in LANGUAGES:
        return language
    accepted = request.headers.get("Accept-Language", "")
    for part in accepted.split(","):
        code = part.strip()[:2].lower()
        if code in LANGUAGES:
            return code
    return "en"


def _link_key(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _never_reached(error: Exception) -> bool:
    """Whether the homeserver surely did not set the password: it answered with an error, or
    the connection was never made. A timeout or a dropped answer may hide a success."""
    return isinstance(error, MatrixAdminError | aiohttp.ClientConnectorError)


@dataclass(frozen=True)
class PageSetup:
    """What the pages need to know: the homeserver members log in to, whether on HTTPS, and
    the proxies whose X-Forwarded-For tells the visitor's address (none by default)."""

    homeserver_url: str
    secure_cookies: bool
    trusted_proxies: tuple[Network, ...] = ()


class PasswordPages:
    """The handlers of the set-password and forgotten-password pages."""

    def __init__(
        self,
        links: SqlPasswordLinks,
        set_password: SetPassword,
        is_active: IsActive,
        request_reset: RequestReset | None,
        setup: PageSetup,
        limits: PageLimits | None = None,
        csrf: CsrfGuard | None = None,
    ) -> None:
        self._links = links
        self._set_password = set_password
        self._is_active = is_active
        self._request_reset = request_reset
        self._setup = setup
        self.limits = limits or PageLimits()
        self._csrf = csrf or CsrfGuard()
        self._background: set[asyncio.Task[None]] = set()

    def trust(self, proxies: Sequence[Network]) -> None:
        """Read the visitor's address from X-Forwarded-For when the peer is one of these."""
        self._setup = replace(self._setup, trusted_proxies=tuple(proxies))

    def _client(self, request: web.Request) -> str:
        forwarded = request.headers.getall("X-Forwarded-For", [])
        return client_address(request.remote, forwarded, self._setup.trusted_proxies)

    # -- rendering ----------------------------------------------------------------------------

    def _page(
        self,
        language: str,
        title: str,
        paragraphs: list[str],
        *,
        form: str = "",
        status: int = 200,
        error: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> web.Response:
        alert = f'<p role="alert" class="error">{html.escape(error)}</p>' if error else ""
        text = "".join(f"<p>{p}</p>" for p in paragraphs)
        body = (
            f'<!DOCTYPE html><html lang="{language}"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width">'
            f"<title>{html.escape(title)}</title></head>"
            '<body style="font-family:sans-serif;max-width:40em;margin:2em auto">'
            f"<h1>{html.escape(title)}</h1>{alert}{text}{form}</body></html>"
        )
        return web.Response(
            text=body,
            status=status,
            content_type="text/html",
            charset="utf-8",
            headers={**_HEADERS, **(headers or {})},
        )

    def _with_csrf(self, response: web.Response, cookie: str) -> web.Response:
        response.set_cookie(
            CSRF_COOKIE,
            cookie,
            path="/account/",
            httponly=True,
            samesite="Strict",
            secure=self._setup.secure_cookies,
        )
        return response

    def _ask_new(self, language: str) -> str:
        href = html.escape(f"{RESET_PATH}?l={language}")
        return f'<a id="ask-new" href="{href}">{html.escape(say("ask_new", language))}</a>'

    def _refusal(self, language: str, key: str, status: int) -> web.Response:
        return self._page(
            language,
            say("title", language),
            [html.escape(say(key, language)), self._ask_new(language)],
            status=status,
        )

    def _slow_down(self, language: str, seconds: float) -> web.Response:
        minutes = str(max(1, int(seconds // 60) + 1))
        return self._page(
            language,
            say("title", language),
            [html.escape(say("slow_down", language, minutes=minutes))],
            status=429,
            headers={"Retry-After": str(int(seconds) + 1)},
        )

    def _password_form(
        self, language: str, matrix_id: str, error: str | None = None, status: int = 200
    ) -> web.Response:
        cookie, field_value = self._csrf.issue()
        labels = {k: html.escape(say(k, language)) for k in ("password", "again", "save")}
        form = (
            '<form method="post">'
            f'<input type="hidden" name="csrf" value="{field_value}">'
            f'<p><label for="password">{labels["password"]}</label><br>'
            '<input id="password" name="password" type="password" autocomplete="new-password" '
            f'required minlength="{MIN_LENGTH}" maxlength="{MAX_LENGTH}"></p>'
            f'<p><label for="again">{labels["again"]}</label><br>'
            '<input id="again" name="again" type="password" autocomplete="new-password" '
            f'required minlength="{MIN_LENGTH}" maxlength="{MAX_LENGTH}"></p>'
            f'<p><button type="submit">{labels["save"]}</button></p></form>'
        )
        paragraphs = [
            html.escape(say("for", language, user_id=matrix_id)),
            html.escape(say("rule", language)),
        ]
        page = self._page(
            language, say("title", language), paragraphs, form=form, error=error, status=status
        )
        return self._with_csrf(page, cookie)

    # -- set a password -----------------------------------------------------------------------

    async def show_password(self, request: web.Request) -> web.Response:
        """The form, or why the link no longer works."""
        language = _language(request)
        token = request.match_info.get("token", "")
        link = await self._links.look(token)
        if link is None:
            wait = self.limits.pages_per_address.wait(self._client(request))
        else:
            wait = self.limits.pages_per_link.wait(_link_key(token))
        if wait:
            return self._slow_down(language, wait)
        if link is None:
            return self._refusal(language, "invalid", 404)
        if link.state is not LinkState.VALID:
            return self._refusal(language, _STATE_TEXT[link.state], 410)
        if not await self._is_active(link.member):
            return self._refusal(language, "inactive", 403)
        return self._password_form(language, link.member)

    async def set_password(self, request: web.Request) -> web.Response:
        """Check the form, spend the link, set the password."""
        language = _language(request)
        token = request.match_info.get("token", "")
        link = await self._links.look(token)
        if link is None:
            client = self._client(request)
            if wait := self.limits.password_per_address.wait(client):
                log.warning("set-password tries with unknown links from %s slowed down", client)
                return self._slow_down(language, wait)
            log.warning("set-password form sent with a link that was never issued")
            return self._refusal(language, "invalid", 404)
        if wait := self.limits.password_per_link.wait(_link_key(token)):
            log.warning("set-password tries for %s slowed down", link.member)
            return self._slow_down(language, wait)
        if link.state is not LinkState.VALID:
            return self._refusal(language, _STATE_TEXT[link.state], 410)
        form = await request.post()
        if not self._csrf.check(request.cookies.get(CSRF_COOKIE), _field(form, "csrf")):
            log.warning(
                "set-password form for %s refused: CSRF token missing or wrong", link.member
            )
            return self._password_form(language, link.member, say("csrf", language), 403)
        password, again = _field(form, "password") or "", _field(form, "again") or ""
        problem = password_problem(password, again, link.member)
        if problem is not None:
            return self._password_form(language, link.member, say(problem, language), 400)
        if not await self._is_active(link.member):
            return self._refusal(language, "inactive", 403)
        spent = await self._links.use(token)
        if spent is None:  # another browser was faster, or it expired in between
            return await self.show_password(request)
        try:
            # invite or reset: whoever held the account before is logged out of every device
            await self._set_password(spent.member, password, True)
        except Exception as error:
            if not _never_reached(error):
                log.exception("no answer setting the password of %s; link kept spent", spent.member)
                paragraphs = [html.escape(say("unsure", language)), self._ask_new(language)]
                return self._page(language, say("title", language), paragraphs, status=503)
            log.exception("could not set the password of %s; the link is valid again", spent.member)
            await self._links.reopen(token)
            return self._page(
                language, say("title", language), [html.escape(say("failed", language))], status=503
            )
        log.info("%s chose a password (%s link)", spent.member, spent.purpose.value)
        done = say("done", language, homeserver=self._setup.homeserver_url, user_id=spent.member)
        return self._page(language, say("title", language), [html.escape(done)])

    # -- forgotten password -------------------------------------------------------------------

    def _reset_form(
        self, language: str, message: str | None = None, status: int = 200
    ) -> web.Response:
        cookie, field_value = self._csrf.issue()
        form = (
            '<form method="post">'
            f'<input type="hidden" name="csrf" value="{field_value}">'
            f'<p><label for="address">{html.escape(say("address", language))}</label><br>'
            '<input id="address" name="address" type="email" autocomplete="email" required '
            'maxlength="254"></p>'
            f'<p><button type="submit">{html.escape(say("send", language))}</button></p></form>'
        )
        page = self._page(
            language,
            say("forgot_title", language),
            [html.escape(say("forgot_ask", language))],
            form=form,
            error=message,
            status=status,
        )
        return self._with_csrf(page, cookie)

    async def show_reset(self, request: web.Request) -> web.Response:
        """The forgotten-password form."""
        language = _language(request)
        wait = self.limits.pages_per_address.wait(self._client(request))
        if wait:
            return self._slow_down(language, wait)
        return self._reset_form(language)

    async def request_reset(self, request: web.Request) -> web.Response:
        """Send a link if the address is a member's; the same answer either way."""
        language = _language(request)
        form = await request.post()
        if not self._csrf.check(request.cookies.get(CSRF_COOKIE), _field(form, "csrf")):
            return self._reset_form(language, say("csrf", language), 403)
        address = (_field(form, "address") or "").strip().lower()[:254]
        wait = self.limits.reset_per_address.wait(self._client(request))
        if wait:
            return self._slow_down(language, wait)
        if address and not self.limits.reset_per_mailbox.wait(address):
            self._in_background(address)
        return self._page(
            language, say("forgot_title", language), [html.escape(say("forgot_sent", language))]
        )

    def _in_background(self, address: str) -> None:
        if self._request_reset is None:
            log.warning("a reset was asked but e-mail is not set up ([email] settings)")
            return
        task = asyncio.create_task(self._reset_quietly(self._request_reset, address))
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    @staticmethod
    async def _reset_quietly(request_reset: RequestReset, address: str) -> None:
        try:
            await request_reset(address)
        except Exception:
            log.exception("a reset link could not be sent")

    async def settle(self) -> None:
        """Wait for the reset e-mails still being sent (tests; and at shutdown)."""
        while self._background:
            await asyncio.gather(*list(self._background), return_exceptions=True)

    def add_routes(self, app: web.Application) -> None:
        """Serve the pages at the paths the e-mails link to."""
        app.router.add_get(PASSWORD_PATH + "/{token}", self.show_password)
        app.router.add_post(PASSWORD_PATH + "/{token}", self.set_password)
        app.router.add_get(RESET_PATH, self.show_reset)
        app.router.add_post(RESET_PATH, self.request_reset)

        async def finish(_: web.Application) -> None:
            await self.settle()

        app.on_cleanup.append(finish)


def _field(form: object, name: str) -> str | None:
    value = form.get(name) if hasattr(form, "get") else None
    return value if isinstance(value, str) else None
