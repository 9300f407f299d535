"""Issue #13: in every writer, the table a reader sees is the frame, exactly.

One project (``tests/roots/test-writers``) holds a table for each case; it is
built once per builder, and each test reads the cells back from the output of
the builders where its case applies: HTML and EPUB through their markup, man
through its ``tbl`` rows, Texinfo through its ``@multitable`` rows, LaTeX
through its table environments, text through its grid lines.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from typing import NamedTuple

import pandas as pd
import pytest
from bs4 import BeautifulSoup

from .helpers import copy_root, make_app, out_dir, warnings_of

pytestmark = pytest.mark.matrix

BUILDERS = ("html", "latex", "text", "man", "texinfo", "epub")
#: The df-tables of the page, in order (man and Texinfo tables have no names).
TABLES = (
    "long30",
    "short29",
    "max30",
    "head2",
    "classlong",
    "spans",
    "split",
    "splitcols",
    "literal",
    "formatted",
)
#: The file each builder writes the page to.
OUTPUT = {
    "html": "index.html",
    "epub": "index.xhtml",
    "latex": "w.tex",
    "text": "index.txt",
    "man": "w.1",
    "texinfo": "w.texi",
}


class Built(NamedTuple):
    output: str
    warnings: list[str]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Built]]:
    """Each builder's output of the project, built on first use."""
    srcdir = copy_root("writers", tmp_path_factory.mktemp("writers") / "src")

    class Lazy(dict[str, Built]):
        def __missing__(self, builder: str) -> Built:
            app = make_app(builder, srcdir)
            try:
                app.build()
            finally:
                app.cleanup()
            text = (out_dir(app) / OUTPUT[builder]).read_text(encoding="utf-8")
            self[builder] = Built(text, warnings_of(app))
            return self[builder]

    yield Lazy()


def html_rows(output: str, name: str) -> list[list[tuple[str, int]]]:
    """Rows of table ``name``: each cell's text and rowspan."""
    table = BeautifulSoup(output, "html.parser").find("table", id=name)
    assert table is not None
    return [
        [(cell.get_text(), int(cell.get("rowspan", 1))) for cell in tr.find_all(["td", "th"])]
        for tr in table.find_all("tr")
    ]


def man_tables(output: str) -> list[list[list[str]]]:
    """Every ``tbl`` table of a man page: rows of cell texts.

    docutils 0.18 rules a line above the first row too: rows without cells
    are no rows.
    """
    tables = []
    for block in re.findall(r"^\.TS\n.*?\.\n(.*?)^\.TE$", output, re.S | re.M):
        rows = [
            [cell.strip() for cell in re.findall(r"T\{\n(.*?)T\}", row, re.S)]
            for row in re.split(r"^_\n", block, flags=re.M)
        ]
        tables.append([row for row in rows if row])
    return tables


def texinfo_tables(output: str) -> list[list[list[str]]]:
    """Every ``@multitable`` of a Texinfo file: rows of cell texts."""
    tables = []
    for block in re.findall(r"^@multitable[^\n]*\n(.*?)^@end multitable", output, re.S | re.M):
        rows = re.split(r"^@(?:head)?item\n", block, flags=re.M)[1:]
        tables.append([[c.strip() for c in re.split(r"^@tab\n", row, flags=re.M)] for row in rows])
    return tables


def grid(builder: str, output: str, name: str) -> list[list[str]]:
    """Table ``name`` as a grid of cell texts, in a writer without merged cells."""
    tables = man_tables(output) if builder == "man" else texinfo_tables(output)
    assert len(tables) == len(TABLES)
    return tables[TABLES.index(name)]


def latex_environments(tex: str) -> list[tuple[str, str]]:
    """(environment, column spec) of each table, in order."""
    # Sphinx 5.3 writes a longtable's alignment ("[c]") before the spec.
    pattern = r"\\begin\{(longtable|tabulary|tabular)\}(?:\[[clr]\])?(?:\{\\linewidth\}\[t\])?(.*)"
    return re.findall(pattern, tex)


@pytest.mark.parametrize("builder", BUILDERS)
def test_no_writer_warns(built: dict[str, Built], builder: str) -> None:
    """Spans, long tables and literal cells give no docutils or Sphinx warning."""
    assert built[builder].warnings == []


def test_latex_colspec_is_the_one_in_the_tex(built: dict[str, Built]) -> None:
    """Case 1: Sphinx counts every row (header, body, "... more rows"); so does df-table."""
    tex = built["latex"].output
    found = latex_environments(tex)
    assert [env for env, _ in found] == [
        "longtable",  # 30 body rows + the header: 31 rows
        "tabulary",  # 29 + 1: 30 rows
        "longtable",  # :max-rows: 30: header, 30 rows, "... 10 more rows"
        "longtable",  # :header-rows: 2 on 30 rows: 2 + 29
        "longtable",  # :class: longtable
        *["tabulary"] * 5,
    ]
    for env, spec in found:
        if env == "longtable":
            # p columns as wide as their content (df-table's measure).
            assert "p{" in spec and not re.search(r"[LRCJT]", re.sub(r"\{.*?\}", "", spec))
        else:
            assert re.fullmatch(r"\{\|(?:[LRC]\|)+\}", spec), spec
    assert tex.count(r"\endhead") == 4  # each longtable repeats its header
    assert "tabulary syntax" not in "".join(built["latex"].warnings)


@pytest.mark.parametrize("builder", ["man", "texinfo"])
def test_spans_are_unmerged_where_the_writer_cannot_draw_them(
    built: dict[str, Built], builder: str
) -> None:
    """Case 2: merged index and column labels repeat; no value moves a column."""
    assert grid(builder, built[builder].output, "spans") == [
        ["", "", "load", "load"],
        ["region", "site", "x", "y"],
        ["north", "a", "1", "4.5"],
        ["north", "b", "2", "5.5"],
        ["south", "c", "3", "6.5"],
    ]


@pytest.mark.parametrize("builder", ["html", "epub"])
def test_spans_stay_merged_where_the_writer_draws_them(
    built: dict[str, Built], builder: str
) -> None:
    rows = html_rows(built[builder].output, "spans")
    assert rows[2][0] == ("north", 2) and len(rows[3]) == 3


@pytest.mark.parametrize("builder", ["html", "epub"])
def test_split_span_repeats_the_label_on_both_sides(built: dict[str, Built], builder: str) -> None:
    """Case 5: ``:header-rows: 2`` cuts "north" (three rows) after its first row."""
    rows = html_rows(built[builder].output, "split")
    assert rows == [
        [("region", 1), ("site", 1), ("v", 1)],
        [("north", 1), ("a", 1), ("10", 1)],
        [("north", 2), ("b", 1), ("20", 1)],
        [("c", 1), ("30", 1)],
        [("south", 1), ("d", 1), ("40", 1)],
    ]
    # A column span in a label row that :header-rows: 0 moved into the body.
    assert html_rows(built[builder].output, "splitcols")[0] == [
        ("speed", 1),
        ("speed", 1),
        ("size", 1),
    ]


@pytest.mark.parametrize("builder", ["man", "texinfo"])
def test_split_span_in_writers_without_spans(built: dict[str, Built], builder: str) -> None:
    output = built[builder].output
    assert grid(builder, output, "split") == [
        ["region", "site", "v"],
        ["north", "a", "10"],
        ["north", "b", "20"],
        ["north", "c", "30"],
        ["south", "d", "40"],
    ]
    assert grid(builder, output, "splitcols")[0] == ["speed", "speed", "size"]


def test_split_span_in_latex_and_text(built: dict[str, Built]) -> None:
    # "north": the split table's header cell and its merged body cell; the
    # spans table's merged cell.
    assert built["latex"].output.count(r"\sphinxmultirow{2}") == 2
    assert len(re.findall(r"\| north", built["text"].output)) == 3


def literal_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "flag": ["--verbose", "'auto'", "wait...", '"q"'],
            "raw": [b"it's", b"a--b", b"x", b"y"],
        }
    )


def csv_rows(frame: pd.DataFrame) -> list[list[str]]:
    """The cells of ``frame.to_csv(index=False)``."""
    return list(csv.reader(io.StringIO(frame.to_csv(index=False))))


@pytest.mark.parametrize("builder", ["html", "epub"])
def test_literal_cells_are_not_smartened(built: dict[str, Built], builder: str) -> None:
    """Case 3: ``:markup: none`` shows the to_csv text; formats are shown as made."""
    rows = html_rows(built[builder].output, "literal")
    assert [[text for text, _ in row] for row in rows] == csv_rows(literal_frame())
    formatted = [[text for text, _ in row] for row in html_rows(built[builder].output, "formatted")]
    # The format's and :na-rep:'s text as written; an rst cell still gets smart quotes.
    assert formatted == [["price", "note"], ["1.50''", "\u2018rst\u2019"], ["--", "x"]]


@pytest.mark.parametrize("builder", ["man", "texinfo"])
def test_literal_cells_in_man_and_texinfo(built: dict[str, Built], builder: str) -> None:
    def unescape(cell: str) -> str:
        """The text a reader sees: man's escapes, Texinfo's guard against a ligature."""
        for escape, char in (("\\-", "-"), ("\\(aq", "'"), ("\\(dq", '"'), ("@w{'}", "'")):
            cell = cell.replace(escape, char)
        return cell

    cells = grid(builder, built[builder].output, "literal")
    assert [[unescape(cell) for cell in row] for row in cells] == csv_rows(literal_frame())
    formatted = grid(builder, built[builder].output, "formatted")
    assert [unescape(row[0]) for row in formatted[1:]] == ["1.50''", "--"]


def test_literal_cells_in_latex(built: dict[str, Built]) -> None:
    tex = built["latex"].output
    assert r"\sphinxhyphen{}\sphinxhyphen{}verbose" in tex
    assert r"\textquotesingle{}auto\textquotesingle{}" in tex
    assert "wait..." in tex and "wait\u2026" not in tex
    assert "\u2018rst\u2019" in tex  # smart quotes still apply to rst cells
