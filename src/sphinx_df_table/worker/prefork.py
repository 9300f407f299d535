"""The next snippet's child, forked and confined before its request arrives.

Forking the worker, confining the child and the copy-on-write page faults of
its first pandas calls cost more than running a small snippet. None of it
depends on the snippet: the worker (:mod:`~sphinx_df_table.worker.server`)
forks a *spare* child while it waits, and the spare does all of it ahead,
then blocks reading its one request from a pipe of its own
(:func:`~sphinx_df_table.worker.child.run_child`). A request then costs one
pipe write. Each spare runs exactly one snippet, as every child did before;
a spare that never gets a request is killed with the worker's other children.

While it waits, a spare's command line (``ps``, ``/proc/<pid>/cmdline``) says
so, rather than repeating the worker's: it is not a worker, and has run
nothing yet. It shows the worker's again once its snippet runs. (It writes
one byte to its answer pipe once it has changed it, which the worker reads
before it sends any further answer to Sphinx.)
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import gc
import os
import shutil
import signal
import sys
import time
import warnings
from dataclasses import dataclass
from typing import Any, NoReturn, Protocol

from .. import messages
from .reaper import kill_group


class ChildMain(Protocol):
    """The child's life (:func:`~sphinx_df_table.worker.child.run_child`)."""

    def __call__(
        self,
        context: Any,
        request_fd: int,
        answer_fd: int,
        capture_fd: int,
        scratch: str,
        *,
        warm: bool,
    ) -> NoReturn: ...


#: A waiting spare's command line.
WAITING_TITLE = b"sphinx-df-table: spare snippet process, waiting for its request"


@functools.cache
def _command_line() -> tuple[int, bytes] | None:
    """Where this process's command line is in its memory, and what it is (Linux 3.5+).

    Called in the worker first (the cached answer holds in its children too:
    fork keeps the addresses). None where it cannot be told.
    """
    if not sys.platform.startswith("linux"):
        return None
    try:
        with open("/proc/self/stat", "rb") as stat:
            fields = stat.read().rsplit(b")", 1)[1].split()
        start, end = int(fields[45]), int(fields[46])  # arg_start, arg_end
    except (OSError, ValueError, IndexError):
        return None
    if not 0 < start < end:
        return None
    return start, ctypes.string_at(start, end - start)


def _show_command_line(text: bytes) -> None:
    """Write ``text`` (cut to fit) over this process's command line, as ``ps`` shows it.

    The arguments' original bytes, which the kernel shows, are no longer read
    by the interpreter (it copied them at start), so only this process's copy
    of that memory changes.
    """
    command_line = _command_line()
    if command_line is None:
        return
    start, original = command_line
    size = len(original)
    ctypes.memmove(start, text[: size - 1].ljust(size, b"\0"), size)


@dataclass
class Spare:
    """A forked child waiting for its request, and the worker's ends of its pipes."""

    pid: int
    #: The write end of the child's request pipe (closed once the request is in it).
    request_fd: int
    #: The read end of the child's answer pipe.
    answer_fd: int
    #: The file that receives the child's fds 1 and 2 (output, crash dumps).
    capture: int
    #: The one folder the child may write in.
    scratch: str
    #: Whether matplotlib was imported in the worker when this child was forked:
    #: a chart's child needs it (its first import writes a cache the child may not).
    with_matplotlib: bool


def fork_spare(worker: Any, number: int, run_child: ChildMain, *, warm: bool) -> Spare:
    """Fork a child that confines itself, then waits for one request; its :class:`Spare`.

    ``worker`` is the :class:`~sphinx_df_table.worker.server.Worker` (the child
    gets its settings, rules and pandas); ``number`` names the child's scratch
    folder and capture file in the worker's folder; ``run_child`` is the
    child's life (:func:`~sphinx_df_table.worker.child.run_child`), called in
    the child with the worker, its request and answer pipes, capture file,
    scratch folder and ``warm``, and never returning; ``warm``: whether the
    child runs :func:`warm_up` before it confines itself (worth it ahead of a
    request, not with the request already waiting). Returns once the child
    has announced itself (:func:`announce`).
    """
    scratch = os.path.join(worker.tmpdir, f"snippet-{number}")
    os.mkdir(scratch, 0o700)
    capture_path = os.path.join(worker.tmpdir, f"output-{number}")
    capture = os.open(capture_path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
    os.unlink(capture_path)  # open in both processes; gone with the last descriptor
    request_r, request_w = os.pipe()
    answer_r, answer_w = os.pipe()
    _command_line()  # found here, once: the child only writes
    # The worker's objects (pandas, numpy, ...) are never garbage: frozen,
    # a collection in the child does not walk them, which would copy every
    # page of the worker's heap into the child (copy-on-write).
    gc.freeze()
    pid = os.fork()
    if pid == 0:  # the child: announce itself, confine, wait for the request, run it
        os.close(request_w)
        os.close(answer_r)
        run_child(worker, request_r, answer_w, capture, scratch, warm=warm)
    os.close(request_r)
    os.close(answer_w)
    with contextlib.suppress(OSError):  # the child does it too: no race
        os.setpgid(pid, pid)
    # Wait until the child shows itself as a spare (:func:`announce`, first thing):
    # an answer goes out only after this returns, so whoever got one sees no
    # process but the worker with the worker's command line.
    with contextlib.suppress(OSError):
        os.read(answer_r, 1)
    return Spare(pid, request_w, answer_r, capture, scratch, "matplotlib" in sys.modules)


def announce(answer_fd: int) -> None:
    """In the spare, first thing: show a spare's command line, then tell the
    worker so (one byte on the answer pipe, which the worker reads before the
    answer can come)."""
    _show_command_line(WAITING_TITLE)
    os.write(answer_fd, b"+")


def receive(request_fd: int) -> dict[str, Any]:
    """In the spare: wait for its one request, read it and close the pipe.

    Raises ``ProtocolError`` when the pipe closes without a request.
    """
    request: dict[str, Any] = messages.read_message(request_fd, plain=True)
    os.close(request_fd)
    command_line = _command_line()
    if command_line is not None:
        _show_command_line(command_line[1])
    return request


def hand_over(spare: Spare, request: dict[str, Any]) -> float:
    """Send ``request`` to the spare and close its request pipe; when it was sent.

    A spare that died while it waited (its pipe is broken) is not an error
    here: the worker sees it end without an answer and reports a crash, as for
    any child.
    """
    data = messages.encode_message(request)
    with contextlib.suppress(BrokenPipeError):
        view = memoryview(data)
        while view:  # a request is far below the pipe's buffer: one write
            view = view[os.write(spare.request_fd, view) :]
    os.close(spare.request_fd)
    spare.request_fd = -1
    return time.monotonic()


def discard(spare: Spare) -> None:
    """Kill a spare that will not run a snippet, reap it, close its pipes, remove its folder."""
    kill_group(spare.pid)  # before it is reaped: its pid names the group
    with contextlib.suppress(ProcessLookupError):
        os.kill(spare.pid, signal.SIGKILL)
    with contextlib.suppress(ChildProcessError):
        os.waitpid(spare.pid, 0)
    for fd in (spare.request_fd, spare.answer_fd, spare.capture):
        if fd >= 0:
            with contextlib.suppress(OSError):
                os.close(fd)
    shutil.rmtree(spare.scratch, ignore_errors=True)


def warm_up(pd: Any, np: Any) -> None:
    """Render one small frame of the common dtypes, and parse a small CSV, here.

    In the worker: pandas imports parts of itself (and pyarrow, for strings)
    the first time they are used; done there, that happens once, not in every
    snippet's child (whose imports end with it). In a spare: the child shares
    the worker's memory copy-on-write, and the first write to a page (a
    reference count, an allocator's free list) copies it; this takes most of
    those copies on the common paths before the request, not while the
    snippet runs. Our own code and data only; the warnings pandas gives about
    them are not shown.
    """
    import io

    from .rendering import render_result

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        frame = pd.read_csv(io.StringIO("name,value,count,day,flag\na,1.5,1,2024-01-01,True\n"))
        frame["day"] = pd.to_datetime(frame["day"])
        frame["kind"] = pd.Series(["x"], dtype="category")
        frame["gap"] = pd.Series([np.nan]) * pd.Timedelta("1D")
        frame = pd.merge(frame, frame[["name"]], on="name").sort_values("value").round(2)
        render_result({"df": frame}, "df", {"csv": True})
