"""Rooms and memberships follow the registry on a real Synapse: provisioning, offboarding, drift."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime

import nio
import pytest

from bots.network import MatrixNetwork
from bots.synapse_admin import MatrixAdminError, SynapseAdmin
from phenomena.partners import (
    Member,
    MemberStatus,
    Organisation,
    OrganisationKind,
    Role,
    TerritoryKind,
    TerritoryRef,
)
from tests.support.synapse import LocalHomeserver

NOW = datetime(2026, 11, 22, tzinfo=UTC)


@dataclass
class Registry:
    """A small registry with test-unique Matrix IDs: two adjacent zones around Mons, one far."""

    orgs: dict[str, Organisation]
    members: dict[str, Member]

    def member(self, name: str) -> Member:
        return self.members[name]


def make_registry(homeserver: LocalHomeserver) -> Registry:
    def zone(key: str) -> tuple[TerritoryRef, ...]:
        return (TerritoryRef(TerritoryKind.ZONE, key),)

    orgs = {
        "zp-mons": Organisation(
            "zp-mons", "ZP Mons/Quévy", OrganisationKind.POLICE_ZONE, zone("5324")
        ),
        "zp-boraine": Organisation(
            "zp-boraine", "ZP Boraine", OrganisationKind.POLICE_ZONE, zone("5327")
        ),
        "pz-oostende": Organisation(
            "pz-oostende", "PZ Oostende", OrganisationKind.POLICE_ZONE, zone("5415")
        ),
        "pcs-mons": Organisation(
            "pcs-mons",
            "PSSP Mons",
            OrganisationKind.COMMUNE,
            (TerritoryRef(TerritoryKind.MUNICIPALITY, "53053"),),
        ),
        # Two provinces, not the whole country: every province costs the test homeserver a room
        # and a space, and the country's eleven would triple the time of every test using this.
        "spf": Organisation(
            "spf",
            "SPF Intérieur",
            OrganisationKind.FEDERAL,
            (
                TerritoryRef(TerritoryKind.PROVINCE, "50000"),
                TerritoryRef(TerritoryKind.PROVINCE, "30000"),
            ),
        ),
    }
    tag = homeserver.unique("")

    def m(name: str, org: str, *roles: Role) -> Member:
        return Member(
            homeserver.user_id(f"{name}-{tag}"), name.title(), org, frozenset({Role.MEMBER, *roles})
        )

    members = {
        "officer": m("officer", "zp-mons", Role.AUTHOR),
        "analyst": m("analyst", "zp-mons", Role.AUTHOR, Role.MODERATOR),
        "boraine": m("boraine", "zp-boraine"),
        "ostend": m("ostend", "pz-oostende"),
        "prevention": m("prevention", "pcs-mons", Role.AUTHOR),
        "admin": m("admin", "spf", Role.ADMIN),
    }
    return Registry(orgs, members)


async def members_of(admin: SynapseAdmin, network: MatrixNetwork, key: str) -> set[str]:
    room_id = await network.room_id(key)
    assert room_id is not None, f"room {key} does not exist"
    present = await admin.room_members(room_id)
    return {u for u, m in present.items() if m == "join"} - {network.bot}


async def state(
    admin: SynapseAdmin, network: MatrixNetwork, key: str
) -> dict[str, dict[str, object]]:
    room_id = await network.room_id(key)
    answer = await admin.request("GET", f"/_synapse/admin/v1/rooms/{room_id}/state")
    assert answer is not None
    return {e["type"] + "|" + e["state_key"]: e["content"] for e in answer["state"]}


async def test_rooms_and_members_follow_the_registry(
    homeserver: LocalHomeserver, admin: SynapseAdmin, network: MatrixNetwork
) -> None:
    reg = make_registry(homeserver)
    report = await network.reconcile(reg.members.values(), reg.orgs)
    assert {
        "zone:5324",
        "zone:5327",
        "zone:5415",
        "province:50000",
        "province:30000",
        "space:network",
        "moderation",
        "toolbox",
        "admin",
    } <= set(report.rooms_created)
    assert len(report.accounts_created) == 6
    ids = {k: m.matrix_id for k, m in reg.members.items()}
    assert await members_of(admin, network, "zone:5324") == {
        ids["officer"],
        ids["analyst"],
        ids["prevention"],
    }
    assert await members_of(admin, network, "zone:5327") == {ids["boraine"]}
    assert await members_of(admin, network, "zone:5415") == {ids["ostend"]}
    hainaut = await members_of(admin, network, "province:50000")
    assert hainaut == {
        ids["officer"],
        ids["analyst"],
        ids["prevention"],
        ids["boraine"],
        ids["admin"],
    }
    assert await members_of(admin, network, "moderation") == {ids["analyst"], ids["admin"]}
    assert await members_of(admin, network, "admin") == {ids["admin"]}
    assert await members_of(admin, network, "toolbox") == set(ids.values())

    zone = await state(admin, network, "zone:5324")
    assert zone["m.room.join_rules|"]["join_rule"] == "invite"
    assert zone["m.room.encryption|"]["algorithm"] == "m.megolm.v1.aes-sha2"
    levels = zone["m.room.power_levels|"]
    assert levels["users"] == {ids["analyst"]: 50}
    assert levels["state_default"] == 100 and levels["redact"] == 50
    assert levels["events_default"] == 0 and levels["invite"] == 100
    assert "m.space.parent|" + str(await network.room_id("space:province:50000")) in zone
    assert await admin.resolve_alias(network.alias("zone-5324")) == await network.room_id(
        "zone:5324"
    )
    account = await admin.get_user(ids["prevention"])
    assert account is not None and account["displayname"] == "Prevention"

    again = await network.reconcile(reg.members.values(), reg.orgs)
    assert not again.changed_anything, again.summary()


async def test_removal_ends_sessions_and_keeps_messages(
    homeserver: LocalHomeserver, admin: SynapseAdmin, network: MatrixNetwork
) -> None:
    reg = make_registry(homeserver)
    await network.reconcile(reg.members.values(), reg.orgs)
    officer = reg.member("officer")
    await admin.put_user(officer.matrix_id, password="officer-pw")
    session = await admin.login(officer.matrix_id, "officer-pw")
    room_id = await network.room_id("zone:5324")
    sent = await admin.request(
        "PUT",
        f"/_matrix/client/v3/rooms/{room_id}/send/m.room.message/t1",
        {"msgtype": "m.text", "body": "seen a grey van"},
        token=session.access_token,
    )
    assert sent is not None

    removed = replace(officer, status=MemberStatus.REMOVED)
    await network.apply_member(removed, reg.orgs)

    with pytest.raises(MatrixAdminError) as caught:
        await admin.request("GET", "/_matrix/client/v3/account/whoami", token=session.access_token)
    assert caught.value.status == 401
    with pytest.raises(MatrixAdminError):
        await admin.login(officer.matrix_id, "officer-pw")
    assert officer.matrix_id not in await members_of(admin, network, "zone:5324")
    event = await admin.request(
        "GET",
        f"/_matrix/client/v3/rooms/{room_id}/event/{sent['event_id']}",
        token=homeserver.bot.access_token,
    )
    assert event is not None and event["sender"] == officer.matrix_id
    assert event["type"] in ("m.room.message", "m.room.encrypted")


async def test_suspension_locks_out_within_the_call_and_reinstating_restores(
    homeserver: LocalHomeserver, admin: SynapseAdmin, network: MatrixNetwork
) -> None:
    reg = make_registry(homeserver)
    await network.reconcile(reg.members.values(), reg.orgs)
    prevention = reg.member("prevention")
    await admin.put_user(prevention.matrix_id, password="p-pw")
    session = await admin.login(prevention.matrix_id, "p-pw")

    await network.apply_member(replace(prevention, status=MemberStatus.SUSPENDED), reg.orgs)
    with pytest.raises(MatrixAdminError) as caught:
        await admin.request("GET", "/_matrix/client/v3/account/whoami", token=session.access_token)
    assert caught.value.status in (401, 403)
    for key in ("zone:5324", "province:50000", "toolbox"):
        assert prevention.matrix_id not in await members_of(admin, network, key)

    await network.apply_member(prevention, reg.orgs)
    account = await admin.get_user(prevention.matrix_id)
    assert account is not None and not account["locked"]
    assert prevention.matrix_id in await members_of(admin, network, "zone:5324")


async def test_reconciliation_removes_and_reports_a_hand_invited_person(
    homeserver: LocalHomeserver, admin: SynapseAdmin, network: MatrixNetwork
) -> None:
    reg = make_registry(homeserver)
    await network.reconcile(reg.members.values(), reg.orgs)
    ostend = reg.member("ostend").matrix_id
    zone = await network.room_id("zone:5324")
    await network.client.room_invite(zone, ostend)  # done by hand, outside the registry
    assert (await admin.room_members(zone or ""))[ostend] == "invite"

    report = await network.reconcile(reg.members.values(), reg.orgs)
    assert report.removed == [(ostend, "zone:5324")]
    assert f"removed {ostend} from zone:5324" in report.summary()
    assert ostend not in await admin.room_members(zone or "")


async def test_changing_an_organisations_territory_moves_its_members(
    homeserver: LocalHomeserver, admin: SynapseAdmin, network: MatrixNetwork
) -> None:
    reg = make_registry(homeserver)
    await network.reconcile(reg.members.values(), reg.orgs)
    moved = dict(reg.orgs)
    moved["pcs-mons"] = replace(
        reg.orgs["pcs-mons"], territories=(TerritoryRef(TerritoryKind.MUNICIPALITY, "53028"),)
    )  # Frameries, policed by zone 5327
    prevention = reg.member("prevention")
    report = await network.apply_member(prevention, moved)
    assert (prevention.matrix_id, "zone:5327") in report.joined
    assert (prevention.matrix_id, "zone:5324") in report.removed
    assert prevention.matrix_id in await members_of(admin, network, "zone:5327")
    assert prevention.matrix_id not in await members_of(admin, network, "zone:5324")


async def test_a_role_change_changes_power_levels(
    homeserver: LocalHomeserver, admin: SynapseAdmin, network: MatrixNetwork
) -> None:
    reg = make_registry(homeserver)
    await network.reconcile(reg.members.values(), reg.orgs)
    officer = reg.member("officer")
    promoted = replace(officer, roles=officer.roles | {Role.MODERATOR})
    report = await network.apply_member(promoted, reg.orgs)
    assert "moderation" in [k for _, k in report.joined]
    levels = (await state(admin, network, "zone:5324"))["m.room.power_levels|"]
    assert levels["users"][officer.matrix_id] == 50  # type: ignore[index]
    assert isinstance(network.client, nio.AsyncClient)
