"""The worker protocol: plain data only, whole messages by a deadline, tables intact."""

from __future__ import annotations

import contextlib
import os
import pickle
import struct
import time
from collections.abc import Iterator

import pytest

from sphinx_df_table import messages as protocol
from sphinx_df_table.messages import SnippetError, SnippetResult, TableData

pytestmark = pytest.mark.matrix


@pytest.fixture
def pipe() -> Iterator[tuple[int, int]]:
    read_fd, write_fd = os.pipe()
    yield read_fd, write_fd
    for fd in (read_fd, write_fd):
        with contextlib.suppress(OSError):
            os.close(fd)


@pytest.mark.parametrize(
    "body",
    [
        [["1", "a"], ["2", "b"]],
        [["", ""], ["", "x"]],
        [["only"]],
        [["has \x1f the separator", "b"]],
        [["a", "b"], ["ragged"]],
        [],
    ],
)
def test_table_round_trip(body: list[list[str]]) -> None:
    table = TableData(header=[["x", "y"]], body=body, numeric=[True, False])
    result = SnippetResult(table=table, files_read=("/src/a.csv",), output="hi", seconds=0.5)
    wire = protocol.loads_plain(pickle.dumps(result.to_plain()))
    assert SnippetResult.from_plain(wire) == result


def test_error_round_trip() -> None:
    error = SnippetError("access", "reading '/etc/passwd' ...", 3, False, "Traceback ...")
    result = SnippetResult(error=error)
    assert SnippetResult.from_plain(protocol.loads_plain(pickle.dumps(result.to_plain()))) == result


class Smuggled:
    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (print, ("this would run in Sphinx",))


def test_plain_loader_refuses_any_class() -> None:
    with pytest.raises(pickle.UnpicklingError, match=r"refusing to load builtins\.print"):
        protocol.loads_plain(pickle.dumps({"table": Smuggled()}))


def test_message_round_trip(pipe: tuple[int, int]) -> None:
    read_fd, write_fd = pipe
    protocol.write_message(write_fd, {"id": 1, "cells": ["a"] * 1000})
    got = protocol.read_message(read_fd, plain=True, deadline=time.monotonic() + 5)
    assert got == {"id": 1, "cells": ["a"] * 1000}


def test_half_a_message_times_out_instead_of_hanging(pipe: tuple[int, int]) -> None:
    read_fd, write_fd = pipe
    os.write(write_fd, struct.pack("!Q", 100) + b"only part")
    started = time.monotonic()
    with pytest.raises(protocol.ProtocolTimeout):
        protocol.read_message(read_fd, plain=True, deadline=started + 0.3)
    assert time.monotonic() - started < 1


def test_nothing_at_all_times_out(pipe: tuple[int, int]) -> None:
    with pytest.raises(protocol.ProtocolTimeout):
        protocol.read_message(pipe[0], plain=True, deadline=time.monotonic() + 0.1)


def test_closed_pipe_is_a_protocol_error(pipe: tuple[int, int]) -> None:
    read_fd, write_fd = pipe
    os.write(write_fd, struct.pack("!Q", 100) + b"cut short")
    os.close(write_fd)
    with pytest.raises(protocol.ProtocolError, match="pipe closed"):
        protocol.read_message(read_fd, plain=True, deadline=time.monotonic() + 5)


def test_garbage_is_a_protocol_error(pipe: tuple[int, int]) -> None:
    read_fd, write_fd = pipe
    os.write(write_fd, struct.pack("!Q", 4) + b"junk")
    with pytest.raises(protocol.ProtocolError, match="not a valid message"):
        protocol.read_message(read_fd, plain=True, deadline=time.monotonic() + 5)


def test_absurd_size_is_refused(pipe: tuple[int, int]) -> None:
    read_fd, write_fd = pipe
    os.write(write_fd, struct.pack("!Q", 1 << 40))
    with pytest.raises(protocol.ProtocolError, match="too large"):
        protocol.read_message(read_fd, plain=True, deadline=time.monotonic() + 5)
