"""``prevnet territory``: look up municipalities and police zones."""

from __future__ import annotations

import click

from phenomena.territory import Municipality, PoliceZone, TerritoryRegistry
from prevnet.cli.app import App, run_command


@click.group()
def territory() -> None:
    """Look up Belgian municipalities and police zones."""


@territory.command("show")
@click.argument("query", nargs=-1, required=True)
@click.pass_obj
def show(app: App, query: tuple[str, ...]) -> None:
    """Show a municipality (name in FR/NL/DE, or NIS code) or a police zone ('zone 5324')."""
    text = " ".join(query)
    territories = app.territories

    def lookup() -> str:
        head, _, rest = text.partition(" ")
        if head.lower() in ("zone", "zp", "pz") and rest:
            zone = territories.find_zone(rest)
        else:
            zone = territories.find_zone(text)
        if zone is not None:
            return describe_zone(zone, territories)
        return describe_municipality(territories.find_municipality(text), territories)

    click.echo(run_command(lookup))


def describe_municipality(m: Municipality, territories: TerritoryRegistry) -> str:
    """The municipality as ``territory show`` prints it."""
    province = territories.province_of(m.nis)
    zone = territories.zone_of(m.nis)
    names = [f"fr: {m.name_fr}", f"nl: {m.name_nl}"]
    if m.name_de:
        names.append(f"de: {m.name_de}")
    lines = [
        f"{m.name}",
        f"  NIS code:      {m.nis}",
        f"  names:         {', '.join(names)}",
        f"  language:      {', '.join(lang.value for lang in m.languages) or 'unknown'}",
        f"  province:      {province.name} ({province.nis})",
        f"  police zone:   {_zone_label(zone)}",
        "  neighbours:",
    ]
    for nis in territories.neighbours(m.nis):
        n = territories.municipalities[nis]
        lines.append(f"    {n.nis}  {n.name}  (zone {n.zone_key})")
    return "\n".join(lines)


def describe_zone(zone: PoliceZone, territories: TerritoryRegistry) -> str:
    """The zone as ``territory show zone <key>`` prints it."""
    lines = [f"Police zone {_zone_label(zone)}", "  municipalities:"]
    for nis in zone.municipalities:
        lines.append(f"    {nis}  {territories.municipalities[nis].name}")
    return "\n".join(lines)


def _zone_label(zone: PoliceZone) -> str:
    note = " (provisional key: set its number under [zone_codes])" if zone.provisional else ""
    return f"{zone.key} {zone.name}{note}"
