"""The embedded homeserver never outlives prevnet, however prevnet ends (SIGKILL included)."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from tests.support.synapse import free_port
from tests.support.up import alive, children_of

# a process that starts the embedded homeserver as prevnet up does, runs threads, and waits
STARTER = """
import asyncio, sys, threading
from pathlib import Path
from prevnet.homeserver import Homeserver, HomeserverFiles, HomeserverOptions

async def main() -> None:
    threading.Thread(target=threading.Event().wait, daemon=True).start()
    server = Homeserver(
        HomeserverFiles(Path(sys.argv[1])),
        HomeserverOptions("lifetime.test", int(sys.argv[2]), bcrypt_rounds=4),
    )
    await server.start()
    print("ready", flush=True)
    await asyncio.Event().wait()

asyncio.run(main())
"""


def command_line(pid: int) -> list[str]:
    return Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")


async def test_synapse_stops_when_prevnet_is_killed(tmp_path: Path) -> None:
    starter = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        STARTER,
        str(tmp_path / "homeserver"),
        str(free_port()),
        stdout=asyncio.subprocess.PIPE,
    )
    assert starter.stdout is not None
    synapse: int | None = None
    try:
        assert await asyncio.wait_for(starter.stdout.readline(), 90) == b"ready\n"
        (synapse,) = children_of(starter.pid)
        assert "prevnet.homeserver_child" in command_line(
            synapse
        )  # Synapse runs in the launcher's process
        starter.kill()  # SIGKILL: prevnet gets no chance to stop anything
        await starter.wait()
        for _ in range(300):
            if not alive(synapse):
                break
            await asyncio.sleep(0.1)
        assert not alive(synapse), "Synapse outlived the killed process that started it"
    finally:
        if starter.returncode is None:
            starter.kill()
            await starter.wait()
        if synapse is not None and alive(synapse):
            os.kill(synapse, signal.SIGKILL)
