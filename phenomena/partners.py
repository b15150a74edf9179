"""Partner organisations, their members and the roles that decide what members may do."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field
from datetime import datetime

from phenomena.errors import InvalidValue, PermissionDenied
from phenomena.events import (
    Event,
    MemberChanged,
    MemberReinstated,
    MemberRemoved,
    MemberSuspended,
    OrganisationChanged,
)
from phenomena.text import fold


class OrganisationKind(enum.Enum):
    """What kind of partner an organisation is."""

    COMMUNE = "commune"
    POLICE_ZONE = "police-zone"
    PROVINCE = "province"
    REGION = "region"
    FEDERAL = "federal"
    OTHER = "other"

    @property
    def is_police(self) -> bool:
        """Police authors publish without moderation under the default policy."""
        return self is OrganisationKind.POLICE_ZONE

    @classmethod
    def parse(cls, text: str) -> OrganisationKind:
        """Read a kind as written in a partner file ('police zone', 'commune', 'federal')."""
        key = fold(text).replace(" ", "-")
        aliases = {
            "commune-prevention-service": cls.COMMUNE,
            "municipality": cls.COMMUNE,
            "gemeente": cls.COMMUNE,
            "police": cls.POLICE_ZONE,
            "zone": cls.POLICE_ZONE,
            "federal-service": cls.FEDERAL,
        }
        for kind in cls:
            if key == kind.value:
                return kind
        if key in aliases:
            return aliases[key]
        raise InvalidValue(
            f"unknown organisation kind {text!r}: write one of " + ", ".join(k.value for k in cls)
        )


class Role(enum.Enum):
    """What a member may do. Every member reads; the other roles add rights."""

    MEMBER = "member"
    AUTHOR = "author"
    MODERATOR = "moderator"
    ADMIN = "admin"

    @classmethod
    def parse(cls, text: str) -> Role:
        """Read a role name; the message lists the valid ones."""
        key = fold(text)
        for role in cls:
            if key == role.value:
                return role
        raise InvalidValue(
            f"unknown role {text!r}: write one or more of " + ", ".join(r.value for r in cls)
        )


class MemberStatus(enum.Enum):
    """Whether a member may use the network now."""

    ACTIVE = "active"
    SUSPENDED = "suspended"
    REMOVED = "removed"


class TerritoryKind(enum.Enum):
    """The kinds of territory an organisation can cover."""

    MUNICIPALITY = "municipality"
    ZONE = "zone"
    PROVINCE = "province"
    REGION = "region"
    COUNTRY = "country"


@dataclass(frozen=True, order=True)
class TerritoryRef:
    """A territory an organisation covers, e.g. ``zone:5324`` or ``municipality:53053``."""

    kind: TerritoryKind
    key: str

    def __str__(self) -> str:
        return f"{self.kind.value}:{self.key}"


_MATRIX_ID = re.compile(
    r"^@[a-z0-9._=\-/+]+:(?:[A-Za-z0-9.\-]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?$"
)
_ORG_KEY = re.compile(r"^[a-z0-9][a-z0-9\-]{0,62}$")


def check_matrix_id(text: str) -> str:
    """A Matrix user ID as the homeserver will accept it, or an error saying the form."""
    value = text.strip()
    if not _MATRIX_ID.match(value) or len(value) > 255:
        raise InvalidValue(
            f"{text!r} is not a Matrix user ID: write it as @name:server "
            "(lower-case letters, digits and . _ = - / + before the colon)"
        )
    return value


def check_member_id(text: str, server_name: str, *, bot_id: str | None = None) -> str:
    """The Matrix ID of a member to add: well formed, on the server prevnet serves, not the bot.

    prevnet's network is closed (no federation): an account of another server can never join
    its rooms, and the homeserver refuses to look one up, so it is refused here, at the door,
    with the ID to write instead. ``bot_id`` is prevnet's own account: as a member, its
    suspension or removal would lock the bot out and stop the network.
    """
    value = text.strip()
    localpart, _, server = value[1:].partition(":")
    if not _MATRIX_ID.match(value) or len(value) > 255:
        if _MATRIX_ID.match(value.lower()) and len(value) <= 255:
            raise InvalidValue(
                f"{text!r} is not a Matrix user ID: it is written in lower case, "
                f"e.g. @{localpart.lower()}:{server_name}"
            )
        raise InvalidValue(
            f"{text!r} is not a Matrix user ID: write it as @name:{server_name} "
            "(lower-case letters, digits and . _ = - / + before the colon)"
        )
    if server != server_name:
        raise InvalidValue(
            f"{value} is on another server; prevnet serves {server_name}: "
            f"use @{localpart}:{server_name}"
        )
    if bot_id is not None and value == bot_id:
        raise InvalidValue(bot_refusal(value))
    return value


def bot_refusal(matrix_id: str) -> str:
    """Why prevnet's own account cannot be a member, and what to do instead."""
    return (
        f"{matrix_id} is prevnet's own account (the bot), not a member: it is never added, "
        "suspended or removed; add the person with an account of their own"
    )


def check_org_key(text: str) -> str:
    """An organisation key: lower-case letters, digits and dashes, up to 63 characters."""
    value = text.strip()
    if not _ORG_KEY.match(value):
        raise InvalidValue(
            f"{text!r} is not an organisation key: use lower-case letters, digits and dashes, "
            "starting with a letter or digit (e.g. zp-mons-quevy)"
        )
    return value


@dataclass
class Organisation:
    """A partner organisation and the territories it covers."""

    key: str
    name: str
    kind: OrganisationKind
    territories: tuple[TerritoryRef, ...]
    prevention_url: str | None = None
    """The commune's prevention page, linked from its citizen capsules."""
    coordinators: tuple[str, ...] = ()
    """E-mail addresses of the neighbourhood information networks' (BIN/PLP) coordinators."""
    events: list[Event] = field(default_factory=list, compare=False, repr=False)

    def change(
        self,
        name: str,
        kind: OrganisationKind,
        territories: tuple[TerritoryRef, ...],
        *,
        prevention_url: str | None = None,
        coordinators: tuple[str, ...] = (),
    ) -> tuple[str, ...]:
        """Apply new values; records OrganisationChanged naming what changed, if anything."""
        changed: list[str] = []
        if prevention_url != self.prevention_url:
            self.prevention_url = prevention_url
            changed.append("prevention_url")
        if tuple(coordinators) != self.coordinators:
            self.coordinators = tuple(coordinators)
            changed.append("coordinators")
        if name != self.name:
            self.name = name
            changed.append("name")
        if kind != self.kind:
            self.kind = kind
            changed.append("kind")
        if tuple(sorted(territories)) != tuple(sorted(self.territories)):
            self.territories = tuple(sorted(territories))
            changed.append("territories")
        if changed:
            self.events.append(OrganisationChanged(key=self.key, fields=tuple(changed)))
        return tuple(changed)


@dataclass
class Member:
    """A person in the network, belonging to one partner organisation."""

    matrix_id: str
    display_name: str
    organisation: str
    roles: frozenset[Role]
    email: str | None = None
    status: MemberStatus = MemberStatus.ACTIVE
    status_changed_at: datetime | None = None
    status_changed_by: str | None = None
    events: list[Event] = field(default_factory=list, compare=False, repr=False)

    @property
    def role_names(self) -> tuple[str, ...]:
        """The member's roles, in the order member, author, moderator, admin."""
        return tuple(r.value for r in Role if r in self.roles)

    @property
    def is_active(self) -> bool:
        """Only active members may use the network."""
        return self.status is MemberStatus.ACTIVE

    def has(self, role: Role) -> bool:
        """Whether the member is active and holds the role (admins hold every role)."""
        return self.is_active and (role in self.roles or Role.ADMIN in self.roles)

    def require(self, role: Role, action: str) -> None:
        """Raise PermissionDenied, politely, when the member may not do ``action``."""
        if not self.is_active:
            raise PermissionDenied(
                f"your membership is {self.status.value}; ask an administrator of your "
                f"organisation to reinstate it before you {action}"
            )
        if not self.has(role):
            raise PermissionDenied(
                f"sorry, you need the {role.value} role to {action}; "
                "ask an administrator of your organisation if you should have it"
            )

    def change(
        self, display_name: str, organisation: str, roles: frozenset[Role], email: str | None
    ) -> tuple[str, ...]:
        """Apply new values; records MemberChanged naming what changed, if anything."""
        changed: list[str] = []
        if display_name != self.display_name:
            self.display_name = display_name
            changed.append("display_name")
        if organisation != self.organisation:
            self.organisation = organisation
            changed.append("organisation")
        if roles != self.roles:
            self.roles = roles
            changed.append("roles")
        if email != self.email:
            self.email = email
            changed.append("email")
        if changed:
            self.events.append(MemberChanged(matrix_id=self.matrix_id, fields=tuple(changed)))
        return tuple(changed)

    def suspend(self, by: str, reason: str, at: datetime) -> None:
        """Lock the member out; their messages and history stay."""
        if self.status is not MemberStatus.ACTIVE:
            raise InvalidValue(f"{self.matrix_id} is already {self.status.value}")
        self._set_status(MemberStatus.SUSPENDED, by, at)
        self.events.append(MemberSuspended(matrix_id=self.matrix_id, by=by, reason=reason))

    def remove(self, by: str, reason: str, at: datetime) -> None:
        """Take the member out of the network; their messages stay."""
        if self.status is MemberStatus.REMOVED:
            raise InvalidValue(f"{self.matrix_id} was already removed")
        self._set_status(MemberStatus.REMOVED, by, at)
        self.events.append(MemberRemoved(matrix_id=self.matrix_id, by=by, reason=reason))

    def reinstate(self, by: str, at: datetime) -> None:
        """Let a suspended or removed member back in."""
        if self.status is MemberStatus.ACTIVE:
            raise InvalidValue(f"{self.matrix_id} is already active")
        self._set_status(MemberStatus.ACTIVE, by, at)
        self.events.append(MemberReinstated(matrix_id=self.matrix_id, by=by))

    def _set_status(self, status: MemberStatus, by: str, at: datetime) -> None:
        self.status = status
        self.status_changed_by = by
        self.status_changed_at = at
