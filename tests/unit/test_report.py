"""The attention report's figures from plain records, counted by hand (no database)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from phenomena.partners import Organisation, OrganisationKind, TerritoryKind, TerritoryRef
from phenomena.report import (
    ReportAcknowledgement,
    ReportAlert,
    ReportBulletin,
    ReportEscalation,
    ReportRecords,
    ReportVote,
    attention_report,
    month_period,
    report_text,
)
from phenomena.territory import TerritoryRegistry

START = datetime(2026, 11, 1, tzinfo=UTC)
END = datetime(2026, 12, 1, tzinfo=UTC)
SENT = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)

ORGS = [
    Organisation(
        "zp-mons",
        "ZP Mons/Quévy",
        OrganisationKind.POLICE_ZONE,
        (TerritoryRef(TerritoryKind.ZONE, "5324"),),
    ),
    Organisation(
        "zp-boraine",
        "ZP Boraine",
        OrganisationKind.POLICE_ZONE,
        (TerritoryRef(TerritoryKind.ZONE, "5327"),),
    ),
    Organisation(
        "spf",
        "SPF Intérieur",
        OrganisationKind.FEDERAL,
        (TerritoryRef(TerritoryKind.COUNTRY, "BE"),),
    ),
    Organisation(
        "pz-oostende",
        "PZ Oostende",
        OrganisationKind.POLICE_ZONE,
        (TerritoryRef(TerritoryKind.ZONE, "5415"),),
    ),
]


def report(records: ReportRecords, territories: TerritoryRegistry) -> dict[str, dict[str, object]]:
    found = attention_report(records, ORGS, territories, START, END)
    return {row["key"]: row for row in found.as_dict()["organisations"]}


def test_delays_fall_in_their_buckets_from_the_organisations_first_bulletin(
    territories: TerritoryRegistry,
) -> None:
    records = ReportRecords(
        alerts=[ReportAlert(1), ReportAlert(2)],
        bulletins=[
            ReportBulletin(1, "zone:5324", SENT),
            ReportBulletin(1, "zone:5327", SENT + timedelta(seconds=3)),
            ReportBulletin(1, "province:50000", SENT + timedelta(seconds=5)),
            ReportBulletin(2, "zone:5324", SENT + timedelta(days=2)),
        ],
        acknowledgements=[
            ReportAcknowledgement(1, "zp-mons", SENT + timedelta(minutes=10)),
            ReportAcknowledgement(1, "zp-mons", SENT + timedelta(minutes=1)),  # the first counts
            ReportAcknowledgement(1, "zp-boraine", SENT + timedelta(hours=5)),
            ReportAcknowledgement(1, "spf", SENT + timedelta(days=3)),
            # a reaction held before its bulletin was recorded is seen at once
            ReportAcknowledgement(2, "zp-mons", SENT + timedelta(days=2, seconds=-2)),
        ],
    )
    rows = report(records, territories)
    assert set(rows) == {"zp-mons", "zp-boraine", "spf"}  # Oostende received nothing
    assert rows["zp-mons"]["received"] == 2
    assert rows["zp-mons"]["seen_within_hour"] == 2
    assert rows["zp-boraine"]["seen_within_day"] == 1
    assert rows["spf"]["seen_later"] == 1
    assert attention_report(records, ORGS, territories, START, END).quiet == 1


def test_exactly_one_hour_and_one_day_are_still_within(territories: TerritoryRegistry) -> None:
    records = ReportRecords(
        bulletins=[ReportBulletin(1, "zone:5324", SENT), ReportBulletin(2, "zone:5324", SENT)],
        acknowledgements=[
            ReportAcknowledgement(1, "zp-mons", SENT + timedelta(hours=1)),
            ReportAcknowledgement(2, "zp-mons", SENT + timedelta(days=1, seconds=1)),
        ],
    )
    row = report(records, territories)["zp-mons"]
    assert (row["seen_within_hour"], row["seen_within_day"], row["seen_later"]) == (1, 0, 1)


def test_a_red_alert_counts_for_its_recipients_only(territories: TerritoryRegistry) -> None:
    records = ReportRecords(
        alerts=[ReportAlert(7, ("zp-mons", "pz-oostende"))],
        bulletins=[ReportBulletin(7, "alert:7", SENT)],
        acknowledgements=[ReportAcknowledgement(7, "zp-mons", SENT + timedelta(minutes=30))],
        escalations=[
            ReportEscalation(7, "ack", "fired"),
            ReportEscalation(7, "ack", "waiting"),
            ReportEscalation(7, "moderation", "stopped"),
            ReportEscalation(7, "moderation", "fired"),  # the moderators', not the partners'
        ],
    )
    rows = report(records, territories)
    assert set(rows) == {"zp-mons", "pz-oostende"}
    assert rows["zp-mons"]["seen_within_hour"] == 1
    assert rows["pz-oostende"]["never_seen"] == 1
    assert rows["zp-mons"]["escalations"] == rows["pz-oostende"]["escalations"] == 1


def test_outside_the_period_nothing_counts_and_late_reactions_are_never(
    territories: TerritoryRegistry,
) -> None:
    records = ReportRecords(
        bulletins=[
            ReportBulletin(1, "zone:5324", START - timedelta(seconds=1)),  # the month before
            ReportBulletin(2, "zone:5324", END - timedelta(hours=1)),
            ReportBulletin(3, "zone:5324", END),  # the next month
        ],
        acknowledgements=[ReportAcknowledgement(2, "zp-mons", END + timedelta(minutes=1))],
        votes=[ReportVote(1, "zp-mons", True), ReportVote(2, "zp-mons", False)],
    )
    found = attention_report(records, ORGS, territories, START, END)
    assert found.alerts == 1
    (row,) = found.organisations
    assert (row.received, row.never_seen, row.useful_yes, row.useful_no) == (1, 1, 0, 1)
    assert row.usefulness == 0.0


def test_an_organisation_reached_later_by_a_widening_counts_from_its_own_bulletin(
    territories: TerritoryRegistry,
) -> None:
    records = ReportRecords(
        bulletins=[
            ReportBulletin(1, "zone:5324", START - timedelta(days=3)),
            ReportBulletin(1, "zone:5415", SENT),  # Oostende added in the period
        ],
        acknowledgements=[ReportAcknowledgement(1, "pz-oostende", SENT + timedelta(hours=2))],
    )
    found = attention_report(records, ORGS, territories, START, END)
    assert found.alerts == 0  # the alert itself went out the month before
    assert [(r.key, r.received, r.seen_within_day) for r in found.organisations] == [
        ("pz-oostende", 1, 1)
    ]


def test_usefulness_is_the_share_of_yes_among_the_organisations_votes(
    territories: TerritoryRegistry,
) -> None:
    records = ReportRecords(
        bulletins=[ReportBulletin(1, "zone:5324", SENT)],
        votes=[
            ReportVote(1, "zp-mons", True),
            ReportVote(1, "zp-mons", True),
            ReportVote(1, "zp-mons", False),
        ],
    )
    found = attention_report(records, ORGS, territories, START, END)
    (row,) = found.organisations
    assert row.usefulness == pytest.approx(2 / 3)
    assert "67% useful (3 vote(s))" in report_text(found)


def test_the_text_names_organisations_and_counts_and_is_bounded(
    territories: TerritoryRegistry,
) -> None:
    records = ReportRecords(bulletins=[ReportBulletin(1, "province:50000", SENT)])
    found = attention_report(records, ORGS, territories, START, END)
    text = report_text(found, limit=2)
    assert text.splitlines()[0] == (
        "Attention report 01/11/2026 to 30/11/2026: 1 alert(s) sent, to 3 organisation(s); "
        "1 received none."
    )
    assert "- ZP Boraine [zp-boraine]: 1 received; seen 0 / 0 / 0 / never 1" in text
    assert text.splitlines()[-1] == (
        "- and 1 more organisation(s): `prevnet report` lists them all."
    )


def test_an_empty_period_is_refused(territories: TerritoryRegistry) -> None:
    with pytest.raises(ValueError, match="period is empty"):
        attention_report(ReportRecords(), ORGS, territories, END, START)


def test_the_month_runs_from_the_report_day_before_in_local_time() -> None:
    brussels = ZoneInfo("Europe/Brussels")
    start, end = month_period(datetime(2026, 12, 1, 7, 0, tzinfo=brussels), 1)
    assert start == datetime(2026, 10, 31, 23, 0, tzinfo=UTC)  # 1 November, 00:00 CET
    assert end == datetime(2026, 11, 30, 23, 0, tzinfo=UTC)
    start, end = month_period(datetime(2027, 1, 10, 7, 0, tzinfo=brussels), 15)
    assert (start.date(), end.date()) == (
        datetime(2026, 11, 14).date(),
        datetime(2026, 12, 14).date(),
    )  # 15 November to 15 December, local midnights
    start, end = month_period(datetime(2026, 4, 1, 7, 0, tzinfo=brussels), 1)
    assert end - start == timedelta(days=31, hours=-1)  # March, across the change to summer time
