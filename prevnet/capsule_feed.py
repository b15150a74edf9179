"""The public Atom feed of a commune's capsules in one language, for its website and apps:
``GET /capsules/<municipality NIS>/<language>.atom``.

Public by design (residents' readers fetch it without an account), so it serves only what was
made for residents: published capsules (approved by a second person) whose alert is still CLEAR
or GREEN; drafts, waiting capsules and anything of a stricter label are never in it. Each
entry carries its two cards as enclosures, served beside the feed: the square one for apps, the
1200x630 one for websites and link previews (``C-3-fr-wide.png``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from aiohttp import web

from phenomena.capsules.capsule import Capsule
from phenomena.capsules.drafting import names_of
from phenomena.capsules.service import CapsuleRecord
from phenomena.storage.capsules import SqlCapsules
from phenomena.territory import TerritoryRegistry
from prevnet.capsule_media.card import CardFormat, render_card
from prevnet.capsule_media.feed import FeedEntry, atom_feed

LANGUAGES = ("fr", "nl", "de", "en")


def card_png(capsule: Capsule) -> bytes:
    """The square card (1080x1080): the one feeds and chats show best."""
    return render_card(capsule, CardFormat.SQUARE).png


def wide_card_png(capsule: Capsule) -> bytes:
    """The wide card (1200x630): the one websites and link previews show."""
    return render_card(capsule, CardFormat.WIDE).png


def feed_path(nis: str, language: str) -> str:
    """Where a commune's feed in ``language`` is served."""
    return f"/capsules/{nis}/{language}.atom"


def card_path(nis: str, ref: str, language: str, wide: bool = False) -> str:
    """Where a published capsule's square (or wide) card is served."""
    return f"/capsules/{nis}/{ref}-{language}{'-wide' if wide else ''}.png"


def feed_entries(records: list[CapsuleRecord], language: str, base: str) -> list[FeedEntry]:
    """The published capsules written in ``language``, as feed entries with their card."""
    entries = []
    for record in records:
        for capsule in record.capsules:
            if capsule.language == language and record.published_at is not None:
                square = base + card_path(record.municipality, record.ref, language)
                wide = base + card_path(record.municipality, record.ref, language, wide=True)
                entries.append(FeedEntry(record.ref, capsule, record.published_at, square, wide))
    return entries


def add_capsule_feed(
    app: web.Application, capsules: SqlCapsules, territories: TerritoryRegistry, base_url: str
) -> None:
    """Serve the feeds on ``app`` (the pages' server; ``base_url`` is its public address)."""

    async def feed(request: web.Request) -> web.Response:
        nis, language = request.match_info["nis"], request.match_info["language"]
        municipality = territories.municipalities.get(nis)
        if municipality is None or language not in LANGUAGES:
            raise web.HTTPNotFound(
                text="no such feed: the address is /capsules/<municipality NIS code>/"
                "<fr|nl|de|en>.atom"
            )
        entries = feed_entries(await capsules.published(nis), language, base_url.rstrip("/"))
        commune = entries[0].capsule.commune if entries else names_of(municipality)[language]
        body = atom_feed(
            entries,
            commune=commune,
            language=language,
            feed_url=base_url.rstrip("/") + feed_path(nis, language),
        )
        return web.Response(
            body=body,
            content_type="application/atom+xml",
            charset="utf-8",
            headers={"Cache-Control": "public, max-age=300"},
        )

    def card(draw: Callable[[Capsule], bytes]) -> Callable[[web.Request], Awaitable[web.Response]]:
        async def serve(request: web.Request) -> web.Response:
            nis, language = request.match_info["nis"], request.match_info["language"]
            ref = f"C-{request.match_info['id']}"
            record = next((r for r in await capsules.published(nis) if r.ref == ref), None)
            capsule = (
                next((c for c in record.capsules if c.language == language), None)
                if record
                else None
            )
            if capsule is None:
                raise web.HTTPNotFound(text=f"no published capsule {ref} in {language} here")
            png = await asyncio.to_thread(draw, capsule)  # a tenth of a second of drawing
            return web.Response(
                body=png,
                content_type="image/png",
                headers={"Cache-Control": "public, max-age=3600"},
            )

        return serve

    app.router.add_get(r"/capsules/{nis:\d{5}}/{language:[a-z]{2}}.atom", feed)
    card_route = r"/capsules/{nis:\d{5}}/C-{id:\d{1,12}}-{language:[a-z]{2}}"
    app.router.add_get(card_route + ".png", card(card_png))
    app.router.add_get(card_route + "-wide.png", card(wide_card_png))
