"""The snippet worker: a fork server that runs each snippet in its own process.

Started by :mod:`sphinx_df_table.execute.runner` as
``python -m sphinx_df_table.worker REQ_FD RESP_FD TMPDIR``. It imports pandas
and numpy once (matplotlib the first time a chart needs it), chooses the
sandbox mode (Landlock where the kernel enforces it, else the guard alone),
then for each request forks a child that runs exactly one snippet and exits
(:mod:`~sphinx_df_table.worker.child`). The child is forked and confined ahead,
while the worker waits (:mod:`~sphinx_df_table.worker.prefork`); the request
then only has to be written to it. The worker itself never runs snippet
code: it waits for the child's answer on a pipe of that child's own, enforces
the timeout (``SIGABRT``, so faulthandler shows the snippet line, then
``SIGKILL``), kills whatever the snippet started (it is a child subreaper,
:mod:`~sphinx_df_table.worker.reaper`), checks the answer and passes it on.

So ``os._exit``, a segfault, an endless loop, exhausted memory or a patched
pandas cost one table; the warm worker and the other pages are untouched. The
worker removes its folder ``TMPDIR`` when the request pipe closes, when it gets
``SIGTERM`` and when Sphinx dies (Linux sends it ``SIGTERM`` then).
"""

from __future__ import annotations

import contextlib
import faulthandler
import os
import shutil
import signal
import socket
import sys
import threading
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any, NoReturn

from .. import messages
from ..errors import DfTableError, ErrorKind
from . import landlock
from .connections import Connection, Hub
from .failures import clean_dump, format_size, how_it_ended, last_fault_line
from .guard import Policy
from .prefork import Spare, discard, fork_spare, hand_over, warm_up
from .reaper import become_subreaper, die_with_parent, kill_descendants, kill_group

#: How long a timed-out snippet gets to write its stack dump before it is killed.
ABORT_GRACE = 0.5
#: How much of the capture file a crash report reads.
_DUMP_BYTES = 256 * 1024
_SANDBOX_SETTINGS = ("auto", "landlock", "guard")


class SandboxUnavailableError(DfTableError, RuntimeError):
    """``df_table_sandbox = "landlock"`` but the kernel cannot enforce Landlock here."""


class Worker:
    """The fork server's state: pandas, the policy, the sandbox mode, the Landlock rules.

    ``init`` is the parent's first message: ``sys_path``, ``read_roots``,
    ``import_roots`` (lists of paths), ``allow_unsafe``, ``sandbox`` (one of
    ``"auto"``, ``"landlock"``, ``"guard"``), ``memory_limit`` and
    ``max_result_size`` (bytes or ``None``), ``parent_pid``. ``tmpdir`` is
    the worker's own folder. Raises :class:`SandboxUnavailableError` when the
    sandbox asked for cannot be had.
    """

    def __init__(self, init: dict[str, Any], tmpdir: str) -> None:
        # Every child gets these already imported (and their files already read):
        # what the child itself uses to confine itself, answer and clean up.
        import _posixsubprocess  # noqa: F401
        import resource  # noqa: F401

        import numpy as np
        import pandas as pd

        from .child import run_child  # noqa: F401
        from .confinement import confine_child  # noqa: F401
        from .frame_cells import frame_to_table  # noqa: F401
        from .rendering import render_result  # noqa: F401

        self.pd = pd
        self.np = np
        warm_up(pd, np)
        if tuple(int(part) for part in pd.__version__.split(".")[:2]) < (2, 2):
            # pandas before 2.2 imports matplotlib with its Styler: done first
            # in a snippet's process, matplotlib's font cache would be written
            # where snippets may not write. Here, once, in the worker's folder.
            from .chart_drawing import prepare_matplotlib

            prepare_matplotlib(tmpdir)
            with contextlib.suppress(ImportError):
                import pandas.io.formats.style  # noqa: F401
        self.pid = os.getpid()
        self.tmpdir = tmpdir
        self.memory_limit: int | None = init["memory_limit"]
        self.max_result_size: int | None = init.get("max_result_size")
        sys.path[:] = init["sys_path"]
        self.policy = Policy(
            read_roots=init["read_roots"],
            allow_unsafe=init["allow_unsafe"],
            import_roots=init["import_roots"],
        )
        self.main_thread = threading.get_ident()
        #: Children forked so far (it numbers their scratch folders).
        self.forked = 0
        #: The next snippet's child, confined and waiting for its request.
        self.spare: Spare | None = None
        #: Children that answered and were killed, to reap between answers.
        self.ending: list[_Run] = []
        #: The running children, by pid; at most ``max_children`` at once.
        self.running: dict[int, _Run] = {}
        self.max_children = max(1, int(init.get("max_children") or 1))
        self.mode, self.landlock_abi, self.rules = self._choose_sandbox(init.get("sandbox", "auto"))

    def _choose_sandbox(self, setting: str) -> tuple[str, int, landlock.Rules]:
        """The mode's name, the Landlock ABI to confine children with (0: none), the rules."""
        if self.policy.allow_unsafe:
            return "unsafe", 0, landlock.Rules()
        if setting not in _SANDBOX_SETTINGS:
            raise SandboxUnavailableError(f"unknown df_table_sandbox {setting!r}")
        if setting == "guard":
            return "guard only", 0, landlock.Rules()
        abi = landlock.abi_version()
        reason = "the kernel offers no Landlock (Linux 5.13 or later, with Landlock enabled)"
        if abi:
            from .confinement import landlock_rules

            package_dir = str(Path(__file__).resolve().parents[1])
            mpl_dir = os.path.join(self.tmpdir, "matplotlib")
            rules = landlock_rules(self.policy, package_dir, (mpl_dir,))
            failure = _probe(rules, abi)
            if failure is None:
                return landlock.describe(abi), abi, rules
            rules.close()
            reason = f"Landlock ABI {abi} is there, but confining a process failed: {failure}"
        if setting == "landlock":
            raise SandboxUnavailableError(f"df_table_sandbox = 'landlock', but {reason}")
        return "guard only", 0, landlock.Rules()

    def start(self, request: dict[str, Any]) -> _Run:
        """Hand ``request``'s snippet to the spare child (forked now if there is
        none); the running child.

        ``request`` holds ``id``, ``code``, ``preamble`` (source text),
        ``result_var``, ``cwd``, ``render`` (see
        :func:`~sphinx_df_table.worker.rendering.render_result`) and
        ``timeout`` (seconds, from now: the time a spare waited is not the
        snippet's).
        """
        if "chart" in request["render"]:
            from .chart_drawing import prepare_matplotlib

            # A df-chart: matplotlib's first import writes its font cache, in
            # the worker's own folder, once for all children.
            prepare_matplotlib(self.tmpdir)
            if self.spare is not None and not self.spare.with_matplotlib:
                discard(self.spare)  # it would import matplotlib itself
                self.spare = None
        if self.spare is not None and _exit_status(self.spare.pid) is not None:
            discard(self.spare)  # it died waiting (killed from outside): not this snippet's fault
            self.spare = None
        # Without a spare the request is waiting: no warm-up ahead of it.
        spare = self.spare or self._fork_spare(warm=False)
        self.spare = None
        started = hand_over(spare, request)
        timeout = float(request["timeout"])
        run = _Run(
            request_id=request["id"],
            pid=spare.pid,
            pidfd=_pidfd(spare.pid),
            receiver=_Receiver(spare.answer_fd, self.max_result_size),
            capture=spare.capture,
            scratch=spare.scratch,
            started=started,
            timeout=timeout,
            deadline=started + timeout,
        )
        self.running[spare.pid] = run
        return run

    def prepare(self, *, waiting: bool = False) -> None:
        """Between answers: reap the children that answered, then fork the next spare.

        The event loop calls this when no answer is waiting to be sent, so
        that neither a child's exit nor the next fork delays an answer.
        ``waiting``: requests are queued, so the spare will have one as soon
        as a child slot is free; it then skips the warm-up, which only pays
        when the worker would otherwise be idle (in a build that runs
        snippets ahead, the warm-up's CPU competes with Sphinx and the other
        children: a cold 40-page build took 0.5-1 s longer with it).
        """
        if self.ending:
            for run in self.ending:
                with contextlib.suppress(ChildProcessError):
                    os.waitpid(run.pid, 0)
                run.close()
            self.ending.clear()
            # What they started and left (re-parented here when they died).
            kill_descendants(exclude=self._living())
        if self.spare is None:
            self.spare = self._fork_spare(warm=not waiting)

    def _fork_spare(self, *, warm: bool) -> Spare:
        from .child import run_child

        self.forked += 1
        return fork_spare(self, self.forked, run_child, warm=warm)

    def _living(self) -> set[int]:
        """The children that :func:`kill_descendants` must leave alone: those
        running a snippet, the spare, and those killed but not yet reaped (only
        :meth:`prepare` may reap them: their pids must not be freed for reuse
        before their own reaping)."""
        living = set(self.running) | {run.pid for run in self.ending}
        return living | ({self.spare.pid} if self.spare is not None else set())

    def poll(self, run: _Run, now: float) -> messages.SnippetResult | None:
        """Advance ``run``: its result once it is over, else None.

        Past its deadline the child gets ``SIGABRT`` (faulthandler in the
        child writes where every thread is, at C level too, to the capture
        file), :data:`ABORT_GRACE` seconds later ``SIGKILL``.
        """
        if run.status is None:
            run.status = _exit_status(run.pid)
        if run.status is None and not run.receiver.too_large and not run.receiver.answered():
            if now < run.deadline:
                return None
            if not run.timed_out:
                run.timed_out = True
                run.deadline = now + ABORT_GRACE
                with contextlib.suppress(ProcessLookupError):
                    os.kill(run.pid, signal.SIGABRT)
                return None
        return self.finish(run)

    def finish(self, run: _Run) -> messages.SnippetResult:
        """Kill what is left of ``run`` (its process group, its orphans), reap it,
        and turn what it sent into its result.

        A child that answered (a whole answer, and its pipe closed) had only
        its exit left to do: it is killed, and reaped later by :meth:`prepare`,
        so that the answer need not wait for its exit.
        """
        kill_group(run.pid)  # before the child is reaped: its pid names the group
        with contextlib.suppress(ProcessLookupError):
            os.kill(run.pid, signal.SIGKILL)
        self.running.pop(run.pid, None)
        if run.status is None and run.receiver.answered():
            self.ending.append(run)
            return self._result(run, None, time.monotonic() - run.started)
        status = run.status if run.status is not None else _exit_status(run.pid, block=True)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(run.pid, 0)
        # Orphans re-parented to the worker can only come from children that
        # ended (a running child is a subreaper itself): kill them.
        kill_descendants(exclude=self._living())
        run.receiver.drain()
        try:
            return self._result(run, status, time.monotonic() - run.started)
        finally:
            run.close()

    def _result(self, run: _Run, status: int | None, seconds: float) -> messages.SnippetResult:
        received = run.receiver
        # Whole, and the pipe closed (or the child exited cleanly): the answer
        # counts, however the child then ended (it is killed once answered).
        answered = received.complete() and (received.eof or status == 0)
        if received.too_large:
            return _failure(ErrorKind.RESULT, self._too_large_message(received.size), seconds)
        if run.timed_out and not answered:
            output = clean_dump(_read_capture(run.capture))
            return messages.SnippetResult(
                error=messages.SnippetError(
                    kind=ErrorKind.TIMEOUT,
                    message=f"the snippet did not finish within {run.timeout:g} s "
                    "(df_table_timeout in conf.py, or the :timeout: option)",
                    line=last_fault_line(output, self.main_thread),
                ),
                output=output,
                seconds=run.timeout,
            )
        if answered:
            problem = received.problem()
            if problem is None:
                try:
                    return messages.SnippetResult.from_plain(received.payload())
                except messages.ProtocolError as exc:
                    problem = f"sent a malformed answer ({exc})"
            return _failure(ErrorKind.CRASH, f"the snippet's process {problem}", seconds)
        output = clean_dump(_read_capture(run.capture))
        fault = next(
            (ln for ln in output.splitlines() if ln.startswith(("Fatal Python", "os._exit("))), ""
        )
        return messages.SnippetResult(
            error=messages.SnippetError(
                kind=ErrorKind.CRASH,
                message=f"the snippet's process {how_it_ended(status)}"
                + (f": {fault}" if fault else ""),
                line=last_fault_line(output, self.main_thread),
            ),
            output=output,
            seconds=seconds,
        )

    def _too_large_message(self, size: int) -> str:
        limit = format_size(self.max_result_size or 0)
        return (
            f"the result is too large to send ({format_size(size)}): more than {limit}; "
            "raise df_table_max_result_size in conf.py, or make the table smaller"
        )

    def stop_children(self) -> None:
        """Kill every running snippet's child, the spare, and everything they started."""
        if self.spare is not None:
            discard(self.spare)
            self.spare = None
        for pid in list(self.running):
            kill_group(pid)
        kill_descendants()


@dataclass
class _Run:
    """One snippet's child while it runs: where its answer and output arrive."""

    request_id: int
    pid: int
    pidfd: int | None
    receiver: _Receiver
    capture: int
    scratch: str
    started: float
    timeout: float
    deadline: float
    status: int | None = None
    timed_out: bool = False

    def fds(self) -> list[int]:
        """What to wait on: the answer pipe (until it closes) and the pidfd."""
        fds = [] if self.receiver.eof or self.receiver.too_large else [self.receiver.fd]
        return fds + ([self.pidfd] if self.pidfd is not None else [])

    def close(self) -> None:
        """Close its descriptors and remove its scratch folder."""
        for fd in (self.receiver.fd, self.capture, self.pidfd):
            if fd is not None:
                with contextlib.suppress(OSError):
                    os.close(fd)
        shutil.rmtree(self.scratch, ignore_errors=True)


class _Receiver:
    """The bytes of one answer, read as they come, at most ``limit`` (+ header) of them."""

    def __init__(self, fd: int, limit: int | None) -> None:
        self.fd = fd
        self.limit = limit
        self.data = bytearray()
        self.size: int = -1
        self.too_large = False
        self.eof = False

    def read(self) -> None:
        """Read what is there (the caller saw the fd readable)."""
        try:
            chunk = os.read(self.fd, 1 << 20)
        except BlockingIOError:
            return
        if not chunk:
            self.eof = True
            return
        self.data += chunk
        if self.size < 0 and len(self.data) >= messages.HEADER_SIZE:
            self.size = messages.message_size(bytes(self.data[: messages.HEADER_SIZE]))
            if self.limit is not None and self.size > self.limit:
                self.too_large = True

    def complete(self) -> bool:
        """Whether a whole message has arrived."""
        return self.size >= 0 and len(self.data) >= messages.HEADER_SIZE + self.size

    def answered(self) -> bool:
        """Whether a whole message has arrived and the pipe closed after it
        (anything written after the message has been read too)."""
        return self.eof and self.complete()

    def drain(self) -> None:
        """Read whatever is left in the pipe, without waiting (the child is gone)."""
        os.set_blocking(self.fd, False)
        while not self.eof and not self.too_large:
            before = len(self.data)
            self.read()
            if len(self.data) == before:
                break

    def problem(self) -> str | None:
        """What is wrong with a complete message's framing, if anything."""
        if len(self.data) > messages.HEADER_SIZE + self.size:
            return "sent bytes after its answer"
        return None

    def payload(self) -> Any:
        """The decoded answer (plain data only). Raises ``ProtocolError``."""
        return messages.decode_payload(bytes(self.data[messages.HEADER_SIZE :]), plain=True)


def _pidfd(pid: int) -> int | None:
    """A descriptor that becomes readable when ``pid`` ends (Linux 5.3+), else None."""
    try:
        return os.pidfd_open(pid)
    except (AttributeError, OSError):
        return None


def _exit_status(pid: int, *, block: bool = False) -> int | None:
    """``pid``'s exit status (negative: killed by that signal) once it ended, else None.

    Does not reap it (``WNOWAIT``), so that its process group can still be
    killed safely.
    """
    flags = os.WEXITED | os.WNOWAIT | (0 if block else os.WNOHANG)
    try:
        info = os.waitid(os.P_PID, pid, flags)
    except ChildProcessError:
        return None
    if info is None:
        return None
    killed = info.si_code in (os.CLD_KILLED, os.CLD_DUMPED)
    return -info.si_status if killed else info.si_status


def _read_capture(fd: int) -> str:
    try:
        return os.pread(fd, _DUMP_BYTES, 0).decode("utf-8", "replace")
    except OSError:
        return ""


def _failure(kind: ErrorKind, message: str, seconds: float) -> messages.SnippetResult:
    return messages.SnippetResult(
        error=messages.SnippetError(kind=kind, message=message), seconds=seconds
    )


def _probe(rules: landlock.Rules, abi: int) -> str | None:
    """Whether a child can confine itself with ``rules``: None, or why not."""
    read_r, write_w = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the probe child
        try:
            landlock.confine(rules, [], abi)
        except BaseException as exc:
            os.write(write_w, str(exc).encode("utf-8", "replace")[:500])
            os._exit(1)
        os._exit(0)
    os.close(write_w)
    with os.fdopen(read_r, "rb") as reader:
        reason = reader.read().decode("utf-8", "replace")
    _pid, status = os.waitpid(pid, 0)
    return None if status == 0 else reason or f"the probe process ended with {status}"


def _install_cleanup(tmpdir: str, worker_ref: list[Worker]) -> None:
    """On SIGTERM or SIGHUP (Sphinx stopped, or died: see ``PR_SET_PDEATHSIG``),
    kill the running snippet and all it started, remove ``tmpdir``, exit."""

    def cleanup(_signum: int, _frame: FrameType | None) -> NoReturn:
        with contextlib.suppress(BaseException):
            if worker_ref:
                worker_ref[0].stop_children()
            else:
                kill_descendants()
            shutil.rmtree(tmpdir, ignore_errors=True)
        os._exit(0)

    for name in ("SIGTERM", "SIGHUP"):
        signal.signal(getattr(signal, name), cleanup)


def main(argv: list[str]) -> int:
    """Serve requests until the request pipe closes.

    ``argv`` is ``[REQ_FD, RESP_FD, TMPDIR]``, then optionally ``LISTEN_FD``: a
    listening unix socket that ``-j`` readers connect to. Returns the exit
    status: 0 when the pipe closed, 1 (2 for ``SystemExit``) when start-up
    failed, after telling the parent why.
    """
    req_fd, resp_fd, tmpdir = int(argv[0]), int(argv[1]), argv[2]
    listener = socket.socket(fileno=int(argv[3])) if len(argv) > 3 else None
    worker_ref: list[Worker] = []
    _install_cleanup(tmpdir, worker_ref)
    die_with_parent(os.getppid(), signal.SIGTERM)
    become_subreaper()
    faulthandler.enable()
    try:
        init = messages.read_message(req_fd, plain=False)
        if os.getppid() != init["parent_pid"]:
            raise RuntimeError("the parent process is gone")
        worker = Worker(init, tmpdir)
    except BaseException as exc:  # startup failed: tell the parent why, then stop
        detail = str(exc) if isinstance(exc, SandboxUnavailableError) else traceback.format_exc()
        messages.write_message(resp_fd, {"ready": False, "error": detail})
        return 1 if not isinstance(exc, SystemExit) else 2
    worker_ref.append(worker)
    ready = {"ready": True, "sandbox": worker.mode}
    messages.write_message(resp_fd, ready)
    try:
        serve(worker, req_fd, resp_fd, listener)
    finally:
        worker.stop_children()
        shutil.rmtree(tmpdir, ignore_errors=True)
    return 0


def serve(worker: Worker, req_fd: int, resp_fd: int, listener: socket.socket | None = None) -> None:
    """The event loop: take requests, run up to ``max_children`` at once, answer
    each as it finishes (in any order), until the request pipe closes (the
    caller then kills whatever still runs).

    Requests come on the request pipe and, from ``-j`` reader processes, on
    connections to ``listener`` (see :mod:`~sphinx_df_table.worker.connections`).
    Answers go out through a buffer per connection, written only as far as the
    pipe takes them: Sphinx may be busy writing more requests (submitted ahead)
    while answers wait, and neither side may block on a full pipe then.
    """
    Hub(worker, Connection(req_fd, resp_fd), listener, os.getppid()).serve()
