"""Styler colours and ``:highlight:`` in Chromium, in light and dark themes.

A small site per theme has three interactive tables: one a pandas Styler
coloured with ``background_gradient``, ``highlight_max``, ``bar`` and
``set_properties`` (text colour and bold on the model names, the column
that stays frozen), one marked with ``:highlight: min Cost`` per model. The
checks read what the browser computed (``getComputedStyle``), never the
HTML text: marked cells look unlike their neighbours, the text of every
styled cell has WCAG contrast against what is really behind it, bars are as
long as their values, and marks and colours survive sorting and frozen
columns. Each layout keeps screenshots of the two tables in
``tests/artifacts/``. The third, wide with two frozen columns, shows that
nothing scrolled shows left of or between frozen cells.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from ..helpers import write_project
from .conftest import Site, build_html, serve
from .dom import (
    TABLES,
    assert_frozen_cover_the_edge,
    column,
    frozen_edges,
    header_cell,
    headers,
    scroll_box,
    scroll_page_to,
    settle,
    sort_button,
    sticky_state,
)

#: (theme, window width, colour scheme the reader's system prefers; furo and
#: pydata-sphinx-theme follow it, alabaster has no dark mode)
LAYOUTS = [
    ("alabaster", 1280, "light"),
    ("alabaster", 400, "light"),
    ("furo", 1280, "light"),
    ("furo", 400, "light"),
    ("furo", 1280, "dark"),
    ("furo", 400, "dark"),
    ("pydata_sphinx_theme", 1280, "dark"),
    ("pydata_sphinx_theme", 400, "dark"),
]
LAYOUT_IDS = [f"{t}-{w}-{s}" for t, w, s in LAYOUTS]
#: The layouts where the Styler table is wider than the window.
NARROW = [layout for layout in LAYOUTS if layout[1] == 400]

LOAD = [42.0, 10.0, 88.0, 63.5, 25.0, 100.0]
PAGE = f"""\
Cell styles
===========

.. df-table:: Styler colours
   :name: styled
   :interactive:

   frame = pd.DataFrame({{
       "Model": ["bert-base", "bert-large", "gpt2", "llama-7b", "t5-small", "vit-base"],
       "Instance": ["inf2.xlarge", "trn1.2xlarge", "trn1.32xlarge", "inf2.xlarge",
                    "trn1.2xlarge", "trn1.32xlarge"],
       "Throughput": [1410.5, 903.2, 2210.0, 120.4, 3010.7, 1733.2],
       "Cost": [0.153, 0.445, 0.091, 1.204, 0.062, 0.118],
       "Load (%)": {LOAD!r},
       "Latency P50 (ms)": [12.5, 30.1, 8.9, 95.4, 6.2, 10.7],
       "Latency P99 (ms)": [20.2, 41.7, 15.3, 130.8, 9.9, 18.4],
   }})
   df = (frame.style.format(precision=2)
         .background_gradient(subset=["Throughput", "Cost"], cmap="Blues")
         .highlight_max(subset=["Throughput"])
         .bar(subset=["Load (%)"], vmin=0, vmax=100, align="left")
         .set_properties(subset=["Model"], **{{"color": "#1f4e79", "font-weight": "bold"}}))

.. df-table:: Cheapest instance per model
   :name: marked
   :interactive:
   :highlight: min Cost
   :highlight-by: Model

   df = pd.DataFrame({{
       "Model": ["bert"] * 3 + ["gpt2"] * 3 + ["vit"] * 3,
       "Instance": ["inf2.xlarge", "trn1.2xlarge", "trn1.32xlarge"] * 3,
       "Throughput": [1410.5, 903.2, 2210.0, 120.4, 3010.7, 1733.2, 640.0, 2400.5, 980.1],
       "Cost": [0.153, 0.445, 0.091, 1.204, 0.062, 0.118, 0.310, 0.082, 0.275],
   }})

.. df-table:: Two frozen columns
   :name: frozen-two
   :interactive:
   :freeze-columns: 2

   df = pd.DataFrame({{"Model": [f"m-{{i}}" for i in range(24)], "Run": range(24)}})
   for batch in range(1, 13):
       df[f"Throughput at batch size {{batch}}"] = [1000.5 * batch + i for i in range(24)]
"""
#: The cheapest instance of each model in the ``marked`` table.
CHEAPEST = {("bert", "trn1.32xlarge"), ("gpt2", "trn1.2xlarge"), ("vit", "trn1.2xlarge")}


@pytest.fixture(scope="module")
def style_sites(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Site]]:
    """The page above, built with each theme and served."""
    base = tmp_path_factory.mktemp("cell-styles")
    jobs = {}
    for theme in dict.fromkeys(theme for theme, _w, _s in LAYOUTS):
        conf = f'html_theme = "{theme}"\n'
        if theme == "pydata_sphinx_theme":
            conf += 'html_theme_options = {"navigation_with_keys": False}\n'
        src = write_project(base / f"src-{theme}", {"index.rst": PAGE}, conf)
        jobs[theme] = (src, base / theme)
    build_html(jobs)
    with serve({theme: out for theme, (_src, out) in jobs.items()}) as served:
        yield served


def open_page(style_sites: dict[str, Site], new_page: Any, layout: tuple[str, int, str]) -> Any:
    """The page in ``layout``'s theme and window, its tables enhanced; for a
    dark scheme, the test fails unless the theme really shows a dark page."""
    theme, width, scheme = layout
    page = new_page(width=width, height=900, color_scheme=scheme)
    page.goto(style_sites[theme].page("index.html"))
    page.wait_for_function("() => window.dfTable && window.dfTable.tables.length === 3")
    if scheme == "dark":  # the theme really is dark (not only the reader's system)
        background = page.evaluate(
            "() => getComputedStyle(document.body).backgroundColor"
            " + getComputedStyle(document.documentElement).backgroundColor"
        )
        assert luminance(effective([*re.findall(r"rgba?\([^)]*\)", background)])) < 0.1
    return page


# ---- colours and WCAG contrast ----

RGBA = tuple[float, float, float, float]


def parse(colour: str) -> RGBA:
    """A computed colour ``rgb(r, g, b)`` or ``rgba(r, g, b, a)``."""
    match = re.fullmatch(r"rgba?\(([^)]*)\)", colour.strip())
    assert match, colour
    parts = [float(p) for p in re.split(r"[\s,/]+", match.group(1).strip())]
    return (parts[0], parts[1], parts[2], parts[3] if len(parts) == 4 else 1.0)


def over(top: RGBA, under: RGBA) -> RGBA:
    """``top`` painted over the opaque ``under``."""
    alpha = top[3]
    r, g, b = (top[i] * alpha + under[i] * (1 - alpha) for i in range(3))
    return (r, g, b, 1.0)


def effective(layers: list[str]) -> RGBA:
    """What the background colours of an element and its ancestors (the
    element's first) show: the first opaque one, with the translucent ones
    above it painted over it (white when none is opaque, the browser's canvas)."""
    parsed = [parse(layer) for layer in layers]
    under: RGBA = (255.0, 255.0, 255.0, 1.0)
    for i, colour in enumerate(parsed):
        if colour[3] >= 1:
            under, parsed = colour, parsed[:i]
            break
    for colour in reversed(parsed):
        under = over(colour, under)
    return under


def luminance(colour: RGBA) -> float:
    """WCAG relative luminance."""

    def linear(channel: float) -> float:
        value = channel / 255
        return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4

    return 0.2126 * linear(colour[0]) + 0.7152 * linear(colour[1]) + 0.0722 * linear(colour[2])


def contrast(text: RGBA, background: RGBA) -> float:
    """WCAG contrast ratio of ``text`` (painted over ``background``) and ``background``."""
    lighter, darker = sorted(
        (luminance(over(text, background)), luminance(background)), reverse=True
    )
    return (lighter + 0.05) / (darker + 0.05)


#: What the browser computed for a cell: its text colour and size, weight,
#: classes, the background colours from the cell up to the page, its
#: background image, and where its box and its text are.
CELL_FACTS = """cell => {
    const style = getComputedStyle(cell);
    const layers = [];
    for (let node = cell; node && node.nodeType === 1; node = node.parentElement) {
        layers.push(getComputedStyle(node).backgroundColor);
    }
    const range = document.createRange();
    range.selectNodeContents(cell);
    const text = range.getBoundingClientRect();
    const box = cell.getBoundingClientRect();
    return {
        text: cell.textContent.trim(), color: style.color, layers: layers,
        image: style.backgroundImage, weight: Number(style.fontWeight),
        size: parseFloat(style.fontSize), classes: [...cell.classList],
        left: box.left, width: box.width, textLeft: text.left, textRight: text.right,
    };
}"""


def cell_facts(table: Any, row: int, label: str) -> dict[str, Any]:
    """:data:`CELL_FACTS` of body row ``row`` (as shown) in the column labelled ``label``."""
    index = headers(table).index(label)
    return table.evaluate(
        f"(table, [row, index]) => ({CELL_FACTS})(table.tBodies[0].rows[row].cells[index])",
        [row, index],
    )


def bar_of(facts: dict[str, Any]) -> tuple[RGBA, float, RGBA] | None:
    """The colour and the length (a share of the cell, 0-1) of a ``bar``, and
    the colour after it, if the cell's background image is one: a colour from
    0 to a stop, then another."""
    match = re.fullmatch(
        r"linear-gradient\(90deg, (rgba?\([^)]*\)) ([\d.]+)%, (rgba?\([^)]*\)) ([\d.]+)%\)",
        facts["image"],
    )
    if match is None:
        return None
    return parse(match.group(1)), float(match.group(2)) / 100, parse(match.group(3))


def backgrounds_behind_text(facts: dict[str, Any]) -> list[RGBA]:
    """The colours behind a cell's text: its background colour, and for a bar
    the bar's colour where the text reaches over the bar."""
    under = effective(facts["layers"])
    bar = bar_of(facts)
    if bar is None:
        return [under]
    colour, share, rest = bar
    end = facts["left"] + share * facts["width"]
    behind = []
    if facts["textLeft"] < end:
        behind.append(over(colour, under))
    if facts["textRight"] > end:
        behind.append(over(rest, under))
    return behind


def assert_readable(facts: dict[str, Any]) -> None:
    """WCAG AA: 4.5:1, or 3:1 for large text (18.66 px bold, 24 px otherwise)."""
    large = facts["size"] >= (18.66 if facts["weight"] >= 700 else 24)
    needed = 3.0 if large else 4.5
    for background in backgrounds_behind_text(facts):
        ratio = contrast(parse(facts["color"]), background)
        assert ratio >= needed, (round(ratio, 2), background, facts)


def looks_different(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Whether two cells differ in background or in weight, as a reader sees them."""
    background_a, background_b = effective(a["layers"]), effective(b["layers"])
    return (
        a["weight"] != b["weight"]
        or max(abs(x - y) for x, y in zip(background_a[:3], background_b[:3], strict=True)) > 24
    )


def screenshot(table: Any, path: Path, label: str) -> None:
    """The table's area (toolbar and scroll box), a small PNG, with the column
    labelled ``label`` scrolled into view (a narrow window shows a few)."""
    header_cell(table, label).evaluate("c => c.scrollIntoView({block: 'center', inline: 'end'})")
    settle(table.page)
    table.locator("xpath=ancestor::div[contains(@class, 'df-table-wrap')][1]").screenshot(
        path=str(path), animations="disabled"
    )
    assert 2_000 < path.stat().st_size < 400_000


def pixels_of_bar(table: Any, row: int, label: str, bar: RGBA) -> float:
    """How much of a cell's width shows the bar's colour, measured in a
    screenshot along a line 3 px below the cell's top (above the text)."""
    index = headers(table).index(label)
    cell = table.locator("tbody tr").nth(row).locator("td, th").nth(index)
    cell.scroll_into_view_if_needed()
    image = Image.open(io.BytesIO(cell.screenshot(animations="disabled"))).convert("RGB")
    scale = image.width / cell.bounding_box()["width"]
    y = int(3 * scale)
    hits = [
        x
        for x in range(image.width)
        if all(abs(a - b) <= 12 for a, b in zip(image.getpixel((x, y)), bar[:3], strict=False))
    ]
    return (max(hits) + 1) / image.width if hits else 0.0


# ---- the tests ----


@pytest.mark.parametrize("layout", LAYOUTS, ids=LAYOUT_IDS)
def test_styler_colours_read_well(
    style_sites: dict[str, Site], new_page: Any, artifacts: Path, layout: tuple[str, int, str]
) -> None:
    theme, width, scheme = layout
    page = open_page(style_sites, new_page, layout)
    table = page.locator("table#styled")
    rows = len(LOAD)

    # highlight_max: the best throughput (t5-small, row 4) is yellow, unlike
    # the gradient's blues around it.
    throughput = [cell_facts(table, r, "Throughput") for r in range(rows)]
    best = throughput[4]
    assert effective(best["layers"])[:3] == (255.0, 255.0, 0.0), best
    assert looks_different(best, throughput[3]) and looks_different(best, throughput[5])
    # background_gradient: the largest cost the darkest, the smallest the lightest.
    cost = [cell_facts(table, r, "Cost") for r in range(rows)]
    lum = [luminance(effective(c["layers"])) for c in cost]
    assert lum.index(min(lum)) == 3 and lum.index(max(lum)) == 4
    # set_properties: the model names in the Styler's colour, bold.
    models = [cell_facts(table, r, "Model") for r in range(rows)]
    assert {(m["color"], m["weight"]) for m in models} == {("rgb(31, 78, 121)", 700)}
    assert cell_facts(table, 0, "Instance")["weight"] < 700

    # bar: as long as the value, in the computed style and on the screen.
    loads = [cell_facts(table, r, "Load (%)") for r in range(rows)]
    for value, facts in zip(LOAD, loads, strict=True):
        bar = bar_of(facts)
        assert bar is not None, facts["image"]
        assert abs(bar[1] - value / 100) <= 0.005, (value, facts["image"])
    bar_colour = bar_of(loads[0])[0]  # type: ignore[index]
    for row in (0, 2):
        shown = pixels_of_bar(table, row, "Load (%)", bar_colour)
        assert abs(shown - LOAD[row] / 100) <= 0.04, (row, shown)

    # Every styled cell reads well against what is behind its text.
    for facts in [*throughput, *cost, *models, *loads]:
        assert_readable(facts)
    screenshot(table, artifacts / f"styler-{theme}-{width}-{scheme}.png", "Load (%)")


@pytest.mark.parametrize("layout", LAYOUTS, ids=LAYOUT_IDS)
def test_highlight_reads_well_and_survives_sorting(
    style_sites: dict[str, Site], new_page: Any, artifacts: Path, layout: tuple[str, int, str]
) -> None:
    theme, width, scheme = layout
    page = open_page(style_sites, new_page, layout)
    table = page.locator("table#marked")

    def marked() -> set[tuple[str, str]]:
        """(model, instance) of the rows whose Cost cell is marked and looks it."""
        found = set()
        for row, (model, instance) in enumerate(
            zip(column(table, "Model"), column(table, "Instance"), strict=True)
        ):
            facts = cell_facts(table, row, "Cost")
            if "df-highlight" in facts["classes"]:
                # Unlike the Throughput cell beside it (not marked), and readable.
                assert looks_different(facts, cell_facts(table, row, "Throughput")), facts
                assert facts["weight"] >= 700
                assert_readable(facts)
                found.add((model, instance))
            else:
                assert_readable(facts)
        return found

    assert marked() == CHEAPEST
    # Unlike the other costs of its group, too.
    costs = column(table, "Cost")
    first = cell_facts(table, costs.index("0.091"), "Cost")
    assert looks_different(first, cell_facts(table, costs.index("0.153"), "Cost"))
    screenshot(table, artifacts / f"highlight-{theme}-{width}-{scheme}.png", "Cost")

    # Sorting moves the rows; each mark stays with its row.
    for direction in ("ascending", "descending"):
        sort_button(table, "Throughput").click()
        assert header_cell(table, "Throughput").get_attribute("aria-sort") == direction
        assert column(table, "Model") != ["bert"] * 3 + ["gpt2"] * 3 + ["vit"] * 3
        assert marked() == CHEAPEST


@pytest.mark.parametrize("layout", NARROW, ids=[f"{t}-{w}-{s}" for t, w, s in NARROW])
def test_frozen_column_keeps_its_styles(
    style_sites: dict[str, Site], new_page: Any, layout: tuple[str, int, str]
) -> None:
    """At 400 px the Styler table scrolls sideways; its model column, styled
    by ``set_properties``, stays frozen in its colour and bold, over the
    gradient and bar cells that scroll under it, which keep theirs."""
    page = open_page(style_sites, new_page, layout)
    table = page.locator("table#styled")
    assert table.evaluate("t => t.matches('" + TABLES + "')")
    before = [cell_facts(table, r, label) for r in (0, 4) for label in ("Cost", "Throughput")]
    box = scroll_box(table)
    box.evaluate("box => { box.scrollLeft = box.scrollWidth; }")
    settle(page)
    assert box.evaluate("box => box.scrollLeft") > 50
    model = cell_facts(table, 4, "Model")
    assert "df-table-frozen" in model["classes"]
    assert (model["color"], model["weight"]) == ("rgb(31, 78, 121)", 700)
    assert_readable(model)
    on_top = table.evaluate(
        """t => { const c = t.tBodies[0].rows[4].cells[0], r = c.getBoundingClientRect();
            const hit = document.elementFromPoint(r.left + 4, r.top + r.height / 2);
            return hit !== null && c.contains(hit); }"""
    )
    assert on_top
    # Nor does a sliver of the gradient show left of the model names.
    assert_frozen_cover_the_edge(frozen_edges(table))
    after = [cell_facts(table, r, label) for r in (0, 4) for label in ("Cost", "Throughput")]
    assert [effective(f["layers"]) for f in after] == [effective(f["layers"]) for f in before]


@pytest.mark.parametrize("layout", LAYOUTS, ids=LAYOUT_IDS)
def test_nothing_scrolled_shows_beside_frozen_columns(
    style_sites: dict[str, Site], new_page: Any, layout: tuple[str, int, str]
) -> None:
    """Scrolled sideways, two frozen columns cover the box's left edge and
    each other, in every row and in the header copy (with collapsed borders,
    a cell's border strip is the table's to paint, where it scrolled to)."""
    page = open_page(style_sites, new_page, layout)
    table = page.locator("table#frozen-two")
    table.scroll_into_view_if_needed()
    box = scroll_box(table)
    box.evaluate("box => { box.scrollLeft = box.scrollWidth; }")
    settle(page)
    assert box.evaluate("box => box.scrollLeft") > 100
    rows = frozen_edges(table)
    assert all(len(row["spans"]) == 2 for row in rows), rows
    assert_frozen_cover_the_edge(rows)

    scroll_page_to(page, table, 6)
    page.mouse.wheel(0, -1)  # bring back a top bar that hides while scrolling down
    page.wait_for_timeout(300)
    settle(page)
    assert sticky_state(table)["shown"]
    copy = frozen_edges(table, copy=True)
    assert [len(row["spans"]) for row in copy] == [2]
    assert_frozen_cover_the_edge(copy)


@pytest.mark.parametrize("theme", ["alabaster", "furo", "pydata_sphinx_theme"])
def test_without_javascript_nothing_scrolled_shows_beside_the_first_column(
    style_sites: dict[str, Site], new_page: Any, theme: str
) -> None:
    """Without the script the stylesheet alone freezes the first column, also
    where the theme wraps the table (furo, pydata-sphinx-theme); scrolled
    sideways, it covers the box's left edge. Not knowing the theme's border
    width, it sticks 1 px left of the edge: where the border is thinner, 1 px
    of its own padding goes under the edge."""
    page = new_page(width=400, height=900, javascript=False)
    page.goto(style_sites[theme].page("index.html"))
    table = page.locator("table#frozen-two")
    table.scroll_into_view_if_needed()
    box = scroll_box(table)
    box.evaluate("box => { box.scrollLeft = box.scrollWidth; }")
    assert box.evaluate("box => box.scrollLeft") > 100
    rows = frozen_edges(table, frozen=":first-child")
    assert all(len(row["spans"]) == 1 for row in rows), rows
    assert_frozen_cover_the_edge(rows, under_the_edge=1)
