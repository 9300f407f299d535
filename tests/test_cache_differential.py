"""Differential test of the result cache: incremental builds never show stale tables.

A hypothesis state machine edits a small project (a CSV keeping its size, a
helper module that two pages import, a snippet, the preamble, an option, a
``:depends:`` file that the snippet's SQLite reads in C, where the file guard
cannot see it; touching files, deleting and restoring a file). After each step, an
incremental build with the cache must give byte-identical table HTML to a
clean build with the cache off.

Each step is two Sphinx builds, so the number of examples is small in the
normal suite; ``DF_TABLE_DIFFERENTIAL_EXAMPLES=50`` runs a longer search.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import sqlite3
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest
import sphinx
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sphinx.testing.util import SphinxTestApp

pytestmark = [pytest.mark.matrix, pytest.mark.slow]

PAGES = ("data", "helper", "helper2", "depends", "shared")
DIGITS = st.integers(min_value=0, max_value=9)
#: Reads ``notes.db`` in SQLite's C code (``ATTACH`` raises no audit event), past
#: the file guard: only ``:depends:`` covers it.
UNSEEN_READ = """\
import sqlite3
con = sqlite3.connect(":memory:")
con.execute("ATTACH DATABASE 'file:notes.db?mode=ro' AS n")
df = pd.read_sql("SELECT note FROM n.notes", con)"""


def _sphinx_path(path: Path) -> Any:
    if sphinx.version_info >= (7, 2):
        return path
    from sphinx.testing.path import path as legacy_path  # type: ignore[import-not-found,unused-ignore]

    return legacy_path(str(path))


def _tables(outdir: Path) -> dict[str, list[str]]:
    """Each page's ``<table>`` elements, as written."""
    found = {}
    for page in PAGES:
        html = (outdir / f"{page}.html").read_text(encoding="utf-8")
        found[page] = re.findall(r"<table.*?</table>", html, flags=re.DOTALL)
    return found


def _build(srcdir: Path, builddir: Path, **kwargs: Any) -> dict[str, list[str]]:
    app = SphinxTestApp(
        "html", srcdir=_sphinx_path(srcdir), builddir=_sphinx_path(builddir), **kwargs
    )
    try:
        app.build()
    finally:
        app.cleanup()
    return _tables(Path(app.outdir))


class CacheDifferential(RuleBasedStateMachine):
    """A project under random edits, built incrementally with the cache and from scratch."""

    def __init__(self) -> None:
        super().__init__()
        self.root = Path(tempfile.mkdtemp(prefix="df-table-differential-"))
        self.src = self.root / "src"
        self.src.mkdir()
        self.last_mtime = 0
        self.state = {
            "csv": (1, 2),
            "helper": 3,
            "scale": 1,
            "preamble": 1,
            "notes": 4,
            "shared": 5,
            "allowed": True,
        }
        (self.root / "shared").mkdir()
        self.max_rows: int | None = None
        self.csv_deleted = False
        self._write(
            "index.rst",
            "Index\n=====\n\n.. toctree::\n\n" + "".join(f"   {page}\n" for page in PAGES),
        )
        for name in ("conf.py", "data.csv", "helpers.py", "notes.db", "shared.csv", *PAGES):
            self._render(name)

    def teardown(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)

    # ------------------------------------------------------------ the files

    def _write(self, name: str, text: str) -> None:
        path = self.src / name
        path.write_text(text, encoding="utf-8")
        self._advance(path)

    def _advance(self, path: Path) -> None:
        """Give ``path`` an mtime later than any before: real edits are apart in time,
        and Sphinx, like any stat-based check, cannot see two edits in one tick."""
        self.last_mtime = max(time.time_ns(), self.last_mtime + 1_000_000)
        os.utime(path, ns=(self.last_mtime, self.last_mtime))

    def _render(self, name: str) -> None:
        state = self.state
        if name == "conf.py":
            allowed = "['../shared']" if state["allowed"] else "[]"
            self._write(
                name,
                "import os, sys\nsys.path.insert(0, os.path.abspath('.'))\n"
                "extensions = ['sphinx_df_table']\n"
                f"df_table_preamble = 'OFFSET = {state['preamble']}'\n"
                f"df_table_allowed_paths = {allowed}\n",
            )
        elif name == "shared.csv":
            # Outside the source folder, in a folder of df_table_allowed_paths.
            path = self.root / "shared" / name
            path.write_text(f"s\n{state['shared']}\n", encoding="utf-8")
            self._advance(path)
        elif name == "shared":
            self._write(
                "shared.rst",
                "Shared\n======\n\n.. df-table::\n\n   df = pd.read_csv('../shared/shared.csv')\n",
            )
        elif name == "data.csv":
            a, b = state["csv"]
            self._write(name, f"x\n{a}\n{b}\n")
        elif name == "helpers.py":
            self._write(
                name,
                "import pandas as pd\n\n\ndef frame(k):\n"
                f"    return pd.DataFrame({{'h': [{state['helper']} * k]}})\n",
            )
        elif name == "notes.db":
            path = self.src / name
            path.unlink(missing_ok=True)
            with contextlib.closing(sqlite3.connect(path)) as con, con:
                con.execute("CREATE TABLE notes (note TEXT)")
                con.execute("INSERT INTO notes VALUES (?)", (f"note {state['notes']}",))
            self._advance(path)
        elif name == "data":
            option = "" if self.max_rows is None else f"   :max-rows: {self.max_rows}\n"
            code = f"df = pd.read_csv('data.csv') * {state['scale']} + OFFSET"
            self._write("data.rst", f"Data\n====\n\n.. df-table::\n{option}\n   {code}\n")
        elif name in ("helper", "helper2"):
            # Two pages import the same module: each must see its edits.
            k = 1 if name == "helper" else 2
            self._write(
                f"{name}.rst",
                f"{name}\n=======\n\n.. df-table::\n\n"
                f"   import helpers\n   df = helpers.frame({k})\n",
            )
        else:
            body = "".join(f"   {line}\n" for line in UNSEEN_READ.splitlines())
            self._write(
                "depends.rst",
                f"Depends\n=======\n\n.. df-table::\n   :depends: notes.db\n\n{body}",
            )

    # ---------------------------------------------------------------- edits

    @precondition(lambda self: not self.csv_deleted)
    @rule(a=DIGITS, b=DIGITS)
    def edit_csv_keeping_its_size(self, a: int, b: int) -> None:
        self.state["csv"] = (a, b)
        self._render("data.csv")

    @rule(value=st.integers(min_value=0, max_value=99))
    def edit_helper_module(self, value: int) -> None:
        self.state["helper"] = value
        self._render("helpers.py")

    @rule(value=DIGITS)
    def edit_depends_file_keeping_its_size(self, value: int) -> None:
        self.state["notes"] = value
        self._render("notes.db")

    @rule(value=DIGITS)
    def edit_allowed_file_keeping_its_size(self, value: int) -> None:
        self.state["shared"] = value
        self._render("shared.csv")

    @rule()
    def toggle_allowed_paths(self) -> None:
        self.state["allowed"] = not self.state["allowed"]
        self._render("conf.py")

    @rule(scale=st.integers(min_value=1, max_value=3))
    def edit_snippet(self, scale: int) -> None:
        self.state["scale"] = scale
        self._render("data")

    @rule(offset=st.integers(min_value=0, max_value=2))
    def edit_preamble(self, offset: int) -> None:
        self.state["preamble"] = offset
        self._render("conf.py")

    @rule(max_rows=st.sampled_from([None, 1]))
    def edit_option(self, max_rows: int | None) -> None:
        self.max_rows = max_rows
        self._render("data")

    @rule(name=st.sampled_from(["data.csv", "helpers.py", "notes.db", "data.rst"]))
    def touch(self, name: str) -> None:
        if (self.src / name).exists():
            self._advance(self.src / name)

    @precondition(lambda self: not self.csv_deleted)
    @rule()
    def delete_csv(self) -> None:
        (self.src / "data.csv").unlink()
        self.csv_deleted = True

    @precondition(lambda self: self.csv_deleted)
    @rule()
    def restore_csv(self) -> None:
        self._render("data.csv")
        self.csv_deleted = False

    # ------------------------------------------------------------- the check

    @invariant()
    def incremental_build_matches_a_clean_one(self) -> None:
        incremental = _build(self.src, self.root / "incremental")
        clean_dir = Path(tempfile.mkdtemp(dir=self.root, prefix="clean-"))
        clean = _build(self.src, clean_dir, freshenv=True, confoverrides={"df_table_cache": False})
        shutil.rmtree(clean_dir, ignore_errors=True)
        assert incremental == clean
        assert len(clean["helper"]) == len(clean["helper2"]) == len(clean["depends"]) == 1
        assert f"<p>note {self.state['notes']}</p>" in clean["depends"][0]
        assert len(clean["data"]) == (0 if self.csv_deleted else 1)
        assert len(clean["shared"]) == (1 if self.state["allowed"] else 0)


def test_incremental_builds_with_the_cache_match_clean_builds() -> None:
    examples = int(os.environ.get("DF_TABLE_DIFFERENTIAL_EXAMPLES", "2"))
    run_state_machine_as_test(
        CacheDifferential,
        settings=settings(
            max_examples=examples,
            stateful_step_count=6,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            # No shrinking: every step is two builds; a failure prints its steps.
            phases=[Phase.explicit, Phase.reuse, Phase.generate],
        ),
    )


@pytest.mark.parametrize(
    "steps",
    [
        # A data file in a folder of df_table_allowed_paths, edited: the page
        # must be read again (it was not, once).
        [("edit_allowed_file_keeping_its_size", 7)],
        # Two pages import one helper module; it is edited.
        [("edit_helper_module", 42)],
        [("toggle_allowed_paths", None), ("toggle_allowed_paths", None)],
        [("edit_depends_file_keeping_its_size", 9)],
    ],
    ids=["allowed-file", "helper-module", "allowed-paths-off-on", "depends-file"],
)
def test_known_sequences(steps: list[tuple[str, int | None]]) -> None:
    """Sequences the state machine must handle, run every time (the random
    search of a few examples may not draw them)."""
    machine = CacheDifferential()
    try:
        machine.incremental_build_matches_a_clean_one()
        for rule_name, value in steps:
            rule_method = getattr(machine, rule_name)
            rule_method() if value is None else rule_method(value)
            machine.incremental_build_matches_a_clean_one()
    finally:
        machine.teardown()
