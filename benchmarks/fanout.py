"""Fan-out benchmark: from the ``!alert publish`` event to the last bulletin a member can see.

The interval starts when the homeserver has accepted the command event and ends when an
observer's sync has delivered the last bulletin. For 1, 10 and 50 routed rooms, prevnet
(command, database commit, outbox, encrypted fan-out) is timed against two floors of raw
matrix-nio sends of the same bulletins to the same rooms, one after the other, seen by the same
observer, in the same run on the same homeserver (target: at most 1.3):

- the *echo floor* measures the same interval as prevnet: a plain matrix-nio client (another
  device of the bot's account, encrypted, syncing like the bot, in a process of its own as
  prevnet is) sees the author's message and sends the bulletins at once, with no parsing,
  checks, database or outbox. It is what any bot must spend to turn a command event into
  bulletins.
- the *send floor* starts its clock just before the first send, so it leaves out receiving the
  command; for one room it is a single bare send, which no command, of any bot, can match.

    python -m benchmarks.fanout [--repeat 3] [--database postgres]

Each figure is the median of ``--repeat`` runs (three times as many for one room), the three
kinds interleaved. ``--database postgres`` runs prevnet on a PostgreSQL server started for the
run with production durability (fsync, synchronous commit) instead of its default SQLite file.

Bounded: one embedded homeserver on 127.0.0.1 in a temporary directory, a fixed number of
alerts, everything stopped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import nio

from benchmarks.common import (
    SERVER,
    add_database_option,
    database_url,
    free_port,
    parser,
    police_zone,
    start_prevnet,
)
from benchmarks.fanout_clients import Observer, echo_floor, send_all
from bots.i18n import Labels
from bots.rendering import render_alert
from bots.synapse_admin import SynapseAdmin
from phenomena.alert import Alert, AlertStatus
from phenomena.alert_text import parse_alert_text
from phenomena.partners import (
    Member,
    Organisation,
    OrganisationKind,
    Role,
    TerritoryKind,
    TerritoryRef,
)
from phenomena.partners_file import PartnerDocument
from phenomena.rooms import room_languages
from phenomena.services.partners import import_partners
from phenomena.storage.database import Database
from phenomena.storage.outbox import Outbox
from phenomena.storage.unit_of_work import SqlUnitOfWork
from prevnet.reference import load_territories
from prevnet.settings import Settings

SIZES = (1, 10, 50)


async def main(repeat: int, database: str) -> None:
    with (
        tempfile.TemporaryDirectory(prefix="prevnet-fanout-") as root,
        database_url(database, Path(root)) as url,
    ):
        await run(repeat, Path(root), url)


async def run(repeat: int, data: Path, database: str) -> None:
    territories = load_territories(Settings())
    zones = sorted(territories.zones)[: max(SIZES)]
    settings = Settings(
        data_dir=data,
        server_name=SERVER,
        homeserver_port=free_port(),
        database_url=database,
    )
    db = Database.connect(settings.database)
    await db.upgrade()
    police = [police_zone(territories, z) for z in zones]
    observers = Organisation(
        "observers",
        "Observers",
        OrganisationKind.OTHER,
        tuple(TerritoryRef(TerritoryKind.ZONE, z) for z in zones),
    )
    orgs = (*police, observers)
    author_id, observer_id = f"@author:{SERVER}", f"@observer:{SERVER}"
    members = (
        Member(author_id, "Author", f"zp-{zones[0]}", frozenset({Role.MEMBER, Role.AUTHOR})),
        Member(observer_id, "Observer", "observers", frozenset({Role.MEMBER})),
    )
    await import_partners(
        SqlUnitOfWork(db.sessions),
        PartnerDocument(orgs, members, {}),
        "bench",
        datetime.now(UTC),
    )
    # prevnet in its own process, as deployed: its bot does not share an event loop with
    # the author, the observer and the echo client of this benchmark
    runner = await start_prevnet(data, settings.homeserver_port, settings.database)
    url = f"http://127.0.0.1:{settings.homeserver_port}"
    outbox = Outbox(db, "bench")
    while (await outbox.stats()).pending:  # noqa: ASYNC110 - polling the shared outbox
        await asyncio.sleep(0.2)
    credentials = json.loads((data / "bot-credentials.json").read_text())
    async with aiohttp.ClientSession() as http:
        admin = SynapseAdmin(http, url, credentials["access_token"])
        for user in (author_id, observer_id):
            await admin.put_user(user, password="pw-" + user)
        room_of: dict[str, str] = {}
        for z in zones:
            found = await admin.resolve_alias(f"#zone-{z}:{SERVER}")
            if found is None:
                raise RuntimeError(f"room of zone {z} was not provisioned")
            room_of[z] = found
        author = nio.AsyncClient(
            url,
            author_id,
            store_path=str(data / "author"),
            config=nio.AsyncClientConfig(encryption_enabled=True),
        )
        (data / "author").mkdir()
        await author.login("pw-" + author_id)
        await author.keys_upload()
        await author.sync(timeout=0, full_state=True)
        observer = Observer(url, observer_id, credentials["user_id"])
        await observer.client.login("pw-" + observer_id)
        await observer.client.sync(timeout=0, full_state=True)
        watching = asyncio.create_task(observer.client.sync_forever(timeout=30000))
        floor_client = nio.AsyncClient(
            url,
            credentials["user_id"],
            store_path=str(data / "floor"),
            config=nio.AsyncClientConfig(encryption_enabled=True),
        )
        (data / "floor").mkdir()
        await floor_client.login(credentials["password"], device_name="floor")
        await floor_client.keys_upload()
        await floor_client.sync(timeout=0, full_state=True)
        origin = room_of[zones[0]]
        (data / "echo").mkdir()
        echo_config = {
            "url": url,
            "user_id": credentials["user_id"],
            "password": credentials["password"],
            "store": str(data / "echo"),
            "author": author_id,
            "origin": origin,
        }
        echo = await asyncio.create_subprocess_exec(
            sys.executable,
            *("-m", "benchmarks.fanout", "--echo-floor", json.dumps(echo_config)),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        assert echo.stdin is not None
        assert echo.stdout is not None
        echo_in, echo_out = echo.stdin, echo.stdout
        if await asyncio.wait_for(echo_out.readline(), 120) != b"ready\n":
            raise RuntimeError("the echo floor client did not start")

        async def say(text: str) -> None:
            await author.sync(timeout=0)
            await author.room_send(
                origin,
                "m.room.message",
                {"msgtype": "m.text", "body": text},
                ignore_unverified_devices=True,
            )

        async def reply(containing: str) -> str:
            deadline = time.perf_counter() + 60
            while time.perf_counter() < deadline:
                response = await author.sync(timeout=1000)
                if not isinstance(response, nio.SyncResponse):
                    continue
                joined = response.rooms.join.get(origin)
                for event in joined.timeline.events if joined else []:
                    body = getattr(event, "body", "")
                    if containing in body:
                        return str(body)
            raise TimeoutError(containing)

        async def prevnet_once(n: int) -> float:
            area = ", ".join(territories.zones[z].municipalities[0] for z in zones[:n])
            await say(
                f"!alert new\ntype: phone-scam\narea: {area}\nfrom: 2026-11-20\n"
                "tlp: red\nsummary: Fake bank employees call elderly people."
            )
            ref = (await reply("Draft A-")).split()[1].rstrip(":")
            await say(f"!alert publish {ref}")
            # The clock starts when the command event exists (the homeserver accepted it):
            # the author's own client may take seconds to share its keys before sending,
            # which is not prevnet's doing.
            start = time.perf_counter()
            return await observer.rooms_seen_after(start, {room_of[z] for z in zones[:n]})

        text = parse_alert_text(
            "type: phone-scam\narea: Mons\nfrom: 2026-11-20\ntlp: red\nsummary: x\n",
            territories,
        )
        alert = Alert(0, text, author_id, "zp", AlertStatus.PUBLISHED)

        def bulletins(n: int) -> list[tuple[str, dict[str, str]]]:
            out = []
            for z in zones[:n]:
                labels = Labels(room_languages(f"zone:{z}", territories))
                rendered = render_alert(alert, territories, labels, "Zone")
                content = {
                    "msgtype": "m.notice",
                    "body": rendered.text,
                    "format": "org.matrix.custom.html",
                    "formatted_body": rendered.html,
                }
                out.append((room_of[z], content))
            return out

        async def send_floor_once(n: int) -> float:
            start = time.perf_counter()
            await send_all(floor_client, bulletins(n))
            return await observer.rooms_seen_after(start, {room_of[z] for z in zones[:n]})

        async def echo_floor_once(n: int) -> float:
            echo_in.write(json.dumps(bulletins(n)).encode() + b"\n")
            if await asyncio.wait_for(echo_out.readline(), 60) != b"armed\n":
                raise RuntimeError("the echo floor client stopped")
            # not a command: prevnet reads it and does nothing; the echo client answers it
            await say(f"publish {n} (floor)")
            start = time.perf_counter()
            took = await observer.rooms_seen_after(start, {room_of[z] for z in zones[:n]})
            if await asyncio.wait_for(echo_out.readline(), 60) != b"sent\n":
                raise RuntimeError("the echo floor client stopped")
            return took

        # warm-up: encryption sessions shared in every room, on every side
        await prevnet_once(max(SIZES))
        await echo_floor_once(max(SIZES))
        await send_floor_once(max(SIZES))
        print(
            f"{'rooms':>5} {'prevnet ms':>11} {'echo floor':>11} {'ratio':>6}"
            f" {'send floor':>11} {'ratio':>6}"
        )
        for n in SIZES:
            ours, echoed, sent = [], [], []
            # one room: three times the runs, as its spread (a few ms) is a large share of it
            runs = 3 * repeat if n == 1 else repeat
            for _ in range(runs):  # interleaved, so drift in the homeserver hits all three
                ours.append(await prevnet_once(n))
                echoed.append(await echo_floor_once(n))
                sent.append(await send_floor_once(n))
            mine, e, f = (statistics.median(x) for x in (ours, echoed, sent))
            print(
                f"{n:>5} {1000 * mine:>11.0f} {1000 * e:>11.0f} {mine / e:>6.2f}"
                f" {1000 * f:>11.0f} {mine / f:>6.2f}"
            )
        watching.cancel()
        echo_in.close()
        await asyncio.wait_for(echo.wait(), 60)
        for client in (author, observer.client, floor_client):
            await client.close()
    runner.send_signal(signal.SIGTERM)
    await asyncio.wait_for(runner.wait(), 60)
    await db.close()


if __name__ == "__main__":
    options = parser(__doc__)
    options.add_argument("--repeat", type=int, default=3)
    add_database_option(options)
    options.add_argument("--echo-floor", help=argparse.SUPPRESS)  # the echo client's process
    arguments = options.parse_args()
    if arguments.echo_floor:
        asyncio.run(echo_floor(json.loads(arguments.echo_floor)))
    else:
        asyncio.run(main(arguments.repeat, arguments.database))
