"""Sorting by the ``data-sort`` facts of the cells, in Chromium, on a page made here.

The HTML writer puts ``data-sort`` (the raw value as a number; empty for a
missing value) on the body cells of number, date and boolean columns; text
columns have none. This page carries such attributes by hand, with display
texts that would sort wrongly as text, so it tests the script's side of that
contract on its own.
"""

from __future__ import annotations

from typing import Any

import pytest

from sphinx_df_table.output.assets import STATIC_DIR

from .dom import TABLES, column, header_cell, sort_button

#: (name, data-sort of "Value" or None for no attribute, its display text)
ROWS = [
    ("model-10", "10", "$10.00"),
    ("model-2", "9.75", "$9.75"),
    ("apple", "-2.5", "(2.50)"),
    ("", "", "n/a"),  # a missing value, shown with an na-rep
    ("Émile", "Infinity", "inf"),
    ("Apple", "-Infinity", "-inf"),
    ("zebra", "5", "5"),
    ("yak", "1e3", "1,000"),
    ("xerus", "5", "5.0"),  # the same value as "zebra": a tie
]


def facts_table() -> str:
    body = "".join(
        f'<tr><td>{name}</td><td class="align-right" data-sort="{fact}">{text}</td></tr>'
        for name, fact, text in ROWS
    )
    return (
        '<div class="df-table-container"><table class="df-table df-table-interactive">'
        "<thead><tr><th>Name</th><th>Value</th></tr></thead>"
        f"<tbody>{body}</tbody></table></div>"
    )


def merged_table() -> str:
    """An index shown with merged cells (rowspan), with facts on the merged cells."""
    return (
        '<div class="df-table-container"><table class="df-table df-table-interactive">'
        "<thead><tr><th>Year</th><th>Quarter</th></tr></thead><tbody>"
        '<tr><th rowspan="2" data-sort="2024">2024</th><td data-sort="2">Q2</td></tr>'
        '<tr><td data-sort="1">Q1</td></tr>'
        '<tr><th rowspan="2" data-sort="2023">2023</th><td data-sort="4">Q4</td></tr>'
        '<tr><td data-sort="3">Q3</td></tr>'
        "</tbody></table></div>"
    )


@pytest.fixture
def page(new_page: Any) -> Any:
    page = new_page(width=900, height=700)
    page.set_content(f"<!DOCTYPE html><html><body>{facts_table()}{merged_table()}</body></html>")
    for name in ("df-table-base.css", "df-table.css"):
        page.add_style_tag(path=str(STATIC_DIR / name))
    page.add_script_tag(path=str(STATIC_DIR / "df-table.js"))
    page.wait_for_function("() => window.dfTable && window.dfTable.tables.length === 2")
    return page


def test_numbers_sort_by_their_facts_missing_last_ties_stable(page: Any) -> None:
    table = page.locator(TABLES).nth(0)
    sort_button(table, "Value").click()
    assert header_cell(table, "Value").get_attribute("aria-sort") == "ascending"
    assert column(table, "Value") == [
        "-inf",
        "(2.50)",
        "5",
        "5.0",
        "$9.75",
        "$10.00",
        "1,000",
        "inf",
        "n/a",
    ]
    sort_button(table, "Value").click()
    assert header_cell(table, "Value").get_attribute("aria-sort") == "descending"
    assert column(table, "Value") == [
        "inf",
        "1,000",
        "$10.00",
        "$9.75",
        "5",  # ties keep the table's order in both directions
        "5.0",
        "(2.50)",
        "-inf",
        "n/a",
    ]


def test_text_sorts_by_locale_collation_empty_last(page: Any) -> None:
    table = page.locator(TABLES).nth(0)
    sort_button(table, "Name").click()
    # Case and accents do not order ("apple" and "Apple" are a tie, in the
    # table's order); digits in text compare as numbers.
    expected = ["apple", "Apple", "Émile", "model-2", "model-10", "xerus", "yak", "zebra", ""]
    assert column(table, "Name") == expected
    sort_button(table, "Name").click()
    assert column(table, "Name") == [
        "zebra",
        "yak",
        "xerus",
        "model-10",
        "model-2",
        "Émile",
        "apple",
        "Apple",
        "",
    ]
    assert header_cell(table, "Value").get_attribute("aria-sort") is None


def test_merged_index_cells_keep_their_facts(page: Any) -> None:
    table = page.locator(TABLES).nth(1)
    sort_button(table, "Year").click()
    assert column(table, "Year") == ["2023", "2023", "2024", "2024"]
    assert column(table, "Quarter") == ["Q4", "Q3", "Q2", "Q1"]
    sort_button(table, "Quarter").click()
    assert column(table, "Quarter") == ["Q1", "Q2", "Q3", "Q4"]
    assert column(table, "Year") == ["2024", "2024", "2023", "2023"]
    # every row has its own copy of the merged cell, with the fact
    facts = table.evaluate(
        "t => [...t.tBodies[0].rows].map(r => r.cells[0].getAttribute('data-sort'))"
    )
    assert facts == ["2024", "2024", "2023", "2023"]


def test_the_container_is_the_scroll_region(page: Any) -> None:
    table = page.locator(TABLES).nth(0)
    box = table.locator("xpath=..")
    assert box.get_attribute("class") == "df-table-container"
    assert box.get_attribute("role") == "region"
    assert box.get_attribute("aria-label") == "Table 1"
    assert box.get_attribute("tabindex") is None  # a narrow table: no extra tab stop
    assert page.locator(".df-table-scroll").count() == 0
    wrap = box.locator("xpath=..")
    assert "df-table-wrap" in (wrap.get_attribute("class") or "")
