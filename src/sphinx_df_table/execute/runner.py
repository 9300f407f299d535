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
import select
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
from ..worker.failures import how_it_ended
from ..worker.guard import Policy

#: How long a new worker may take to import pandas and say it is ready.
STARTUP_TIMEOUT = 120.0
#: How long past a snippet's own timeout the worker may take to answer (it
#: enforces the timeout itself; this only catches a worker that hangs).
ANSWER_GRACE = 30.0
#: How long a worker gets to clean up after its request pipe closed.
SHUTDOWN_GRACE = 5.0
#: The module ``python -m`` runs as the worker.
WORKER_MODULE = "sphinx_df_table.worker"


class WorkerStartError(DfTableError, RuntimeError):
    """The worker process could not be started (or did not say it was ready
    within :data:`STARTUP_TIMEOUT` seconds); the message says why."""


@dataclass(frozen=True)
class RunnerSettings:
    """Everything a worker needs to know once, when it starts.

    ``srcdir`` is the Sphinx source directory (readable, and the worker's first
    working directory); ``allowed_paths`` more readable directories
    (``df_table_allowed_paths``); ``allow_unsafe`` turns the sandbox off;
    ``sandbox`` is ``df_table_sandbox`` (``"auto"``, ``"landlock"`` or
    ``"guard"``); ``memory_limit`` caps each snippet's address space, in bytes
    (``None``: no cap); ``max_result_size`` caps an answer, in bytes;
    ``sys_path`` is the worker's ``sys.path``.
    """

    srcdir: str
    allowed_paths: tuple[str, ...] = ()
    allow_unsafe: bool = False
    memory_limit: int | None = None
    sys_path: tuple[str, ...] = field(default_factory=lambda: tuple(sys.path))
    sandbox: str = "auto"
    max_result_size: int | None = None


class _WorkerHandle:
    """A running worker process and the parent's ends of its two pipes."""

    def __init__(self, settings: RunnerSettings) -> None:
        self.owner_pid = os.getpid()
        self.tmpdir = tempfile.mkdtemp(prefix="df-table-")
        self.requests = 0
        self.max_result_size = settings.max_result_size
        req_r, self.req_w = os.pipe()
        self.resp_r, resp_w = os.pipe()
        package_parent = str(Path(__file__).resolve().parents[2])
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(
            [package_parent, *filter(None, [env.get("PYTHONPATH")])]
        )
        env.setdefault("PYTHONHASHSEED", "0")  # deterministic set/dict order in snippets
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        # matplotlib's config and font cache go in the worker's own directory,
        # not the user's home (snippets may read it, not write it).
        mpl_dir = Path(self.tmpdir, "matplotlib")
        mpl_dir.mkdir()
        env["MPLCONFIGDIR"] = str(mpl_dir)
        # One BLAS thread: predictable address space under the memory limit.
        for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            env.setdefault(var, "1")
        with Path(self.tmpdir, "worker.log").open("wb") as log:
            self.proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    WORKER_MODULE,
                    str(req_r),
                    str(resp_w),
                    self.tmpdir,
                ],
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
            "import_roots": policy.import_roots,
            "allow_unsafe": policy.allow_unsafe,
            "sandbox": settings.sandbox,
            "memory_limit": settings.memory_limit,
            "max_result_size": settings.max_result_size,
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
        sandbox = ready.get("sandbox")
        #: What protects the build: "landlock ABI 7", "guard only" or "unsafe".
        self.sandbox = sandbox if isinstance(sandbox, str) else "unknown"

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
        # The closed pipe tells the worker to kill what its snippets left and
        # remove its folder; SIGTERM does the same if it is busy.
        with contextlib.suppress(ProcessLookupError):
            proc.terminate()
        _exit_status(proc, timeout=SHUTDOWN_GRACE)
        # Then kill the whole process group before reaping the worker: until it
        # is reaped its pid (the group's id) cannot be reused, and the group
        # still holds anything that escaped the worker's own clean-up.
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
        limit = messages.MAX_MESSAGE_BYTES
        if self.max_result_size is not None:
            limit = self.max_result_size + _ANSWER_OVERHEAD
        try:
            return messages.read_message(
                self.resp_r, plain=True, deadline=deadline, max_bytes=limit
            )
        except messages.ProtocolTimeout:
            return None

    def startup_log(self) -> str:
        """The end of what the worker wrote to stderr before its first snippet."""
        try:
            text = Path(self.tmpdir, "worker.log").read_text(encoding="utf-8", errors="replace")
        except OSError:
            return "no log"
        return text.strip()[-2000:] or "no log"

    def exchange(self, request: dict[str, Any], timeout: float) -> SnippetResult:
        """Send ``request`` and wait for its answer.

        The worker enforces ``timeout`` (seconds) itself; a worker that has not
        answered :data:`ANSWER_GRACE` seconds later, a dead worker, a malformed
        answer, an answer to another request or bytes after the answer make a
        ``crash`` (or ``timeout``) result, and the worker is replaced: nothing
        it sent is used. Raises nothing for what the snippet does.
        """
        started = time.monotonic()
        self.requests += 1
        request_id = self.requests
        try:
            messages.write_message(self.req_w, {**request, "id": request_id, "timeout": timeout})
            answer = self._receive(started + timeout + ANSWER_GRACE)
        except (messages.ProtocolError, OSError) as exc:
            return self._crashed(time.monotonic() - started, str(exc))
        if answer is None:
            self.close()
            return SnippetResult(
                error=SnippetError(
                    kind=ErrorKind.TIMEOUT,
                    message=f"the df-table worker did not answer within {timeout:g} s "
                    f"(+{ANSWER_GRACE:g} s); it was replaced",
                ),
                seconds=timeout,
            )
        try:
            decoded = messages.WorkerAnswer.from_plain(answer)
            if decoded.request_id != request_id:
                raise messages.ProtocolError(
                    f"answer to request {decoded.request_id}, not {request_id}"
                )
            if select.select([self.resp_r], [], [], 0)[0]:
                raise messages.ProtocolError("bytes after the answer")
        except messages.ProtocolError as exc:
            return self._crashed(time.monotonic() - started, f"sent a garbled answer ({exc})")
        if decoded.restart:
            self.close()
        return decoded.result

    def _crashed(self, seconds: float, detail: str) -> SnippetResult:
        code = _exit_status(self.proc, timeout=1)
        log = self.startup_log()
        self.close()
        how = how_it_ended(code) if code is not None else detail
        return SnippetResult(
            error=SnippetError(
                kind=ErrorKind.CRASH,
                message=f"the df-table worker {how}; it was replaced"
                + (f" (its log: {log[-300:]})" if code is not None and log != "no log" else ""),
            ),
            seconds=seconds,
        )


#: Room for the answer's framing and fields beside the result's own size.
_ANSWER_OVERHEAD = 1 << 20


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


class SnippetRunner:
    """Runs snippets for one Sphinx application, one worker per process."""

    def __init__(self, settings: RunnerSettings) -> None:
        self.settings = settings
        self._handle: _WorkerHandle | None = None
        #: A failed start, per process: retrying for every table would only
        #: repeat the same slow failure.
        self._start_error: tuple[int, WorkerStartError] | None = None

    @property
    def sandbox(self) -> str | None:
        """The sandbox mode of this process's worker, once it has started."""
        handle = self._handle
        return handle.sandbox if handle is not None and handle.owner_pid == os.getpid() else None

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
