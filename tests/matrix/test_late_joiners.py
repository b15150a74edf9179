"""Late joiners (issue 19): a member who joins a zone room after a bulletin, or logs in on a new
device, reads the open alerts there, because the bot re-shares the room keys with their device;
nobody gets a key for a room they are not in, nor for a closed alert."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bots.network import MatrixNetwork
from bots.synapse_admin import SynapseAdmin
from phenomena.storage.database import Database
from phenomena.territory import TerritoryRegistry
from tests.support.jsclient import JsClients, js_clients_fixture  # noqa: F401
from tests.support.key_sharing import PASSWORD, KeyStage, in_mons, key_stage
from tests.support.synapse import LocalHomeserver


@pytest.fixture
async def stage(
    homeserver: LocalHomeserver,
    admin: SynapseAdmin,
    network: MatrixNetwork,
    room_db: Database,
    territories: TerritoryRegistry,
    tmp_path: Path,
) -> AsyncIterator[KeyStage]:
    async with key_stage(
        homeserver, admin, network, room_db, territories, tmp_path, absent=("late",)
    ) as built:
        yield built


async def test_a_member_who_joins_later_and_their_new_device_read_the_open_alert(
    stage: KeyStage,
) -> None:
    officer = await stage.device("officer", "desk")  # in the room when the bulletin is sent
    await stage.bot_knows(officer)
    alert_id = await stage.publish(in_mons("Fake water-company agents at the door."))
    bulletin = await stage.bulletin(alert_id, "zone:5324")
    session = await stage.session_of(bulletin)
    laptop = await stage.device("late", "laptop")  # logged in, not yet in any room

    await stage.network.apply_member(stage.members["late"], stage.orgs)  # joins zone:5324
    assert "water-company" in await laptop.read(bulletin.room_id, bulletin.event_id)

    phone = await stage.device("late", "phone")  # a second device, after the bulletin
    assert "water-company" in await phone.read(bulletin.room_id, bulletin.event_id)

    await stage.restart_bot()  # it looks at every member of the room again, and sends nothing
    await stage.settled()
    for device in (officer, laptop, phone):
        await device.client.sync(timeout=0)
        assert device.room_keys.count((bulletin.room_id, session)) == 1, device.client.device_id


async def test_a_late_joiner_at_elements_sdk_reads_the_open_alert(
    stage: KeyStage, js_clients: JsClients
) -> None:
    """Element's Rust crypto takes a re-shared key only if it is a proper ``m.room_key``."""
    alert_id = await stage.publish(in_mons("Fake water-company agents at the door."))
    bulletin = await stage.bulletin(alert_id, "zone:5324")
    await stage.admin.put_user(stage.user("late"), password=PASSWORD)
    element = await js_clients("late")
    await element.login(stage.homeserver.url, stage.user("late"), PASSWORD)

    await stage.network.apply_member(stage.members["late"], stage.orgs)  # joins zone:5324
    seen = await element.wait_for_event(bulletin.room_id, event_id=bulletin.event_id, within=60)
    assert seen.encrypted and seen.decryption_failure is None
    assert "water-company" in seen.body


async def test_no_key_for_another_zone_s_room_nor_for_a_closed_alert(stage: KeyStage) -> None:
    closed = await stage.publish(in_mons("Ladder thieves on building sites."))
    await stage.close(closed)
    first = await stage.device("boraine", "first")  # the Boraine room's devices change
    still_open = await stage.publish(in_mons("Fake water-company agents at the door."))
    mons = await stage.session_of(await stage.bulletin(still_open, "zone:5324"))
    closed_session = await stage.session_of(await stage.bulletin(closed, "zone:5327"))
    open_session = await stage.session_of(await stage.bulletin(still_open, "zone:5327"))
    assert closed_session != open_session  # the new device made the bot start a new session

    second = await stage.device("boraine", "second")
    await second.wait_for_key(open_session)  # the open alert in their own zone's room
    await stage.settled()
    await second.client.sync(timeout=0)
    sessions = {session for _, session in second.room_keys}
    assert closed_session not in sessions, "a closed alert's key was re-shared"
    assert mons not in sessions, "a key of the Mons room went to a member of Boraine"
    assert closed_session not in {session for _, session in first.room_keys}
