"""``prevnet member prefs @id [all|digest|none]``: show or set what a member gets by e-mail.

The same choice as the member's own ``!prefs email`` in chat, for an administrator (a member who
asked by telephone, say). Kept apart from ``prevnet.cli.partners`` so each stays small.
"""

from __future__ import annotations

import click

from phenomena.email_policy import EmailPreference
from phenomena.partners import Member
from phenomena.services import partners as use
from phenomena.storage.email_deliveries import SqlEmailDeliveries
from prevnet.cli.app import App, run_command


@click.command("prefs")
@click.argument("matrix_id")
@click.argument("choice", required=False, type=click.Choice(["all", "digest", "none"]))
@click.pass_obj
def prefs(app: App, matrix_id: str, choice: str | None) -> None:
    """Show, or set to all, digest or none, what a member receives by e-mail (default none)."""
    wanted = run_command(lambda: EmailPreference.parse(choice)) if choice else None

    async def go() -> tuple[Member, EmailPreference]:
        async with await app.uow() as unit:
            found = await use.get_member(unit, matrix_id)
        deliveries = SqlEmailDeliveries(await app.database())
        if wanted is not None:
            await deliveries.set_preference(found.matrix_id, wanted)
        return found, await deliveries.preference(found.matrix_id)

    found, current = app.run(go)
    notes = []
    if current is not EmailPreference.NONE:
        if not found.email:
            notes.append("no e-mail address yet: add one with `prevnet member add ... --email`")
        if app.settings.email is None:
            notes.append("e-mail is not set up: add an [email] table to the settings")
    tail = f" ({'; '.join(notes)})" if notes else ""
    click.echo(f"{found.matrix_id}: email {current.value}{tail}")
