"""Alerts to topics: create, edit, move, close; thread replies to posts.

Handlers of outbox events, each idempotent: what was done is in ``BridgeStore``, and a create
whose answer was lost (a timeout after Discourse did the work) is found again by its
``external_id`` before anything is sent twice. An alert whose TLP forbids leaving Matrix (RED,
AMBER+STRICT) is never sent: not its topic, not its replies, not its title.
"""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace

from bridge.api import Refused, ToolboxApi
from bridge.client import Toolbox
from bridge.store import BridgeStore, TopicRecord
from bridge.topics import (
    Placement,
    group_name,
    placement,
    routed_organisations,
    topic_body,
    topic_tags,
    topic_title,
    withdrawn_body,
)
from phenomena.alert import Alert, AlertStatus
from phenomena.events import EmailReplied, ThreadReplied
from phenomena.partners import Organisation
from phenomena.territory import TerritoryRegistry

log = logging.getLogger(__name__)

AlertLoader = Callable[[int], Awaitable[Alert | None]]
OrganisationsLoader = Callable[[], Awaitable[Sequence[Organisation]]]
SourceOf = Callable[[Alert], Awaitable[str]]

CATEGORY_COLOURS = {"province": "0E76BD", "single": "0E76BD", "amber": "FFC000"}


@dataclass(frozen=True)
class Groups:
    """Creates (once) and finds the Discourse group of each partner organisation."""

    toolbox: Toolbox
    store: BridgeStore

    async def ensure(self, organisation: Organisation) -> int:
        known = await self.store.group(organisation.key)
        if known is not None:
            return known[1]
        name = group_name(organisation.key)
        group_id = await self.toolbox.run(ToolboxApi.group_id, name)
        if group_id is None:
            group_id = await self.toolbox.run(ToolboxApi.create_group, name, organisation.name)
        await self.store.save_group(organisation.key, name, group_id)
        return group_id


class TopicSync:
    """Keeps each shareable alert's topic in step with the alert."""

    def __init__(
        self,
        toolbox: Toolbox,
        store: BridgeStore,
        territories: TerritoryRegistry,
        alert_of: AlertLoader,
        organisations: OrganisationsLoader,
        source_of: SourceOf,
        *,
        external_prefix: str = "prevnet",
        alerts_category: str | None = None,
    ) -> None:
        self.toolbox = toolbox
        self.store = store
        self.territories = territories
        self._alert_of = alert_of
        self._organisations = organisations
        self._source_of = source_of
        self._prefix = external_prefix
        self._single = alerts_category  # None: one category per province
        self.groups = Groups(toolbox, store)

    def external_id(self, alert_id: int) -> str:
        return f"{self._prefix}-alert-{alert_id}"

    # -- categories -------------------------------------------------------------------------

    async def _category(
        self, key: str, name: str, parent: int | None, groups: list[str] | None
    ) -> int:
        permissions = {"everyone": 1} if groups is None else dict.fromkeys(groups, 1)
        known = await self.store.category(key)
        if known is not None:
            category_id, had = known
            if had != groups:
                await self.toolbox.run(
                    ToolboxApi.set_category_permissions, category_id, name, permissions
                )
                await self.store.save_category(key, category_id, groups)
            return category_id
        colour = CATEGORY_COLOURS.get(key.split(":", 1)[0], "0088CC")
        try:
            category_id = await self.toolbox.run(
                ToolboxApi.create_category,
                name,
                color=colour,
                parent=parent,
                permissions=permissions,
            )
        except Refused as exc:
            if exc.status != 422:
                raise
            # made by an earlier attempt whose answer was lost, or by hand: adopt it
            listing = await self.toolbox.run(ToolboxApi.categories)
            found = [
                c for c in listing if c["name"] == name and c.get("parent_category_id") == parent
            ]
            if not found:
                raise
            category_id = int(found[0]["id"])
            await self.toolbox.run(
                ToolboxApi.set_category_permissions, category_id, name, permissions
            )
        await self.store.save_category(key, category_id, groups)
        return category_id

    async def category_for(self, place: Placement, alert: Alert) -> int:
        parent = None
        if place.parent_key is not None and place.parent_name is not None:
            parent = await self._category(place.parent_key, place.parent_name, None, None)
        groups = None
        if place.groups is not None:
            organisations = {o.key: o for o in await self._organisations()}
            for key in routed_organisations(alert, organisations.values(), self.territories):
                await self.groups.ensure(organisations[key])
            groups = sorted(place.groups)
        return await self._category(place.key, place.name, parent, groups)

    # -- topics -----------------------------------------------------------------------------

    async def published(self, alert_id: int) -> None:
        """Make the alert's topic (once), if its TLP allows it to leave Matrix."""
        alert = await self._alert_of(alert_id)
        if alert is None or not alert.content.tlp.may_leave_matrix:
            return  # RED and AMBER+STRICT stay in Matrix
        if alert.status in (
            AlertStatus.DRAFT,
            AlertStatus.PENDING_MODERATION,
            AlertStatus.REJECTED,
        ):
            return
        record = await self.store.topic(alert_id)
        if record is None:
            record = await self._create(alert)
        await self._bring_up_to_date(alert, record)

    async def _create(self, alert: Alert) -> TopicRecord:
        organisations = await self._organisations()
        place = placement(alert, organisations, self.territories, self._single)
        category = await self.category_for(place, alert)
        external = self.external_id(alert.id)
        first_post: int | None = None
        # an earlier attempt may have made it already (its answer timed out)
        topic_id = await self.toolbox.run(ToolboxApi.topic_id_by_external_id, external)
        if topic_id is None:
            try:
                post = await self.toolbox.run(
                    ToolboxApi.create_topic,
                    title=topic_title(alert, self.territories),
                    raw=topic_body(alert, self.territories, await self._source_of(alert)),
                    category=category,
                    tags=topic_tags(alert, self.territories),
                    external_id=external,
                )
                topic_id, first_post = int(post["topic_id"]), int(post["id"])
            except Refused as exc:
                if exc.status != 422:
                    raise
                topic_id = await self.toolbox.run(ToolboxApi.topic_id_by_external_id, external)
                if topic_id is None:
                    raise
        if first_post is None:
            topic = await self.toolbox.run(ToolboxApi.topic, topic_id)
            first_post = int(topic["post_stream"]["posts"][0]["id"])
            log.info("found topic %d of %s made by an earlier attempt", topic_id, alert.ref)
        record = TopicRecord(alert.id, topic_id, first_post, category, alert.version, False)
        await self.store.save_topic(record)
        return record

    async def _bring_up_to_date(self, alert: Alert, record: TopicRecord) -> None:
        """Edit, move or close the topic so it shows the alert as it is now."""
        if not alert.content.tlp.may_leave_matrix:
            if record.closed and record.synced_version >= alert.version:
                return
            await self.toolbox.run(
                ToolboxApi.edit_post,
                record.first_post_id,
                withdrawn_body(alert),
                f"prevnet: now {alert.content.tlp.label}, restricted to Matrix",
            )
            if not record.closed:
                await self.toolbox.run(ToolboxApi.close_topic, record.topic_id)
            await self.store.save_topic(replace(record, synced_version=alert.version, closed=True))
            return
        category = record.category_id
        if record.synced_version < alert.version:
            place = placement(alert, await self._organisations(), self.territories, self._single)
            category = await self.category_for(place, alert)
            await self.toolbox.run(
                ToolboxApi.retitle_topic,
                record.topic_id,
                topic_title(alert, self.territories),
                category,
            )
            await self.toolbox.run(
                ToolboxApi.edit_post,
                record.first_post_id,
                topic_body(alert, self.territories, await self._source_of(alert)),
                f"prevnet: alert {alert.ref} updated (version {alert.version})",
            )
        closing = not alert.status.is_open and not record.closed
        if closing:
            if record.synced_version >= alert.version:  # mark the body closed too
                await self.toolbox.run(
                    ToolboxApi.edit_post,
                    record.first_post_id,
                    topic_body(alert, self.territories, await self._source_of(alert)),
                    f"prevnet: alert {alert.ref} {alert.status.value}",
                )
            await self.toolbox.run(ToolboxApi.close_topic, record.topic_id)
        if closing or record.synced_version < alert.version:
            await self.store.save_topic(
                replace(
                    record,
                    category_id=category,
                    synced_version=alert.version,
                    closed=record.closed or closing,
                )
            )

    async def changed(self, alert_id: int) -> None:
        """An update, a close or an expiry: the same work as publishing an existing topic."""
        alert = await self._alert_of(alert_id)
        if alert is None:
            return
        record = await self.store.topic(alert_id)
        if record is None:
            await self.published(alert_id)  # e.g. a TLP lowered from RED: it may now go
            return
        await self._bring_up_to_date(alert, record)

    # -- replies ----------------------------------------------------------------------------

    async def thread_reply(self, reply: ThreadReplied) -> None:
        """Post a member's thread reply in the alert's topic (once)."""
        alert = await self._alert_of(reply.alert_id)
        if alert is None or not alert.content.tlp.may_leave_matrix:
            return
        record = await self.store.topic(alert.id)
        if record is None or record.closed:
            log.info("reply %s not carried: %s has no open topic", reply.event_id, alert.ref)
            return
        tried, post_id = await self.store.outbound_reply(reply.event_id, alert.id)
        if post_id is not None:
            return
        via = "by e-mail" if isinstance(reply, EmailReplied) else "in prevnet"
        raw = f"**{reply.display_name}** ({reply.organisation}), {via}:\n\n{reply.text}"
        if tried:
            found = await self._find_post(record.topic_id, reply)
            if found is not None:
                await self.store.reply_posted(reply.event_id, found)
                return
        post = await self.toolbox.run(ToolboxApi.reply, record.topic_id, raw)
        await self.store.reply_posted(reply.event_id, int(post["id"]))

    async def _find_post(self, topic_id: int, reply: ThreadReplied) -> int | None:
        """A post an earlier attempt made for this reply (its answer lost), by text."""
        topic = await self.toolbox.run(ToolboxApi.topic, topic_id)
        needle = html.escape(" ".join(reply.text.split())[:60])
        for post in topic["post_stream"]["posts"]:
            cooked = re.sub(r"\s+", " ", str(post.get("cooked", "")))
            if (
                post.get("username") == self.toolbox.api.api_username
                and needle in cooked
                and (html.escape(reply.display_name) in cooked)
            ):
                return int(post["id"])
        return None
