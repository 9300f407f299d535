"""The fork server's clients: the Sphinx process's pipes and the ``-j`` readers' sockets.

Sphinx's ``-j`` forks reader processes after the main process started the
worker. Instead of each starting a worker of its own, a reader connects to the
main process's worker on a unix stream socket in the worker's private folder
(the runner makes and binds the socket and passes it to the worker, so a reader
can connect before the worker has finished importing pandas). Every client,
the main process's request/answer pipes included, is a :class:`Connection`
with its own inbox and outbox (never blocking: a client busy writing requests
must not stall the answers to the others); :class:`Hub` takes requests from
all of them, runs them in the one :class:`~sphinx_df_table.worker.server.Worker`,
and answers each on the connection that sent it. A connection that closes (a
reader that ended, or was killed) takes its queued and running snippets with
it.

A request marked ``shared`` (the main process runs a ``-j`` build's snippets
ahead, for whichever reader's directive asks for them) is answered to nobody:
the first identical request (same content, another id) from any connection
takes its run, or its result once finished. Finished results nobody took yet
are kept up to :data:`UNCLAIMED_BUDGET` bytes, then dropped (the directive
simply runs its snippet again).

Only the Sphinx process and its other descendants may connect: a snippet's
process, which could find the socket's path, is refused by its peer
credentials (:func:`peer_allowed`); Landlock does not mediate ``connect`` on a
pathname socket.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import select
import socket
import struct
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Protocol

from .. import messages


class _Run(Protocol):
    """What the hub uses of a running child (``server._Run``)."""

    request_id: int
    pid: int
    pidfd: int | None
    deadline: float
    receiver: Any

    def fds(self) -> list[int]: ...


class _Worker(Protocol):
    """What the hub uses of the fork server (``server.Worker``; not imported
    here, which would make an import cycle)."""

    mode: str
    max_children: int
    running: dict[int, Any]

    def start(self, request: dict[str, Any]) -> Any:
        """Fork the child that runs ``request``; its run."""

    def poll(self, run: Any, now: float) -> messages.SnippetResult | None:
        """The run's result once it is over, else None."""

    def finish(self, run: Any) -> messages.SnippetResult:
        """Kill and reap what is left of the run; its result."""

    def prepare(self, *, waiting: bool = False) -> None:
        """Between answers: reap the children that answered, fork the next spare
        (``waiting``: requests are queued for it)."""


#: Finished shared results that no reader took yet are kept up to this many bytes.
UNCLAIMED_BUDGET = 64 * 1024 * 1024
#: How far up the process tree :func:`peer_allowed` looks for the Sphinx process.
_MAX_ANCESTRY = 64
_UCRED = struct.Struct("3i")  # struct ucred: pid, uid, gid


class Connection:
    """One client: where its requests come from (``read_fd``) and its answers go
    (``write_fd``; the same descriptor for a socket)."""

    def __init__(self, read_fd: int, write_fd: int, sock: socket.socket | None = None) -> None:
        self.read_fd = read_fd
        self.write_fd = write_fd
        self.sock = sock
        self.inbox = bytearray()
        self.outbox = bytearray()
        self.closed = False
        os.set_blocking(read_fd, False)
        os.set_blocking(write_fd, False)

    def receive(self) -> list[dict[str, Any]]:
        """The whole requests that arrived (the caller saw ``read_fd`` readable).

        Marks the connection closed at end of file or on a read error; raises
        :class:`~sphinx_df_table.messages.ProtocolError` for a malformed message.
        """
        try:
            chunk = os.read(self.read_fd, 1 << 20)
        except BlockingIOError:
            return []
        except OSError:
            chunk = b""
        if not chunk:
            self.closed = True
            return []
        self.inbox += chunk
        requests = []
        while len(self.inbox) >= messages.HEADER_SIZE:
            size = messages.message_size(bytes(self.inbox[: messages.HEADER_SIZE]))
            end = messages.HEADER_SIZE + size
            if len(self.inbox) < end:
                break
            # Requests come from the Sphinx process or one of its own readers
            # (peer_allowed), and are plain data: refuse anything else.
            request = messages.decode_payload(
                bytes(self.inbox[messages.HEADER_SIZE : end]), plain=True
            )
            del self.inbox[:end]
            if not isinstance(request, dict):
                raise messages.ProtocolError("a request is not a dict")
            requests.append(request)
        return requests

    def send(self, payload: Any) -> None:
        """Queue ``payload`` as one message; :meth:`flush` writes it."""
        if not self.closed:
            self.outbox += messages.encode_message(payload)

    def flush(self) -> None:
        """Write as much of the outbox as the pipe or socket takes now."""
        try:
            del self.outbox[: os.write(self.write_fd, self.outbox)]
        except BlockingIOError:
            pass
        except OSError:  # the client is gone
            self.closed = True
            self.outbox.clear()

    def close(self) -> None:
        """Close a socket connection (the main process's pipes stay to the caller)."""
        self.closed = True
        if self.sock is not None:
            self.sock.close()


@dataclass
class _Job:
    """A snippet to run once: who waits for its answer, under which of their ids."""

    request: dict[str, Any]
    key: str
    waiters: list[tuple[Connection, int]] = field(default_factory=list)
    #: Submitted ahead for any reader; not taken by one yet.
    shared: bool = False
    run: _Run | None = None


def request_key(request: dict[str, Any]) -> str:
    """What two identical requests share: a hash of all but their id and ``shared`` flag."""
    content = {name: value for name, value in request.items() if name not in ("id", "shared")}
    text = json.dumps(content, sort_keys=True, default=repr)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _parent_of(pid: int) -> int:
    """``pid``'s parent (``/proc``); 0 when it cannot be read (gone, or not Linux)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as stat:
            return int(stat.read().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return 0


def peer_allowed(sock: socket.socket, owner_pid: int) -> bool:
    """Whether the process at the other end of ``sock`` may send requests.

    It must run as this user and descend from ``owner_pid`` (the Sphinx
    process), but not through this worker: a snippet's process, or anything it
    started, is refused. Where the peer's credentials or ancestry cannot be
    read, it is refused.
    """
    try:
        creds = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, _UCRED.size)
    except (AttributeError, OSError):  # no SO_PEERCRED (not Linux)
        return False
    pid, uid, _gid = _UCRED.unpack(creds)
    if uid != os.getuid():
        return False
    me = os.getpid()
    for _ in range(_MAX_ANCESTRY):
        if pid == me or pid <= 1:
            return False
        if pid == owner_pid:
            return True
        pid = _parent_of(pid)
    return False


class Hub:
    """Requests from every connection, run in one worker, answered where they came from.

    ``main`` is the Sphinx process's pipe pair (its end closes the worker);
    ``listener`` the readers' listening socket, or None; ``owner_pid`` the
    Sphinx process, the ancestor every reader must have.
    """

    def __init__(
        self,
        worker: _Worker,
        main: Connection,
        listener: socket.socket | None,
        owner_pid: int,
    ) -> None:
        self.worker = worker
        self.main = main
        self.listener = listener
        self.owner_pid = owner_pid
        self.clients: dict[int, Connection] = {}
        #: Snippets a directive waits for: started before those run ahead.
        self.urgent: deque[_Job] = deque()
        #: Snippets run ahead, for a reader that has not asked yet.
        self.queue: deque[_Job] = deque()
        #: Running jobs by the worker-wide id their run carries.
        self.running: dict[int, _Job] = {}
        #: Shared jobs (queued or running) not taken by a reader yet, by key.
        self.shared: dict[str, _Job] = {}
        #: Finished shared results no reader took yet: key -> (result, size).
        self.unclaimed: dict[str, tuple[messages.SnippetResult, int]] = {}
        self.unclaimed_bytes = 0
        self.ids = 0
        if listener is not None:
            listener.setblocking(False)

    def connections(self) -> list[Connection]:
        """The main process's connection, then the readers' open ones."""
        return [self.main, *self.clients.values()]

    def serve(self) -> None:
        """Run until the main process's request pipe closes (the caller then
        kills whatever still runs)."""
        worker = self.worker
        while True:
            while (self.urgent or self.queue) and len(worker.running) < worker.max_children:
                self._start((self.urgent or self.queue).popleft())
            if not any(conn.outbox for conn in self.connections()):
                # Never before an answer waiting to go out.
                worker.prepare(waiting=bool(self.urgent or self.queue))
            now = time.monotonic()
            readers = [conn.read_fd for conn in self.connections()]
            if self.listener is not None:
                readers.append(self.listener.fileno())
            for run in worker.running.values():
                readers += run.fds()
            writers = [conn.write_fd for conn in self.connections() if conn.outbox]
            wait = None
            if worker.running:
                wait = max(0.0, min(run.deadline for run in worker.running.values()) - now)
                if any(run.pidfd is None for run in worker.running.values()):
                    wait = min(wait, 0.02)  # no pidfd (macOS): poll the children's state
            readable, writable, _ = select.select(readers, writers, [], wait)
            for conn in self.connections():
                if conn.write_fd in writable:
                    conn.flush()
            if self.listener is not None and self.listener.fileno() in readable:
                self._accept()
            for conn in self.connections():
                if conn.read_fd in readable:
                    try:
                        for request in conn.receive():
                            self._take(conn, request)
                    except messages.ProtocolError:
                        conn.closed = True
            if self.main.closed:  # the pipe closed: Sphinx is done
                return
            for conn in [c for c in self.clients.values() if c.closed]:
                self._drop(conn)
            now = time.monotonic()
            for run in list(worker.running.values()):
                if run.receiver.fd in readable:
                    run.receiver.read()
                result = worker.poll(run, now)
                if result is not None:
                    self._answer(self.running.pop(run.request_id), result)

    def _accept(self) -> None:
        assert self.listener is not None
        try:
            sock, _address = self.listener.accept()
        except (BlockingIOError, InterruptedError):
            return
        except OSError:  # e.g. too many open files: this client tries again or works alone
            return
        if not peer_allowed(sock, self.owner_pid):
            sock.close()
            return
        conn = Connection(sock.fileno(), sock.fileno(), sock)
        self.clients[sock.fileno()] = conn
        conn.send({"ready": True, "sandbox": self.worker.mode})

    def _take(self, conn: Connection, request: dict[str, Any]) -> None:
        """Queue ``request`` from ``conn``, or give it a shared run or result."""
        client_id = request.get("id")
        if not isinstance(client_id, int):
            raise messages.ProtocolError("a request without an id")
        shared = bool(request.get("shared"))
        key = request_key(request)
        if not shared:
            job = self.shared.pop(key, None)
            if job is not None:
                job.shared = False
                job.waiters.append((conn, client_id))
                if job.run is None:  # a directive waits for it now: next to start
                    self.queue.remove(job)
                    self.urgent.append(job)
                return
            stored = self.unclaimed.pop(key, None)
            if stored is not None:
                self.unclaimed_bytes -= stored[1]
                conn.send(messages.WorkerAnswer(client_id, stored[0]).to_plain())
                return
        elif key in self.shared or key in self.unclaimed:
            return  # already on its way to whoever asks for it
        self.ids += 1
        job_request = {k: v for k, v in request.items() if k != "shared"}
        job_request["id"] = self.ids
        job = _Job(job_request, key, shared=shared)
        if shared:
            self.shared[key] = job
            self.queue.append(job)
        else:
            job.waiters.append((conn, client_id))
            self.urgent.append(job)

    def _start(self, job: _Job) -> None:
        job.run = self.worker.start(job.request)
        self.running[job.run.request_id] = job

    def _answer(self, job: _Job, result: messages.SnippetResult) -> None:
        if job.shared:  # nobody took it: keep it for the reader that will ask
            self.shared.pop(job.key, None)
            size = len(pickle.dumps(result.to_plain(), protocol=pickle.HIGHEST_PROTOCOL))
            if self.unclaimed_bytes + size <= UNCLAIMED_BUDGET:
                self.unclaimed[job.key] = (result, size)
                self.unclaimed_bytes += size
            return
        for conn, client_id in job.waiters:
            conn.send(messages.WorkerAnswer(client_id, result).to_plain())

    def _drop(self, conn: Connection) -> None:
        """Forget a closed reader: its queued snippets, and kill its running ones."""
        del self.clients[conn.read_fd]
        conn.close()
        for job in [*self.urgent, *self.running.values()]:
            job.waiters = [(c, i) for c, i in job.waiters if c is not conn]
        self.urgent = deque(job for job in self.urgent if job.waiters)
        for job in list(self.running.values()):
            if not job.waiters and not job.shared and job.run is not None:
                self.worker.finish(job.run)  # kills it now: nobody will read its answer
                del self.running[job.run.request_id]
