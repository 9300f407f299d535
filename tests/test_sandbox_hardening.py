"""What a snippet leaves in the import system or in ``io`` cannot act unguarded later."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from .helpers import warnings_of

pytestmark = pytest.mark.matrix

PAGE = """\
Hardening
=========

.. df-table::
   :name: patch-io

   import io
   io.open = lambda *a, **k: __import__('_io').open({escape_io!r}, 'w')
   df = pd.DataFrame({{'step': ['patched io.open']}})

.. df-table::
   :name: finder

   import sys
   class Finder:
       def find_spec(self, *args):
           __import__('_io').open({escape_finder!r}, 'w')
   sys.meta_path.insert(0, Finder())
   df = pd.DataFrame({{'step': ['left a finder']}})

.. df-table::
   :name: later

   import wave, colorsys
   df = pd.DataFrame({{'step': ['later snippet']}})

.. df-table::
   :name: mpl
   :markup: none

   import matplotlib
   import matplotlib.pyplot as plt
   df = pd.DataFrame({{'configdir': [matplotlib.get_configdir()]}})
"""


@pytest.fixture
def escapes(tmp_path: Path) -> tuple[Path, Path]:
    return tmp_path / "escaped-via-io.txt", tmp_path / "escaped-via-finder.txt"


def test_patched_io_and_import_hooks_do_not_escape(build, escapes, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    escape_io, escape_finder = escapes
    app = build(
        {"index.rst": PAGE.format(escape_io=str(escape_io), escape_finder=str(escape_finder))},
        conf="df_table_cache = False\n",
    )
    assert warnings_of(app) == []
    html = (app.outdir / "index.html").read_text(encoding="utf-8")
    for step in ("patched io.open", "left a finder", "later snippet"):
        assert f"<p>{step}</p>" in html
    # The worker opened its output file after each snippet, and imported
    # modules for the later one: neither the patched open nor the finder ran.
    assert not escape_io.exists() and not escape_finder.exists()


def test_matplotlib_in_a_table_snippet_uses_the_workers_own_config(  # type: ignore[no-untyped-def]
    build, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("matplotlib", reason="the charts extra is installed by the test extra")
    # The config dir is shown in a table cell, literally (``:markup: none``):
    # the worker's temp dir has a random name (``mkdtemp``), and one ending in
    # "_" (1 in 37) would otherwise be read as a reST reference ("Unknown
    # target name"). A parent directory whose name is such markup makes that
    # case happen on every run instead of by chance.
    temp_root = tmp_path / "markup_"
    temp_root.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp_root))
    app = build(
        {"index.rst": PAGE.format(escape_io="/nonexistent/a", escape_finder="/nonexistent/b")}
    )
    assert warnings_of(app) == []
    html = (app.outdir / "index.html").read_text(encoding="utf-8")
    start = html.index('id="mpl"')
    configdir = html[start:].split("<td><p>", 1)[1].split("</p>", 1)[0]
    assert configdir.startswith(str(temp_root / "df-table-")) and configdir.endswith("matplotlib")
    assert not configdir.startswith(os.path.expanduser("~"))


def test_a_patched_io_open_is_not_called_by_the_workers_own_file_work(tmp_path: Path) -> None:
    """The worker imports matplotlib for a chart with the guard aside; a snippet's
    ``io.open`` from an earlier table must not be what it calls then.

    ``sys.modules['matplotlib'] = None`` in the first snippet stands in for a
    pandas whose Styler module does not import matplotlib (pandas 3): it is
    put back after the snippet, so the chart's import is the first one.
    """
    pytest.importorskip("matplotlib", reason="the charts extra is installed by the test extra")
    from sphinx_df_table.execute.runner import RunnerSettings, SnippetRequest, SnippetRunner

    escaped = tmp_path / "escaped"
    runner = SnippetRunner(RunnerSettings(srcdir=str(tmp_path)))
    try:
        first = runner.run(
            SnippetRequest(
                "import io, sys\n"
                f"io.open = lambda *a, **k: __import__('_io').open({str(escaped)!r}, 'w')\n"
                "sys.modules['matplotlib'] = None\n"
                "df = pd.DataFrame({'a': [1]})",
                cwd=str(tmp_path),
            )
        )
        assert first.error is None and first.table is not None
        chart = runner.run(
            SnippetRequest(
                "df = pd.DataFrame({'x': [1, 2], 'y': [3, 4]})",
                cwd=str(tmp_path),
                render={"chart": {}},
            )
        )
        assert chart.error is None and chart.chart is not None
    finally:
        runner.close()
    assert not escaped.exists()
