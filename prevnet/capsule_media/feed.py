"""An Atom feed of a commune's approved capsules in one language, for its website and apps.

Built with feedgen. Entries are newest first, each with a stable ID (the feed's address and the
capsule's reference), so a reader that saw an entry never shows it twice. Only public capsules
(TLP:CLEAR, TLP:GREEN) may be in it: anything else is refused, whatever the caller passes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from feedgen.feed import FeedGenerator

from phenomena.capsules.capsule import Capsule, require_public
from phenomena.capsules.wording import Wording, check_language


@dataclass(frozen=True)
class FeedEntry:
    """An approved capsule, its reference (``C-3``) and when it was approved (aware datetime)."""

    ref: str
    capsule: Capsule
    approved_at: datetime


def atom_feed(
    entries: Sequence[FeedEntry],
    *,
    commune: str,
    language: str,
    feed_url: str,
) -> bytes:
    """The feed of ``commune`` in ``language`` from ``entries`` (others' capsules are left out).

    ``feed_url`` is where the feed is served: it is the feed's ID and its ``self`` link.
    """
    code = check_language(language)
    for entry in entries:
        require_public(entry.capsule, entry.ref)
        if entry.approved_at.tzinfo is None:
            raise ValueError(f"{entry.ref}: approved_at must carry a time zone")
    mine = sorted(
        (e for e in entries if e.capsule.language == code and e.capsule.commune == commune),
        key=lambda e: (e.approved_at, e.ref),
        reverse=True,
    )
    words = Wording(code)
    feed = FeedGenerator()
    feed.id(feed_url)
    feed.title(words("feed-title", commune=commune))
    feed.subtitle(words("feed-subtitle", commune=commune))
    feed.language(code)
    feed.link(href=feed_url, rel="self", type="application/atom+xml")
    feed.author({"name": commune})
    feed.generator("prevnet")
    if mine:
        feed.link(href=mine[0].capsule.link, rel="alternate", type="text/html")
        feed.updated(mine[0].approved_at)
    for entry in mine:
        item = feed.add_entry(order="append")
        item.id(f"{feed_url}#{entry.ref}")
        item.title(entry.capsule.title)
        item.summary(entry.capsule.short)
        item.content(entry.capsule.long, type="text")
        item.link(href=entry.capsule.link, rel="alternate", type="text/html")
        item.published(entry.approved_at)
        item.updated(entry.approved_at)
        for tag in entry.capsule.hashtags.split():
            item.category(term=tag.lstrip("#"), label=tag)
    xml: bytes = feed.atom_str(pretty=True)
    return xml
