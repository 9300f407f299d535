"""What a snippet prints: file descriptors 1 and 2 sent to a capture file.

Whatever a snippet writes (``print``, a C library writing to fd 1, a child
process) goes to the worker's capture file, never to the protocol pipes, and
at most :data:`MAX_OUTPUT` characters of it are sent back with the result.
"""

from __future__ import annotations

import _io
import contextlib
import io
import os
import sys
from collections.abc import Iterator

from .guard import Guard

#: Saved before any snippet runs: a snippet that replaced ``io.open`` must not
#: get its function called with the guard aside.
_REAL_OPEN = _io.open
#: At most this much captured output (bytes) is sent back per snippet.
MAX_OUTPUT = 64 * 1024


class OutputCapture:
    """Sends fds 1 and 2 to the file ``path`` while a snippet runs.

    ``guard`` is the worker's file guard, set aside only to open that file.
    Create it before any snippet runs (it saves the real fds 1 and 2).
    """

    def __init__(self, path: str, guard: Guard) -> None:
        self.path = path
        self.guard = guard
        # Descriptors for the real fds 1 and 2, to put back after each capture.
        self.saved_fds = (os.dup(1), os.dup(2))
        self.streams = (sys.stdout, sys.stderr)

    @contextlib.contextmanager
    def captured(self, sink: list[str]) -> Iterator[None]:
        """Capture the block's output; append its text (truncated) to ``sink`` at the end.

        The snippet gets its own ``sys.stdout``/``sys.stderr`` objects, so that
        closing or replacing them cannot break the next snippet's ``print``.
        Raises ``OSError`` when the capture file cannot be opened.
        """
        with self.guard.internal():  # the one file the worker itself writes
            capture = _REAL_OPEN(self.path, "w+b")
        with capture:
            os.dup2(capture.fileno(), 1)
            os.dup2(capture.fileno(), 2)
            streams = [
                io.TextIOWrapper(
                    io.FileIO(fd, "w", closefd=False),
                    encoding="utf-8",
                    errors="backslashreplace",
                    write_through=True,
                )
                for fd in (1, 2)
            ]
            sys.stdout, sys.stderr = streams
            try:
                yield
            finally:
                for stream in streams:
                    with contextlib.suppress(Exception):
                        stream.flush()
                sys.stdout, sys.stderr = self.streams
                os.dup2(self.saved_fds[0], 1)
                os.dup2(self.saved_fds[1], 2)
                capture.seek(0)
                data = capture.read(MAX_OUTPUT + 1)
                text = data[:MAX_OUTPUT].decode("utf-8", "replace")
                if len(data) > MAX_OUTPUT:
                    text += "\n[... output truncated]"
                sink.append(text)
