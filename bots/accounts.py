"""Accounts follow the registry through the Synapse admin API: made, named, locked, deactivated."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

from bots.reconcile_report import ReconcileReport
from bots.synapse_admin import SynapseAdmin
from phenomena.partners import Member, MemberStatus


async def ensure_account(
    admin: SynapseAdmin, member: Member, known: Mapping[str, Any] | None, report: ReconcileReport
) -> None:
    """Make the account match the member: exists, active or locked, named right."""
    user_id = member.matrix_id
    account = known if known is not None else await admin.get_user(user_id)
    if member.status is MemberStatus.REMOVED:
        if account is not None and not account.get("deactivated"):
            await admin.deactivate(user_id)
            report.accounts_fixed.append(user_id)
        return
    if account is None:
        await admin.put_user(
            user_id,
            displayname=member.display_name,
            password=secrets.token_urlsafe(18),
            locked=member.status is MemberStatus.SUSPENDED,
        )
        report.accounts_created.append(user_id)
        return
    changes: dict[str, Any] = {}
    if account.get("deactivated"):
        changes.update(deactivated=False, password=secrets.token_urlsafe(18))
    locked = member.status is MemberStatus.SUSPENDED
    if bool(account.get("locked")) != locked:
        changes["locked"] = locked
    if account.get("displayname") != member.display_name:
        changes["displayname"] = member.display_name
    if changes:
        await admin.put_user(user_id, **changes)
        report.accounts_fixed.append(user_id)
    if locked:
        await admin.logout_everywhere(user_id)


def is_local(matrix_id: str, server_name: str) -> bool:
    """Whether a Matrix ID is an account of the server prevnet serves."""
    return matrix_id.startswith("@") and matrix_id.endswith(":" + server_name)


def reported_bot(member: Member, bot: str, report: ReconcileReport) -> bool:
    """Report a member record holding the bot's own ID: it is never locked, renamed or moved.

    An older prevnet accepted it; acting on it would lock the bot out (a suspension), deactivate
    it (a removal) or rename it. A removed record is only skipped: it asks nothing more.
    """
    if member.matrix_id != bot:
        return False
    if member.status is not MemberStatus.REMOVED:
        report.problem(
            member.matrix_id,
            "prevnet's own account (the bot) is recorded as a member; prevnet leaves its account"
            " and rooms as they are",
            f"remove this member record: prevnet member remove {member.matrix_id}",
        )
    return True


def reported_foreign(member: Member, server_name: str, report: ReconcileReport) -> bool:
    """Report a member whose Matrix ID is of another server (prevnet cannot serve it)."""
    if is_local(member.matrix_id, server_name):
        return False
    report.problem(
        member.matrix_id,
        f"a Matrix ID of another server: prevnet serves only {server_name}",
        f"remove it (`prevnet member remove {member.matrix_id}`) and add the person with an"
        f" account @name:{server_name}",
    )
    return True
