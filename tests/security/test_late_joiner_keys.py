"""A RED alert's room key goes only to devices of its room's joined members (issue 19): the bot
re-shares keys with late devices, and an adversarial member of the same zone, or a recipient who
was removed from the alert's room, must not get the key that opens the RED bulletin."""

from __future__ import annotations

from pathlib import Path

import nio
import pytest
from nio.crypto import OutboundGroupSession

from bots.network import MatrixNetwork
from bots.room_key_history import RoomKeyHistory, RoomKeyHistoryError
from bots.synapse_admin import SynapseAdmin
from phenomena.services.partners import suspend_member
from phenomena.storage.database import Database
from phenomena.territory import TerritoryRegistry
from phenomena.tlp import Tlp
from tests.support.key_sharing import in_mons, key_stage
from tests.support.synapse import LocalHomeserver

SECRET = "Informant says the gang moves to Quaregnon on Friday."


async def test_a_red_alert_s_key_goes_only_to_its_room_s_joined_members(
    homeserver: LocalHomeserver,
    admin: SynapseAdmin,
    network: MatrixNetwork,
    room_db: Database,
    territories: TerritoryRegistry,
    tmp_path: Path,
) -> None:
    async with key_stage(homeserver, admin, network, room_db, territories, tmp_path) as stage:
        red = await stage.publish(in_mons(SECRET, Tlp.RED))
        green = await stage.publish(in_mons("Fake water-company agents at the door."))
        (red_room,) = (await stage.ledger.bulletins(red)).values()
        red_session = await stage.session_of(red_room)
        green_session = await stage.session_of(await stage.bulletin(green, "zone:5324"))
        removed = await stage.bot.client.room_kick(red_room.room_id, stage.user("late"), "test")
        assert isinstance(removed, nio.RoomKickResponse), removed

        recipient = await stage.device("analyst", "new")  # Mons police: in the RED room
        assert SECRET in await recipient.read(red_room.room_id, red_room.event_id)
        poison = await stage.unreachable_device("prevention")
        outsider = await stage.device("prevention", "new")  # same zone room, not a recipient
        former = await stage.device("late", "new")  # a recipient no longer in the room
        for person in (outsider, former):
            await person.wait_for_key(green_session)  # served for the zone room they are in
        await stage.settled()
        for person in (outsider, former):
            await person.client.sync(timeout=0)
            assert red_session not in {s for _, s in person.room_keys}, person.client.user_id

        # the bot's synced view may lag behind a removal: only the homeserver's word counts
        stale = stage.bot.client.rooms[red_room.room_id]
        stale.add_member(stage.user("late"), "Late", None)
        assert await stage.sharing.serve([stage.user("late")]) == 0
        await former.client.sync(timeout=0)
        assert red_session not in {s for _, s in former.room_keys}

        # suspended in the registry, not yet taken out of the rooms: their new device gets no key
        await suspend_member(stage.uow(), stage.user("analyst"), "admin", "test", stage.clock())
        phone = await stage.device("analyst", "phone")
        await stage.bot_knows(phone)
        assert await stage.sharing.serve([stage.user("analyst")]) == 0
        await phone.client.sync(timeout=0)
        assert red_session not in {s for _, s in phone.room_keys}

        # the device no Olm session can be made with held nothing back, and is given up on
        history, prevention = stage.sharing.history, stage.user("prevention")

        assert history.claim_attempts(prevention, poison) >= 1
        for _ in range(4):
            stage.sharing.look_at([prevention])
            await stage.settled()
        assert history.claim_attempts(prevention, poison) == 3


async def test_a_member_s_malformed_one_time_key_holds_back_no_key_and_no_bulletin(
    homeserver: LocalHomeserver,
    admin: SynapseAdmin,
    network: MatrixNetwork,
    room_db: Database,
    territories: TerritoryRegistry,
    tmp_path: Path,
) -> None:
    """A member uploads a signed one-time key that is no Curve25519 key. matrix-nio raised while
    claiming it: the bot's first pass over everyone after a restart stopped at that member (the
    others alphabetically after them got no key), and every send to their zone room failed."""
    async with key_stage(homeserver, admin, network, room_db, territories, tmp_path) as stage:
        first = await stage.publish(in_mons("Fake water-company agents at the door."))
        session = await stage.session_of(await stage.bulletin(first, "zone:5324"))
        analyst = stage.user("analyst")  # sorted before every other Mons member
        poison = await stage.unreachable_device("analyst", bad_one_time_key=True)
        await stage.bot_knows_device(analyst, poison)

        await stage.stop_bot()
        newcomer = await stage.device("prevention", "new")  # while the bot is down
        await stage.start_bot()  # its first pass looks at every member of the room
        await newcomer.wait_for_key(session)
        await stage.settled()
        assert stage.sharing.history.claim_attempts(analyst, poison) >= 1

        second = await stage.publish(in_mons("Ladder thieves on building sites."))
        record = await stage.bulletin(second, "zone:5324")  # the zone room still gets bulletins
        assert "Ladder thieves" in await newcomer.read(record.room_id, record.event_id)


def test_kept_session_keys_are_sealed_at_rest_and_open_only_with_the_store_s_key(
    tmp_path: Path,
) -> None:
    session = OutboundGroupSession()
    path = tmp_path / "room-keys.db"
    history = RoomKeyHistory(path, "the store's pickle key")
    history.keep_session("!zone:prevnet.test", session.id, session.session_key)
    history.close()
    assert path.stat().st_mode & 0o077 == 0
    assert session.session_key.encode() not in path.read_bytes()

    reopened = RoomKeyHistory(path, "the store's pickle key")
    assert reopened.session_key(session.id) == ("!zone:prevnet.test", session.session_key)
    reopened.close()
    stolen = RoomKeyHistory(path, "a guess")
    with pytest.raises(RoomKeyHistoryError, match=r"restore bot-store and bot-store\.key"):
        stolen.session_key(session.id)
    stolen.close()
