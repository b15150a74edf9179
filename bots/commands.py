"""Chat commands as a registry: each declares the role it needs and its help, next to its code.

``dispatch`` turns any message into nothing (not a command, or a stranger) or a reply; it never
raises, so no message can crash the bot.
"""

from __future__ import annotations

import logging
import shlex
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field

from phenomena.errors import AlreadyDone, DomainError
from phenomena.partners import Member, Role

log = logging.getLogger(__name__)

PREFIX = "!"


@dataclass(frozen=True)
class Reply:
    """What the bot answers: plain text, and HTML when it has formatting.

    ``private`` replies go to the asker's direct chat with the bot, and only ``pointer`` (a
    short, content-free line) to the room where the command was typed: for answers that not
    every member of that room may read.
    """

    text: str
    html: str | None = None
    private: bool = False
    pointer: str = "I answered you in our direct chat: this room may not read the answer."


@dataclass(frozen=True)
class Context:
    """Who wrote the command, and where."""

    sender: str
    member: Member | None
    room_id: str
    room_key: str | None
    event_id: str | None = None
    audience: frozenset[str] | None = None
    """Who else reads this room besides the bot (joined and invited, as the bot's client knows
    them); None when unknown, which the alert commands treat as a shared room."""


@dataclass(frozen=True)
class Arguments:
    """A command's words: positional ones, and ``key=value`` options."""

    positional: tuple[str, ...]
    options: Mapping[str, str]
    rest: str

    def option(self, name: str, default: str | None = None) -> str | None:
        """A ``key=value`` option, or the default."""
        return self.options.get(name, default)


Handler = Callable[[Context, Arguments], Awaitable[Reply | None]]  # None: answered later
Fallback = Callable[[Context, str], Awaitable[Reply | None]]


@dataclass(frozen=True)
class Command:
    """A registered command."""

    name: str
    needs: Role
    help: str
    usage: str
    rooms: frozenset[str] | None
    handler: Handler
    raw: bool = False  # free text (alerts): no quote parsing, line breaks kept


class UsageError(DomainError):
    """The command's words are not as its usage says."""


def raw_arguments(text: str) -> Arguments:
    """Words split on white space, and the text as typed (line breaks kept), for free text."""
    return Arguments(tuple(text.split()), {}, text.lstrip(" \t"))


def parse_arguments(text: str) -> Arguments:
    """Split command words, honouring quotes: ``name="Jean Dupont" roles=author``."""
    try:
        words = shlex.split(text)
    except ValueError as exc:
        raise UsageError(f"cannot read the command ({exc}): check the quotes") from None
    positional: list[str] = []
    options: dict[str, str] = {}
    for word in words:
        key, sep, value = word.partition("=")
        if sep and key.isidentifier():
            options[key.lower()] = value
        else:
            positional.append(word)
    return Arguments(tuple(positional), options, text.strip())


@dataclass
class CommandRegistry:
    """Every command the bot knows; help is generated from it."""

    commands: dict[str, Command] = field(default_factory=dict)
    fallback: Fallback | None = None  # for messages that are not commands (guided dialogues)

    def command(
        self,
        name: str,
        *,
        needs: Role = Role.MEMBER,
        help: str,
        usage: str = "",
        rooms: frozenset[str] | None = None,
        raw: bool = False,
    ) -> Callable[[Handler], Handler]:
        """Register a handler for ``!name`` (names may have two words: ``member add``)."""

        def register(handler: Handler) -> Handler:
            self.commands[name] = Command(name, needs, help, usage or name, rooms, handler, raw)
            return handler

        return register

    def find(self, body: str) -> tuple[Command, str] | None:
        """The command a message names and the text after it, longest name first."""
        text = body.strip()[len(PREFIX) :]
        lowered = text.lower()
        for name in sorted(self.commands, key=len, reverse=True):
            if lowered == name or lowered.startswith(name + " ") or lowered.startswith(name + "\n"):
                return self.commands[name], text[len(name) :]
        return None

    def help_for(self, member: Member) -> str:
        """The commands this member may use, with their usage."""
        lines = ["Commands you can use:"]
        for command in sorted(self.commands.values(), key=lambda c: c.name):
            if member.has(command.needs):
                where = (
                    f" (in {', '.join('#' + r for r in sorted(command.rooms))})"
                    if command.rooms
                    else ""
                )
                lines.append(f"  {PREFIX}{command.usage}{where}: {command.help}")
        return "\n".join(lines)

    async def dispatch(self, context: Context, body: str) -> Reply | None:
        """Answer a message: None when it is no command or comes from a stranger."""
        member = context.member
        if member is None:
            return None  # strangers get nothing, not even a refusal
        if not body.lstrip().startswith(PREFIX):
            fallback = self.fallback
            if fallback is None or not member.is_active:
                return None
            return await self._guard(context, body, lambda: fallback(context, body))
        if not member.is_active:
            return Reply(f"Your membership is {member.status.value}; ask an administrator.")
        if body.strip().lower() in (f"{PREFIX}help", f"{PREFIX}aide", f"{PREFIX}hulp"):
            return Reply(self.help_for(member))
        found = self.find(body)
        if found is None:
            word = body.strip().split()[0]
            return Reply(f"I do not know {word}. Type {PREFIX}help for the commands you can use.")
        command, rest = found
        if not member.has(command.needs):
            return Reply(
                f"Sorry, {PREFIX}{command.name} needs the {command.needs.value} role; "
                "ask an administrator of your organisation if you should have it."
            )
        if command.rooms is not None and context.room_key not in command.rooms:
            rooms = ", ".join("#" + r for r in sorted(command.rooms))
            return Reply(f"{PREFIX}{command.name} works in {rooms} only.")
        try:
            arguments = raw_arguments(rest) if command.raw else parse_arguments(rest)
        except UsageError as exc:
            return Reply(f"{exc}. Usage: {PREFIX}{command.usage}")
        return await self._guard(
            context, body, lambda: command.handler(context, arguments), command.usage
        )

    async def _guard(
        self,
        context: Context,
        body: str,
        run: Callable[[], Awaitable[Reply | None]],
        usage: str | None = None,
    ) -> Reply | None:
        """Run a handler; turn every failure into a reply (or silence for a repeat)."""
        try:
            return await run()
        except AlreadyDone:
            return None  # the same message seen again: it was answered the first time
        except UsageError as exc:
            return Reply(f"{exc}. Usage: {PREFIX}{usage}" if usage else str(exc))
        except DomainError as exc:
            return Reply(str(exc))
        except Exception:
            # the command words only: the rest may be an alert's text, possibly TLP:RED
            command = " ".join(body.split()[:2])[:40]
            log.exception("command %r from %s failed", command, context.sender)
            return Reply("Something went wrong on our side; the error is logged. Try again later.")
