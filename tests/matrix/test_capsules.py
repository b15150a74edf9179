"""Citizen capsules on a real homeserver, members at encrypted clients, wired as ``prevnet up``
wires them (``capsule_parts``): the draft in the author's direct chat (in the zone room's
French), AMBER refused, four eyes, the zone room getting the text, both image cards and the
poster (decrypted and checked), and the weekly cap with the waiting capsule going out when the
week turns (a driven clock)."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import nio
import pytest
from nio.crypto.attachments import decrypt_attachment
from PIL import Image
from pypdf import PdfReader

from bots.capsule_commands import register_capsule_commands
from bots.network import MatrixNetwork
from bots.synapse_admin import SynapseAdmin
from phenomena.alert import AlertContent
from phenomena.capsules.service import CapsuleState, parse_capsule_ref
from phenomena.storage.database import Database
from phenomena.storage.outbox import Outbox
from phenomena.storage.unit_of_work import SqlUnitOfWork
from phenomena.taxonomy import PhenomenonType
from phenomena.territory import TerritoryRegistry
from phenomena.tlp import Tlp
from prevnet.capsule_settings import CapsuleSettings
from prevnet.capsule_wiring import CapsuleParts, capsule_parts
from prevnet.dispatch import Dispatcher
from prevnet.settings import Settings
from tests.support.attention_chat import Chat, attention_chat
from tests.support.people import Person
from tests.support.synapse import LocalHomeserver

PAGE = "https://www.mons.be/vivre-a-mons/prevention"
ADVICE = "Fermez portes et fenêtres à clé, même pour une courte absence."


def burglaries(tlp: Tlp) -> AlertContent:
    return AlertContent(
        PhenomenonType.RESIDENTIAL_BURGLARY,
        ("53053",),
        date.today(),
        None,
        tlp,
        "Several burglaries in the evening in Hyon.",
        advice=ADVICE,
    )


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Capsules:
    chat: Chat
    parts: CapsuleParts
    clock: Clock

    async def deliver(self) -> None:
        """Run the capsules' outbox handlers once over what is queued."""
        outbox = Outbox(self.chat.db, "capsule-test", self.clock)
        subscriptions = list(self.parts.subscriptions)
        await Dispatcher(outbox, subscriptions, retry_base=0.2, clock=self.clock).run_once()
        assert (await outbox.stats()).pending == 0, "a capsule delivery failed"

    async def ask(self, who: str, room: str, text: str, answer: str) -> str:
        """``who`` types ``text`` in ``room``; the bot's notice containing ``answer`` there."""
        person = await self.chat.person(who)
        await person.say(room, text)
        return await self.notice(person, room, answer)

    async def notice(self, person: Person, room: str, contains: str) -> str:
        found = await person.wait_for(
            lambda r, e: r == room and isinstance(e, nio.RoomMessageNotice) and contains in e.body
        )
        return str(getattr(found, "body", ""))


@pytest.fixture
async def capsules(
    homeserver: LocalHomeserver,
    admin: SynapseAdmin,
    network: MatrixNetwork,
    room_db: Database,
    territories: TerritoryRegistry,
    tmp_path: Path,
) -> AsyncIterator[Capsules]:
    async with attention_chat(homeserver, admin, network, room_db, territories, tmp_path) as chat:
        async with SqlUnitOfWork(room_db.sessions) as uow:
            commune = await uow.organisations.get("pcs-mons")
            assert commune is not None
            commune.change(commune.name, commune.kind, commune.territories, prevention_url=PAGE)
            await uow.organisations.save(commune)
            await uow.commit()
        clock = Clock()
        settings = Settings(capsules=CapsuleSettings(capsules_per_week=1))
        parts = capsule_parts(
            settings,
            room_db,
            chat.desk,
            clock,
            lambda: None,
            chat.bot.client,
            chat.bot.post,
            network.room_id,
        )
        register_capsule_commands(chat.bot.commands, parts.desk)
        yield Capsules(chat, parts, clock)


async def test_a_capsule_goes_from_the_direct_chat_to_the_zone_room_after_four_eyes(
    capsules: Capsules,
) -> None:
    chat = capsules.chat
    alert = await chat.publish(burglaries(Tlp.GREEN))
    amber = await chat.publish(burglaries(Tlp.AMBER))
    zone = await chat.room("zone:5324")

    prevention = await chat.person("prevention")
    await prevention.say(zone, f"!capsule {alert.ref}")
    draft = await chat.answer("prevention", "Brouillon C-")  # said in the zone room's French
    assert f"de {alert.ref}" in draft and PAGE in draft and ADVICE[:30] in draft
    assert "Contrôle" in draft
    await capsules.notice(prevention, zone, "direct chat")  # the room gets a pointer only
    ref = draft.split()[1]

    officer = await chat.person("officer")
    await officer.say(zone, f"!capsule {amber.ref}")
    refused = await chat.answer("officer", "TLP:AMBER")  # the refusal too: not for the room
    assert "seules les alertes TLP:CLEAR et TLP:GREEN" in refused

    direct = await chat.direct("prevention")
    own = await capsules.ask("prevention", direct, f"!capsule approve {ref}", "you wrote")
    assert "second person" in own

    analyst = await chat.person("analyst")
    await analyst.say(zone, f"!capsule approve {ref}")
    approved = await chat.answer("analyst", "Approuvée.")
    assert "publiée" in approved
    await capsules.deliver()

    text = await capsules.notice(prevention, zone, f"Capsule citoyenne {ref}")
    assert ADVICE[:30] in text and PAGE in text
    image = await prevention.wait_for(
        lambda r, e: r == zone and isinstance(e, nio.RoomEncryptedImage)
    )
    assert isinstance(image, nio.RoomEncryptedImage)
    download = await prevention.client.download(mxc=image.url)
    assert isinstance(download, nio.DownloadResponse), download
    assert not download.body.startswith(b"\x89PNG")  # the homeserver holds ciphertext
    png = decrypt_attachment(download.body, image.key["k"], image.hashes["sha256"], image.iv)
    assert Image.open(io.BytesIO(png)).size == (1080, 1080)
    wide = await prevention.wait_for(
        lambda r, e: r == zone and isinstance(e, nio.RoomEncryptedImage) and "1200x630" in e.body
    )
    assert isinstance(wide, nio.RoomEncryptedImage)
    download = await prevention.client.download(mxc=wide.url)
    assert isinstance(download, nio.DownloadResponse), download
    png = decrypt_attachment(download.body, wide.key["k"], wide.hashes["sha256"], wide.iv)
    assert Image.open(io.BytesIO(png)).size == (1200, 630)  # for websites and link previews
    poster = await prevention.wait_for(
        lambda r, e: r == zone and isinstance(e, nio.RoomEncryptedFile)
    )
    assert isinstance(poster, nio.RoomEncryptedFile)
    download = await prevention.client.download(mxc=poster.url)
    assert isinstance(download, nio.DownloadResponse), download
    pdf = decrypt_attachment(download.body, poster.key["k"], poster.hashes["sha256"], poster.iv)
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1 and "Mons" in reader.pages[0].extract_text()


async def test_beyond_the_weekly_cap_a_capsule_waits_then_goes_out_when_the_week_turns(
    capsules: Capsules,
) -> None:
    chat = capsules.chat
    alert = await chat.publish(burglaries(Tlp.GREEN))
    zone = await chat.room("zone:5324")
    prevention = await chat.person("prevention")
    await prevention.say(zone, f"!capsule {alert.ref}")
    first = (await chat.answer("prevention", "Brouillon C-")).split()[1]
    direct = await chat.direct("prevention")
    await prevention.say(direct, f"!capsule {alert.ref}")
    again = await prevention.wait_for(
        lambda r, e: (
            r == direct
            and isinstance(e, nio.RoomMessageNotice)
            and e.body.startswith("Draft C-")
            and e.body.split()[1] != first
        )
    )
    refs = [first, str(getattr(again, "body", "")).split()[1]]
    analyst = await chat.person("analyst")
    await analyst.say(zone, f"!capsule approve {refs[0]}")
    await chat.answer("analyst", f"{refs[0]} est publiée")
    await analyst.say(zone, f"!capsule approve {refs[1]}")
    await chat.answer("analyst", f"{refs[1]} est approuvée et attend")
    await capsules.deliver()
    await capsules.notice(prevention, zone, f"Capsule citoyenne {refs[0]}")

    await capsules.parts.publish_due()  # the scheduler's round, the same week: nothing
    second = await capsules.parts.store.get(parse_capsule_ref(refs[1]))
    assert second is not None and second.state is CapsuleState.WAITING

    capsules.clock.now += timedelta(days=7)  # the week turns
    await capsules.parts.publish_due()
    await capsules.parts.publish_due()  # a second instance, or a restart: nothing more
    await capsules.deliver()
    await capsules.notice(prevention, zone, f"Capsule citoyenne {refs[1]}")
    posted = [
        e
        for r, e in prevention.received
        if r == zone and isinstance(e, nio.RoomMessageNotice) and refs[1] in e.body
    ]
    assert len(posted) == 1
