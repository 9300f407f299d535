"""One snippet, one process: what the forked child does from birth to exit.

The worker (:mod:`sphinx_df_table.worker.server`) forks a child per snippet.
The child confines itself (:mod:`~sphinx_df_table.worker.confinement`), runs
the preamble and the snippet in a fresh namespace with its output captured,
renders the result (:mod:`~sphinx_df_table.worker.rendering`), writes one
answer to its own pipe and exits. Whatever the snippet did to the process
(patched pandas, ``sys.modules``, import hooks, threads, signal handlers, rlimits,
the guard object) ends with it: the next snippet starts from the worker's
clean state again, so nothing is saved and put back by hand.
"""

from __future__ import annotations

import builtins
import contextlib
import io
import os
import sys
import time
import traceback
from types import CodeType
from typing import Any, NoReturn

from .. import messages
from ..errors import ErrorKind
from .failures import PREAMBLE_FILENAME, SNIPPET_FILENAME, error_from, exit_report, format_size
from .prefork import announce, receive, warm_up
from .reaper import kill_descendants

#: At most this much captured output (bytes) is sent back per snippet.
MAX_OUTPUT = 64 * 1024

#: The child's exit status when something in df-table itself failed (never the
#: snippet: its failures are answers). The worker reports it as a crash.
INTERNAL_FAILURE = 70


def run_child(
    context: Any, request_fd: int, answer_fd: int, capture_fd: int, scratch: str, *, warm: bool
) -> NoReturn:
    """Confine this (just forked) process, wait for its request, run the snippet, answer, exit.

    ``context`` is the worker's :class:`~sphinx_df_table.worker.server.Worker`
    (its settings, the Landlock rules and pandas/numpy, already imported);
    ``request_fd`` the read end of this child's own request pipe, which
    brings one request (see :meth:`~sphinx_df_table.worker.server.Worker.start`)
    once this process is confined; ``answer_fd`` the write end of its own
    answer pipe, closed after the answer (the worker takes the answer then and
    kills this process, without waiting for it to exit); ``capture_fd`` the file that
    receives fds 1 and 2; ``scratch`` the one folder the snippet may write in;
    ``warm``: run the worker's warm-up first (a spare forked ahead of its
    request). Never returns.
    """
    try:
        from .confinement import confine_child

        announce(answer_fd)
        if warm:
            # The copy-on-write page faults of the common paths, taken before
            # the request (our code and data, run before any confinement).
            warm_up(context.pd, context.np)
        guard = confine_child(context, request_fd, answer_fd, capture_fd, scratch)
        request = receive(request_fd)
        os.chdir(request["cwd"])
        answer = _run(context, request, guard)
        data = _encode(answer, context.max_result_size, guard)
        # This process is a subreaper (see confinement): what the snippet
        # started, and orphaned, is its child now, and ends here, before the
        # answer (whoever has an answer sees no process of that snippet). Should
        # that fail, they become the worker's when this process is killed
        # after its answer, and end there.
        with contextlib.suppress(Exception):
            kill_descendants()
        view = memoryview(data)
        while view:
            view = view[os.write(answer_fd, view) :]
        os.close(answer_fd)
    except BaseException:  # df-table's own failure: the worker reports a crash
        with contextlib.suppress(BaseException):
            os.write(2, traceback.format_exc().encode("utf-8", "replace"))
        os._exit(INTERNAL_FAILURE)
    os._exit(0)


def _compile(source: str, filename: str) -> CodeType:
    return compile(source, filename, "exec", dont_inherit=True)


def _located_exit(status: int) -> NoReturn:
    """``os._exit`` for snippets: say which snippet line called it, then exit."""
    with contextlib.suppress(Exception):
        os.write(2, exit_report(status).encode())
    _REAL_EXIT(status)


_REAL_EXIT = os._exit


def _run(context: Any, request: dict[str, Any], guard: Any) -> dict[str, Any]:
    """Execute one snippet; its result, or its failure, as plain data."""
    from .frame_cells import ResultTypeError
    from .rendering import render_result

    started = time.perf_counter()
    namespace: dict[str, Any] = {
        "__name__": "__df_table__",
        "__builtins__": builtins,
        "pd": context.pd,
        "np": context.np,
    }
    error: messages.SnippetError | None = None
    rendered: messages.TableData | messages.ChartData | None = None
    sys.stdout, sys.stderr = (
        io.TextIOWrapper(
            io.FileIO(fd, "w", closefd=False),
            encoding="utf-8",
            errors="backslashreplace",
            write_through=True,
        )
        for fd in (1, 2)
    )
    saved_builtins = dict(vars(builtins))
    saved_imports = (list(sys.meta_path), list(sys.path_hooks))
    try:
        preamble = _compile(request["preamble"], PREAMBLE_FILENAME)
        code = _compile(request["code"], SNIPPET_FILENAME)
        os._exit = _located_exit
        try:
            exec(preamble, namespace)
            exec(code, namespace)
        finally:
            # The result is rendered and the answer made with the builtins
            # (``len``, ``str``) and the import system (pandas imports parts
            # of itself lazily) that the snippet may have replaced: put them
            # back, so that its own failure, not a crash, is reported.
            vars(builtins).update(saved_builtins)
            os._exit = _REAL_EXIT
            if (sys.meta_path, sys.path_hooks) != saved_imports:
                sys.meta_path[:], sys.path_hooks[:] = saved_imports
                sys.path_importer_cache.clear()
        rendered = render_result(namespace, request["result_var"], request["render"])
    except ResultTypeError as exc:
        error = messages.SnippetError(kind=ErrorKind.RESULT, message=str(exc))
    except BaseException as exc:  # the snippet's own failure, reported to its author
        error = error_from(exc, context.memory_limit, guard)
    seconds = time.perf_counter() - started
    with contextlib.suppress(Exception):
        sys.stdout.flush()
        sys.stderr.flush()
    result = messages.SnippetResult(
        table=rendered if isinstance(rendered, messages.TableData) else None,
        chart=rendered if isinstance(rendered, messages.ChartData) else None,
        error=error,
        files_read=tuple(dict.fromkeys(guard.files_read)),
        read_stamps=tuple(guard.read_stamps.values()),
        output=read_capture(),
        seconds=seconds,
    )
    return result.to_plain()


def read_capture(fd: int = 1) -> str:
    """What the snippet printed (fds 1 and 2 share one file), at most
    :data:`MAX_OUTPUT` bytes of it."""
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        data = os.read(fd, MAX_OUTPUT + 1)
    except OSError:
        return ""
    text = data[:MAX_OUTPUT].decode("utf-8", "replace")
    if len(data) > MAX_OUTPUT:
        text += "\n[... output truncated]"
    return text


def _encode(answer: dict[str, Any], limit: int | None, guard: Any) -> bytes:
    """The answer as one message; a result over ``limit`` bytes becomes an error."""
    try:
        data = messages.encode_message(answer)
    except MemoryError:  # pickling a huge table: nothing was sent yet
        data = b""
    if data and (limit is None or len(data) <= limit):
        return data
    size = f" ({format_size(len(data))})" if data else ""
    shown = format_size(limit) if limit else "memory"
    message = (
        f"the result is too large to send{size}: more than {shown}; "
        "raise df_table_max_result_size in conf.py, or make the table smaller"
    )
    failure = messages.SnippetResult(
        error=messages.SnippetError(kind=ErrorKind.RESULT, message=message),
        files_read=tuple(dict.fromkeys(guard.files_read)),
        read_stamps=tuple(guard.read_stamps.values()),
    )
    return messages.encode_message(failure.to_plain())
