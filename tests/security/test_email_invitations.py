"""Set-password links against an adversarial visitor: expired, reused, forged, cross-site, flooded.

The pages run on a real local server with a real SMTP relay; the homeserver's side is a stand-in
here (the browser test sets a real Synapse password).
"""

from __future__ import annotations

import html
import re
from datetime import timedelta

import aiohttp

from phenomena.storage.password_links import LinkPurpose
from prevnet.page_guards import client_address, proxy_networks
from tests.mail.invitation_site import ANN, JEAN, Site, browser_session, site
from tests.mail.smtp_relay import relay

__all__ = ["relay", "site"]
GOOD = "correct horse battery staple"


def csrf_of(page: str) -> str:
    match = re.search(r'name="csrf" value="([0-9a-f]+)"', page)
    assert match is not None
    return match.group(1)


async def invited(site: Site) -> tuple[str, str]:
    await site.invitations.send_link(JEAN.matrix_id, LinkPurpose.INVITE)
    [(url, token, _)] = site.links_to("jean@mons.example")
    return url, token


async def choose(
    http: aiohttp.ClientSession, url: str, password: str, again: str | None = None
) -> tuple[int, str]:
    async with http.get(url) as page:
        text = await page.text()
        if page.status != 200:
            return page.status, text
    form = {"csrf": csrf_of(text), "password": password, "again": again or password}
    async with http.post(url, data=form) as answer:
        return answer.status, html.unescape(await answer.text())


async def test_a_link_sets_the_password_once(site: Site) -> None:
    url, _ = await invited(site)
    async with browser_session() as http:
        status, text = await choose(http, url, GOOD)
        assert status == 200 and "Votre mot de passe est enregistré" in text
        assert site.passwords == {JEAN.matrix_id: GOOD}
        async with http.get(url) as again:
            assert again.status == 410 and "déjà servi" in await again.text()
        form = {
            "csrf": "0" * 64,
            "password": "another one entirely",
            "again": "another one entirely",
        }
        async with http.post(url, data=form) as replay:
            assert replay.status == 410
    assert site.passwords == {JEAN.matrix_id: GOOD}


async def test_an_expired_link_says_so_and_sets_nothing(site: Site) -> None:
    url, _ = await invited(site)
    async with browser_session() as http, http.get(url) as page:
        csrf = csrf_of(await page.text())
        site.clock.now += timedelta(hours=72, seconds=1)
        async with http.post(url, data={"csrf": csrf, "password": GOOD, "again": GOOD}) as late:
            assert late.status == 410 and "expiré" in await late.text()
        async with http.get(url) as later:
            text = await later.text()
            assert later.status == 410 and "Demander un nouveau lien" in text
    assert site.passwords == {}


async def test_a_forged_or_cut_token_opens_nothing(site: Site) -> None:
    url, token = await invited(site)
    forged = url.replace(token, token[:-2] + ("AA" if not token.endswith("AA") else "BB"))
    async with browser_session() as http:
        cut = url.replace(token, token[:-5])
        for wrong in (forged, cut, site.base + "/account/password/" + "x" * 43):
            async with http.get(wrong) as page:
                assert page.status == 404
                assert "not valid" in await page.text() or "pas valide" in await page.text()
            async with http.post(wrong, data={"password": GOOD, "again": GOOD}) as post:
                assert post.status == 404
    assert site.passwords == {}


async def test_a_form_without_its_csrf_token_is_refused(site: Site) -> None:
    url, _ = await invited(site)
    async with browser_session() as http:
        async with http.get(url) as page:
            csrf = csrf_of(await page.text())
        async with http.post(url, data={"password": GOOD, "again": GOOD}) as missing:
            assert missing.status == 403
        async with http.post(url, data={"csrf": "ab" * 32, "password": GOOD, "again": GOOD}) as bad:
            assert bad.status == 403
    form = {"csrf": csrf, "password": GOOD, "again": GOOD}
    async with browser_session() as other, other.post(url, data=form) as xsite:
        # another site's form: the field copied, but not our cookie
        assert xsite.status == 403 and "rechargez la page" in await xsite.text()
    assert site.passwords == {}
    async with browser_session() as http:  # the link still works for the member
        status, _ = await choose(http, url, GOOD)
        assert status == 200


async def test_the_password_rule(site: Site) -> None:
    url, _ = await invited(site)
    async with browser_session() as http:
        for password, again, says in (
            ("short pass", None, "moins de 12"),
            ("jean is my password", None, "nom d'utilisateur"),
            ("JEAN-DUPONT-2026-ok", None, "nom d'utilisateur"),
            (GOOD, GOOD + "!", "diffèrent"),
            ("x" * 513, None, "512"),
        ):
            status, text = await choose(http, url, password, again)
            assert status == 400 and says in text, (password, text)
    assert site.passwords == {}


async def test_guessing_is_rate_limited(site: Site) -> None:
    url, _ = await invited(site)
    async with browser_session() as http:
        statuses = [(await choose(http, url, "short"))[0] for _ in range(6)]
        assert statuses[:5] == [400] * 5 and statuses[5] == 429
        async with http.post(url, data={"password": GOOD, "again": GOOD}) as limited:
            assert limited.status == 429 and int(limited.headers["Retry-After"]) > 0
        site.clock.seconds += 901
        status, _ = await choose(http, url, GOOD)
        assert status == 200


async def test_a_homeserver_failure_keeps_the_link(site: Site) -> None:
    url, _ = await invited(site)
    site.failing = True
    async with browser_session() as http:
        status, text = await choose(http, url, GOOD)
        assert status == 503 and "le lien fonctionne toujours" in text
        site.failing = False
        status, _ = await choose(http, url, GOOD)
        assert status == 200
    assert site.passwords == {JEAN.matrix_id: GOOD}


async def reset_answer(http: aiohttp.ClientSession, site: Site, address: str) -> tuple[int, str]:
    async with http.get(site.base + "/account/reset?l=en") as page:
        csrf = csrf_of(await page.text())
    async with http.post(
        site.base + "/account/reset?l=en", data={"csrf": csrf, "address": address}
    ) as answer:
        text = await answer.text()
    await site.pages.settle()
    return answer.status, text


async def test_a_reset_request_answers_the_same_for_anyone(site: Site) -> None:
    async with browser_session() as http:
        member = await reset_answer(http, site, "  Jean@Mons.Example ")
        stranger = await reset_answer(http, site, "nobody@mons.example")
        assert member == stranger and member[0] == 200
    assert "If this address belongs to a prevnet account" in member[1]
    [(_, token, _)] = site.links_to("jean@mons.example")
    link = await site.links.look(token)
    assert link is not None and link.purpose is LinkPurpose.RESET
    assert [r.rcpt_tos for r in site.relay.inbox.received] == [["jean@mons.example"]]


async def test_reset_requests_are_rate_limited_per_mailbox_and_need_csrf(site: Site) -> None:
    async with browser_session() as http:
        async with http.post(site.base + "/account/reset", data={"address": ANN.email}) as bare:
            assert bare.status == 403
        for _ in range(3):
            assert (await reset_answer(http, site, str(ANN.email)))[0] == 200
        site.clock.seconds += 1  # a fourth within the hour: the same answer, no fourth mail
        assert (await reset_answer(http, site, str(ANN.email)))[0] == 200
    assert len(site.relay.inbox.to(str(ANN.email))) == 3


def visitor(address: str, source: str = "127.0.0.1") -> aiohttp.ClientSession:
    """A browser at ``address`` reaching the pages through the proxy at ``source``."""
    return aiohttp.ClientSession(
        cookie_jar=aiohttp.CookieJar(unsafe=True),
        headers={"X-Forwarded-For": address},
        connector=aiohttp.TCPConnector(local_addr=(source, 0)),
    )


async def test_one_visitors_guessing_behind_the_proxy_locks_no_one_else_out(site: Site) -> None:
    url, _ = await invited(site)
    bogus = site.base + "/account/password/" + "x" * 43
    async with visitor("203.0.113.5") as guesser:
        posts = []
        for _ in range(11):
            async with guesser.post(bogus, data={"password": GOOD, "again": GOOD}) as answer:
                posts.append(answer.status)
        assert posts == [404] * 10 + [429]
        gets = []
        for _ in range(121):
            async with guesser.get(bogus) as page:
                gets.append(page.status)
        assert gets[:120] == [404] * 120 and gets[120] == 429
    async with visitor("203.0.113.6") as flooder:
        resets = [(await reset_answer(flooder, site, f"n{n}@mons.example"))[0] for n in range(6)]
        assert resets == [200] * 5 + [429]
    async with visitor("198.51.100.7") as member:
        status, text = await choose(member, url, GOOD)
        assert status == 200 and "Votre mot de passe est enregistré" in text
        assert (await reset_answer(member, site, str(ANN.email)))[0] == 200
    assert site.passwords == {JEAN.matrix_id: GOOD}
    assert len(site.relay.inbox.to(str(ANN.email))) == 1


async def test_a_visitor_not_behind_a_trusted_proxy_cannot_spoof_forwarded_for(site: Site) -> None:
    url, _ = await invited(site)
    bogus = site.base + "/account/password/" + "x" * 43
    statuses = []
    form = {"password": GOOD, "again": GOOD}
    for n in range(11):  # 127.0.0.2 is no trusted proxy: the addresses it claims are ignored
        async with (
            visitor(f"203.0.113.{n}", source="127.0.0.2") as spoofer,
            spoofer.post(bogus, data=form) as answer,
        ):
            statuses.append(answer.status)
    assert statuses == [404] * 10 + [429]
    async with (
        visitor("1.2.3.4, 203.0.113.9", source="127.0.0.2") as spoofer,
        spoofer.post(bogus, data=form) as answer,
    ):
        assert answer.status == 429
    async with visitor("198.51.100.7") as member:  # the limited address is 127.0.0.2's alone
        assert (await choose(member, url, GOOD))[0] == 200


def test_the_visitor_is_the_right_most_hop_no_trusted_proxy_wrote() -> None:
    proxies = proxy_networks(["127.0.0.1", "10.0.0.0/8"])
    assert client_address("127.0.0.1", ["6.6.6.6, 203.0.113.5"], proxies) == "203.0.113.5"
    assert client_address("127.0.0.1", ["6.6.6.6", "203.0.113.5, 10.1.2.3"], proxies) == (
        "203.0.113.5"
    )
    assert client_address("192.0.2.1", ["203.0.113.5"], proxies) == "192.0.2.1"
    assert client_address("127.0.0.1", [], proxies) == "127.0.0.1"
    assert client_address("127.0.0.1", ["not-an-ip"], proxies) == "127.0.0.1"
    assert client_address("127.0.0.1", ["203.0.113.5"], ()) == "127.0.0.1"  # none trusted


async def test_a_lost_answer_keeps_the_link_spent_and_says_to_try_logging_in(site: Site) -> None:
    url, _ = await invited(site)
    site.answer_lost = True  # the homeserver set the password; its answer timed out
    async with browser_session() as http:
        status, text = await choose(http, url, GOOD)
        assert status == 503 and "Essayez de vous connecter" in text
        assert "Demander un nouveau lien" in text
        async with http.get(url) as again:
            assert again.status == 410  # not revived: nobody else can set it again
    assert site.passwords == {JEAN.matrix_id: GOOD}


async def test_invite_and_reset_links_both_log_the_account_out_of_its_devices(site: Site) -> None:
    url, _ = await invited(site)
    async with browser_session() as http:
        assert (await choose(http, url, GOOD))[0] == 200
        await site.invitations.send_link(JEAN.matrix_id, LinkPurpose.RESET)
        reset_url = site.links_to("jean@mons.example")[-1][0]
        assert (await choose(http, reset_url, GOOD + " again"))[0] == 200
    assert site.logged_out == [JEAN.matrix_id, JEAN.matrix_id]
