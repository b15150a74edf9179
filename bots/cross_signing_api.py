"""The homeserver's cross-signing endpoints, called through the bot's matrix-nio client.

nio has no cross-signing calls of its own; these go through its HTTP session and access token.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import nio
from signedjson.sign import SignatureVerifyException, verify_signed_json

from bots.signing_keys import CrossSigningKeys, verify_key
from phenomena.errors import PrevnetError

ACCOUNT_DATA_TYPE = "org.prevnet.cross_signing"


class CrossSigningError(PrevnetError):
    """The bot's cross-signing could not be set up; the message says what to do."""


@dataclass(frozen=True)
class OwnKeys:
    """What the homeserver publishes for the bot account (``/keys/query`` about itself)."""

    master: str | None  # public key
    self_signing: str | None
    devices: dict[str, dict[str, Any]]

    def signed_by(self, device_id: str, self_signing: str | None = None) -> bool:
        """Whether the device carries a valid signature by the (given or published) key."""
        public = self_signing or self.self_signing
        device = self.devices.get(device_id)
        if public is None or device is None:
            return False
        user_id = str(device.get("user_id", ""))
        if f"ed25519:{public}" not in device.get("signatures", {}).get(user_id, {}):
            return False
        try:
            verify_signed_json(device, user_id, verify_key(public))
        except SignatureVerifyException:
            return False
        return True


def _only_key(published: dict[str, Any] | None) -> str | None:
    if not published:
        return None
    keys = list(published.get("keys", {}).values())
    return str(keys[0]) if keys else None


class Homeserver:
    """The cross-signing endpoints, through the bot's matrix-nio client."""

    def __init__(self, client: nio.AsyncClient) -> None:
        self.client = client

    @property
    def user_id(self) -> str:
        return str(self.client.user_id)

    async def call(
        self, method: str, path: str, body: dict[str, Any] | None = None
    ) -> tuple[int, dict[str, Any]]:
        headers = {"Authorization": f"Bearer {self.client.access_token}"}
        data = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            data = json.dumps(body)
        response = await self.client.send(method, path, data, headers)
        try:
            answer = await response.json(content_type=None)
        finally:
            response.release()
        return response.status, answer if isinstance(answer, dict) else {}

    async def checked(
        self, method: str, path: str, body: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        status, answer = await self.call(method, path, body)
        if status != 200:
            raise CrossSigningError(
                f"{method} {path} was refused ({status} {answer.get('errcode')}: "
                f"{answer.get('error')}); check the homeserver's log, then start again"
            )
        return answer

    async def own_keys(self) -> OwnKeys:
        answer = await self.checked(
            "POST", "/_matrix/client/v3/keys/query", {"device_keys": {self.user_id: []}}
        )
        return OwnKeys(
            _only_key(answer.get("master_keys", {}).get(self.user_id)),
            _only_key(answer.get("self_signing_keys", {}).get(self.user_id)),
            dict(answer.get("device_keys", {}).get(self.user_id, {})),
        )

    def _account_data_path(self) -> str:
        user = quote(self.user_id, safe="")
        return f"/_matrix/client/v3/user/{user}/account_data/{ACCOUNT_DATA_TYPE}"

    async def shared_copy(self) -> dict[str, Any] | None:
        status, answer = await self.call("GET", self._account_data_path())
        if status == 404:
            return None
        if status != 200:
            raise CrossSigningError(f"the bot's account data could not be read ({status})")
        return answer or None

    async def put_shared_copy(self, content: dict[str, Any]) -> None:
        await self.checked("PUT", self._account_data_path(), content)

    async def upload(
        self, keys: CrossSigningKeys, password: str | None, *, replace: bool = False
    ) -> None:
        """Upload a new identity, answering the homeserver's password challenge (UIA).

        Unless ``replace``, an identity that appeared meanwhile (another instance's first start
        at the same moment) is left in place: ``CrossSigningError`` asks to start again.
        """
        path = "/_matrix/client/v3/keys/device_signing/upload"
        body = keys.upload_body()
        status, answer = await self.call("POST", path, body)
        if status == 401 and not replace and (await self.own_keys()).master is not None:
            raise CrossSigningError(
                "another device of the bot uploaded an identity at the same moment: start this "
                "instance again to take it over"
            )
        if status == 401 and "flows" in answer:
            if password is None:
                await self._allow_replacement_as_admin()
                status, answer = await self.call("POST", path, body)
            else:
                auth = {
                    "type": "m.login.password",
                    "identifier": {"type": "m.id.user", "user": self.user_id},
                    "password": password,
                    "session": answer.get("session"),
                }
                status, answer = await self.call("POST", path, {**body, "auth": auth})
        if status != 200:
            raise CrossSigningError(
                f"the homeserver refused the bot's cross-signing keys ({status} "
                f"{answer.get('errcode')}: {answer.get('error')}). If it asked for the password, "
                "check the bot's password in data/bot-credentials.json"
            )

    async def _allow_replacement_as_admin(self) -> None:
        """Without the bot's password (an external homeserver), ask as its admin (Synapse)."""
        user = quote(self.user_id, safe="")
        path = f"/_synapse/admin/v1/users/{user}/_allow_cross_signing_replacement_without_uia"
        status, answer = await self.call("POST", path, {})
        if status != 200:
            raise CrossSigningError(
                "the homeserver asks for the bot account's password to replace its keys and "
                'prevnet does not know it: add it as "password" to data/bot-credentials.json '
                f"(the admin API answered {status} {answer.get('errcode')})"
            )

    async def sign_devices(self, keys: CrossSigningKeys, devices: list[dict[str, Any]]) -> None:
        """Upload the self-signing key's signatures of these published device keys."""
        signed = {
            str(d["device_id"]): keys.sign_device({k: v for k, v in d.items() if k != "unsigned"})
            for d in devices
        }
        answer = await self.checked(
            "POST", "/_matrix/client/v3/keys/signatures/upload", {self.user_id: signed}
        )
        if answer.get("failures"):
            raise CrossSigningError(
                f"the homeserver refused device signatures: {answer['failures']}"
            )
