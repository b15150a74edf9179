"""Who has never logged in: told by the homeserver, not guessed from prevnet's own records.

An account that ever logged in has a session (a device) or a ``last_seen_ts`` in the admin
API's user list (Synapse keeps it after a logout). One user-list call covers everyone; only the
accounts without ``last_seen_ts`` are asked for their devices.
"""

from __future__ import annotations

from collections.abc import Iterable

from bots.synapse_admin import SynapseAdmin, _q


async def never_logged_in(admin: SynapseAdmin, matrix_ids: Iterable[str]) -> set[str]:
    """Those of ``matrix_ids`` whose account has no session and was never seen."""
    wanted = set(matrix_ids)
    seen = {
        str(user["name"])
        for user in await admin.list_users()
        if user.get("name") in wanted and user.get("last_seen_ts")
    }
    never: set[str] = set()
    for matrix_id in sorted(wanted - seen):
        devices = await admin.request(
            "GET", f"/_synapse/admin/v2/users/{_q(matrix_id)}/devices", ok_missing=True
        )
        if not (devices or {}).get("devices"):
            never.add(matrix_id)
    return never
