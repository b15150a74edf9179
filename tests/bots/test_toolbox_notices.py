"""Toolbox news carried into chat by the bot: what a forum author wrote must not use the bot's
power to notify a whole room (a Matrix ``@room`` needs a power level members do not have)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bots.toolbox import ToolboxNotices
from phenomena.events import ToolboxReplied, ToolboxTopicCreated


@dataclass(frozen=True)
class Bulletin:
    alert_id: int
    room: str
    room_id: str
    event_id: str
    version: int = 1


class Ledger:
    async def find_bulletin(self, event_id: str) -> Bulletin | None:
        return None

    async def bulletins(self, alert_id: int) -> Mapping[str, Bulletin]:
        return {"zone:5324": Bulletin(alert_id, "zone:5324", "!mons", "$zone")}


async def test_an_at_room_from_the_toolbox_pings_no_one() -> None:
    posted: list[dict[str, Any]] = []

    async def post(room_id: str, content: dict[str, Any], tx_id: str) -> str:
        posted.append(content)
        return "$posted"

    async def room_id_of(room: str) -> str | None:
        return "!toolbox"

    notices = ToolboxNotices(post, room_id_of, Ledger())
    url = "https://toolbox.example/t/1"
    await notices.handle(ToolboxReplied(7, 1, "mallory", "@room urgent, read this", url))
    await notices.handle(ToolboxTopicCreated(1, "@room new guide", "guides", "@room", url))
    assert [c["body"].count("@room") > 0 for c in posted] == [True, True]
    assert [c["m.mentions"] for c in posted] == [{}, {}]
