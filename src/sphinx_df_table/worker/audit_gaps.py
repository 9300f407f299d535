"""What audit events do not show, closed in each snippet's child.

The audit hook (:mod:`~sphinx_df_table.worker.guard`) judges events, and some
calls raise none or one that lacks what matters:

* ``os.open(name, dir_fd=d)`` (and every other ``dir_fd`` function) raises
  ``open`` with ``name`` alone, which the guard would judge against the
  working directory, not against ``d``. The wrappers here resolve ``d`` to its
  folder first, so the event names the file that is really opened.
* ``_posixsubprocess.fork_exec``, ``signal.pidfd_send_signal``, ``os.mkfifo``
  and ``os.mknod`` raise no event at all: they are replaced by functions that
  refuse.

This runs in the child only (which ends with the snippet), after Landlock
where the kernel has it. It is a guard rail, not a boundary: a determined
snippet can still reach the original functions through the interpreter's
internals. Landlock is the boundary (see the security page).
"""

from __future__ import annotations

import functools
import importlib
import os
import sys
from collections.abc import Callable
from typing import Any

from .guard import Guard

#: Functions that raise no audit event but start processes, signal them, or
#: make special files: module name -> function names.
UNAUDITED = {
    "_posixsubprocess": ("fork_exec",),
    "signal": ("pidfd_send_signal",),
    "os": ("mkfifo", "mknod", "pidfd_open"),
    "posix": ("mkfifo", "mknod", "pidfd_open"),
}
#: ``dir_fd`` keyword -> the position and keyword of the path argument it applies to.
_DIR_FD_ARGS = {
    "link": {"src_dir_fd": (0, "src"), "dst_dir_fd": (1, "dst")},
    "rename": {"src_dir_fd": (0, "src"), "dst_dir_fd": (1, "dst")},
    "replace": {"src_dir_fd": (0, "src"), "dst_dir_fd": (1, "dst")},
    "symlink": {"dir_fd": (1, "dst")},
}


_AT_FDCWD = getattr(os, "AT_FDCWD", -100)


def close_gaps(guard: Guard) -> None:
    """Wrap the ``dir_fd`` functions of ``os``/``posix`` and replace the unaudited ones."""
    for module_name, names in UNAUDITED.items():
        module = sys.modules.get(module_name) or _import(module_name)
        for name in names:
            if module is not None and hasattr(module, name):
                setattr(module, name, _refuser(guard, f"{module_name}.{name}"))
    for func in list(os.supports_dir_fd):
        name = getattr(func, "__name__", "")
        if not hasattr(os, name) or getattr(os, name) is not func:
            continue
        wrapped = _resolving_dir_fd(func, _DIR_FD_ARGS.get(name, {"dir_fd": (0, "path")}))
        for module in (os, sys.modules.get("posix")):
            if module is not None and getattr(module, name, None) is func:
                setattr(module, name, wrapped)


def _import(name: str) -> Any:
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def _refuser(guard: Guard, name: str) -> Callable[..., Any]:
    def refuse(*_args: Any, **_kwargs: Any) -> Any:
        guard.refuse(
            f"{name}() is not allowed in a df-table snippet (it starts, signals or makes "
            "processes or special files unseen by the guard); "
            "set df_table_allow_unsafe = True in conf.py to allow it"
        )

    refuse.__name__ = name.rpartition(".")[2]
    return refuse


def fd_path(fd: int) -> str:
    """The path of the folder (or file) open as ``fd``. Raises ``OSError``."""
    if sys.platform.startswith("linux"):
        return os.readlink(f"/proc/self/fd/{fd}")
    import fcntl

    get_path = getattr(fcntl, "F_GETPATH", None)
    if get_path is None:
        raise OSError(f"cannot tell which folder descriptor {fd} is")
    raw = fcntl.fcntl(fd, get_path, bytes(1024))
    return os.fsdecode(raw.split(b"\0", 1)[0])


def _resolving_dir_fd(
    func: Callable[..., Any], args: dict[str, tuple[int, str]]
) -> Callable[..., Any]:
    """``func`` with each ``*dir_fd`` keyword folded into its path argument."""

    @functools.wraps(func)
    def wrapper(*positional: Any, **keywords: Any) -> Any:
        values = list(positional)
        for key, (index, keyword) in args.items():
            fd = keywords.pop(key, None)
            if fd is None or fd == _AT_FDCWD:
                continue
            slot: str | int = index if index < len(values) else keyword
            path = values[slot] if isinstance(slot, int) else keywords.get(slot)
            if not isinstance(path, (str, bytes, os.PathLike)):
                keywords[key] = fd  # not a path: let the function say what is wrong
                continue
            name = os.fspath(path)
            base = fd_path(fd)
            joined: str | bytes = (
                os.path.join(os.fsencode(base), name)
                if isinstance(name, bytes)
                else os.path.join(base, name)
            )
            if isinstance(slot, int):
                values[slot] = joined
            else:
                keywords[slot] = joined
        return func(*values, **keywords)

    return wrapper
