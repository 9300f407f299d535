"""The df-table directive in real Sphinx builds: options, cells, paths, outputs."""

from __future__ import annotations

import os
import sys

import pytest
from bs4 import BeautifulSoup, Tag
from docutils import nodes
from sphinx.testing.util import SphinxTestApp

from .helpers import warnings_of

pytestmark = pytest.mark.matrix

CONF = """
extensions += ["sphinx.ext.extlinks", "sphinx_design"]
extlinks = {"benchmark-pt": ("https://example.org/benchmarks/%s", "%s")}
numfig = True
"""

RESULTS_CSV = """\
Model,Inst. Type,Throughput (inference/sec),Latency P50 (ms),Scripts
bert-base,trn1.2xlarge,1200.5,2.1,:benchmark-pt:`Benchmark <inf2>`
bert-large,trn1.32xlarge,3400.25,5.75,:benchmark-pt:`Benchmark <trn1>`
roberta,trn1n.32xlarge,2800.0,,
"""

INDEX = """\
Index
=====

.. toctree::

   sub/page

.. df-table:: Throughput *by model*
   :header-rows: 1
   :name: tbl-throughput
   :class: bench wide
   :align: center
   :width: 80%

   df = pd.read_csv('data/results.csv')

See :numref:`tbl-throughput` and :ref:`tbl-throughput`.

.. df-table::
   :name: tbl-default

   df = pd.read_csv('data/results.csv')

.. df-table::
   :name: tbl-header0
   :header-rows: 0

   df = pd.read_csv('data/results.csv')

.. df-table::
   :name: tbl-header2
   :header-rows: 2
   :stub-columns: 1

   df = pd.read_csv('data/results.csv')

.. df-table::
   :name: tbl-widths
   :widths: 3 2 2 2 4

   df = pd.read_csv('data/results.csv')

.. df-table::
   :name: tbl-auto
   :widths: auto

   df = pd.read_csv('data/results.csv')

.. df-table::
   :name: tbl-cells

   df = pd.DataFrame({'text': [
       '1. not a list',
       '- not a bullet',
       '*emphasis* and ``code``',
       '"quoted" -- dash',
       'see :ref:`the table <tbl-default>`',
   ]})

.. df-table::
   :name: tbl-literal
   :markup: none

   df = pd.DataFrame({'text': ['*not emphasis*', ':benchmark-pt:`Benchmark <inf2>`']})

.. df-table::
   :name: tbl-var
   :df-var: result

   result = pd.Series([1.5, 2.5], name='only column')
   df = 'ignored: not the result variable'

.. df-table::
   :name: tbl-isolated

   df = pd.DataFrame({'has_result_var': ['result' in dir()], 'pd': [pd.__name__]})

.. tab-set::

   .. tab-item:: Throughput optimized

      .. df-table::
         :name: tbl-in-tab

         df = pd.read_csv('data/results.csv')
         df = df[['Model', 'Throughput (inference/sec)']]
"""

SUB_PAGE = """\
Sub page
========

.. df-table::
   :name: tbl-sub

   df = pd.read_csv('local.csv')

.. include:: ../shared/part.inc
"""

PART = """\
.. df-table::
   :name: tbl-included

   df = pd.read_csv('part.csv')
"""


@pytest.fixture(scope="module")
def app(module_build) -> SphinxTestApp:  # type: ignore[no-untyped-def]
    cwd, path, environ = os.getcwd(), list(sys.path), dict(os.environ)
    built = module_build(
        {
            "index.rst": INDEX,
            "data/results.csv": RESULTS_CSV,
            "sub/page.rst": SUB_PAGE,
            "sub/local.csv": "where\nsub directory\n",
            "shared/part.inc": PART,
            "shared/part.csv": "where\nshared directory\n",
        },
        conf=CONF,
    )
    # The build ran snippets that read relative paths; Sphinx's process is untouched.
    assert (os.getcwd(), sys.path, dict(os.environ)) == (cwd, path, environ)
    return built


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


def test_builds_without_warnings(app: SphinxTestApp) -> None:
    assert warnings_of(app) == []


def test_doctree_is_a_docutils_table(app: SphinxTestApp) -> None:
    doctree = app.env.get_doctree("index")
    tables = [t for t in doctree.findall(nodes.table) if "tbl-default" in t["ids"]]
    assert len(tables) == 1
    (tgroup,) = tables[0].children
    assert isinstance(tgroup, nodes.tgroup)
    assert tgroup["cols"] == 5
    kinds = [type(child).__name__ for child in tgroup.children]
    assert kinds == ["colspec"] * 5 + ["thead", "tbody"]
    assert [c["colwidth"] for c in tgroup.findall(nodes.colspec)] == [20] * 5
    assert tables[0].source and tables[0].line


def test_header_and_body_text_match_the_csv(app: SphinxTestApp) -> None:
    soup = html_of(app)
    tbl = table(soup, "tbl-default")
    assert rows(tbl, "thead") == [
        ["Model", "Inst. Type", "Throughput (inference/sec)", "Latency P50 (ms)", "Scripts"]
    ]
    body = rows(tbl, "tbody")
    assert body[0][:4] == ["bert-base", "trn1.2xlarge", "1200.5", "2.1"]
    assert body[2] == ["roberta", "trn1n.32xlarge", "2800.0", "", ""]


def test_header_rows_1_is_the_default(app: SphinxTestApp) -> None:
    soup = html_of(app)
    explicit, default = table(soup, "tbl-throughput"), table(soup, "tbl-default")
    assert rows(explicit, "thead") == rows(default, "thead")
    assert rows(explicit, "tbody") == rows(default, "tbody")


def test_header_rows_0_and_2(app: SphinxTestApp) -> None:
    soup = html_of(app)
    zero = table(soup, "tbl-header0")
    assert rows(zero, "thead") == []
    assert rows(zero, "tbody")[0][0] == "Model"
    two = table(soup, "tbl-header2")
    assert [r[0] for r in rows(two, "thead")] == ["Model", "bert-base"]
    assert len(rows(two, "tbody")) == 2
    stubs = two.find("tbody").find_all("th", class_="stub")  # type: ignore[union-attr]
    assert [s.get_text() for s in stubs] == ["bert-large", "roberta"]


def test_caption_name_class_align_width(app: SphinxTestApp) -> None:
    soup = html_of(app)
    tbl = table(soup, "tbl-throughput")
    caption = tbl.find("caption")
    assert caption is not None
    assert caption.find("em").get_text() == "by model"  # type: ignore[union-attr]
    assert "Table 1" in caption.get_text()
    assert {"df-table", "bench", "wide", "align-center"} <= set(tbl["class"])
    assert "width: 80%" in str(tbl.get("style"))
    refs = [a.get_text() for a in soup.find_all("a", href="#tbl-throughput")]
    assert "Table 1" in refs and "Throughput by model" in refs


def test_widths(app: SphinxTestApp) -> None:
    doctree = app.env.get_doctree("index")
    by_id = {t["ids"][0]: t for t in doctree.findall(nodes.table) if t["ids"]}
    given = by_id["tbl-widths"]
    assert "colwidths-given" in given["classes"]
    assert [c["colwidth"] for c in given.findall(nodes.colspec)] == [3, 2, 2, 2, 4]
    assert "colwidths-auto" in by_id["tbl-auto"]["classes"]
    assert "colwidths-given" not in by_id["tbl-default"]["classes"]
    cols = [col.get("style") for col in table(html_of(app), "tbl-widths").find_all("col")]
    assert cols == [f"width: {w}%" for w in ("23.1", "15.4", "15.4", "15.4", "30.8")]


def test_inline_rest_in_cells(app: SphinxTestApp) -> None:
    soup = html_of(app)
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


def test_markup_none_keeps_text_literal(app: SphinxTestApp) -> None:
    tbl = table(html_of(app), "tbl-literal")
    assert rows(tbl, "tbody") == [["*not emphasis*"], [":benchmark-pt:`Benchmark <inf2>`"]]
    assert tbl.find("em") is None and tbl.find("a") is None


def test_df_var_and_series(app: SphinxTestApp) -> None:
    tbl = table(html_of(app), "tbl-var")
    assert rows(tbl, "thead") == [["only column"]]
    assert rows(tbl, "tbody") == [["1.5"], ["2.5"]]


def test_fresh_namespace_per_directive(app: SphinxTestApp) -> None:
    assert rows(table(html_of(app), "tbl-isolated"), "tbody") == [["False", "pandas"]]


def test_relative_paths_resolve_against_the_document(app: SphinxTestApp) -> None:
    soup = html_of(app, "sub/page")
    assert rows(table(soup, "tbl-sub"), "tbody") == [["sub directory"]]
    # An included file's snippet reads relative to the included file.
    assert rows(table(soup, "tbl-included"), "tbody") == [["shared directory"]]


def test_inside_sphinx_design_tab_set(app: SphinxTestApp) -> None:
    soup = html_of(app)
    tab = soup.find("div", class_="sd-tab-content")
    assert isinstance(tab, Tag)
    tbl = tab.find("table", id="tbl-in-tab")
    assert isinstance(tbl, Tag)
    assert rows(tbl, "thead") == [["Model", "Throughput (inference/sec)"]]
    assert len(rows(tbl, "tbody")) == 3
