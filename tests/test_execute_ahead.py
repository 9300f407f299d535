"""Execute ahead (issue #15): snippets start before their pages are parsed.

The scan that finds snippets is a pure function, tested without Sphinx; the
builds check that directives really use the results run ahead (the plans
agree), that the output is the same with and without it, that a build whose
tables all come from the cache starts no worker, and that a build that stops
early leaves no process behind.
"""

from __future__ import annotations

import os
import signal
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sphinx.testing.util import SphinxTestApp

from sphinx_df_table.directives.ahead import scan_myst, scan_rest
from sphinx_df_table.directives.snippet import _slot

from .helpers import (
    TAG_VAR,
    make_app,
    run_sphinx_build,
    wait_until_gone,
    warnings_of,
    write_project,
)

pytestmark = pytest.mark.matrix


# --- the scan -----------------------------------------------------------------


def test_rest_scan_finds_directives_with_options_and_code() -> None:
    text = textwrap.dedent(
        """\
        Title
        =====

        .. df-table:: A caption
           :header-rows: 1
           :formats: a: {:.2f},
              b: {:,}

           df = pd.DataFrame({'a': [1]})

           df = df * 2

        Text.

        .. tab-set::

           .. tab-item:: One

              .. df-chart::
                 :kind: line

                 df = pd.DataFrame({'x': [1], 'y': [2]})
        """
    )
    found = list(scan_rest(text))
    assert found == [
        (
            "df-table",
            "A caption",
            {"header-rows": "1", "formats": "a: {:.2f},\nb: {:,}"},
            "df = pd.DataFrame({'a': [1]})\n\ndf = df * 2",
        ),
        ("df-chart", "", {"kind": "line"}, "df = pd.DataFrame({'x': [1], 'y': [2]})"),
    ]


def test_rest_scan_skips_examples_in_literal_text() -> None:
    text = textwrap.dedent(
        """\
        Write this::

           .. df-table::

              df = run_me_not()

        .. code-block:: rst

           .. df-table::

              df = nor_me()

        ..
           .. df-table::

              df = commented_out()

        .. df-table::

           df = but_me()
        """
    )
    assert [code for *_, code in scan_rest(text)] == ["df = but_me()"]


def test_myst_scan_finds_fences_and_skips_shown_code() -> None:
    text = textwrap.dedent(
        """\
        # Title

        ````markdown
        ```{df-table}
        df = shown_not_run()
        ```
        ````

        ```{df-table}
        :max-rows: 3

        df = pd.DataFrame({'a': [1]})
        ```

        ```{df-table}
        ---
        max-rows: 3
        ---
        df = yaml_options_left_to_the_directive()
        ```
        """
    )
    assert list(scan_myst(text)) == [
        ("df-table", "", {"max-rows": "3"}, "df = pd.DataFrame({'a': [1]})")
    ]


# --- builds ---------------------------------------------------------------------

SLOW = (
    ".. df-table::\n   :max-rows: 5\n\n   import time\n   time.sleep(0.2)\n"
    "   df = pd.DataFrame({{'page': [{page}], 'n': [{n}]}})\n\n"
)


def _pages(count: int, tables: int) -> dict[str, str]:
    files = {
        "index.rst": "Index\n=====\n\n.. toctree::\n\n"
        + "".join(f"   p{p}\n" for p in range(count))
    }
    for p in range(count):
        files[f"p{p}.rst"] = f"Page {p}\n======\n\n" + "".join(
            SLOW.format(page=p, n=n) for n in range(tables)
        )
    return files


def _tables(app: SphinxTestApp, count: int) -> list[str]:
    return [
        (Path(app.outdir) / f"p{p}.html").read_text(encoding="utf-8").split("<table", 1)[1]
        for p in range(count)
    ]


def test_directives_use_the_results_run_ahead(build: Callable[..., SphinxTestApp]) -> None:
    app = build(_pages(3, 3), conf="df_table_cache = False\n")
    assert warnings_of(app) == []
    assert _slot(app.env).ahead_used == 9
    assert _slot(app.env).ahead == {}  # each taken by its directive


def test_output_is_the_same_without_execute_ahead(tmp_path: Path) -> None:
    outputs = []
    for ahead in (True, False):
        src = write_project(
            tmp_path / f"src-{ahead}",
            _pages(2, 2),
            f"df_table_cache = False\ndf_table_execute_ahead = {ahead}\n",
        )
        app = make_app("html", src)
        try:
            app.build()
            assert _slot(app.env).ahead_used == (4 if ahead else 0)
            outputs.append(_tables(app, 2))
        finally:
            app.cleanup()
    assert outputs[0] == outputs[1]


def test_myst_pages_run_ahead(build: Callable[..., SphinxTestApp]) -> None:
    pytest.importorskip("myst_parser", reason="the test extra installs myst-parser")
    page = "# MyST\n\n```{df-table}\n:max-rows: 5\n\ndf = pd.DataFrame({'a': [1, 2]})\n```\n"
    app = build(
        {"index.md": page},
        conf="extensions = ['myst_parser', 'sphinx_df_table']\ndf_table_cache = False\n",
    )
    assert warnings_of(app) == []
    assert _slot(app.env).ahead_used == 1


def test_a_fully_cached_build_starts_no_worker(tmp_path: Path) -> None:
    src = write_project(tmp_path / "src", _pages(2, 2))
    first = make_app("html", src)
    try:
        first.build()
    finally:
        first.cleanup()
    # A fresh environment: every page is read again, every table is a cache hit.
    again = make_app("html", src, freshenv=True)
    try:
        again.build()
        slot = _slot(again.env)
        assert slot.runner is None or slot.runner._handle is None
        assert warnings_of(again) == []
    finally:
        again.cleanup()


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_build_that_stops_early_leaves_no_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, jobs: str
) -> None:
    """Slow snippets are submitted ahead; the first page fails the build
    (``df_table_raise_on_error``) before their directives collect them."""
    tag = f"ahead-{os.getpid()}-{jobs}-{time.monotonic_ns()}"
    monkeypatch.setenv(TAG_VAR, tag)
    files = {
        "index.rst": "Index\n=====\n\n.. toctree::\n\n" + "".join(f"   p{p}\n" for p in range(7)),
        "p0.rst": "P0\n==\n\n.. df-table::\n\n   raise ValueError('stop the build')\n",
    }
    for p in range(1, 7):
        files[f"p{p}.rst"] = (
            f"P{p}\n==\n\n.. df-table::\n   :timeout: 600\n\n"
            "   import time\n   time.sleep(600)\n   df = pd.DataFrame({'a': [1]})\n"
        )
    src = write_project(tmp_path / "src", files, "df_table_raise_on_error = True\n")
    result = run_sphinx_build(src, tmp_path / "out", "-j", jobs, "-q", timeout=120)
    assert result.returncode != 0 and "stop the build" in result.stderr, result.stderr
    left = wait_until_gone(tag, seconds=5)
    for pid, _ in left:
        os.kill(pid, signal.SIGKILL)
    assert left == []


@pytest.mark.parametrize("budget", [0, 64 * 2**20])
def test_cache_hits_found_ahead_are_kept_within_a_budget(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, budget: int
) -> None:
    from sphinx_df_table.directives import ahead

    monkeypatch.setattr(ahead, "HIT_BUDGET", budget)
    src = write_project(tmp_path / "src", _pages(2, 2))
    tables = []
    for fresh in (False, True):
        app = make_app("html", src, freshenv=fresh)
        try:
            app.build()
            tables.append(_tables(app, 2))
            slot = _slot(app.env)
            assert slot.ahead == {} and slot.ahead_hit_bytes == 0
        finally:
            app.cleanup()
    assert tables[0] == tables[1]


def test_many_submissions_with_large_answers_all_arrive(tmp_path: Path) -> None:
    """More requests, and more answers, than a pipe holds, all in flight at
    once: every answer arrives (run in a subprocess, so that a hang would be
    a timeout, not a hung suite)."""
    script = textwrap.dedent(
        f"""
        from sphinx_df_table.execute.runner import RunnerSettings, SnippetRequest, SnippetRunner
        runner = SnippetRunner(RunnerSettings(srcdir={str(tmp_path)!r}))
        # ~40 KB answers, and 3 KB requests: more of either than a pipe holds.
        code = "df = pd.DataFrame({{'text': ['x' * 200] * 200}})  #" + "pad" * 1000
        requests = [SnippetRequest(code + f" # {{n}}", cwd={str(tmp_path)!r}) for n in range(60)]
        tickets = [runner.submit(request) for request in requests]
        results = [runner.collect(t) for t in tickets]
        runner.close()
        print(sum(r is not None and r.table is not None for r in results))
        """
    )
    import subprocess
    import sys

    from .helpers import REPO

    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, "PYTHONPATH": str(REPO / "src")},
        check=False,
    )
    assert done.stdout.strip() == "60", done.stderr


def test_parallel_builds_run_ahead_in_the_order_readers_reach_documents() -> None:
    from sphinx.util.parallel import make_chunks

    from sphinx_df_table.directives.ahead import reading_order

    docnames = [f"d{n:02}" for n in range(41)]
    order = reading_order(docnames, 2)
    assert sorted(order) == docnames
    chunks = make_chunks(docnames, 2)  # 3 chunks: the first two read at once
    assert order[:4] == [chunks[0][0], chunks[1][0], chunks[0][1], chunks[1][1]]
    assert order[-len(chunks[2]) :] == chunks[2]
