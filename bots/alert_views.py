"""How alerts are shown in chat: who may read one where (TLP), drafts, and input errors."""

from __future__ import annotations

from bots.commands import Reply
from bots.i18n import Labels
from bots.rendering import render_alert
from phenomena.alert import Alert, AlertStatus
from phenomena.errors import DocumentErrors
from phenomena.partners import Member, Organisation, Role
from phenomena.pii import screen_alert_fields
from phenomena.rooms import member_rooms
from phenomena.routing import Route
from phenomena.territory import TerritoryRegistry


def may_see(
    alert: Alert,
    member: Member,
    organisation: Organisation | None,
    room_key: str | None,
    territories: TerritoryRegistry,
) -> bool:
    """Whether this member may read this alert's content here."""
    if alert.author == member.matrix_id:
        return True
    if room_key is not None and room_key in alert.rooms:
        return True
    if not alert.content.tlp.leaves_the_zone:
        return False  # RED and AMBER+STRICT never leave their rooms
    if alert.status in (AlertStatus.DRAFT,):
        return False
    if alert.status is AlertStatus.PENDING_MODERATION:
        return member.has(Role.MODERATOR)
    if member.has(Role.MODERATOR) or member.organisation == alert.organisation:
        return True
    return bool(member_rooms(member, organisation, territories) & set(alert.rooms))


def errors_reply(errors: DocumentErrors, what: str) -> Reply:
    lines = [f"{what} is not valid; nothing was published:"]
    for error in errors.errors:
        where = f"line {error.line}" if error.line is not None else "missing"
        field = f" ({error.field})" if error.field else ""
        lines.append(f"- {where}{field}: {error.message}")
    return Reply("\n".join(lines))


def preview(
    alert: Alert, route: Route, territories: TerritoryRegistry, needs_moderation: bool, source: str
) -> Reply:
    """What the author sees before publishing: the bulletin, its rooms and why, personal data."""
    rendered = render_alert(alert, territories, Labels(()), source, footer="")
    lines = [
        f"Draft {alert.ref}: check it before it goes out.",
        "",
        rendered.text,
        "",
        f"It will go to {len(route.targets)} room(s):",
    ]
    for target in route.targets:
        lines.append(f"- {target.room}: {'; '.join(target.reasons)}")
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
