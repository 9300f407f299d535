"""Cells match the original CSV route, and tables reach LaTeX and text output."""

from __future__ import annotations

import pandas as pd
import pytest

from .helpers import warnings_of
from .test_directive import CONF, html_of

pytestmark = pytest.mark.matrix


def test_same_cells_as_csv_table_of_to_csv(build) -> None:  # type: ignore[no-untyped-def]
    """Pages written for the original directive (to_csv -> csv-table) show the same cells."""
    frame = pd.DataFrame(
        {
            "Model": ["bert", "t5 'large'", 'say "hi"'],
            "Value": [1.5, float("nan"), 1e-7],
            "Cost": ["$1,234.500", "$0.010", "--"],
            "Scripts": [":benchmark-pt:`Benchmark <inf2>`", "*x* and ``y``", "https://example.org"],
            "Count": [1, 2, 3],
        }
    )
    snippet = (
        "df = pd.DataFrame({'Model': ['bert', \"t5 'large'\", 'say \"hi\"'], "
        "'Value': [1.5, float('nan'), 1e-7], 'Cost': ['$1,234.500', '$0.010', '--'], "
        "'Scripts': [':benchmark-pt:`Benchmark <inf2>`', '*x* and ``y``', "
        "'https://example.org'], 'Count': [1, 2, 3]})"
    )
    app = build(
        {
            "index.rst": f"""\
            Compat
            ======

            .. df-table::
               :header-rows: 1

               {snippet}

            .. csv-table::
               :header-rows: 1
               :file: compat.csv
            """,
            "compat.csv": frame.to_csv(index=False),
        },
        conf=CONF,
    )
    assert warnings_of(app) == []
    soup = html_of(app)
    new, old = soup.find_all("table")
    # Identical markup, except that df-table right-aligns numeric columns.
    assert str(new.find("thead")) == str(old.find("thead"))
    aligned = str(new.find("tbody")).replace(' class="align-right"', "")
    assert aligned == str(old.find("tbody"))
    assert str(new.find("tbody")).count('<td class="align-right">') == 2 * 3


def test_latex_and_text_output(build) -> None:  # type: ignore[no-untyped-def]
    files = {
        "index.rst": """\
        Out
        ===

        .. df-table:: Results caption
           :name: tbl-out

           df = pd.DataFrame({'Model': ['bert-base', 'roberta'], 'Throughput': [1200.5, 2800.0]})
        """
    }
    latex = build(files, builder="latex")
    tex = next(latex.outdir.glob("*.tex")).read_text(encoding="utf-8")
    assert r"\begin{tabulary}" in tex
    assert "Results caption" in tex
    assert "bert\\sphinxhyphen{}base" in tex and "2800.0" in tex
    text = build(files, builder="text", srcdir=latex.srcdir.parent / "text-src")
    out = (text.outdir / "index.txt").read_text(encoding="utf-8")
    lines = out.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("| Model"))
    assert lines[header + 1].startswith("|=====")  # the header row of a grid table
    assert "bert-base" in out and "1200.5" in out and "Results caption" in out
