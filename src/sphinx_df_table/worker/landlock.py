"""Linux Landlock through ``ctypes``: the kernel side of a snippet's confinement.

Landlock (Linux 5.13 and later) lets an unprivileged process restrict itself,
for good and for all its future children: which files it may open for reading
or writing, whether it may execute anything, make device/FIFO/socket files,
bind or connect TCP ports (ABI 4), or signal and reach abstract unix sockets
of processes outside its own domain (ABI 6). Each ABI version adds rights; a
ruleset only *handles* the rights the running kernel knows, so the same code
confines as much as each kernel can and no more.

Three system calls do it (the same numbers on every architecture Python runs on
for Linux): ``landlock_create_ruleset``, ``landlock_add_rule`` and
``landlock_restrict_self``. :func:`abi_version` asks the kernel which ABI it
offers; :class:`Rules` collects paths with their rights (opened once, as
``O_PATH`` descriptors, in the worker); :func:`confine` builds a ruleset from
them in a snippet's child process and restricts that process. Nothing here
imports anything beyond the standard library.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import os
import sys
from dataclasses import dataclass, field
from enum import IntFlag

from ..errors import DfTableError

_SYS_CREATE_RULESET = 444
_SYS_ADD_RULE = 445
_SYS_RESTRICT_SELF = 446
_CREATE_RULESET_VERSION = 1 << 0
_RULE_PATH_BENEATH = 1
_PR_SET_NO_NEW_PRIVS = 38


class FsAccess(IntFlag):
    """File-system rights (``LANDLOCK_ACCESS_FS_*``)."""

    EXECUTE = 1 << 0
    WRITE_FILE = 1 << 1
    READ_FILE = 1 << 2
    READ_DIR = 1 << 3
    REMOVE_DIR = 1 << 4
    REMOVE_FILE = 1 << 5
    MAKE_CHAR = 1 << 6
    MAKE_DIR = 1 << 7
    MAKE_REG = 1 << 8
    MAKE_SOCK = 1 << 9
    MAKE_FIFO = 1 << 10
    MAKE_BLOCK = 1 << 11
    MAKE_SYM = 1 << 12
    REFER = 1 << 13  # ABI 2: link or rename a file into another directory
    TRUNCATE = 1 << 14  # ABI 3
    IOCTL_DEV = 1 << 15  # ABI 5: ioctl on device files


class NetAccess(IntFlag):
    """Network rights (``LANDLOCK_ACCESS_NET_*``, ABI 4)."""

    BIND_TCP = 1 << 0
    CONNECT_TCP = 1 << 1


class Scope(IntFlag):
    """IPC scopes (``LANDLOCK_SCOPE_*``, ABI 6): what stays inside the domain."""

    ABSTRACT_UNIX_SOCKET = 1 << 0
    SIGNAL = 1 << 1


#: What each ABI version can restrict: (file-system rights, network rights, scopes).
ABI_RIGHTS: dict[int, tuple[FsAccess, NetAccess, Scope]] = {}
_fs = FsAccess(0)
for _bit in FsAccess:
    if _bit not in (FsAccess.REFER, FsAccess.TRUNCATE, FsAccess.IOCTL_DEV):
        _fs |= _bit
ABI_RIGHTS[1] = (_fs, NetAccess(0), Scope(0))
ABI_RIGHTS[2] = (_fs | FsAccess.REFER, NetAccess(0), Scope(0))
ABI_RIGHTS[3] = (ABI_RIGHTS[2][0] | FsAccess.TRUNCATE, NetAccess(0), Scope(0))
ABI_RIGHTS[4] = (ABI_RIGHTS[3][0], NetAccess.BIND_TCP | NetAccess.CONNECT_TCP, Scope(0))
ABI_RIGHTS[5] = (ABI_RIGHTS[4][0] | FsAccess.IOCTL_DEV, ABI_RIGHTS[4][1], Scope(0))
ABI_RIGHTS[6] = (ABI_RIGHTS[5][0], ABI_RIGHTS[5][1], Scope.ABSTRACT_UNIX_SOCKET | Scope.SIGNAL)
ABI_RIGHTS[7] = ABI_RIGHTS[6]  # ABI 7 adds audit-log flags, no rights
NEWEST_KNOWN_ABI = max(ABI_RIGHTS)
del _fs, _bit

#: Rights that a rule on a regular file (not a directory) may carry.
FILE_RIGHTS = FsAccess.EXECUTE | FsAccess.WRITE_FILE | FsAccess.READ_FILE | FsAccess.TRUNCATE
FILE_RIGHTS |= FsAccess.IOCTL_DEV
#: Reading files and listing directories.
READ = FsAccess.READ_FILE | FsAccess.READ_DIR
#: Everything a scratch folder needs: files and folders made, changed and
#: removed, but no device, FIFO or socket files and nothing executed.
WRITE = (
    READ
    | FsAccess.WRITE_FILE
    | FsAccess.REMOVE_DIR
    | FsAccess.REMOVE_FILE
    | FsAccess.MAKE_DIR
    | FsAccess.MAKE_REG
    | FsAccess.MAKE_SYM
    | FsAccess.REFER
    | FsAccess.TRUNCATE
)


class LandlockError(DfTableError, OSError):
    """The kernel refused to build or enforce a ruleset (``errno`` says why)."""


class _RulesetAttr(ctypes.Structure):
    _fields_ = (
        ("handled_access_fs", ctypes.c_uint64),
        ("handled_access_net", ctypes.c_uint64),
        ("scoped", ctypes.c_uint64),
    )


class _PathBeneathAttr(ctypes.Structure):
    _pack_ = 1
    _fields_ = (("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32))


@functools.cache
def _libc() -> ctypes.CDLL | None:
    """The C library (the symbols of the running program include it), on Linux."""
    if not sys.platform.startswith("linux"):
        return None
    return ctypes.CDLL(None, use_errno=True)


def _fail(what: str) -> LandlockError:
    errno = ctypes.get_errno()
    return LandlockError(errno, f"{what}: {os.strerror(errno)}")


def abi_version() -> int:
    """The Landlock ABI the running kernel offers: 0 when it has none.

    0 also on other systems, on kernels built without Landlock, when Landlock
    is not in the kernel's active security modules (``ENOSYS``/``EOPNOTSUPP``)
    and when a seccomp filter (some container runtimes) refuses the call.
    """
    libc = _libc()
    if libc is None:
        return 0
    version = libc.syscall(_SYS_CREATE_RULESET, None, ctypes.c_size_t(0), _CREATE_RULESET_VERSION)
    return max(int(version), 0)


@dataclass
class Rules:
    """Paths and the rights granted beneath each, as ``O_PATH`` descriptors.

    Open the paths once (in the worker, with :meth:`allow`); each snippet's
    child then builds its ruleset from the descriptors in microseconds.
    Paths that do not exist are left out: nothing there to allow.
    """

    entries: list[tuple[int, FsAccess, str]] = field(default_factory=list)

    def allow(self, path: str, access: FsAccess) -> None:
        """Grant ``access`` beneath ``path`` (on the file itself if it is a file)."""
        try:
            fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
        except OSError:
            return
        if not os.path.isdir(path):
            access &= FILE_RIGHTS  # a file rule may only carry file rights
        self.entries.append((fd, access, path))

    def close(self) -> None:
        """Close every descriptor (the worker keeps them for its whole life)."""
        for fd, _access, _path in self.entries:
            with contextlib.suppress(OSError):
                os.close(fd)
        self.entries.clear()


def confine(rules: Rules, extra: list[tuple[str, FsAccess]], abi: int) -> None:
    """Restrict the calling process, for good, to ``rules`` plus ``extra``.

    ``abi`` is :func:`abi_version`'s answer; the ruleset handles every right
    that ABI knows (an ABI newer than this module knows is treated as the
    newest it knows), so anything not granted is refused: no ``execve``, no
    device, FIFO or socket files, no TCP (ABI 4+), no signals or abstract unix
    sockets beyond the domain (ABI 6+). ``extra`` holds per-process paths (the
    process's own ``/proc`` folder and scratch folder), opened here.

    Sets ``PR_SET_NO_NEW_PRIVS`` (which Landlock requires and which also means
    no set-uid program could gain rights). Raises :class:`LandlockError` when
    the kernel refuses; the process is then not confined.
    """
    libc = _libc()
    if libc is None or abi < 1:
        raise LandlockError(0, "Landlock is not available")
    fs, net, scope = ABI_RIGHTS[min(abi, NEWEST_KNOWN_ABI)]
    attr = _RulesetAttr(int(fs), int(net), int(scope))
    size = 8 if abi < 4 else 16 if abi < 6 else 24
    ruleset = libc.syscall(_SYS_CREATE_RULESET, ctypes.byref(attr), ctypes.c_size_t(size), 0)
    if ruleset < 0:
        raise _fail("landlock_create_ruleset")
    own = Rules()  # the per-process paths, opened (and closed) here
    for path, wanted in extra:
        own.allow(path, wanted)
    try:
        for fd, access, path in [*rules.entries, *own.entries]:
            beneath = _PathBeneathAttr(int(access & fs), fd)
            if libc.syscall(_SYS_ADD_RULE, ruleset, _RULE_PATH_BENEATH, ctypes.byref(beneath), 0):
                raise _fail(f"landlock_add_rule({path!r})")
        if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0):
            raise _fail("prctl(PR_SET_NO_NEW_PRIVS)")
        if libc.syscall(_SYS_RESTRICT_SELF, ruleset, 0):
            raise _fail("landlock_restrict_self")
    finally:
        os.close(ruleset)
        own.close()


def describe(abi: int) -> str:
    """How the summary names the mode: ``"landlock ABI 7"``."""
    return f"landlock ABI {abi}"
