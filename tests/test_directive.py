"""The df-table directive in a real Sphinx build (test root ``directive``): options,
cells, paths."""

from __future__ import annotations

import os
import sys
from typing import Any

import pytest
from bs4 import BeautifulSoup, Tag
from docutils import nodes
from sphinx.testing.util import SphinxTestApp

from .helpers import build_once, warnings_of

pytestmark = [
    pytest.mark.matrix,
    pytest.mark.sphinx("html", testroot="directive"),
    pytest.mark.test_params(shared_result="directive-html"),
]


@pytest.fixture
def built(app: SphinxTestApp, test_params: dict[str, Any]) -> SphinxTestApp:
    """The test root, built once for the module (``shared_result``)."""
    cwd, path, environ = os.getcwd(), list(sys.path), dict(os.environ)
    build_once(app, test_params["shared_result"])
    # The build ran snippets that read relative paths; Sphinx's process is untouched.
    assert (os.getcwd(), sys.path, dict(os.environ)) == (cwd, path, environ)
    return app


def html_of(app: SphinxTestApp, docname: str = "index") -> BeautifulSoup:
    return BeautifulSoup(
        (app.outdir / f"{docname}.html").read_text(encoding="utf-8"), "html.parser"
    )


def table(soup: BeautifulSoup, name: str) -> Tag:
    found = soup.find("table", id=name)
    assert isinstance(found, Tag), f"no table {name}"
    return found


def rows(tag: Tag, part: str) -> list[list[str]]:
    section = tag.find(part)
    if section is None:
        return []
    assert isinstance(section, Tag)
    return [
        [cell.get_text() for cell in tr.find_all(["th", "td"])] for tr in section.find_all("tr")
    ]


def test_builds_without_warnings(built: SphinxTestApp) -> None:
    assert warnings_of(built) == []


def test_doctree_is_a_docutils_table(built: SphinxTestApp) -> None:
    doctree = built.env.get_doctree("index")
    tables = [t for t in doctree.findall(nodes.table) if "tbl-default" in t["ids"]]
    assert len(tables) == 1
    (tgroup,) = tables[0].children
    assert isinstance(tgroup, nodes.tgroup)
    assert tgroup["cols"] == 5
    kinds = [type(child).__name__ for child in tgroup.children]
    assert kinds == ["colspec"] * 5 + ["thead", "tbody"]
    assert [c["colwidth"] for c in tgroup.findall(nodes.colspec)] == [20] * 5
    assert tables[0].source and tables[0].line


def test_header_and_body_text_match_the_csv(built: SphinxTestApp) -> None:
    soup = html_of(built)
    tbl = table(soup, "tbl-default")
    assert rows(tbl, "thead") == [
        ["Model", "Inst. Type", "Throughput (inference/sec)", "Latency P50 (ms)", "Scripts"]
    ]
    body = rows(tbl, "tbody")
    assert body[0][:4] == ["bert-base", "trn1.2xlarge", "1200.5", "2.1"]
    assert body[2] == ["roberta", "trn1n.32xlarge", "2800.0", "", ""]


def test_header_rows_1_is_the_default(built: SphinxTestApp) -> None:
    soup = html_of(built)
    explicit, default = table(soup, "tbl-throughput"), table(soup, "tbl-default")
    assert rows(explicit, "thead") == rows(default, "thead")
    assert rows(explicit, "tbody") == rows(default, "tbody")


def test_header_rows_0_and_2(built: SphinxTestApp) -> None:
    soup = html_of(built)
    zero = table(soup, "tbl-header0")
    assert rows(zero, "thead") == []
    assert rows(zero, "tbody")[0][0] == "Model"
    two = table(soup, "tbl-header2")
    assert [r[0] for r in rows(two, "thead")] == ["Model", "bert-base"]
    assert len(rows(two, "tbody")) == 2
    stubs = two.find("tbody").find_all("th", class_="stub")  # type: ignore[union-attr]
    assert [s.get_text() for s in stubs] == ["bert-large", "roberta"]


def test_caption_name_class_align_width(built: SphinxTestApp) -> None:
    soup = html_of(built)
    tbl = table(soup, "tbl-throughput")
    caption = tbl.find("caption")
    assert caption is not None
    assert caption.find("em").get_text() == "by model"  # type: ignore[union-attr]
    assert "Table 1" in caption.get_text()
    assert {"df-table", "bench", "wide", "align-center"} <= set(tbl["class"])
    assert "width: 80%" in str(tbl.get("style"))
    refs = [a.get_text() for a in soup.find_all("a", href="#tbl-throughput")]
    assert "Table 1" in refs and "Throughput by model" in refs


def test_widths(built: SphinxTestApp) -> None:
    doctree = built.env.get_doctree("index")
    by_id = {t["ids"][0]: t for t in doctree.findall(nodes.table) if t["ids"]}
    given = by_id["tbl-widths"]
    assert "colwidths-given" in given["classes"]
    assert [c["colwidth"] for c in given.findall(nodes.colspec)] == [3, 2, 2, 2, 4]
    assert "colwidths-auto" in by_id["tbl-auto"]["classes"]
    assert "colwidths-given" not in by_id["tbl-default"]["classes"]
    soup = html_of(built)
    cols = [col.get("style") for col in table(soup, "tbl-widths").find_all("col")]
    # The percentages are docutils' (one decimal from 0.19, whole numbers before):
    # the same as for a list-table with the same widths.
    assert cols == [col.get("style") for col in table(soup, "ref-widths").find_all("col")]
    percents = [float(str(c).removeprefix("width: ").removesuffix("%")) for c in cols]
    assert [round(p) for p in percents] == [23, 15, 15, 15, 31]


def test_inline_rest_in_cells(built: SphinxTestApp) -> None:
    soup = html_of(built)
    scripts = [tr.find_all("td")[4] for tr in table(soup, "tbl-default").tbody.find_all("tr")]  # type: ignore[union-attr]
    link = scripts[0].find("a")
    assert link is not None
    assert link["href"] == "https://example.org/benchmarks/inf2"
    assert link.get_text() == "Benchmark"
    cells = [r[0] for r in rows(table(soup, "tbl-cells"), "tbody")]
    tbody = table(soup, "tbl-cells").tbody
    assert tbody is not None
    assert tbody.find("em").get_text() == "emphasis"  # type: ignore[union-attr]
    assert tbody.find("code").get_text() == "code"  # type: ignore[union-attr]
    assert tbody.find("a", href="#tbl-default") is not None
    # Block-level markup is never produced from a cell.
    assert tbody.find(["ol", "ul", "li"]) is None
    assert cells[0] == "1. not a list"
    assert cells[1] == "- not a bullet"
    # Sphinx's smartquotes apply to cells as to any text.
    assert cells[3] == "\u201cquoted\u201d \u2013 dash"


def test_markup_none_keeps_text_literal(built: SphinxTestApp) -> None:
    tbl = table(html_of(built), "tbl-literal")
    assert rows(tbl, "tbody") == [["*not emphasis*"], [":benchmark-pt:`Benchmark <inf2>`"]]
    assert tbl.find("em") is None and tbl.find("a") is None


def test_df_var_and_series(built: SphinxTestApp) -> None:
    tbl = table(html_of(built), "tbl-var")
    assert rows(tbl, "thead") == [["only column"]]
    assert rows(tbl, "tbody") == [["1.5"], ["2.5"]]


def test_fresh_namespace_per_directive(built: SphinxTestApp) -> None:
    assert rows(table(html_of(built), "tbl-isolated"), "tbody") == [["False", "pandas"]]


def test_relative_paths_resolve_against_the_document(built: SphinxTestApp) -> None:
    soup = html_of(built, "sub/page")
    assert rows(table(soup, "tbl-sub"), "tbody") == [["sub directory"]]
    # An included file's snippet reads relative to the included file.
    assert rows(table(soup, "tbl-included"), "tbody") == [["shared directory"]]


def test_inside_sphinx_design_tab_set(built: SphinxTestApp) -> None:
    soup = html_of(built)
    tab = soup.find("div", class_="sd-tab-content")
    assert isinstance(tab, Tag)
    tbl = tab.find("table", id="tbl-in-tab")
    assert isinstance(tbl, Tag)
    assert rows(tbl, "thead") == [["Model", "Throughput (inference/sec)"]]
    assert len(rows(tbl, "tbody")) == 3
