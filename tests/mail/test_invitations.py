"""Invitation and reset e-mails: what a new member reads, in their language, via a real relay."""

from __future__ import annotations

import pytest

from phenomena.events import MemberAdded
from phenomena.storage.password_links import LinkPurpose, LinkState
from prevnet.mail.invitations import InvitationError, invitation_subscription
from tests.mail.invitation_site import ANN, JEAN, NOMAIL, Site, site
from tests.mail.smtp_relay import relay

__all__ = ["relay", "site"]


def body(site: Site, address: str, index: int = -1) -> str:
    message = site.relay.inbox.to(address)[index]
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


async def test_invitation_says_what_prevnet_is_where_to_log_in_and_holds_one_link(
    site: Site,
) -> None:
    await site.invitations.send_link(JEAN.matrix_id, LinkPurpose.INVITE)
    [message] = site.relay.inbox.to("jean@mons.example")
    assert "Votre invitation à prevnet" in message["Subject"]
    assert message["To"] == "Jean Dupont <jean@mons.example>"
    text = body(site, "jean@mons.example")
    assert "Bonjour Jean Dupont" in text
    assert "réseau fermé" in text
    assert "https://matrix.prevnet.example" in text
    assert "@jean:prevnet.localhost" in text
    assert "Element" in text and "element.io" in text
    [(url, token, language)] = site.links_to("jean@mons.example")
    assert url.startswith(site.base + "/account/password/") and language == "fr"
    link = await site.links.look(token)
    assert link is not None and link.member == JEAN.matrix_id and link.state is LinkState.VALID
    assert "mot de passe :" not in text.lower()  # a link to choose one, never a password


async def test_a_dutch_speaking_zone_gets_dutch(site: Site) -> None:
    await site.invitations.send_link(ANN.matrix_id, LinkPurpose.INVITE)
    text = body(site, "ann@oostende.example")
    assert "Beste Ann Peeters" in text and "gesloten netwerk" in text
    assert "Bonjour" not in text
    [(_, _, language)] = site.links_to("ann@oostende.example")
    assert language == "nl"


async def test_a_new_link_replaces_the_last_one(site: Site) -> None:
    await site.invitations.send_link(JEAN.matrix_id, LinkPurpose.INVITE)
    await site.invitations.send_link(JEAN.matrix_id, LinkPurpose.RESET)
    (_, first, _), (_, second, _) = site.links_to("jean@mons.example")
    old, new = await site.links.look(first), await site.links.look(second)
    assert old is not None and old.state is LinkState.REPLACED
    assert new is not None and new.state is LinkState.VALID
    assert "nouveau mot de passe" in site.relay.inbox.to("jean@mons.example")[1]["Subject"]


async def test_no_address_no_mail_and_the_reason(site: Site) -> None:
    with pytest.raises(InvitationError, match="no e-mail address: set one"):
        await site.invitations.send_link(NOMAIL.matrix_id, LinkPurpose.INVITE)
    with pytest.raises(InvitationError, match="no member @who"):
        await site.invitations.send_link("@who:prevnet.localhost", LinkPurpose.INVITE)
    assert site.relay.inbox.received == []


async def test_a_new_member_is_invited_through_the_outbox_handler(site: Site) -> None:
    subscription = invitation_subscription(site.invitations)
    await subscription.handle(MemberAdded(matrix_id=JEAN.matrix_id, organisation="pcs-mons"))
    await subscription.handle(MemberAdded(matrix_id=NOMAIL.matrix_id, organisation="pcs-mons"))
    assert len(site.links_to("jean@mons.example")) == 1
    assert len(site.relay.inbox.received) == 1
