"""Running snippets: one small interface in front of a worker process.

:func:`SnippetRunner.run` takes the code, the directory it runs in and its limits,
and returns a :class:`~sphinx_df_table.messages.SnippetResult`: the table text, the files the
snippet read and any error with its snippet line. The code runs in a separate
worker process (:mod:`sphinx_df_table.worker.server`), never in Sphinx's.

Sphinx's ``-j`` forks reader processes, which inherit whatever the main process
holds. A worker is therefore tagged with the pid that started it; a reader that
finds its parent's worker never uses its pipes (that would mix answers): it
connects to the worker's socket instead (:class:`_ReaderChannel`, served by
:mod:`sphinx_df_table.worker.connections`), and starts a worker of its own only
when it cannot. Forked readers leave through ``os._exit``, so
workers are reaped with a :class:`multiprocessing.util.Finalize`, which
multiprocessing runs before a child process exits, as well as on
``build-finished`` and at interpreter exit in the main process.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field, replace
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
    ``sys_path`` is the worker's ``sys.path``; ``max_children`` how many
    snippets run at once; ``jobs`` see below.
    """

    srcdir: str
    allowed_paths: tuple[str, ...] = ()
    allow_unsafe: bool = False
    memory_limit: int | None = None
    sys_path: tuple[str, ...] = field(default_factory=lambda: tuple(sys.path))
    sandbox: str = "auto"
    max_result_size: int | None = None
    #: How many snippets the worker runs at once (its child processes).
    max_children: int = 1
    #: How many processes (``sphinx-build -j``) may share the cores: a reader
    #: that starts a worker of its own runs ``max_children // jobs`` at once.
    jobs: int = 1


@dataclass(frozen=True)
class SnippetRequest:
    """One snippet to run: ``code`` in the folder ``cwd``.

    ``preamble`` runs first in the same namespace; ``result_var`` names the
    result's variable; ``timeout`` is in seconds; ``render`` is passed to
    :func:`~sphinx_df_table.worker.rendering.render_result` in the worker.
    """

    code: str
    cwd: str
    preamble: str = ""
    result_var: str = "df"
    timeout: float = 30.0
    render: dict[str, Any] = field(default_factory=dict)

    def to_wire(self) -> dict[str, Any]:
        """The request as the worker reads it (without its id)."""
        return {
            "code": self.code,
            "cwd": self.cwd,
            "preamble": self.preamble,
            "result_var": self.result_var,
            "render": self.render,
            "timeout": self.timeout,
        }


class _Channel:
    """One process's conversation with a worker: requests out, answers in.

    Subclasses say how the two ends (``req_w``, ``resp_r``) came to be:
    :class:`_WorkerHandle` started the worker, :class:`_ReaderChannel`
    connected to the worker of the process it was forked from.
    """

    def __init__(self, settings: RunnerSettings) -> None:
        self.owner_pid = os.getpid()
        self.requests = 0
        #: Requests sent and not yet answered: id -> timeout in seconds.
        self.pending: dict[int, float] = {}
        #: Answers received and not yet collected: id -> result.
        self.done: dict[int, SnippetResult] = {}
        self.last_answer = time.monotonic()
        #: The longest timeout of any request sent, shared ones included.
        self.longest = 0.0
        #: Seconds to wait for an answer beyond the largest pending timeout
        #: plus :data:`ANSWER_GRACE`: a channel that shares its worker may wait
        #: for runs it never hears of to free a slot.
        self.patience = 0.0
        self.max_result_size = settings.max_result_size
        self.req_w = -1
        self.resp_r = -1
        #: What protects the build: "landlock ABI 7", "guard only" or "unsafe";
        #: None until the worker said it is ready.
        self.sandbox: str | None = None
        self._started = time.monotonic()
        self._start_failure: WorkerStartError | None = None

    def _fail_start(self, detail: str) -> None:
        self.close()
        self._start_failure = WorkerStartError(f"the df-table worker did not start: {detail}")

    def alive(self) -> bool:
        """Whether this channel can still take requests."""
        raise NotImplementedError

    def close(self) -> None:
        """Stop using this channel (and, for a worker it started, the worker)."""
        raise NotImplementedError

    def startup_log(self) -> str:
        """The end of what the worker wrote to stderr before its first snippet."""
        return "no log"

    def await_ready(self) -> None:
        """Wait until the worker has imported pandas and said it is ready.

        The worker starts while Sphinx goes on (requests wait in the pipe);
        the first answer needs it. Raises :class:`WorkerStartError` when it
        could not start, or did not say it was ready within
        :data:`STARTUP_TIMEOUT` seconds of its start.
        """
        if self.sandbox is None and self._start_failure is None:
            try:
                ready = self._receive(self._started + STARTUP_TIMEOUT)
            except (messages.ProtocolError, OSError) as exc:
                ready = {"error": f"{exc}: {self.startup_log()}"}
            if ready is None:
                ready = {"error": f"no answer within {STARTUP_TIMEOUT:g} s"}
            if isinstance(ready, dict) and ready.get("ready"):
                sandbox = ready.get("sandbox")
                self.sandbox = sandbox if isinstance(sandbox, str) else "unknown"
                self.last_answer = time.monotonic()
            else:
                detail = ready.get("error") if isinstance(ready, dict) else None
                self._fail_start(str(detail or ready))
        if self._start_failure is not None:
            raise self._start_failure

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

    def submit(self, request: dict[str, Any], timeout: float, *, shared: bool = False) -> int:
        """Send ``request`` to the worker; the id to :meth:`collect` its answer with.

        The worker runs up to ``max_children`` snippets at once and answers
        each when it is done. A ``shared`` request is run for whichever ``-j``
        reader sends the same request later, and answered to it, not here
        (it gets no id to collect: 0). Raises nothing: a worker that cannot
        take the request gives a crash result at :meth:`collect`.
        """
        self.requests += 1
        request_id = self.requests
        self.longest = max(self.longest, timeout)
        message = {**request, "id": request_id, "timeout": timeout}
        if shared:
            message["shared"] = True
        else:
            self.pending[request_id] = timeout
        try:
            messages.write_message(self.req_w, message)
        except OSError as exc:
            self._fail_all(self._crash_result(str(exc)))
        return 0 if shared else request_id

    def collect(self, request_id: int) -> SnippetResult:
        """The result of request ``request_id``, waiting for it as long as needed.

        The worker enforces each snippet's timeout itself; a worker that
        answers nothing for the largest pending timeout plus
        :data:`ANSWER_GRACE` seconds, a dead worker, a malformed answer, an
        answer to no pending request or bytes after the last answer make a
        ``crash`` (or ``timeout``) result for every pending request, and the
        worker is replaced: nothing more it sends is used. Raises
        :class:`WorkerStartError` when the worker could not start, nothing
        for what the snippet does.
        """
        self.await_ready()
        while request_id not in self.done:
            if request_id not in self.pending:  # pragma: no cover - a caller's mistake
                raise KeyError(request_id)
            deadline = self.last_answer + max(self.pending.values()) + ANSWER_GRACE + self.patience
            try:
                answer = self._receive(max(deadline, time.monotonic() + 0.001))
            except (messages.ProtocolError, OSError) as exc:
                self._fail_all(self._crash_result(str(exc)))
                break
            if answer is None:
                self._fail_all(self._hang_result())
                break
            self.last_answer = time.monotonic()
            try:
                decoded = messages.WorkerAnswer.from_plain(answer)
                if decoded.request_id not in self.pending:
                    raise messages.ProtocolError(
                        f"answer to request {decoded.request_id}, not to one of "
                        f"{sorted(self.pending)}"
                    )
                del self.pending[decoded.request_id]
                if not self.pending and select.select([self.resp_r], [], [], 0)[0]:
                    raise messages.ProtocolError("bytes after the answer")
            except messages.ProtocolError as exc:
                self.pending.pop(request_id, None)
                self.done[request_id] = self._crash_result(f"sent a garbled answer ({exc})")
                self._fail_all(self.done[request_id])
                break
            self.done[decoded.request_id] = decoded.result
        return self.done.pop(request_id)

    def _fail_all(self, result: SnippetResult) -> None:
        """Give every pending request ``result`` and stop this worker."""
        for pending in list(self.pending):
            self.done.setdefault(pending, result)
        self.pending.clear()
        self.close()

    def _hang_result(self) -> SnippetResult:
        timeout = max(self.pending.values(), default=0.0)
        return SnippetResult(
            error=SnippetError(
                kind=ErrorKind.TIMEOUT,
                message=f"the df-table worker did not answer within {timeout:g} s "
                f"(+{ANSWER_GRACE:g} s); it was replaced",
            ),
            seconds=timeout,
        )

    def _crash_result(self, detail: str) -> SnippetResult:
        how, log = self._ending(detail)
        return SnippetResult(
            error=SnippetError(
                kind=ErrorKind.CRASH,
                message=f"the df-table worker {how}; it was replaced"
                + (f" (its log: {log[-300:]})" if log else ""),
            ),
        )

    def _ending(self, detail: str) -> tuple[str, str]:
        """How the worker ended (``detail``: what the channel saw), and its log."""
        return detail, ""


class _WorkerHandle(_Channel):
    """A running worker process and the parent's ends of its two pipes.

    The worker also listens on a unix socket in its folder (``socket_path``;
    None where that could not be made): ``-j`` reader processes forked from
    this one connect to it (:class:`_ReaderChannel`) instead of starting
    workers of their own.
    """

    def __init__(self, settings: RunnerSettings) -> None:
        super().__init__(settings)
        self.tmpdir = tempfile.mkdtemp(prefix="df-table-")
        req_r, self.req_w = os.pipe()
        _widen(self.req_w)
        self.resp_r, resp_w = os.pipe()
        listener, self.socket_path = _listen(self.tmpdir)
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
        fds = [req_r, resp_w] + ([listener.fileno()] if listener is not None else [])
        try:
            with Path(self.tmpdir, "worker.log").open("wb") as log:
                self.proc = subprocess.Popen(
                    [sys.executable, "-m", WORKER_MODULE, *map(str, fds[:2]), self.tmpdir]
                    + [str(fd) for fd in fds[2:]],
                    pass_fds=fds,
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=log,
                    start_new_session=True,  # so a kill reaches anything the snippet started
                    env=env,
                    cwd=settings.srcdir,
                )
        finally:
            # The worker holds the listening socket now: readers connect to it.
            if listener is not None:
                listener.close()
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
            "max_children": settings.max_children,
        }
        try:
            messages.write_message(self.req_w, init)
        except OSError as exc:
            self._fail_start(f"{exc}: {self.startup_log()}")

    def alive(self) -> bool:
        """Whether the worker process is still running."""
        return _exit_status(self.proc) is None

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
        """Stop the worker (in the process that started it) and remove its folder."""
        self._finalizer()

    def startup_log(self) -> str:
        """The end of what the worker wrote to stderr before its first snippet."""
        try:
            text = Path(self.tmpdir, "worker.log").read_text(encoding="utf-8", errors="replace")
        except OSError:
            return "no log"
        return text.strip()[-2000:] or "no log"

    def _ending(self, detail: str) -> tuple[str, str]:
        code = _exit_status(self.proc, timeout=1)
        if code is None:
            return detail, ""
        log = self.startup_log()
        return how_it_ended(code), "" if log == "no log" else log


class _ReaderChannel(_Channel):
    """A ``-j`` reader's own connection to the worker of the Sphinx process it
    was forked from: its own request ids, pending and done maps, the same
    framing. Raises ``OSError`` when it cannot connect (that worker is gone)."""

    def __init__(self, settings: RunnerSettings, worker: _WorkerHandle) -> None:
        super().__init__(settings)
        # Before this reader's run starts, the worker may finish what the main
        # process ran ahead (up to its longest timeout) and the other readers'
        # runs (one each at a time) first.
        self.patience = (worker.longest + ANSWER_GRACE) * max(1, settings.jobs)
        assert worker.socket_path is not None
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.connect(worker.socket_path)
        except OSError:
            sock.close()
            raise
        self.sock = sock
        self.req_w = self.resp_r = sock.fileno()
        self._finalizer = Finalize(
            self, _ReaderChannel._shutdown, args=(sock, self.owner_pid), exitpriority=10
        )

    @staticmethod
    def _shutdown(sock: socket.socket, owner_pid: int) -> None:
        # Closing it tells the worker to kill what this process still runs.
        if os.getpid() == owner_pid:
            sock.close()

    def alive(self) -> bool:
        """Whether the connection is still open."""
        return self.sock.fileno() >= 0

    def close(self) -> None:
        """Close the connection (the worker kills this process's snippets)."""
        self._finalizer()

    def _ending(self, detail: str) -> tuple[str, str]:
        return f"closed the connection ({detail})", ""


#: How many bytes of requests the request pipe holds (Linux's default largest).
REQUEST_PIPE_BYTES = 1 << 20


def _widen(fd: int) -> None:
    """Let the pipe ``fd`` hold :data:`REQUEST_PIPE_BYTES` where the system allows.

    The snippets submitted ahead are written while the worker still imports
    pandas: in a pipe of the default 64 KiB, a site's requests would stall
    Sphinx (and, with ``-j``, the forking of its readers) until the worker
    is ready.
    """
    with contextlib.suppress(AttributeError, OSError):  # not Linux, or over the limit
        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, REQUEST_PIPE_BYTES)


#: The name of the socket ``-j`` readers connect to, in the worker's folder.
SOCKET_NAME = "readers.sock"


def _listen(tmpdir: str) -> tuple[socket.socket | None, str | None]:
    """A listening unix socket in ``tmpdir`` (a folder only this user can enter),
    and its path; (None, None) where there is none (no ``SO_PEERCRED``, as on
    macOS; a path too long for a socket): then each ``-j`` reader starts a
    worker of its own."""
    path = os.path.join(tmpdir, SOCKET_NAME)
    if not hasattr(socket, "SO_PEERCRED"):  # the worker could not check who connects
        return None, None
    try:
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    except OSError:
        return None, None
    try:
        listener.bind(path)
        listener.listen(64)
    except OSError:
        listener.close()
        return None, None
    return listener, path


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


@dataclass(frozen=True)
class Ticket:
    """A submitted snippet: which channel has it, under which request id.

    A ``shared`` ticket (a ``-j`` build's snippet run ahead by the main
    process) has no id: whichever process collects it sends the same
    ``request`` on its own channel and gets that run's result.
    """

    handle: _Channel
    request_id: int
    request: SnippetRequest
    shared: bool = False


class SnippetRunner:
    """Runs snippets for one Sphinx application: one worker for the main process
    and the ``-j`` readers forked from it."""

    def __init__(self, settings: RunnerSettings) -> None:
        self.settings = settings
        self._handle: _Channel | None = None
        #: The process that made this runner (Sphinx's main process) and the
        #: worker it started, which the readers it forks connect to.
        self._owner_pid = os.getpid()
        self._shared: _WorkerHandle | None = None
        #: A failed start, per process: retrying for every table would only
        #: repeat the same slow failure.
        self._start_error: tuple[int, WorkerStartError] | None = None

    @property
    def sandbox(self) -> str | None:
        """The sandbox mode of this process's worker, once it has started."""
        handle = self._handle
        return handle.sandbox if handle is not None and handle.owner_pid == os.getpid() else None

    def _worker(self) -> _Channel:
        pid = os.getpid()
        handle = self._handle
        if handle is not None and (handle.owner_pid != pid or not handle.alive()):
            if handle.owner_pid == pid:
                handle.close()
            handle = None
        if handle is None:
            if self._start_error is not None and self._start_error[0] == pid:
                raise self._start_error[1]
            handle = self._connect()
            try:
                handle = handle or self._start()
            except WorkerStartError as exc:
                self._start_error = (pid, exc)
                raise
            self._handle = handle
        return handle

    def _connect(self) -> _ReaderChannel | None:
        """A connection to the worker of the process this one was forked from, if
        that worker is still there."""
        shared = self._shared
        if shared is None or self._owner_pid == os.getpid() or shared.socket_path is None:
            return None
        try:
            channel = _ReaderChannel(self.settings, shared)
        except OSError:  # gone (or replaced): this process starts its own
            return None
        try:
            channel.await_ready()
        except WorkerStartError:  # it did not start, or refused this process
            channel.close()
            return None
        return channel

    def _start(self) -> _WorkerHandle:
        settings = self.settings
        if os.getpid() != self._owner_pid:
            # A forked reader that cannot use the main process's worker: it
            # shares the cores with the other readers, each with a worker.
            children = max(1, settings.max_children // max(1, settings.jobs))
            return _WorkerHandle(replace(settings, max_children=children))
        self._shared = _WorkerHandle(settings)
        return self._shared

    def run(self, request: SnippetRequest) -> SnippetResult:
        """Run ``request``'s snippet and return its table or chart, or the located error.

        Raises :class:`WorkerStartError` when no worker can be started (once per
        process: later calls raise the same error at once).
        """
        ticket = self.submit(request)
        result = self.collect(ticket)
        assert result is not None  # a ticket of this very process and worker
        return result

    def submit(self, request: SnippetRequest, *, shared: bool = False) -> Ticket:
        """Start running ``request``'s snippet and return at once.

        The worker runs several submitted snippets at a time; :meth:`collect`
        waits for one. A ``shared`` request is for the ``-j`` readers forked
        later: the one that collects the ticket gets its result. Raises
        :class:`WorkerStartError` as :meth:`run` does.
        """
        wire = request.to_wire()
        handle = self._worker()
        request_id = handle.submit(wire, wire.pop("timeout"), shared=shared)
        return Ticket(handle, request_id, request, shared)

    def collect(self, ticket: Ticket) -> SnippetResult | None:
        """The result of a :meth:`submit`; None when the ticket is not this
        process's (a forked ``-j`` reader inherited it) or its worker was
        replaced before answering (submit again). A shared ticket's result is
        asked for on this process's own channel."""
        if ticket.shared:
            return self.run(ticket.request)
        handle = ticket.handle
        if handle is not self._handle or handle.owner_pid != os.getpid():
            return None
        if ticket.request_id not in handle.pending and ticket.request_id not in handle.done:
            return None
        try:
            return handle.collect(ticket.request_id)
        except WorkerStartError as exc:
            self._start_error = (os.getpid(), exc)
            raise

    def close(self) -> None:
        """Stop this process's worker or connection, if any (inherited ones are left alone)."""
        if self._handle is not None and self._handle.owner_pid == os.getpid():
            self._handle.close()
        self._handle = None
        if self._owner_pid == os.getpid():
            if self._shared is not None:
                self._shared.close()
            self._shared = None
