"""The partner registry file (YAML): organisations, the territories they cover, and members.

Example::

    organisations:
      - key: zp-mons-quevy
        name: Zone de police Mons/Quévy
        kind: police-zone
        territories: [zone 5324]
      - key: pcs-mons
        name: Plan stratégique de sécurité et de prévention de Mons
        kind: commune
        territories: [Mons]
        prevention_page: https://www.mons.be/prevention   # linked from its citizen capsules
        coordinators: [bin.hyon@example.org]                # BIN/PLP coordinators, e-mailed
    members:
      - matrix_id: "@alice:prevnet.example"
        name: Alice Dupont
        organisation: zp-mons-quevy
        roles: [author]
        email: alice@example.org

A territory is a municipality name or NIS code, or ``zone <key>``, ``province <name>``,
``region <name>`` or ``belgium``. Every problem is reported with its line; nothing is applied
unless the whole file is right. Given the ``server_name`` prevnet serves, a member on another
server is one of those problems.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

from phenomena.capsules.drafting import check_link
from phenomena.email_address import HINT, email_problem, name_problem, normalise_email
from phenomena.errors import DocumentErrors, DomainError, InvalidValue, LineError
from phenomena.partners import (
    Member,
    Organisation,
    OrganisationKind,
    Role,
    TerritoryKind,
    TerritoryRef,
    bot_refusal,
    check_matrix_id,
    check_member_id,
    check_org_key,
)
from phenomena.territory import TerritoryRegistry
from phenomena.text import fold

MAX_FILE = 10_000_000


@dataclass(frozen=True)
class PartnerDocument:
    """A valid partner file: organisations and members, with the line each starts on."""

    organisations: tuple[Organisation, ...]
    members: tuple[Member, ...]
    lines: dict[str, int]


def parse_territory(text: str, territories: TerritoryRegistry) -> TerritoryRef:
    """Read one territory as written in a partner file or a command."""
    value = text.strip()
    head, _, rest = value.replace(":", " ", 1).partition(" ")
    kind_word, rest = fold(head), rest.strip()
    if kind_word in ("belgium", "belgique", "belgie", "belgien", "country", "national"):
        return TerritoryRef(TerritoryKind.COUNTRY, "be")
    if kind_word in ("zone", "pz", "zp") and rest:
        zone = territories.find_zone(rest)
        if zone is None:
            raise InvalidValue(
                f"unknown police zone {rest!r}: give its number, e.g. 'zone 5324' "
                "(`prevnet territory show <municipality>` prints a municipality's zone)"
            )
        return TerritoryRef(TerritoryKind.ZONE, zone.key)
    if kind_word == "province" and rest:
        province = territories.find_province(rest)
        if province is None:
            names = ", ".join(sorted(p.name_fr for p in territories.provinces.values()))
            raise InvalidValue(f"unknown province {rest!r}: write one of {names}")
        return TerritoryRef(TerritoryKind.PROVINCE, province.nis)
    if kind_word == "region" and rest:
        folded = fold(rest)
        for nis, (nl, fr) in territories.regions.items():
            if folded in (nis, fold(nl), fold(fr)) or folded in fold(nl) or folded in fold(fr):
                return TerritoryRef(TerritoryKind.REGION, nis)
        raise InvalidValue(f"unknown region {rest!r}: write Flanders, Wallonia or Brussels")
    if kind_word == "municipality" and rest:
        value = rest
    return TerritoryRef(TerritoryKind.MUNICIPALITY, territories.find_municipality(value).nis)


def parse_partner_file(
    text: str,
    territories: TerritoryRegistry,
    *,
    server_name: str | None = None,
    bot_id: str | None = None,
) -> PartnerDocument:
    """Read and check a partner file; raise DocumentErrors with every problem found.

    With ``server_name``, members must be on that server (``check_member_id``); with
    ``bot_id``, no member may be prevnet's own account.
    """
    if len(text) > MAX_FILE:
        raise DocumentErrors([LineError(None, "the file is larger than 10 MB")], "partner file")
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line = mark.line + 1 if mark is not None else None
        hint = ""
        if "'@'" in str(exc):
            hint = "; put Matrix IDs in quotes: matrix_id: '@alice:server'"
        raise DocumentErrors(
            [LineError(line, f"not valid YAML: {exc.problem}{hint}")], "partner file"
        ) from None
    except yaml.YAMLError as exc:
        raise DocumentErrors([LineError(None, f"not valid YAML: {exc}")], "partner file") from None
    reader = _Reader(territories, server_name, bot_id)
    reader.read_root(root)
    if reader.errors:
        reader.errors.sort(key=lambda e: e.line or 0)
        raise DocumentErrors(reader.errors, "partner file")
    return PartnerDocument(tuple(reader.organisations), tuple(reader.members), reader.lines)


class _Reader:
    """Walks the YAML node tree so that each error knows its line."""

    def __init__(
        self, territories: TerritoryRegistry, server_name: str | None, bot_id: str | None
    ) -> None:
        self.territories = territories
        self.server_name = server_name
        self.bot_id = bot_id
        self.errors: list[LineError] = []
        self.organisations: list[Organisation] = []
        self.members: list[Member] = []
        self.lines: dict[str, int] = {}

    def error(self, node: yaml.Node | None, message: str) -> None:
        self.errors.append(LineError(node.start_mark.line + 1 if node else None, message))

    def mapping(self, node: yaml.Node, what: str) -> dict[str, yaml.Node] | None:
        if not isinstance(node, yaml.MappingNode):
            self.error(node, f"{what} should be a mapping of 'name: value' lines")
            return None
        out: dict[str, yaml.Node] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value)
            if key in out:
                self.error(key_node, f"'{key}' is given twice in {what}; keep one")
            out[key] = value_node
        return out

    def scalar(self, node: yaml.Node | None, what: str, required: bool = True) -> str | None:
        if node is None:
            return None
        if not isinstance(node, yaml.ScalarNode):
            self.error(node, f"{what} should be a single value")
            return None
        value = str(node.value).strip()
        if required and not value:
            self.error(node, f"{what} is empty")
            return None
        return value or None

    def strings(self, node: yaml.Node, what: str) -> list[tuple[str, yaml.Node]]:
        if isinstance(node, yaml.ScalarNode):
            return [(p.strip(), node) for p in str(node.value).split(",") if p.strip()]
        if isinstance(node, yaml.SequenceNode):
            out = []
            for item in node.value:
                value = self.scalar(item, what)
                if value:
                    out.append((value, item))
            return out
        self.error(node, f"{what} should be a list, e.g. [a, b]")
        return []

    def read_root(self, root: yaml.Node | None) -> None:
        if root is None:
            self.error(None, "the file is empty: it needs 'organisations:' and/or 'members:'")
            return
        top = self.mapping(root, "the file")
        if top is None:
            return
        for key, node in top.items():
            if key not in ("organisations", "members"):
                self.error(
                    node, f"unknown section '{key}': the sections are organisations, members"
                )
        org_keys: set[str] = set()
        for item in self.items(top.get("organisations"), "organisations"):
            if self.listed_twice(item, "key", org_keys, "organisation '{}' is listed twice"):
                continue
            org = self.read_organisation(item)
            if org is not None:
                self.lines[f"org:{org.key}"] = item.start_mark.line + 1
                self.organisations.append(org)
        seen: set[str] = set()
        for item in self.items(top.get("members"), "members"):
            if self.listed_twice(item, "matrix_id", seen, "member {} is listed twice"):
                continue
            member = self.read_member(item)
            if member is not None:
                self.lines[f"member:{member.matrix_id}"] = item.start_mark.line + 1
                self.members.append(member)

    def listed_twice(self, item: yaml.Node, field: str, seen: set[str], message: str) -> bool:
        """Report an entry whose identifying field repeats an earlier one, whatever else is off."""
        if not isinstance(item, yaml.MappingNode):
            return False
        for key_node, value_node in item.value:
            if key_node.value == field and isinstance(value_node, yaml.ScalarNode):
                value = str(value_node.value).strip()
                if value in seen:
                    self.error(item, message.format(value))
                    return True
                seen.add(value)
        return False

    def items(self, node: yaml.Node | None, what: str) -> list[yaml.Node]:
        if node is None or (isinstance(node, yaml.ScalarNode) and node.value in ("", "~", "null")):
            return []
        if not isinstance(node, yaml.SequenceNode):
            self.error(node, f"'{what}' should be a list of entries starting with '- '")
            return []
        return list(node.value)

    def read_organisation(self, node: yaml.Node) -> Organisation | None:
        fields = self.mapping(node, "an organisation")
        if fields is None:
            return None
        self.unknown(
            fields,
            ("key", "name", "kind", "territories", "prevention_page", "coordinators"),
            "an organisation",
        )
        ok = True
        key = self.scalar(fields.get("key"), "key")
        if key is None and "key" not in fields:
            self.error(node, "an organisation needs a 'key' (e.g. zp-mons-quevy)")
        name = self.scalar(fields.get("name"), "name")
        if name is None and "name" not in fields:
            self.error(node, "an organisation needs a 'name'")
        elif name is not None and (problem := name_problem(name)) is not None:
            self.error(fields["name"], f"the name {problem}")
            ok = False
        kind_text = self.scalar(fields.get("kind"), "kind")
        if kind_text is None and "kind" not in fields:
            self.error(node, "an organisation needs a 'kind'")
        result: dict[str, Any] = {}
        for label, text, convert in (
            ("key", key, check_org_key),
            ("kind", kind_text, OrganisationKind.parse),
        ):
            if text is None:
                ok = False
                continue
            try:
                result[label] = convert(text)
            except DomainError as exc:
                self.error(fields[label], str(exc))
                ok = False
        refs: list[TerritoryRef] = []
        if "territories" in fields:
            for text, item in self.strings(fields["territories"], "territories"):
                try:
                    ref = parse_territory(text, self.territories)
                except DomainError as exc:
                    self.error(item, str(exc))
                    ok = False
                    continue
                if ref not in refs:
                    refs.append(ref)
        page, coordinators, channels_ok = self.capsule_channels(fields)
        if not ok or not channels_ok or name is None:
            return None
        return Organisation(
            key=result["key"],
            name=name,
            kind=result["kind"],
            territories=tuple(sorted(refs)),
            prevention_url=page,
            coordinators=coordinators,
        )

    def capsule_channels(
        self, fields: dict[str, yaml.Node]
    ) -> tuple[str | None, tuple[str, ...], bool]:
        """The prevention page and the BIN/PLP coordinators' addresses, for citizen capsules."""
        ok = True
        page = self.scalar(fields.get("prevention_page"), "prevention_page", required=False)
        if page is not None:
            try:
                page = check_link(page)
            except DomainError as exc:
                self.error(fields["prevention_page"], str(exc))
                ok = False
        addresses: list[str] = []
        if "coordinators" in fields:
            for text, item in self.strings(fields["coordinators"], "coordinators"):
                problem = email_problem(text)
                if problem is not None:
                    self.error(item, f"{text!r} is not an e-mail address: {problem}; {HINT}")
                    ok = False
                elif normalise_email(text) not in addresses:
                    addresses.append(normalise_email(text))
        return page, tuple(addresses), ok

    def read_member(self, node: yaml.Node) -> Member | None:
        fields = self.mapping(node, "a member")
        if fields is None:
            return None
        self.unknown(fields, ("matrix_id", "name", "organisation", "roles", "email"), "a member")
        ok = True
        for required in ("matrix_id", "name", "organisation"):
            if required not in fields:
                self.error(node, f"a member needs '{required}'")
                ok = False
        matrix_text = self.scalar(fields.get("matrix_id"), "matrix_id")
        name = self.scalar(fields.get("name"), "name")
        org_text = self.scalar(fields.get("organisation"), "organisation")
        email = self.scalar(fields.get("email"), "email", required=False)
        matrix_id = org = None
        try:
            if matrix_text and self.server_name is not None:
                matrix_id = check_member_id(matrix_text, self.server_name, bot_id=self.bot_id)
            elif matrix_text:
                matrix_id = check_matrix_id(matrix_text)
                if matrix_id == self.bot_id:
                    raise InvalidValue(bot_refusal(matrix_id))
        except DomainError as exc:
            self.error(fields["matrix_id"], str(exc))
        try:
            org = check_org_key(org_text) if org_text else None
        except DomainError as exc:
            self.error(fields["organisation"], str(exc))
        if email is not None:
            problem = email_problem(email.strip())
            if problem is not None:
                self.error(
                    fields["email"], f"{email!r} is not an e-mail address: {problem}; {HINT}"
                )
                ok = False
            else:
                email = normalise_email(email)
        if name is not None and (problem := name_problem(name)) is not None:
            self.error(fields["name"], f"the name {problem}")
            ok = False
        roles = {Role.MEMBER}
        if "roles" in fields:
            for text, item in self.strings(fields["roles"], "roles"):
                try:
                    roles.add(Role.parse(text))
                except DomainError as exc:
                    self.error(item, str(exc))
                    ok = False
        if not ok or matrix_id is None or name is None or org is None:
            return None
        if len(name) > 200:
            self.error(fields["name"], "the name is longer than 200 characters")
            return None
        return Member(
            matrix_id=matrix_id,
            display_name=name,
            organisation=org,
            roles=frozenset(roles),
            email=email,
        )

    def unknown(self, fields: dict[str, yaml.Node], known: tuple[str, ...], what: str) -> None:
        for key, node in fields.items():
            if key not in known:
                self.error(
                    node, f"unknown field '{key}' in {what}: the fields are {', '.join(known)}"
                )
