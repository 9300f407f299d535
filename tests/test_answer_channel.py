"""The channel from the worker to Sphinx is typed and bounded (issue #12).

A fake worker, speaking the protocol wrongly on purpose, stands in for the real
one: an answer with bytes after it, or for another request, taints the worker
(it is replaced, and the result is a crash, which is never cached); an answer
over ``df_table_max_result_size`` is refused before it is read.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from sphinx_df_table.execute import runner as runner_module
from sphinx_df_table.execute.runner import RunnerSettings, SnippetRequest, SnippetRunner

from .helpers import warnings_of

pytestmark = pytest.mark.matrix

FAKE = """\
import os, sys
sys.path.insert(0, {src!r})
from sphinx_df_table import messages
from sphinx_df_table.messages import SnippetResult, WorkerAnswer, TableData
from sphinx_df_table.messages import ColumnFacts

req, resp = int(sys.argv[1]), int(sys.argv[2])
messages.read_message(req, plain=False)
messages.write_message(resp, {{"ready": True, "sandbox": "fake"}})
while True:
    try:
        request = messages.read_message(req, plain=False)
    except messages.ProtocolError:
        break
    table = TableData(header=[["a"]], body=[["1"]], columns=[ColumnFacts("number", "right")])
    answer = WorkerAnswer({id_expr}, SnippetResult(table=table)).to_plain()
    data = messages.encode_message(answer)
    os.write(resp, data + {extra!r})
"""


def _fake_runner(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, id_expr: str, extra: bytes
) -> SnippetRunner:
    folder = tmp_path / "fake"
    folder.mkdir()
    src = str(Path(runner_module.__file__).resolve().parents[2])
    (folder / "fake_worker.py").write_text(FAKE.format(src=src, id_expr=id_expr, extra=extra))
    monkeypatch.setenv("PYTHONPATH", str(folder))
    monkeypatch.setattr(runner_module, "WORKER_MODULE", "fake_worker")
    return SnippetRunner(RunnerSettings(srcdir=str(tmp_path)))


@pytest.mark.parametrize(
    ("id_expr", "extra", "complaint"),
    [
        ('request["id"]', b"", None),  # the control: a well-behaved fake is believed
        ('request["id"]', b"\x00\x00garbage", "bytes after the answer"),
        ('request["id"] + 7', b"", "answer to request"),
    ],
)
def test_a_misbehaving_worker_is_replaced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, id_expr: str, extra: bytes, complaint: str
) -> None:
    runner = _fake_runner(tmp_path, monkeypatch, id_expr, extra)
    try:
        result = runner.run(SnippetRequest("df = anything", cwd=str(tmp_path)))
        first = runner._handle
        if complaint is None:
            assert result.error is None and result.table is not None
            assert runner.sandbox == "fake"
            return
        assert result.error is not None and result.error.kind == "crash"
        assert complaint in result.error.message
        assert result.table is None
        # Tainted: the next request gets another worker.
        runner.run(SnippetRequest("df = anything", cwd=str(tmp_path)))
        assert runner._handle is not first
    finally:
        runner.close()


def test_a_result_over_the_size_limit_is_refused_in_the_worker(tmp_path: Path) -> None:
    runner = SnippetRunner(RunnerSettings(srcdir=str(tmp_path), max_result_size=2**20))
    try:
        big = runner.run(
            SnippetRequest("df = pd.DataFrame({'a': ['x' * 300_000] * 6})", cwd=str(tmp_path))
        )
        small = runner.run(
            SnippetRequest("df = pd.DataFrame({'a': ['x' * 1000] * 6})", cwd=str(tmp_path))
        )
    finally:
        runner.close()
    assert big.error is not None and big.error.kind == "result"
    assert "df_table_max_result_size" in big.error.message and "1 MiB" in big.error.message
    assert small.error is None and small.table is not None


def test_max_result_size_in_a_build(build) -> None:  # type: ignore[no-untyped-def]
    """Issue #12, case 7: the page gets one located warning naming the setting."""
    page = textwrap.dedent(
        """\
        Big
        ===

        .. df-table::

           df = pd.DataFrame({'cell': ['x' * 400_000] * 6})
        """
    )
    app = build({"index.rst": page}, conf='df_table_max_result_size = "1MiB"\n')
    (warning,) = warnings_of(app)
    assert "index.rst:4:" in warning and "df_table_max_result_size" in warning, warning
    assert "[df_table.result]" in warning
    assert "xxxxxxxxxx" not in (app.outdir / "index.html").read_text(encoding="utf-8")
