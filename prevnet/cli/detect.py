"""``prevnet detect``: the space-time scan on the stored incidents, printed."""

from __future__ import annotations

from datetime import datetime

import click

from phenomena.detection.report import ClusterReport
from phenomena.detection.scan import ScanSettings
from phenomena.storage.incidents import SqlIncidentStore
from phenomena.taxonomy import PhenomenonType
from prevnet.cli.app import App, now, run_command
from prevnet.detection import detect as run_detection


@click.command("detect")
@click.option("--type", "kind", help="Only this phenomenon type (default: every type with data).")
@click.option(
    "--as-of", type=click.DateTime(formats=["%Y-%m-%d"]), help="The analysis day (default: today)."
)
@click.option("--replicates", default=999, show_default=True, help="Monte Carlo replicates.")
@click.option(
    "--all", "show_all", is_flag=True, help="Also print clusters that are not significant."
)
def detect(kind: str | None, as_of: datetime | None, replicates: int, show_all: bool) -> None:
    """Find emerging space-time clusters (prospective space-time permutation scan)."""
    ctx = click.get_current_context()
    app: App = ctx.obj
    kinds = [run_command(lambda: PhenomenonType.parse(kind))] if kind else None
    day = as_of.date() if as_of else now().date()
    settings = ScanSettings(replicates=replicates)

    async def go() -> tuple[list[ClusterReport], dict[PhenomenonType, str]]:
        return await run_detection(SqlIncidentStore(await app.database()), day, kinds, settings)

    reports, skipped = app.run(go)
    for skipped_kind, why in skipped.items():
        click.echo(f"{skipped_kind.value}: not analysed ({why}; at least 30 are needed)")
    shown = [r for r in reports if r.cluster.is_alarm or show_all]
    click.echo(
        f"Detection on {day:%Y-%m-%d}: {sum(r.cluster.is_alarm for r in reports)} "
        f"significant cluster(s) (recurrence interval at least "
        f"{settings.alarm_recurrence_days:.0f} days), {replicates} replicates."
    )
    for number, report in enumerate(shown, start=1):
        click.echo(f"{number}. " + report.describe(app.territories))
    if not shown and reports:
        best = max(reports, key=lambda r: r.cluster.log_likelihood_ratio)
        click.echo(
            f"The most likely cluster is not significant: p = {best.cluster.p_value:.2g} "
            f"({best.kind.value}); --all prints it."
        )
