"""The command line finds the running network where ``prevnet up`` recorded it, and only there.

Found: ``prevnet reconcile`` ignored the port ``prevnet up`` ran on and sent the bot's
server-admin token to 127.0.0.1:8008, whoever listened there; a second ``prevnet up`` crashed
with a traceback because the incident API's port was taken, and there was no option for it.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from aiohttp import web

from prevnet.running import RUNNING_FILE
from tests.support.synapse import free_port
from tests.support.up import DemoTemplate, demo_template, start, stop

TOKEN = "syt_the_bots_server_admin_token"
__all__ = ["demo_template"]


@dataclass
class Decoy:
    """An HTTP server that answers like a homeserver would and keeps what it was sent."""

    port: int
    seen: list[dict[str, str]] = field(default_factory=list)


@pytest.fixture
async def decoy() -> AsyncIterator[Decoy]:
    found = Decoy(free_port())

    async def anything(request: web.Request) -> web.Response:
        found.seen.append({"path": request.path, **dict(request.headers)})
        return web.json_response({"user_id": "@prevnet:prevnet.localhost", "device_id": "X"})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", anything)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", found.port).start()
    try:
        yield found
    finally:
        await runner.cleanup()


async def prevnet(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    """Run the ``prevnet`` command line as a process: exit code, stdout, stderr."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "prevnet",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, **(env or {})},
    )
    out, err = await asyncio.wait_for(process.communicate(), 180)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


def data_dir_with_credentials(tmp_path: Path, homeserver_port: int) -> tuple[Path, Path]:
    data = tmp_path / "data"
    data.mkdir()
    credentials = {
        "user_id": "@prevnet:prevnet.localhost",
        "access_token": TOKEN,
        "device_id": "BOTDEVICE",
        "password": "unused",
    }
    (data / "bot-credentials.json").write_text(json.dumps(credentials))
    config = tmp_path / "prevnet.toml"
    config.write_text(f"[prevnet]\nhomeserver_port = {homeserver_port}\n")
    return data, config


async def test_reconcile_with_nothing_running_sends_the_token_nowhere(
    tmp_path: Path, decoy: Decoy
) -> None:
    """A listener on the configured homeserver port, where the old code sent the token."""
    data, config = data_dir_with_credentials(tmp_path, decoy.port)
    code, _, err = await prevnet("--config", str(config), "--data-dir", str(data), "reconcile")
    assert code == 1
    assert "is not running: start it with `prevnet up --data-dir" in err
    assert "Traceback" not in err
    assert decoy.seen == []


async def test_a_record_left_by_a_dead_process_counts_as_nothing_running(
    tmp_path: Path, decoy: Decoy
) -> None:
    data, config = data_dir_with_credentials(tmp_path, decoy.port)
    gone = await asyncio.create_subprocess_exec(sys.executable, "-c", "pass")
    await gone.wait()
    record = {"url": f"http://127.0.0.1:{decoy.port}", "api_port": 0, "pid": gone.pid}
    (data / RUNNING_FILE).write_text(json.dumps(record))
    code, _, err = await prevnet("--config", str(config), "--data-dir", str(data), "reconcile")
    assert code == 1 and "is not running" in err
    assert decoy.seen == []


async def test_reconcile_reaches_the_network_on_its_port_and_ports_in_use_are_explained(
    tmp_path: Path, demo_template: DemoTemplate
) -> None:
    first = await demo_template.copy_to(tmp_path / "first")
    running = await start(first, free_port())
    try:
        assert running.url != "http://127.0.0.1:8008"
        recorded = json.loads((first / RUNNING_FILE).read_text())
        assert recorded["url"] == running.url and recorded["api_port"] == running.api_port

        code, out, err = await prevnet("--data-dir", str(first), "reconcile")
        assert code == 0, err
        assert out.startswith("Reconciliation: 0 room(s) created")  # all there already

        second = str(tmp_path / "second")
        code, _, err = await prevnet(
            "up", "--data-dir", second, "--port", str(free_port()), "--api-port",
            str(running.api_port), "--fast-hashing",
        )  # fmt: skip
        assert code == 2, err
        assert (
            f"port {running.api_port} is in use (another prevnet up?): choose another with "
            "--api-port or set api_port"
        ) in err
        assert "Traceback" not in err
        assert not (Path(second) / "homeserver").exists()  # refused before Synapse started

        homeserver_port = int(running.url.rsplit(":", 1)[1])
        code, _, err = await prevnet(
            "up", "--data-dir", second, "--port", str(homeserver_port), "--fast-hashing",
            env={"PREVNET_API_PORT": str(free_port())},
        )  # fmt: skip
        assert code == 2 and f"port {homeserver_port} is in use" in err and "--port" in err

        code, _, err = await prevnet("up", "--data-dir", str(first), "--fast-hashing")
        assert code == 1 and "prevnet up already runs on" in err
    finally:
        assert await stop(running) == 0
    assert not (first / RUNNING_FILE).exists()
