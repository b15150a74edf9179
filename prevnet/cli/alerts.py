"""``prevnet alert``: check alert text before it is typed in chat."""

from __future__ import annotations

from datetime import datetime
from typing import IO

import click

from phenomena.alert import AlertContent
from phenomena.alert_text import format_alert_text, parse_alert_text
from phenomena.errors import DocumentErrors
from phenomena.pii import screen_alert_fields
from phenomena.routing import route_alert
from phenomena.territory import TerritoryRegistry
from prevnet.cli.app import App, now, run_command


@click.group()
def alert() -> None:
    """Phenomenon alerts."""


@alert.command("check")
@click.argument("file", type=click.File("r", encoding="utf-8"))
@click.option(
    "--today",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="The date 'today' means in the alert (default: the current date).",
)
@click.pass_obj
def check(app: App, file: IO[str], today: datetime | None) -> None:
    """Validate an alert written as 'key: value' lines (FILE, or - for standard input).

    Prints the normalised alert, where it would be routed and any personal data found, or
    every error with its line number (exit code 1).
    """
    text = file.read()
    name = getattr(file, "name", "alert")
    day = today.date() if today is not None else now().date()
    territories = app.territories
    try:
        content = parse_alert_text(text, territories, today=day)
    except DocumentErrors as exc:
        click.echo(f"{name}: {len(exc.errors)} error(s); the alert is not valid:", err=True)
        for error in exc.errors:
            click.echo(f"  {error}", err=True)
        raise SystemExit(1) from None
    click.echo(run_command(lambda: describe_check(content, territories)))


def describe_check(content: AlertContent, territories: TerritoryRegistry) -> str:
    """The report of ``alert check`` for valid content."""
    route = route_alert(content, territories)
    lines = ["The alert is valid. Normalised:", ""]
    lines += ["  " + line for line in format_alert_text(content, territories).splitlines()]
    lines += ["", f"Routing ({content.tlp.label}): {len(route.targets)} room(s)"]
    for target in route.targets:
        lines.append(f"  {target.room}  {room_label(target.room, territories)}")
        lines += [f"      - {reason}" for reason in target.reasons]
    findings = screen_alert_fields(
        {"summary": content.summary, "modus": content.modus, "advice": content.advice}
    )
    if findings:
        lines += ["", "Personal data to confirm or remove before publishing:"]
        for field, found in findings.items():
            lines += [f"  {field}: {f.kind.value} {f.text!r}" for f in found]
    else:
        lines += ["", "Personal data: none found."]
    return "\n".join(lines)


def room_label(room: str, territories: TerritoryRegistry) -> str:
    """A readable name for a room key."""
    kind, _, key = room.partition(":")
    if kind == "zone" and key in territories.zones:
        return f"police zone {territories.zones[key].name}"
    if kind == "province" and key in territories.provinces:
        return territories.provinces[key].name
    return room
