"""Files a snippet reads become Sphinx dependencies of its page, and only those.

One project is built once; each test then changes one file (or nothing), rebuilds
incrementally and checks exactly which documents Sphinx read again. Every test
leaves the project up to date for the next one.
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

from .helpers import warnings_of, write_project

pytestmark = pytest.mark.matrix


def table(code: str, *options: str) -> str:
    body = "\n".join(f"   {line}" if line else "" for line in code.strip().splitlines())
    return "\n".join([".. df-table::", *(f"   {o}" for o in options), "", body, ""])


#: docname -> (page body, files (relative to srcdir) that must be its dependencies)
PAGES: dict[str, tuple[str, set[str]]] = {
    "csv": (table("df = pd.read_csv('data/shared.csv')"), {"data/shared.csv"}),
    "also_csv": (
        table("df = pd.read_csv('data/shared.csv').head(1)")
        + table("df = pd.read_csv('data/own.csv')"),
        {"data/shared.csv", "data/own.csv"},
    ),
    "json": (table("df = pd.read_json('data/frame.json')"), {"data/frame.json"}),
    "tsv": (table("df = pd.read_table('data/table.tsv')"), {"data/table.tsv"}),
    "fwf": (table("df = pd.read_fwf('data/fixed.txt')"), {"data/fixed.txt"}),
    "pickle": (table("df = pd.read_pickle('data/frame.pkl')"), {"data/frame.pkl"}),
    "sql": (
        table(
            "import sqlite3\n"
            "with sqlite3.connect('data/db.sqlite') as con:\n"
            "    df = pd.read_sql('select * from t', con)"
        ),
        {"data/db.sqlite"},
    ),
    "open": (
        table(
            "with open('data/open.txt') as f:\n    df = pd.DataFrame({'line': f.read().split()})"
        ),
        {"data/open.txt"},
    ),
    "pathlib": (
        table(
            "from pathlib import Path\n"
            "df = pd.DataFrame({'line': Path('data/pathlib.txt').read_text().split()})"
        ),
        {"data/pathlib.txt"},
    ),
    "npload": (table("df = pd.DataFrame(np.load('data/array.npy'))"), {"data/array.npy"}),
    "loadtxt": (table("df = pd.DataFrame(np.loadtxt('data/loadtxt.txt'))"), {"data/loadtxt.txt"}),
    "genfromtxt": (
        table("df = pd.DataFrame(np.genfromtxt('data/gen.csv', delimiter=','))"),
        {"data/gen.csv"},
    ),
    "fromfile": (
        table("df = pd.DataFrame(np.fromfile('data/raw.bin', dtype=np.int64))"),
        {"data/raw.bin"},
    ),
    "sub/relative": (table("df = pd.read_csv('../data/relative.csv')"), {"data/relative.csv"}),
    # A symlink inside the source directory: the file it points to is the dependency.
    "link": (table("df = pd.read_csv('data/link.csv')"), {"data/target.csv"}),
    # The snippet fails after reading: fixing the data must rebuild the page.
    "failing": (
        table("df = pd.read_csv('data/failing.csv')\nraise ValueError('bad data')"),
        {"data/failing.csv"},
    ),
    "depends": (
        table("df = pd.DataFrame({'a': [1]})", ":depends: notes/extra.txt data/own.csv"),
        {"notes/extra.txt", "data/own.csv"},
    ),
    # Allowed to read, but outside the source directory: not a dependency.
    "outside": (table("df = pd.read_csv('../shared/outside.csv')"), set()),
    # Files that do not exist are never dependencies (Sphinx would re-read the
    # page on every build).
    "maybe": (
        table(
            "try:\n"
            "    df = pd.read_csv('data/missing.csv')\n"
            "except FileNotFoundError:\n"
            "    df = pd.DataFrame({'a': [1]})"
        ),
        set(),
    ),
    "depends_missing": (table("df = pd.DataFrame({'a': [1]})", ":depends: nowhere.txt"), set()),
    "plain": (table("df = pd.DataFrame({'a': [1]})"), set()),
}


def write_data(srcdir: Path) -> None:
    data = srcdir / "data"
    data.mkdir(parents=True)
    frame = pd.DataFrame({"a": [1, 2], "b": [3, 4]})
    for name in ("shared.csv", "own.csv", "relative.csv", "target.csv", "failing.csv"):
        frame.to_csv(data / name, index=False)
    (data / "link.csv").symlink_to("target.csv")
    frame.to_json(data / "frame.json")
    frame.to_csv(data / "table.tsv", sep="\t", index=False)
    (data / "fixed.txt").write_text("a  b\n1  3\n2  4\n")
    frame.to_pickle(data / "frame.pkl")
    with sqlite3.connect(data / "db.sqlite") as con:
        frame.to_sql("t", con, index=False)
    con.close()
    (data / "open.txt").write_text("x y\n")
    (data / "pathlib.txt").write_text("x y\n")
    np.save(data / "array.npy", np.arange(4).reshape(2, 2))
    (data / "loadtxt.txt").write_text("1 2\n3 4\n")
    (data / "gen.csv").write_text("1,2\n3,4\n")
    np.arange(3, dtype=np.int64).tofile(data / "raw.bin")
    (srcdir / "notes").mkdir()
    (srcdir / "notes" / "extra.txt").write_text("not read by any snippet\n")
    (srcdir.parent / "shared").mkdir()
    frame.to_csv(srcdir.parent / "shared" / "outside.csv", index=False)


@dataclass
class Project:
    srcdir: Path
    first: SphinxTestApp

    def rebuild(self) -> tuple[SphinxTestApp, list[str]]:
        """An incremental build; returns the app and the docnames Sphinx read."""
        app = SphinxTestApp("html", srcdir=self.srcdir)
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
    srcdir = tmp_path_factory.mktemp("deps") / "src"
    pages = {
        f"{name}.rst": f"{name}\n{'=' * len(name)}\n\n{body}" for name, (body, _) in PAGES.items()
    }
    pages["index.rst"] = "Index\n=====\n\n.. toctree::\n   :glob:\n\n   *\n   sub/*\n"
    write_project(srcdir, {}, conf='df_table_allowed_paths = ["../shared"]\n')
    for name, text in pages.items():
        (srcdir / name).parent.mkdir(parents=True, exist_ok=True)
        (srcdir / name).write_text(text, encoding="utf-8")
    write_data(srcdir)
    app = SphinxTestApp("html", srcdir=srcdir)
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
    expected = {str((project.srcdir / f).resolve()) for f in PAGES[docname][1]}
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


def test_files_outside_the_source_dir_never_trigger_rebuilds(project: Project) -> None:
    os.utime(project.srcdir.parent / "shared" / "outside.csv")
    _, read = project.rebuild()
    assert read == []
