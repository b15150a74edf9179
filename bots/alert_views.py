"""How alerts are shown in chat: who reads an answer where (TLP), drafts, and input errors."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from bots.commands import Context, Reply
from bots.i18n import Labels
from bots.rendering import render_alert
from phenomena.alert import Alert
from phenomena.audience import Reader
from phenomena.errors import DocumentErrors
from phenomena.partners import Member, Organisation
from phenomena.pii import screen_alert_fields
from phenomena.room_keys import direct_key
from phenomena.rooms import member_rooms
from phenomena.routing import Route
from phenomena.territory import TerritoryRegistry


def room_readers(
    context: Context,
    members: Iterable[Member],
    organisations: Mapping[str, Organisation],
    territories: TerritoryRegistry,
    room_alert: Alert | None = None,
) -> list[Reader] | None:
    """Everyone who reads the room a command was typed in, the asker included.

    The registry's members of a managed room (an alert's own room: its recipients' members),
    and whoever the bot's client sees in the room; None when the room is not managed and its
    members are unknown.
    """
    by_id = {m.matrix_id: m for m in members}
    ids: set[str] = {context.sender}
    if context.audience is None and context.room_key is None:
        return None
    ids |= set(context.audience or ())
    key = context.room_key
    if key is not None:
        for m in by_id.values():
            if not m.is_active:
                continue
            if key.startswith("alert:"):
                if room_alert is not None and m.organisation in room_alert.recipients:
                    ids.add(m.matrix_id)
            elif key in member_rooms(m, organisations.get(m.organisation), territories):
                ids.add(m.matrix_id)
    readers: list[Reader] = []
    for matrix_id in sorted(ids):
        member = by_id.get(matrix_id)
        org = organisations.get(member.organisation) if member is not None else None
        readers.append((member, org))
    return readers


def is_direct_chat(context: Context) -> bool:
    """Whether the command came from a chat between the asker and the bot alone: the asker's
    recorded direct chat (``dm:<their id>``, as ``bots.network`` keys it) or an unknown room
    the bot's client sees the two of them in."""
    alone = context.audience == frozenset({context.sender})
    return alone and context.room_key in (None, direct_key(context.sender))


def errors_reply(errors: DocumentErrors, what: str) -> Reply:
    lines = [f"{what} is not valid; nothing was published:"]
    for error in errors.errors:
        if error.line is not None:
            where = f"line {error.line}"
        else:
            where = "missing" if error.field and "missing" in error.message else "the text"
        field = f" ({error.field})" if error.field else ""
        lines.append(f"- {where}{field}: {error.message}")
    return Reply("\n".join(lines))


def preview(
    alert: Alert,
    route: Route,
    territories: TerritoryRegistry,
    needs_moderation: bool,
    source: str,
    existing: frozenset[str] | None = None,
) -> Reply:
    """What the author sees before publishing: the bulletin, its rooms and why, personal data.

    ``existing`` is the set of routed rooms that exist (None: all of them); the others are
    listed as having no room yet, and not counted.
    """
    rendered = render_alert(alert, territories, Labels(()), source, footer="")
    real = [t for t in route.targets if existing is None or t.room in existing]
    lines = [
        f"Draft {alert.ref}: check it before it goes out.",
        "",
        rendered.text,
        "",
        f"It will go to {len(real)} room(s):",
    ]
    for target in route.targets:
        if existing is None or target.room in existing:
            lines.append(f"- {target.room}: {'; '.join(target.reasons)}")
        else:
            lines.append(f"- {target.room}: no room yet (no partner there); not sent")
    findings = screen_alert_fields(
        {
            "summary": alert.content.summary,
            "modus": alert.content.modus,
            "advice": alert.content.advice,
        }
    )
    if findings:
        lines += [
            "",
            "Personal data found: confirm it belongs here, or remove it "
            f"(!alert cancel {alert.ref}, then send a corrected alert):",
        ]
        for field, found in findings.items():
            lines += [f"- {field}: {f.kind.value} '{f.text}'" for f in found]
    lines += [""]
    if needs_moderation:
        lines.append("A moderator will have to approve it before it is published.")
    lines.append(f"Publish: !alert publish {alert.ref} · Drop: !alert cancel {alert.ref}")
    return Reply("\n".join(lines))


def privately(reply: Reply, context: Context, draft: str | None = None) -> Reply:
    """The reply for the asker's direct chat, with a pointer for the room it was asked in.

    The pointer says nothing of the answer (not even whether the alert exists); for a draft it
    reminds the author that the room saw what they typed.
    """
    if is_direct_chat(context):
        return reply
    pointer = "I answered you in our direct chat with the bot: not every reader here may see it."
    if draft is not None:
        pointer = (
            f"{draft} is in our direct chat with the bot: check and publish it there. "
            "Note: this room saw the text you typed."
        )
    return Reply(reply.text, reply.html, private=True, pointer=pointer)
