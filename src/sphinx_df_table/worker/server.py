"""The snippet worker: a separate Python process that runs df-table snippets.

Started by :mod:`sphinx_df_table.execute.runner` as
``python -m sphinx_df_table.worker REQ_FD RESP_FD``.
It sets its process limits (:mod:`~sphinx_df_table.worker.limits`), imports
pandas once, then answers one request at a time: each snippet runs under the
file guard (:mod:`~sphinx_df_table.worker.guard`) with its output captured
(:mod:`~sphinx_df_table.worker.output_capture`); the interpreter state is put
back afterwards (:mod:`~sphinx_df_table.worker.isolation`); a failure becomes a
located error (:mod:`~sphinx_df_table.worker.failures`). What cannot be put
back (a thread the snippet left running, another audit hook) makes the worker
ask to be replaced after answering.

User code only ever runs here, so that ``os._exit``, a segfault, an endless loop
or exhausted memory cost a worker, not the Sphinx build.
"""

from __future__ import annotations

import builtins
import contextlib
import faulthandler
import os
import sys
import threading
import time
import traceback
from types import CodeType
from typing import Any, NoReturn

from .. import messages
from ..errors import ErrorKind
from .failures import PREAMBLE_FILENAME, SNIPPET_FILENAME, error_from, exit_report
from .guard import Guard, Policy
from .isolation import InterpreterState
from .limits import apply_process_limits
from .output_capture import OutputCapture


class Worker:
    """The per-process state: the guard, the saved interpreter state, the capture.

    ``init`` is the parent's first message: ``sys_path``, ``read_roots``,
    ``import_roots``, ``scratch_dirs`` (lists of paths), ``allow_unsafe``,
    ``memory_limit`` (bytes or ``None``) and ``capture_path``.
    """

    def __init__(self, init: dict[str, Any]) -> None:
        import numpy as np
        import pandas as pd

        # What a snippet sees by default; registering a few submodules now also
        # keeps their import out of the first snippet's time and file reads.
        from .frame_cells import frame_to_table  # noqa: F401

        self.pd = pd
        self.np = np
        self.pid = os.getpid()
        self.memory_limit: int | None = init["memory_limit"]
        sys.path[:] = init["sys_path"]
        self.state = InterpreterState(pd, np)
        self.base_threads = threading.active_count()
        self.real_exit = os._exit
        self.guard = Guard(
            Policy(
                read_roots=init["read_roots"],
                allow_unsafe=init["allow_unsafe"],
                import_roots=init["import_roots"],
                scratch_dirs=init.get("scratch_dirs", []),
            )
        )
        sys.addaudithook(self.guard)
        self.guard.active = True  # for good: see Guard
        self.capture_path: str = init["capture_path"]
        self.capture = OutputCapture(self.capture_path, self.guard)

    def _compile(self, source: str, filename: str) -> CodeType:
        return compile(source, filename, "exec", dont_inherit=True)

    def _located_exit(self, status: int) -> NoReturn:
        """``os._exit`` for snippets: say which snippet line called it, then exit."""
        with contextlib.suppress(Exception):
            os.write(2, exit_report(status).encode())
        self.real_exit(status)

    def run(self, request: dict[str, Any]) -> messages.SnippetResult:
        """Execute one snippet and reduce its result to a table or a chart.

        ``request`` holds ``code``, ``preamble`` (source text), ``result_var``,
        ``cwd`` and ``render`` (see
        :func:`~sphinx_df_table.worker.rendering.render_result`). Never raises
        for what the snippet does: its failure is the result's ``error``.
        """
        from .frame_cells import ResultTypeError
        from .rendering import render_result

        started = time.perf_counter()
        output: list[str] = []
        result_var = request["result_var"]
        namespace: dict[str, Any] = {
            "__name__": "__df_table__",
            "__builtins__": builtins,
            "pd": self.pd,
            "np": self.np,
        }
        error: messages.SnippetError | None = None
        rendered: messages.TableData | messages.ChartData | None = None
        self.guard.files_read = []
        self.guard.read_stamps = {}
        try:
            with self.state.isolated(request["cwd"]), self.capture.captured(output):
                if "chart" in request["render"]:
                    from .chart_drawing import prepare_matplotlib

                    # A df-chart: matplotlib's first import writes its font
                    # cache, in this worker's own directory.
                    with self.guard.internal():
                        prepare_matplotlib(os.path.dirname(self.capture_path))
                preamble = self._compile(request["preamble"], PREAMBLE_FILENAME)
                code = self._compile(request["code"], SNIPPET_FILENAME)
                os._exit = self._located_exit
                try:
                    exec(preamble, namespace)
                    exec(code, namespace)
                finally:
                    # Builtins first: all the code below (and in the standard
                    # library) relies on them.
                    self.state.restore_builtins()
                    os._exit = self.real_exit
                    if os.getpid() != self.pid:  # a fork the snippet made (allow_unsafe)
                        self.real_exit(0)
                rendered = render_result(namespace, result_var, request["render"])
        except ResultTypeError as exc:
            error = messages.SnippetError(kind=ErrorKind.RESULT, message=str(exc))
        except BaseException as exc:  # the snippet's own failure, reported to its author
            error = error_from(exc, self.memory_limit)
        return messages.SnippetResult(
            table=rendered if isinstance(rendered, messages.TableData) else None,
            chart=rendered if isinstance(rendered, messages.ChartData) else None,
            error=error,
            files_read=tuple(dict.fromkeys(self.guard.files_read)),
            read_stamps=tuple(self.guard.read_stamps.values()),
            output="".join(output),
            seconds=time.perf_counter() - started,
        )

    def tainted(self) -> str | None:
        """Why this worker cannot be trusted to run another snippet, if it cannot."""
        if threading.active_count() > self.base_threads:
            return "the snippet left a thread running"
        return self.guard.tainted


def _too_large(request_id: int, result: messages.SnippetResult, restart: str | None) -> Any:
    """The answer that replaces a result too large to encode: a memory error."""
    failure = messages.SnippetResult(
        error=messages.SnippetError(
            kind=ErrorKind.MEMORY, message="MemoryError: the result is too large to send"
        ),
        files_read=result.files_read,
        read_stamps=result.read_stamps,
    )
    return messages.WorkerAnswer(request_id, failure, restart).to_plain()


def main(argv: list[str]) -> int:
    """Serve requests until the request pipe closes.

    ``argv`` is ``[REQ_FD, RESP_FD]``: the file descriptors to read requests
    from and write answers to. Returns the exit status: 0 when the pipe
    closed, 1 (2 for ``SystemExit``) when start-up failed, after telling the
    parent why.
    """
    req_fd, resp_fd = int(argv[0]), int(argv[1])
    faulthandler.enable()
    try:
        init = messages.read_message(req_fd, plain=False)
        apply_process_limits(
            parent_pid=init["parent_pid"],
            memory_limit=init["memory_limit"],
            allow_unsafe=init["allow_unsafe"],
        )
        worker = Worker(init)
    except BaseException as exc:  # startup failed: tell the parent why, then stop
        messages.write_message(resp_fd, {"ready": False, "error": traceback.format_exc()})
        return 1 if not isinstance(exc, SystemExit) else 2
    # On a timeout the parent sends SIGABRT: faulthandler then writes every
    # thread's stack to the capture file, and the main thread's names the line.
    ready = {"ready": True, "main_thread": threading.get_ident()}
    messages.write_message(resp_fd, ready)
    while True:
        try:
            request = messages.read_message(req_fd, plain=False)
        except messages.ProtocolError:
            return 0
        result = worker.run(request)
        restart = worker.tainted()
        try:
            answer = messages.WorkerAnswer(request["id"], result, restart)
            messages.write_message(resp_fd, answer.to_plain())
        except MemoryError:  # pickling comes before writing: nothing was sent yet
            messages.write_message(resp_fd, _too_large(request["id"], result, restart))
        if restart:
            # Leave at once: a normal exit would wait for the snippet's threads.
            worker.real_exit(0)
