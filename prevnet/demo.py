"""``prevnet up --demo``: a small registry with members of every role, and their passwords."""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bots.synapse_admin import SynapseAdmin
from phenomena.partners import MemberStatus
from phenomena.partners_file import parse_partner_file
from phenomena.services.partners import ImportReport, import_partners
from phenomena.services.unit_of_work import UnitOfWork
from phenomena.territory import TerritoryRegistry
from prevnet.reference import shipped_config_dir


def demo_registry_text(server_name: str) -> str:
    """The demo partner file with the server's name filled in."""
    text = (shipped_config_dir() / "demo" / "partners.yaml").read_text(encoding="utf-8")
    return text.replace(":SERVER", f":{server_name}")


async def seed_demo_registry(
    uow: UnitOfWork, territories: TerritoryRegistry, server_name: str
) -> ImportReport:
    """Import the demo registry (idempotent: a second run changes nothing)."""
    text = demo_registry_text(server_name)
    document = parse_partner_file(text, territories, server_name=server_name)
    return await import_partners(uow, document, "demo", datetime.now(UTC), server_name=server_name)


def _known_passwords(path: Path) -> Mapping[str, str]:
    if not path.exists():
        return {}
    return {a["user_id"]: a["password"] for a in json.loads(path.read_text())["accounts"]}


async def write_demo_accounts(
    admin: SynapseAdmin, path: Path, uow: UnitOfWork, homeserver_url: str, server_name: str
) -> list[dict[str, Any]]:
    """Give each active member a password (kept across runs) and list them in ``path`` (0600).

    A member this homeserver cannot serve (another server's ID recorded by an older prevnet) is
    left out: reconciliation reports it, and it must not stop the demo from starting.
    """
    known = _known_passwords(path)
    async with uow:
        members = await uow.members.list(statuses=[MemberStatus.ACTIVE])
    accounts = []
    for member in members:
        if not member.matrix_id.endswith(f":{server_name}"):
            continue
        password = known.get(member.matrix_id)
        if password is None:
            password = secrets.token_urlsafe(12)
            await admin.put_user(member.matrix_id, password=password, logout_devices=False)
        accounts.append(
            {
                "user_id": member.matrix_id,
                "password": password,
                "organisation": member.organisation,
                "roles": list(member.role_names),
            }
        )
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(
            {"homeserver": homeserver_url, "accounts": accounts},
            handle,
            indent=2,
            ensure_ascii=False,
        )
    return accounts
