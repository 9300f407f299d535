"""Wide tables in Chromium: frozen columns, the column picker, the value selects.

The theme sites (tests/browser/conftest.py) use the defaults: their tables'
first column (model names) is frozen, and the instance-type column, three
values over 60 rows, gets a select. The example page names its choices:
``:freeze-columns: 1``, four ``:hidden-columns:`` and
``:filter-columns: Inst. Type``. Each test keeps a screenshot in
``tests/artifacts/``.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from PIL import Image

from ..helpers import REPO
from .conftest import Site
from .dom import (
    TABLES,
    assert_columns_line_up,
    assert_frozen_cover_the_edge,
    column,
    frozen_edges,
    headers,
    scroll_box,
    scroll_page_to,
    settle,
    shown_rows,
    sticky_state,
    wrapper,
)

EXAMPLE = "examples/trn1-inference.html"
HIDDEN_AT_FIRST = ["Scripts", "Framework", "Neuron Version", "Compilation Autocast Data Type"]

#: (theme, window width, colour scheme the reader's system prefers)
LAYOUTS = [
    ("alabaster", 1280, "light"),
    ("furo", 1280, "light"),
    ("furo", 1280, "dark"),
    ("furo", 400, "dark"),
    ("pydata_sphinx_theme", 1280, "dark"),
    ("pydata_sphinx_theme", 400, "light"),
]


def frozen_state(table: Any, columns: list[int]) -> dict[str, Any]:
    """Where the first body row's cells of ``columns`` are, against the scroll box."""
    return table.evaluate(
        """(table, columns) => {
            const box = table.closest(".df-table-container");
            const boxLeft = box.getBoundingClientRect().left + box.clientLeft;
            const row = table.tBodies[0].rows[0];
            const cells = columns.map(c => {
                const cell = row.cells[c];
                const rect = cell.getBoundingClientRect();
                const hit = document.elementFromPoint(
                    rect.left + rect.width / 2, rect.top + rect.height / 2);
                return {
                    left: rect.left - boxLeft, right: rect.right - boxLeft,
                    onTop: hit !== null && cell.contains(hit),
                    background: getComputedStyle(cell).backgroundColor,
                    position: getComputedStyle(cell).position,
                };
            });
            // What the script made (toolbar and table) fits the window.
            const wrap = (table.closest(".df-table-wrap") || box).getBoundingClientRect();
            return {scrollLeft: box.scrollLeft, cells: cells, wrapRight: wrap.right,
                    viewport: document.documentElement.clientWidth};
        }""",
        columns,
    )


def rgb(color: str) -> tuple[float, ...]:
    """``rgb(r, g, b)`` as numbers; the test fails on a colour that is not opaque."""
    assert color.startswith("rgb(") and "/" not in color, color
    return tuple(float(part) for part in color[4:-1].split(","))


def luminance(color: str) -> float:
    return sum(rgb(color)) / (3 * 255)


def looks_alike(page: Any, table: Any, frozen: int, other: int) -> bool:
    """Whether the first body row's frozen cell shows the colour its row shows
    in another cell (pixels of the screen, in the cells' padding, no text;
    ``other`` counts from the end when negative)."""
    points = table.evaluate(
        """(table, columns) => columns.map(c => {
            const cells = table.tBodies[0].rows[0].cells;
            const r = cells[c < 0 ? cells.length + c : c].getBoundingClientRect();
            return [c === columns[0] ? r.right - 4 : r.left + 4, r.top + 3];
        })""",
        [frozen, other],
    )
    image = Image.open(io.BytesIO(page.screenshot())).convert("RGB")
    scale = image.width / page.viewport_size["width"]
    frozen_rgb, other_rgb = (image.getpixel((int(x * scale), int(y * scale))) for x, y in points)
    return all(abs(a - b) <= 8 for a, b in zip(frozen_rgb, other_rgb, strict=True))


@pytest.mark.parametrize("layout", LAYOUTS, ids=[f"{t}-{w}-{s}" for t, w, s in LAYOUTS])
def test_first_column_stays_in_view_in_a_tab(
    sites: dict[str, Site], new_page: Any, artifacts: Path, layout: tuple[str, int, str]
) -> None:
    theme, width, scheme = layout
    page = new_page(width=width, height=700, color_scheme=scheme)
    page.goto(sites[theme].page("index.html"))
    page.wait_for_function("() => window.dfTable && window.dfTable.tables.length === 2")
    page.locator(".sd-tab-set label", has_text="Second").click()
    table = page.locator(TABLES).nth(1)
    # The table's top a third down the window (below any top bar).
    table.evaluate(
        "t => window.scrollTo(0, t.getBoundingClientRect().top + scrollY - innerHeight / 3)"
    )
    settle(page)
    assert table.is_visible()
    assert "df-table-freeze-1" in str(table.get_attribute("class"))

    before = frozen_state(table, [0, 2])
    box = scroll_box(table)
    box.evaluate("box => { box.scrollLeft = box.scrollWidth; }")
    settle(page)
    after = frozen_state(table, [0, 2])
    assert after["scrollLeft"] > 200
    model, throughput = after["cells"]
    # The model column stays at the box's left edge (a theme's margin around
    # the table scrolls away first); the others scrolled under it.
    assert -1 <= model["left"] <= max(before["cells"][0]["left"], 0) + 1, (before, after)
    assert model["position"] == "sticky" and model["onTop"]
    assert throughput["left"] < before["cells"][1]["left"] - 200
    # No sliver of the scrolled cells shows left of the frozen ones, in any row.
    assert_frozen_cover_the_edge(frozen_edges(table))
    # (pydata-sphinx-theme's own top bar is wider than a 400 px window.)
    assert after["wrapRight"] <= after["viewport"] + 1
    # The frozen cell is opaque, in the theme's light or dark colours, and
    # looks like the rest of its row.
    background = model["background"]
    assert (luminance(background) < 0.35) == (scheme == "dark" and theme != "alabaster")
    assert looks_alike(page, table, 0, -1)  # the last column is in view

    # Scrolled down, the header copy freezes the same column, over the real one.
    scroll_page_to(page, table, 30)
    page.mouse.wheel(0, -1)  # bring back a top bar that hides while scrolling down
    page.wait_for_timeout(300)
    settle(page)
    state = sticky_state(table)
    assert state["shown"], state
    assert_columns_line_up(state)
    assert abs(state["copy"][0][0] - (model["left"] + state["boxLeft"])) <= 1
    assert state["copyText"][0] == "Model"
    assert_frozen_cover_the_edge(frozen_edges(table, copy=True))
    shot = artifacts / f"wide-frozen-{theme}-{width}-{scheme}.png"
    page.screenshot(path=str(shot))
    assert shot.stat().st_size > 10_000


@pytest.fixture
def example(sites: dict[str, Site], new_page: Any) -> Any:
    page = new_page(width=1280, height=720)
    page.goto(sites["docs"].page(EXAMPLE))
    page.wait_for_function("() => window.dfTable && window.dfTable.tables.length === 4")
    return page


def displayed_headers(table: Any) -> list[str]:
    return list(
        table.evaluate(
            """table => [...table.tHead.rows[0].cells]
                .filter(cell => getComputedStyle(cell).display !== "none")
                .map(cell => cell.textContent.trim())"""
        )
    )


def test_column_picker_by_keyboard(example: Any, artifacts: Path) -> None:
    page = example
    table = page.locator(TABLES).nth(0)
    every = headers(table)
    assert displayed_headers(table) == [h for h in every if h not in HIDDEN_AT_FIRST]
    # Every row has its cells of the hidden columns, none displayed.
    cells = table.evaluate(
        """table => [...table.tBodies[0].rows].map(row =>
            [...row.cells].filter(cell => getComputedStyle(cell).display !== "none").length)"""
    )
    assert cells == [len(every) - 4] * 12

    button = wrapper(table).locator("button.df-table-picker-button")
    menu = wrapper(table).locator("[role=group]")
    assert button.inner_text() == "Columns (4 hidden)"
    assert button.get_attribute("aria-expanded") == "false"
    assert menu.get_attribute("aria-label") == "Columns shown"
    assert button.get_attribute("aria-controls") == menu.get_attribute("id")
    assert not menu.is_visible()

    button.focus()
    page.keyboard.press("Enter")
    assert button.get_attribute("aria-expanded") == "true"
    assert menu.is_visible()
    boxes = menu.locator("input[type=checkbox]")
    assert [label.strip() for label in menu.locator("label").all_inner_texts()] == every
    assert [boxes.nth(i).is_checked() for i in range(len(every))] == [
        h not in HIDDEN_AT_FIRST for h in every
    ]
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")  # the second box: Scripts
    assert page.evaluate("document.activeElement.parentNode.textContent.trim()") == "Scripts"
    page.keyboard.press("Space")
    settle(page)
    assert "Scripts" in displayed_headers(table)
    assert button.inner_text() == "Columns (3 hidden)"
    assert table.locator("tbody tr").first.locator("a", has_text="Benchmark").is_visible()
    # Hiding a shown column by mouse.
    menu.locator("label", has_text="Latency P99 (ms)").click()
    assert "Latency P99 (ms)" not in displayed_headers(table)
    page.screenshot(path=str(artifacts / "wide-column-picker.png"))
    page.keyboard.press("Escape")
    assert not menu.is_visible()
    assert button.get_attribute("aria-expanded") == "false"
    assert page.evaluate("document.activeElement.classList.contains('df-table-picker-button')")

    # The header copy has the columns shown, where the real ones are.
    scroll_page_to(page, table, 4)
    assert sticky_state(table)["shown"]
    copy_headers = table.evaluate(
        """table => [...table.closest(".df-table-wrap")
            .querySelector(".df-table-sticky thead tr").cells]
            .filter(cell => getComputedStyle(cell).display !== "none")
            .map(cell => cell.textContent.trim())"""
    )
    assert copy_headers == displayed_headers(table)
    real = table.evaluate(
        """table => [...table.tHead.rows[0].cells]
            .filter(cell => getComputedStyle(cell).display !== "none")
            .map(cell => { const r = cell.getBoundingClientRect(); return [r.left, r.right]; })"""
    )
    copy = table.evaluate(
        """table => [...table.closest(".df-table-wrap")
            .querySelector(".df-table-sticky thead tr").cells]
            .filter(cell => getComputedStyle(cell).display !== "none")
            .map(cell => { const r = cell.getBoundingClientRect(); return [r.left, r.right]; })"""
    )
    for (real_left, real_right), (copy_left, copy_right) in zip(real, copy, strict=True):
        assert abs(real_left - copy_left) <= 1 and abs(real_right - copy_right) <= 1

    # Sorting and filtering leave the columns as the reader chose them.
    wrapper(table).locator("input[type=search]").fill("bert")
    assert "Scripts" in displayed_headers(table)
    assert "Latency P99 (ms)" not in displayed_headers(table)


def test_the_last_column_shown_cannot_be_hidden(example: Any) -> None:
    page = example
    table = page.locator(TABLES).nth(0)
    wrapper(table).locator("button.df-table-picker-button").click()
    boxes = wrapper(table).locator("[role=group] input[type=checkbox]")
    for i in range(boxes.count()):
        if boxes.nth(i).is_checked() and i != 3:
            boxes.nth(i).uncheck()
    assert displayed_headers(table) == ["Inst. Type"]
    assert boxes.nth(3).is_disabled()
    assert wrapper(table).locator("button.df-table-picker-button").inner_text() == (
        f"Columns ({boxes.count() - 1} hidden)"
    )
    assert shown_rows(table) == 12
    boxes.nth(0).check()
    assert not boxes.nth(3).is_disabled()
    assert displayed_headers(table) == ["Model", "Inst. Type"]


def test_instance_type_select_with_the_filter_box(example: Any, artifacts: Path) -> None:
    page = example
    source = pd.read_csv(REPO / "docs" / "examples" / "throughput_data_encoder.csv")
    table = page.locator(TABLES).nth(0)
    # A select named after its column (the picker's check box has that name too).
    select = wrapper(table).get_by_role("combobox", name="Inst. Type")
    status = wrapper(table).locator("[role=status]")
    options = select.locator("option").all_inner_texts()
    assert options == ["All", *sorted(source["Inst. Type"].unique())]

    select.select_option("trn1.32xlarge")
    expected = int((source["Inst. Type"] == "trn1.32xlarge").sum())
    assert shown_rows(table) == expected == 5
    assert status.inner_text() == f"{expected} of 12 rows"
    assert set(column(table, "Inst. Type")) == {"trn1.32xlarge"}

    # Together with the filter box: both must match.
    wrapper(table).locator("input[type=search]").fill("base")
    chosen = source[source["Inst. Type"] == "trn1.32xlarge"]
    expected = int(chosen["Model"].str.contains("base").sum())
    assert 0 < expected < 5
    assert shown_rows(table) == expected
    assert status.inner_text() == f"{expected} of 12 rows"
    page.screenshot(path=str(artifacts / "wide-instance-select.png"))

    select.select_option("")  # "All"
    expected = int(source["Model"].str.contains("base").sum())
    assert shown_rows(table) == expected
    wrapper(table).locator("input[type=search]").fill("")
    assert status.inner_text() == "12 rows"
    # The other tables are not filtered.
    assert shown_rows(page.locator(TABLES).nth(2)) == 9


def test_narrow_dark_window(sites: dict[str, Site], new_page: Any, artifacts: Path) -> None:
    """400 px wide, dark scheme (furo follows it): the toolbar wraps, the open
    menu fits the window and is dark, the model column stays in view."""
    page = new_page(width=400, height=800, color_scheme="dark")
    page.goto(sites["furo"].page("index.html"))
    page.wait_for_function("() => window.dfTable && window.dfTable.tables.length === 2")
    table = page.locator(TABLES).nth(0)
    table.scroll_into_view_if_needed()
    button = wrapper(table).locator("button.df-table-picker-button")
    button.click()
    menu = wrapper(table).locator("[role=group]")
    assert menu.is_visible()
    rect = menu.bounding_box()
    assert rect is not None and rect["x"] >= 0 and rect["x"] + rect["width"] <= 400
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert luminance(menu.evaluate("m => getComputedStyle(m).backgroundColor")) < 0.35
    menu.locator("label", has_text="Metric 3").click()
    assert "Metric 3" not in displayed_headers(table)
    scroll_box(table).evaluate("box => { box.scrollLeft = 500; }")
    settle(page)
    (model,) = frozen_state(table, [0])["cells"]
    assert model["onTop"] and abs(model["left"]) <= 1
    page.screenshot(path=str(artifacts / "wide-narrow-dark-furo.png"))


def test_without_javascript_hidden_columns_are_shown(sites: dict[str, Site], new_page: Any) -> None:
    """The script hides columns: without it they are in the table, and the
    first column is frozen by the stylesheet alone."""
    page = new_page(javascript=False)
    page.goto(sites["docs"].page(EXAMPLE))
    table = page.locator(TABLES).nth(0)
    assert displayed_headers(table) == headers(table)
    assert set(HIDDEN_AT_FIRST) <= set(headers(table))
    scroll_box(table).evaluate("box => { box.scrollLeft = 300; }")
    (model,) = frozen_state(table, [0])["cells"]
    assert model["position"] == "sticky" and model["onTop"]
    assert abs(model["left"]) <= 1
