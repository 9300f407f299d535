"""A bad snippet is a located, typed warning; the page and the build go on."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from sphinx.testing.util import SphinxTestApp

from .helpers import run_sphinx_build, warnings_of, write_project

pytestmark = pytest.mark.matrix

# Each case: (snippet lines, options, subtype, snippet line to blame or None, message part)
CASES = {
    "syntax": (["x = 1", "df = pd.DataFrame(", "y = 2"], [], "syntax", 2, "SyntaxError"),
    "exception": (
        ["df = pd.DataFrame({'a': [1]})", "df = df['missing column']"],
        [],
        "exception",
        2,
        "KeyError: 'missing column'",
    ),
    "missing-file": (
        ["x = 1", "df = pd.read_csv('no-such-file.csv')"],
        [],
        "exception",
        2,
        "FileNotFoundError",
    ),
    "no-df": (["frame = pd.DataFrame({'a': [1]})"], [], "result", None, "did not define 'df'"),
    "not-a-frame": (["df = [1, 2, 3]"], [], "result", None, "not list"),
    "empty": (["df = pd.DataFrame({'a': []})"], [], "result", None, "empty DataFrame"),
    "bad-option": (
        ["df = pd.DataFrame({'a': [1]})"],
        [":header-rows: many"],
        "option",
        None,
        ":header-rows:",
    ),
    "bad-markup": (
        ["df = pd.DataFrame({'a': [1]})"],
        [":markup: html"],
        "option",
        None,
        ":markup:",
    ),
    "bad-var": (["df = pd.DataFrame({'a': [1]})"], [":df-var: 2x"], "option", None, ":df-var:"),
    "too-many-header-rows": (
        ["df = pd.DataFrame({'a': [1]})"],
        [":header-rows: 2"],
        "option",
        None,
        "leaves no body rows",
    ),
    "widths-mismatch": (
        ["df = pd.DataFrame({'a': [1]})"],
        [":widths: 1 2"],
        "option",
        None,
        ":widths: has 2 values",
    ),
    "preamble-name": (["df = helper_from_preamble()"], [], "exception", 1, "NameError"),
}


def page() -> tuple[str, dict[str, int], dict[str, int]]:
    """A page with every bad case between good tables; returns the text and where
    each case's directive and snippet start (1-based document lines)."""
    lines = ["Errors", "======", ""]
    directive_line: dict[str, int] = {}
    first_snippet_line: dict[str, int] = {}
    for name, (snippet, options, *_rest) in CASES.items():
        lines += [
            ".. df-table::",
            f"   :name: good-before-{name}",
            "",
            f"   df = pd.DataFrame({{'good': ['{name}']}})",
            "",
        ]
        directive_line[name] = len(lines) + 1
        lines += [".. df-table::", *(f"   {o}" for o in options), ""]
        first_snippet_line[name] = len(lines) + 1
        lines += [f"   {s}" for s in snippet] + [""]
    lines += ["Last paragraph still renders.", ""]
    return "\n".join(lines), directive_line, first_snippet_line


@pytest.fixture(scope="module")
def built(module_build) -> tuple[SphinxTestApp, dict[str, int], dict[str, int]]:  # type: ignore[no-untyped-def]
    text, directive_line, first_snippet_line = page()
    app = module_build({"index.rst": text})
    return app, directive_line, first_snippet_line


@pytest.mark.parametrize("name", list(CASES))
def test_each_bad_table_is_one_located_typed_warning(built, name: str) -> None:  # type: ignore[no-untyped-def]
    app, directive_line, first_snippet_line = built
    _snippet, _options, subtype, blamed, message = CASES[name]
    expected_line = (
        first_snippet_line[name] + blamed - 1 if blamed is not None else directive_line[name]
    )
    index = str(Path(app.srcdir, "index.rst"))
    mine = [w for w in warnings_of(app) if f"{index}:{expected_line}:" in w]
    assert len(mine) == 1, warnings_of(app)
    assert mine[0].endswith(f"[df_table.{subtype}]")
    assert message in mine[0]


def test_one_warning_per_bad_table_and_good_tables_render(built) -> None:  # type: ignore[no-untyped-def]
    app, *_ = built
    assert len(warnings_of(app)) == len(CASES)
    html = (app.outdir / "index.html").read_text(encoding="utf-8")
    for name in CASES:
        assert f'id="good-before-{name}"' in html
        assert f"<p>{name}</p>" in html
    assert "Last paragraph still renders." in html


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
