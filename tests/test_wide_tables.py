"""Wide interactive tables at build time: which columns are frozen, hidden, filtered.

The choices reach the browser script as classes of the ``<table>``; what the
script does with them is tested in Chromium (tests/browser/test_wide_tables.py)
and its pure functions with Node (tests/js/). Other output formats show the
table as it is.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from bs4 import BeautifulSoup, Tag
from docutils import nodes
from sphinx.testing.util import SphinxTestApp

from sphinx_df_table.config import DfTableConfig
from sphinx_df_table.messages import ColumnFacts, TableData
from sphinx_df_table.output.wide_tables import (
    auto_filter_columns,
    column_names,
    default_freeze,
    filter_columns_option,
    labels_option,
    mark_wide_table,
)

from .helpers import warnings_of

pytestmark = pytest.mark.matrix

TEXT, NUMBER = ColumnFacts("text"), ColumnFacts("number", "right")


def frame(
    header: list[list[str]],
    body: list[list[str]],
    *,
    columns: list[ColumnFacts] | None = None,
    spans: list[list[int]] | None = None,
    index_columns: int = 0,
) -> TableData:
    """A table's data as the worker sends it; every column text unless ``columns`` says."""
    return TableData(
        header,
        body,
        columns=columns or [TEXT] * len(header[0]),
        spans=spans or [],
        index_columns=index_columns,
    )


BENCH = frame(
    [["Model", "Instance", "Unique", "Throughput"]],
    [
        ["a", "small", "w", "1"],
        ["a", "large", "x", "2"],
        ["b", "small", "y", "3"],
        ["b", "large", "z", "4"],
    ],
    columns=[TEXT, TEXT, TEXT, NUMBER],
)


# -- options and decisions, no Sphinx -------------------------------------------


def test_labels_are_one_per_line_and_may_hold_commas() -> None:
    assert labels_option("Scripts\n  Latency, ms \n\nCost") == ["Scripts", "Latency, ms", "Cost"]
    assert labels_option("Cost per 1M inferences") == ["Cost per 1M inferences"]
    with pytest.raises(ValueError):
        labels_option(None)


def test_filter_columns_none_turns_them_off() -> None:
    assert filter_columns_option("none") == []
    assert filter_columns_option(" None ") == []
    assert filter_columns_option("Inst. Type") == ["Inst. Type"]


def test_column_names_join_the_label_rows() -> None:
    data = frame(
        [["Model", "Latency", ""], ["", "P50", "P99"]],
        [["x", "1", "2"]],
        spans=[[0, 1, 0, 1]],  # "Latency" over both of its columns
    )
    assert column_names(data) == ["Model", "Latency / P50", "Latency / P99"]
    # An index name below an empty corner, and a label merged down a row.
    data = frame([["", "Value"], ["Model", ""]], [["a", "1"]], spans=[[0, 1, 1, 0]])
    assert column_names(data) == ["Model", "Value"]


def test_default_freeze_is_the_stubs_else_a_first_text_column() -> None:
    assert default_freeze(BENCH, None) == 1
    assert default_freeze(frame([["a", "b"]], [["1", "2"]], index_columns=2), None) == 2
    assert default_freeze(BENCH, 3) == 3  # :stub-columns:
    numbers = frame([["n", "m"]], [["1", "2"]], columns=[NUMBER, NUMBER])
    assert default_freeze(numbers, None) == 0


def test_auto_filters_are_repeating_text_columns_with_few_values() -> None:
    # Model (2 values) and Instance (2) repeat; Unique does not; numbers never.
    assert auto_filter_columns(BENCH) == [0, 1]
    one_value = frame([["Framework"]], [["PyTorch"]] * 5)
    assert auto_filter_columns(one_value) == []
    many = frame([["Name"]], [[f"n{i % 11}"] for i in range(40)])  # 11 values
    assert auto_filter_columns(many) == []
    with_blanks = frame([["Type"]], [["a"], [""], ["b"], [""], ["a"], ["b"]])
    assert auto_filter_columns(with_blanks) == [0]


def marked(data: TableData, **options: object) -> tuple[list[str], list[str]]:
    table = nodes.table(classes=["df-table"])
    messages = mark_wide_table(table, data, {"interactive": True, **options}, DfTableConfig())
    return [c for c in table["classes"] if c != "df-table"], messages


def test_classes_for_the_script() -> None:
    assert marked(BENCH) == (
        ["df-table-freeze-1", "df-table-freeze-first", "df-table-filter-0", "df-table-filter-1"],
        [],
    )
    chosen = {
        "freeze-columns": 2,
        "hidden-columns": ["Unique", "Throughput"],
        "filter-columns": ["Unique"],
    }
    assert marked(BENCH, **chosen) == (
        [
            "df-table-freeze-2",
            "df-table-freeze-first",
            "df-table-hide-2",
            "df-table-hide-3",
            "df-table-filter-2",
        ],
        [],
    )
    assert marked(BENCH, **{"freeze-columns": 0, "filter-columns": []}) == ([], [])


def test_a_merged_first_column_is_frozen_by_the_script_only() -> None:
    grouped = frame(
        [["Model", "Instance", "Value"]],
        [["a", "s", "1"], ["", "l", "2"]],
        index_columns=2,
        spans=[[1, 0, 1, 0]],
        columns=[TEXT, TEXT, NUMBER],
    )
    classes, _ = marked(grouped, **{"filter-columns": []})
    assert classes == ["df-table-freeze-2"]


def test_mistakes_are_messages_and_the_rest_applies() -> None:
    classes, messages = marked(
        BENCH, **{"hidden-columns": ["Unique", "Nope"], "filter-columns": ["Nah"]}
    )
    assert "df-table-hide-2" in classes
    assert not [c for c in classes if "filter" in c]
    assert messages == [
        ":hidden-columns: no column is labelled 'Nope'",
        ":filter-columns: no column is labelled 'Nah'",
    ]
    classes, messages = marked(
        BENCH,
        **{"freeze-columns": 4, "hidden-columns": ["Model", "Instance", "Unique", "Throughput"]},
    )
    assert not [c for c in classes if "freeze" in c or "hide" in c]
    assert messages == [
        ":freeze-columns: 4 leaves no column to scroll (the table has 4 columns)",
        ":hidden-columns: would hide every column",
    ]


def test_only_interactive_tables_take_the_options() -> None:
    table = nodes.table(classes=["df-table"])
    options = {"freeze-columns": 1, "filter-columns": ["Model"]}
    messages = mark_wide_table(table, BENCH, options, DfTableConfig())
    assert table["classes"] == ["df-table"]
    assert messages == [
        ":freeze-columns: applies to :interactive: tables only",
        ":filter-columns: applies to :interactive: tables only",
    ]
    # Nor does an ordinary table get the defaults, and then nothing is said.
    table = nodes.table(classes=["df-table"])
    assert mark_wide_table(table, BENCH, {}, DfTableConfig()) == []
    assert table["classes"] == ["df-table"]
    # The site-wide setting makes every table interactive.
    table = nodes.table(classes=["df-table"])
    assert mark_wide_table(table, BENCH, options, DfTableConfig(interactive=True)) == []
    assert "df-table-freeze-1" in table["classes"]


# -- builds -----------------------------------------------------------------------

# Test root ``wide``: index.rst has tables with the defaults, with choices, with
# everything off, with a merged index, numbers first and two label rows;
# mistakes.rst has options that name no column, ask too much, or are on a
# table that is not interactive.
WIDE_HTML = pytest.mark.sphinx("html", testroot="wide")


def table_classes(app: SphinxTestApp, page: str) -> dict[str, list[str]]:
    html = (Path(app.outdir) / page).read_text(encoding="utf-8")
    found: dict[str, list[str]] = {}
    for table in BeautifulSoup(html, "html.parser").find_all("table", class_="df-table"):
        assert isinstance(table, Tag)
        found[str(table["id"])] = [
            c for c in table["class"] if c.startswith("df-table-") and c != "df-table-interactive"
        ]
    return found


@WIDE_HTML
def test_html_build(built: SphinxTestApp) -> None:
    assert table_classes(built, "index.html") == {
        "defaults": [
            "df-table-freeze-1",
            "df-table-freeze-first",
            "df-table-filter-0",
            "df-table-filter-1",
        ],
        "chosen": [
            "df-table-freeze-2",
            "df-table-freeze-first",
            "df-table-hide-2",
            "df-table-hide-3",
            "df-table-filter-2",
        ],
        "none": [],
        "grouped": ["df-table-freeze-2", "df-table-filter-1"],
        "numbers": [],
        "levels": [
            "df-table-freeze-1",
            "df-table-freeze-first",
            "df-table-hide-1",
            "df-table-filter-2",
        ],
    }
    # Hidden columns are in the page (the script hides them).
    html = (Path(built.outdir) / "index.html").read_text(encoding="utf-8")
    chosen = BeautifulSoup(html, "html.parser").find("table", id="chosen")
    assert isinstance(chosen, Tag)
    assert [th.get_text(strip=True) for th in chosen.select("thead th")] == [
        "Model",
        "Instance",
        "Unique",
        "Throughput",
    ]
    warnings = [w.split("WARNING: ")[1] for w in warnings_of(built)]
    assert warnings == [
        ":hidden-columns: no column is labelled 'No such column' [df_table.option]",
        ":filter-columns: no column is labelled 'Nope' [df_table.option]",
        ":freeze-columns: 2 leaves no column to scroll (the table has 2 columns) [df_table.option]",
        ":hidden-columns: would hide every column [df_table.option]",
        ":freeze-columns: applies to :interactive: tables only [df_table.option]",
        ":hidden-columns: applies to :interactive: tables only [df_table.option]",
    ]
    assert all("mistakes.rst" in w for w in warnings_of(built))
    assert table_classes(built, "mistakes.html") == {
        "unknown": ["df-table-freeze-1", "df-table-freeze-first", "df-table-hide-0"],
        "too-many": [],
        "plain": [],
    }


@pytest.mark.sphinx("text", testroot="wide", srcdir="wide-text")
def test_text_shows_every_column(built: SphinxTestApp) -> None:
    text = (Path(built.outdir) / "index.txt").read_text(encoding="utf-8")
    header = next(line for line in text.splitlines() if "Unique" in line)
    for label in ("Model", "Instance", "Unique", "Throughput"):
        assert label in header
    assert "df-table-" not in text


@pytest.mark.sphinx("latex", testroot="wide", srcdir="wide-latex")
def test_latex_shows_every_column(built: SphinxTestApp) -> None:
    (tex,) = Path(built.outdir).glob("*.tex")
    text = tex.read_text(encoding="utf-8")
    assert text.count("Unique") >= 2  # in both tables that have the column
    assert "df-table-freeze" not in text and "df-table-hide" not in text
