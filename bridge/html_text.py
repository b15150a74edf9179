"""Plain text from a Discourse post's cooked HTML, read with the standard library's HTML parser.

A parser, not a pattern: the text of ``<script>``, ``<style>`` and comments never reaches a
Matrix room, entities are decoded once, and block elements (paragraphs, list items, headings,
line breaks) keep their lines; list items are marked and indented by their depth.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

HIDDEN = frozenset({"script", "style", "template", "noscript", "head", "title"})
BLOCKS = frozenset(
    {
        "address", "article", "aside", "blockquote", "dd", "details", "div", "dl", "dt",
        "figcaption", "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr",
        "li", "main", "nav", "ol", "p", "pre", "section", "summary", "table", "tr", "ul",
    }
)  # fmt: skip
LISTS = frozenset({"ul", "ol"})
SPACES = re.compile(r"[ \t\n\r\f]+")  # HTML's white space; a no-break space stays


class _TextParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self._line: list[str] = []
        self._hidden: list[str] = []  # the hidden elements we are inside, innermost last
        self._lists = 0  # how deep in lists we are
        self._marker = ""  # a list item's marker, put before its first text

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in HIDDEN:
            self._hidden.append(tag)
            return
        if self._hidden:
            return
        if tag == "br" or tag in BLOCKS:
            self._break()
        if tag in LISTS:
            self._lists += 1
        elif tag == "li":
            self._marker = "  " * max(self._lists - 1, 0) + "- "

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if not self._hidden and (tag == "br" or tag in BLOCKS):
            self._break()

    def handle_endtag(self, tag: str) -> None:
        if tag in HIDDEN:
            if tag in self._hidden:
                while self._hidden and self._hidden.pop() != tag:
                    pass
            return
        if self._hidden:
            return
        if tag in LISTS:
            self._lists = max(self._lists - 1, 0)
        if tag in BLOCKS:
            self._break()

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self._line.append(data)

    def _break(self) -> None:
        text = SPACES.sub(" ", "".join(self._line)).strip(" ")
        if text:
            self.lines.append(self._marker + text)
            self._marker = ""
        self._line = []

    def text(self) -> str:
        self.close()
        self._break()
        return "\n".join(self.lines)


def html_to_text(cooked: str) -> str:
    """The visible text of ``cooked``: one line per block, words separated by single spaces."""
    parser = _TextParser()
    parser.feed(cooked)
    return parser.text()


def excerpt(cooked: str, length: int = 280) -> str:
    """Plain text from a post's HTML, at most ``length`` characters, cut at a word."""
    text = html_to_text(cooked)
    if len(text) <= length:
        return text
    cut = text[:length]
    space = max(cut.rfind(" "), cut.rfind("\n"))
    return (cut[:space] if space > 0 else cut).rstrip() + " …"
