"""TLP as a flow rule: who may read an alert, change it, widen it or approve it, and where.

Pure functions of the alert, the member and the registry. The bot asks them for every answer
(``room_may_show`` judges the room that reads the answer, not the person who asks), the use
cases for every change.

- RED and AMBER+STRICT content is read by its recipients only (RED: the organisations its own
  room is made for; AMBER+STRICT: the members of the routed zone rooms and the author's
  organisation), and shown only in the alert's own rooms (its author, and the moderators who
  decide on it, also in their direct chat with the bot).
- AMBER, GREEN and CLEAR: members of the routed rooms, the author's organisation, moderators.
- A draft is its author's alone; a pending alert its author's and the moderators who may read it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from phenomena.alert import Alert, AlertContent, AlertStatus
from phenomena.partners import Member, Organisation, OrganisationKind, Role, TerritoryKind
from phenomena.room_keys import direct_key
from phenomena.rooms import member_rooms
from phenomena.routing import route_alert
from phenomena.territory import TerritoryRegistry
from phenomena.tlp import Tlp

Reader = tuple[Member | None, Organisation | None]
"""One member of a room's audience: None for someone who is not a member of the network."""


def municipalities_of(organisation: Organisation, territories: TerritoryRegistry) -> frozenset[str]:
    """The NIS codes of every municipality an organisation's territories cover."""
    found: set[str] = set()
    for ref in organisation.territories:
        if ref.kind is TerritoryKind.MUNICIPALITY and ref.key in territories.municipalities:
            found.add(ref.key)
        elif ref.kind is TerritoryKind.ZONE and ref.key in territories.zones:
            found |= set(territories.zones[ref.key].municipalities)
        elif ref.kind is TerritoryKind.PROVINCE:
            found |= {n for n, m in territories.municipalities.items() if m.province_nis == ref.key}
        elif ref.kind is TerritoryKind.REGION:
            found |= {n for n, m in territories.municipalities.items() if m.region_nis == ref.key}
        elif ref.kind is TerritoryKind.COUNTRY:
            found |= set(territories.municipalities)
    return frozenset(found)


def home_area(organisation: Organisation, territories: TerritoryRegistry) -> frozenset[str]:
    """An organisation's municipalities and those bordering them: where its police authors
    publish without a moderator."""
    own = municipalities_of(organisation, territories)
    around = {n for nis in own for n in territories.neighbours(nis)}
    return own | around


def covers(
    organisation: Organisation, content: AlertContent, territories: TerritoryRegistry
) -> bool:
    """Whether an organisation's territory includes one of the alert's municipalities."""
    return bool(municipalities_of(organisation, territories) & set(content.municipalities))


def default_recipients(
    content: AlertContent,
    author_organisation: str,
    organisations: Iterable[Organisation],
    territories: TerritoryRegistry,
) -> tuple[str, ...]:
    """The organisations a RED alert's own room is made for: the police organisations of the
    affected municipalities' zones, the author's organisation, and those the author named."""
    zones = {territories.municipalities[n].zone_key for n in content.municipalities}
    zone_municipalities = {
        nis
        for key in zones
        if key in territories.zones
        for nis in territories.zones[key].municipalities
    }
    keys = [author_organisation]
    for organisation in sorted(organisations, key=lambda o: o.key):
        if organisation.kind is not OrganisationKind.POLICE_ZONE:
            continue
        if municipalities_of(organisation, territories) & zone_municipalities:
            keys.append(organisation.key)
    keys += list(content.recipients)
    return tuple(dict.fromkeys(keys))


def routed_rooms(alert: Alert, territories: TerritoryRegistry) -> tuple[str, ...]:
    """The rooms the alert went to, or (not published yet) would go to."""
    if alert.rooms:
        return alert.rooms
    return route_alert(alert.content, territories, alert_id=alert.id).rooms


def entitled(
    alert: Alert,
    member: Member,
    organisation: Organisation | None,
    territories: TerritoryRegistry,
) -> bool:
    """Whether this member is among those the alert's label lets read it once it is out."""
    if not member.is_active:
        return False
    if alert.author == member.matrix_id:
        return True
    tlp = alert.content.tlp
    if tlp is Tlp.RED and alert.recipients:
        return member.organisation in alert.recipients
    if member.organisation == alert.organisation:
        return True
    if tlp.leaves_the_zone and member.has(Role.MODERATOR):
        return True
    return bool(
        member_rooms(member, organisation, territories) & set(routed_rooms(alert, territories))
    )


def may_moderate(
    alert: Alert,
    member: Member,
    organisation: Organisation | None,
    territories: TerritoryRegistry,
) -> bool:
    """Whether this member may decide on the alert (approve, reject, approve a widening).

    A moderator who is not its author, and, for RED and AMBER+STRICT, one who may read it: a
    moderator cannot approve what they cannot read.
    """
    if not member.has(Role.MODERATOR) or alert.author == member.matrix_id:
        return False
    if alert.content.tlp.leaves_the_zone:
        return True
    return entitled(alert, member, organisation, territories)


def may_read(
    alert: Alert,
    member: Member,
    organisation: Organisation | None,
    territories: TerritoryRegistry,
) -> bool:
    """Whether this member may read the alert's content at all (somewhere)."""
    if not member.is_active:
        return False
    if alert.status in (AlertStatus.DRAFT, AlertStatus.CANCELLED):
        return alert.author == member.matrix_id
    if alert.status in (AlertStatus.PENDING_MODERATION, AlertStatus.REJECTED):
        if alert.author == member.matrix_id:
            return True
        return may_moderate(alert, member, organisation, territories)
    return entitled(alert, member, organisation, territories)


def may_change(
    alert: Alert,
    member: Member,
    organisation: Organisation | None,
    territories: TerritoryRegistry,
) -> bool:
    """Whether this member may change the alert's text: its author, authors of its
    organisation, and moderators of its zone (whose organisation is the alert's or whose
    territory covers its area) who may read it. A moderator of another zone may not."""
    if not member.is_active:
        return False
    if alert.author == member.matrix_id:
        return True
    if member.organisation == alert.organisation:
        return member.has(Role.AUTHOR) or member.has(Role.MODERATOR)
    if not member.has(Role.MODERATOR) or organisation is None:
        return False
    if not covers(organisation, alert.content, territories):
        return False
    return may_read(alert, member, organisation, territories)


def widening(
    old: AlertContent,
    new: AlertContent,
    old_recipients: Sequence[str] = (),
    new_recipients: Sequence[str] = (),
) -> tuple[str, ...]:
    """What makes ``new`` reach further than ``old``: a lower TLP label, more municipalities,
    more recipients (empty when it does not)."""
    order = list(Tlp)
    wider: list[str] = []
    if order.index(new.tlp) < order.index(old.tlp):
        wider.append("tlp")
    if not set(new.municipalities) <= set(old.municipalities):
        wider.append("area")
    if not set(new_recipients) <= set(old_recipients) or not set(new.recipients) <= set(
        old.recipients
    ):
        wider.append("recipients")
    return tuple(wider)


def room_may_show(
    alert: Alert,
    room_key: str | None,
    audience: Sequence[Reader],
    territories: TerritoryRegistry,
) -> bool:
    """Whether an answer showing the alert may be posted in a room read by ``audience``.

    Every reader must be allowed to read it; RED and AMBER+STRICT are shown only in the alert's
    own rooms, or in a direct chat (``room_key`` None or ``dm:<reader>``, one reader) with its
    author or, while it waits, a moderator deciding on it.
    """
    if not audience:
        return False
    for member, organisation in audience:
        if member is None or not may_read(alert, member, organisation, territories):
            return False
    if alert.content.tlp.leaves_the_zone:
        return True
    if room_key is not None and room_key in alert.rooms:
        return True
    reader = audience[0][0]
    assert reader is not None
    if room_key in (None, direct_key(reader.matrix_id)) and len(audience) == 1:
        return alert.author == reader.matrix_id or alert.status in (
            AlertStatus.PENDING_MODERATION,
            AlertStatus.REJECTED,
        )
    return False


def eligible_moderators(
    alert: Alert,
    members: Iterable[Member],
    organisations: Mapping[str, Organisation],
    territories: TerritoryRegistry,
) -> list[Member]:
    """The moderators who may decide on the alert (for a RED one: those of its recipients)."""
    return [
        m for m in members if may_moderate(alert, m, organisations.get(m.organisation), territories)
    ]
