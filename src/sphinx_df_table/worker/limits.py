"""What a snippet's process may use: hard resource limits set in each child.

:func:`apply_hard_limits` caps the address space (``df_table_memory_limit``
on top of what the process already holds when it starts: pandas, numpy and
the libraries the worker imported, which reserve more address space than
they use) and the size of any file written (the output capture, scratch files), and turns
core files off. The limits are *hard* (soft and hard the same), and the child
has given up ``CAP_SYS_RESOURCE`` (see
:mod:`~sphinx_df_table.worker.confinement`), so a snippet cannot raise them
again, and they end with its process: the next snippet gets them fresh.
"""

from __future__ import annotations

import contextlib
import os
import signal

#: At most this much (bytes) is written to any one file, the output capture included.
MAX_OUTPUT_FILE = 16 * 1024 * 1024


def apply_hard_limits(*, memory_limit: int | None, allow_unsafe: bool) -> None:
    """Set the child's limits before its snippet runs.

    ``memory_limit`` is the address space in bytes that the snippet may add to
    what the process holds (``None`` or 0: no limit);
    with ``allow_unsafe`` snippets may write files of any size. A limit the
    system refuses (macOS and ``RLIMIT_AS``) is left out, as the security page
    says; raises nothing.
    """
    if memory_limit:
        hard_limit("RLIMIT_AS", address_space() + memory_limit)
    hard_limit("RLIMIT_CORE", 0)  # a crash must not write a core file into the docs
    if not allow_unsafe:
        # ``while True: print("x" * 10**6)`` would otherwise fill the disk before
        # its timeout. Past the limit a write fails with ``OSError: [Errno 27]
        # File too large`` (SIGXFSZ, which would kill the process, is ignored).
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        hard_limit("RLIMIT_FSIZE", MAX_OUTPUT_FILE)


def address_space() -> int:
    """The address space this process has mapped now, in bytes (0 where unknown).

    A memory limit below it would make every new mapping fail, a shared
    library's included, however little the snippet itself allocates.
    """
    try:
        with open("/proc/self/statm", "rb") as statm:
            pages = int(statm.read().split()[0])
        return pages * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):  # not Linux
        return 0


def hard_limit(name: str, limit: int) -> None:
    """Set resource ``name`` (e.g. ``"RLIMIT_AS"``) to ``limit``, soft and hard.

    Never above the current hard limit. Raises nothing: a system that refuses
    runs without the limit.
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
        resource.setrlimit(which, (limit, limit))
