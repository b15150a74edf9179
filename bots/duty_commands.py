"""``!duty`` (who is on duty here now) and ``!duty take [until]``, and the handover note.

Who reads the answer is the room: a zone or province room gets its area's duty, ``#moderation``
and ``#admin`` (moderators, admins) everyone's, a member's direct chat their own; any other room
is told where to ask, and a room prevnet does not manage gets no answer at all. Answers and the
note are in the room's language (``bots.i18n``); refusals, like every command's, in English.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, tzinfo
from typing import Any, Protocol

from bots.bot import notice_content
from bots.commands import Arguments, CommandRegistry, Context, Reply, UsageError
from bots.i18n import Labels
from phenomena.duty import (
    PROVINCE,
    ZONE,
    DutyArea,
    DutyPeriod,
    area_of_room,
    local_text,
    parse_until,
    take_duty,
)
from phenomena.errors import InvalidValue
from phenomena.events import DutyHandedOver
from phenomena.partners import Member
from phenomena.room_keys import DIRECT
from phenomena.rooms import ADMIN, MODERATION, room_languages
from phenomena.territory import TerritoryRegistry

USAGE = "duty take [until]"
EVERYONE_ROOMS = (MODERATION, ADMIN)  # only moderators and admins read these

MemberLookup = Callable[[str], Awaitable[Member | None]]


class DutyRoster(Protocol):
    """The rota as the commands use it (``phenomena.storage.duty.SqlDutyRota``)."""

    async def on_duty(self, scope: str, areas: Sequence[str], at: datetime) -> list[DutyPeriod]: ...

    async def upcoming(
        self,
        at: datetime,
        *,
        scope: str | None = None,
        area: str | None = None,
        member: str | None = None,
    ) -> list[DutyPeriod]: ...

    async def add(
        self, periods: Sequence[DutyPeriod], *, actor: str, once: str | None = None
    ) -> list[DutyPeriod]: ...


class DutyTexts:
    """Names and times as the answers and the note show them."""

    def __init__(
        self, territories: TerritoryRegistry, member_of: MemberLookup, zone: tzinfo
    ) -> None:
        self.territories = territories
        self.member_of = member_of
        self.zone = zone

    def labels(self, room_key: str) -> Labels:
        return Labels(room_languages(room_key, self.territories))

    async def callable(self, periods: Sequence[DutyPeriod]) -> list[DutyPeriod]:
        """The periods of active members: a suspended or removed member stays on the rota (an
        administrator's to change) but is never called, so chat must not show them on duty."""
        found = []
        for period in periods:
            member = await self.member_of(period.member)
            if member is not None and member.is_active:
                found.append(period)
        return found

    async def who(self, matrix_id: str) -> str:
        found = await self.member_of(matrix_id)
        return f"{found.display_name} ({matrix_id})" if found is not None else matrix_id

    def area(self, where: DutyArea) -> str:
        return where.label(self.territories)

    def when(self, moment: datetime) -> str:
        return local_text(moment, self.zone)


def register_duty_commands(
    registry: CommandRegistry,
    roster: DutyRoster,
    texts: DutyTexts,
    clock: Callable[[], datetime],
) -> None:
    """Add ``!duty`` and ``!duty take``."""

    @registry.command(
        "duty",
        help="who is on duty here now (zone or province rooms; #moderation: everyone; "
        "our direct chat: your own duty)",
    )
    async def duty(context: Context, args: Arguments) -> Reply | None:
        if context.room_key is None:
            return None  # not a room prevnet manages: its readers are unknown, say nothing
        if args.positional:
            raise UsageError(f"write !duty, or !{USAGE}")
        labels = texts.labels(context.room_key)
        now = clock()
        where = area_of_room(context.room_key)
        if where is not None:
            return Reply(await _area_answer(roster, texts, labels, where, now))
        if context.room_key in EVERYONE_ROOMS:
            running = await texts.callable([p for p in await roster.upcoming(now) if p.covers(now)])
            return Reply(await _everyone(texts, labels, running))
        if context.room_key.startswith(DIRECT):
            assert context.member is not None
            mine = await roster.upcoming(now, member=context.member.matrix_id)
            return Reply(await _own(texts, labels, mine))
        return Reply(
            "!duty answers in a zone or province room (who is on duty there), in #moderation "
            "(everyone on duty) or in our direct chat (your own duty)."
        )

    @registry.command(
        "duty take",
        usage=USAGE,
        help="take duty for this room's zone or province from now (moderators and authors; "
        "until e.g. 18:00, 8h or 2026-12-06 08:00; default midnight, or 08:00 if taken after "
        "20:00)",
    )
    async def take(context: Context, args: Arguments) -> Reply | None:
        if context.room_key is None:
            return None
        member = context.member
        assert member is not None  # the registry answers only members
        where = area_of_room(context.room_key)
        if where is None:
            raise InvalidValue(
                "!duty take works in a zone or province room: you take duty for that room's "
                "area; type it there"
            )
        now = clock()
        until = parse_until(" ".join(args.positional), now, texts.zone) if args.positional else None
        period = take_duty(member, where, now, until, texts.zone)
        labels = texts.labels(context.room_key)
        running = await roster.upcoming(now, scope=where.scope, area=where.area)
        mine = [p for p in running if p.member == member.matrix_id and p.covers(now)]
        if any(p.ends_at >= period.ends_at for p in mine):
            # nothing to store, but the command is marked: seen again after a crash (when the
            # period found may be its own), it stays silent instead of answering twice
            await roster.add([], actor=member.matrix_id, once=context.event_id)
            end = max(p.ends_at for p in mine)
            return Reply(
                labels(
                    "You are already on duty for {area} until {end}.",
                    area=texts.area(where),
                    end=texts.when(end),
                )
            )
        await roster.add([period], actor=member.matrix_id, once=context.event_id)
        lines = [
            labels(
                "Done: you are on duty for {area} until {end}; #moderation is told.",
                area=texts.area(where),
                end=texts.when(period.ends_at),
            )
        ]
        for other in await texts.callable(running):
            if other.member != member.matrix_id and other.overlaps(period):
                lines.append(
                    labels(
                        "{who} is on duty too, {start} - {end}: both of you are called.",
                        who=await texts.who(other.member),
                        start=texts.when(other.starts_at),
                        end=texts.when(other.ends_at),
                    )
                )
        return Reply("\n".join(lines))


async def _area_answer(
    roster: DutyRoster, texts: DutyTexts, labels: Labels, where: DutyArea, now: datetime
) -> str:
    areas = [where]
    if where.scope == ZONE and where.area in texts.territories.zones:
        provinces = {
            texts.territories.municipalities[n].province_nis
            for n in texts.territories.zones[where.area].municipalities
        }
        areas += [DutyArea(PROVINCE, p) for p in sorted(provinces)]
    lines: list[str] = []
    for area in areas:
        running = await texts.callable(await roster.on_duty(area.scope, [area.area], now))
        if running:
            lines.append(labels("On duty for {area} now:", area=texts.area(area)))
            for period in running:
                lines.append(
                    "  "
                    + labels(
                        "{who}, until {end}",
                        who=await texts.who(period.member),
                        end=texts.when(period.ends_at),
                    )
                )
            continue
        lines.append(labels("Nobody is on duty for {area} now.", area=texts.area(area)))
        later = await texts.callable(await roster.upcoming(now, scope=area.scope, area=area.area))
        if later:
            lines.append(
                "  "
                + labels(
                    "Next: {who}, from {start}.",
                    who=await texts.who(later[0].member),
                    start=texts.when(later[0].starts_at),
                )
            )
    lines.append(labels("Moderators and authors take duty here with !duty take [until]."))
    return "\n".join(lines)


async def _everyone(texts: DutyTexts, labels: Labels, running: Sequence[DutyPeriod]) -> str:
    if not running:
        return labels("Nobody is on duty anywhere now.")
    lines = [labels("On duty now:")]
    for period in running:
        lines.append(
            f"  {texts.area(period.where)}: "
            + labels(
                "{who}, until {end}",
                who=await texts.who(period.member),
                end=texts.when(period.ends_at),
            )
        )
    return "\n".join(lines)


async def _own(texts: DutyTexts, labels: Labels, mine: Sequence[DutyPeriod]) -> str:
    if not mine:
        return labels("You are not on the duty rota from now on.")
    lines = [labels("Your duty:")]
    lines += [
        f"  {texts.area(p.where)}: {texts.when(p.starts_at)} - {texts.when(p.ends_at)}"
        for p in mine
    ]
    return "\n".join(lines)


async def handover_note(event: DutyHandedOver, texts: DutyTexts) -> dict[str, Any]:
    """The ``#moderation`` notice for a period that began; it mentions nobody (no ping)."""
    labels = texts.labels(MODERATION)
    where = DutyArea(event.scope, event.area)
    lines = [
        labels(
            "Duty handover: {who} is on duty for {area} from {start} until {end}.",
            who=await texts.who(event.member),
            area=texts.area(where),
            start=texts.when(datetime.fromisoformat(event.starts_at)),
            end=texts.when(datetime.fromisoformat(event.ends_at)),
        )
    ]
    if event.previous_member is None or event.previous_ends_at is None:
        lines.append(labels("Nobody was on duty for this area before."))
    else:
        previous_end = datetime.fromisoformat(event.previous_ends_at)
        if event.previous_member == event.member:
            key = "Follows on from their own duty until {end}."
        elif previous_end > datetime.fromisoformat(event.starts_at):
            key = "{who} stays on duty until {end} as well."
        else:
            key = "Handed over by {who} (on duty until {end})."
        lines.append(
            labels(key, who=await texts.who(event.previous_member), end=texts.when(previous_end))
        )
    content = notice_content(Reply("\n".join(lines)))
    content["m.mentions"] = {}
    return content
