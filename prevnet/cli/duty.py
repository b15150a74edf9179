"""``prevnet duty``: the duty rota, who answers for a police zone or a province, and when.

``set`` and ``import`` check every entry before storing any (an unknown area, a non-member or
an end before the start refuse the whole file, each bad entry named with its line); entries
that overlap are stored and reported, naming both; an entry already on the rota is not added
twice. Times are read and shown in the network's time zone (``timezone`` in the settings).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

import click

from phenomena.duty import (
    DutyPeriod,
    Overlap,
    RotaEntry,
    check_entries,
    find_overlaps,
    parse_area,
)
from phenomena.errors import NotFound
from phenomena.partners import Member, MemberStatus, Organisation
from phenomena.rooms import member_rooms
from phenomena.storage.duty import SqlDutyRota
from prevnet.cli.app import App, default_actor, now, run_command
from prevnet.duty_files import read_rota_file


@click.group()
def duty() -> None:
    """The duty rota: who is on duty for a police zone or a province, when."""


@dataclass
class RotaChange:
    """What ``set`` or ``import`` did: entries added, those already there, overlaps, notes."""

    added: list[DutyPeriod] = field(default_factory=list)
    known: list[tuple[str, DutyPeriod]] = field(default_factory=list)
    overlaps: list[Overlap] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@duty.command("set")
@click.argument("area")
@click.argument("member")
@click.option("--from", "starts", required=True, help="Start, e.g. '2026-12-05 18:00'.")
@click.option("--to", "ends", required=True, help="End, e.g. '2026-12-06 08:00'.")
@click.option("--actor", default=None, help="Who to name in the audit log (default: cli:<you>).")
@click.pass_obj
def set_(app: App, area: str, member: str, starts: str, ends: str, actor: str | None) -> None:
    """Put MEMBER on duty for AREA (a zone such as '5324', or a province such as 'Hainaut').

    Times are in the network's time zone (settings `timezone`), or ISO 8601 with an offset.
    """
    entry = RotaEntry(area, member, starts, ends, None, "the new entry")
    _report(app, app.run(lambda: _store(app, [entry], "cli", actor or default_actor())))


@duty.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--check", is_flag=True, help="Check the file and report; store nothing.")
@click.option("--actor", default=None, help="Who to name in the audit log (default: cli:<you>).")
@click.pass_obj
def import_(app: App, file: Path, check: bool, actor: str | None) -> None:
    """Add the entries of a YAML or iCalendar (.ics) rota file, all or nothing.

    \b
    YAML:
      duty:
        - area: zone 5324
          member: "@analyste.mons:prevnet.localhost"
          from: 2026-12-05 18:00
          to: 2026-12-06 08:00
    iCalendar: one event per duty; the area in its location, the member's Matrix ID in its
    title (or the member invited by their e-mail address).
    """

    async def go() -> RotaChange:
        members = await _members(app)
        addresses = {
            m.email.strip().lower(): m.matrix_id
            for m in members.values()
            if m.email and m.status is MemberStatus.ACTIVE
        }
        entries = read_rota_file(file, addresses)
        return await _store(app, entries, "import", actor or default_actor(), dry=check)

    change = app.run(go)
    _report(app, change)
    if check:
        click.echo(f"checked: {len(change.added)} entry(ies) would be added; nothing was stored.")


@duty.command("list")
@click.argument("area", required=False)
@click.option("--member", default=None, help="Only this member's entries.")
@click.pass_obj
def list_(app: App, area: str | None, member: str | None) -> None:
    """The entries running now or to come, by area (of one AREA if given)."""
    where = run_command(lambda: parse_area(area, app.territories)) if area else None

    async def go() -> tuple[list[DutyPeriod], dict[str, Member]]:
        rota = SqlDutyRota(await app.database())
        found = await rota.upcoming(
            now(),
            scope=where.scope if where else None,
            area=where.area if where else None,
            member=member.strip() if member else None,
        )
        return found, await _members(app)

    periods, members = app.run(go)
    zone = ZoneInfo(app.settings.timezone)
    if not periods:
        scope = f" for {where.label(app.territories)}" if where else ""
        click.echo(f"nobody is on the rota from now on{scope}.")
        return
    click.echo(f"times in {app.settings.timezone}")
    moment = now()
    heading = None
    for period in periods:
        if period.where != heading:
            heading = period.where
            click.echo(heading.label(app.territories))
        marks = []
        if period.covers(moment):
            marks.append("on duty now")
        others = [f"#{o.id}" for o in periods if o.id != period.id and o.overlaps(period)]
        if others:
            marks.append("overlaps " + ", ".join(others))
        tail = f"  [{'; '.join(marks)}]" if marks else ""
        click.echo(
            f"  #{period.id}  {period.span(zone)}  {_who(period.member, members)}"
            f"  ({period.source}){tail}"
        )


@duty.command("remove")
@click.argument("entry", type=int)
@click.option("--actor", default=None, help="Who to name in the audit log (default: cli:<you>).")
@click.pass_obj
def remove(app: App, entry: int, actor: str | None) -> None:
    """Remove the rota entry numbered ENTRY (`prevnet duty list` shows the numbers)."""

    async def go() -> DutyPeriod:
        found = await SqlDutyRota(await app.database()).remove(
            entry, actor=actor or default_actor()
        )
        if found is None:
            raise NotFound(f"no rota entry #{entry}: `prevnet duty list` shows the entries")
        return found

    found = app.run(go)
    zone = ZoneInfo(app.settings.timezone)
    click.echo(
        f"removed #{entry}: {found.where.label(app.territories)}, {found.member}, "
        f"{found.span(zone)}"
    )


async def _members(app: App) -> dict[str, Member]:
    async with await app.uow() as unit:
        return {m.matrix_id: m for m in await unit.members.list()}


async def _store(
    app: App, entries: Sequence[RotaEntry], source: str, actor: str, *, dry: bool = False
) -> RotaChange:
    """Check every entry, then store the new ones in one transaction (nothing if one is bad)."""
    async with await app.uow() as unit:
        members = {m.matrix_id: m for m in await unit.members.list()}
        organisations = {o.key: o for o in await unit.organisations.list()}
    zone = ZoneInfo(app.settings.timezone)
    periods = check_entries(
        entries,
        app.territories,
        members,
        app.settings.server_name,
        zone,
        set_by=actor,
        source=source,
    )
    rota = SqlDutyRota(await app.database())
    change = RotaChange()
    fresh: list[tuple[str, DutyPeriod]] = []
    stored: dict[int, DutyPeriod] = {}
    for entry, period in zip(entries, periods, strict=True):
        label = entry.where + (f" (line {entry.line})" if entry.line else "")
        around = await rota.overlapping(period.scope, period.area, period.starts_at, period.ends_at)
        stored.update((p.id, p) for p in around if p.id is not None)
        same = next((p for p in around if p.same_entry(period)), None)
        if same is not None or any(period.same_entry(p) for _, p in fresh):
            change.known.append((label, same or period))
            continue
        fresh.append((label, period))
        note = _room_note(period, members.get(period.member), organisations, app)
        if note and note not in change.notes:
            change.notes.append(note)
    change.overlaps = find_overlaps(fresh, stored.values())
    new = [p for _, p in fresh]
    change.added = new if dry or not new else await rota.add(new, actor=actor)
    return change


def _room_note(
    period: DutyPeriod,
    member: Member | None,
    organisations: dict[str, Organisation],
    app: App,
) -> str | None:
    """A warning when the member is not in the area's room: a mention there cannot reach them."""
    if member is None:
        return None
    rooms = member_rooms(member, organisations.get(member.organisation), app.territories)
    if period.where.room_key in rooms:
        return None
    return (
        f"{member.matrix_id} is not in the room of {period.where.label(app.territories)} "
        f"(organisation {member.organisation}): a mention there will not reach them"
    )


def _report(app: App, change: RotaChange) -> None:
    zone = ZoneInfo(app.settings.timezone)
    for period in change.added:
        number = f"#{period.id}" if period.id is not None else "(not stored)"
        click.echo(
            f"added {number}: {period.where.label(app.territories)}, {period.member}, "
            f"{period.span(zone)} ({app.settings.timezone})"
        )
    for label, period in change.known:
        number = f" as #{period.id}" if period.id is not None else " earlier in the file"
        click.echo(f"already on the rota{number}: {label}, nothing added")
    for overlap in change.overlaps:
        click.echo(f"warning: {overlap.message(zone)}", err=True)
    if change.overlaps:
        click.echo(
            "warning: overlapping entries are all on duty (and all called); "
            "`prevnet duty remove N` takes one off",
            err=True,
        )
    for note in change.notes:
        click.echo(f"note: {note}", err=True)
    if not change.added and not change.known:
        click.echo("nothing added.")


def _who(matrix_id: str, members: dict[str, Member]) -> str:
    found = members.get(matrix_id)
    if found is None:
        return f"{matrix_id} (no longer a member)"
    status = "" if found.is_active else f", {found.status.value}"
    return f"{matrix_id} ({found.display_name}{status})"
