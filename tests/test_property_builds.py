"""Property test: any DataFrame builds in every writer, every value in its own cell.

Hypothesis draws a handful of frames per example (mixed dtypes: int, float with
NaN/inf, bool, tz-aware datetime, timedelta, category, object with None, text
with reST-special characters, unicode, newlines and long strings; duplicate
and odd labels; single cells; MultiIndex rows and columns of random depth with
repeated labels), each with a ``:header-rows:`` from 0 to its label rows + 3
(or none). The frames go into one project as pickles, each read by a
``df-table``; the project is built with html, latex, text, man and texinfo,
none of which may warn. HTML, man and Texinfo are read back cell by cell (a
merged cell stands for each cell it covers); LaTeX and text must hold every
value's words.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from bs4 import BeautifulSoup, Tag
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sphinx.testing.util import SphinxTestApp

from sphinx_df_table.messages import TableData
from sphinx_df_table.output.latex_fit import FLOOR, FONT_SIZES, LANDSCAPE_WIDTH, text_ems
from sphinx_df_table.worker.frame_cells import frame_to_table

from .helpers import make_app, warnings_of, write_project

pytestmark = pytest.mark.matrix

TEXT = st.text(
    alphabet=st.characters(
        exclude_categories=("Cs", "Cc", "Co", "Cn", "Zl", "Zp"), include_characters="\n"
    ),
    max_size=15,
) | st.sampled_from(
    ["|x|", "*a*", "_b_", "`c`", "- item", "1.", "a\nb", "y" * 120, "\\", "::", ".. x", "é€😀"]
)


@st.composite
def column(draw: st.DrawFn, rows: int) -> pd.Series:
    kind = draw(st.sampled_from(["int", "float", "bool", "tz", "td", "cat", "obj", "str"]))
    if kind == "int":
        return pd.Series(
            draw(st.lists(st.integers(-(10**12), 10**12), min_size=rows, max_size=rows))
        )
    if kind == "float":
        values = st.floats(allow_nan=True, allow_infinity=True, width=64)
        return pd.Series(draw(st.lists(values, min_size=rows, max_size=rows)), dtype=float)
    if kind == "bool":
        return pd.Series(draw(st.lists(st.booleans(), min_size=rows, max_size=rows)))
    if kind == "tz":
        stamps = st.datetimes(
            min_value=pd.Timestamp("1990-01-01").to_pydatetime(),
            max_value=pd.Timestamp("2040-01-01").to_pydatetime(),
        )
        values = draw(st.lists(stamps, min_size=rows, max_size=rows))
        return pd.Series(pd.to_datetime(values)).dt.tz_localize("Asia/Kolkata")
    if kind == "td":
        seconds = draw(st.lists(st.integers(-(10**7), 10**7), min_size=rows, max_size=rows))
        return pd.Series(pd.to_timedelta(seconds, unit="s"))
    if kind == "cat":
        return pd.Series(draw(st.lists(TEXT, min_size=rows, max_size=rows)), dtype="category")
    if kind == "obj":
        return pd.Series(
            draw(st.lists(st.none() | TEXT | st.integers(), min_size=rows, max_size=rows)),
            dtype=object,
        )
    return pd.Series(draw(st.lists(TEXT, min_size=rows, max_size=rows)), dtype="string")


#: Index and column labels: a few that repeat (so that levels merge), or any text.
LABEL = st.sampled_from(["a", "b", "\u00e9", 1, 2]) | TEXT


@st.composite
def frames(draw: st.DrawFn) -> pd.DataFrame:
    rows = draw(st.integers(1, 4))
    width = draw(st.integers(1, 4))
    data = {f"c{i}": draw(column(rows)) for i in range(width)}
    frame = pd.DataFrame(data)
    # Duplicates and odd labels allowed; 1 to 3 levels of column labels.
    levels = [
        draw(st.lists(LABEL, min_size=width, max_size=width))
        for _ in range(draw(st.integers(1, 3)))
    ]
    frame.columns = levels[0] if len(levels) == 1 else pd.MultiIndex.from_arrays(levels)
    # No index (a RangeIndex, hidden), a named one, or a MultiIndex of 2 or 3 levels.
    depth = draw(st.integers(0, 3))
    if depth:
        keys = [draw(st.lists(LABEL, min_size=rows, max_size=rows)) for _ in range(depth)]
        frame.index = (
            pd.Index(keys[0], name="ix") if depth == 1 else pd.MultiIndex.from_arrays(keys)
        )
    return frame


@st.composite
def tables(draw: st.DrawFn) -> tuple[pd.DataFrame, int | None]:
    """A frame and its ``:header-rows:`` (``None``: the option left out)."""
    frame = draw(frames())
    labels = frame.columns.nlevels
    header_rows = draw(st.none() | st.integers(0, labels + 3))
    if header_rows is not None:  # at least one body row must remain
        header_rows = min(header_rows, labels + len(frame) - 1)
    return frame, header_rows


def full_grid(data: TableData) -> list[list[str]]:
    """Header then body rows, each merged cell's text in every cell it covers."""
    grid = [list(row) for row in (*data.header, *data.body)]
    for row, column, morerows, morecols in data.spans:
        for r in range(row, row + morerows + 1):
            for c in range(column, column + morecols + 1):
                grid[r][c] = grid[row][column]
    return grid


def html_grid(table: Tag) -> list[list[str]]:
    """The cells of an HTML table by position; a merged cell fills what it covers."""
    cells: dict[tuple[int, int], str] = {}
    rows = table.find_all("tr")
    for r, tr in enumerate(rows):
        c = 0
        for cell in tr.find_all(["td", "th"]):
            while (r, c) in cells:
                c += 1
            for dr in range(int(cell.get("rowspan", 1))):
                for dc in range(int(cell.get("colspan", 1))):
                    cells[r + dr, c + dc] = cell.get_text()
            c += int(cell.get("colspan", 1))
    width = max(c for _, c in cells) + 1
    return [[cells.get((r, c), "<missing>") for c in range(width)] for r in range(len(rows))]


def man_grids(output: str) -> list[list[list[str]]]:
    """Every ``tbl`` table of a man page: rows of cell texts (a tab: next cell)."""
    tables = []
    for block in re.findall(r"^\.TS\n.*?\.\n(.*?)^\.TE$", output, re.S | re.M):
        rows: list[list[str]] = [[]]
        for cell in re.finditer(r"T\{\n(.*?)T\}(\t|\n)", block, re.S):
            rows[-1].append(cell.group(1))
            if cell.group(2) == "\n":
                rows.append([])
        tables.append(rows[:-1])
    return tables


def texinfo_grids(output: str) -> list[list[list[str]]]:
    """Every ``@multitable`` of a Texinfo file: rows of cell texts."""
    return [
        [
            re.split(r"^@tab\n", row, flags=re.M)
            for row in re.split(r"^@(?:head)?item\n", block, flags=re.M)[1:]
        ]
        for block in re.findall(r"^@multitable[^\n]*\n(.*?)^@end multitable", output, re.S | re.M)
    ]


def tokens(text: str, *, ascii_only: bool, longest_word: int | None = None) -> list[str]:
    """Words a writer keeps intact: it may wrap lines, escape punctuation and
    (LaTeX) turn some non-ASCII letters such as superscripts into macros.

    Tokens longer than 20 are left out, and with ``longest_word`` those of
    longer words (between spaces; a wide character counts twice): a writer that
    wraps at a width breaks such words anywhere."""
    pattern = r"[A-Za-z0-9]+" if ascii_only else r"[^\W_]+"
    if longest_word is not None:
        text = " ".join(word for word in text.split() if display_width(word) <= longest_word)
    return [t for t in re.findall(pattern, text) if len(t) <= 20]


def display_width(text: str) -> int:
    """Columns ``text`` takes in a terminal: East Asian wide characters take two."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def build(src: Path, builder: str) -> SphinxTestApp:
    app = make_app(builder, src)
    try:
        app.build()
    finally:
        app.cleanup()
    return app


# Each example is five Sphinx builds: a few examples of several frames each, and
# no shrinking (it would rebuild dozens of times); a failure prints the frames.
def _cannot_fit_a_page(grid: list[list[str]]) -> bool:
    """Whether a table holds a word so long (half a landscape line or more at
    the smallest automatic size) that, beside the label columns repeated in
    each part, LaTeX cannot give it room: then, and only then, the build may
    say so with a ``df_table.latex`` warning."""
    limit = LANDSCAPE_WIDTH / 2 / FONT_SIZES[FLOOR]
    return any(text_ems(word) >= limit for row in grid for text in row for word in text.split())


def _directive_lines(lines: list[str], tables: list[int]) -> list[int]:
    """The line numbers (1-based) of the df-table directives numbered ``tables``."""
    starts = [n + 1 for n, line in enumerate(lines) if line == ".. df-table::"]
    return [starts[i] for i in tables]


@settings(
    max_examples=4,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
)
@given(st.lists(tables(), min_size=5, max_size=5))
def test_any_frame_builds_everywhere(  # type: ignore[no-untyped-def]
    tmp_path_factory, drawn: list[tuple[pd.DataFrame, int | None]]
) -> None:
    src = tmp_path_factory.mktemp("prop")
    lines = ["Property", "========", ""]
    files: dict[str, str] = {}
    for i, (_, header_rows) in enumerate(drawn):
        lines += [".. df-table::", "   :markup: none", f"   :name: t{i}"]
        if header_rows is not None:
            lines.append(f"   :header-rows: {header_rows}")
        lines += ["", f"   df = pd.read_pickle('f{i}.pkl')", ""]
    files["index.rst"] = "\n".join(lines)
    write_project(
        src,
        files,
        conf="smartquotes = False\n"
        "latex_documents = [('index', 'p.tex', 'P', 'A', 'manual')]\n"
        "man_pages = [('index', 'p', 'P', ['A'], 1)]\n"
        "texinfo_documents = [('index', 'p', 'P', 'A', 'p', 'P', 'Misc')]\n",
    )
    for i, (frame, _) in enumerate(drawn):
        frame.to_pickle(src / f"f{i}.pkl")
    expected = [full_grid(frame_to_table(frame)) for frame, _ in drawn]

    html = build(src, "html")
    assert warnings_of(html) == []
    soup = BeautifulSoup((html.outdir / "index.html").read_text(encoding="utf-8"), "html.parser")
    for i, grid in enumerate(expected):
        table = soup.find("table", id=f"t{i}")
        assert isinstance(table, Tag)
        assert html_grid(table) == grid

    # Writers without merged cells: each value in its own cell, by position.
    for builder, name, read in (("man", "p.1", man_grids), ("texinfo", "p.texi", texinfo_grids)):
        app = build(src, builder)
        assert warnings_of(app) == [], builder
        shown = read((app.outdir / name).read_text(encoding="utf-8"))
        assert len(shown) == len(expected), builder
        for grid, table_cells in zip(expected, shown, strict=True):
            assert [len(row) for row in table_cells] == [len(row) for row in grid], builder
            for row, shown_row in zip(grid, table_cells, strict=True):
                for text, cell in zip(row, shown_row, strict=True):
                    for token in tokens(text, ascii_only=True):
                        assert token in cell, (builder, token, text, cell)

    for builder, suffix in (("latex", "p.tex"), ("text", "index.txt")):
        app = build(src, builder)
        unfit = [i for i, grid in enumerate(expected) if _cannot_fit_a_page(grid)]
        assert [
            w
            for w in warnings_of(app)
            if not any(f"index.rst:{line}:" in w for line in _directive_lines(lines, unfit))
        ] == [], builder
        for w in warnings_of(app):  # a table that cannot fit: the one warning that says so
            assert "[df_table.latex]" in w and "too little room" in w, w
        output = (app.outdir / suffix).read_text(encoding="utf-8")
        for grid in expected:
            # The text writer wraps each cell at its colspec's width (100 / columns
            # characters), breaking longer words; a wide character counts twice.
            longest = None if builder == "latex" else 100 // len(grid[0]) - 2
            for row in grid:
                for text in row:
                    for token in tokens(text, ascii_only=True, longest_word=longest):
                        assert token in output, (builder, token, text)


def test_strategy_covers_the_hard_cases() -> None:
    """The generator reaches the dtypes and characters the issue names."""
    seen: set[str] = set()

    @settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
    @given(tables())
    def collect(table: tuple[pd.DataFrame, int | None]) -> None:
        frame, header_rows = table
        seen.add(f"index depth {frame.index.nlevels}")
        seen.add(f"column depth {frame.columns.nlevels}")
        if frame_to_table(frame).spans:
            seen.add("merged labels")
        if header_rows == 0:
            seen.add("no header rows")
        elif header_rows is not None and header_rows > frame.columns.nlevels:
            seen.add("data rows in the header")
        for dtype in frame.dtypes:
            seen.add(str(dtype).split("[")[0])
        if frame.columns.duplicated().any():
            seen.add("duplicate labels")
        if frame.size == 1:
            seen.add("single cell")
        values = frame.astype(str).to_numpy().ravel()
        if any(np.isin(["nan", "inf"], values)):
            seen.add("nan/inf")

    collect()
    assert {
        "int64",
        "float64",
        "bool",
        "datetime64",
        "timedelta64",
        "category",
        "object",
        "string",
        "single cell",
        "duplicate labels",
        "index depth 3",
        "column depth 3",
        "merged labels",
        "no header rows",
        "data rows in the header",
    } <= seen
