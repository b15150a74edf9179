"""``!prefs notify|quiet|language`` on a real homeserver, a member at an encrypted client: typed in
a zone room, the room reads only a pointer, the choice is stored and shown back in the direct
chat, and once a language is chosen the answers come in it."""

from __future__ import annotations

from datetime import time

import nio

from phenomena.notify_prefs import NotifyPreference, QuietHours
from phenomena.priority import Priority
from tests.matrix.conftest import network, room_db
from tests.support.attention_chat import (
    Chat,
    chat_fixture,  # noqa: F401
)

__all__ = ["network", "room_db"]  # the Matrix tests' fixtures


async def test_quiet_hours_typed_in_a_room_are_stored_and_shown_in_the_direct_chat(
    chat: Chat,
) -> None:
    zone = await chat.room("zone:5324")
    prevention = await chat.person("prevention")
    colleague = await chat.person("officer")
    member = chat.registry.member("prevention").matrix_id

    await prevention.say(zone, "!prefs quiet 22:00-07:00")
    answer = await chat.answer("prevention", "Quiet hours: 22:00-07:00")
    assert "only urgent alerts call you then" in answer
    assert (await chat.notify.get(member)).quiet == QuietHours(time(22, 0), time(7, 0))
    pointer = await colleague.wait_for(
        lambda r, e: r == zone and isinstance(e, nio.RoomMessageNotice) and "direct chat" in e.body
    )
    assert "22:00" not in pointer.body

    direct = await chat.direct("prevention")
    await prevention.say(direct, "!prefs notify dringend")
    await chat.answer("prevention", "(notify urgent)")
    await prevention.say(direct, "!prefs language de")
    await chat.answer("prevention", "Sprache: Deutsch")
    await prevention.say(direct, "!prefs")
    shown = await chat.answer("prevention", "Ruhezeiten: 22:00-07:00")
    assert "nur dringende Warnungen (notify urgent)" in shown
    assert await chat.notify.get(member) == NotifyPreference(
        member, Priority.URGENT, QuietHours(time(22, 0), time(7, 0)), "de"
    )
    # the colleague's preferences are untouched
    officer = chat.registry.member("officer").matrix_id
    assert await chat.notify.get(officer) == NotifyPreference(officer)

    await prevention.say(direct, "!prefs quiet sometimes")
    refused = await prevention.wait_for(
        lambda r, e: (
            r == direct and isinstance(e, nio.RoomMessageNotice) and "nothing was changed" in e.body
        )
    )
    assert "22:00-07:00" in refused.body
    assert (await chat.notify.get(member)).quiet == QuietHours(time(22, 0), time(7, 0))
