"""Rich tables: index stubs, MultiIndex spans, formats, Styler, alignment, limits."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from bs4 import BeautifulSoup, Tag

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
    assert data.align == ["", "", "right"]


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

PAGE = """\
Rich
====

.. df-table:: Grouped
   :name: grouped

   df = pd.DataFrame({'Model': ['bert', 'bert', 't5', 't5', 't5'],
                      'Inst. Type': ['trn1.2x', 'trn1.32x', 'trn1.2x', 'trn1.32x', 'trn1n.32x'],
                      'Throughput': [1200.5, 3400.25, 800.0, 2100.75, 2500.0]})
   df = df.groupby(['Model', 'Inst. Type']).agg(total=('Throughput', 'sum'))

.. df-table:: Pivot
   :name: pivot

   df = pd.DataFrame({'Model': ['bert', 'bert', 't5'], 'Inst': ['a', 'b', 'a'], 'v': [1, 2, 3]})
   df = df.pivot_table(index='Model', columns='Inst', values=['v'])

.. df-table:: Formatted
   :name: formatted
   :formats: Cost per 1M inferences: ${:,.3f}
             Throughput (inference/sec): {:,.2f}
   :na-rep: --
   :align-columns: center right left

   df = pd.DataFrame({'Model': ['bert', 't5'],
                      'Throughput (inference/sec)': [1234.5678, None],
                      'Cost per 1M inferences': [0.51234, 12.5]})
   df = df.sort_values('Cost per 1M inferences', ascending=False)

.. df-table:: Long
   :name: long
   :max-rows: 40

   df = pd.DataFrame({'Model': [f'model-{i}' for i in range(45)], 'Value': np.arange(45) * 1.5})
"""


@pytest.fixture(scope="module")
def html_app(module_build):  # type: ignore[no-untyped-def]
    return module_build({"index.rst": PAGE}, conf="df_table_max_rows = 20\n")


def soup_table(app, name: str) -> Tag:  # type: ignore[no-untyped-def]
    soup = BeautifulSoup((app.outdir / "index.html").read_text(encoding="utf-8"), "html.parser")
    found = soup.find("table", id=name)
    assert isinstance(found, Tag)
    return found


def test_html_groupby_rowspans_and_stubs(html_app) -> None:  # type: ignore[no-untyped-def]
    table = soup_table(html_app, "grouped")
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


def test_html_multiindex_header_colspan(html_app) -> None:  # type: ignore[no-untyped-def]
    table = soup_table(html_app, "pivot")
    first = table.thead.find("tr")  # type: ignore[union-attr]
    spanning = first.find("th", attrs={"colspan": "2"})  # type: ignore[union-attr]
    assert spanning is not None and spanning.get_text() == "v"
    assert [th.get_text() for th in table.thead.find_all("tr")[1].find_all("th")] == [  # type: ignore[union-attr]
        "Model",
        "a",
        "b",
    ]


def test_html_formats_and_alignment_override(html_app) -> None:  # type: ignore[no-untyped-def]
    table = soup_table(html_app, "formatted")
    rows = [[td.get_text() for td in tr.find_all("td")] for tr in table.tbody.find_all("tr")]  # type: ignore[union-attr]
    assert rows == [["t5", "\u2013", "$12.500"], ["bert", "1,234.57", "$0.512"]]
    first = table.tbody.find("tr").find_all("td")  # type: ignore[union-attr]
    assert [td.get("class") for td in first] == [["align-center"], ["align-right"], ["align-left"]]


def test_max_rows_row_and_default_limit_warning(html_app) -> None:  # type: ignore[no-untyped-def]
    table = soup_table(html_app, "long")
    rows = table.tbody.find_all("tr")  # type: ignore[union-attr]
    assert len(rows) == 41
    more = rows[-1].find("td")
    assert more["colspan"] == "2" and more.get_text() == "\u2026 5 more rows"
    # :max-rows: was given for this table: no warning. The page's other tables
    # are under the conf.py limit of 20: no warning either.
    assert warnings_of(html_app) == []


def test_default_limit_warns(build) -> None:  # type: ignore[no-untyped-def]
    app = build(
        {"index.rst": "T\n=\n\n.. df-table::\n\n   df = pd.DataFrame({'a': range(30)})\n"},
        conf="df_table_max_rows = 25\n",
    )
    (warning,) = warnings_of(app)
    assert warning.endswith("[df_table.truncated]") and "5 more rows" in warning
    html = (app.outdir / "index.html").read_text(encoding="utf-8")
    assert "\u2026 5 more rows" in html and "<p>24</p>" in html and "<p>25</p>" not in html


def test_latex_long_and_short_tables(build) -> None:  # type: ignore[no-untyped-def]
    app = build(
        {"index.rst": PAGE},
        conf="latex_documents = [('index', 'rich.tex', 'Rich', 'A', 'manual')]\n",
        builder="latex",
    )
    tex = (app.outdir / "rich.tex").read_text(encoding="utf-8")
    long_table = re.search(r"\\begin\{longtable\}(\{[^\n]*\})", tex)
    assert long_table is not None
    assert long_table.group(1).count(r"\X{") == 2
    assert r">{\raggedleft\arraybackslash}\X{" in long_table.group(1)
    assert r"\endhead" in tex  # the header repeats on every page
    # Short tables: tabulary, numbers flush right, merged index cells.
    assert r"\begin{tabulary}{\linewidth}[t]{|L|L|R|}" in tex
    assert r"\sphinxmultirow{2}" in tex
    assert "1,234.57" in tex and r"\$12.500" in tex


def test_text_output(build) -> None:  # type: ignore[no-untyped-def]
    app = build({"index.rst": PAGE}, builder="text")
    text = (app.outdir / "index.txt").read_text(encoding="utf-8")
    for value in ("bert", "trn1n.32x", "2500.0", "1,234.57", "$12.500", "model-39", "5 more rows"):
        assert value in text


def test_html_tables_scroll_sideways_in_their_container(build) -> None:  # type: ignore[no-untyped-def]
    app = build(
        {
            "index.rst": "Index\n=====\n\n.. toctree::\n\n   plain\n\n"
            ".. tab-set::\n\n   .. tab-item:: Wide\n\n      .. df-table::\n         :name: wide\n\n"
            "         df = pd.DataFrame({f'Column number {i}': [i * 1.5] for i in range(20)})\n",
            "plain.rst": "Plain\n=====\n\nNo table here.\n",
        },
        conf="extensions += ['sphinx_design']\n",
    )
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
    latex = build(
        {"index.rst": "T\n=\n\n.. df-table::\n\n   df = pd.DataFrame({'a': [1]})\n"},
        builder="latex",
        srcdir=app.srcdir.parent / "latex-src",
    )
    assert (
        "container"
        not in next(latex.outdir.glob("*.tex"))
        .read_text(encoding="utf-8")
        .split(r"\begin{document}")[1]
    )


def test_download_of_a_grouped_table_keeps_its_index(build) -> None:  # type: ignore[no-untyped-def]
    app = build(
        {
            "index.rst": "T\n=\n\n.. df-table::\n   :download:\n   :name: grouped\n\n"
            "   df = pd.DataFrame({'Model': ['a', 'a', 'b'], 'v': [1, 2, 3]})\n"
            "   df = df.groupby('Model').agg(total=('v', 'sum'))\n"
        }
    )
    assert (app.outdir / "grouped.csv").read_text(encoding="utf-8") == "Model,total\na,3\nb,3\n"


def test_aligned_cells_are_not_floated_by_themes(build) -> None:  # type: ignore[no-untyped-def]
    app = build({"index.rst": "T\n=\n\n.. df-table::\n\n   df = pd.DataFrame({'a': [1]})\n"})
    css = (app.outdir / "_static" / "df-table-base.css").read_text(encoding="utf-8")
    rule = re.search(r'table\.df-table td\[class\*="align-"\],[^{]*\{([^}]*)\}', css)
    assert rule is not None and "float: none" in rule.group(1)
