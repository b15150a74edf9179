"""``prevnet report``: per organisation, alerts received, how soon they were seen, escalations
and usefulness over the last weeks; the cost/benefit view, as a table, JSON or a chart."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import click

from phenomena.report import AttentionReport
from phenomena.storage.report_queries import load_report
from prevnet.cli.app import App, now
from prevnet.files import private_file
from prevnet.report_chart import report_chart

COLUMNS = ("received", "≤1 h", "≤1 day", "later", "never", "escalations", "useful")


def report_table(report: AttentionReport, zone: ZoneInfo) -> list[str]:
    """The report as aligned lines: totals, then one line per organisation."""
    first = report.start.astimezone(zone)
    last = (report.end - timedelta(microseconds=1)).astimezone(zone)
    lines = [
        f"Attention report {first:%d/%m/%Y} to {last:%d/%m/%Y}: {report.alerts} alert(s) sent, "
        f"to {len(report.organisations)} organisation(s)"
        + (f"; {report.quiet} received none." if report.quiet else ".")
    ]
    if not report.organisations:
        return [*lines, "No organisation received an alert in this period."]
    names = [f"{r.name} [{r.key}]" for r in report.organisations]
    width = max(len("organisation"), *(len(n) for n in names))
    lines.append(f"{'organisation':<{width}}  " + "  ".join(COLUMNS))
    for name, row in zip(names, report.organisations, strict=True):
        useful = f"{row.usefulness:.0%} of {row.votes}" if row.usefulness is not None else "-"
        values = (
            row.received,
            row.seen_within_hour,
            row.seen_within_day,
            row.seen_later,
            row.never_seen,
            row.escalations,
        )
        cells = [f"{v:>{len(c)}}" for v, c in zip(values, COLUMNS, strict=False)]
        lines.append(f"{name:<{width}}  " + "  ".join([*cells, useful]))
    lines.append(
        "Seen: from the organisation's first bulletin to its members' first reaction; never: "
        "no reaction by the end of the period."
    )
    return lines


@click.command("report")
@click.option(
    "--weeks",
    type=click.IntRange(1, 104),
    default=12,
    show_default=True,
    help="How many weeks, up to now.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON, for scripts.")
@click.option(
    "--chart",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the chart (PNG) to this file.",
)
@click.pass_obj
def report(app: App, weeks: int, as_json: bool, chart: Path | None) -> None:
    """Per organisation: alerts received, seen within 1 hour, within a day, later or never,
    escalations that fired, and the share of its members' votes saying a bulletin helped."""
    end = now()
    start = end - timedelta(weeks=weeks)
    if weeks * 7 > app.settings.retention_days:
        click.echo(
            f"warning: reactions older than retention_days ({app.settings.retention_days}) are "
            "purged, so older alerts count as never seen; ask for fewer --weeks",
            err=True,
        )

    async def go() -> AttentionReport:
        return await load_report(await app.database(), app.territories, start, end)

    found = app.run(go)
    zone = ZoneInfo(app.settings.timezone)
    if chart is not None:
        try:
            private_file(chart).write_bytes(report_chart(found, zone).png)
        except OSError as exc:
            raise click.ClickException(
                f"cannot write the chart to {chart} ({exc.strerror}): give a file in a folder "
                "you may write to"
            ) from None
    if as_json:
        click.echo(json.dumps({"weeks": weeks, **found.as_dict()}, indent=2, ensure_ascii=False))
        return
    for line in report_table(found, zone):
        click.echo(line)
    if chart is not None:
        click.echo(f"chart written to {chart}")
