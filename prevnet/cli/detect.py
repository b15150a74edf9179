"""``prevnet detect``: the space-time scan and new modus operandi on the stored incidents, in
words an analyst acts on, or as JSON for scripts."""

from __future__ import annotations

import json
import os
from datetime import datetime

import click

from phenomena.detection.proposals import MINIMUM_SHOWN, merge_alarms, shown
from phenomena.detection.rendering import as_json, describe
from phenomena.detection.scan import ScanSettings
from phenomena.detection.wording import LANGUAGES, in_words
from phenomena.storage.incidents import SqlIncidentStore
from phenomena.taxonomy import PhenomenonType
from prevnet.cli.app import App, now, run_command
from prevnet.detection import MINIMUM_INCIDENTS, DetectionRun
from prevnet.detection import detect as run_detection


def reader_language() -> str:
    """The reader's language from the locale (LC_ALL, LC_MESSAGES, LANG), English otherwise."""
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        code = os.environ.get(name, "")[:2].lower()
        if code in LANGUAGES:
            return code
        if code:
            break
    return "en"


@click.command("detect")
@click.option("--type", "kind", help="Only this phenomenon type (default: every type with data).")
@click.option(
    "--as-of", type=click.DateTime(formats=["%Y-%m-%d"]), help="The analysis day (default: today)."
)
@click.option("--replicates", default=999, show_default=True, help="Monte Carlo replicates.")
@click.option(
    "--all",
    "show_all",
    is_flag=True,
    help=f"Also print clusters that are not significant (of at least {MINIMUM_SHOWN} incidents).",
)
@click.option("--json", "as_json_output", is_flag=True, help="Print JSON, for scripts.")
@click.option(
    "--language",
    type=click.Choice(LANGUAGES),
    default=reader_language,
    help="Language of municipality names (default: from the locale, else English: both names).",
)
def detect(
    kind: str | None,
    as_of: datetime | None,
    replicates: int,
    show_all: bool,
    as_json_output: bool,
    language: str,
) -> None:
    """Find emerging space-time clusters (prospective space-time permutation scan) and new modus
    operandi; alarms of the day that share most of their incidents are one proposal."""
    ctx = click.get_current_context()
    app: App = ctx.obj
    kinds = [run_command(lambda: PhenomenonType.parse(kind))] if kind else None
    day = as_of.date() if as_of else now().date()
    settings = ScanSettings(replicates=replicates)

    async def go() -> DetectionRun:
        return await run_detection(SqlIncidentStore(await app.database()), day, kinds, settings)

    run = app.run(go)
    proposals = shown(run.reports, show_all)
    alarms = len(merge_alarms(run.reports))
    if as_json_output:
        document = {
            "day": day.isoformat(),
            "replicates": replicates,
            "alarm_recurrence_days": settings.alarm_recurrence_days,
            "alarms": alarms,
            "warnings": run.warnings,
            "not_analysed": {k.value: why for k, why in run.skipped.items()},
            "clusters": [as_json(p, app.territories, language) for p in proposals],
        }
        click.echo(json.dumps(document, indent=2, ensure_ascii=False))
        return
    for warning in run.warnings:
        click.echo(f"warning: {warning}", err=True)
    for skipped_kind, why in run.skipped.items():
        click.echo(
            f"{skipped_kind.value}: not analysed ({why}; at least {MINIMUM_INCIDENTS} are needed)"
        )
    click.echo(
        f"Detection on {day:%Y-%m-%d}: {alarms} significant cluster(s) (alarm: by chance at most "
        f"{in_words(settings.alarm_recurrence_days)}), {replicates} replicates."
    )
    for number, proposal in enumerate(proposals, start=1):
        click.echo(f"{number}. " + describe(proposal, app.territories, language))
    if not alarms and run.reports and not show_all:
        best = max(run.reports, key=lambda r: r.cluster.log_likelihood_ratio)
        click.echo(
            f"The most likely cluster is not significant: p = {best.cluster.p_value:.2g} "
            f"({best.kind.value}, {best.cluster.observed} incidents); --all prints it."
        )
