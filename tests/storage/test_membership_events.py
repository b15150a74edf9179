"""Membership events: each reads only the members it names, whatever the registry's size."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from sqlalchemy import event
from sqlalchemy.orm import Session

from phenomena.events import MemberAdded, OrganisationChanged
from phenomena.partners import (
    Member,
    Organisation,
    OrganisationKind,
    Role,
    TerritoryKind,
    TerritoryRef,
)
from phenomena.storage.database import Database
from phenomena.storage.schema import MemberRow
from phenomena.storage.unit_of_work import SqlUnitOfWork
from prevnet.wiring import membership_subscription


class Applied:
    """A stand-in for the homeserver side: records whom it was asked to apply."""

    def __init__(self) -> None:
        self.members: list[str] = []

    async def apply_member(self, member: Member, organisations: Mapping[str, Organisation]) -> None:
        assert member.organisation in organisations
        self.members.append(member.matrix_id)


@contextmanager
def member_rows_loaded() -> Iterator[list[str]]:
    """The member rows the ORM loads from the database while the block runs."""
    loaded: list[str] = []

    def seen(session: Session, instance: object) -> None:
        if isinstance(instance, MemberRow):
            loaded.append(instance.matrix_id)

    event.listen(Session, "loaded_as_persistent", seen)
    try:
        yield loaded
    finally:
        event.remove(Session, "loaded_as_persistent", seen)


async def seed(db: Database, per_org: int) -> None:
    async with SqlUnitOfWork(db.sessions) as unit:
        for org in ("zp-a", "zp-b"):
            await unit.organisations.add(
                Organisation(
                    org,
                    org.upper(),
                    OrganisationKind.POLICE_ZONE,
                    (TerritoryRef(TerritoryKind.ZONE, "5324"),),
                )
            )
        for org in ("zp-a", "zp-b"):
            for n in range(per_org):
                await unit.members.add(
                    Member(f"@{org}-{n}:prevnet.test", f"{org} {n}", org, frozenset({Role.MEMBER}))
                )
        await unit.commit()


async def test_a_member_event_reads_that_member_only(db: Database) -> None:
    await seed(db, per_org=150)
    applied = Applied()
    subscription = membership_subscription(applied, lambda: SqlUnitOfWork(db.sessions))
    with member_rows_loaded() as loaded:
        await subscription.handle(
            MemberAdded(matrix_id="@zp-b-7:prevnet.test", organisation="zp-b")
        )
    assert applied.members == ["@zp-b-7:prevnet.test"]
    assert loaded == ["@zp-b-7:prevnet.test"]


async def test_an_organisation_event_reads_its_own_members_only(db: Database) -> None:
    await seed(db, per_org=40)
    applied = Applied()
    subscription = membership_subscription(applied, lambda: SqlUnitOfWork(db.sessions))
    with member_rows_loaded() as loaded:
        await subscription.handle(OrganisationChanged(key="zp-a", fields=("name",)))
    assert sorted(applied.members) == sorted(f"@zp-a-{n}:prevnet.test" for n in range(40))
    assert sorted(loaded) == sorted(applied.members)
