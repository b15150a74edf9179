"""``prevnet incidents``: import (its own module), a summary of what is stored, tokens, Knox."""

from __future__ import annotations

from datetime import datetime

import click

from phenomena.detection.knox import KnoxResult, knox
from phenomena.errors import NotFound
from phenomena.storage.incidents import IncidentSummary, SqlApiTokens, SqlIncidentStore
from phenomena.storage.unit_of_work import SqlUnitOfWork
from phenomena.taxonomy import PhenomenonType
from phenomena.territory import TerritoryRegistry
from prevnet.cli.app import App, now, run_command
from prevnet.cli.incident_import import import_command

TOP_MUNICIPALITIES = 10


def summary_lines(stored: IncidentSummary, territories: TerritoryRegistry) -> list[str]:
    """The summary as an analyst reads it: types with their period, then the top municipalities."""
    if not stored.types:
        return ["no incidents: import some with `prevnet incidents import`"]
    total = sum(t.count for t in stored.types)
    lines = [f"{total} incident(s), by type:"]
    width = max(len(t.type) for t in stored.types)
    lines += [
        f"  {t.type:<{width}}  {t.count:>7}  {t.first.isoformat()} to {t.last.isoformat()}"
        for t in stored.types
    ]
    if stored.municipalities:
        lines.append(f"the {len(stored.municipalities)} municipalities with the most incidents:")
        names = [
            territories.municipalities[nis].name if nis in territories.municipalities else nis
            for nis, _ in stored.municipalities
        ]
        width = max(len(n) for n in names)
        lines += [
            f"  {name:<{width}}  {count:>7}"
            for name, (_, count) in zip(names, stored.municipalities, strict=True)
        ]
    if stored.without_municipality:
        lines.append(
            f"{stored.without_municipality} incident(s) without a municipality (imported from "
            "coordinates only)"
        )
    return lines


@click.group()
def incidents() -> None:
    """Incident reports, for phenomenon detection."""


incidents.add_command(import_command)


@incidents.command("summary")
@click.option("--type", "kind", help="Only this phenomenon type (default: all incidents).")
@click.pass_obj
def summary(app: App, kind: str | None) -> None:
    """What is stored: counts by type with the first and last day, and the top municipalities."""
    chosen = run_command(lambda: PhenomenonType.parse(kind)) if kind else None

    async def go() -> IncidentSummary:
        return await SqlIncidentStore(await app.database()).summary(chosen, TOP_MUNICIPALITIES)

    for line in summary_lines(app.run(go), app.territories):
        click.echo(line)


@incidents.command("token")
@click.argument("organisation")
@click.pass_obj
def token(app: App, organisation: str) -> None:
    """Issue a token for ORGANISATION's system to send incidents to the API (shown once)."""

    async def go() -> str:
        db = await app.database()
        async with SqlUnitOfWork(db.sessions) as uow:
            if await uow.organisations.get(organisation) is None:
                raise NotFound(
                    f"no organisation '{organisation}'; `prevnet partners list` shows them"
                )
        return await SqlApiTokens(db).issue(organisation)

    issued = app.run(go)
    click.echo(issued)
    click.echo(
        "Keep it secret: it is shown once. `prevnet incidents revoke ORG` revokes it.", err=True
    )


@incidents.command("revoke")
@click.argument("organisation")
@click.pass_obj
def revoke(app: App, organisation: str) -> None:
    """Revoke every API token of ORGANISATION."""

    async def go() -> int:
        return await SqlApiTokens(await app.database()).revoke(organisation)

    click.echo(f"{app.run(go)} token(s) revoked")


@incidents.command("knox")
@click.option("--type", "kind", help="Only this phenomenon type (default: all incidents).")
@click.option("--distance", default=400.0, show_default=True, help="Metres.")
@click.option("--days", default=14, show_default=True, help="Days.")
@click.option(
    "--as-of", type=click.DateTime(formats=["%Y-%m-%d"]), help="Last day (default today)."
)
@click.option("--history", default=365, show_default=True, help="Days of history to use.")
@click.option("--permutations", default=999, show_default=True)
@click.pass_obj
def knox_command(
    app: App,
    kind: str | None,
    distance: float,
    days: int,
    as_of: datetime | None,
    history: int,
    permutations: int,
) -> None:
    """Near repeats: are incidents close in space also close in time (Knox test)?"""
    chosen = run_command(lambda: PhenomenonType.parse(kind)) if kind else None
    day = as_of.date() if as_of else now().date()

    async def go() -> KnoxResult | None:
        data = await SqlIncidentStore(await app.database()).arrays(chosen, day, history)
        if len(data.ids) < 2:
            return None
        return knox(data.x, data.y, data.days, distance, days, permutations)

    result = app.run(go)
    if result is None:
        click.echo("fewer than two incidents: import some with `prevnet incidents import`")
        raise SystemExit(1)
    click.echo(
        f"pairs within {distance:.0f} m and {days} days: {result.observed} observed, "
        f"{result.expected:.1f} expected, ratio {result.ratio:.2f}, p = {result.p_value:.3g} "
        f"({permutations} permutations)"
    )
