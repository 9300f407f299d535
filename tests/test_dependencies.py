"""Files a snippet reads become Sphinx dependencies of its page, and only those.

One project (a copy of the test root ``dependencies``) is built once; each test
then changes one file (or nothing), rebuilds incrementally and checks exactly
which documents Sphinx read again. Every test leaves the project up to date for
the next one.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sphinx.testing.util import SphinxTestApp

from .helpers import copy_root, make_app, warnings_of

pytestmark = pytest.mark.matrix


#: docname -> the files (relative to srcdir) that must be its dependencies. The
#: pages are those of the test root ``dependencies``.
PAGES: dict[str, set[str]] = {
    "csv": {"data/shared.csv"},
    "also_csv": {"data/shared.csv", "data/own.csv"},
    "json": {"data/frame.json"},
    "tsv": {"data/table.tsv"},
    "fwf": {"data/fixed.txt"},
    "pickle": {"data/frame.pkl"},
    "sql": {"data/db.sqlite"},
    "open": {"data/open.txt"},
    "pathlib": {"data/pathlib.txt"},
    "npload": {"data/array.npy"},
    "loadtxt": {"data/loadtxt.txt"},
    "genfromtxt": {"data/gen.csv"},
    "fromfile": {"data/raw.bin"},
    "sub/relative": {"data/relative.csv"},
    # A symlink inside the source directory: the file it points to is the dependency.
    "link": {"data/target.csv"},
    # The snippet fails after reading: fixing the data must rebuild the page.
    "failing": {"data/failing.csv"},
    "depends": {"notes/extra.txt", "data/own.csv"},
    # Outside the source directory, in a folder of df_table_allowed_paths: the
    # numbers on the page come from it, so a change must rebuild the page.
    "outside": {"../shared/outside.csv"},
    # Files that do not exist are never dependencies (Sphinx would re-read the
    # page on every build).
    "maybe": set(),
    "depends_missing": set(),
    "plain": set(),
}


def write_data(srcdir: Path) -> None:
    """Add to the copied test root what cannot be stored in it: binary files in the
    formats of the installed pandas/NumPy/SQLite, a symlink (copying the root
    would follow it), and a file next to the source directory."""
    data = srcdir / "data"
    frame = pd.DataFrame({"a": [1, 2], "b": [3, 4]})
    (data / "link.csv").symlink_to("target.csv")
    frame.to_pickle(data / "frame.pkl")
    with sqlite3.connect(data / "db.sqlite") as con:
        frame.to_sql("t", con, index=False)
    con.close()
    np.save(data / "array.npy", np.arange(4).reshape(2, 2))
    np.arange(3, dtype=np.int64).tofile(data / "raw.bin")
    (srcdir.parent / "shared").mkdir()
    frame.to_csv(srcdir.parent / "shared" / "outside.csv", index=False)


@dataclass
class Project:
    srcdir: Path
    first: SphinxTestApp

    def rebuild(self) -> tuple[SphinxTestApp, list[str]]:
        """An incremental build; returns the app and the docnames Sphinx read."""
        app = make_app("html", self.srcdir)
        read: list[str] = []
        app.connect("env-before-read-docs", lambda _app, _env, names: read.extend(names))
        try:
            app.build()
        finally:
            app.cleanup()
        return app, sorted(read)

    def touch(self, name: str) -> None:
        path = self.srcdir / name
        time.sleep(0.01)  # a clearly later mtime than the last read of any page
        os.utime(path)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Project]:
    srcdir = copy_root("dependencies", tmp_path_factory.mktemp("deps") / "src")
    write_data(srcdir)
    app = make_app("html", srcdir)
    try:
        app.build()
    finally:
        app.cleanup()
    yield Project(srcdir, app)


def test_first_build_warns_only_where_expected(project: Project) -> None:
    warnings = warnings_of(project.first)
    assert len(warnings) == 2, warnings
    assert any("failing.rst:7:" in w and "ValueError: bad data" in w for w in warnings)
    assert any("depends_missing.rst" in w and "nowhere.txt" in w for w in warnings)


@pytest.mark.parametrize("docname", sorted(PAGES))
def test_files_read_are_the_dependencies(project: Project, docname: str) -> None:
    expected = {str((project.srcdir / f).resolve()) for f in PAGES[docname]}
    noted = {str(p) for p in project.first.env.dependencies.get(docname, set())}
    assert noted == expected


def test_no_change_rebuild_reads_nothing(project: Project) -> None:
    _, read = project.rebuild()
    assert read == []


@pytest.mark.parametrize(
    ("changed", "reread"),
    [
        ("data/shared.csv", ["also_csv", "csv"]),
        ("data/own.csv", ["also_csv", "depends"]),
        ("data/frame.json", ["json"]),
        ("data/db.sqlite", ["sql"]),
        ("data/raw.bin", ["fromfile"]),
        ("data/target.csv", ["link"]),
        ("data/relative.csv", ["sub/relative"]),
        ("data/failing.csv", ["failing"]),
        ("notes/extra.txt", ["depends"]),
    ],
)
def test_touching_a_file_rereads_exactly_its_pages(
    project: Project, changed: str, reread: list[str]
) -> None:
    project.touch(changed)
    _, read = project.rebuild()
    assert read == reread
    # ... and once: the next build is quiet again.
    assert project.rebuild()[1] == []


def test_a_file_in_an_allowed_folder_rereads_its_page(project: Project) -> None:
    """Issue #12: a data file outside the source folder (df_table_allowed_paths)
    is an input like any other; editing it updates the table."""
    outside = project.srcdir.parent / "shared" / "outside.csv"
    frame = pd.read_csv(outside)
    time.sleep(0.01)
    frame.assign(a=frame["a"] + 100).to_csv(outside, index=False)
    app, read = project.rebuild()
    assert read == ["outside"]
    html = (Path(app.outdir) / "outside.html").read_text(encoding="utf-8")
    assert "<p>101</p>" in html
    assert project.rebuild()[1] == []


def test_library_files_never_trigger_rebuilds(project: Project) -> None:
    """Files outside the source and allowed folders (the Python installation)
    are covered by the library versions in the cache key, not by Sphinx."""
    noted = {d for deps in project.first.env.dependencies.values() for d in map(str, deps)}
    assert not any("site-packages" in d or d.endswith(".py") for d in noted), noted
