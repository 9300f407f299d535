"""Interactive tables under alabaster, furo and pydata-sphinx-theme.

Each site has two wide (20 columns), long (60 rows) interactive tables in a
sphinx-design tab-set; pydata-sphinx-theme has a sticky top bar, and so has
furo on a narrow window, which the floating header must stay below.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from .conftest import THEMES, Site
from .dom import (
    TABLES,
    assert_columns_line_up,
    column,
    header_cell,
    parse_number,
    scroll_page_to,
    settle,
    shown_rows,
    sort_button,
    sticky_state,
    wrapper,
)

#: (theme, window width, the theme's bar at the top of the window, if any)
LAYOUTS = [
    ("alabaster", 1280, None),
    ("furo", 1280, None),
    ("furo", 700, ".mobile-header"),
    ("pydata_sphinx_theme", 1280, ".bd-header"),
]


def open_page(sites: dict[str, Site], new_page: Any, theme: str, width: int = 1280) -> Any:
    page = new_page(width=width, height=700)
    page.goto(sites[theme].page("index.html"))
    page.wait_for_function("() => window.dfTable && window.dfTable.tables.length === 2")
    return page


def downloaded_frame(page: Any, sites: dict[str, Site], theme: str, index: int) -> pd.DataFrame:
    href = page.locator("p.df-table-download a").nth(index).get_attribute("href")
    response = page.request.get(sites[theme].page(href))
    assert response.ok
    return pd.read_csv(io.StringIO(response.text()))


@pytest.mark.parametrize("theme", THEMES)
def test_sort_and_filter_in_a_tab(sites: dict[str, Site], new_page: Any, theme: str) -> None:
    page = open_page(sites, new_page, theme)
    table = page.locator(TABLES).nth(1)
    assert not table.is_visible()
    page.locator(".sd-tab-set label", has_text="Second").click()
    settle(page)
    assert table.is_visible()

    sort_button(table, "Cost").click()
    costs = [parse_number(text) for text in column(table, "Cost")]
    assert costs == sorted(costs)
    assert all(text.startswith("$") for text in column(table, "Cost"))
    assert any("," in text for text in column(table, "Cost"))  # "$1,234.567" among them

    # Empty cells go last, whichever the direction.
    for direction in ("ascending", "descending"):  # a first click, and a second
        sort_button(table, "Metric 0").click()
        assert header_cell(table, "Metric 0").get_attribute("aria-sort") == direction
        texts = column(table, "Metric 0")
        missing = texts.count("")
        assert missing == 9
        assert texts[-missing:] == [""] * missing
        values = [float(t) for t in texts[:-missing]]
        assert values == sorted(values, reverse=direction == "descending")

    data = downloaded_frame(page, sites, theme, 1)
    wrapper(table).locator("input[type=search]").fill("inf2")
    expected = int((data["Instance"] == "inf2.xlarge").sum())
    assert 0 < expected < 60
    assert shown_rows(table) == expected
    assert set(column(table, "Instance")) == {"inf2.xlarge"}
    assert shown_rows(page.locator(TABLES).nth(0)) == 60


@pytest.mark.parametrize("layout", LAYOUTS, ids=[f"{t}-{w}" for t, w, _ in LAYOUTS])
def test_sticky_header_below_the_theme_bar(
    sites: dict[str, Site], new_page: Any, artifacts: Path, layout: tuple[str, int, str | None]
) -> None:
    theme, width, bar = layout
    page = open_page(sites, new_page, theme, width)
    table = page.locator(TABLES).nth(0)
    scroll_box = wrapper(table).locator(".df-table-scroll")

    # The wide table scrolls inside its box; the page does not scroll sideways.
    overflow = scroll_box.evaluate("box => box.scrollWidth - box.clientWidth")
    assert overflow > 100
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert table.evaluate("t => getComputedStyle(t).display") == "table"

    scroll_page_to(page, table, 20)
    if bar is not None:
        # Bring back a bar that hides while scrolling down.
        page.mouse.wheel(0, -1)
        page.wait_for_timeout(300)
        settle(page)
    expected_top = 0.0
    if bar is not None:
        rect = page.locator(bar).first.bounding_box()
        assert rect is not None and rect["height"] > 20, f"no {bar} in view"
        expected_top = rect["y"] + rect["height"]
    state = sticky_state(table)
    assert state["shown"], state
    assert abs(state["top"] - expected_top) <= 1, (state["top"], expected_top)
    assert state["realHeadTop"] < state["top"]
    assert state["visibleAtCentre"], "the header copy is covered"
    assert_columns_line_up(state)

    scroll_box.evaluate("box => { box.scrollLeft = box.scrollWidth; }")
    settle(page)
    state = sticky_state(table)
    assert state["scrollLeft"] > 0
    assert_columns_line_up(state)
    assert abs(state["left"] - state["boxLeft"]) <= 1
    assert abs(state["width"] - state["boxWidth"]) <= 1
    shot = artifacts / f"theme-{theme}-{width}.png"
    page.screenshot(path=str(shot))
    assert shot.stat().st_size > 10_000


@pytest.mark.parametrize("theme", THEMES)
def test_plain_wide_table_scrolls_in_its_container(
    sites: dict[str, Site], new_page: Any, theme: str
) -> None:
    """Without :interactive:, a wide table scrolls sideways inside its container
    (in a tab) instead of widening the page; numbers stay right-aligned cells."""
    page = new_page(width=1000, height=700)
    page.goto(sites[theme].page("plain.html"))
    state = page.evaluate(
        """() => {
            const table = document.querySelector('table#plain');
            const box = table.closest('div.df-table-container');
            const cell = table.querySelector('tbody td.align-right');
            const style = getComputedStyle(cell);
            // The container, or a scroller a theme puts inside it (pydata's).
            let scroller = table.parentElement;
            while (scroller !== box && scroller.scrollWidth <= scroller.clientWidth) {
                scroller = scroller.parentElement;
            }
            return {
                pageWidth: document.documentElement.scrollWidth,
                viewport: window.innerWidth,
                boxScrolls: scroller.scrollWidth > scroller.clientWidth
                    && ['auto', 'scroll'].includes(getComputedStyle(scroller).overflowX),
                boxOverflow: getComputedStyle(box).overflowX,
                inTab: box.closest('.sd-tab-content') !== null,
                float: style.float,
                align: style.textAlign,
                display: style.display,
            };
        }"""
    )
    assert state["inTab"] and state["boxOverflow"] == "auto"
    assert state["boxScrolls"], state
    assert state["pageWidth"] <= state["viewport"], state
    assert (state["float"], state["align"], state["display"]) == ("none", "right", "table-cell")
