"""LaTeX output: table environments (tabulary, longtable), column specs, captions,
merged cells, and charts included as PDF files."""

from __future__ import annotations

import re

import pytest
from sphinx.testing.util import SphinxTestApp

from sphinx_df_table.output.latex import font_size_option, landscape_option
from sphinx_df_table.output.latex_fit import Column, choose_layout

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


@pytest.mark.matrix
@pytest.mark.sphinx("latex", testroot="pdf")
def test_wide_tables_are_fitted_in_the_tex(built: SphinxTestApp) -> None:
    """The .tex of the PDF test root (tests/test_pdf.py compiles it): the fitting choices."""
    assert warnings_of(built) == []
    tex = (built.outdir / "pdf.tex").read_text(encoding="utf-8")
    assert r"\usepackage{pdflscape}" in tex
    # 25 columns: turned, in a smaller type, in two parts each led by the label column.
    wide = tex[tex.index("five columns") - 600 : tex.index("Grouped results")]
    assert r"\begin{landscape}" in wide and r"\hyphenpenalty=10000" in wide
    assert re.search(r"\\(small|footnotesize|scriptsize)\\setlength\{\\tabcolsep\}", wide)
    # Sphinx 5.3 sets a table with a given column spec in tabulary, later ones
    # in tabular: either way the parts keep the measured p{...} columns.
    parts = re.findall(r"\\begin\{tabular[y]?\}(?:\{\\linewidth\})?(?:\[t\])?\{\|>", wide)
    assert len(parts) == 2 and wide.count("Configuration") == 2, parts
    # A MultiIndex longtable repeats its labels in every row instead of merging them.
    grouped = tex[tex.index("Grouped results") - 600 : tex.index("Widths from the author")]
    assert r"\begin{longtable}" in grouped and r"\sphinxmultirow" not in grouped
    assert grouped.count("encoder\\sphinxhyphen{}only") == 24


def test_choose_layout_order() -> None:
    """Natural widths, then smaller type, then landscape, then parts; options are kept."""
    number = Column(longest=4.0, longest_word=4.0, wraps=False)
    assert choose_layout([number] * 5).parts == ()  # fits: left to tabulary
    long_ = choose_layout([number] * 5, sized_by_latex=False)
    assert long_.font_size == "normalsize" and len(long_.parts) == 1
    assert all(w >= 40.0 for w in long_.parts[0].widths)  # never under the content
    assert choose_layout([number] * 12).font_size in ("small", "footnotesize", "scriptsize")
    turned = choose_layout([number] * 19)
    assert turned.landscape and len(turned.parts) == 1
    split = choose_layout([number] * 40, labels=2)
    assert len(split.parts) > 1
    assert all(part.columns[:2] == (0, 1) for part in split.parts)
    assert sorted({c for part in split.parts for c in part.columns}) == list(range(40))
    forced = choose_layout([number] * 5, font_size="tiny", landscape=True)
    assert (forced.font_size, forced.landscape) == ("tiny", True)
    # :widths: keep their proportions: only the size and page are chosen.
    given = choose_layout([number] * 12, proportions=[1] * 12)
    assert given.parts == () and given.fits
    cramped = choose_layout([number, number], proportions=[1, 200], font_size="normalsize")
    assert not cramped.fits


def test_latex_options() -> None:
    assert font_size_option(r"\scriptsize") == "scriptsize"
    assert landscape_option(None) == "yes" and landscape_option("off") == "no"
    assert landscape_option("auto") == "auto"
    with pytest.raises(ValueError):
        font_size_option("huge")
    with pytest.raises(ValueError):
        landscape_option("sideways")
