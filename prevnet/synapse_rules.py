"""prevnet's rules, enforced by the homeserver before any event is stored: a Synapse module.

The homeserver refuses, whatever a member's power level in a room: in the rooms prevnet manages
(those its bot created) any join rule but ``invite``, a change of history visibility or encryption,
a room upgrade, a change of its addresses or of its space's rooms, the redaction of a room
setting, and an invite by anyone but the bot; everywhere, an invite of another server's
account, a room address or a directory entry made by anyone but the bot, and a display name that
imitates the bot. Loaded through ``modules:`` in homeserver.yaml, by the embedded and the
production homeserver alike; it imports only Synapse and the standard library, so a production
deployment copies this one file next to Synapse without installing prevnet.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Any, Literal

from synapse.api.errors import Codes, SynapseError
from synapse.events import EventBase
from synapse.module_api import ModuleApi
from synapse.module_api.errors import ConfigError
from synapse.types import RoomAlias, StateMap

NotSpam = Literal["NOT_SPAM"]
Refusal = tuple[Codes, dict[str, str]]

# Letters of other scripts (and digits) that pass for the Latin letters of a name, beyond what
# NFKC already folds (full-width forms, mathematical letters, ligatures).
_LOOKALIKES = str.maketrans(
    {
        # Cyrillic
        "а": "a", "в": "b", "с": "c", "ԁ": "d", "е": "e", "ё": "e", "һ": "h", "н": "h",
        "і": "i", "ї": "i", "ј": "j", "к": "k", "м": "m", "п": "n", "о": "o", "р": "p",
        "ԛ": "q", "г": "r", "ѕ": "s", "т": "t", "ц": "u", "ѵ": "v", "ԝ": "w", "х": "x",
        "у": "y",
        # Greek
        "α": "a", "β": "b", "ε": "e", "η": "n", "ι": "i", "κ": "k", "μ": "u", "ν": "v",
        "ο": "o", "ρ": "p", "τ": "t", "υ": "u", "χ": "x", "γ": "y",
        # Armenian
        "ո": "n", "ս": "u", "օ": "o", "հ": "h",
        # Latin small capitals and other look-alikes
        "ɑ": "a", "ᴀ": "a", "ʙ": "b", "ᴄ": "c", "ᴅ": "d", "ᴇ": "e", "ɡ": "g", "ʜ": "h",
        "ı": "i", "ɪ": "i", "ᴊ": "j", "ᴋ": "k", "ʟ": "l", "ᴍ": "m", "ɴ": "n", "ᴏ": "o",
        "ᴘ": "p", "ʀ": "r", "ꜱ": "s", "ᴛ": "t", "ᴜ": "u", "ᴠ": "v", "ᴡ": "w", "ʏ": "y",
        "ᴢ": "z",
        # digits read as letters
        "0": "o", "1": "l", "3": "e", "4": "a", "5": "s", "7": "t",
    }
)  # fmt: skip


UNKNOWN = "?"
"""A letter or symbol of another script that no look-alike maps: it may stand for any letter."""
_MOST_UNKNOWN = 2  # a name with more such stand-ins than this is another script, not a disguise


def skeleton(name: str) -> str:
    """What a name looks like to a reader: case, accents, spacing, punctuation and script gone.

    ``"Prеvnet  Bot"`` (with a Cyrillic е) and ``"PREVNET"`` both read as ``prevnet``; a letter
    or symbol of another script that no look-alike maps becomes ``UNKNOWN``.
    """
    folded = unicodedata.normalize("NFKC", name).casefold()
    bare = "".join(
        char
        for char in unicodedata.normalize("NFD", folded)
        if unicodedata.category(char) not in ("Mn", "Me", "Cf")
    )
    shown = []
    for char in bare.translate(_LOOKALIKES):
        if char.isascii():
            if char.isalnum():
                shown.append(char)
        elif unicodedata.category(char)[0] in "LNS":
            shown.append(UNKNOWN)
    return "".join(shown)


def imitates(display_name: str, protected: tuple[str, ...]) -> bool:
    """Whether a display name reads as (or contains) one of the protected names.

    A few letters of other scripts in the right places count as the letters they stand for
    (``ꓑrevnet``, ``pяevnet``); a name written in another script throughout does not.
    """
    shown = skeleton(display_name)
    for name in protected:
        target = skeleton(name)
        for start in range(len(shown) - len(target) + 1 if target else 0):
            window = shown[start : start + len(target)]
            stand_ins = window.count(UNKNOWN)
            if stand_ins <= _MOST_UNKNOWN and all(
                seen in (wanted, UNKNOWN) for seen, wanted in zip(window, target, strict=True)
            ):
                return True
    return False


@dataclass(frozen=True)
class RulesConfig:
    """The module's configuration: the bot's Matrix ID and the names only the bot may show."""

    bot: str
    bot_names: tuple[str, ...]


def _local(user_id: str, server_name: str) -> bool:
    """Whether a Matrix ID is of this server (a localpart never holds a colon; a port may)."""
    return user_id.partition(":")[2] == server_name


def _redacts_state(redaction: EventBase, state: StateMap[EventBase]) -> bool:
    """Whether a redaction targets one of the room's current state events (which it would blank)."""
    target = redaction.content.get("redacts") or getattr(redaction, "redacts", None)
    return any(event.event_id == target for event in state.values())


class PrevnetRules:
    """The Synapse module: registers the callbacks that hold prevnet's rules."""

    def __init__(self, config: RulesConfig, api: ModuleApi) -> None:
        self.config = config
        self.api = api
        self.server_name = api.server_name
        if not _local(config.bot, self.server_name):
            raise ConfigError(
                f"prevnet rules: bot {config.bot} is not an account of {self.server_name}; "
                f"write the bot's Matrix ID, e.g. @prevnet:{self.server_name}"
            )
        api.register_third_party_rules_callbacks(
            check_event_allowed=self.check_event_allowed,
            on_create_room=self.on_create_room,
        )
        api.register_spam_checker_callbacks(
            user_may_invite=self.user_may_invite,
            user_may_create_room_alias=self.user_may_create_room_alias,
            user_may_publish_room=self.user_may_publish_room,
        )

    @staticmethod
    def parse_config(config: dict[str, Any]) -> RulesConfig:
        """Read ``bot`` (required) and ``bot_names`` (default: the bot's localpart)."""
        bot = config.get("bot") if isinstance(config, dict) else None
        if not isinstance(bot, str) or not bot.startswith("@") or ":" not in bot:
            raise ConfigError(
                "prevnet rules: set 'bot' to the bot's Matrix ID, e.g. bot: '@prevnet:example.be'"
            )
        names = config.get("bot_names", [bot[1:].partition(":")[0]])
        if not isinstance(names, list) or not all(isinstance(n, str) and n for n in names):
            raise ConfigError("prevnet rules: 'bot_names' is a list of names, e.g. ['prevnet']")
        return RulesConfig(bot=bot, bot_names=tuple(names))

    def _managed(self, event: EventBase, state: StateMap[EventBase]) -> bool:
        """Whether the event's room is one of prevnet's: its creator is the bot."""
        create = event if event.type == "m.room.create" else state.get(("m.room.create", ""))
        return create is not None and create.sender == self.config.bot

    def refusal(self, event: EventBase, state: StateMap[EventBase]) -> str | None:
        """Why the event breaks a rule (a message for the sender), or None if it keeps them."""
        content = event.content
        if event.type == "m.room.member":
            membership = content.get("membership")
            target = event.state_key or ""
            if membership == "invite" and not _local(target, self.server_name):
                return (
                    f"{target} is an account of another server; this network is closed to "
                    f"other servers: invite accounts of {self.server_name} only"
                )
            if (
                membership == "invite"
                and event.sender != self.config.bot
                and self._managed(event, state)
            ):
                return (
                    "only prevnet invites people into its rooms: ask a prevnet admin to add "
                    "the member to the registry (!member add in #admin)"
                )
            name = content.get("displayname")
            if (
                membership in ("join", "invite", "knock")
                and target != self.config.bot
                and isinstance(name, str)
                and imitates(name, self.config.bot_names)
            ):
                return (
                    f"the display name {name!r} imitates prevnet's bot "
                    f"({', '.join(self.config.bot_names)}); choose a name of your own"
                )
            return None
        if event.sender == self.config.bot or not self._managed(event, state):
            return None
        if event.type == "m.room.join_rules" and content.get("join_rule") != "invite":
            return "prevnet's rooms are invite-only; prevnet adds and removes their members"
        if event.type == "m.room.history_visibility":
            return "prevnet sets who may read the history of its rooms; it cannot be changed"
        if event.type == "m.room.encryption":
            return "prevnet's rooms stay end-to-end encrypted as prevnet set them up"
        if event.type == "m.room.tombstone":
            return "prevnet's rooms cannot be upgraded or replaced by hand; ask a prevnet admin"
        if event.type in ("m.space.child", "m.space.parent"):
            return "prevnet decides which rooms belong to its spaces"
        if event.type == "m.room.canonical_alias":
            return "prevnet sets the addresses of its rooms"
        if event.type == "m.room.redaction" and _redacts_state(event, state):
            return "the room settings prevnet made cannot be redacted"
        return None

    async def check_event_allowed(
        self, event: EventBase, state: StateMap[EventBase]
    ) -> tuple[bool, dict[str, Any] | None]:
        """Refuse, with its reason, an event that breaks a rule; let any other through."""
        reason = self.refusal(event, state)
        if reason is not None:
            raise SynapseError(403, reason, Codes.FORBIDDEN)
        return True, None

    async def on_create_room(
        self, requester: Any, request: dict[str, Any], is_requester_admin: bool
    ) -> None:
        """Refuse a new room with an address before it exists (only the bot gives addresses)."""
        if request.get("room_alias_name") and requester.user.to_string() != self.config.bot:
            raise SynapseError(403, self._alias_message(), Codes.FORBIDDEN)

    def _alias_message(self) -> str:
        return (
            f"only prevnet's bot gives rooms addresses on {self.server_name} (prevnet's room "
            "names are reserved); create the room without an address and invite people"
        )

    def _only_bot(self, user_id: str, message: str) -> NotSpam | Refusal:
        if user_id == self.config.bot:
            return "NOT_SPAM"
        return Codes.FORBIDDEN, {"error": message}

    async def user_may_create_room_alias(
        self, user_id: str, room_alias: RoomAlias
    ) -> NotSpam | Refusal:
        """Only the bot creates room addresses: none can be squatted, however it is spelt."""
        return self._only_bot(user_id, self._alias_message())

    async def user_may_publish_room(self, user_id: str, room_id: str) -> NotSpam | Refusal:
        """Only the bot could publish a room; prevnet publishes none (the directory stays empty)."""
        return self._only_bot(user_id, "this network has no public room directory")

    async def user_may_invite(self, inviter: str, invitee: str, room_id: str) -> NotSpam | Refusal:
        """Refuse an invite of another server's account before Synapse tries to reach it."""
        if _local(invitee, self.server_name):
            return "NOT_SPAM"
        return Codes.FORBIDDEN, {
            "error": f"{invitee} is an account of another server; invite accounts of "
            f"{self.server_name} only"
        }
