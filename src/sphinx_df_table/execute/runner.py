"""Running snippets: one small interface in front of a worker process.

:func:`SnippetRunner.run` takes the code, the directory it runs in and its limits,
and returns a :class:`~sphinx_df_table.messages.SnippetResult`: the table text, the files the
snippet read and any error with its snippet line. The code runs in a separate
worker process (:mod:`sphinx_df_table.worker.server`), never in Sphinx's.

Sphinx's ``-j`` forks reader processes, which inherit whatever the main process
holds. A worker is therefore tagged with the pid that started it; a process that
finds a worker of another pid starts its own instead of talking to (and mixing
answers with) its parent's. Forked readers leave through ``os._exit``, so
workers are reaped with a :class:`multiprocessing.util.Finalize`, which
multiprocessing runs before a child process exits, as well as on
``build-finished`` and at interpreter exit in the main process.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from multiprocessing.util import Finalize
from pathlib import Path
from typing import Any

from .. import messages
from ..errors import DfTableError, ErrorKind
from ..messages import SnippetError, SnippetResult
from ..worker.failures import SNIPPET_FILENAME
from ..worker.guard import Policy

#: How long a new worker may take to import pandas and say it is ready.
STARTUP_TIMEOUT = 120.0
_FAULT_LINE = re.compile(rf'File "{re.escape(SNIPPET_FILENAME)}", line (\d+)')
_THREAD_HEADER = re.compile(r"^(?:Current thread|Thread) 0x[0-9a-f]+ ", re.MULTILINE)
#: How long a timed-out worker gets to write its stack dump before it is killed.
ABORT_GRACE = 0.5


class WorkerStartError(DfTableError, RuntimeError):
    """The worker process could not be started (or did not say it was ready
    within :data:`STARTUP_TIMEOUT` seconds); the message says why."""


@dataclass(frozen=True)
class RunnerSettings:
    """Everything a worker needs to know once, when it starts.

    ``srcdir`` is the Sphinx source directory (readable, and the worker's first
    working directory); ``allowed_paths`` more readable directories
    (``df_table_allowed_paths``); ``allow_unsafe`` turns the file guard off;
    ``memory_limit`` caps the worker's address space, in bytes (``None``: no
    cap); ``sys_path`` is the worker's ``sys.path``.
    """

    srcdir: str
    allowed_paths: tuple[str, ...] = ()
    allow_unsafe: bool = False
    memory_limit: int | None = None
    sys_path: tuple[str, ...] = field(default_factory=lambda: tuple(sys.path))


class _WorkerHandle:
    """A running worker process and the parent's ends of its two pipes."""

    def __init__(self, settings: RunnerSettings) -> None:
        self.owner_pid = os.getpid()
        self.tmpdir = tempfile.mkdtemp(prefix="df-table-")
        self.requests = 0
        self.main_thread: int | None = None
        self.capture_path = str(Path(self.tmpdir, "output"))
        req_r, self.req_w = os.pipe()
        self.resp_r, resp_w = os.pipe()
        package_parent = str(Path(__file__).resolve().parents[2])
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(
            [package_parent, *filter(None, [env.get("PYTHONPATH")])]
        )
        env.setdefault("PYTHONHASHSEED", "0")  # deterministic set/dict order in snippets
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        # matplotlib's config and font cache go in the worker's own directory
        # (the one place snippets may write), not the user's home.
        self.scratch_dir = str(Path(self.tmpdir, "matplotlib"))
        Path(self.scratch_dir).mkdir()
        env["MPLCONFIGDIR"] = self.scratch_dir
        # One BLAS thread: predictable address space under the memory limit.
        for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            env.setdefault(var, "1")
        with Path(self.tmpdir, "worker.log").open("wb") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "sphinx_df_table.worker", str(req_r), str(resp_w)],
                pass_fds=(req_r, resp_w),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=log,
                start_new_session=True,  # so a kill reaches anything the snippet started
                env=env,
                cwd=settings.srcdir,
            )
        os.close(req_r)
        os.close(resp_w)
        self._finalizer = Finalize(
            self, _WorkerHandle._shutdown, args=self._state(), exitpriority=10
        )
        policy = Policy.build(
            settings.srcdir,
            settings.allowed_paths,
            allow_unsafe=settings.allow_unsafe,
            sys_path=settings.sys_path,
        )
        init = {
            "sys_path": list(settings.sys_path),
            "read_roots": policy.read_roots,
            "scratch_dirs": [self.scratch_dir],
            "import_roots": policy.import_roots,
            "allow_unsafe": policy.allow_unsafe,
            "memory_limit": settings.memory_limit,
            "capture_path": self.capture_path,
            "parent_pid": self.owner_pid,
        }
        try:
            messages.write_message(self.req_w, init)
            ready = self._receive(time.monotonic() + STARTUP_TIMEOUT)
        except (messages.ProtocolError, OSError) as exc:
            ready = {"error": f"{exc}: {self.startup_log()}"}
        if ready is None:
            ready = {"error": f"no answer within {STARTUP_TIMEOUT:g} s"}
        if not (isinstance(ready, dict) and ready.get("ready")):
            self.close()
            detail = ready.get("error") if isinstance(ready, dict) else None
            raise WorkerStartError(f"the df-table worker did not start: {detail or ready!r}")
        main_thread = ready.get("main_thread")
        self.main_thread = main_thread if isinstance(main_thread, int) else None

    def _state(self) -> tuple[Any, ...]:
        return (self.proc, self.req_w, self.resp_r, self.tmpdir, self.owner_pid)

    @staticmethod
    def _shutdown(
        proc: subprocess.Popen[bytes], req_w: int, resp_r: int, tmpdir: str, owner_pid: int
    ) -> None:
        if os.getpid() != owner_pid:  # an inherited copy: the worker is not ours to stop
            return
        for fd in (req_w, resp_r):
            with contextlib.suppress(OSError):
                os.close(fd)
        # Kill the whole process group before reaping the worker: until it is
        # reaped its pid (the group's id) cannot be reused, and the group still
        # holds anything a snippet started, even after the worker itself died.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        with contextlib.suppress(ProcessLookupError):
            proc.kill()  # in case it left its process group
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=10)
        shutil.rmtree(tmpdir, ignore_errors=True)

    def close(self) -> None:
        self._finalizer()

    def _receive(self, deadline: float) -> Any:
        """One whole message by ``deadline``; ``None`` on timeout, raise on EOF/garbage."""
        try:
            return messages.read_message(self.resp_r, plain=True, deadline=deadline)
        except messages.ProtocolTimeout:
            return None

    def startup_log(self) -> str:
        """The end of what the worker wrote to stderr before its first snippet."""
        try:
            text = Path(self.tmpdir, "worker.log").read_text(encoding="utf-8", errors="replace")
        except OSError:
            return "no log"
        return text.strip()[-2000:] or "no log"

    def captured_output(self) -> str:
        try:
            return Path(self.capture_path).read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""

    def exchange(self, request: dict[str, Any], timeout: float) -> SnippetResult:
        """Send ``request`` and wait up to ``timeout`` seconds for its answer.

        A timeout, a dead worker or a malformed answer becomes a result with a
        ``timeout`` or ``crash`` error (the worker is then replaced); raises
        nothing for what the snippet does.
        """
        started = time.monotonic()
        self.requests += 1
        request_id = self.requests
        try:
            messages.write_message(self.req_w, {**request, "id": request_id})
            answer = self._receive(started + timeout)
        except (messages.ProtocolError, OSError):
            return self._crashed(time.monotonic() - started)
        if answer is None:
            return self._timed_out(timeout)
        try:
            decoded = messages.WorkerAnswer.from_plain(answer)
            if decoded.request_id != request_id:
                raise messages.ProtocolError(
                    f"answer to request {decoded.request_id}, not {request_id}"
                )
        except messages.ProtocolError as exc:
            # Only a snippet writing to the worker's pipe can cause this.
            return self._crashed(time.monotonic() - started, f"sent a garbled answer ({exc})")
        if decoded.restart:
            # The snippet left something behind that cannot be undone (a thread,
            # an audit hook): the next snippet gets a fresh worker.
            self.close()
        return decoded.result

    def _timed_out(self, timeout: float) -> SnippetResult:
        # SIGABRT makes faulthandler write where every thread is (at C level, so
        # also in the middle of a long C call) and end the worker; a snippet that
        # blocked the signal is killed below all the same.
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.proc.pid, signal.SIGABRT)
        _exit_status(self.proc, timeout=ABORT_GRACE)
        output = _clean_dump(self.captured_output())  # before close() removes the file
        self.close()
        return SnippetResult(
            error=SnippetError(
                kind=ErrorKind.TIMEOUT,
                message=f"the snippet did not finish within {timeout:g} s "
                "(df_table_timeout in conf.py, or the :timeout: option)",
                line=_last_fault_line(output, self.main_thread),
            ),
            output=output,
            seconds=timeout,
        )

    def _crashed(self, seconds: float, how: str = "") -> SnippetResult:
        code = None if how else _exit_status(self.proc, timeout=5)
        output = _clean_dump(self.captured_output())
        self.close()
        if not how:
            how = _how_it_ended(code)
        fault = next(
            (ln for ln in output.splitlines() if ln.startswith(("Fatal Python", "os._exit("))),
            "",
        )
        return SnippetResult(
            error=SnippetError(
                kind=ErrorKind.CRASH,
                message=f"the snippet's worker process {how}" + (f": {fault}" if fault else ""),
                line=_last_fault_line(output, self.main_thread),
            ),
            output=output,
            seconds=seconds,
        )


def _exit_status(proc: subprocess.Popen[bytes], timeout: float = 0.0) -> int | None:
    """The worker's exit status (as ``Popen.returncode``) once it has ended, else None.

    Unlike ``Popen.poll`` this does not reap the worker (``WNOWAIT``), so that its
    process group can still be killed safely afterwards.
    """
    deadline = time.monotonic() + timeout
    if not hasattr(os, "waitid"):  # macOS before Python 3.13: poll, which reaps
        while proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.005)
        return proc.returncode
    while proc.returncode is None:
        try:
            info = os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
        except ChildProcessError:  # already reaped
            return proc.poll()
        if info is not None:
            killed = info.si_code in (os.CLD_KILLED, os.CLD_DUMPED)
            return -info.si_status if killed else info.si_status
        if time.monotonic() >= deadline:
            return None
        time.sleep(0.005)
    return proc.returncode


def _how_it_ended(code: int | None) -> str:
    if code is not None and code < 0:
        how = f"was killed by {signal.Signals(-code).name}"
        if -code == signal.SIGKILL:
            how += " (out of memory?)"
        return how
    return f"exited with status {code}"


_OWN_FRAME = re.compile(
    r'^\s*File "(?:'
    + re.escape(str(Path(__file__).resolve().parents[1]))
    + r'[^"]*|<frozen runpy>)"'
)


def _clean_dump(output: str) -> str:
    """A faulthandler dump without df-table's own frames and the module list."""
    return "".join(
        line
        for line in output.splitlines(keepends=True)
        if not _OWN_FRAME.match(line) and not line.startswith("Extension modules:")
    )


def _last_fault_line(output: str, main_thread: int | None = None) -> int | None:
    """The innermost snippet line in a faulthandler dump (it lists innermost first).

    A dump lists every thread; the snippet runs in the worker's main thread,
    so that thread's part is searched first.
    """
    if main_thread is not None:
        header = re.compile(rf"^(?:Current thread|Thread) {main_thread:#018x} ", re.MULTILINE)
        if start := header.search(output):
            block = output[start.end() :]
            block = block[: end.start()] if (end := _THREAD_HEADER.search(block)) else block
            if match := _FAULT_LINE.search(block):
                return int(match.group(1))
    match = _FAULT_LINE.search(output)
    return int(match.group(1)) if match else None


class SnippetRunner:
    """Runs snippets for one Sphinx application, one worker per process."""

    def __init__(self, settings: RunnerSettings) -> None:
        self.settings = settings
        self._handle: _WorkerHandle | None = None
        #: A failed start, per process: retrying for every table would only
        #: repeat the same slow failure.
        self._start_error: tuple[int, WorkerStartError] | None = None

    def _worker(self) -> _WorkerHandle:
        pid = os.getpid()
        handle = self._handle
        if handle is not None and (
            handle.owner_pid != pid or _exit_status(handle.proc) is not None
        ):
            if handle.owner_pid == pid:
                handle.close()
            handle = None
        if handle is None:
            if self._start_error is not None and self._start_error[0] == pid:
                raise self._start_error[1]
            try:
                handle = self._handle = _WorkerHandle(self.settings)
            except WorkerStartError as exc:
                self._start_error = (pid, exc)
                raise
        return handle

    def run(
        self,
        code: str,
        *,
        cwd: str,
        preamble: str = "",
        result_var: str = "df",
        timeout: float = 30.0,
        render: dict[str, Any] | None = None,
    ) -> SnippetResult:
        """Run ``code`` in ``cwd`` and return its table or chart, or the located error.

        ``preamble`` runs first in the same namespace; ``result_var`` names the
        result's variable; ``timeout`` is in seconds. Raises
        :class:`WorkerStartError` when no worker can be started (once per
        process: later calls raise the same error at once).

        ``render`` is passed to
        :func:`~sphinx_df_table.worker.rendering.render_result` in the worker.
        """
        request = {
            "code": code,
            "cwd": cwd,
            "preamble": preamble,
            "result_var": result_var,
            "render": render or {},
        }
        return self._worker().exchange(request, timeout)

    def close(self) -> None:
        """Stop this process's worker, if any (inherited ones are left alone)."""
        if self._handle is not None and self._handle.owner_pid == os.getpid():
            self._handle.close()
        self._handle = None
