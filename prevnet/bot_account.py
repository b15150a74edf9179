"""The bot's account: created once with the registration secret, its credentials kept 0600."""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

from bots.synapse_admin import MatrixAdminError, Session, SynapseAdmin

BOT_LOCALPART = "prevnet"


def _load(path: Path) -> dict[str, str] | None:
    if not path.exists():
        return None
    loaded: dict[str, str] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


def _save(path: Path, data: dict[str, str]) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=2)


async def ensure_bot_session(admin: SynapseAdmin, credentials: Path, shared_secret: str) -> Session:
    """The bot's session: reuse the stored one, log in again if it expired, or register."""
    stored = _load(credentials)
    if stored is not None:
        session = Session(stored["user_id"], stored["access_token"], stored["device_id"])
        try:
            await admin.request(
                "GET", "/_matrix/client/v3/account/whoami", token=session.access_token
            )
            return session
        except MatrixAdminError:
            session = await admin.login(stored["user_id"], stored["password"], stored["device_id"])
            _save(credentials, {**stored, "access_token": session.access_token})
            return session
    password = secrets.token_urlsafe(32)
    session = await admin.register(
        shared_secret, BOT_LOCALPART, password, admin=True, displayname="prevnet"
    )
    _save(
        credentials,
        {
            "user_id": session.user_id,
            "access_token": session.access_token,
            "device_id": session.device_id,
            "password": password,
        },
    )
    return session
