"""A person at a Matrix client with end-to-end encryption, as the tests play them."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

import nio


class Person:
    """A logged-in matrix-nio client with its own key store."""

    def __init__(self, url: str, user_id: str, store: Path) -> None:
        store.mkdir(parents=True, exist_ok=True)
        self.client = nio.AsyncClient(
            url,
            user_id,
            store_path=str(store),
            config=nio.AsyncClientConfig(encryption_enabled=True, store_sync_tokens=False),
        )
        self.received: list[tuple[str, nio.Event]] = []
        self.client.add_event_callback(self._record, (nio.RoomMessage, nio.MegolmEvent))

    async def _record(self, room: nio.MatrixRoom, event: nio.Event) -> None:
        self.received.append((room.room_id, event))

    async def login(self, password: str) -> None:
        response = await self.client.login(password, device_name="test client")
        assert isinstance(response, nio.LoginResponse), response
        if self.client.should_upload_keys:
            await self.client.keys_upload()
        await self.client.sync(timeout=0, full_state=True)

    async def room(self, alias: str) -> str:
        response = await self.client.room_resolve_alias(alias)
        assert isinstance(response, nio.RoomResolveAliasResponse), response
        return str(response.room_id)

    async def create_encrypted_room(self, invite: str, *, is_direct: bool = False) -> str:
        """A new end-to-end encrypted room with ``invite`` invited, as Element makes them."""
        created = await self.client.room_create(
            is_direct=is_direct,
            invite=[invite],
            initial_state=[
                {
                    "type": "m.room.encryption",
                    "state_key": "",
                    "content": {"algorithm": "m.megolm.v1.aes-sha2"},
                }
            ],
        )
        assert isinstance(created, nio.RoomCreateResponse), created
        return str(created.room_id)

    async def say(self, room_id: str, text: str) -> str:
        await self.client.sync(timeout=0)
        response = await self.client.room_send(
            room_id,
            "m.room.message",
            {"msgtype": "m.text", "body": text},
            ignore_unverified_devices=True,
        )
        assert isinstance(response, nio.RoomSendResponse), response
        return str(response.event_id)

    async def reply_in_thread(self, room_id: str, root: str, text: str) -> str:
        """Answer in the thread under ``root``, as Element does."""
        await self.client.sync(timeout=0)
        content = {
            "msgtype": "m.text",
            "body": text,
            "m.relates_to": {
                "rel_type": "m.thread",
                "event_id": root,
                "is_falling_back": True,
                "m.in_reply_to": {"event_id": root},
            },
        }
        response = await self.client.room_send(
            room_id, "m.room.message", content, ignore_unverified_devices=True
        )
        assert isinstance(response, nio.RoomSendResponse), response
        return str(response.event_id)

    async def react(self, room_id: str, event_id: str, key: str) -> str:
        """React to an event, as a person clicking an emoji."""
        response = await self.client.room_send(
            room_id,
            "m.reaction",
            {"m.relates_to": {"rel_type": "m.annotation", "event_id": event_id, "key": key}},
            ignore_unverified_devices=True,
        )
        assert isinstance(response, nio.RoomSendResponse), response
        return str(response.event_id)

    async def wait_for(
        self, match: Callable[[str, nio.Event], bool], within: float = 20.0
    ) -> nio.Event:
        deadline = time.monotonic() + within
        seen = 0
        while time.monotonic() < deadline:
            for room_id, event in self.received[seen:]:
                if match(room_id, event):
                    return event
            seen = len(self.received)
            await self.client.sync(timeout=1000)
            await asyncio.sleep(0)
        bodies = [getattr(e, "body", type(e).__name__) for _, e in self.received]
        raise AssertionError(f"nothing matched within {within} s; received: {bodies}")

    async def close(self) -> None:
        await self.client.close()
