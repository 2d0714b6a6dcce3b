"""The entry points' processes: they stop with whoever started them, and take dbt with them.

`make run`, `make send` and `make replay` run a Python entry point that runs dbt. Killing `make`,
the entry point or the process group must stop all of it: an orphaned dbt would keep the build
lock and could publish a database after the user gave up on it.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess

from recsys.paths import REPO

_PR_SET_PDEATHSIG = 1


def _signal_on_parent_death(signum: int, parent: int) -> None:
    """Ask Linux to send ``signum`` to this process when its parent ``parent`` ends (prctl
    PDEATHSIG)."""
    ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signum, 0, 0, 0)
    if os.getppid() != parent:  # the parent ended before the request took effect
        os.kill(os.getpid(), signum)


def stop_with_parent() -> None:
    """Make this process stop, cleaning up, when its parent ends or it is asked to terminate.

    `make` runs the entry points with ``exec`` and RECSYS_STOP_WITH_PARENT set, so that the parent
    is `make` itself: killing `make` (even with SIGKILL) then stops the build. A build started by
    hand (for example under nohup) keeps running when its shell ends.
    """
    def stop(signum, frame):
        raise SystemExit(128 + signum)  # runs the `finally` clean-ups; run_child kills its child

    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, stop)
    if os.environ.get("RECSYS_STOP_WITH_PARENT"):
        _signal_on_parent_death(signal.SIGTERM, os.getppid())


def run_child(command: list[str], env: dict[str, str] | None = None,
              pass_fds: tuple[int, ...] = ()) -> int:
    """Run ``command`` (dbt) from the repo root so that it never outlives this process.

    The child gets SIGKILL when this process ends however it ends (PDEATHSIG), and
    subprocess.run kills it when this process is interrupted; it shares the process group, so a
    kill of the group reaches it too. It holds the build lock through ``pass_fds`` while it lives.
    """
    parent = os.getpid()
    return subprocess.run(command, cwd=REPO, env=env, pass_fds=pass_fds,
                          preexec_fn=lambda: _signal_on_parent_death(signal.SIGKILL, parent)).returncode
