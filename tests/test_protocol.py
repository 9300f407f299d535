"""The worker protocol: plain data only, whole messages by a deadline, tables intact."""

from __future__ import annotations

import contextlib
import os
import pickle
import re
import struct
import time
from collections.abc import Iterator

import pytest

from sphinx_df_table import messages as protocol
from sphinx_df_table.errors import ErrorKind
from sphinx_df_table.messages import (
    ChartData,
    ColumnFacts,
    SnippetError,
    SnippetResult,
    TableData,
    WorkerAnswer,
)

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
        [["has \x1f the separator", "b"]],
        [],
    ],
)
def test_table_round_trip(body: list[list[str]]) -> None:
    table = TableData(
        header=[["x", "y"]],
        body=body,
        spans=[[0, 0, 0, 1]],
        index_columns=1,
        columns=[ColumnFacts("number", "right", formatted=True), ColumnFacts("text", "")],
        sort_keys=[[str(float(i)) for i in range(len(body))], None],
        truncated=3,
        caption="A caption",
        csv="x,y\n1,a\n",
        ignored=[["formats", "a Styler formats its own cells"]],
        expectations=[["expect-rows", "the result has 2 rows"]],
    )
    result = SnippetResult(table=table, files_read=("/src/a.csv",), output="hi", seconds=0.5)
    wire = protocol.loads_plain(pickle.dumps(result.to_plain()))
    assert SnippetResult.from_plain(wire) == result


def test_chart_round_trip() -> None:
    files = {mime: mime.encode() for mime in protocol.CHART_FILE_TYPES}
    for chart in (ChartData(files=files, alt="Bar chart"), ChartData(problem="no column 'y'")):
        result = SnippetResult(chart=chart, seconds=1.0)
        wire = protocol.loads_plain(pickle.dumps(result.to_plain()))
        assert SnippetResult.from_plain(wire) == result


def test_error_round_trip() -> None:
    error = SnippetError(ErrorKind.ACCESS, "reading '/etc/passwd' ...", 3, False, "Traceback ...")
    result = SnippetResult(error=error)
    decoded = SnippetResult.from_plain(protocol.loads_plain(pickle.dumps(result.to_plain())))
    assert decoded == result
    assert decoded.error is not None and decoded.error.kind is ErrorKind.ACCESS


def test_answer_round_trip() -> None:
    answer = WorkerAnswer(7, SnippetResult(table=TableData([["a"]], [["1"]])))
    assert WorkerAnswer.from_plain(protocol.loads_plain(pickle.dumps(answer.to_plain()))) == answer


def test_chart_file_types_agree_across_the_boundary() -> None:
    """What the worker draws, what the wire accepts and what the directive names."""
    from sphinx_df_table.directives.chart import EXTENSIONS
    from sphinx_df_table.worker.chart_drawing import FORMATS

    assert set(FORMATS) == set(protocol.CHART_FILE_TYPES) == set(EXTENSIONS)


def _table_plain(**change: object) -> dict[str, object]:
    plain = TableData(
        [["x", "y"]],
        [["1", "a"], ["2", "b"]],
        columns=[ColumnFacts("number", "right"), ColumnFacts("text", "")],
        sort_keys=[["1.0", "2.0"], None],
    ).to_plain()
    plain.update(change)
    return plain


def _result_plain(**change: object) -> dict[str, object]:
    plain = SnippetResult(table=TableData([["x"]], [["1"]])).to_plain()
    plain.update(change)
    return plain


_GOOD_ERROR = SnippetError(ErrorKind.EXCEPTION, "boom").to_plain()
_GOOD_FILES = dict.fromkeys(protocol.CHART_FILE_TYPES, b"data")


@pytest.mark.parametrize(
    ("plain", "complaint"),
    [
        # Tables: cell types, row lengths, missing keys, per-column lists, spans.
        (_result_plain(table=_table_plain(header=[["x", 1]])), "header holds something other"),
        (_result_plain(table=_table_plain(header="x")), "is a str, not a list"),
        (_result_plain(table={**_table_plain(), "body_joined": 5}), "is a int, not text"),
        (_result_plain(table=_table_plain(body_joined="1\x1fa\x1f2")), "not rows of 2"),
        (_result_plain(table=_table_plain(width=0)), "width is 0"),
        (_result_plain(table=_table_plain(width=True)), "width is True"),
        (_result_plain(table=_table_plain(width=1)), "has 1 cells, not 2"),
        (_result_plain(table=_table_plain(header=[["x"]])), "has 2 cells, not 1"),
        (
            _result_plain(
                table={
                    k: v
                    for k, v in _table_plain(body=[["1", "a"], ["ragged"]]).items()
                    if k not in ("body_joined", "width")
                }
            ),
            "has 1 cells, not 2",
        ),
        (
            _result_plain(
                table={
                    k: v
                    for k, v in _table_plain(body=[["1", None]]).items()
                    if k not in ("body_joined", "width")
                }
            ),
            "holds something other than text",
        ),
        (
            _result_plain(
                table={k: v for k, v in _table_plain().items() if k not in ("body_joined",)}
            ),
            "body is a NoneType",
        ),
        (
            _result_plain(table={k: v for k, v in _table_plain().items() if k != "caption"}),
            "lacks caption",
        ),
        (
            _result_plain(table=_table_plain(columns=[["number", ""]])),
            "has 1 entries for 2 columns",
        ),
        (
            _result_plain(table=_table_plain(columns=[["number", "middle"], ["text", ""]])),
            "not [kind",
        ),
        (_result_plain(table=_table_plain(columns=[["money", ""], ["text", ""]])), "not [kind"),
        (_result_plain(table=_table_plain(columns=[[1, ""], ["text", ""]])), "other than text"),
        (
            _result_plain(table=_table_plain(columns=[["number", "", "bold"], ["text", ""]])),
            "not [kind",
        ),
        (_result_plain(table=_table_plain(ignored=[["formats"]])), "not [field, why]"),
        (_result_plain(table=_table_plain(ignored="formats")), "is a str, not a list"),
        (
            _result_plain(table=_table_plain(expectations=[["expect-rows"]])),
            "not [option, found]",
        ),
        (_result_plain(table=_table_plain(expectations=[[1, 2]])), "other than text"),
        (
            _result_plain(table={k: v for k, v in _table_plain().items() if k != "expectations"}),
            "lacks expectations",
        ),
        (_result_plain(table=_table_plain(sort_keys=[None])), "has 1 entries for 2 columns"),
        (_result_plain(table=_table_plain(sort_keys=["1.0", None])), "are 1 for 2 rows"),
        (_result_plain(table=_table_plain(sort_keys=[3, None])), "is a int, not text"),
        (_result_plain(table=_table_plain(spans=[[0, 0, 0]])), "has 3 numbers, not 4"),
        (_result_plain(table=_table_plain(spans=[[2, 0, 1, 0]])), "reaches outside the table"),
        (_result_plain(table=_table_plain(spans=[[0, -1, 0, 0]])), "span is -1"),
        (_result_plain(table=_table_plain(index_columns=3)), "index_columns is 3 for 2"),
        (_result_plain(table=_table_plain(truncated="many")), "truncated is 'many'"),
        (_result_plain(table=_table_plain(csv=b"x,y")), "csv is a bytes"),
        # Charts: files by known MIME type, as bytes; none with a problem.
        (
            _result_plain(table=None, chart={"files": {}, "alt": "", "problem": None}),
            "files are []",
        ),
        (
            _result_plain(
                table=None,
                chart={"files": {**_GOOD_FILES, "image/png": "x"}, "alt": "", "problem": None},
            ),
            "MIME type -> bytes",
        ),
        (
            _result_plain(table=None, chart={"files": _GOOD_FILES, "alt": "", "problem": "bad"}),
            "not []",
        ),
        (
            _result_plain(table=None, chart={"files": _GOOD_FILES, "alt": None, "problem": None}),
            "alt text is a NoneType",
        ),
        # Errors: a known kind, a positive line.
        (_result_plain(table=None, error={**_GOOD_ERROR, "kind": "oops"}), "'oops' is unknown"),
        (_result_plain(table=None, error={**_GOOD_ERROR, "line": 0}), "line is 0"),
        (_result_plain(table=None, error={**_GOOD_ERROR, "line": "3"}), "line is '3'"),
        (_result_plain(table=None, error={**_GOOD_ERROR, "in_preamble": 1}), "not a bool"),
        (_result_plain(table=None, error=[]), "error is a list"),
        # The result itself: exactly one outcome, typed fields.
        (_result_plain(table=None), "holds nothing"),
        (_result_plain(error=_GOOD_ERROR), "holds ['table', 'error']"),
        (_result_plain(files_read=["/a", 3]), "files_read holds something other"),
        (_result_plain(seconds="1"), "seconds is '1'"),
        (_result_plain(seconds=-1.0), "seconds is -1.0"),
        ({k: v for k, v in _result_plain().items() if k != "output"}, "lacks output"),
        ("a table", "result is a str"),
    ],
)
def test_malformed_results_are_protocol_errors(plain: object, complaint: str) -> None:
    with pytest.raises(protocol.ProtocolError, match=re.escape(complaint)):
        SnippetResult.from_plain(plain)


@pytest.mark.parametrize(
    ("plain", "complaint"),
    [
        ({"result": _result_plain()}, "lacks id"),
        ({"id": 1}, "lacks result"),
        ({"id": "1", "result": _result_plain()}, "request id is '1'"),
        ({"id": 1, "result": None}, "result is a NoneType"),
    ],
)
def test_malformed_answers_are_protocol_errors(plain: object, complaint: str) -> None:
    with pytest.raises(protocol.ProtocolError, match=re.escape(complaint)):
        WorkerAnswer.from_plain(plain)


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
