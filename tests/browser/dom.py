"""Reading tables and the floating header out of a page (Playwright ``Page``/``Locator``)."""

from __future__ import annotations

import itertools
import re
from typing import Any

#: The enhanced tables of a page, in document order (the header copies are not).
TABLES = "table.df-table-interactive"


def settle(page: Any) -> None:
    """Wait until the script has reacted (it updates on the next animation frame)."""
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")


def parse_number(text: str) -> float | None:
    """What a reader means by "$1,234.500" (the test's own reading, not the script's)."""
    cleaned = re.sub(r"[\s$,]", "", text)
    return float(cleaned) if cleaned else None


def headers(table: Any) -> list[str]:
    return [t.strip() for t in table.locator("thead tr:last-child th").all_inner_texts()]


def column(table: Any, label: str) -> list[str]:
    """The text of one column in the rows shown, top to bottom."""
    index = headers(table).index(label)
    return table.evaluate(
        """(table, index) => [...table.tBodies[0].rows]
            .filter(row => !row.hidden && getComputedStyle(row).display !== "none")
            .map(row => row.cells[index].textContent.trim())""",
        index,
    )


def shown_rows(table: Any) -> int:
    return table.evaluate(
        """table => [...table.tBodies[0].rows]
            .filter(row => getComputedStyle(row).display !== "none").length"""
    )


def header_cell(table: Any, label: str) -> Any:
    """The header cell of the column labelled exactly ``label``."""
    return table.locator("thead tr:last-child th").nth(headers(table).index(label))


def sort_button(table: Any, label: str) -> Any:
    return header_cell(table, label).locator("button.df-table-sort")


def indicator(table: Any, label: str) -> str:
    """What the sort indicator of a column shows (its ``::after`` content)."""
    return header_cell(table, label).evaluate(
        """th => getComputedStyle(th.querySelector(".df-table-sort-indicator"), "::after")
            .content.replaceAll('"', '')"""
    )


def wrapper(table: Any) -> Any:
    """What the script put around ``table``: toolbar, header copy and the container."""
    return table.locator("xpath=ancestor::div[contains(@class, 'df-table-wrap')][1]")


def sticky_state(table: Any) -> dict[str, Any]:
    """Where the header copy of ``table`` is, and where the real columns are."""
    return table.evaluate(
        """table => {
            const wrap = table.closest(".df-table-wrap");
            const box = wrap.querySelector(".df-table-sticky");
            const scroll = table.closest(".df-table-container");
            const copy = box.querySelector("thead tr:last-child");
            const real = table.tHead.rows[table.tHead.rows.length - 1];
            const edges = row => [...row.cells].map(c => {
                const r = c.getBoundingClientRect();
                return [r.left, r.right];
            });
            const rect = box.getBoundingClientRect();
            const scrollRect = scroll.getBoundingClientRect();
            const centre = document.elementFromPoint(
                Math.min(rect.left + 40, innerWidth - 1), rect.top + rect.height / 2);
            return {
                shown: !box.hidden && getComputedStyle(box).display !== "none",
                top: rect.top, bottom: rect.bottom, left: rect.left, width: rect.width,
                scrollLeft: scroll.scrollLeft, boxLeft: scrollRect.left + scroll.clientLeft,
                boxWidth: scroll.clientWidth,
                realHeadTop: table.tHead.getBoundingClientRect().top,
                real: edges(real), copy: edges(copy),
                visibleAtCentre: centre !== null && box.contains(centre),
                copyText: [...copy.cells].map(c => c.textContent.trim()),
            };
        }"""
    )


def scroll_box(table: Any) -> Any:
    """The scroll region of ``table``: the ``div.df-table-container`` around it."""
    return table.locator("xpath=ancestor::div[contains(@class, 'df-table-container')][1]")


def scroll_boxes(table: Any) -> int:
    """How many boxes between ``table`` and the page scroll sideways (one: the container)."""
    return table.evaluate(
        """table => {
            let count = 0;
            for (let node = table.parentElement; node; node = node.parentElement) {
                const overflow = getComputedStyle(node).overflowX;
                if (["auto", "scroll"].includes(overflow) && node.scrollWidth > node.clientWidth) {
                    count++;
                }
            }
            return count;
        }"""
    )


def scroll_page_to(page: Any, table: Any, row: int) -> None:
    """Scroll the page so that body row ``row`` of ``table`` is at the top of the window."""
    table.evaluate(
        "(table, row) => window.scrollTo(0, table.tBodies[0].rows[row]"
        ".getBoundingClientRect().top + window.scrollY)",
        row,
    )
    settle(page)


def assert_columns_line_up(state: dict[str, Any]) -> None:
    """The copy's columns are where the real ones are (within a pixel)."""
    assert len(state["copy"]) == len(state["real"])
    for (real_left, real_right), (copy_left, copy_right) in zip(
        state["real"], state["copy"], strict=True
    ):
        assert abs(real_left - copy_left) <= 1, state
        assert abs(real_right - copy_right) <= 1, state


def frozen_edges(
    table: Any, copy: bool = False, frozen: str = ".df-table-frozen"
) -> list[dict[str, Any]]:
    """For each row of ``table`` shown (header rows first), or of its header
    copy, what the frozen cells (those matching the selector ``frozen``) paint,
    against the scroll box's inner left edge: each cell's ``[left, right]``
    (its padding box: with collapsed borders the table, not the cell, paints
    the border strip), and whether the element 1 px inside the box's left
    edge on that row is a frozen cell or in one (``hit``)."""
    return list(
        table.evaluate(
            """(table, [copy, frozenSelector]) => {
                const box = table.closest(".df-table-container");
                const inner = box.getBoundingClientRect().left + box.clientLeft;
                const source = copy
                    ? table.closest(".df-table-wrap").querySelector(".df-table-sticky table")
                    : table;
                const scope = copy ? source.closest(".df-table-sticky") : box;
                return [...source.rows]
                    .filter(row => getComputedStyle(row).display !== "none")
                    .map(row => {
                        const frozen = [...row.cells].filter(
                            cell => cell.matches(frozenSelector));
                        const spans = frozen.map(cell => {
                            const r = cell.getBoundingClientRect();
                            const left = r.left + cell.clientLeft;
                            return [left - inner, left + cell.clientWidth - inner];
                        });
                        const r = row.getBoundingClientRect();
                        const hit = document.elementFromPoint(inner + 1, r.top + r.height / 2);
                        // null: the row is out of the window or under a theme's bar.
                        const seen = hit !== null && scope.contains(hit);
                        return {spans: spans, text: row.textContent.trim().slice(0, 20),
                                hit: seen ? frozen.some(cell => cell.contains(hit)) : null};
                    });
            }""",
            [copy, frozen],
        )
    )


def assert_frozen_cover_the_edge(rows: list[dict[str, Any]], under_the_edge: float = 0.5) -> None:
    """Nothing scrolled shows left of or between the frozen cells: the first
    starts at the box's inner left edge (within 0.5 px; or up to
    ``under_the_edge`` px left of it), each next one where the one before ends
    (within 1 px: padding boxes are whole pixels), and on every row in view
    the box's first pixel column is a frozen cell's."""
    assert any(row["hit"] is not None for row in rows), rows
    for row in rows:
        spans = row["spans"]
        assert spans, row
        assert -under_the_edge <= spans[0][0] <= 0.5, row
        for (_left, right), (left, _right) in itertools.pairwise(spans):
            assert abs(left - right) <= 1, row
        assert row["hit"] is not False, row
