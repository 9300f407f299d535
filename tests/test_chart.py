"""The df-chart directive: the files it produces, in every builder, and its errors."""

from __future__ import annotations

import hashlib
import re
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from sphinx.testing.util import SphinxTestApp

from sphinx_df_table.directives.chart import chart_length, column_list
from sphinx_df_table.worker.chart_drawing import render_chart
from sphinx_df_table.worker.frame_cells import ResultTypeError

from .helpers import REPO, copy_root, make_app, out_dir, status_text, warnings_of, write_project

SVG = "{http://www.w3.org/2000/svg}"

# The test root ``charts`` has one chart of each kind (seven) and a table; its
# builders share one doctree directory, so only the first build runs the snippets
# and the others reuse the environment, as ``make html latex`` does.
CHARTS_HTML = pytest.mark.sphinx("html", testroot="charts")
#: The HTML build, built once (by the first of these tests to run) for all of them.
SHARED_BUILD = pytest.mark.test_params(shared_result="charts")


def soup_of(app: SphinxTestApp, name: str = "index.html") -> BeautifulSoup:
    return BeautifulSoup((app.outdir / name).read_text(encoding="utf-8"), "html.parser")


def svg_of(app: SphinxTestApp, figure_id: str) -> ET.Element:
    """The parsed SVG file that the HTML figure ``figure_id`` shows."""
    figure = soup_of(app).find(id=figure_id)
    assert figure is not None, figure_id
    img = figure.find("img")
    assert img is not None and str(img["src"]).endswith(".svg")
    return ET.parse(app.outdir / str(img["src"])).getroot()


def texts(svg: ET.Element) -> list[str]:
    """The text of every ``<text>`` (a ``10³`` tick label reads ``103``)."""
    return ["".join(part.strip() for part in t.itertext()) for t in svg.iter(f"{SVG}text")]


def ids(svg: ET.Element, prefix: str) -> list[str]:
    return [e.get("id", "") for e in svg.iter() if e.get("id", "").startswith(prefix)]


# ------------------------------------------------------------------ HTML files


@CHARTS_HTML
@SHARED_BUILD
def test_html_build_has_no_warnings(built: SphinxTestApp) -> None:
    assert warnings_of(built) == []


@CHARTS_HTML
@SHARED_BUILD
def test_grouped_bar_chart_svg(built: SphinxTestApp) -> None:
    svg = svg_of(built, "fig-cost")
    assert svg.tag == f"{SVG}svg"
    # Two instance types; roberta has no trn1.32xlarge row, so 3 + 2 bars.
    assert sorted(ids(svg, "bar-")) == [
        "bar-0-0",
        "bar-0-1",
        "bar-0-2",
        "bar-1-0",
        "bar-1-1",
    ]
    labels = texts(svg)
    for expected in ("bert-base", "bert-large", "roberta", "trn1.2xlarge", "trn1.32xlarge"):
        assert expected in labels
    assert "Cost per 1M inferences" in labels  # :title:
    assert "Inst. Type" in labels  # the legend's title is the :group: column
    # :formats: on the bar labels (the table's text) and on the value axis.
    assert {"$0.051", "$0.050", "$0.178", "$0.171", "$0.056"} <= set(labels)
    assert "$0.000" in labels  # the value axis starts at zero: a tick, not a bar label
    # The background is transparent, for light and dark themes.
    background = next(svg.iter(f"{SVG}path"))
    assert "fill: none" in background.get("style", "")


@CHARTS_HTML
@SHARED_BUILD
def test_horizontal_bars_log_scale_and_alt(built: SphinxTestApp) -> None:
    svg = svg_of(built, "fig-barh")
    assert len(ids(svg, "bar-")) == 5
    # A log value axis has power-of-ten tick labels: 10 with a raised 3, 4.
    assert {"103", "104"} <= set(texts(svg))
    assert svg.find(f".//{SVG}text/{SVG}tspan") is not None
    img = soup_of(built).find(id="fig-barh").find("img")
    assert img["alt"] == "Throughput of each model on each instance type."


@CHARTS_HTML
@SHARED_BUILD
def test_line_chart_points_size_and_labels(built: SphinxTestApp) -> None:
    svg = svg_of(built, "fig-line")
    # One line per instance type, one marker per row.
    lines = [g for g in svg.iter(f"{SVG}g") if g.get("id", "").startswith("series-")]
    assert len(lines) == 2
    markers = [len(list(g.iter(f"{SVG}use"))) for g in lines]
    assert sorted(markers) == [2, 3]
    assert "Inferences per second" in texts(svg)  # :x-label:
    assert "Cost" not in texts(svg)  # an empty :y-label: hides the label
    # :width: 8in and :height: 300px (SVG sizes are in points).
    assert svg.get("width") == "576pt"
    assert svg.get("height") == "225pt"


@CHARTS_HTML
@SHARED_BUILD
def test_scatter_has_one_point_per_row(built: SphinxTestApp) -> None:
    svg = svg_of(built, "fig-scatter")
    (points,) = [g for g in svg.iter(f"{SVG}g") if g.get("id") == "series-0"]
    assert len(list(points.iter(f"{SVG}use"))) == 5
    assert {"Throughput", "Cost"} <= set(texts(svg))


@CHARTS_HTML
@SHARED_BUILD
def test_defaults_first_column_against_numbers(built: SphinxTestApp) -> None:
    svg = svg_of(built, "fig-defaults")
    assert len(ids(svg, "bar-")) == 3
    img = soup_of(built).find(id="fig-defaults").find("img")
    assert img["alt"] == "Bar chart. Cost by Model."


@CHARTS_HTML
@SHARED_BUILD
def test_snippet_figure_escape_hatch(built: SphinxTestApp) -> None:
    svg = svg_of(built, "fig-own")
    assert "Own figure" in texts(svg)
    assert svg.get("width") == "288pt"  # the snippet's figsize, 4 x 72 pt
    # Its own style: the white background its black text needs on a dark theme.
    background = next(svg.iter(f"{SVG}path"))
    assert "fill: #ffffff" in background.get("style", "")


@CHARTS_HTML
@SHARED_BUILD
def test_snippet_rcparams_do_not_reach_the_next_chart(built: SphinxTestApp) -> None:
    svg = svg_of(built, "fig-next")
    (title,) = [t for t in svg.iter(f"{SVG}text") if t.text == "Next figure"]
    assert "font-size: 12px" in title.get("style", "")  # "large": 1.2 x 10, not 1.2 x 25
    img = soup_of(built).find(id="fig-own").find("img")
    assert img["alt"] == "Chart: Own figure; score by step"


@CHARTS_HTML
@SHARED_BUILD
def test_figure_caption_number_and_numref(built: SphinxTestApp) -> None:
    soup = soup_of(built)
    figure = soup.find(id="fig-cost")
    assert figure.name == "figure" and "df-chart" in figure["class"]
    assert "Fig. 1" in figure.figcaption.get_text()
    assert "Cost per model" in figure.figcaption.get_text()
    link = soup.find("a", href="#fig-cost", class_="reference")
    assert link is not None and link.get_text() == "Fig. 1"
    # The default alt text names the kind, the title and the columns.
    assert figure.img["alt"] == (
        "Bar chart: Cost per 1M inferences. Cost by Model, one bar per Inst. Type."
    )
    # Tables keep working next to charts.
    assert soup.find("table") is not None


# ------------------------------------------------------------ other builders


@pytest.mark.parametrize(
    ("page", "suffix"),
    [
        pytest.param(
            "index.html", ".svg", marks=pytest.mark.sphinx("singlehtml", testroot="charts")
        ),
        pytest.param("index.xhtml", ".svg", marks=pytest.mark.sphinx("epub", testroot="charts")),
    ],
    ids=["singlehtml", "epub"],
)
def test_html_like_builders_use_svg(built: SphinxTestApp, page: str, suffix: str) -> None:
    app = built
    assert warnings_of(app) == []
    soup = soup_of(app, page)
    images = [str(img["src"]) for img in soup.find_all("img")]
    assert len(images) == 7
    assert all(src.endswith(suffix) and (app.outdir / src).is_file() for src in images)


@pytest.mark.sphinx("text", testroot="charts")
def test_text_builder_shows_alt_text(built: SphinxTestApp) -> None:
    app = built
    text = (app.outdir / "index.txt").read_text(encoding="utf-8")
    assert "[image: Throughput of each model on each instance type.]" in text
    assert "Cost per model" in text


@pytest.mark.sphinx("texinfo", testroot="charts")
def test_texinfo_gets_png(built: SphinxTestApp) -> None:
    app = built
    assert warnings_of(app) == []
    texi = next(out_dir(app).glob("*.texi")).read_text(encoding="utf-8")
    names = re.findall(r"@image\{([^,]*df-chart-[0-9a-f]+),", texi)
    assert len(names) == 7
    for name in names:
        png = next(out_dir(app).rglob(Path(name).name + ".png"))
        assert png.read_bytes().startswith(b"\x89PNG")


# ------------------------------------------------------- the example page

EXAMPLES = REPO / "docs" / "examples"


def test_trn1_example_has_a_cost_chart_in_each_tab_set(tmp_path: Path) -> None:
    """The benchmark page of the docs, built alone: a chart tab next to the tables."""
    files = {p.name: p.read_text(encoding="utf-8") for p in EXAMPLES.glob("*.csv")}
    files["index.rst"] = (EXAMPLES / "trn1-inference.rst").read_text(encoding="utf-8")
    conf = """
extensions += ["sphinx_design", "sphinx.ext.extlinks"]
extlinks = {"benchmark-pt": ("https://example.org/%s", "%s")}
numfig = True
"""
    srcdir = write_project(tmp_path / "src", files, conf)
    apps = {}
    for builder in ("html", "latex"):
        apps[builder] = app = make_app(builder, srcdir)
        try:
            app.build()
        finally:
            app.cleanup()
        # Only the link to the reference page, which is not part of this project.
        assert all("unknown document" in w for w in warnings_of(app)), warnings_of(app)
    soup = soup_of(apps["html"])
    rows = {"encoder": 12, "encoder-decoder": 9}  # one bar per row of the results file
    for name, bars in rows.items():
        figure = soup.find(id=f"{name}-cost-chart")
        assert figure is not None
        tab = figure.find_parent("div", class_="sd-tab-content")
        label = tab.find_previous_sibling("label", class_="sd-tab-label")
        assert label.get_text().strip() == "Cost chart"
        # ... in the same tab set as the tables.
        assert tab.parent.select("div.sd-tab-content table.df-table")
        svg = svg_of(apps["html"], f"{name}-cost-chart")
        assert len(ids(svg, "bar-")) == bars
        assert {"trn1.2xlarge", "trn1.32xlarge", "trn1n.32xlarge"} <= set(texts(svg))
        assert any(t.startswith("$") for t in texts(svg))
    tex = next(out_dir(apps["latex"]).glob("*.tex")).read_text(encoding="utf-8")
    pdfs = re.findall(r"\\sphinxincludegraphics\{\{(df-chart-[0-9a-f]+)\}\.pdf\}", tex)
    assert len(pdfs) == 2
    assert all((apps["latex"].outdir / f"{pdf}.pdf").is_file() for pdf in pdfs)


# ------------------------------------------------- determinism and the cache


def staged(app: SphinxTestApp) -> dict[str, str]:
    """Each staged chart file (all formats) of a build, by name -> content hash."""
    return {
        path.name: hashlib.sha256(path.read_bytes()).hexdigest()
        for path in (Path(app.doctreedir) / "df_chart").iterdir()
        if not path.name.startswith(".")
    }


def rebuild(srcdir: Path) -> SphinxTestApp:
    app = make_app("html", srcdir)
    try:
        app.build()
    finally:
        app.cleanup()
    return app


@CHARTS_HTML
@SHARED_BUILD
def test_byte_identical_files_cache_and_data_dependency(
    built: SphinxTestApp, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One chart alone in a fresh project: another worker, no cache.

    It gives the same bytes, in all formats, as the same chart among others;
    a rebuild after a prose edit takes it from the cache; a change to the data
    file runs the snippet again and changes the chart.
    """
    # matplotlib's config stays in the worker's own directory.
    home = tmp_path / "home"
    for variable in ("HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME"):
        monkeypatch.setenv(variable, str(home))
    monkeypatch.delenv("MPLCONFIGDIR", raising=False)
    srcdir = copy_root("chart-alone", tmp_path / "alone")  # the chart fig-cost, alone
    alone = rebuild(srcdir)
    # In the home folder: only the font list, kept for the next worker (font_cache.py).
    kept = [p.relative_to(home).as_posix() for p in home.rglob("*") if p.is_file()]
    assert len(kept) == 1
    assert re.fullmatch(r"sphinx-df-table/matplotlib-[^/]+/fontlist-v[\d.]+\.json", kept[0])
    files = staged(alone)
    assert sorted(Path(name).suffix for name in files) == [".pdf", ".png", ".svg"]
    # Named by content, so equal names mean equal bytes...
    for name, digest in files.items():
        assert name == f"df-chart-{digest[:20]}{Path(name).suffix}"
    # ... and the chart drawn among six others, in another worker, has exactly these files.
    assert files.items() <= staged(built).items()
    first_svg = svg_name(alone)
    assert first_svg == svg_name(built)

    page = srcdir / "index.rst"
    page.write_text(
        page.read_text(encoding="utf-8").replace("=====\n", "=====\n\nSome prose.\n", 1),
        encoding="utf-8",
    )
    again = rebuild(srcdir)
    assert "0 executed, 1 from cache" in status_text(again)
    assert svg_name(again) == first_svg

    data = srcdir / "results.csv"
    data.write_text(data.read_text(encoding="utf-8").replace("0.178", "0.278"), encoding="utf-8")
    changed = rebuild(srcdir)
    assert "1 executed, 0 from cache" in status_text(changed)
    assert svg_name(changed) != first_svg
    assert "$0.278" in texts(svg_of(changed, "fig-cost"))


def svg_name(app: SphinxTestApp) -> str:
    return str(soup_of(app).find(id="fig-cost").img["src"])


# --------------------------------------------------------------------- errors


@pytest.mark.sphinx("html", testroot="chart-errors")
def test_option_and_data_errors_are_located_warnings(built: SphinxTestApp) -> None:
    app = built
    warnings = warnings_of(app)
    expected = [
        (4, "df_table.option", "column 'Nope' given to :y: is not in the DataFrame ('a', 'b')"),
        (9, "df_table.option", "does not hold numbers (e.g. '$1.00'); keep the numbers"),
        (15, "df_table.option", "'a' has the value 'x' more than once"),
        (20, "df_table.option", "invalid value for option :kind: 'pie'"),
        (25, "df_table.option", "invalid value for option :width: '50%'"),
        (30, "df_table.option", ":group: and :color: are the same option"),
        (36, "df_table.result", "'df' must be a pandas DataFrame"),
        (42, "df_table.access", "writing files is not allowed"),
        (44, "df_table.option", "two columns of the same label"),
    ]
    assert len(warnings) == len(expected), warnings
    for warning, (line, subtype, text) in zip(warnings, expected, strict=True):
        assert f"index.rst:{line}:" in warning, warning
        assert f"[{subtype}]" in warning, warning
        assert text in warning, warning
    assert not Path("/tmp/df-chart-should-not-exist").exists()
    soup = soup_of(app)
    assert soup.find("img") is None
    assert "works" in soup.find("table").get_text()


@pytest.mark.sphinx("html", testroot="chart-no-matplotlib")
def test_without_matplotlib_one_warning_and_tables_still_work(
    app: SphinxTestApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    # ``None`` in sys.modules makes the import fail, as when it is not installed.
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    app.build()
    (warning,) = warnings_of(app)
    assert "index.rst:4:" in warning and "[df_table.chart]" in warning
    assert "pip install sphinx-df-table[charts]" in warning
    assert "fine" in soup_of(app).find("table").get_text()


def test_worker_without_matplotlib_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ResultTypeError, match=r"pip install sphinx-df-table\[charts\]"):
        render_chart({"df": None}, "df", {"kind": "bar"})


# ---------------------------------------------------------------- converters


def test_chart_length_units() -> None:
    assert chart_length("96px") == 1.0
    assert chart_length("96") == 1.0
    assert chart_length("5.08cm") == pytest.approx(2.0)
    assert chart_length("72pt") == 1.0
    assert chart_length("6in") == 6.0
    for bad in ("50%", "3em", "0.1in", "100in", "wide", ""):
        with pytest.raises(ValueError):
            chart_length(bad)


def test_column_list_commas_or_lines() -> None:
    assert column_list("Cost, Throughput") == ["Cost", "Throughput"]
    assert column_list("Cost, in $\nThroughput") == ["Cost, in $", "Throughput"]
    with pytest.raises(ValueError):
        column_list(" , ")
