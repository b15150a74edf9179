"""Use case: significant clusters become draft alerts for the moderators."""

from __future__ import annotations

from datetime import datetime, timedelta

from phenomena.alert import Alert, AlertContent
from phenomena.detection.proposals import Proposal, merge_alarms
from phenomena.detection.records import DetectionRecord
from phenomena.detection.rendering import describe, number
from phenomena.detection.report import ClusterReport
from phenomena.detection.wording import in_words, municipality_name
from phenomena.services.unit_of_work import UnitOfWork
from phenomena.territory import TerritoryRegistry
from phenomena.tlp import Tlp

DETECTION_AUTHOR = "prevnet-detection"
DETECTION_ORGANISATION = "prevnet"


def proposal_summary(
    proposal: Proposal, territories: TerritoryRegistry, language: str = "en"
) -> str:
    """What the moderators read first, in numbers, then the cluster as ``prevnet detect`` prints
    it (centre, radius, period, expectation, likelihood ratio, rarity)."""
    main = proposal.main
    c = main.cluster
    place = ", ".join(
        municipality_name(territories.municipalities[n], language)
        for n in main.municipalities[:3]
        if n in territories.municipalities
    )
    kind = main.kind.names["en"].lower()
    if main.term:
        headline = (
            f"New modus operandi? {c.observed} reports of {kind} around {place} since "
            f"{c.first_day:%d/%m} mention '{main.term}' ({number(c.expected)} expected from their "
            "history). Check the reports and edit before approving."
        )
    else:
        headline = (
            f"Possible wave detected: {c.observed} incidents of {kind} within "
            f"{c.radius_metres:.0f} m around {place} from {c.first_day:%d/%m} to "
            f"{c.last_day:%d/%m} ({number(c.expected)} expected; by chance "
            f"{in_words(c.recurrence_days)}). Check the incidents and edit before approving."
        )
    return f"{headline}\n\n{describe(proposal, territories, language)}"


def proposal_modus(proposal: Proposal) -> str | None:
    """The terms the proposal's reports share, if any."""
    terms = proposal.terms
    return "Reports mention: " + ", ".join(f"'{t}'" for t in terms) if terms else None


async def propose_clusters(
    uow: UnitOfWork,
    reports: list[ClusterReport],
    territories: TerritoryRegistry,
    now: datetime,
    tlp: Tlp = Tlp.AMBER,
    language: str = "en",
) -> list[Alert]:
    """Turn each new significant phenomenon into an alert waiting for a moderator.

    Alarms of the run whose incidents mostly coincide (a wave and the terms its reports share)
    are one proposal; one that is the same wave as an earlier proposal is not proposed again.
    """
    proposed: list[Alert] = []
    async with uow:
        for proposal in merge_alarms(reports):
            main = proposal.main
            c = main.cluster
            if not main.municipalities:
                continue
            earlier = await uow.detections.recent(main.kind.value, c.first_day - timedelta(days=30))
            if any(record.overlaps(r) for record in earlier for r in proposal.reports):
                continue
            content = AlertContent(
                type=main.kind,
                municipalities=main.municipalities[:20],
                period_start=c.first_day,
                period_end=c.last_day,
                tlp=tlp,
                summary=proposal_summary(proposal, territories, language),
                modus=proposal_modus(proposal),
            )
            alert = await uow.alerts.create(content, DETECTION_AUTHOR, DETECTION_ORGANISATION, now)
            alert.submit_for_moderation(now)
            await uow.alerts.save(alert)
            await uow.detections.add(
                DetectionRecord(
                    alert_id=alert.id,
                    kind=main.kind.value,
                    centre=c.centre,
                    radius_metres=c.radius_metres,
                    first_day=c.first_day,
                    last_day=c.last_day,
                    observed=c.observed,
                    expected=c.expected,
                    p_value=c.p_value,
                    incident_ids=main.incident_ids,
                    term=main.term,
                )
            )
            proposed.append(alert)
        await uow.commit()
    return proposed
