"""The example page of the documentation (docs/examples/trn1-inference.rst) in Chromium.

Four interactive tables in two sphinx-design tab-sets, two of them in tabs that
are hidden when the page opens; each has a "Download CSV" link.
"""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from ..helpers import REPO
from .conftest import Site
from .dom import (
    TABLES,
    assert_columns_line_up,
    column,
    header_cell,
    headers,
    indicator,
    parse_number,
    scroll_box,
    scroll_page_to,
    settle,
    shown_rows,
    sort_button,
    sticky_state,
    wrapper,
)

EXAMPLES = REPO / "docs" / "examples"
PAGE = "examples/trn1-inference.html"
COST = "Cost per 1M inferences"


@pytest.fixture
def page(sites: dict[str, Site], new_page: Any) -> Any:
    page = new_page(width=1280, height=720)
    page.goto(sites["docs"].page(PAGE))
    page.wait_for_function("() => window.dfTable && window.dfTable.tables.length === 4")
    return page


def show_tab(page: Any, tab_set: int, label: str) -> None:
    page.locator(".sd-tab-set").nth(tab_set).locator("label", has_text=label).click()
    settle(page)


def snippet_frame(name: str) -> str:
    """Run the snippet of the table named ``name`` as plain Python next to its data.

    It runs in a subprocess whose working directory is the page's directory (as
    the extension's worker does), and prints ``df.to_csv(index=False)``.
    """
    lines = (EXAMPLES / "trn1-inference.rst").read_text(encoding="utf-8").splitlines()
    start = lines.index(f"         :name: {name}")
    # The directive's other options (some on several lines) end at a blank line.
    start += lines[start:].index("")
    body = []
    for line in lines[start + 1 :]:
        if line.strip() and not line.startswith(" " * 9):
            break
        body.append(line[9:])
    code = "import pandas as pd, numpy as np\n" + "\n".join(body)
    code += "\nimport sys; sys.stdout.write(df.to_csv(index=False))\n"
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=EXAMPLES,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return result.stdout


def test_every_table_is_enhanced(page: Any) -> None:
    tables = page.locator(TABLES)
    assert tables.count() == 4
    for i, rows in enumerate([12, 12, 9, 9]):
        table = tables.nth(i)
        toolbar = wrapper(table).locator(".df-table-toolbar")
        assert toolbar.locator("input[type=search]").count() == 1
        assert toolbar.locator("[role=status]").inner_text() == f"{rows} rows"
        assert table.locator("button.df-table-sort").count() == len(headers(table))
    # The first tab of each set is shown, the second is hidden.
    assert [tables.nth(i).is_visible() for i in range(4)] == [True, False, True, False]


def test_sort_by_a_numeric_column_in_a_tab_shown_later(page: Any) -> None:
    first, latency = page.locator(TABLES).nth(0), page.locator(TABLES).nth(1)
    first_order = column(first, "Model")
    show_tab(page, 0, "Latency optimized")
    assert latency.is_visible()
    assert indicator(latency, COST) == "\u2195"

    sort_button(latency, COST).click()
    costs = [parse_number(text) for text in column(latency, COST)]
    assert costs == sorted(costs)
    assert costs != [parse_number(t) for t in column(first, COST)]
    assert column(latency, COST)[0].startswith("$")
    assert header_cell(latency, COST).get_attribute("aria-sort") == "ascending"
    assert indicator(latency, COST) == "\u25b2"

    sort_button(latency, COST).click()
    costs = [parse_number(text) for text in column(latency, COST)]
    assert costs == sorted(costs, reverse=True)
    assert header_cell(latency, COST).get_attribute("aria-sort") == "descending"
    assert indicator(latency, COST) == "\u25bc"

    # Throughput: plain numbers with different digit counts sort as numbers.
    sort_button(latency, "Throughput (inference/sec)").click()
    values = [float(t) for t in column(latency, "Throughput (inference/sec)")]
    assert values == sorted(values)
    assert header_cell(latency, COST).get_attribute("aria-sort") is None

    # The table in the other tab was not touched, and keeps working.
    show_tab(page, 0, "Throughput optimized")
    assert column(first, "Model") == first_order
    assert first.locator("th[aria-sort]").count() == 0
    sort_button(first, "Latency P50 (ms)").click()
    values = [float(t) for t in column(first, "Latency P50 (ms)")]
    assert values == sorted(values)


def test_filter_shows_matching_rows(page: Any) -> None:
    source = pd.read_csv(EXAMPLES / "throughput_data_encoder.csv")
    table = page.locator(TABLES).nth(0)
    box = wrapper(table).locator("input[type=search]")
    status = wrapper(table).locator("[role=status]")

    box.fill("trn1.32xlarge")
    expected = int((source["Inst. Type"] == "trn1.32xlarge").sum())
    assert shown_rows(table) == expected == 5
    assert status.inner_text() == f"{expected} of 12 rows"
    assert set(column(table, "Inst. Type")) == {"trn1.32xlarge"}

    # Every word must match, in any column, in any case.
    box.fill("BERT trn1.2xlarge")
    models = source[source["Inst. Type"] == "trn1.2xlarge"]["Model"]
    expected = int(models.str.contains("bert").sum())
    assert shown_rows(table) == expected == 5  # albert, bert-*, distilbert, roberta
    assert status.inner_text() == f"{expected} of 12 rows"

    # Sorting keeps the filter; stripes follow the rows shown.
    sort_button(table, COST).click()
    assert shown_rows(table) == expected
    classes = table.evaluate(
        """t => [...t.tBodies[0].rows].filter(r => !r.hidden)
            .map(r => r.classList.contains("row-odd") ? "odd" : "even")"""
    )
    assert classes == ["even", "odd", "even", "odd", "even"]

    box.fill("no such text")
    assert shown_rows(table) == 0
    assert status.inner_text() == "0 of 12 rows"
    box.fill("")
    assert shown_rows(table) == 12
    assert status.inner_text() == "12 rows"


def test_filter_in_a_hidden_tab_after_it_is_shown(page: Any) -> None:
    show_tab(page, 1, "Latency optimized")
    table = page.locator(TABLES).nth(3)
    wrapper(table).locator("input[type=search]").fill("t5-")
    source = pd.read_csv(EXAMPLES / "latency_data_encoder_decoder.csv")
    expected = int(source["Model"].str.contains("t5-").sum())
    assert 0 < expected < len(source)
    assert shown_rows(table) == expected


def test_tables_do_not_interfere(page: Any) -> None:
    tables = page.locator(TABLES)
    first, third = tables.nth(0), tables.nth(2)
    third_order = column(third, "Model")
    wrapper(first).locator("input[type=search]").fill("albert")
    assert shown_rows(first) == 2
    assert shown_rows(third) == 9
    sort_button(first, "Inst. Type").click()
    assert column(third, "Model") == third_order
    assert third.locator("th[aria-sort]").count() == 0
    sort_button(third, "Model").click()
    assert shown_rows(first) == 2
    assert header_cell(first, "Inst. Type").get_attribute("aria-sort") == "ascending"


def test_keyboard(page: Any) -> None:
    table = page.locator(TABLES).nth(0)
    wrapper(table).locator("input[type=search]").focus()
    # The next stops are the instance-type select and the column picker, then
    # the table's scrolling container (the table is wider than the page), a
    # labelled region, and then the first column's sort button.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.tagName") == "SELECT"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Columns (4 hidden)"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.classList.contains('df-table-container')")
    assert page.evaluate("document.activeElement.getAttribute('role')") == "region"
    assert page.evaluate("document.activeElement.getAttribute('aria-label')") == "Table 1"
    page.keyboard.press("ArrowRight")
    page.wait_for_function(
        "() => document.activeElement.scrollLeft > 0", timeout=2000
    )  # the box scrolls with the arrow keys
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Model"
    page.keyboard.press("Enter")
    assert header_cell(table, "Model").get_attribute("aria-sort") == "ascending"
    page.keyboard.press("Space")
    assert header_cell(table, "Model").get_attribute("aria-sort") == "descending"
    models = column(table, "Model")
    assert models == sorted(models, reverse=True)


def test_sticky_header_follows_page_and_sideways_scroll(page: Any, artifacts: Path) -> None:
    table = page.locator(TABLES).nth(0)
    state = sticky_state(table)
    assert not state["shown"]

    scroll_page_to(page, table, 4)
    state = sticky_state(table)
    assert state["shown"]
    assert state["realHeadTop"] < 0  # the real header has scrolled away ...
    assert abs(state["top"]) <= 1  # ... and its copy is at the top (alabaster has no top bar)
    assert state["visibleAtCentre"]
    assert state["copyText"] == headers(table)
    assert abs(state["left"] - state["boxLeft"]) <= 1
    assert abs(state["width"] - state["boxWidth"]) <= 1
    assert_columns_line_up(state)

    # Scroll the wide table sideways: the copy follows.
    scroll_box(table).evaluate("box => { box.scrollLeft = 400; }")
    settle(page)
    state = sticky_state(table)
    assert state["scrollLeft"] == 400
    assert state["shown"]
    assert_columns_line_up(state)
    page.screenshot(path=str(artifacts / "trn1-inference-sticky-header.png"))
    assert (artifacts / "trn1-inference-sticky-header.png").stat().st_size > 10_000

    # A click on the copy sorts the real table.
    page.locator(".df-table-sticky:visible button.df-table-sort", has_text="Task").click()
    assert header_cell(table, "Task").get_attribute("aria-sort") == "ascending"

    # Past the table, the copy goes away; the hidden table's copy never shows.
    scroll_page_to(page, page.locator(TABLES).nth(2), 0)
    assert not sticky_state(table)["shown"]
    assert not sticky_state(page.locator(TABLES).nth(1))["shown"]


def test_download_csv_holds_the_source_data(page: Any, tmp_path: Path) -> None:
    table = page.locator(TABLES).nth(0)
    link = page.locator("p.df-table-download a").nth(0)
    assert link.inner_text() == "Download CSV"
    with page.expect_download() as download:
        link.click()
    path = tmp_path / "download.csv"
    download.value.save_as(path)
    assert download.value.suggested_filename == "encoder-throughput.csv"
    text = path.read_text(encoding="utf-8")

    # Exactly the DataFrame of the snippet, as pandas writes it ...
    assert text == snippet_frame("encoder-throughput")
    # ... with one row per table row, in the table's columns ...
    frame = pd.read_csv(io.StringIO(text))
    assert list(frame.columns) == headers(table)
    assert len(frame) == shown_rows(table) == 12
    # ... and the raw values of the source files (not the cells' display text).
    source = pd.read_csv(EXAMPLES / "throughput_data_encoder.csv")
    prices = pd.read_csv(EXAMPLES / "trn1_instance_prices.csv")
    merged = frame.merge(source, on=["Model", "Inst. Type"], suffixes=("", " (source)"))
    assert len(merged) == 12
    for name in ["Scripts", "Latency P50 (ms)", "Latency P99 (ms)", "Batch Size"]:
        assert merged[name].tolist() == merged[f"{name} (source)"].tolist(), name
    assert merged["Scripts"].str.startswith(":benchmark-pt:`Benchmark <").all()
    throughput = merged["Throughput (inference/sec) (source)"]
    assert (merged["Throughput (inference/sec)"] == throughput.round(2)).all()
    rate = merged.merge(prices, on="Inst. Type")["RI-Effective hourly rate"]
    cost = (1.0e6 / throughput) * (rate / 3.6e3)
    # The cost is a number (the table shows it as money through :formats:).
    assert merged["Cost per 1M inferences"].tolist() == pytest.approx(cost.tolist(), rel=1e-12)


def test_without_javascript_the_tables_are_plain(sites: dict[str, Site], new_page: Any) -> None:
    page = new_page(javascript=False)
    page.goto(sites["docs"].page(PAGE))
    assert page.locator(".df-table-toolbar").count() == 0
    assert page.locator("button").count() == 0
    tables = page.locator(TABLES)
    assert tables.count() == 4
    assert shown_rows(tables.nth(0)) == 12
    assert page.locator("p.df-table-download a").count() == 4
    href = page.locator("p.df-table-download a").nth(0).get_attribute("href")
    response = page.request.get(sites["docs"].page(f"examples/{href}"))
    assert response.ok
    assert response.text() == snippet_frame("encoder-throughput")
