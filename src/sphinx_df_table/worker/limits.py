"""What the worker process may do at all: limits it sets on itself at start-up.

Before the first snippet runs, :func:`apply_process_limits` caps the address
space (``df_table_memory_limit``) and the size of any file written (the output
capture), turns core files off and ties the worker's life to its parent's.
These are process-wide and last for the worker's life; the file-access policy
is :mod:`sphinx_df_table.worker.guard`'s.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys

#: At most this much output (bytes) is written to the capture file per snippet.
MAX_OUTPUT_FILE = 16 * 1024 * 1024


def apply_process_limits(*, parent_pid: int, memory_limit: int | None, allow_unsafe: bool) -> None:
    """Set every process-wide limit, once, before any snippet runs.

    ``parent_pid`` is the Sphinx process's pid; ``memory_limit`` the address
    space in bytes (``None`` or 0: no limit); with ``allow_unsafe`` snippets may
    write files, so the file size is not capped. A limit the system refuses is
    left out (see :func:`lower_limit`); raises nothing else.
    """
    die_with_parent(parent_pid)
    if memory_limit:
        lower_limit("RLIMIT_AS", memory_limit)
    no_core_dumps()
    if not allow_unsafe:  # snippets write nothing but their output
        limit_file_size(MAX_OUTPUT_FILE)


def limit_file_size(limit: int) -> None:
    """Cap what a snippet can write to its output capture file at ``limit`` bytes.

    ``while True: print("x" * 10**6)`` would otherwise fill the disk before its
    timeout. Past the limit a write fails with ``OSError: [Errno 27] File too
    large`` in the snippet (SIGXFSZ, which would kill the worker, is ignored).
    """
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    lower_limit("RLIMIT_FSIZE", limit)


def lower_limit(name: str, limit: int) -> None:
    """Set the soft resource limit ``name`` (e.g. ``"RLIMIT_AS"``) to ``limit``.

    Never above the hard limit. A system that refuses the limit (macOS and
    ``RLIMIT_AS``) runs without it rather than not at all; the security page
    says so. Raises nothing.
    """
    try:
        import resource
    except ImportError:  # pragma: no cover - Windows
        return
    which = getattr(resource, name)
    _soft, hard = resource.getrlimit(which)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(which, (limit, hard))


def no_core_dumps() -> None:
    """A segfault or a timeout's SIGABRT must not write a core file into the docs."""
    with contextlib.suppress(ImportError, ValueError, OSError):
        import resource

        resource.setrlimit(resource.RLIMIT_CORE, (0, resource.getrlimit(resource.RLIMIT_CORE)[1]))


def die_with_parent(parent_pid: int) -> None:
    """Ask Linux to kill this process when its parent (``parent_pid``) dies.

    Best effort, and only on Linux. Without it, a worker stuck in
    ``while True: pass`` would outlive a Sphinx that was itself killed, as
    nobody would read its answer or close its pipe. Exits at once (status 0)
    when the parent is already gone.
    """
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(Exception):
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent_pid:  # the parent died before prctl took effect
        os._exit(0)
