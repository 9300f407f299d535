"""Guard rails for snippets: which files they may read, and what else they may do.

This is enforced with a PEP 578 audit hook, installed in each snippet's child
process (an audit hook can never be removed, so it must not live in the Sphinx
process) and switched on before the snippet's first line, for the rest of the
child's life. It is the second layer: where the kernel offers Landlock
(:mod:`~sphinx_df_table.worker.landlock`), the kernel refuses what matters,
and the guard's part is the friendly message (which path, which setting
allows it) and the record of the files read, for the result cache. Without
Landlock it is the only layer: a guard rail against mistakes and
hostile-looking pull-request content, **not** a security boundary (code that
reads files through C libraries is not seen by it, and a determined snippet
can reach the guard object). See the security page of the documentation.
"""

from __future__ import annotations

import contextlib
import os
import re
import site
import sys
import sysconfig
import threading
import urllib.parse
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn

from ..errors import DfTableError
from ..messages import FileStamp

#: System files that the libraries themselves read while importing or running.
SYSTEM_READ_FILES = (
    "/etc/mime.types",
    "/etc/localtime",
    "/etc/timezone",
    "/etc/nsswitch.conf",
    "/etc/ld.so.cache",
    "/dev/null",
    "/dev/zero",
    "/dev/urandom",
    "/dev/random",
    "/proc/meminfo",
    "/proc/cpuinfo",
    "/proc/stat",
)
#: System directories that are never sensitive and that libraries read from.
#: (A process's own ``/proc/<pid>`` folder is readable too: see :meth:`Policy.may_read`.)
SYSTEM_READ_DIRS = (
    "/sys/devices/system/cpu",
    "/sys/fs/cgroup",
    "/usr/share/zoneinfo",
    "/usr/lib",
    "/usr/local/lib",
    "/lib",
    "/lib64",
    "/usr/share/fonts",
    "/usr/share/numpy",
)

#: Audit events that start processes.
PROCESS_EVENTS = frozenset(
    {
        "subprocess.Popen",
        "os.system",
        "os.exec",
        "os.posix_spawn",
        "os.spawn",
        "os.fork",
        "os.forkpty",
        "pty.spawn",
        "os.startfile",
    }
)
#: Audit events that reach the network.
NETWORK_EVENTS = frozenset(
    {
        "socket.connect",
        "socket.bind",
        "socket.sendto",
        "socket.sendmsg",
        "socket.getaddrinfo",
        "socket.gethostbyname",
        "socket.gethostbyaddr",
        "urllib.Request",
        "http.client.connect",
        "ftplib.connect",
        "smtplib.connect",
    }
)
#: Audit events that change the file system, or signal other processes.
WRITE_EVENTS = frozenset(
    {
        "os.remove",
        "os.rename",
        "os.rmdir",
        "os.mkdir",
        "os.symlink",
        "os.link",
        "os.truncate",
        "os.chmod",
        "os.chown",
        "os.utime",
        "os.chflags",
        "os.lchflags",
        "os.setxattr",
        "os.removexattr",
        "shutil.copyfile",
        "shutil.copymode",
        "shutil.copystat",
        "shutil.copytree",
        "shutil.move",
        "shutil.rmtree",
        "shutil.make_archive",
        "shutil.unpack_archive",
        "os.kill",
        "os.killpg",
        "signal.pthread_kill",
        "resource.setrlimit",
        "resource.prlimit",
    }
)
#: C functions that would bypass the guard if a snippet called them through
#: ``ctypes`` (the ``ctypes.dlsym`` event names the symbol): files, processes,
#: signals, sockets, limits, raw system calls.
CTYPES_REFUSED = frozenset(
    {
        *("open", "open64", "openat", "openat64", "openat2", "creat", "creat64"),
        *("fopen", "fopen64", "freopen", "opendir", "name_to_handle_at", "open_by_handle_at"),
        *("unlink", "unlinkat", "rename", "renameat", "renameat2", "mkdir", "mkdirat"),
        *("rmdir", "link", "linkat", "symlink", "symlinkat", "truncate", "chmod", "chown"),
        *("mknod", "mknodat", "mkfifo", "mkfifoat", "remove", "chdir", "chroot"),
        *("execve", "execv", "execvp", "execvpe", "execl", "execlp", "execle", "fexecve"),
        *("system", "popen", "fork", "vfork", "clone", "clone3", "posix_spawn", "posix_spawnp"),
        *("kill", "killpg", "tgkill", "tkill", "sigqueue", "pidfd_send_signal", "pidfd_open"),
        *("ptrace", "process_vm_writev", "process_vm_readv", "prctl", "setrlimit", "prlimit"),
        *("prlimit64", "setrlimit64", "socket", "connect", "bind", "sendto", "sendmsg"),
        *("syscall", "dlopen", "capset", "setuid", "setgid", "unshare", "setns", "mount"),
    }
)

_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_TRUNC


class SandboxViolation(DfTableError, PermissionError):
    """A snippet tried something the file-access policy refuses."""


def _python_roots() -> list[str]:
    """Directories of the Python installation and its installed packages."""
    roots = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        path = sysconfig.get_paths().get(key)
        if path:
            roots.add(path)
    with contextlib.suppress(AttributeError):  # virtualenv's old site.py lacks it
        roots.update(site.getsitepackages())
    user_site = site.getusersitepackages() if site.ENABLE_USER_SITE else None
    if user_site:
        roots.add(user_site)
    return sorted(roots)


def _normalize(path: str) -> str:
    """``path`` resolved as the kernel would: symlinks (``/proc/self/cwd``
    included) before ``..``, relative to the working directory."""
    return os.path.realpath(path)


def module_source(path: str) -> str:
    """The ``.py`` source behind a cached module ``path``, else ``path`` itself.

    Python imports ``dir/__pycache__/name.cpython-XY[.opt-N].pyc`` without
    opening ``dir/name.py`` when the cache is fresh; the source is what the
    author edits, so that is the file a result depends on. A ``.pyc`` without
    its source (or any other file) is returned unchanged.
    """
    folder, name = os.path.split(path)
    if os.path.basename(folder) != "__pycache__" or not name.endswith(".pyc"):
        return path
    source = os.path.join(os.path.dirname(folder), name.split(".", 1)[0] + ".py")
    return source if os.path.isfile(source) else path


@dataclass
class Policy:
    """What a snippet may do. ``read_roots`` are directories it may read under."""

    read_roots: list[str]
    allow_unsafe: bool = False
    #: Directories whose Python modules may be imported (``sys.path``); only
    #: module files there are readable, so a repository root on ``sys.path``
    #: does not open up everything in it.
    import_roots: list[str] = field(default_factory=list)
    #: The snippet's own scratch folder (its ``TMPDIR``): the one place it
    #: may write, as libraries it imports do.
    scratch_dirs: list[str] = field(default_factory=list)

    @classmethod
    def build(
        cls, srcdir: str, allowed: Iterable[str], *, allow_unsafe: bool, sys_path: Iterable[str]
    ) -> Policy:
        """The policy for a build: read under ``srcdir``, the ``allowed`` folders, the
        Python installation and harmless system folders; import modules from
        ``sys_path``. Paths are normalised (absolute, symlinks resolved)."""
        roots = [srcdir, *allowed, *_python_roots(), *SYSTEM_READ_DIRS]
        return cls(
            read_roots=sorted({_normalize(r) for r in roots}),
            allow_unsafe=allow_unsafe,
            import_roots=sorted({_normalize(p) for p in sys_path if p}),
        )

    def may_write(self, path: str) -> bool:
        """Whether ``path`` (after resolving symlinks) is in a scratch folder."""
        real = _normalize(path)
        return any(real == root or real.startswith(root + os.sep) for root in self.scratch_dirs)

    def may_read(self, path: str) -> bool:
        """Whether ``path`` may be opened for reading: a listed system file, any
        folder, anything under a read root, or a module file under an import root."""
        real = _normalize(path)
        if real in SYSTEM_READ_FILES or os.path.isdir(real):
            return True
        own = f"/proc/{os.getpid()}"  # its own process's files, not another's
        if real == own or real.startswith(own + os.sep):
            return True
        if any(real == root or real.startswith(root + os.sep) for root in self.read_roots):
            return True
        suffix = Path(real).suffix
        return suffix in {".py", ".pyc", ".so", ".pyd", ".pth", ".typed"} and any(
            real.startswith(root + os.sep) for root in self.import_roots
        )


_C_LIBRARY = re.compile(r"^lib(?:c|dl|pthread|System)(?:[.-]|$)")


def is_c_library(name: object) -> bool:
    """Whether ``ctypes.CDLL(name)`` loads the C library (``None``: the program
    itself, whose symbols include it), the way around every audit event."""
    if name is None:
        return True
    if not isinstance(name, (str, bytes, os.PathLike)):
        return False
    return bool(_C_LIBRARY.match(os.path.basename(os.fsdecode(name))))


def is_write_open(mode: object, flags: object) -> bool:
    """Whether an ``open`` audit event's mode or flags ask for writing."""
    if isinstance(mode, str) and any(c in mode for c in "wax+"):
        return True
    return isinstance(flags, int) and bool(flags & _WRITE_FLAGS)


@dataclass
class Guard:
    """The audit hook's state.

    The child switches it on before the snippet and never off: code a snippet
    leaves behind (a ``__del__``, a thread, a weakref callback, an object
    whose methods are called to format the table) meets the same policy after
    the snippet's last line as during it.
    """

    policy: Policy
    active: bool = False
    #: Every file opened for reading, in order, as its resolved path.
    files_read: list[str] = field(default_factory=list)
    #: Each file's stamp when it was first opened (keyed by resolved path):
    #: compared after the run with the file then, to catch a change meanwhile.
    read_stamps: dict[str, FileStamp] = field(default_factory=dict)
    _local: threading.local = field(default_factory=threading.local, repr=False, compare=False)

    def __call__(self, event: str, args: tuple[object, ...]) -> None:
        if not self.active or getattr(self._local, "refusing", False):
            return
        if event == "open":
            self._check_open(*args[:3])
        elif event == "sqlite3.connect":
            self._check_sqlite(args[0] if args else None)
        elif not self.policy.allow_unsafe:
            self._check_other(event, args)

    def _check_open(self, path: object, mode: object, flags: object) -> None:
        if not isinstance(path, (str, bytes, os.PathLike)):
            return  # an already-open file descriptor
        name = os.fsdecode(path)
        if is_write_open(mode, flags):
            if not self.policy.allow_unsafe and not self.policy.may_write(name):
                self.refuse(
                    f"writing files is not allowed in a df-table snippet ({name!r}); "
                    "set df_table_allow_unsafe = True in conf.py to allow it"
                )
            return
        self._check_read(name)

    def _check_read(self, name: str) -> None:
        if not self.policy.allow_unsafe and not self.policy.may_read(name):
            real = _normalize(name)
            shown = repr(real) if real == os.path.abspath(name) else f"{name!r} (-> {real!r})"
            self.refuse(
                f"reading {shown} is not allowed: it is outside the Sphinx source directory; "
                "add its directory to df_table_allowed_paths in conf.py to allow it"
            )
        if os.path.isfile(name):
            real = module_source(_normalize(name))
            self.files_read.append(real)
            if real not in self.read_stamps:
                with contextlib.suppress(OSError):  # gone since: the open will say so
                    self.read_stamps[real] = FileStamp.of(real)

    def _check_sqlite(self, database: object) -> None:
        """``sqlite3.connect(path)`` reads ``path``, and creates it when it is missing."""
        if not isinstance(database, (str, bytes, os.PathLike)):
            return
        name = os.fsdecode(database)
        creates = True
        if name.startswith("file:"):  # a URI: sqlite3.connect(..., uri=True)
            uri = urllib.parse.urlsplit(name)
            mode = urllib.parse.parse_qs(uri.query).get("mode", [""])[-1]
            name, creates = urllib.parse.unquote(uri.path), mode not in ("ro", "rw")
            if mode == "memory":
                return
        if name in ("", ":memory:"):
            return
        if creates and not os.path.exists(name) and not self.policy.allow_unsafe:
            self.refuse(
                f"creating the database {name!r} is not allowed in a df-table snippet; "
                "set df_table_allow_unsafe = True in conf.py to allow it"
            )
        self._check_read(name)

    def _check_other(self, event: str, args: tuple[object, ...] = ()) -> None:
        if event in WRITE_EVENTS and args and isinstance(args[0], (str, bytes, os.PathLike)):
            paths = [a for a in args[:2] if isinstance(a, (str, bytes, os.PathLike))]
            if all(self.policy.may_write(os.fsdecode(path)) for path in paths):
                return  # inside the worker's scratch directory
        if event == "ctypes.dlopen" and args and is_c_library(args[0]):
            self.refuse(
                "loading the C library through ctypes is not allowed in a df-table snippet; "
                "set df_table_allow_unsafe = True in conf.py to allow it"
            )
        if event == "ctypes.dlsym" and len(args) > 1 and args[1] in CTYPES_REFUSED:
            self.refuse(
                f"calling the C function {args[1]!r} through ctypes is not allowed in a "
                "df-table snippet; set df_table_allow_unsafe = True in conf.py to allow it"
            )
        if event in PROCESS_EVENTS:
            what = "starting processes"
        elif event in NETWORK_EVENTS:
            what = "network access"
        elif event.startswith("resource."):
            what = "changing resource limits"
        elif event in WRITE_EVENTS:
            what = "changing files or signalling processes"
        else:
            return
        self.refuse(
            f"{what} ({event}) is not allowed in a df-table snippet; "
            "set df_table_allow_unsafe = True in conf.py to allow it"
        )

    def refuse(self, message: str) -> NoReturn:
        """Raise :class:`SandboxViolation` with ``message`` (the reason and the setting)."""
        # Step aside (in this thread) while raising, so that nothing the
        # exception does on its way can be refused in turn.
        self._local.refusing = True
        try:
            raise SandboxViolation(message)
        finally:
            self._local.refusing = False
