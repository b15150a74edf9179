"""An Atom feed of a commune's approved capsules in one language, for its website and apps.

Built with feedgen. Entries are newest first, each with a stable ID (the feed's address and the
capsule's reference), so a reader that saw an entry never shows it twice. Only public capsules
(TLP:CLEAR, TLP:GREEN) may be in it: anything else is refused, whatever the caller passes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from xml.etree import ElementTree

from feedgen.feed import FeedGenerator

from phenomena.capsules.capsule import Capsule, require_public
from phenomena.capsules.wording import Wording, check_language

_ATOM = "{http://www.w3.org/2005/Atom}"


@dataclass(frozen=True)
class FeedEntry:
    """An approved capsule, its reference (``C-3``) and when it was approved (aware datetime);
    ``image_url``, where its square card is served, and ``wide_image_url`` its 1200x630 card
    (for websites and link previews): enclosures for readers that show pictures."""

    ref: str
    capsule: Capsule
    approved_at: datetime
    image_url: str | None = None
    wide_image_url: str | None = None

    @property
    def images(self) -> tuple[str, ...]:
        """The cards' addresses, square first."""
        return tuple(u for u in (self.image_url, self.wide_image_url) if u is not None)


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
        for image in entry.images:
            item.link(href=image, rel="enclosure", type="image/png")
        item.published(entry.approved_at)
        item.updated(entry.approved_at)
        for tag in entry.capsule.hashtags.split():
            item.category(term=tag.lstrip("#"), label=tag)
    xml: bytes = feed.atom_str(pretty=True)
    return _entry_link_kinds(xml, {url for e in mine for url in e.images})


def _entry_link_kinds(xml: bytes, images: set[str]) -> bytes:
    """The entries' links with their ``rel`` and ``type``, which feedgen 1.0 drops from entry
    links (it reads them from the XML element it just made): the prevention page as the
    alternate page, each card as an image enclosure."""
    ElementTree.register_namespace("", _ATOM[1:-1])  # Atom as the default namespace
    root = ElementTree.fromstring(xml)  # noqa: S314 - the XML feedgen just wrote, not input
    for link in root.iterfind(f"{_ATOM}entry/{_ATOM}link"):
        image = link.get("href") in images
        link.set("rel", "enclosure" if image else "alternate")
        link.set("type", "image/png" if image else "text/html")
    ElementTree.indent(root)
    out: bytes = ElementTree.tostring(root, encoding="utf-8", xml_declaration=True)
    return out
