"""What a snippet's child process gives up before the snippet's first line runs.

In order: its own process group and death with the worker; default signal
handlers; fds 0-2 on ``/dev/null`` and the capture file; hard resource limits
(:mod:`~sphinx_df_table.worker.limits`); Landlock (:mod:`~sphinx_df_table.worker.landlock`)
where the worker found it works; no capabilities (a root build cannot raise
its hard limits back); every inherited descriptor closed but its answer pipe;
and last the audit-hook guard (:mod:`~sphinx_df_table.worker.guard`) with the
holes audit events leave closed (:mod:`~sphinx_df_table.worker.audit_gaps`).
With ``df_table_allow_unsafe`` only the limits, the process housekeeping and a
permissive guard (which records the files read, for the cache) remain.
"""

from __future__ import annotations

import contextlib
import ctypes
import dataclasses
import faulthandler
import os
import signal
import sys
import tempfile
from typing import Any

from . import landlock
from .audit_gaps import close_gaps
from .guard import SYSTEM_READ_FILES, Guard, Policy
from .limits import apply_hard_limits
from .reaper import become_subreaper, die_with_parent

#: Signals whose handler the worker sets for itself, put back to the default.
_RESET_SIGNALS = ("SIGTERM", "SIGHUP", "SIGCHLD", "SIGUSR1", "SIGUSR2")
#: Device files every process may use.
_DEVICES = ("/dev/null", "/dev/zero", "/dev/urandom", "/dev/random")


def landlock_rules(
    policy: Policy, package_dir: str, read_only: tuple[str, ...] = ()
) -> landlock.Rules:
    """The Landlock rules of every snippet child, opened once in the worker.

    Read access beneath the policy's read roots (the source folder,
    ``df_table_allowed_paths``, the Python installation, the system folders
    libraries read), the system files, this package and ``read_only``; on
    ``sys.path`` folders outside those, only the module files and packages
    there (a repository root on ``sys.path`` does not open the repository).
    Read and write on the device files. Nothing else: the child adds its own
    ``/proc`` folder and scratch folder when it confines itself.
    """
    rules = landlock.Rules()
    for root in (*policy.read_roots, package_dir, *read_only):
        rules.allow(root, landlock.READ)
    for name in SYSTEM_READ_FILES:
        rules.allow(name, landlock.FsAccess.READ_FILE)
    for name in _DEVICES:
        rules.allow(name, landlock.FsAccess.READ_FILE | landlock.FsAccess.WRITE_FILE)
    covered = tuple(root.rstrip(os.sep) + os.sep for root in policy.read_roots)
    for root in policy.import_roots:
        if (root + os.sep).startswith(covered):
            continue
        rules.allow(root, landlock.FsAccess.READ_DIR)
        for path, access in _module_entries(root):
            rules.allow(path, access)
    return rules


def _module_entries(root: str) -> list[tuple[str, landlock.FsAccess]]:
    """The importable entries of the ``sys.path`` folder ``root``, with their rights."""
    try:
        names = sorted(os.listdir(root))
    except OSError:
        return []
    entries = []
    for name in names:
        path = os.path.join(root, name)
        if os.path.isdir(path):
            if name.endswith((".dist-info", ".egg-info")) or os.path.isfile(
                os.path.join(path, "__init__.py")
            ):
                entries.append((path, landlock.READ))
        elif name.endswith((".py", ".pyc", ".so", ".pyd", ".pth")):
            entries.append((path, landlock.FsAccess.READ_FILE))
    return entries


def confine_child(
    context: Any, request_fd: int, answer_fd: int, capture_fd: int, scratch: str
) -> Guard:
    """Confine the calling child process for the snippet it will run; the guard it runs under.

    Nothing here depends on the snippet: the child confines itself before its
    request arrives (:mod:`~sphinx_df_table.worker.prefork`), and changes to
    the request's working directory after. ``context`` is the worker (its pid,
    policy, rules, Landlock ABI, limits); ``request_fd`` and ``answer_fd``
    stay open, ``capture_fd`` becomes fds 1 and 2 (then is closed),
    ``scratch`` is the only writable folder. Raises ``OSError`` when a step
    the chosen sandbox mode needs fails (the worker reports a crash).
    """
    os.setpgid(0, 0)
    die_with_parent(context.pid, signal.SIGKILL)
    # Orphans of this snippet come to this process, not to the worker: the
    # worker can then tell which snippet they belong to (see reaper).
    become_subreaper()
    for name in _RESET_SIGNALS:
        with contextlib.suppress(AttributeError, OSError, ValueError):
            signal.signal(getattr(signal, name), signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # as in any Python process
    null = os.open(os.devnull, os.O_RDWR)
    os.dup2(null, 0)
    os.dup2(capture_fd, 1)
    os.dup2(capture_fd, 2)
    faulthandler.enable(file=2)  # a timeout's SIGABRT dumps every thread here
    unsafe = context.policy.allow_unsafe
    apply_hard_limits(memory_limit=context.memory_limit, allow_unsafe=unsafe)
    os.environ["TMPDIR"] = scratch
    tempfile.tempdir = None
    if context.landlock_abi:
        own = [(f"/proc/{os.getpid()}", landlock.READ), (scratch, landlock.WRITE)]
        landlock.confine(context.rules, own, context.landlock_abi)
    if not unsafe:
        drop_capabilities()
    for fd in sorted({null, capture_fd} - {0, 1, 2, request_fd, answer_fd}):
        os.close(fd)
    _close_inherited(keep=(request_fd, answer_fd))
    policy = dataclasses.replace(context.policy, scratch_dirs=[os.path.realpath(scratch)])
    guard = Guard(policy)
    sys.addaudithook(guard)
    guard.active = True
    if not unsafe:
        close_gaps(guard)
    return guard


def _close_inherited(keep: tuple[int, ...]) -> None:
    """Close every descriptor above 2 but those in ``keep``: the worker's pipes
    to Sphinx and to other children, the Landlock rules, whatever a library had open."""
    start = 3
    for fd in sorted(keep):
        os.closerange(start, fd)
        start = fd + 1
    os.closerange(start, _max_fd())


def _max_fd() -> int:
    try:
        return max(int(os.sysconf("SC_OPEN_MAX")), 256)
    except (ValueError, OSError):  # pragma: no cover - a system without the name
        return 65536


class _CapHeader(ctypes.Structure):
    _fields_ = (("version", ctypes.c_uint32), ("pid", ctypes.c_int))


class _CapData(ctypes.Structure):
    _fields_ = (
        ("effective", ctypes.c_uint32),
        ("permitted", ctypes.c_uint32),
        ("inheritable", ctypes.c_uint32),
    )


_CAPABILITY_VERSION_3 = 0x20080522


def drop_capabilities() -> bool:
    """Give up every Linux capability of this process (a build run as root).

    Without ``CAP_SYS_RESOURCE`` a hard limit cannot be raised again, without
    ``CAP_KILL`` no other user's process signalled, without ``CAP_SYS_PTRACE``
    no process inspected. Returns whether the kernel agreed (always False
    elsewhere than Linux).
    """
    if not sys.platform.startswith("linux"):
        return False
    header = _CapHeader(_CAPABILITY_VERSION_3, 0)
    data = (_CapData * 2)()
    libc = ctypes.CDLL(None, use_errno=True)
    return bool(libc.capset(ctypes.byref(header), data) == 0)
