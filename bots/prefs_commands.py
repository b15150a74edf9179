"""``!prefs``: a member chooses what prevnet sends them by e-mail, which alerts may call them
(a priority floor and quiet hours), and the language prevnet answers them in.

Answers go to the member's direct chat (``private``): they name their address, which the room
they typed in need not see. E-mail choices are stored through ``EmailChoices`` (the e-mail
deliveries store), the others through ``NotifyChoices`` (``notify_preferences``); a member may
only ever set their own. A choice that cannot be read changes nothing and lists what to write.
"""

from __future__ import annotations

import dataclasses
from typing import Protocol

from bots.commands import Arguments, CommandRegistry, Context, Reply, UsageError
from bots.i18n import Labels
from phenomena.email_policy import EmailPreference
from phenomena.errors import InvalidValue
from phenomena.notify_prefs import LANGUAGES, NotifyPreference, QuietHours
from phenomena.priority import Priority

EMAIL_USAGE = "prefs email all|digest|none"
NOTIFY_USAGE = "prefs notify urgent|normal|info"
QUIET_USAGE = "prefs quiet 22:00-07:00|none"
LANGUAGE_USAGE = "prefs language fr|nl|de|en"
USAGES = (EMAIL_USAGE, NOTIFY_USAGE, QUIET_USAGE, LANGUAGE_USAGE)
USAGE = "prefs [email|notify|quiet|language ...]"
POINTER = "I answered you in our direct chat."

_MEANING = {
    EmailPreference.ALL: "every bulletin you receive in chat (CLEAR and GREEN in full, AMBER as a "
    "notice; never AMBER+STRICT or RED), and the weekly digest",
    EmailPreference.DIGEST: "the weekly digest only",
    EmailPreference.NONE: "nothing",
}
_FLOOR = {
    Priority.URGENT: "urgent alerts only",
    Priority.NORMAL: "urgent and normal alerts",
    Priority.INFO: "every alert, info included",
}
_LANGUAGE_NAMES = {"fr": "français", "nl": "Nederlands", "de": "Deutsch", "en": "English"}


class EmailChoices(Protocol):
    """Where members' e-mail choices are kept (``SqlEmailDeliveries``)."""

    async def preference(self, member: str) -> EmailPreference: ...

    async def set_preference(self, member: str, choice: EmailPreference) -> None: ...


class NotifyChoices(Protocol):
    """Where members' notification choices are kept (``SqlNotifyPreferences``)."""

    async def get(self, member: str) -> NotifyPreference: ...

    async def set(self, preference: NotifyPreference) -> None: ...


async def own_labels(notify: NotifyChoices | None, member: str) -> Labels:
    """Labels in the language ``member`` chose (English until they choose one)."""
    if notify is None:
        return Labels(["en"])
    language = (await notify.get(member)).language
    return Labels([language or "en"])


def register_prefs_commands(
    registry: CommandRegistry,
    choices: EmailChoices,
    *,
    email_enabled: bool,
    notify: NotifyChoices | None = None,
) -> None:
    """Add ``!prefs``; ``email_enabled`` says whether this network has ``[email]`` set up, and
    without ``notify`` only the e-mail choice is offered."""

    @registry.command(
        "prefs",
        usage=USAGE if notify is not None else EMAIL_USAGE,
        help="choose what prevnet sends you by e-mail (default none), which alerts may call you "
        "and when, and your language; !prefs shows your choices",
    )
    async def prefs(context: Context, args: Arguments) -> Reply:
        member = context.member
        assert member is not None  # the registry answers only members
        words = [w.lower() for w in args.positional]
        if args.options:  # e.g. member=@someone: nobody sets another member's choices
            raise UsageError(
                "you set your own preferences only: write one of " + _listing(notify is not None)
            )
        current = await notify.get(member.matrix_id) if notify is not None else None
        say = Labels([(current.language if current else None) or "en"])
        if not words:
            email = await choices.preference(member.matrix_id)
            lines = _email_lines(say, member.email, email, email_enabled, changed=False)
            if current is not None:
                lines += _notify_lines(say, current)
            return _private(say, lines)
        topic = words[0]
        if topic == "email":
            if len(words) != 2:
                raise UsageError(f"write !{EMAIL_USAGE}")
            try:
                choice = EmailPreference.parse(words[1])
            except InvalidValue as exc:
                raise UsageError(str(exc)) from None
            await choices.set_preference(member.matrix_id, choice)
            return _private(say, _email_lines(say, member.email, choice, email_enabled, True))
        if notify is None or current is None or topic not in ("notify", "quiet", "language"):
            raise UsageError("write one of " + _listing(notify is not None))
        changed = _changed(current, topic, words[1:])
        await notify.set(changed)
        say = Labels([changed.language or "en"])
        return _private(say, [say("Done."), *_notify_lines(say, changed)])


def _listing(all_choices: bool = True) -> str:
    return ", ".join(f"!{u}" for u in (USAGES if all_choices else (EMAIL_USAGE,)))


def _changed(current: NotifyPreference, topic: str, values: list[str]) -> NotifyPreference:
    """``current`` with one choice changed as typed; UsageError (nothing changed) if unread."""
    usage = {"notify": NOTIFY_USAGE, "quiet": QUIET_USAGE, "language": LANGUAGE_USAGE}[topic]
    text = " ".join(values)
    if not values or (topic != "quiet" and len(values) != 1):
        raise UsageError(f"write !{usage}")
    try:
        if topic == "notify":
            return dataclasses.replace(current, min_priority=Priority.parse(text))
        if topic == "quiet":
            return dataclasses.replace(current, quiet=QuietHours.parse(text))
        if text not in LANGUAGES:
            raise InvalidValue(f"unknown language {text!r}: write one of {', '.join(LANGUAGES)}")
        return dataclasses.replace(current, language=text)
    except InvalidValue as exc:
        raise UsageError(f"{exc}; nothing was changed (!{usage})") from None


def _notify_lines(say: Labels, preference: NotifyPreference) -> list[str]:
    floor = preference.min_priority
    lines = [
        say(
            "Alerts that may call you (mention, e-mail): {what} (notify {word}).",
            what=say(_FLOOR[floor]),
            word=floor.value,
        )
    ]
    if preference.quiet is None:
        lines.append(say("Quiet hours: none (quiet none)."))
    else:
        lines.append(
            say(
                "Quiet hours: {span}, local time: only urgent alerts call you then (quiet {span}).",
                span=str(preference.quiet),
            )
        )
    if preference.language is None:
        lines.append(say("Language: not chosen; I answer you in English (language en)."))
    else:
        name = _LANGUAGE_NAMES[preference.language]
        lines.append(
            say(
                "Language: {name}, for my answers to you alone (language {code}).",
                name=name,
                code=preference.language,
            )
        )
    lines.append(say("Change them with:") + " " + ", ".join(f"!{u}" for u in USAGES[1:]))
    return lines


def _email_lines(
    say: Labels, address: str | None, choice: EmailPreference, enabled: bool, changed: bool
) -> list[str]:
    lead = "Done: by e-mail you now get {what} (email {word})." if changed else None
    lead = lead or "By e-mail you get {what} (email {word})."
    lines = [say(lead, what=say(_MEANING[choice]), word=choice.value)]
    if choice is not EmailPreference.NONE:
        if not address:
            lines.append(
                say(
                    "You have no e-mail address in prevnet yet, so nothing is sent until an "
                    "administrator of your organisation adds one (!member add ... email=...)."
                )
            )
        else:
            lines.append(say("It goes to {address}.", address=address))
        if not enabled:
            lines.append(
                say(
                    "E-mail is not set up on this network yet ([email] in the settings), so "
                    "nothing is sent until an administrator sets it up."
                )
            )
    lines.append(
        say(
            "Change it with !{usage}; every e-mail also has a link to stop them.",
            usage=EMAIL_USAGE,
        )
    )
    return lines


def _private(say: Labels, lines: list[str]) -> Reply:
    return Reply("\n".join(lines), private=True, pointer=say(POINTER))
