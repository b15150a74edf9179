"""The embedded homeserver's process: it asks Linux to stop it when prevnet dies, then runs Synapse.

prevnet starts ``python -m prevnet.homeserver_child PARENT_PID SYNAPSE_ARGS...``. Setting the
parent-death signal here, in the new process, replaces a ``preexec_fn`` (unsafe in a parent that
runs threads, as prevnet does). Without it a prevnet killed with SIGKILL, or crashing, would leave
Synapse running. Linux sends the signal when the thread that started this process ends, so prevnet
starts it from its event loop's thread, which lives as long as prevnet.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import runpy
import signal
import sys

_PR_SET_PDEATHSIG = 1


def stop_with_parent(parent: int) -> None:
    """Receive SIGTERM when the parent ends; exit now if it already has."""
    if sys.platform == "linux":
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM) != 0:
            error = ctypes.get_errno()
            raise OSError(error, f"prctl(PR_SET_PDEATHSIG) failed: {os.strerror(error)}")
    if os.getppid() != parent:  # the parent died before the signal was set up
        raise SystemExit(f"prevnet (process {parent}) is gone; not starting the homeserver")


def main(argv: list[str]) -> None:
    """Run Synapse's homeserver in this process, as ``python -m synapse.app.homeserver`` would."""
    if not argv or not argv[0].isdigit():
        raise SystemExit("usage: python -m prevnet.homeserver_child PARENT_PID SYNAPSE_ARGS...")
    stop_with_parent(int(argv[0]))
    sys.argv = ["synapse.app.homeserver", *argv[1:]]
    runpy.run_module("synapse.app.homeserver", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main(sys.argv[1:])
