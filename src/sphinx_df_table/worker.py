"""The snippet worker: a separate Python process that runs df-table snippets.

Started by :mod:`.execution` as ``python -m sphinx_df_table.worker REQ_FD RESP_FD``.
It imports pandas once, then answers one request at a time. Everything a
snippet could change that matters to the next snippet (working directory,
``sys.path``, environment, pandas and numpy options, warning filters, standard
streams) is restored after each run; whatever the snippet writes to file
descriptors 1 and 2 goes to a capture file, never to the protocol pipe.

User code only ever runs here, so that ``os._exit``, a segfault, an endless loop
or exhausted memory cost a worker, not the Sphinx build.
"""

from __future__ import annotations

import builtins
import contextlib
import faulthandler
import os
import sys
import time
import traceback
import warnings
from collections.abc import Iterator
from pathlib import Path
from types import CodeType
from typing import Any

from . import protocol
from .sandbox import Guard, Policy, SandboxViolation

SNIPPET_FILENAME = "<df-table>"
PREAMBLE_FILENAME = "<df_table_preamble>"
#: At most this much captured output is sent back per snippet.
MAX_OUTPUT = 64 * 1024


def _snippet_line(tb: Any) -> tuple[int | None, bool]:
    """The last traceback line that is in the snippet or the preamble."""
    line: int | None = None
    in_preamble = False
    for frame, lineno in traceback.walk_tb(tb):
        name = frame.f_code.co_filename
        if name in (SNIPPET_FILENAME, PREAMBLE_FILENAME):
            line, in_preamble = lineno, name == PREAMBLE_FILENAME
    return line, in_preamble


def _user_traceback(exc: BaseException) -> str:
    """The traceback without the worker's own frames."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename not in (
        SNIPPET_FILENAME,
        PREAMBLE_FILENAME,
    ):
        tb = tb.tb_next
    return "".join(traceback.format_exception(type(exc), exc, tb))


def _describe(exc: BaseException) -> str:
    return "".join(traceback.format_exception_only(type(exc), exc)).strip()


def _error_from(exc: BaseException) -> protocol.SnippetError:
    """Classify a snippet's exception and find the snippet line to blame."""
    if isinstance(exc, SyntaxError) and exc.filename in (SNIPPET_FILENAME, PREAMBLE_FILENAME):
        return protocol.SnippetError(
            kind="syntax",
            message=_describe(exc),
            line=exc.lineno,
            in_preamble=exc.filename == PREAMBLE_FILENAME,
        )
    line, in_preamble = _snippet_line(exc.__traceback__)
    if isinstance(exc, SandboxViolation):
        kind = "access"
    elif isinstance(exc, MemoryError):
        kind = "memory"
    else:
        kind = "exception"
    return protocol.SnippetError(
        kind=kind,
        message=_describe(exc),
        line=line,
        in_preamble=in_preamble,
        traceback=_user_traceback(exc),
    )


def _pandas_options(pd: Any) -> dict[str, Any]:
    """Current value of every (non-deprecated) pandas option."""
    from pandas._config import config

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return {
            key: pd.get_option(key)
            for key in sorted(config._registered_options)
            if key not in config._deprecated_options
        }


class Worker:
    """Holds the per-process state: the guard and the pristine settings."""

    def __init__(self, init: dict[str, Any]) -> None:
        import numpy as np
        import pandas as pd

        self.pd = pd
        self.np = np
        sys.path[:] = init["sys_path"]
        self.base_sys_path = list(sys.path)
        self.base_environ = dict(os.environ)
        self.base_np_err = np.geterr()
        self.base_np_print = np.get_printoptions()
        self.base_pd_options = _pandas_options(pd)
        self.guard = Guard(
            Policy(
                read_roots=init["read_roots"],
                allow_unsafe=init["allow_unsafe"],
                import_roots=init["import_roots"],
            )
        )
        sys.addaudithook(self.guard)
        self.capture_path: str = init["capture_path"]
        # Reserve descriptors for the real stdout/stderr so they can be restored.
        self.saved_fds = (os.dup(1), os.dup(2))

    @contextlib.contextmanager
    def _captured_output(self, sink: list[str]) -> Iterator[None]:
        """Send fds 1 and 2 (and sys.stdout/err) to the capture file."""
        sys.stdout.flush()
        sys.stderr.flush()
        with Path(self.capture_path).open("w+b") as capture:
            os.dup2(capture.fileno(), 1)
            os.dup2(capture.fileno(), 2)
            try:
                yield
            finally:
                with contextlib.suppress(Exception):
                    sys.stdout.flush()
                    sys.stderr.flush()
                os.dup2(self.saved_fds[0], 1)
                os.dup2(self.saved_fds[1], 2)
                capture.seek(0)
                data = capture.read(MAX_OUTPUT + 1)
                text = data[:MAX_OUTPUT].decode("utf-8", "replace")
                if len(data) > MAX_OUTPUT:
                    text += "\n[... output truncated]"
                sink.append(text)

    @contextlib.contextmanager
    def _isolated(self, cwd: str) -> Iterator[None]:
        """Run in ``cwd`` and put everything a snippet may change back afterwards."""
        stdout, stderr = sys.stdout, sys.stderr
        recursion = sys.getrecursionlimit()
        os.chdir(cwd)
        try:
            with warnings.catch_warnings():
                yield
        finally:
            sys.stdout, sys.stderr = stdout, stderr
            sys.setrecursionlimit(recursion)
            sys.path[:] = self.base_sys_path
            if os.environ != self.base_environ:
                os.environ.clear()
                os.environ.update(self.base_environ)
            self._restore_pandas_options()
            self.np.seterr(**self.base_np_err)
            self.np.set_printoptions(**self.base_np_print)

    def _restore_pandas_options(self) -> None:
        """Put back pandas options a snippet changed (only those: some have costly
        validators, e.g. ``plotting.backend`` imports matplotlib)."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for key, value in self.base_pd_options.items():
                if self.pd.get_option(key) != value:
                    self.pd.set_option(key, value)

    def _compile(self, source: str, filename: str) -> CodeType:
        return compile(source, filename, "exec", dont_inherit=True)

    def run(self, request: dict[str, Any]) -> protocol.SnippetResult:
        """Execute one snippet and reduce its result to table text."""
        from .frame_text import ResultTypeError, as_frame, frame_to_table

        started = time.perf_counter()
        output: list[str] = []
        result_var = request["result_var"]
        namespace: dict[str, Any] = {
            "__name__": "__df_table__",
            "__builtins__": builtins,
            "pd": self.pd,
            "np": self.np,
        }
        error: protocol.SnippetError | None = None
        table = None
        self.guard.files_read = []
        try:
            with self._isolated(request["cwd"]), self._captured_output(output):
                preamble = self._compile(request["preamble"], PREAMBLE_FILENAME)
                code = self._compile(request["code"], SNIPPET_FILENAME)
                # Just before the parent's deadline, dump where the snippet is, so
                # that a timeout can be reported at the line that was running.
                timeout = float(request["timeout"])
                faulthandler.dump_traceback_later(max(0.05, timeout - min(0.5, timeout / 10)))
                self.guard.active = True
                try:
                    exec(preamble, namespace)
                    exec(code, namespace)
                finally:
                    self.guard.active = False
                    faulthandler.cancel_dump_traceback_later()
                if result_var not in namespace:
                    raise ResultTypeError(f"the snippet did not define '{result_var}'")
                table = frame_to_table(as_frame(namespace[result_var], result_var))
        except ResultTypeError as exc:
            error = protocol.SnippetError(kind="result", message=str(exc))
        except BaseException as exc:  # the snippet's own failure, reported to its author
            error = _error_from(exc)
        return protocol.SnippetResult(
            table=None if error else table,
            error=error,
            files_read=tuple(dict.fromkeys(self.guard.files_read)),
            output="".join(output),
            seconds=time.perf_counter() - started,
        )


def _apply_memory_limit(limit: int | None) -> None:
    if not limit:
        return
    try:
        import resource
    except ImportError:  # pragma: no cover - Windows
        return
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def main(argv: list[str]) -> int:
    """Serve requests until the request pipe closes."""
    req_fd, resp_fd = int(argv[0]), int(argv[1])
    faulthandler.enable()
    try:
        init = protocol.read_message(req_fd, plain=False)
        _apply_memory_limit(init["memory_limit"])
        worker = Worker(init)
    except BaseException as exc:  # startup failed: tell the parent why, then stop
        protocol.write_message(resp_fd, {"ready": False, "error": traceback.format_exc()})
        return 1 if not isinstance(exc, SystemExit) else 2
    protocol.write_message(resp_fd, {"ready": True, "pid": os.getpid()})
    while True:
        try:
            request = protocol.read_message(req_fd, plain=False)
        except protocol.ProtocolError:
            return 0
        result = worker.run(request)
        try:
            protocol.write_message(resp_fd, result.to_plain())
        except MemoryError:
            protocol.write_message(
                resp_fd,
                protocol.SnippetResult(
                    error=protocol.SnippetError(
                        kind="crash", message="MemoryError: the result is too large to send"
                    )
                ).to_plain(),
            )


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
