"""``!prefs email all|digest|none``: a member chooses what prevnet sends them by e-mail.

The answer goes to the member's direct chat (``private``): it names their address, which the
room they typed in need not see. The choice is stored through ``EmailChoices`` (the e-mail
deliveries store); a member may only ever set their own.
"""

from __future__ import annotations

from typing import Protocol

from bots.commands import Arguments, CommandRegistry, Context, Reply, UsageError
from phenomena.email_policy import EmailPreference
from phenomena.errors import InvalidValue

USAGE = "prefs email all|digest|none"
_MEANING = {
    EmailPreference.ALL: "every bulletin you receive in chat (CLEAR and GREEN in full, AMBER as a "
    "notice; never AMBER+STRICT or RED), and the weekly digest",
    EmailPreference.DIGEST: "the weekly digest only",
    EmailPreference.NONE: "nothing",
}


class EmailChoices(Protocol):
    """Where members' e-mail choices are kept (``SqlEmailDeliveries``)."""

    async def preference(self, member: str) -> EmailPreference: ...

    async def set_preference(self, member: str, choice: EmailPreference) -> None: ...


def register_prefs_commands(
    registry: CommandRegistry, choices: EmailChoices, *, email_enabled: bool
) -> None:
    """Add ``!prefs``; ``email_enabled`` says whether this network has ``[email]`` set up."""

    @registry.command(
        "prefs",
        usage=USAGE,
        help="choose what prevnet sends you by e-mail (default none); !prefs shows your choice",
    )
    async def prefs(context: Context, args: Arguments) -> Reply:
        member = context.member
        assert member is not None  # the registry answers only members
        words = [w.lower() for w in args.positional]
        if not words:
            current = await choices.preference(member.matrix_id)
            return _answer(member.email, current, email_enabled, changed=False)
        if words[0] != "email" or len(words) != 2:
            raise UsageError(f"write !{USAGE}")
        try:
            choice = EmailPreference.parse(words[1])
        except InvalidValue as exc:
            raise UsageError(str(exc)) from None
        await choices.set_preference(member.matrix_id, choice)
        return _answer(member.email, choice, email_enabled, changed=True)


def _answer(address: str | None, choice: EmailPreference, enabled: bool, *, changed: bool) -> Reply:
    lead = "Done: by e-mail you now get" if changed else "By e-mail you get"
    lines = [f"{lead} {_MEANING[choice]} (email {choice.value})."]
    if choice is not EmailPreference.NONE:
        if not address:
            lines.append(
                "You have no e-mail address in prevnet yet, so nothing is sent until an "
                "administrator of your organisation adds one (!member add ... email=...)."
            )
        else:
            lines.append(f"It goes to {address}.")
        if not enabled:
            lines.append(
                "E-mail is not set up on this network yet ([email] in the settings), so nothing "
                "is sent until an administrator sets it up."
            )
    lines.append(f"Change it with !{USAGE}; every e-mail also has a link to stop them.")
    return Reply("\n".join(lines), private=True, pointer="I answered you in our direct chat.")
