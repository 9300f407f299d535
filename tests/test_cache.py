"""Result cache, build summary and incremental rebuilds."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest
from sphinx.testing.util import SphinxTestApp

from sphinx_df_table.errors import ErrorKind
from sphinx_df_table.execute.result_cache import ResultCache, cache_key
from sphinx_df_table.messages import SnippetError, SnippetResult, TableData

from .helpers import copy_root, make_app, status_text

pytestmark = pytest.mark.matrix

# ---------------------------------------------------------------- unit tests


def result(files: tuple[str, ...] = ()) -> SnippetResult:
    return SnippetResult(table=TableData([["a"]], [["1"]]), files_read=files, seconds=0.5)


def test_cache_round_trip_and_file_validation(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    data = src / "data.csv"
    data.write_text("a\n1\n", encoding="utf-8")
    library = tmp_path / "site-packages-file.py"
    library.write_text("x = 1\n", encoding="utf-8")
    cache = ResultCache(tmp_path / "cache", [str(src)])
    key = cache_key(code="df = 1", preamble="", result_var="df", cwd=str(src))
    assert cache.get(key) is None
    cache.put(key, result((str(data), str(library))))
    assert cache.get(key) == result((str(data), str(library)))
    # Touched but unchanged: still a hit.
    os.utime(data, ns=(time.time_ns() + 10**9, time.time_ns() + 10**9))
    assert cache.get(key) is not None
    # Files outside the tracked roots are covered by the library versions.
    library.write_text("x = 2\n", encoding="utf-8")
    assert cache.get(key) is not None
    data.write_text("a\n2\n", encoding="utf-8")
    assert cache.get(key) is None
    data.unlink()
    assert cache.get(key) is None


def test_errors_are_not_cached(tmp_path: Path) -> None:
    cache = ResultCache(tmp_path / "cache", [str(tmp_path)])
    key = cache_key(code="x", preamble="", result_var="df", cwd=str(tmp_path))
    cache.put(key, SnippetResult(error=SnippetError(kind=ErrorKind.EXCEPTION, message="boom")))
    assert cache.get(key) is None
    assert not list((tmp_path / "cache").rglob("*.pickle"))


@pytest.mark.parametrize(
    "change",
    [
        {"code": "df = 2"},
        {"preamble": "import os"},
        {"result_var": "result"},
        {"cwd": "/elsewhere"},
    ],
)
def test_key_covers_what_decides_the_result(change: dict[str, str]) -> None:
    base = {"code": "df = 1", "preamble": "", "result_var": "df", "cwd": "/src"}
    assert cache_key(**base) != cache_key(**{**base, **change})


def test_corrupt_entry_is_a_miss(tmp_path: Path) -> None:
    cache = ResultCache(tmp_path / "cache", [str(tmp_path)])
    key = cache_key(code="x", preamble="", result_var="df", cwd="/")
    cache.put(key, result())
    (entry,) = (tmp_path / "cache").rglob("*.pickle")
    entry.write_bytes(b"\x80\x05garbage")
    assert cache.get(key) is None


# --------------------------------------------------------------- build tests

# Test root ``cache``: pages ``page0`` to ``page<N_PAGES - 1>``, each with prose
# and a table read from ``data0.csv`` (even pages) or ``data1.csv`` (odd pages).
# The tests that edit it between builds build a copy.
N_PAGES = 4


def build_once(
    src: Path, *, confoverrides: dict[str, object] | None = None, verbosity: int = 0
) -> tuple[SphinxTestApp, set[str]]:
    """Build, and say which documents were read in this build."""
    app = make_app("html", src, confoverrides=confoverrides, verbosity=verbosity)
    before = dict(app.env.all_docs)
    try:
        app.build()
    finally:
        app.cleanup()
    read = {name for name, stamp in app.env.all_docs.items() if before.get(name) != stamp}
    return app, read


def summary(app: SphinxTestApp) -> str:
    found = re.findall(r"df-table: .*", status_text(app))  # type: ignore[attr-defined]
    assert len(found) == 1, status_text(app)
    return found[0]


def test_prose_edit_rebuild_runs_no_snippet(tmp_path: Path) -> None:
    src = copy_root("cache", tmp_path / "src")
    app, read = build_once(src)
    assert len(read) == N_PAGES + 1
    assert summary(app).startswith(f"df-table: {N_PAGES} tables, {N_PAGES} executed, 0 from cache")
    for i in range(N_PAGES):
        page = src / f"page{i}.rst"
        page.write_text(page.read_text(encoding="utf-8").replace("Prose.", "Edited prose."))
    app, read = build_once(src)
    assert read == {f"page{i}" for i in range(N_PAGES)}
    assert summary(app).startswith(f"df-table: {N_PAGES} tables, 0 executed, {N_PAGES} from cache")
    html = (app.outdir / "page3.html").read_text(encoding="utf-8")
    assert "Edited prose." in html and "<p>1</p>" in html and "<p>3</p>" in html


def test_touching_a_csv_rereads_exactly_its_pages(tmp_path: Path) -> None:
    src = copy_root("cache", tmp_path / "src")
    build_once(src)
    _app, read = build_once(src)
    assert read == set()  # nothing changed: nothing re-read
    time.sleep(0.01)
    (src / "data1.csv").write_text("x\n42\n", encoding="utf-8")
    app, read = build_once(src)
    assert read == {"page1", "page3"}
    assert summary(app).startswith("df-table: 2 tables, 2 executed, 0 from cache")
    assert "<p>42</p>" in (app.outdir / "page1.html").read_text(encoding="utf-8")


def test_no_cache_option_and_setting(tmp_path: Path) -> None:
    src = copy_root("cache", tmp_path / "src")
    off = {"df_table_cache": False}
    build_once(src, confoverrides=off)
    (src / "page0.rst").write_text(
        (src / "page0.rst").read_text(encoding="utf-8") + "\nMore.\n", encoding="utf-8"
    )
    app, _ = build_once(src, confoverrides=off)
    assert summary(app).startswith("df-table: 1 tables, 1 executed, 0 from cache")

    other = copy_root("cache", tmp_path / "other")
    page = other / "page0.rst"
    page.write_text(
        page.read_text(encoding="utf-8").replace(
            ".. df-table::\n", ".. df-table::\n   :no-cache:\n"
        ),
        encoding="utf-8",
    )
    build_once(other)
    for i in range(N_PAGES):
        p = other / f"page{i}.rst"
        p.write_text(p.read_text(encoding="utf-8") + "\nMore.\n", encoding="utf-8")
    app, _ = build_once(other)
    assert summary(app).startswith(f"df-table: {N_PAGES} tables, 1 executed, {N_PAGES - 1} from")


def test_verbose_lists_the_slowest_snippets(tmp_path: Path) -> None:
    # Through make_app: Sphinx's own app fixture takes no verbosity before 7.3.
    app, _ = build_once(copy_root("cache", tmp_path / "src"), verbosity=1)
    status = status_text(app)
    slow = re.findall(r"df-table: \d+\.\d{3} s  (\S+)", status)
    assert len(slow) == N_PAGES
    assert all(re.search(r"page\d\.rst:\d+$", location) for location in slow)
