"""``prevnet up --demo`` run as a child process for end-to-end tests."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import pytest

from tests.support.synapse import free_port

SERVER = "prevnet.localhost"
READY_SECONDS = 300
"""How long ``prevnet up --demo`` may take to say it is ready: its own Synapse and the demo's
29 rooms, while the other test worker keeps the second core busy."""


@dataclass
class Running:
    process: asyncio.subprocess.Process
    url: str
    data: Path
    api_port: int = 0

    def accounts(self) -> dict[str, str]:
        listing = json.loads((self.data / "demo-accounts.json").read_text())
        return {a["user_id"]: a["password"] for a in listing["accounts"]}

    def bot_token(self) -> str:
        return str(json.loads((self.data / "bot-credentials.json").read_text())["access_token"])


def _log_file(data: Path) -> Path:
    data.mkdir(parents=True, exist_ok=True)
    return data / "prevnet-up.log"


async def start(
    data: Path, port: int, env: dict[str, str] | None = None, *, demo: bool = True
) -> Running:
    """Start ``prevnet up --demo`` and wait for its ready line; its log goes to the data dir."""
    log_path = _log_file(data)
    api_port = free_port()
    with log_path.open("ab") as log:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "prevnet",
            "up",
            "--data-dir",
            str(data),
            "--port",
            str(port),
            *(["--demo"] if demo else []),
            "--fast-hashing",
            "-v",
            stdout=asyncio.subprocess.PIPE,
            stderr=log,
            env={**os.environ, "PREVNET_API_PORT": str(api_port), **(env or {})},
        )
    assert process.stdout is not None
    try:
        line = await asyncio.wait_for(process.stdout.readline(), READY_SECONDS)
    except TimeoutError:
        process.kill()
        raise
    if not line.startswith(b"prevnet ready: "):
        process.kill()
        await process.wait()
        tail = log_path.read_text(errors="replace")[-3000:]
        raise AssertionError(f"prevnet up did not get ready: {line!r}\n{tail}")
    return Running(process, line.decode().split(": ", 1)[1].strip(), data, api_port)


@dataclass
class DemoTemplate:
    """A demo network's data directory, made once per test process by ``prevnet up --demo`` and
    stopped: each copy resumes with its rooms and accounts in place instead of creating them
    again (half a minute per test). Tests of what a first start does start from nothing."""

    root: Path
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    @property
    def data(self) -> Path:
        return self.root / "data"

    async def copy_to(self, data: Path) -> Path:
        async with self._lock:
            done = self.root / "complete"
            if not done.exists():
                shutil.rmtree(self.data, ignore_errors=True)
                running = await start(self.data, free_port())
                await drained(running)  # a copy must not resume with the template's backlog
                assert await stop(running) == 0, "the demo template did not stop cleanly"
                done.touch()
        logs = shutil.ignore_patterns("*.log", "*.stderr", "*.pid")
        shutil.copytree(self.data, data, symlinks=True, ignore=logs)
        return data


async def drained(running: Running, within: float = 180.0) -> None:
    """Wait until the network's outbox is delivered (``/health`` answers 200), boundedly."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    last = ""
    async with aiohttp.ClientSession() as http:
        while loop.time() < deadline:
            with contextlib.suppress(aiohttp.ClientError):
                async with http.get(f"http://127.0.0.1:{running.api_port}/health") as response:
                    if response.status == 200:
                        return
                    last = await response.text()
            await asyncio.sleep(0.5)  # polling /health: what a monitoring probe does
    raise AssertionError(f"the demo network's outbox was not delivered in {within:.0f} s: {last}")


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> DemoTemplate:
    """The process's demo template (the same directory for every module that imports this)."""
    root = tmp_path_factory.getbasetemp() / "demo-template"
    root.mkdir(exist_ok=True)
    return DemoTemplate(root)


@contextlib.asynccontextmanager
async def started(
    data: Path, env: dict[str, str] | None = None, *, template: DemoTemplate | None = None
) -> AsyncIterator[Running]:
    """``start`` on a free port (on a copy of ``template`` if given); killed afterwards if it
    still runs."""
    if template is not None:
        await template.copy_to(data)
    running = await start(data, free_port(), env)
    try:
        yield running
    finally:
        if running.process.returncode is None:
            running.process.kill()
            await running.process.wait()


async def stop(running: Running) -> int:
    running.process.send_signal(signal.SIGTERM)
    return await asyncio.wait_for(running.process.wait(), 60)


def children_of(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        if parent == pid:
            found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    """Whether a process exists and is not a zombie."""
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


async def start_bridge(data: Path, env: dict[str, str]) -> asyncio.subprocess.Process:
    """Start ``prevnet bridge`` on the same data directory; wait for its ready line."""
    log_path = data / "prevnet-bridge.log"
    with log_path.open("ab") as log:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "prevnet",
            "bridge",
            "--data-dir",
            str(data),
            "-v",
            stdout=asyncio.subprocess.PIPE,
            stderr=log,
            env={**os.environ, **env},
        )
    assert process.stdout is not None
    try:
        line = await asyncio.wait_for(process.stdout.readline(), 60)
    except TimeoutError:
        process.kill()
        raise
    if not line.startswith(b"prevnet bridge ready: "):
        process.kill()
        await process.wait()
        tail = log_path.read_text(errors="replace")[-3000:]
        raise AssertionError(f"prevnet bridge did not get ready: {line!r}\n{tail}")
    return process


async def terminate(process: asyncio.subprocess.Process) -> None:
    """SIGTERM, and SIGKILL if it has not stopped within 30 s."""
    if process.returncode is not None:
        return
    process.terminate()
    try:
        await asyncio.wait_for(process.wait(), 30)
    except TimeoutError:
        process.kill()
        await process.wait()
