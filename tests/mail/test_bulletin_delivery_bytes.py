"""The bytes a bulletin e-mail goes to the relay as: written once per alert and room, they are
exactly what Python's email package writes for the same message, for every member."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from phenomena.alert import AlertStatus
from phenomena.territory import TerritoryRegistry
from phenomena.tlp import Tlp
from prevnet.mail.bulletin_mail import MAIL_POLICY, bulletin_template
from prevnet.mail.quoted_printable import QuotedPrintable
from prevnet.mail.sender import WIRE_POLICY
from tests.mail.support import CHAT, CLAIRE, JAN, SETUP, SOURCE, alert

AT = datetime(2026, 11, 21, 9, 30, tzinfo=UTC)
MIXED = ("alternative", "plain", "html")


def as_the_email_package_writes_it(content: bytes) -> bytes:
    """The same message built with ``EmailMessage`` (headers, then ``set_content`` and
    ``add_alternative``) and flattened for the relay, with the same boundary."""
    got = message_from_bytes(content, policy=MAIL_POLICY)
    assert isinstance(got, EmailMessage)
    built = EmailMessage(policy=MAIL_POLICY)
    for name, value in got.items():
        if name not in ("MIME-Version", "Content-Type"):
            built[name] = str(value)
    text, page = (got.get_body(preferencelist=(kind,)) for kind in ("plain", "html"))
    assert text is not None and page is not None
    built.set_content(text.get_content(), cte="quoted-printable")
    built.add_alternative(page.get_content(), subtype="html", cte="quoted-printable")
    boundary = got.get_boundary()
    assert boundary is not None
    built.set_boundary(boundary)
    return built.as_bytes(policy=WIRE_POLICY)


@pytest.mark.parametrize("tlp", [Tlp.CLEAR, Tlp.GREEN, Tlp.AMBER])
@pytest.mark.parametrize(
    "status", [AlertStatus.PUBLISHED, AlertStatus.UPDATED, AlertStatus.CLOSED, AlertStatus.EXPIRED]
)
def test_each_members_bytes_are_the_email_packages(
    territories: TerritoryRegistry, tlp: Tlp, status: AlertStatus
) -> None:
    mailed = alert(tlp, status, version=2, reason="Arrests made = case closed ")
    for language in ("nl", "fr", "de", "en"):
        template = bulletin_template(mailed, language, SETUP, territories, CHAT, SOURCE, AT)
        assert template is not None
        for member in (JAN, CLAIRE, replace(JAN, member_id="@o'brien=x:prevnet.example")):
            mail = template.mail(member)
            assert mail.content == as_the_email_package_writes_it(mail.content)
            assert mail.recipients == (member.address,)
            assert mail.mail_from == "bulletins@prevnet.example"
            parsed = message_from_bytes(mail.content, policy=default)
            assert parsed["Message-ID"] == mail.message_id
            assert parsed.get_content_type() == "multipart/alternative"


def test_a_long_summary_and_odd_links_are_still_written_as_the_email_package_does(
    territories: TerritoryRegistry,
) -> None:
    long = alert(Tlp.CLEAR)
    summary = "Une très longue description = avec des signes égal " * 40
    long = replace(long, content=replace(long.content, summary=summary.strip()))
    odd = replace(
        SETUP, public_url="https://prévnet.example/a path", reply_domain="réponse.example"
    )
    template = bulletin_template(long, "fr", odd, territories, CHAT, SOURCE, AT)
    assert template is not None
    mail = template.mail(CLAIRE)
    assert mail.content == as_the_email_package_writes_it(mail.content)
    assert max(len(line) for line in mail.content.split(b"\r\n")) <= 998


def test_an_address_that_is_not_one_is_refused(territories: TerritoryRegistry) -> None:
    template = bulletin_template(alert(), "nl", SETUP, territories, CHAT, SOURCE, AT)
    assert template is not None
    for bad in ("jan@politie.example, eve@evil.example", "jan@politie.example\r\nBcc: x@y.z"):
        with pytest.raises(ValueError, match="not one plain e-mail address"):
            template.mail(replace(JAN, address=bad))


texts = st.text(st.sampled_from(["a", "é", "=", " ", "\t", "\n", "\r", "€", "Z"]))


@settings(max_examples=300, deadline=None)
@given(
    pieces=st.lists(texts, min_size=1, max_size=4),
    values=st.lists(st.text(st.sampled_from(["x", "=", " ", "ü", "?"])), max_size=3),
    width=st.integers(min_value=4, max_value=12),
)
def test_quoted_printable_pieces_encode_as_set_content(
    pieces: list[str], values: list[str], width: int
) -> None:
    values = (values * 4)[: len(pieces) - 1] if values else [""] * (len(pieces) - 1)
    whole = "".join(p + v for p, v in zip(pieces, [*values, ""], strict=True))
    reference = EmailMessage(policy=default.clone(max_line_length=width))
    reference.set_content(whole, cte="quoted-printable")
    expected = reference.get_payload()
    assert QuotedPrintable(pieces, width, "\n").encode(values) == expected
