"""The attention report from the database against a scenario counted by hand (SQLite and
PostgreSQL): three alerts in several rooms, reactions at +10 min, +5 h, +3 days and none, an
escalation that fired, one stopped, and usefulness votes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from phenomena.partners import Organisation, OrganisationKind, TerritoryKind, TerritoryRef
from phenomena.report import AttentionReport
from phenomena.storage.database import Database
from phenomena.storage.report_queries import load_report
from phenomena.storage.schema import AcknowledgementRow, AlertRow, BulletinRow
from phenomena.storage.schema_attention import EscalationRow, UsefulnessVoteRow
from phenomena.storage.unit_of_work import SqlUnitOfWork
from phenomena.territory import TerritoryRegistry

START = datetime(2026, 11, 1, tzinfo=UTC)
END = datetime(2026, 12, 1, tzinfo=UTC)
T0 = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)
RED_SUMMARY = "Informant Jan Peeters watches the depot at Rue Secrète 12"


def organisation(key: str, name: str, kind: OrganisationKind, *refs: TerritoryRef) -> Organisation:
    return Organisation(key, name, kind, refs)


ORGS = [
    organisation(
        "zp-mons",
        "ZP Mons/Quévy",
        OrganisationKind.POLICE_ZONE,
        TerritoryRef(TerritoryKind.ZONE, "5324"),
    ),
    organisation(
        "pcs-mons",
        "PSSP Mons",
        OrganisationKind.COMMUNE,
        TerritoryRef(TerritoryKind.MUNICIPALITY, "53053"),
    ),
    organisation(
        "zp-boraine",
        "ZP Boraine",
        OrganisationKind.POLICE_ZONE,
        TerritoryRef(TerritoryKind.ZONE, "5327"),
    ),
    organisation(
        "spf",
        "SPF Intérieur",
        OrganisationKind.FEDERAL,
        TerritoryRef(TerritoryKind.PROVINCE, "50000"),
    ),
    organisation(
        "pz-oostende",
        "PZ Oostende",
        OrganisationKind.POLICE_ZONE,
        TerritoryRef(TerritoryKind.ZONE, "5415"),
    ),
]


@dataclass(frozen=True)
class Scenario:
    green: int
    red: int
    amber: int
    old: int


async def seed(db: Database, *, organisations: bool = True) -> Scenario:
    """The hand-counted scenario (see the expectations in the test); ``organisations=False``
    when a registry with the same keys is there already."""
    if organisations:
        async with SqlUnitOfWork(db.sessions) as unit:
            for org in ORGS:
                await unit.organisations.add(org)
            await unit.commit()
    async with db.sessions() as session, session.begin():

        def alert(number: int, tlp: str, summary: str, recipients: str = "") -> int:
            session.add(
                AlertRow(
                    id=number,
                    type="residential-burglary",
                    tlp=tlp,
                    status="published",
                    period_start=date(2026, 11, 1),
                    period_end=None,
                    summary=summary,
                    modus=None,
                    advice=None,
                    author="@officer:prevnet.test",
                    organisation="zp-mons",
                    version=1,
                    rooms="",
                    recipients=recipients,
                    proposed=None,
                    created_at=START,
                    updated_at=START,
                )
            )
            return number

        green = alert(1, "green", "Rear doors forced in Hyon.")
        red = alert(2, "red", RED_SUMMARY, recipients=",zp-mons,spf,")
        amber = alert(3, "amber", "Vans marked as water company.")
        old = alert(4, "amber", "Last month's wave.")
        await session.flush()

        def bulletin(alert_id: int, room: str, at: datetime) -> None:
            session.add(
                BulletinRow(
                    alert_id=alert_id,
                    room=room,
                    room_id=f"!{room}-{alert_id}",
                    event_id=f"${room}-{alert_id}",
                    version=1,
                    sent_at=at,
                    edited_at=None,
                )
            )

        def seen(alert_id: int, member: str, org: str, at: datetime) -> None:
            session.add(
                AcknowledgementRow(
                    alert_id=alert_id, member=member, organisation=org, room="x", at=at
                )
            )

        def vote(alert_id: int, member: str, org: str, useful: bool) -> None:
            session.add(
                UsefulnessVoteRow(
                    alert_id=alert_id,
                    member=member,
                    organisation=org,
                    useful=useful,
                    source="command",
                    at=T0 + timedelta(days=1),
                )
            )

        # GREEN: Mons's zone, the neighbouring Boraine zone, the province
        bulletin(green, "zone:5324", T0)
        bulletin(green, "zone:5327", T0 + timedelta(seconds=2))
        bulletin(green, "province:50000", T0 + timedelta(seconds=4))
        seen(green, "@officer", "zp-mons", T0 + timedelta(minutes=10))
        seen(green, "@analyst", "zp-mons", T0 + timedelta(hours=2))
        seen(green, "@prevention", "pcs-mons", T0 + timedelta(hours=5))
        seen(green, "@federal", "spf", T0 + timedelta(days=3))
        # Boraine never reacts
        # RED: its own room, for zp-mons and spf
        bulletin(red, "alert:2", T0 + timedelta(days=1))
        seen(red, "@officer", "zp-mons", T0 + timedelta(days=1, minutes=30))
        session.add(
            EscalationRow(alert_id=red, kind="ack", level=1, due_at=T0, state="fired", ended_at=T0)
        )
        session.add(
            EscalationRow(
                alert_id=red,
                kind="ack",
                level=2,
                due_at=T0 + timedelta(days=2),
                state="waiting",
            )
        )
        # AMBER: Boraine's zone only, seen after the end of the period
        bulletin(amber, "zone:5327", END - timedelta(hours=3))
        seen(amber, "@boraine", "zp-boraine", END + timedelta(hours=1))
        session.add(
            EscalationRow(
                alert_id=amber,
                kind="moderation",
                level=1,
                due_at=T0,
                state="stopped",
                ended_at=T0,
            )
        )
        # last month's alert, and a vote on it: outside the period
        bulletin(old, "zone:5324", START - timedelta(days=2))
        seen(old, "@officer", "zp-mons", START + timedelta(minutes=5))
        vote(old, "@officer", "zp-mons", False)
        # votes: zp-mons 2 of 3 yes, pcs-mons 1 of 1
        vote(green, "@officer", "zp-mons", True)
        vote(green, "@analyst", "zp-mons", False)
        vote(red, "@officer", "zp-mons", True)
        vote(green, "@prevention", "pcs-mons", True)
    return Scenario(green, red, amber, old)


def figures(report: AttentionReport) -> dict[str, tuple[int, ...]]:
    """key: received, ≤1 h, ≤1 day, later, never, escalations, yes, no."""
    return {
        r.key: (
            r.received,
            r.seen_within_hour,
            r.seen_within_day,
            r.seen_later,
            r.never_seen,
            r.escalations,
            r.useful_yes,
            r.useful_no,
        )
        for r in report.organisations
    }


async def test_the_report_matches_the_hand_counted_scenario(
    db: Database, territories: TerritoryRegistry
) -> None:
    await seed(db)
    report = await load_report(db, territories, START, END)
    assert report.alerts == 3  # the green, the red and the amber; last month's is not counted
    assert figures(report) == {
        #               recv ≤1h ≤1d later never esc yes no
        "zp-mons": (2, 2, 0, 0, 0, 1, 2, 1),
        "zp-boraine": (2, 0, 0, 0, 2, 0, 0, 0),
        "spf": (2, 0, 0, 1, 1, 1, 0, 0),
        "pcs-mons": (1, 0, 1, 0, 0, 0, 1, 0),
    }
    assert report.quiet == 1  # Oostende
    assert [r.key for r in report.organisations] == ["spf", "zp-boraine", "zp-mons", "pcs-mons"]


async def test_a_shorter_period_counts_only_what_was_sent_in_it(
    db: Database, territories: TerritoryRegistry
) -> None:
    await seed(db)
    report = await load_report(db, territories, T0, T0 + timedelta(hours=1))
    assert report.alerts == 1
    found = figures(report)
    # the reaction after the hour and the votes of the next day are not in it
    assert found["zp-mons"] == (1, 1, 0, 0, 0, 0, 0, 0)
    assert found["pcs-mons"] == (1, 0, 0, 0, 1, 0, 0, 0)


async def test_no_alert_text_is_read_for_the_report(
    db: Database, territories: TerritoryRegistry
) -> None:
    await seed(db)
    report = await load_report(db, territories, START, END)
    assert RED_SUMMARY not in repr(report)
    assert RED_SUMMARY not in repr(report.as_dict())


async def test_an_escalation_fired_after_the_period_is_not_counted_in_it(
    db: Database, territories: TerritoryRegistry
) -> None:
    """The report of a month stays the same when computed again later: a step that fires
    after its end belongs to no figure of it (as a reaction after the end does not)."""
    scenario = await seed(db)
    async with db.sessions() as session, session.begin():
        session.add(
            EscalationRow(
                alert_id=scenario.amber,
                kind="ack",
                level=1,
                due_at=END + timedelta(hours=2),
                state="fired",
                ended_at=END + timedelta(hours=2),
            )
        )
    report = await load_report(db, territories, START, END)
    assert figures(report)["zp-boraine"][5] == 0  # no escalation in November
    later = await load_report(db, territories, START, END + timedelta(days=1))
    assert figures(later)["zp-boraine"][5] == 1
