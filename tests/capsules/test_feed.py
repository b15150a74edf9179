"""The Atom feed of a commune's capsules, read back by a real feed parser (feedparser)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import feedparser
import pytest

from phenomena.capsules.capsule import CapsuleRefused
from phenomena.tlp import Tlp
from prevnet.capsule_media.feed import FeedEntry, atom_feed
from tests.capsules.alerts import LINK, capsule

FEED_URL = "https://prevnet.example.be/capsules/mons/fr.atom"
DAY = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)


def _entries() -> list[FeedEntry]:
    french = capsule("fr")
    return [
        FeedEntry("C-1", french, DAY),
        FeedEntry("C-3", replace(french, title="Un deuxième conseil"), DAY + timedelta(days=7)),
        FeedEntry("C-2", capsule("nl"), DAY + timedelta(days=3)),  # another language
        FeedEntry("C-4", capsule("fr", commune="Quévy"), DAY + timedelta(days=8)),  # elsewhere
    ]


def test_the_feed_parses_without_errors_newest_first() -> None:
    parsed = feedparser.parse(
        atom_feed(_entries(), commune="Mons", language="fr", feed_url=FEED_URL)
    )
    assert parsed.bozo is False, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    assert parsed.feed.title == "Conseils de prévention de Mons"
    assert parsed.feed.language == "fr"
    assert [e.title for e in parsed.entries] == [
        "Un deuxième conseil",
        "Une porte fermée à clé, un logement plus sûr",
    ]
    assert [e.id for e in parsed.entries] == [f"{FEED_URL}#C-3", f"{FEED_URL}#C-1"]


def test_an_entry_carries_the_posts_the_link_and_the_hashtags() -> None:
    parsed = feedparser.parse(
        atom_feed(_entries(), commune="Mons", language="fr", feed_url=FEED_URL)
    )
    entry = parsed.entries[-1]
    drafted = capsule("fr")
    assert entry.summary == drafted.short
    assert entry.content[0].value == drafted.long
    assert entry.link == LINK
    assert [t.term for t in entry.tags] == ["prévention", "cambriolage", "Mons"]
    assert entry.published_parsed[:5] == (2026, 11, 2, 9, 30)


def test_each_language_has_its_own_feed() -> None:
    dutch = feedparser.parse(
        atom_feed(_entries(), commune="Mons", language="nl", feed_url=FEED_URL)
    )
    assert dutch.bozo is False
    assert [e.id for e in dutch.entries] == [f"{FEED_URL}#C-2"]
    assert dutch.feed.title == "Preventietips van Mons"


def test_a_feed_without_capsules_is_still_a_valid_feed() -> None:
    parsed = feedparser.parse(atom_feed([], commune="Mons", language="de", feed_url=FEED_URL))
    assert parsed.bozo is False and parsed.entries == []


def test_a_capsule_that_is_not_public_is_refused_whatever_the_caller_passes() -> None:
    amber = FeedEntry("C-9", replace(capsule("fr"), tlp=Tlp.AMBER), DAY)
    with pytest.raises(CapsuleRefused, match="C-9 is TLP:AMBER: only TLP:CLEAR and TLP:GREEN"):
        atom_feed([amber], commune="Mons", language="fr", feed_url=FEED_URL)
