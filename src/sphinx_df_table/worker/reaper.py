"""No orphans: every process a snippet started ends when the snippet ends.

The worker makes itself a *child subreaper* (Linux ``PR_SET_CHILD_SUBREAPER``):
a process whose parent dies is then re-parented to the worker, not to init,
also when it left the snippet's process group or session
(``start_new_session=True``). After each snippet :func:`kill_descendants`
kills and reaps whatever is left, layer by layer, until the worker has no
child. Elsewhere (macOS) the snippet's process group is killed, which catches
everything that did not start a new session.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
import time
from collections.abc import Set

_PR_SET_CHILD_SUBREAPER = 36
_PR_SET_PDEATHSIG = 1
#: How long :func:`kill_descendants` keeps killing (a fork bomb refills).
SWEEP_SECONDS = 5.0


def become_subreaper() -> bool:
    """Make orphaned descendants children of this process. False where unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    libc = ctypes.CDLL(None, use_errno=True)
    return bool(libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0)


def die_with_parent(parent_pid: int, sig: signal.Signals = signal.SIGKILL) -> None:
    """Ask Linux to send ``sig`` to this process when its parent dies.

    Best effort, and only on Linux. Exits at once (status 0) when the parent
    (``parent_pid``) is already gone, as ``prctl`` would then never fire.
    """
    if sys.platform.startswith("linux"):
        with contextlib.suppress(Exception):
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, int(sig), 0, 0, 0)
    if os.getppid() != parent_pid:
        os._exit(0)


def children(pid: int) -> list[int]:
    """The pids whose parent is ``pid`` (Linux ``/proc``; empty elsewhere)."""
    found: list[int] = []
    task_dir = f"/proc/{pid}/task"
    try:
        tasks = os.listdir(task_dir)
    except OSError:
        return found
    for tid in tasks:
        try:
            with open(f"{task_dir}/{tid}/children", "rb") as file:
                found.extend(int(p) for p in file.read().split())
        except OSError:  # a kernel without CONFIG_PROC_CHILDREN: read every stat
            return _children_from_stat(pid)
    return found


def _children_from_stat(pid: int) -> list[int]:
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as file:
                fields = file.read().rsplit(b")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if len(fields) > 1 and int(fields[1]) == pid:
            found.append(int(name))
    return found


def kill_group(pgid: int) -> None:
    """SIGKILL the process group ``pgid`` (call it before its leader is reaped)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def kill_descendants(exclude: Set[int] = frozenset()) -> int:
    """Kill and reap every child of this process but ``exclude``, and theirs as
    they are re-parented to it.

    Returns how many processes were killed. Stops after :data:`SWEEP_SECONDS`
    even if something keeps forking (the worker is then replaced by the
    parent's own kill of its process group). Children in ``exclude`` (snippets
    still running) are neither killed nor reaped.
    """
    me = os.getpid()
    killed = 0
    deadline = time.monotonic() + SWEEP_SECONDS
    while time.monotonic() < deadline:
        living = [pid for pid in children(me) if pid not in exclude]
        if not living:
            break
        for pid in living:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
                killed += 1
        for pid in living:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)
    return killed
