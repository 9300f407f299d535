"""Warnings of bad snippets: suppressing them, -W, included files, the preamble.

The bad inputs themselves, one located warning each, are in ``test_bad_input.py``.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import re
from pathlib import Path

import pytest
from sphinx.testing.util import SphinxTestApp

import sphinx_df_table
from sphinx_df_table.diagnostics import DfTableWarning
from sphinx_df_table.errors import DfTableError, ErrorKind

from .helpers import copy_root, run_sphinx_build, warnings_of

pytestmark = pytest.mark.matrix


@pytest.mark.sphinx("html", testroot="errors-suppressed")
def test_warnings_can_be_suppressed(built: SphinxTestApp) -> None:
    remaining = warnings_of(built)
    assert len(remaining) == 1 and remaining[0].endswith("[df_table.result]")


def test_dash_w_fails_the_build(tmp_path: Path) -> None:
    src = copy_root("errors-dash-w", tmp_path / "src")
    ok = run_sphinx_build(src, tmp_path / "out-ok", "-q", "-b", "html")
    assert ok.returncode == 0
    assert re.search(
        r"index\.rst:7: WARNING: df-table snippet failed: ZeroDivisionError", ok.stderr
    )
    strict = run_sphinx_build(src, tmp_path / "out-w", "-q", "-W", "-b", "html")
    assert strict.returncode != 0
    assert "ZeroDivisionError" in strict.stderr


@pytest.mark.sphinx("html", testroot="errors-include")
def test_warning_in_an_included_file_names_that_file(built: SphinxTestApp) -> None:
    (warning,) = warnings_of(built)
    assert f"{Path(built.srcdir, 'parts', 'bad.inc')}:4:" in warning
    assert "NameError: name 'undefined_name' is not defined" in warning


@pytest.mark.sphinx("html", testroot="errors-preamble")
def test_preamble_error_points_at_the_preamble(built: SphinxTestApp) -> None:
    (warning,) = warnings_of(built)
    assert "index.rst:4:" in warning
    assert "(df_table_preamble, line 2)" in warning
    assert "ModuleNotFoundError" in warning


@pytest.mark.sphinx("html", testroot="errors-preamble-each")
def test_preamble_is_run_before_each_snippet(built: SphinxTestApp) -> None:
    assert warnings_of(built) == []
    html = (built.outdir / "index.html").read_text(encoding="utf-8")
    # The second table sees the preamble's value, not the first snippet's change.
    assert html.count("<p>3600</p>") == 2


@pytest.mark.sphinx("html", testroot="errors-include-cwd")
def test_locations_do_not_depend_on_the_working_directory(app: SphinxTestApp) -> None:
    """docutils names included files relative to the cwd; warnings name them absolutely."""
    here = os.getcwd()
    os.chdir(Path(app.srcdir).parent)  # a cwd that shares a prefix with the project
    try:
        app.build()
    finally:
        os.chdir(here)
    option, failure = warnings_of(app)
    inc = Path(app.srcdir, "parts", "bad.inc")
    assert option.startswith(f"{inc}:1:") and "[df_table.option]" in option
    assert failure.startswith(f"{inc}:9:") and "NameError" in failure


# ------------------------------------------------------- one error vocabulary


def test_every_error_kind_is_the_warning_subtype_of_the_same_name() -> None:
    for kind in ErrorKind:
        assert DfTableWarning[kind.name].value == kind.value
        assert DfTableWarning.of(kind) is DfTableWarning[kind.name]


def _package_modules() -> list[str]:
    """Every module of the package, but ``worker.__main__`` (importing it serves)."""
    prefix = f"{sphinx_df_table.__name__}."
    walked = pkgutil.walk_packages(sphinx_df_table.__path__, prefix)
    return [sphinx_df_table.__name__] + [
        info.name for info in walked if not info.name.endswith(".__main__")
    ]


def test_every_exception_of_the_package_derives_from_df_table_error() -> None:
    defined = [
        value
        for name in _package_modules()
        for value in vars(importlib.import_module(name)).values()
        if isinstance(value, type) and issubclass(value, BaseException) and value.__module__ == name
    ]
    assert len(defined) >= 10, defined  # the walk found the modules
    strays = [
        f"{cls.__module__}.{cls.__qualname__}"
        for cls in defined
        if not issubclass(cls, DfTableError)
    ]
    assert strays == [], f"not derived from errors.DfTableError: {strays}"
    assert [cls for cls in defined if cls.__name__ == "DfTableError"] == [DfTableError]
