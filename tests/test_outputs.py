"""Cells match the original CSV route, and tables reach text output (LaTeX: test_latex.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from sphinx.testing.util import SphinxTestApp

from .helpers import warnings_of
from .test_directive import html_of

pytestmark = pytest.mark.matrix


@pytest.mark.sphinx("html", testroot="compat")
def test_same_cells_as_csv_table_of_to_csv(built: SphinxTestApp) -> None:
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
    # The csv-table's file is what the original directive wrote: this frame's to_csv.
    compat = Path(built.srcdir, "compat.csv").read_text(encoding="utf-8")
    assert compat == frame.to_csv(index=False)
    assert warnings_of(built) == []
    soup = html_of(built)
    new, old = soup.find_all("table")
    # Identical markup, except that df-table right-aligns numeric columns and
    # gives their cells sort keys.
    assert str(new.find("thead")) == str(old.find("thead"))
    plain = re.sub(r' data-sort="[^"]*"', "", str(new.find("tbody")))
    assert plain.replace(' class="align-right"', "") == str(old.find("tbody"))
    assert plain.count('<td class="align-right">') == 2 * 3


@pytest.mark.sphinx("text", testroot="outputs")
def test_text_output(built: SphinxTestApp) -> None:
    out = (built.outdir / "index.txt").read_text(encoding="utf-8")
    lines = out.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("| Model"))
    assert lines[header + 1].startswith("|=====")  # the header row of a grid table
    assert "bert-base" in out and "1200.5" in out and "Results caption" in out
