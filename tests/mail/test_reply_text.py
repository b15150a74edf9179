"""What is left of an e-mailed reply once the quoted bulletin and the signature are cut."""

from __future__ import annotations

import pytest

from prevnet.mail.reply_text import reply_text

OWN = "Seen in Ixelles too.\n\n"
QUOTED = "> TLP:GREEN · Woninginbraak · A-12\n> Xylophone gang targets bungalows\n"


@pytest.mark.parametrize(
    "body",
    [
        OWN + f"On Tue, 1 Dec 2026 at 10:00, prevnet <b@p.example> wrote:\n{QUOTED}",
        OWN + f"Le mar. 1 déc. 2026 à 10:00, prevnet <b@p.example> a écrit :\n{QUOTED}",
        OWN + f"Op di 1 dec. 2026 om 10:00 schreef prevnet <b@p.example>:\n{QUOTED}",
        OWN + f"Am Di., 1. Dez. 2026 um 10:00 schrieb prevnet <b@p.example>:\n{QUOTED}",
        OWN + "-----Original Message-----\nFrom: prevnet\nSent: Tuesday\n\nXylophone",
        OWN + "Van: prevnet <b@p.example>\nVerzonden: dinsdag\nXylophone gang",
        OWN + "-- \nJan Peeters\nPolitie Brussel\n\n" + QUOTED,
        OWN + "Verstuurd vanaf mijn iPhone\n\n" + QUOTED,
        "Seen in Ixelles too.\r\n\r\nSent from my iPhone\r\n",
    ],
)
def test_quotes_and_signatures_are_cut(body: str) -> None:
    assert reply_text(body) == "Seen in Ixelles too."


def test_the_members_own_lines_are_kept_whole() -> None:
    body = "Two lines:\nfirst, then\n\nsecond paragraph.\n\nJan\n"
    assert reply_text(body) == "Two lines:\nfirst, then\n\nsecond paragraph.\n\nJan"


def test_a_reply_of_nothing_but_the_quote_is_empty() -> None:
    assert reply_text(f"\n\nOn Tue, prevnet wrote:\n{QUOTED}") == ""
