"""Ordinary members at raw client-server calls, for probing what the homeserver lets them do."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import aiohttp

from bots.synapse_admin import Session, SynapseAdmin
from tests.support.synapse import LocalHomeserver


async def person(admin: SynapseAdmin, homeserver: LocalHomeserver, name: str) -> Session:
    """A fresh account made with the admin API, logged in."""
    user_id = homeserver.user_id(homeserver.unique(name))
    await admin.put_user(user_id, password="pw-" + user_id, displayname=f"{name} {user_id[1:9]}")
    return await admin.login(user_id, "pw-" + user_id)


async def status(http: aiohttp.ClientSession, method: str, url: str, **kwargs: object) -> int:
    """The HTTP status of one request."""
    async with http.request(method, url, **kwargs) as response:  # type: ignore[arg-type]
        return response.status


@dataclass
class Answer:
    """A client-server answer: its status and JSON body."""

    status: int
    body: dict[str, Any]

    @property
    def error(self) -> str:
        return str(self.body.get("error", ""))


@dataclass
class Caller:
    """One account's raw client-server API."""

    http: aiohttp.ClientSession
    url: str
    session: Session

    @property
    def user_id(self) -> str:
        return self.session.user_id

    async def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Answer:
        headers = {"Authorization": f"Bearer {self.session.access_token}"}
        async with self.http.request(
            method, f"{self.url}/_matrix/client/v3{path}", json=body, headers=headers
        ) as response:
            return Answer(response.status, await response.json(content_type=None) or {})

    async def create_room(self, **request: Any) -> Answer:
        return await self.call("POST", "/createRoom", request)

    async def put_state(
        self, room_id: str, event_type: str, content: dict[str, Any], state_key: str = ""
    ) -> Answer:
        path = f"/rooms/{quote(room_id)}/state/{event_type}/{quote(state_key)}"
        return await self.call("PUT", path, content)

    async def state(self, room_id: str, event_type: str, state_key: str = "") -> dict[str, Any]:
        answer = await self.call(
            "GET", f"/rooms/{quote(room_id)}/state/{event_type}/{quote(state_key)}"
        )
        assert answer.status == 200, answer
        return answer.body

    async def state_event_id(self, room_id: str, event_type: str, state_key: str = "") -> str:
        """The ID of the event that holds a piece of the room's current state."""
        headers = {"Authorization": f"Bearer {self.session.access_token}"}
        url = f"{self.url}/_matrix/client/v3/rooms/{quote(room_id)}/state"
        async with self.http.get(url, headers=headers) as response:
            events: list[dict[str, Any]] = await response.json()
        [found] = [e for e in events if (e["type"], e["state_key"]) == (event_type, state_key)]
        return str(found["event_id"])

    async def invite(self, room_id: str, user_id: str) -> Answer:
        return await self.call("POST", f"/rooms/{quote(room_id)}/invite", {"user_id": user_id})

    async def set_alias(self, alias: str, room_id: str) -> Answer:
        return await self.call("PUT", f"/directory/room/{quote(alias)}", {"room_id": room_id})

    async def resolve(self, alias: str) -> str | None:
        answer = await self.call("GET", f"/directory/room/{quote(alias)}")
        return str(answer.body["room_id"]) if answer.status == 200 else None

    async def joined_rooms(self) -> list[str]:
        answer = await self.call("GET", "/joined_rooms")
        return list(answer.body["joined_rooms"])


ENCRYPTION = {"algorithm": "m.megolm.v1.aes-sha2"}


async def bot_room(bot: Caller, admin: SynapseAdmin, member: Caller, power: int) -> str:
    """A room the bot creates as prevnet does (invite-only, encrypted), ``member`` joined with
    ``power`` in it."""
    created = await bot.create_room(
        preset="private_chat",
        initial_state=[
            {"type": "m.room.join_rules", "state_key": "", "content": {"join_rule": "invite"}},
            {
                "type": "m.room.history_visibility",
                "state_key": "",
                "content": {"history_visibility": "shared"},
            },
            {"type": "m.room.encryption", "state_key": "", "content": ENCRYPTION},
        ],
        power_level_content_override={"users": {member.user_id: power}},
    )
    assert created.status == 200, created
    room_id = str(created.body["room_id"])
    await admin.force_join(member.user_id, room_id)
    return room_id
