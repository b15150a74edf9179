"""Writing alerts in chat: ``!alert new`` (text or guided), ``publish``, ``fold``, ``cancel``,
``update`` and ``close``; drafts always go to the author's direct chat.

A normal alert that would go beyond a routed room's weekly budget is not published: its author is
asked, in the answer, to confirm (``!alert publish A-12 confirm``) or to fold it into the digest
(``!alert fold A-12``: info, published without a bulletin). Making a published info alert normal
is held the same way (``!alert update A-12 confirm priority: normal``).
"""

from __future__ import annotations

import html

from bots.alert_desk import AlertDesk, after_ref, alert_ref, asking_member
from bots.alert_views import errors_reply, is_direct_chat, preview, privately
from bots.commands import Arguments, CommandRegistry, Context, Reply, UsageError
from bots.dialogue import GuidedEntry
from phenomena.alert import Alert, AlertContent, AlertStatus, parse_ref
from phenomena.alert_text import format_alert_text, merge_fields, parse_alert_text
from phenomena.budget import CONFIRM_WORDS
from phenomena.errors import DocumentErrors, InvalidValue
from phenomena.partners import Role
from phenomena.rooms import room_languages
from phenomena.services import alerts as use
from phenomena.services.budget import draft_note, fold_draft, held_for_budget, held_for_update
from phenomena.text import fold
from phenomena.tlp import Tlp


def register_authoring_commands(registry: CommandRegistry, desk: AlertDesk) -> None:
    """Add the commands that write alerts, and the guided entry for messages that are none."""

    async def start_draft(context: Context, text: str) -> Reply:
        member = asking_member(context)
        shared = not is_direct_chat(context)
        try:
            content = parse_alert_text(text, desk.territories, today=desk.clock().date())
        except DocumentErrors as exc:  # only what the room saw typed
            return errors_reply(exc, "The alert")
        async with desk.uow(None) as unit:
            org = await unit.organisations.get(member.organisation)
        source = f"{org.name if org else member.organisation} ({member.display_name})"
        try:
            desk.check_size(Alert(0, content, member.matrix_id, member.organisation), source)
        except InvalidValue as exc:
            return Reply(str(exc))
        alert, route = await use.draft_alert(
            desk.uow(context.event_id),
            content,
            context.sender,
            desk.territories,
            desk.clock(),
            origin_room=context.room_id if shared else None,
        )
        moderated = await use.will_need_moderation(
            desk.uow(None), alert, desk.territories, desk.policy
        )
        existing = await desk.existing(route.rooms)
        shown = preview(
            alert, route, desk.territories, moderated, await desk.source(alert), existing
        )
        if desk.budget is not None:
            note = await draft_note(
                desk.budget, alert, member, desk.territories, desk.clock(), desk.room_exists
            )
            if note is not None:
                extra = f"<p>{html.escape(note)}</p>"
                shown = Reply(f"{shown.text}\n{note}", shown.html and shown.html + extra)
        return privately(shown, context, draft=f"Draft {alert.ref}")

    def languages_of(context: Context) -> tuple[str, ...]:
        return room_languages(context.room_key, desk.territories) if context.room_key else ()

    guided = GuidedEntry(desk.territories, desk.clock, start_draft, languages_of=languages_of)
    registry.fallback = guided.answer

    @registry.command(
        "alert new",
        raw=True,
        needs=Role.AUTHOR,
        usage="alert new (then field: value lines)",
        help="write an alert (lines under the command), or alone for a guided entry",
    )
    async def new(context: Context, args: Arguments) -> Reply:
        if not args.rest.strip():
            return guided.start(context)
        # the text keeps the command's line, so line numbers match the message as typed
        return await start_draft(context, args.rest)

    @registry.command(
        "alert publish",
        needs=Role.AUTHOR,
        usage="alert publish A-12 [confirm]",
        help="publish your draft (or send it to moderation); confirm: beyond a room's weekly "
        "budget",
    )
    async def publish(context: Context, args: Arguments) -> Reply | None:
        ref = alert_ref(args)
        confirmed = any(fold(word) in CONFIRM_WORDS for word in args.positional[1:])
        if not confirmed and desk.budget is not None:
            held = await held_for_budget(
                desk.uow(None),
                desk.budget,
                parse_ref(ref),
                context.sender,
                desk.territories,
                desk.clock(),
                desk.room_exists,
            )
            if held is not None:  # names the routed rooms: for the author's eyes only
                return privately(Reply(held), context)
        alert, _ = await use.submit_draft(
            desk.uow(context.event_id),
            parse_ref(ref),
            context.sender,
            desk.territories,
            desk.policy,
            desk.clock(),
        )
        if alert.status is AlertStatus.PENDING_MODERATION:
            return Reply(
                f"{alert.ref} is sent to the moderators (another person than you approves "
                "it); you will be told in our direct chat."
            )
        # No reply now: the delivery tells the author "published in N room(s)" as soon as the
        # bulletins are out. A reply here would reach the homeserver first and, when the author
        # typed in a routed room, hold the bulletin back: Synapse writes a room's events one
        # after the other.
        return None

    @registry.command(
        "alert fold",
        needs=Role.AUTHOR,
        usage="alert fold A-12",
        help="publish your draft as info, without a bulletin: it goes into the weekly digest",
    )
    async def fold_(context: Context, args: Arguments) -> Reply:
        alert, _ = await fold_draft(
            desk.uow(context.event_id),
            parse_ref(alert_ref(args)),
            context.sender,
            desk.territories,
            desk.policy,
            desk.clock(),
        )
        if alert.status is AlertStatus.PENDING_MODERATION:
            return Reply(
                f"{alert.ref} is folded into the digest (info, no bulletin) and sent to the "
                "moderators (another person than you approves it)."
            )
        if alert.content.tlp is Tlp.RED:
            return Reply(
                f"{alert.ref} is published as info: only in its own room, for its recipients, "
                "and it mentions nobody; no zone or province room gets it."
            )
        return Reply(
            f"{alert.ref} is published as info: no bulletin is posted; it is in !alert list and "
            "in the next weekly digest of its room(s)."
        )

    @registry.command(
        "alert cancel",
        needs=Role.AUTHOR,
        usage="alert cancel A-12",
        help="drop your draft",
    )
    async def cancel(context: Context, args: Arguments) -> Reply:
        alert = await use.discard_draft(
            desk.uow(context.event_id),
            parse_ref(alert_ref(args)),
            context.sender,
            desk.clock(),
            desk.territories,
        )
        if alert.origin_room is not None:
            return Reply(
                f"Draft {alert.ref} is dropped. It was typed in a shared room, whose members "
                "saw its text; its draft and routing were shown to you alone."
            )
        return Reply(f"Draft {alert.ref} is dropped; nobody else saw it.")

    @registry.command(
        "alert update",
        raw=True,
        needs=Role.AUTHOR,
        usage="alert update A-12 field: value",
        help="change an alert; its bulletins are edited in place (a widening waits for a "
        "moderator)",
    )
    async def update(context: Context, args: Arguments) -> Reply:
        ref = alert_ref(args)
        alert, _ = await desk.visible(ref, asking_member(context))
        changes = after_ref(args)
        words = changes.split(None, 1)
        confirmed = bool(words) and fold(words[0]) in CONFIRM_WORDS  # beyond the budget
        if confirmed:
            changes = words[1] if len(words) > 1 else ""
        if not changes.strip():
            raise UsageError("say what changes, e.g. summary: new text")
        merged, errors = merge_fields(format_alert_text(alert.content, desk.territories), changes)
        if errors:
            return errors_reply(DocumentErrors(errors), "The update")
        try:
            content = parse_alert_text(merged, desk.territories, today=desk.clock().date())
        except DocumentErrors as exc:
            return errors_reply(exc, "The update")
        desk.check_size(_with(alert, content), await desk.source(alert))
        if not confirmed and desk.budget is not None:
            held = await held_for_update(
                desk.budget,
                alert,
                content,
                asking_member(context),
                desk.territories,
                desk.clock(),
                desk.room_exists,
            )
            if held is not None:  # names the routed rooms: for the author's eyes only
                return privately(Reply(held), context)
        updated, changed = await use.update_alert(
            desk.uow(context.event_id),
            alert.id,
            content,
            context.sender,
            desk.territories,
            desk.clock(),
            desk.policy,
        )
        if not changed:
            return Reply(f"{updated.ref} already says that; nothing changed.")
        if updated.status is AlertStatus.PENDING_MODERATION:
            return Reply(
                f"{updated.ref} is edited ({', '.join(changed)}); "
                f"another moderator approves it with !approve {updated.ref}."
            )
        if updated.proposed is not None and updated.proposed.by == context.sender:
            return Reply(
                f"This change widens {updated.ref} ({', '.join(updated.proposed.widens)}): it "
                f"waits for a moderator other than you (!approve {updated.ref}); its bulletins "
                "stay as they are until then."
            )
        return Reply(f"{updated.ref} is updated ({', '.join(changed)}); its bulletins are edited.")

    @registry.command(
        "alert close",
        raw=True,
        needs=Role.AUTHOR,
        usage="alert close A-12 [reason]",
        help="close an alert; its bulletins are marked closed",
    )
    async def close(context: Context, args: Arguments) -> Reply:
        ref = alert_ref(args)
        reason = after_ref(args)
        alert = await use.close_alert(
            desk.uow(context.event_id),
            parse_ref(ref),
            context.sender,
            reason.strip(),
            desk.clock(),
            desk.territories,
        )
        return Reply(f"{alert.ref} is closed.")


def _with(alert: Alert, content: AlertContent) -> Alert:
    return Alert(alert.id, content, alert.author, alert.organisation, alert.status)
