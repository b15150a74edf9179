"""The bot's own Megolm sessions kept from their first message, so late joiners can be given them.

matrix-nio forgets an outbound session's key as soon as it moves on; a member who joins a room
later, or logs in on a new device, then can never read a bulletin sent before. This store keeps,
beside the bot's key store and per bot device, each outbound session's key at index 0 in the
signed ``m.room_key`` format (``session_key``), which events each session encrypted, and which
devices were already given it. Keys are encrypted at rest (AES-GCM) under a key derived from the
store's pickle key (``bots.key_store``), so a copy of this file alone reveals no room key.

It lives with the device, not in prevnet's database: only the device that made a session can hand
it on as an ``m.room_key`` that clients authenticate (Olm from the same identity key), so each
scale-out instance serves the sessions it made itself, from its own store.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
from collections.abc import Collection, Iterable
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    session_id TEXT PRIMARY KEY, room_id TEXT NOT NULL, sealed BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS posts (
    event_id TEXT NOT NULL, session_id TEXT NOT NULL, room_id TEXT NOT NULL, about TEXT,
    PRIMARY KEY (event_id, session_id)
);
CREATE INDEX IF NOT EXISTS posts_about ON posts (about);
CREATE TABLE IF NOT EXISTS shares (
    session_id TEXT NOT NULL, user_id TEXT NOT NULL, device_id TEXT NOT NULL,
    PRIMARY KEY (session_id, user_id, device_id)
);
CREATE TABLE IF NOT EXISTS claim_failures (
    user_id TEXT NOT NULL, device_id TEXT NOT NULL, attempts INTEGER NOT NULL,
    PRIMARY KEY (user_id, device_id)
);
"""


class RoomKeyHistoryError(RuntimeError):
    """A kept session key cannot be opened: the store's key file is not the one it was made
    with. Restore ``bot-store`` and ``bot-store.key`` from the same backup."""


def history_file(store: Path, user_id: str, device_id: str) -> Path:
    """The SQLite file of a device's session history, beside matrix-nio's own database."""
    return store / f"{user_id}_{device_id}.room-keys.db"


def _sealing_key(pickle_key: str) -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"prevnet room keys v1")
    return hkdf.derive(pickle_key.encode("utf-8"))


class RoomKeyHistory:
    """Session keys, the events they encrypted, and who was given them (one bot device)."""

    def __init__(self, path: Path, pickle_key: str) -> None:
        os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))  # owner-only before SQLite writes
        self._db = sqlite3.connect(path, isolation_level=None)  # each statement commits
        self._db.executescript(_SCHEMA)
        self._aead = AESGCM(_sealing_key(pickle_key))

    def close(self) -> None:
        self._db.close()

    # -- sessions -----------------------------------------------------------------------------

    def keep_session(self, room_id: str, session_id: str, session_key: str) -> None:
        """Keep a new outbound session's key (at index 0: call before its first message)."""
        nonce = os.urandom(12)
        sealed = nonce + self._aead.encrypt(
            nonce, session_key.encode("ascii"), _aad(room_id, session_id)
        )
        self._db.execute(
            "INSERT OR IGNORE INTO sessions VALUES (?, ?, ?)", (session_id, room_id, sealed)
        )

    def session_key(self, session_id: str) -> tuple[str, str] | None:
        """(room ID, session key) of a kept session, or None."""
        row = self._db.execute(
            "SELECT room_id, sealed FROM sessions WHERE session_id = ?", (session_id,)
        ).fetchone()
        if row is None:
            return None
        room_id, sealed = str(row[0]), bytes(row[1])
        try:
            plain = self._aead.decrypt(sealed[:12], sealed[12:], _aad(room_id, session_id))
        except Exception as exc:  # cryptography's InvalidTag
            raise RoomKeyHistoryError(
                f"the kept key of session {session_id} does not open with this store's key: "
                "restore bot-store and bot-store.key from the same backup"
            ) from exc
        return room_id, plain.decode("ascii")

    # -- what each session encrypted ----------------------------------------------------------

    def record_post(
        self, room_id: str, event_id: str, session_ids: Iterable[str], about: str | None
    ) -> None:
        """``event_id`` was encrypted with these sessions; ``about`` is the event it edits or
        answers in a thread (a bulletin's edits and notes count with the bulletin)."""
        self._db.executemany(
            "INSERT OR IGNORE INTO posts VALUES (?, ?, ?, ?)",
            [(event_id, session, room_id, about) for session in session_ids],
        )

    def sessions_for(self, event_ids: Collection[str]) -> dict[str, set[str]]:
        """The kept sessions, by room ID, that encrypted these events or their edits and notes."""
        self._db.execute("CREATE TEMP TABLE IF NOT EXISTS wanted (event_id TEXT PRIMARY KEY)")
        self._db.execute("DELETE FROM wanted")
        self._db.executemany("INSERT OR IGNORE INTO wanted VALUES (?)", [(e,) for e in event_ids])
        rows = self._db.execute(
            "SELECT DISTINCT p.room_id, p.session_id FROM posts p"
            " JOIN sessions s ON s.session_id = p.session_id AND s.room_id = p.room_id"
            " WHERE p.event_id IN (SELECT event_id FROM wanted)"
            " OR p.about IN (SELECT event_id FROM wanted)"
        ).fetchall()
        found: dict[str, set[str]] = {}
        for room_id, session_id in rows:
            found.setdefault(str(room_id), set()).add(str(session_id))
        return found

    # -- who has been given what --------------------------------------------------------------

    def was_shared(self, session_id: str, user_id: str, device_id: str) -> bool:
        row = self._db.execute(
            "SELECT 1 FROM shares WHERE session_id = ? AND user_id = ? AND device_id = ?",
            (session_id, user_id, device_id),
        ).fetchone()
        return row is not None

    def mark_shared(self, session_id: str, devices: Iterable[tuple[str, str]]) -> None:
        """These (user, device) pairs hold the session: never send it to them again."""
        self._db.executemany(
            "INSERT OR IGNORE INTO shares VALUES (?, ?, ?)",
            [(session_id, user, device) for user, device in devices],
        )

    def claim_failed(self, user_id: str, device_id: str) -> int:
        """Count a failed attempt to reach a device; returns the attempts so far."""
        self._db.execute(
            "INSERT INTO claim_failures VALUES (?, ?, 1) ON CONFLICT (user_id, device_id)"
            " DO UPDATE SET attempts = attempts + 1",
            (user_id, device_id),
        )
        return self.claim_attempts(user_id, device_id)

    def claim_attempts(self, user_id: str, device_id: str) -> int:
        row = self._db.execute(
            "SELECT attempts FROM claim_failures WHERE user_id = ? AND device_id = ?",
            (user_id, device_id),
        ).fetchone()
        return int(row[0]) if row else 0


def _aad(room_id: str, session_id: str) -> bytes:
    """Binds a sealed key to its room and session: a row moved to another room does not open."""
    return hashlib.sha256(f"{room_id}\n{session_id}".encode()).digest()
