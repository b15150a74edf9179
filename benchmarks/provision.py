"""Provisioning benchmark: a registry of Z zones and M members on the local homeserver.

Prints the time per member of prevnet's reconciliation against the floor of the raw admin-API
calls that the same provisioning needs at the very least (create each room, create each account,
force-join each membership), measured in the same run on the same homeserver.

    python -m benchmarks.provision                 # the issue's size: 200 zones, 5,000 members
    python -m benchmarks.provision --zones 20 --members 500 [--database postgres]

Bounded: it provisions exactly what it is asked to, on a homeserver on 127.0.0.1 that it starts
in a temporary directory and stops at the end.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
import uuid
from pathlib import Path

import aiohttp
import nio

from benchmarks.common import (
    SERVER,
    add_database_option,
    database,
    homeserver,
    parser,
    police_zone,
    ratio,
)
from bots.network import MatrixNetwork
from bots.synapse_admin import SynapseAdmin
from phenomena.partners import (
    Member,
    Organisation,
    OrganisationKind,
    Role,
    TerritoryKind,
    TerritoryRef,
)
from phenomena.rooms import member_rooms, room_catalogue
from phenomena.storage.database import Database
from phenomena.storage.room_directory import SqlRoomDirectory
from phenomena.territory import TerritoryRegistry
from prevnet.reference import load_territories
from prevnet.settings import Settings


def registry(
    territories: TerritoryRegistry, zones: int, members: int, tag: str
) -> tuple[list[Member], dict[str, Organisation]]:
    """A police organisation and a commune organisation per zone, members spread evenly."""
    keys = sorted(territories.zones)[:zones]
    orgs: dict[str, Organisation] = {}
    for key in keys:
        zone = territories.zones[key]
        orgs[f"zp-{key}"] = police_zone(territories, key)
        orgs[f"pcs-{key}"] = Organisation(
            f"pcs-{key}",
            f"Prevention {zone.name}",
            OrganisationKind.COMMUNE,
            (TerritoryRef(TerritoryKind.MUNICIPALITY, zone.municipalities[0]),),
        )
    org_keys = sorted(orgs)
    people = [
        Member(
            f"@m{i}-{tag}:{SERVER}",
            f"Member {i}",
            org_keys[i % len(org_keys)],
            frozenset({Role.MEMBER, Role.AUTHOR} if i % 5 == 0 else {Role.MEMBER}),
        )
        for i in range(members)
    ]
    return people, orgs


async def floor(
    admin: SynapseAdmin,
    bot: nio.AsyncClient,
    territories: TerritoryRegistry,
    people: list[Member],
    orgs: dict[str, Organisation],
) -> float:
    """The raw calls: one createRoom per room, one PUT per account, one join per membership."""
    specs = room_catalogue(orgs.values(), territories)
    start = time.perf_counter()
    ids: dict[str, str] = {}
    for key in specs:
        created = await bot.room_create(name=key, federate=False)
        ids[key] = created.room_id
    for person in people:
        await admin.put_user(person.matrix_id, displayname=person.display_name, password="x" * 16)
        for key in member_rooms(person, orgs[person.organisation], territories):
            await admin.force_join(person.matrix_id, ids[key])
    return time.perf_counter() - start


async def main(zones: int, members: int, database_choice: str) -> None:
    territories = load_territories(Settings())
    with tempfile.TemporaryDirectory(prefix="prevnet-bench-") as root:
        async with (
            homeserver(Path(root)) as server,
            aiohttp.ClientSession() as http,
            database(database_choice, Path(root)) as db,
        ):
            admin = SynapseAdmin(http, server.url)
            bot = await admin.register(
                server.registration_shared_secret, "prevnet", uuid.uuid4().hex, admin=True
            )
            admin.access_token = bot.access_token
            await admin.exempt_from_rate_limits(bot.user_id)
            client = nio.AsyncClient(
                server.url,
                bot.user_id,
                device_id=bot.device_id,
                config=nio.AsyncClientConfig(encryption_enabled=False),
            )
            client.restore_login(bot.user_id, bot.device_id, bot.access_token)
            try:
                await compare(client, admin, db, territories, zones, members)
            finally:
                await client.close()


async def compare(
    client: nio.AsyncClient,
    admin: SynapseAdmin,
    db: Database,
    territories: TerritoryRegistry,
    zones: int,
    members: int,
) -> None:
    """The floor, then prevnet's reconciliation of a registry of the same size, and the ratio."""
    people, orgs = registry(territories, zones, members, "floor")
    joins = sum(len(member_rooms(p, orgs[p.organisation], territories)) for p in people)
    rooms = len(room_catalogue(orgs.values(), territories))
    print(f"registry: {zones} zones, {members} members, {rooms} rooms, {joins} memberships")
    raw = await floor(admin, client, territories, people, orgs)
    print(f"floor (raw admin-API calls): {raw:.1f} s, {1000 * raw / members:.1f} ms per member")
    people, orgs = registry(territories, zones, members, "prevnet")
    network = MatrixNetwork(
        client, admin, SERVER, territories, SqlRoomDirectory(db), namespace="b-"
    )
    start = time.perf_counter()
    report = await network.reconcile(people, orgs)
    took = time.perf_counter() - start
    assert len(report.accounts_created) == members
    print(f"prevnet reconcile: {took:.1f} s, {1000 * took / members:.1f} ms per member")
    start = time.perf_counter()
    again = await network.reconcile(people, orgs)
    check = time.perf_counter() - start
    assert not again.changed_anything
    print(f"second reconcile (nothing to do): {check:.1f} s")
    print(f"ratio prevnet/floor: {ratio(took, raw)}")


if __name__ == "__main__":
    options = parser(__doc__)
    options.add_argument("--zones", type=int, default=200)
    options.add_argument("--members", type=int, default=5000)
    add_database_option(options)
    arguments = options.parse_args()
    asyncio.run(main(arguments.zones, arguments.members, arguments.database))
