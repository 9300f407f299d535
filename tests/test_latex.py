"""LaTeX output: table environments (tabulary, longtable), column specs, captions,
merged cells, and charts included as PDF files."""

from __future__ import annotations

import re

import pytest
from sphinx.testing.util import SphinxTestApp

from .helpers import out_dir, warnings_of


@pytest.mark.matrix
@pytest.mark.sphinx("latex", testroot="outputs")
def test_short_table_is_a_tabulary_with_its_caption(built: SphinxTestApp) -> None:
    tex = next(out_dir(built).glob("*.tex")).read_text(encoding="utf-8")
    assert r"\begin{tabulary}" in tex
    assert "Results caption" in tex
    assert "bert\\sphinxhyphen{}base" in tex and "2800.0" in tex


@pytest.mark.matrix
@pytest.mark.sphinx("latex", testroot="outputs")
def test_no_html_scroll_container_in_latex(built: SphinxTestApp) -> None:
    body = next(out_dir(built).glob("*.tex")).read_text(encoding="utf-8").split(r"\begin{document}")
    assert "container" not in body[1]


@pytest.mark.matrix
@pytest.mark.sphinx("latex", testroot="rich")
def test_latex_long_and_short_tables(built: SphinxTestApp) -> None:
    tex = (built.outdir / "rich.tex").read_text(encoding="utf-8")
    # Sphinx 5.3 writes the table's alignment ("[c]") before the column spec; newer ones do not.
    long_table = re.search(r"\\begin\{longtable\}(?:\[[clr]\])?(\{[^\n]*\})", tex)
    assert long_table is not None
    # p columns as wide as their content (in points), numbers flush right.
    assert long_table.group(1).count("p{") == 2
    assert re.search(r">\{\\raggedleft\\arraybackslash\}p\{[\d.]+pt\}", long_table.group(1))
    assert r"\endhead" in tex  # the header repeats on every page
    # Short tables: tabulary, numbers flush right, merged index cells.
    assert r"\begin{tabulary}{\linewidth}[t]{|L|L|R|}" in tex
    assert r"\sphinxmultirow{2}" in tex
    assert "1,234.57" in tex and r"\$12.500" in tex


@pytest.mark.sphinx("latex", testroot="charts")
def test_latex_includes_pdf_charts(built: SphinxTestApp) -> None:
    assert warnings_of(built) == []
    tex = next(out_dir(built).glob("*.tex")).read_text(encoding="utf-8")
    included = re.findall(r"\\sphinxincludegraphics\{\{(df-chart-[0-9a-f]+)\}\.pdf\}", tex)
    assert len(included) == 7
    for name in included:
        data = (built.outdir / f"{name}.pdf").read_bytes()
        assert data.startswith(b"%PDF-")
        assert b"CreationDate" not in data  # no timestamp: rebuilds do not churn
    assert "\\label{\\detokenize{index:fig-cost}}" in tex
    assert "Cost per model" in tex


@pytest.mark.sphinx("latex", testroot="latex-colspecs")
def test_latex_column_types_come_from_the_colspecs(built: SphinxTestApp) -> None:
    tex = (built.outdir / "t.tex").read_text(encoding="utf-8")
    # No entry has a class, yet the numbers are R; the first column is C.
    assert r"\begin{tabulary}{\linewidth}[t]{|C|L|R|}" in tex
