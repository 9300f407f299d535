"""Rich tables: index stubs, MultiIndex spans, formats, Styler, alignment, limits."""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest
from bs4 import BeautifulSoup, Tag
from sphinx.testing.util import SphinxTestApp

from sphinx_df_table.directives.options import align_option, formats_option, index_option
from sphinx_df_table.worker.frame_cells import (
    FormatError,
    TableOptions,
    frame_to_table,
    group_thousands,
    hierarchy_spans,
)

from .helpers import warnings_of

pytestmark = pytest.mark.matrix


def grouped() -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "Model": ["bert", "bert", "t5", "t5", "t5"],
            "Inst. Type": ["trn1.2x", "trn1.32x", "trn1.2x", "trn1.32x", "trn1n.32x"],
            "Throughput": [1200.5, 3400.25, 800.0, 2100.75, 2500.0],
        }
    )
    return frame.groupby(["Model", "Inst. Type"]).agg(total=("Throughput", "sum"))


# ------------------------------------------------------------------ worker side


def test_groupby_result_has_index_stubs_with_merged_outer_labels() -> None:
    data = frame_to_table(grouped())
    assert data.index_columns == 2
    assert data.header == [["Model", "Inst. Type", "total"]]
    assert [row[:2] for row in data.body] == [
        ["bert", "trn1.2x"],
        ["", "trn1.32x"],
        ["t5", "trn1.2x"],
        ["", "trn1.32x"],
        ["", "trn1n.32x"],
    ]
    # "bert" spans 2 body rows, "t5" 3 (grid rows: 1 header row first).
    assert data.spans == [[1, 0, 1, 0], [3, 0, 2, 0]]
    assert [facts.align for facts in data.columns] == ["", "", "right"]


def test_multiindex_columns_and_index_corner() -> None:
    frame = grouped().unstack("Inst. Type")
    data = frame_to_table(frame)
    assert data.index_columns == 1
    # Two column levels; "total" spans the three instance columns; the level
    # name "Inst. Type" and the index name "Model" sit in the corner.
    assert data.header == [
        ["", "total", "", ""],
        ["Model", "trn1.2x", "trn1.32x", "trn1n.32x"],
    ]
    assert [0, 1, 0, 2] in data.spans
    assert data.body[0] == ["bert", "1200.5", "3400.25", ""]


def test_unnamed_index_is_hidden_unless_asked() -> None:
    frame = pd.DataFrame({"a": [1, 2]}, index=["x", "y"])
    assert frame_to_table(frame).index_columns == 0
    shown = frame_to_table(frame, TableOptions(index=True))
    assert shown.index_columns == 1 and shown.body == [["x", "1"], ["y", "2"]]
    assert frame_to_table(grouped(), TableOptions(index=False)).index_columns == 0


def test_formats_keep_numbers_numeric_until_render() -> None:
    frame = pd.DataFrame(
        {
            "Throughput (inference/sec)": [1234.5678, np.nan],
            "Cost per 1M inferences": [0.51234, 12.5],
            "Latency": [1.25, 2.5],
            "Count": [1234567, 42],
        }
    )
    options = TableOptions(
        formats={
            "Throughput (inference/sec)": "{:,.2f}",
            "Cost per 1M inferences": "${:,.3f}",
        },
        float_format="{:.1f}",
        na_rep="n/a",
        thousands=",",
    )
    data = frame_to_table(frame, options)
    assert data.body == [
        ["1,234.57", "$0.512", "1.2", "1,234,567"],
        ["n/a", "$12.500", "2.5", "42"],
    ]


def test_format_errors_name_the_column() -> None:
    frame = pd.DataFrame({"Model": ["bert"]})
    with pytest.raises(FormatError, match="column 'Model'"):
        frame_to_table(frame, TableOptions(formats={"Model": "{:.2f}"}))
    with pytest.raises(FormatError, match="names no column of 'df': Nope"):
        frame_to_table(frame, TableOptions(formats={"Nope": "{:.2f}"}))


def test_max_rows_counts_what_is_left_out() -> None:
    data = frame_to_table(pd.DataFrame({"a": range(10)}), TableOptions(max_rows=3))
    assert data.body == [["0"], ["1"], ["2"]] and data.truncated == 7


def test_styler_display_values_hidden_parts_and_caption() -> None:
    frame = pd.DataFrame({"a": [1.5, 2.25], "b": ["x", "y"], "c": [3, 4]}, index=["r1", "r2"])
    styler = (
        frame.style.format({"a": "{:.1f}"}).hide(["b"], axis=1).hide(axis="index")
    ).set_caption("From a Styler")
    data = frame_to_table(styler)
    assert data.header == [["a", "c"]]
    assert data.body == [["1.5", "3"], ["2.2", "4"]]
    assert data.caption == "From a Styler" and data.index_columns == 0


def test_styler_reports_the_options_it_leaves_unused() -> None:
    """Case 6 of #13: a Styler formats its own cells; the text options do not apply."""
    frame = pd.DataFrame({"a": [1.23456, None]})
    styler = frame.style.hide(axis="index")
    options = TableOptions(formats={"a": "{:.1f}"}, na_rep="", thousands=",", index=True)
    data = frame_to_table(styler, options)
    assert data.body == [["1.234560"], ["nan"]]
    assert [option for option, _ in data.ignored] == ["formats", "na_rep", "thousands", "index"]
    assert all("Styler" in why for _, why in data.ignored)
    # Nothing is reported when nothing is left unused, nor for a DataFrame.
    assert frame_to_table(frame.style).ignored == []
    assert frame_to_table(frame, options).ignored == []


@pytest.mark.matrix
def test_styler_with_formats_warns_once_per_option(
    build: Callable[..., SphinxTestApp],
) -> None:
    app = build(
        {
            "index.rst": """
                T
                =

                .. df-table::
                   :formats: a: {:.2f}

                   df = pd.DataFrame({"a": [1.23456]}).style
            """
        }
    )
    warnings = warnings_of(app)
    assert len(warnings) == 1, warnings
    assert "index.rst:4:" in warnings[0] and ":formats: does not apply" in warnings[0]
    assert "[df_table.option]" in warnings[0]
    html = (app.outdir / "index.html").read_text(encoding="utf-8")
    assert "1.234560" in html  # the table is still shown, as the Styler formats it


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1234567.25", "1,234,567.25"),
        ("-1000", "-1,000"),
        ("999", "999"),
        ("abc", "abc"),
        ("1e+16", "1e+16"),
        ("", ""),
    ],
)
def test_group_thousands(text: str, expected: str) -> None:
    assert group_thousands(text, ",") == expected


def test_hierarchy_spans_follow_outer_levels() -> None:
    levels = [["a", "a", "b", "b"], ["x", "x", "x", "y"]]
    # Level 1 "x" repeats in columns 0-1 (same outer "a") but not 1-2 (outer changes).
    assert hierarchy_spans(levels) == [(0, 0, 2), (0, 2, 2)]
    three = [["a", "a", "a"], ["x", "x", "y"], ["1", "2", "3"]]
    assert hierarchy_spans(three) == [(0, 0, 3), (1, 0, 2)]


def test_option_converters() -> None:
    assert formats_option(
        "Throughput (inference/sec): {:,.2f}\nCost per 1M inferences: ${:,.3f}\n"
    ) == {"Throughput (inference/sec)": "{:,.2f}", "Cost per 1M inferences": "${:,.3f}"}
    assert formats_option("Ratio: a: b: {:.1%}") == {"Ratio: a: b": "{:.1%}"}
    with pytest.raises(ValueError, match="is not 'Column label"):
        formats_option("Throughput .2f")
    assert align_option("l r, center auto") == ["left", "right", "center", ""]
    with pytest.raises(ValueError, match="'up'"):
        align_option("left up")
    assert (index_option(None), index_option("no"), index_option("auto")) == (True, False, None)


# --------------------------------------------------------------- real builds

# The page (test root ``rich``) has six tables: grouped, pivot, formatted, long, distances, labels.
#: Its HTML build, built once (by the first of these tests to run) for all of them.
RICH_HTML = pytest.mark.sphinx("html", testroot="rich")
SHARED_BUILD = pytest.mark.test_params(shared_result="rich-html")


def soup_table(app: SphinxTestApp, name: str) -> Tag:
    soup = BeautifulSoup((app.outdir / "index.html").read_text(encoding="utf-8"), "html.parser")
    found = soup.find("table", id=name)
    assert isinstance(found, Tag)
    return found


@RICH_HTML
@SHARED_BUILD
def test_html_groupby_rowspans_and_stubs(built: SphinxTestApp) -> None:
    table = soup_table(built, "grouped")
    stubs = table.tbody.find_all("th", class_="stub")  # type: ignore[union-attr]
    assert [(s.get_text(), s.get("rowspan")) for s in stubs[:3]] == [
        ("bert", "2"),
        ("trn1.2x", None),
        ("trn1.32x", None),
    ]
    assert [tr.find_all(["th", "td"])[-1].get_text() for tr in table.tbody.find_all("tr")] == [
        "1200.5",
        "3400.25",
        "800.0",
        "2100.75",
        "2500.0",
    ]
    # Every row has its total in a right-aligned cell.
    assert len(table.tbody.find_all("td", class_="align-right")) == 5  # type: ignore[union-attr]


@RICH_HTML
@SHARED_BUILD
def test_html_multiindex_header_colspan(built: SphinxTestApp) -> None:
    table = soup_table(built, "pivot")
    first = table.thead.find("tr")  # type: ignore[union-attr]
    spanning = first.find("th", attrs={"colspan": "2"})  # type: ignore[union-attr]
    assert spanning is not None and spanning.get_text() == "v"
    assert [th.get_text() for th in table.thead.find_all("tr")[1].find_all("th")] == [  # type: ignore[union-attr]
        "Model",
        "a",
        "b",
    ]


@RICH_HTML
@SHARED_BUILD
def test_html_formats_and_alignment_override(built: SphinxTestApp) -> None:
    table = soup_table(built, "formatted")
    rows = [[td.get_text() for td in tr.find_all("td")] for tr in table.tbody.find_all("tr")]  # type: ignore[union-attr]
    # :na-rep: -- is shown as written: smart quotes leave format output alone.
    assert rows == [["t5", "--", "$12.500"], ["bert", "1,234.57", "$0.512"]]
    first = table.tbody.find("tr").find_all("td")  # type: ignore[union-attr]
    assert [td.get("class") for td in first] == [["align-center"], ["align-right"], ["align-left"]]


@RICH_HTML
@SHARED_BUILD
def test_html_sort_keys_come_from_values_not_formatted_text(built: SphinxTestApp) -> None:
    table = soup_table(built, "distances")
    rows = [tr.find_all(["th", "td"]) for tr in table.tbody.find_all("tr")]  # type: ignore[union-attr]
    assert [[cell.get_text() for cell in row] for row in rows][:2] == [
        ["3", "Oslo", "8 km", "2020-01-01"],
        ["1", "Lima", "8,898 km", "1970-01-02"],
    ]
    # The index stub (a number), the formatted distances and the dates have
    # keys; the text column (plain or with markup) has none.
    assert [[cell.get("data-sort") for cell in row] for row in rows] == [
        ["3.0", None, "8.0", "1577836800.0"],
        ["1.0", None, "8898.0", "86400.0"],
        ["2.0", None, "806.0", ""],
        ["4.0", None, "", "-86400.0"],
    ]
    assert str(rows[2][1]) == "<td><p><em>Rome</em></p></td>"
    assert str(rows[3][2]) == '<td class="align-right" data-sort=""><p>unknown</p></td>'
    assert rows[0][0].name == "th" and rows[0][0]["class"] == ["stub"]
    # The column labels and their header cells have no keys.
    assert table.thead.find(attrs={"data-sort": True}) is None  # type: ignore[union-attr]


@RICH_HTML
@SHARED_BUILD
def test_html_label_rows_moved_into_the_body_are_not_aligned(built: SphinxTestApp) -> None:
    table = soup_table(built, "labels")
    assert table.thead is None
    labels, data = table.tbody.find_all("tr")  # type: ignore[union-attr]
    assert [str(td) for td in labels.find_all("td")] == [
        "<td><p>Model</p></td>",
        "<td><p>Throughput</p></td>",
    ]
    assert [str(td) for td in data.find_all("td")] == [
        "<td><p>bert</p></td>",
        '<td class="align-right" data-sort="1200.5"><p>1200.5</p></td>',
    ]


@RICH_HTML
@SHARED_BUILD
def test_max_rows_row_and_default_limit_warning(built: SphinxTestApp) -> None:
    table = soup_table(built, "long")
    rows = table.tbody.find_all("tr")  # type: ignore[union-attr]
    assert len(rows) == 41
    assert rows[0].find_all("td")[1]["data-sort"] == "0.0"
    more = rows[-1].find("td")
    assert more["colspan"] == "2" and more.get_text() == "\u2026 5 more rows"
    assert not more.has_attr("data-sort")
    # :max-rows: was given for this table: no warning. The page's other tables
    # are under the conf.py limit of 20: no warning either.
    assert warnings_of(built) == []


@pytest.mark.sphinx("html", testroot="truncated")
def test_default_limit_warns(built: SphinxTestApp) -> None:
    app = built
    (warning,) = warnings_of(app)
    assert warning.endswith("[df_table.truncated]") and "5 more rows" in warning
    html = (app.outdir / "index.html").read_text(encoding="utf-8")
    assert "\u2026 5 more rows" in html and "<p>24</p>" in html and "<p>25</p>" not in html


@pytest.mark.sphinx("text", testroot="rich")
def test_text_output(built: SphinxTestApp) -> None:
    text = (built.outdir / "index.txt").read_text(encoding="utf-8")
    for value in ("bert", "trn1n.32x", "2500.0", "1,234.57", "$12.500", "model-39", "5 more rows"):
        assert value in text


@pytest.mark.sphinx("html", testroot="scroll")
def test_html_tables_scroll_sideways_in_their_container(built: SphinxTestApp) -> None:
    app = built
    soup = BeautifulSoup((app.outdir / "index.html").read_text(encoding="utf-8"), "html.parser")
    table = soup.find("table", id="wide")
    assert table is not None
    container = table.parent
    assert container.name == "div" and "df-table-container" in container["class"]
    assert container.find_parent("div", class_="sd-tab-content") is not None
    css = (app.outdir / "_static" / "df-table-base.css").read_text(encoding="utf-8")
    assert re.search(r"div\.df-table-container \{[^}]*overflow-x: auto", css)
    linked = [link["href"] for link in soup.find_all("link", rel="stylesheet")]
    assert any("df-table-base.css" in href for href in linked)
    plain = (app.outdir / "plain.html").read_text(encoding="utf-8")
    assert "df-table-base.css" not in plain  # only pages with a df-table


@pytest.mark.sphinx("html", testroot="download-grouped")
def test_download_of_a_grouped_table_keeps_its_index(built: SphinxTestApp) -> None:
    app = built
    assert (app.outdir / "grouped.csv").read_text(encoding="utf-8") == "Model,total\na,3\nb,3\n"


@pytest.mark.sphinx("html", testroot="outputs")
def test_aligned_cells_are_not_floated_by_themes(built: SphinxTestApp) -> None:
    app = built
    css = (app.outdir / "_static" / "df-table-base.css").read_text(encoding="utf-8")
    rule = re.search(r'table\.df-table td\[class\*="align-"\],[^{]*\{([^}]*)\}', css)
    assert rule is not None and "float: none" in rule.group(1)
