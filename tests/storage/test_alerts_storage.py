"""Alerts through their use cases on SQLite and PostgreSQL: state and events commit together."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import event

from phenomena.alert import AlertStatus
from phenomena.alert_text import parse_alert_text
from phenomena.errors import IllegalTransition, NotFound, PermissionDenied
from phenomena.events import (
    AlertClosed,
    AlertPublished,
    AlertSubmitted,
    AlertUpdated,
    AlertWideningProposed,
)
from phenomena.partners import MemberStatus, OrganisationKind
from phenomena.partners_file import parse_partner_file
from phenomena.routing import route_alert
from phenomena.services import alerts as use
from phenomena.services.alerts import ModerationPolicy
from phenomena.services.partners import import_partners
from phenomena.storage.database import Database
from phenomena.storage.outbox import Outbox
from phenomena.storage.unit_of_work import SqlUnitOfWork
from phenomena.territory import TerritoryRegistry
from phenomena.tlp import Tlp
from tests.unit.test_alert_text import EXAMPLE
from tests.unit.test_partners_file import GOOD

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
POLICE = "@alice:prevnet.example"  # author and moderator in the police zone
COMMUNE = "@bob:prevnet.example"  # plain member of the commune's prevention service
SECOND = "@carol:prevnet.example"  # another moderator in the police zone
POLICY = ModerationPolicy()


@pytest.fixture
async def registry(db: Database, territories: TerritoryRegistry) -> Database:
    text = GOOD.replace(
        "    organisation: pcs-mons\n", "    organisation: pcs-mons\n    roles: [author]\n"
    ) + (
        '  - matrix_id: "@carol:prevnet.example"\n'
        "    name: Carol Leroy\n"
        "    organisation: zp-mons-quevy\n"
        "    roles: [moderator]\n"
    )
    await import_partners(
        SqlUnitOfWork(db.sessions), parse_partner_file(text, territories), "t", NOW
    )
    return db


async def alert_events(db: Database) -> list[object]:
    return [e for _, e in await Outbox(db, "t").events() if type(e).__name__.startswith("Alert")]


async def test_a_police_alert_is_published_with_its_routing(
    registry: Database, territories: TerritoryRegistry
) -> None:
    content = parse_alert_text(EXAMPLE, territories)
    alert, route = await use.create_alert(
        SqlUnitOfWork(registry.sessions), content, POLICE, territories, POLICY, NOW
    )
    assert alert.status is AlertStatus.PUBLISHED
    assert alert.rooms == route.rooms == route_alert(content, territories).rooms
    assert await alert_events(registry) == [
        AlertPublished(alert_id=alert.id, tlp="amber", rooms=route.rooms)
    ]
    async with SqlUnitOfWork(registry.sessions) as uow:
        stored = await uow.alerts.get(alert.id)
        in_zone = await uow.alerts.list(room="zone:5324")
        in_prefix = await uow.alerts.list(room="zone:53")
    assert stored == alert
    assert stored is not None and stored.content == content
    assert [a.id for a in in_zone] == [alert.id]
    assert in_prefix == []


async def test_a_commune_alert_waits_for_a_moderator(
    registry: Database, territories: TerritoryRegistry
) -> None:
    content = parse_alert_text(EXAMPLE, territories)
    alert, _ = await use.create_alert(
        SqlUnitOfWork(registry.sessions), content, COMMUNE, territories, POLICY, NOW
    )
    assert alert.status is AlertStatus.PENDING_MODERATION
    with pytest.raises(PermissionDenied, match="moderator role"):
        await use.approve_alert(
            SqlUnitOfWork(registry.sessions), alert.id, COMMUNE, territories, NOW
        )
    approved, route = await use.approve_alert(
        SqlUnitOfWork(registry.sessions), alert.id, POLICE, territories, NOW
    )
    assert approved.status is AlertStatus.PUBLISHED and approved.status_by == POLICE
    assert await alert_events(registry) == [
        AlertSubmitted(alert_id=alert.id, author=COMMUNE),
        AlertPublished(alert_id=alert.id, tlp="amber", rooms=route.rooms),
    ]


async def test_update_and_close_then_nothing_more(
    registry: Database, territories: TerritoryRegistry
) -> None:
    content = parse_alert_text(EXAMPLE, territories)
    alert, _ = await use.create_alert(
        SqlUnitOfWork(registry.sessions), content, POLICE, territories, POLICY, NOW
    )
    wider = replace(content, tlp=Tlp.GREEN, summary="Now also in Jemappes.")
    proposed, changed = await use.update_alert(
        SqlUnitOfWork(registry.sessions), alert.id, wider, POLICE, territories, NOW
    )
    # a lower TLP widens the alert: it waits for a second person, the bulletins unchanged
    assert changed == ("tlp", "summary") and proposed.version == 1
    assert proposed.proposed is not None and proposed.proposed.widens == ("tlp",)
    assert "province:50000" not in proposed.rooms
    with pytest.raises(PermissionDenied, match="four eyes"):
        await use.approve_alert(
            SqlUnitOfWork(registry.sessions), alert.id, POLICE, territories, NOW
        )
    updated, _route = await use.approve_alert(
        SqlUnitOfWork(registry.sessions), alert.id, SECOND, territories, NOW
    )
    assert updated.version == 2 and updated.proposed is None
    assert updated.content.summary == "Now also in Jemappes."
    assert "province:50000" in updated.rooms
    await use.close_alert(SqlUnitOfWork(registry.sessions), alert.id, POLICE, "Arrests made", NOW)
    with pytest.raises(IllegalTransition, match=f"{alert.ref} is already closed"):
        await use.close_alert(SqlUnitOfWork(registry.sessions), alert.id, POLICE, "again", NOW)
    events = await alert_events(registry)
    assert [type(e) for e in events] == [
        AlertPublished,
        AlertWideningProposed,
        AlertUpdated,
        AlertClosed,
    ]
    async with SqlUnitOfWork(registry.sessions) as uow:
        stored = await uow.alerts.get(alert.id)
    assert stored is not None and stored.status is AlertStatus.CLOSED
    assert stored.status_reason == "Arrests made" and stored.content.tlp is Tlp.GREEN


async def test_a_failed_use_case_leaves_no_state_and_no_event(
    registry: Database, territories: TerritoryRegistry
) -> None:
    content = parse_alert_text(EXAMPLE, territories)
    stranger = "@mallory:elsewhere.example"
    with pytest.raises(PermissionDenied, match="not a member"):
        await use.create_alert(
            SqlUnitOfWork(registry.sessions), content, stranger, territories, POLICY, NOW
        )
    reader = "@reader:prevnet.example"
    from phenomena.partners import Member, Role
    from phenomena.services.partners import add_member

    await add_member(
        SqlUnitOfWork(registry.sessions),
        Member(reader, "Reader", "pcs-mons", frozenset({Role.MEMBER})),
        "t",
        NOW,
        server_name="prevnet.example",
    )
    with pytest.raises(PermissionDenied, match="author role"):
        await use.create_alert(
            SqlUnitOfWork(registry.sessions), content, reader, territories, POLICY, NOW
        )
    async with SqlUnitOfWork(registry.sessions) as uow:
        assert await uow.alerts.list() == []
    assert await alert_events(registry) == []


async def test_expiry_closes_only_what_is_over(
    registry: Database, territories: TerritoryRegistry
) -> None:
    content = parse_alert_text(EXAMPLE, territories)
    first, _ = await use.create_alert(
        SqlUnitOfWork(registry.sessions), content, POLICE, territories, POLICY, NOW
    )
    later = replace(content, period_end=date(2026, 12, 20))
    second, _ = await use.create_alert(
        SqlUnitOfWork(registry.sessions), later, POLICE, territories, POLICY, NOW
    )
    grace = timedelta(days=7)
    assert (
        await use.expire_due_alerts(
            SqlUnitOfWork(registry.sessions), date(2026, 11, 27), grace, NOW
        )
        == []
    )
    expired = await use.expire_due_alerts(
        SqlUnitOfWork(registry.sessions), date(2026, 11, 28), grace, NOW
    )
    assert [a.id for a in expired] == [first.id]
    async with SqlUnitOfWork(registry.sessions) as uow:
        still_open = await uow.alerts.list(statuses=[AlertStatus.PUBLISHED])
    assert [a.id for a in still_open] == [second.id]


async def test_the_same_chat_event_never_runs_twice(
    registry: Database, territories: TerritoryRegistry
) -> None:
    from phenomena.errors import AlreadyDone

    content = parse_alert_text(EXAMPLE, territories)
    first, _ = await use.create_alert(
        SqlUnitOfWork(registry.sessions, once="$event1"), content, POLICE, territories, POLICY, NOW
    )
    with pytest.raises(AlreadyDone):
        await use.create_alert(
            SqlUnitOfWork(registry.sessions, once="$event1"),
            content,
            POLICE,
            territories,
            POLICY,
            NOW,
        )
    async with SqlUnitOfWork(registry.sessions) as uow:
        assert [a.id for a in await uow.alerts.list()] == [first.id]
    assert len(await alert_events(registry)) == 1
    second, _ = await use.create_alert(
        SqlUnitOfWork(registry.sessions, once="$event2"), content, POLICE, territories, POLICY, NOW
    )
    assert second.id != first.id


async def test_a_command_seen_again_is_quiet_even_where_doing_it_again_would_fail(
    registry: Database, territories: TerritoryRegistry
) -> None:
    """A replayed ``!alert publish`` says nothing, not "cannot be published": it was, by it."""
    from phenomena.errors import AlreadyDone

    content = parse_alert_text(EXAMPLE, territories)
    draft, _ = await use.draft_alert(
        SqlUnitOfWork(registry.sessions), content, POLICE, territories, NOW
    )

    async def publish(event_id: str) -> None:
        await use.submit_draft(
            SqlUnitOfWork(registry.sessions, once=event_id),
            draft.id,
            POLICE,
            territories,
            POLICY,
            NOW,
        )

    await publish("$publish")
    with pytest.raises(AlreadyDone):
        await publish("$publish")
    with pytest.raises(IllegalTransition, match="cannot be published"):
        await publish("$another")  # someone else asking again is told why not
    assert len(await alert_events(registry)) == 1


async def test_a_moderator_cannot_approve_a_draft(
    registry: Database, territories: TerritoryRegistry
) -> None:
    content = parse_alert_text(EXAMPLE, territories)
    draft, _ = await use.draft_alert(
        SqlUnitOfWork(registry.sessions), content, COMMUNE, territories, NOW
    )
    # a draft is its author's alone: to a moderator it is as if it did not exist
    with pytest.raises(NotFound, match=f"there is no alert {draft.ref} you can see"):
        await use.approve_alert(
            SqlUnitOfWork(registry.sessions), draft.id, POLICE, territories, NOW
        )
    async with SqlUnitOfWork(registry.sessions) as uow:
        stored = await uow.alerts.get(draft.id)
    assert stored is not None and stored.status is AlertStatus.DRAFT
    assert await alert_events(registry) == []


async def test_the_source_line_names_the_organisation_and_author_as_they_are_today(
    registry: Database, territories: TerritoryRegistry
) -> None:
    content = parse_alert_text(EXAMPLE, territories)
    alert, _ = await use.create_alert(
        SqlUnitOfWork(registry.sessions), content, POLICE, territories, POLICY, NOW
    )
    async with SqlUnitOfWork(registry.sessions) as uow:
        assert await uow.alerts.source_names(alert) == ("Zone de police Mons/Quévy", "Alice Dupont")
    renamed = GOOD.replace("Zone de police Mons/Quévy", "Zone de police Mons-Quévy").replace(
        "Alice Dupont", "Alice Dupont-Lambert"
    )
    await import_partners(
        SqlUnitOfWork(registry.sessions), parse_partner_file(renamed, territories), "t", NOW
    )
    async with SqlUnitOfWork(registry.sessions) as uow:
        assert await uow.alerts.source_names(alert) == (
            "Zone de police Mons-Quévy",
            "Alice Dupont-Lambert",
        )
        # an author who is no member (the detection) and an organisation that is gone
        gone = replace(alert, author="prevnet-detection", organisation="gone")
        assert await uow.alerts.source_names(gone) == (None, None)


async def test_the_use_case_reads_the_acting_member_once_in_its_own_transaction(
    registry: Database, territories: TerritoryRegistry
) -> None:
    """Given a Matrix ID, the use case reads the member once, where a suspension counts."""
    content = parse_alert_text(EXAMPLE, territories)
    draft, _ = await use.draft_alert(
        SqlUnitOfWork(registry.sessions), content, POLICE, territories, NOW
    )
    statements: list[str] = []

    def seen(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        statements.append(statement)

    event.listen(registry.engine.sync_engine, "before_cursor_execute", seen)
    try:
        published, _ = await use.submit_draft(
            SqlUnitOfWork(registry.sessions), draft.id, POLICE, territories, POLICY, NOW
        )
    finally:
        event.remove(registry.engine.sync_engine, "before_cursor_execute", seen)
    assert published.status is AlertStatus.PUBLISHED
    assert published.author == published.status_by == POLICE
    assert len([s for s in statements if "FROM members" in s]) == 1
    # the moderation policy needs the organisation's kind and territory (police publish at
    # once only at home and next door): that one organisation is read, not the registry
    reads = [s for s in statements if s.lstrip().startswith("SELECT organisations")]
    assert len(reads) == 1 and "WHERE organisations." in reads[0]
    # a member suspended meanwhile is refused, and nothing is recorded
    other, _ = await use.draft_alert(
        SqlUnitOfWork(registry.sessions), content, POLICE, territories, NOW
    )
    async with SqlUnitOfWork(registry.sessions) as uow:
        alice = await uow.members.get(POLICE)
        assert alice is not None
        await uow.members.save(replace(alice, status=MemberStatus.SUSPENDED))
        await uow.commit()
    with pytest.raises(PermissionDenied, match="suspended"):
        await use.submit_draft(
            SqlUnitOfWork(registry.sessions), other.id, POLICE, territories, POLICY, NOW
        )
    assert len(await alert_events(registry)) == 1


async def test_the_kind_of_an_alerts_organisation_comes_with_it_or_is_read(
    registry: Database, territories: TerritoryRegistry
) -> None:
    content = parse_alert_text(EXAMPLE, territories)
    police, _ = await use.draft_alert(
        SqlUnitOfWork(registry.sessions), content, POLICE, territories, NOW
    )
    commune, _ = await use.draft_alert(
        SqlUnitOfWork(registry.sessions), content, COMMUNE, territories, NOW
    )
    async with SqlUnitOfWork(registry.sessions) as uow:
        loaded = await uow.alerts.get(commune.id)
        assert loaded is not None
        assert await uow.alerts.organisation_kind(loaded) is OrganisationKind.COMMUNE
        # an alert this transaction did not load: read on its own
        assert await uow.alerts.organisation_kind(police) is OrganisationKind.POLICE_ZONE
        assert await uow.alerts.organisation_kind(replace(police, organisation="gone")) is None
