"""Warnings of bad snippets: suppressing them, -W, included files, the preamble.

The bad inputs themselves, one located warning each, are in ``test_bad_input.py``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from .helpers import run_sphinx_build, warnings_of, write_project

pytestmark = pytest.mark.matrix


def test_warnings_can_be_suppressed(build) -> None:  # type: ignore[no-untyped-def]
    app = build(
        {"index.rst": "T\n=\n\n.. df-table::\n\n   df = 1 / 0\n\n.. df-table::\n\n   df = 3\n"},
        conf='suppress_warnings = ["df_table.exception"]\n',
    )
    remaining = warnings_of(app)
    assert len(remaining) == 1 and remaining[0].endswith("[df_table.result]")


def test_dash_w_fails_the_build(tmp_path: Path) -> None:
    src = write_project(
        tmp_path / "src",
        {"index.rst": "T\n=\n\n.. df-table::\n\n   df = pd.DataFrame({'a': [1]})\n   1 / 0\n"},
    )
    ok = run_sphinx_build(src, tmp_path / "out-ok", "-q", "-b", "html")
    assert ok.returncode == 0
    assert re.search(
        r"index\.rst:7: WARNING: df-table snippet failed: ZeroDivisionError", ok.stderr
    )
    strict = run_sphinx_build(src, tmp_path / "out-w", "-q", "-W", "-b", "html")
    assert strict.returncode != 0
    assert "ZeroDivisionError" in strict.stderr


def test_warning_in_an_included_file_names_that_file(build) -> None:  # type: ignore[no-untyped-def]
    app = build(
        {
            "index.rst": "T\n=\n\n.. include:: parts/bad.inc\n",
            "parts/bad.inc": ".. df-table::\n\n   x = 1\n   df = undefined_name\n",
        }
    )
    (warning,) = warnings_of(app)
    assert f"{Path(app.srcdir, 'parts', 'bad.inc')}:4:" in warning
    assert "NameError: name 'undefined_name' is not defined" in warning


def test_preamble_error_points_at_the_preamble(build) -> None:  # type: ignore[no-untyped-def]
    app = build(
        {"index.rst": "T\n=\n\n.. df-table::\n\n   df = pd.DataFrame({'a': [1]})\n"},
        conf="df_table_preamble = 'x = 1\\nimport not_a_module_xyz'\n",
    )
    (warning,) = warnings_of(app)
    assert "index.rst:4:" in warning
    assert "(df_table_preamble, line 2)" in warning
    assert "ModuleNotFoundError" in warning


def test_preamble_is_run_before_each_snippet(build) -> None:  # type: ignore[no-untyped-def]
    app = build(
        {
            "index.rst": "T\n=\n\n.. df-table::\n   :name: t\n\n"
            "   df = pd.DataFrame({'v': [RATE]})\n   RATE = 99\n\n"
            ".. df-table::\n   :name: u\n\n   df = pd.DataFrame({'v': [RATE]})\n"
        },
        conf="df_table_preamble = 'RATE = 3600'\n",
    )
    assert warnings_of(app) == []
    html = (app.outdir / "index.html").read_text(encoding="utf-8")
    # The second table sees the preamble's value, not the first snippet's change.
    assert html.count("<p>3600</p>") == 2


def test_locations_do_not_depend_on_the_working_directory(build, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """docutils names included files relative to the cwd; warnings name them absolutely."""
    here = os.getcwd()
    os.chdir(tmp_path)  # a cwd that shares a prefix with the project
    try:
        app = build(
            {
                "index.rst": "T\n=\n\n.. include:: parts/bad.inc\n",
                "parts/bad.inc": ".. df-table::\n   :header-rows: x\n\n   df = 1\n\n"
                ".. df-table::\n\n   x = 1\n   df = undefined_name\n",
            }
        )
    finally:
        os.chdir(here)
    option, failure = warnings_of(app)
    inc = Path(app.srcdir, "parts", "bad.inc")
    assert option.startswith(f"{inc}:1:") and "[df_table.option]" in option
    assert failure.startswith(f"{inc}:9:") and "NameError" in failure
