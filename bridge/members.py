"""Partner organisations are Discourse groups; a member's group follows their prevnet status.

The toolbox account is found by the member's e-mail, then by external id (the Matrix ID, as
the intranet's single sign-on passes it). The bridge remembers which group it put each member
in, so a move or a removal takes them out of exactly that group.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence

from bridge.api import ToolboxApi
from bridge.client import Toolbox
from bridge.store import BridgeStore
from bridge.sync import Groups
from bridge.topics import group_name
from phenomena.partners import Member, Organisation

log = logging.getLogger(__name__)

MemberLoader = Callable[[str], Awaitable[Member | None]]
OrganisationsLoader = Callable[[], Awaitable[Sequence[Organisation]]]


class MemberSync:
    """Adds and removes members in their organisation's group."""

    def __init__(
        self,
        toolbox: Toolbox,
        store: BridgeStore,
        member_of: MemberLoader,
        organisations: OrganisationsLoader,
    ) -> None:
        self.toolbox = toolbox
        self.store = store
        self._member_of = member_of
        self._organisations = organisations
        self.groups = Groups(toolbox, store)
        self.without_account: set[str] = set()

    async def organisation(self, key: str) -> None:
        """A new organisation gets its group at once (AMBER categories refer to it)."""
        found = {o.key: o for o in await self._organisations()}.get(key)
        if found is not None:
            await self.groups.ensure(found)

    async def member(self, matrix_id: str) -> None:
        """Put the member in their organisation's group, or take them out of it."""
        member = await self._member_of(matrix_id)
        organisations = {o.key: o for o in await self._organisations()}
        organisation = organisations.get(member.organisation) if member is not None else None
        wanted = (
            group_name(organisation.key)
            if member is not None and member.is_active and organisation is not None
            else None
        )
        current = await self.store.membership(matrix_id)
        if current is not None and current[1] == wanted:
            return
        username = current[0] if current is not None else None
        if current is not None:
            old = next((o for o in organisations.values() if group_name(o.key) == current[1]), None)
            known = await self.store.group(old.key) if old is not None else None
            if known is not None:
                await self.toolbox.run(ToolboxApi.remove_from_group, known[1], current[0])
        if wanted is None or member is None or organisation is None:
            await self.store.save_membership(matrix_id, username or "", None)
            return
        if username is None:
            username = await self._find_account(member)
        if username is None:
            self.without_account.add(matrix_id)
            log.warning(
                "%s has no toolbox account (e-mail %s): they join group %s when they first log "
                "in to the toolbox and the next membership sync runs",
                matrix_id,
                member.email or "unknown",
                wanted,
            )
            await self.store.save_membership(matrix_id, "", None)
            return
        self.without_account.discard(matrix_id)
        group_id = await self.groups.ensure(organisation)
        await self.toolbox.run(ToolboxApi.add_to_group, group_id, username)
        await self.store.save_membership(matrix_id, username, wanted)

    async def _find_account(self, member: Member) -> str | None:
        if member.email:
            found = await self.toolbox.run(ToolboxApi.username_by_email, member.email)
            if found is not None:
                return found
        return await self.toolbox.run(ToolboxApi.username_by_external_id, member.matrix_id)
