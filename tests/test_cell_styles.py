"""Issue #17 part 2: a Styler's per-cell CSS and ``:highlight:`` in every builder.

The worker reduces a Styler's CSS to one small grammar (colours as
``#rrggbb``, bold, italic, underline, a bar's gradient); the Sphinx process
checks it on decoding and writes it as inline styles in HTML and as
``\\cellcolor``/``\\textcolor``/bold in LaTeX; text and man show no style and
do not warn. ``:highlight:`` marks each group's best value: a class in HTML,
bold in LaTeX and text.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from bs4 import BeautifulSoup

from sphinx_df_table.messages import CELL_STYLE, ProtocolError, TableData, loads_plain
from sphinx_df_table.output.latex import latex_style
from sphinx_df_table.worker.cell_styles import (
    contrast_ratio,
    contrasting_text,
    normalise,
    parse_colour,
)
from sphinx_df_table.worker.frame_cells import FormatError, TableOptions, frame_to_table

from .helpers import make_app, out_dir, warnings_of, write_project

pytestmark = pytest.mark.matrix

FRAME = pd.DataFrame(
    {"Model": ["a", "a", "b", "b"], "Cost": [3.0, 1.0, 2.0, 5.0], "T": [1, 2, 3, 4]}
)


@pytest.mark.parametrize(
    ("declarations", "expected"),
    [
        ([("background-color", "yellow")], "background-color: #ffff00; color: #000000"),
        ([("background-color", "#023858")], "background-color: #023858; color: #ffffff"),
        # Translucent colours are blended over white; the author's text colour
        # stays where it reads (WCAG 4.5:1) on the background.
        (
            [("background-color", "rgba(255, 0, 0, 0.25)"), ("color", "darkred !important")],
            "background-color: #ffbfbf; color: #8b0000",
        ),
        # Where it does not, it is black or white: background_gradient's light
        # grey on a mid blue, or its white on a later highlight_max's yellow.
        (
            [("background-color", "#6aaed6"), ("color", "#f1f1f1")],
            "background-color: #6aaed6; color: #000000",
        ),
        (
            [("background-color", "#08306b"), ("color", "#f1f1f1"), ("background-color", "yellow")],
            "background-color: #ffff00; color: #000000",
        ),
        # A text colour alone keeps the white page pandas drew it on, so that
        # a dark theme's page does not show through.
        ([("color", "red")], "background-color: #ffffff; color: #ff0000"),
        (
            [("font-weight", "700"), ("font-style", "oblique")],
            "font-weight: bold; font-style: italic",
        ),
        ([("text-decoration", "underline dotted")], "text-decoration: underline"),
        # Later declarations win, as in CSS: `background` replaces the colour.
        # A bar is drawn on white, with text that reads on the bar and on white.
        (
            [
                ("background-color", "yellow"),
                ("width", "10em"),
                ("background", "linear-gradient(90deg, #d65f5f 33.3%, transparent 33.3%)"),
            ],
            "background: linear-gradient(90deg, #d65f5f 33.3%, #ffffff 33.3%); color: #000000",
        ),
        (
            [
                (
                    "background",
                    "linear-gradient(90deg, transparent 20%, navy 20%, navy 70%, red 70%)",
                )
            ],
            "background: linear-gradient(90deg, #ffffff 20.0%, #000080 20.0%, #000080 70.0%,"
            " #ff0000 70.0%); color: #000000",
        ),
        ([("font-weight", "bold"), ("font-weight", "normal")], ""),
        (
            [
                ("border", "1px solid red"),
                ("color", "var(--x)"),
                ("background-color", "hsl(1,2%,3%)"),
            ],
            "",
        ),
        ([("background-color", "transparent")], ""),
    ],
)
def test_normalise_keeps_what_every_builder_can_show(
    declarations: list[tuple[str, str]], expected: str
) -> None:
    assert normalise(declarations) == expected
    assert expected == "" or CELL_STYLE.fullmatch(expected)


def test_colours_and_contrast() -> None:
    assert parse_colour("#abc") == ((170.0, 187.0, 204.0), 1.0)
    assert parse_colour("rgb(100% 0% 0% / 25%)") == ((255.0, 0.0, 0.0), 0.25)
    assert parse_colour("nonsense") is None
    assert contrasting_text("#ffff00") == "#000000"
    assert contrasting_text("#000080") == "#ffffff"
    # Over several colours: the one that reads best on the worst of them.
    assert contrasting_text("#000080", "#ffffff") == "#000000"
    assert contrasting_text("#000080", "#202020") == "#ffffff"
    assert contrast_ratio("#000000", "#ffffff") == pytest.approx(21)
    assert contrast_ratio("#777777", "#777777") == pytest.approx(1)


@pytest.mark.parametrize(
    "style",
    [
        'color: #ff0000" onmouseover="x',
        "color: red",
        "background: url(x)",
        "color: #ff0000;color: #ff0000",
        "background: linear-gradient(90deg, #d65f5f 1%)",
    ],
)
def test_decoding_refuses_styles_outside_the_grammar(style: str) -> None:
    plain = frame_to_table(FRAME).to_plain()
    plain["styles"], plain["styled"] = [style], [[0, 0, 0]]
    with pytest.raises(ProtocolError, match="cell style"):
        TableData.from_plain(plain)


@pytest.mark.parametrize(
    ("field", "cells"),
    [
        ("styled", [[4, 0, 0]]),
        ("styled", [[0, 3, 0]]),
        ("styled", [[0, 0, 1]]),
        ("highlighted", [[0, 0, 0]]),
    ],
)
def test_decoding_refuses_cells_outside_the_body(field: str, cells: list[list[int]]) -> None:
    plain = frame_to_table(FRAME).to_plain()
    plain["styles"] = ["font-weight: bold"]
    plain[field] = cells
    with pytest.raises(ProtocolError, match="styled cell"):
        TableData.from_plain(plain)


def test_styler_css_follows_hidden_cells_max_rows_and_the_index() -> None:
    frame = FRAME.set_index(pd.Index(["w", "x", "y", "z"], name="id"))
    styler = (
        frame.style.highlight_max(subset=["Cost"])
        .apply(lambda column: ["font-weight: bold" if v == 1 else "" for v in column], subset=["T"])
        .hide(["w"], axis="index")  # the first row (a, 3.0, 1)
    )
    data = frame_to_table(styler, TableOptions(max_rows=2))
    # Shown rows: x (a, 1.0, 2), y (b, 2.0, 3); z (b, 5.0: the max) is left out.
    assert data.styled == [] and data.styles == []
    data = frame_to_table(styler)
    assert data.index_columns == 1
    assert data.styles == ["background-color: #ffff00; color: #000000"]
    assert data.styled == [[2, 2, 0]]
    wire = loads_plain(pickle.dumps(data.to_plain()))
    assert TableData.from_plain(wire) == data


def test_highlight_marks_each_groups_best_ties_included_and_never_a_missing_value() -> None:
    frame = pd.DataFrame(
        {
            "Model": ["a", "a", "a", "b", "b"],
            "Cost": [3.0, 1.0, 1.0, np.nan, 5.0],
            "When": pd.to_datetime(["2020", "2021", "2019", "2018", "2022"]),
        }
    )
    options = TableOptions(highlight=[["min", "Cost"], ["max", "When"]], highlight_by=["Model"])
    assert frame_to_table(frame, options).highlighted == [[1, 1], [1, 2], [2, 1], [4, 1], [4, 2]]
    whole = TableOptions(highlight=[["max", "Cost"]])
    assert frame_to_table(frame, whole).highlighted == [[4, 1]]
    # Grouped by an index level; columns shift by the index column.
    indexed = frame.set_index("Model")
    options = TableOptions(highlight=[["max", "Cost"]], highlight_by=["Model"])
    assert frame_to_table(indexed, options).highlighted == [[0, 1], [4, 1]]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (TableOptions(highlight=[["min", "Price"]]), "names no column"),
        (TableOptions(highlight=[["min", "Model"]]), "holds text"),
        (TableOptions(highlight=[["min", "Cost"]], highlight_by=["Nope"]), "no column or index"),
    ],
)
def test_highlight_errors_name_the_problem(options: TableOptions, message: str) -> None:
    with pytest.raises(FormatError, match=message):
        frame_to_table(FRAME, options)


def test_highlight_by_alone_is_reported_unused() -> None:
    data = frame_to_table(FRAME, TableOptions(highlight_by=["Model"]))
    assert data.ignored == [["highlight_by", "no :highlight: line names a column to mark"]]


def test_latex_style() -> None:
    assert latex_style("background-color: #fff7fb; color: #ff0000; font-weight: bold") == (
        r"\cellcolor[HTML]{FFF7FB}",
        r"\textcolor[HTML]{FF0000}{\textbf{",
        "}}",
    )
    assert latex_style("background: linear-gradient(90deg, #d65f5f 20.0%, transparent 20.0%)") == (
        "",
        "",
        "",
    )
    with pytest.raises(ValueError, match="not a cell style"):
        latex_style(r"color: red}\input{x")


PAGE = """\
Styles
======

.. df-table::
   :name: marked
   :highlight: min Cost
               max T
   :highlight-by: Model

   df = pd.DataFrame(
       {"Model": ["a", "a", "b", "b"], "Cost": [3.0, 1.0, 2.0, 5.0], "T": [1, 2, 3, 4]}
   )

.. df-table::
   :name: styled

   frame = pd.DataFrame({"Cost": [3.0, 1.0], "T": [1, 2]})
   df = frame.style.highlight_max(subset=["Cost"]).apply(
       lambda column: ["font-weight: bold; color: red" if v == 1 else "" for v in column],
       subset=["T"],
   )
"""


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_project(
        tmp_path_factory.mktemp("styles"),
        {"index.rst": PAGE},
        conf="latex_documents = [('index', 'p.tex', 'P', 'A', 'manual')]\n"
        "man_pages = [('index', 'p', 'P', ['A'], 1)]\n",
    )


def _build(project: Path, builder: str, name: str) -> str:
    app = make_app(builder, project)
    try:
        app.build()
    finally:
        app.cleanup()
    assert warnings_of(app) == []
    return (out_dir(app) / name).read_text(encoding="utf-8")


def test_html_has_inline_styles_and_the_highlight_class(project: Path) -> None:
    soup = BeautifulSoup(_build(project, "html", "index.html"), "html.parser")
    marked = soup.find("table", id="marked")
    assert [td.get_text() for td in marked.select("td.df-highlight")] == ["1.0", "2", "2.0", "4"]
    styled = soup.find("table", id="styled")
    assert [(td.get_text(), td.get("style")) for td in styled.select("td[style]")] == [
        ("3.000000", "background-color: #ffff00; color: #000000"),
        ("1", "background-color: #ffffff; color: #ff0000; font-weight: bold"),
    ]


def test_latex_has_cell_colours_and_bold(project: Path) -> None:
    tex = _build(project, "latex", "p.tex")
    assert r"\sphinxstylestrong{1.0}" in tex and r"\sphinxstylestrong{4}" in tex
    assert r"\sphinxstylestrong{3.0}" not in tex
    assert r"\cellcolor[HTML]{FFFF00}\textcolor[HTML]{000000}{3.000000}" in tex
    assert r"\textcolor[HTML]{FF0000}{\textbf{1}}" in tex


def test_text_shows_highlights_in_bold_and_no_style(project: Path) -> None:
    text = _build(project, "text", "index.txt")
    assert "**1.0**" in text and "**2.0**" in text and "**3.0**" not in text
    assert "#ff" not in text and "3.0" in text


def test_man_shows_no_style_and_does_not_warn(project: Path) -> None:
    man = _build(project, "man", "p.1")
    assert "ffff00" not in man and "3.0" in man
