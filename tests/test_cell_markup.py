"""Inline markup in cells: the length cap, and how many markup problems a table reports.

Issue #12, case 6: two cells of 60,000 characters of unbalanced markup made the
Sphinx process spend a minute in docutils and print 40,000 warnings.
"""

from __future__ import annotations

import io
import time
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from docutils import nodes
from docutils.core import publish_doctree
from docutils.parsers.rst import roles
from docutils.utils import new_document

from sphinx_df_table.messages import TableData
from sphinx_df_table.output.cell_markup import (
    MAX_MARKUP_LENGTH,
    REPORTED_PROBLEM_CELLS,
    RstCellParser,
    SharedParses,
    markup_warnings,
    role_context,
)
from sphinx_df_table.output.compact_rows import body_rows

from .helpers import MakeApp, warnings_of

pytestmark = pytest.mark.matrix

UNBALANCED = "`a "  # the issue's text: an interpreted-text start-string without end


def _document(stream: io.StringIO) -> nodes.document:
    """A docutils document whose reporter writes warnings to ``stream``."""
    settings = publish_doctree("", settings_overrides={"warning_stream": stream}).settings
    return new_document("cells.rst", settings)


# --- the parser, without Sphinx ----------------------------------------------------


def test_cells_longer_than_the_cap_are_not_parsed() -> None:
    stream = io.StringIO()
    parse = RstCellParser(_document(stream), 7)
    at_cap = ("*a* " * MAX_MARKUP_LENGTH)[:MAX_MARKUP_LENGTH]
    assert parse(at_cap + "x") is None
    parsed = parse(at_cap)
    assert parsed is not None and isinstance(parsed[0][0], nodes.emphasis)
    # Far past the cap, no time goes into docutils (parsing takes ~20 s per cell).
    started = time.perf_counter()
    assert parse(UNBALANCED * 20_000) is None
    assert time.perf_counter() - started < 0.1
    assert stream.getvalue() == ""
    assert parse.unreported == 0


def test_a_table_reports_the_first_problem_of_five_cells_and_counts_the_rest() -> None:
    stream = io.StringIO()
    document = _document(stream)
    parse = RstCellParser(document, 7)
    results = [parse(f"*open {n} and `also open {n}") for n in range(20)]
    assert all(result is not None for result in results)
    logged = stream.getvalue().splitlines()
    # One line per reported cell (its first problem of two), at the directive's line.
    assert len(logged) == REPORTED_PROBLEM_CELLS == 5
    assert set(logged) == {
        "cells.rst:7: (WARNING/2) Inline emphasis start-string without end-string."
    }
    messages = [message for result in results if result for message in result[1]]
    assert len(messages) == 5
    assert parse.unreported == 15
    # Messages that are not reported are not kept by the document either.
    assert [node for node in document.ids.values() if isinstance(node, nodes.system_message)] == [
        message for message in messages if message["ids"]
    ]
    # The problem text is still shown, marked as problematic.
    assert results[19] is not None
    assert "".join(node.astext() for node in results[19][0]) == "*open 19 and `also open 19"
    assert len(_problematic(results[19][0])) == 2


def _problematic(cell: list[nodes.Node]) -> list[nodes.problematic]:
    return [node for root in cell for node in root.findall(nodes.problematic)]


def test_a_repeated_bad_text_is_parsed_and_reported_once() -> None:
    stream = io.StringIO()
    parse = RstCellParser(_document(stream), 3)
    first, *copies = (parse("*a and :unknown-role:`x`") for _ in range(4))
    assert len(stream.getvalue().splitlines()) == 1
    assert first is not None and len(first[1]) == 1
    assert parse.unreported == 3
    assert all(node["ids"] for node in _problematic(first[0]))
    for copy in copies:
        assert copy is not None and copy[1] == []
        assert [node.astext() for node in copy[0]] == [node.astext() for node in first[0]]
        # The ids belong to the first cell (its message links to them): not repeated.
        assert len(_problematic(copy[0])) == 2
        assert all(not node["ids"] for node in _problematic(copy[0]))


def test_cells_without_problems_are_not_counted() -> None:
    stream = io.StringIO()
    parse = RstCellParser(_document(stream), 3)
    for _ in range(10):
        parsed = parse("*fine* and `a link <https://example.org>`_")
        assert parsed is not None and parsed[1] == []
    assert parse("no markup at all") is None
    assert parse.unreported == 0
    assert stream.getvalue() == ""


def _table(header: list[list[str]], body: list[list[str]]) -> TableData:
    return TableData(header=header, body=body)


def test_markup_warnings_name_the_first_long_cell_and_the_cap() -> None:
    long = "x" * (MAX_MARKUP_LENGTH + 1)
    table = _table([["name", "notes"]], [["a", "short"], ["b", long], [long, long]])
    assert markup_warnings(table, 0) == [
        "3 cells are longer than 2,000 characters, the limit for inline markup, and are "
        "shown literally; the first is row 2, column 2 ('notes')"
    ]
    one = _table([["name", long]], [["a", "b"]])
    assert markup_warnings(one, 0) == [
        "a cell is longer than 2,000 characters, the limit for inline markup, and is "
        "shown literally: column-label row 1, column 2"  # no label: it is the long cell
    ]
    at_cap = _table([], [["x" * MAX_MARKUP_LENGTH]])
    assert markup_warnings(at_cap, 0) == []


def test_markup_warnings_count_the_unreported_cells() -> None:
    table = _table([["a"]], [["b"]])
    assert markup_warnings(table, 1) == ["... and 1 more cell with markup problems in this table"]
    assert markup_warnings(table, 1500) == [
        "... and 1,500 more cells with markup problems in this table"
    ]


# --- in a Sphinx build ---------------------------------------------------------


def _cells(soup: BeautifulSoup, table_id: str) -> list[str]:
    table = soup.find("table", id=table_id)
    assert table is not None
    return [td.get_text() for td in table.find_all("td")]  # type: ignore[union-attr]


def test_issue_case_6_long_unbalanced_cells_are_shown_literally_and_fast(
    build: MakeApp,
) -> None:
    started = time.process_time()  # this process's CPU: the snippet runs in the worker
    app = build(
        {
            "index.rst": """
                Case 6
                ======

                .. df-table::
                   :name: case6
                   :timeout: 5

                   df = pd.DataFrame({"text": ["`a " * 20000, "`a " * 20000], "n": [1, 2]})
                """
        }
    )
    # Before the cap: a minute in docutils, and 40,000 warning lines.
    assert time.process_time() - started < 10
    source = Path(app.srcdir, "index.rst")
    assert warnings_of(app) == [
        f"{source}:4: WARNING: 2 cells are longer than 2,000 characters, the limit for inline "
        "markup, and are shown literally; the first is row 1, column 1 ('text') "
        "[df_table.markup]"
    ]
    soup = BeautifulSoup((Path(app.outdir) / "index.html").read_text("utf-8"), "html.parser")
    assert _cells(soup, "case6") == [UNBALANCED * 20_000, "1", UNBALANCED * 20_000, "2"]


def test_twenty_bad_cells_give_five_warnings_and_a_count(build: MakeApp) -> None:
    app = build(
        {
            "index.rst": """
                Bad markup
                ==========

                .. df-table::
                   :name: twenty

                   df = pd.DataFrame({"text": [f"*open {n}" for n in range(20)]})

                Another table reports its own.

                .. df-table::
                   :name: one

                   df = pd.DataFrame({"text": ["fine", ":no-such-role:`x`"]})
                """
        }
    )
    source = Path(app.srcdir, "index.rst")
    emphasis = f"{source}:4: WARNING: Inline emphasis start-string without end-string."
    assert [line.removesuffix(" [docutils]") for line in warnings_of(app)] == [
        *[emphasis] * 5,
        f"{source}:4: WARNING: ... and 15 more cells with markup problems in this table "
        "[df_table.markup]",
        f'{source}:11: ERROR: Unknown interpreted text role "no-such-role".',
    ]
    soup = BeautifulSoup((Path(app.outdir) / "index.html").read_text("utf-8"), "html.parser")
    assert _cells(soup, "twenty") == [f"*open {n}" for n in range(20)]


# --- parses shared by the tables of a document ---------------------------------------

#: A role that counts its calls on the environment (its nodes are final).
COUNTING_ROLE = """
from docutils import nodes

def counted(name, rawtext, text, lineno, inliner, options=None, content=None):
    env = inliner.document.settings.env
    env.df_test_counted = getattr(env, "df_test_counted", 0) + 1
    return [nodes.inline(rawtext, text, classes=["counted"])], []

def setup(app):
    app.add_role("counted", counted)
"""

#: A table of cells with markup; ``{name}`` is its :name:.
MARKUP_TABLE = """
.. df-table::
   :name: {name}

   df = pd.DataFrame({{"cell": [":counted:`a`", ":hl:`b`", "`c`", ":counted:`a`"]}})
"""


def _cell_html(soup: BeautifulSoup, table_id: str) -> list[str]:
    table = soup.find("table", id=table_id)
    assert table is not None
    return ["".join(map(str, td.p.contents)) for td in table.find_all("td")]  # type: ignore[union-attr]


def test_tables_of_a_document_share_final_parses_while_roles_stay_the_same(
    build: MakeApp,
) -> None:
    index = "\n".join(
        [
            "Shared\n======\n\n.. toctree::\n\n   other\n\n.. role:: hl(strong)\n",
            MARKUP_TABLE.format(name="first"),
            MARKUP_TABLE.format(name="same"),  # nothing changed: the parses are shared
            "\n.. role:: hl(emphasis)\n\n.. default-role:: literal\n",
            MARKUP_TABLE.format(name="changed"),  # the roles changed: parsed again
            MARKUP_TABLE.format(name="again"),
        ]
    )
    app = build(
        {"index.rst": index, "other.rst": "Other\n=====\n" + MARKUP_TABLE.format(name="other")},
        conf=COUNTING_ROLE,
    )
    assert warnings_of(app) == []
    soup = BeautifulSoup((Path(app.outdir) / "index.html").read_text("utf-8"), "html.parser")
    counted = '<span class="counted">a</span>'
    before = [counted, '<strong class="hl">b</strong>', "<cite>c</cite>", counted]
    after = [
        counted,
        '<em class="hl">b</em>',
        '<code class="docutils literal notranslate"><span class="pre">c</span></code>',
        counted,
    ]
    assert _cell_html(soup, "first") == _cell_html(soup, "same") == before
    assert _cell_html(soup, "changed") == _cell_html(soup, "again") == after
    # Once per context of index.rst (each table parses a text once), once in other.rst.
    assert app.env.df_test_counted == 3  # type: ignore[attr-defined]
    # Tables in one context refer to one detached entry per text (in the
    # pickled doctree too); another context has its own.
    bodies = {
        table["ids"][0]: body_rows(table)
        for table in app.env.get_doctree("index").findall(nodes.table)
    }
    entries = {name: rows["detached"] for name, rows in bodies.items() if rows is not None}
    first, same, changed, again = (entries[name] for name in ("first", "same", "changed", "again"))
    assert [e.astext() for e in first] == [e.astext() for e in changed] == ["a", "b", "c"]
    assert all(a is b for a, b in zip(first, same, strict=True))
    assert all(a is b for a, b in zip(changed, again, strict=True))
    assert not any(a is b for a, b in zip(first, changed, strict=True))


def test_shared_entries_are_copied_for_other_writers(build: MakeApp) -> None:
    index = "Shared\n======\n\n.. role:: hl(strong)\n" + "".join(
        MARKUP_TABLE.format(name=name) for name in ("first", "second")
    )
    app = build({"index.rst": index}, conf=COUNTING_ROLE, builder="text")
    assert warnings_of(app) == []
    text = (Path(app.outdir) / "index.txt").read_text("utf-8")
    # Both tables show every cell (a shared entry moved into one table's rows
    # would leave the other without it).
    assert text.count("| a ") == 4 and text.count("| **b** ") == 2, text


def test_shared_parses_are_dropped_when_the_role_context_changes() -> None:
    shared = SharedParses()
    context = role_context("default role")
    assert context is not None
    kept = shared.in_context(context)
    assert kept is not None and kept.parses == {} and kept.entries == {}
    kept.parses["*x*"] = [nodes.emphasis("", "x")]
    kept.entries["*x*", False] = nodes.entry()
    assert shared.in_context(role_context("default role")) is kept
    other = shared.in_context(role_context("another default role"))
    assert other is not None and other.parses == {} and other.entries == {}
    assert shared.in_context(None) is None  # no context: nothing shared

    def role(*args: object, **kwargs: object) -> tuple[list[nodes.Node], list[nodes.Node]]:
        return [], []

    before = role_context()
    roles.register_local_role("df-test-role", role)
    try:
        assert role_context() != before  # a role registered (.. role::) is a new context
    finally:
        del roles._roles["df-test-role"]
    assert role_context() == before


def test_a_parser_copies_the_shared_parse_of_an_earlier_table() -> None:
    document = _document(io.StringIO())
    shared = SharedParses()
    context = role_context()
    first = RstCellParser(document, 1, shared, role_context)
    parsed = first("*x* and ``y``")
    assert parsed is not None
    later = RstCellParser(document, 9, shared, role_context)
    copied = later("*x* and ``y``")
    assert copied is not None
    assert [node.pformat() for node in copied[0]] == [node.pformat() for node in parsed[0]]
    assert copied[0][0] is not parsed[0][0]  # a copy: each table owns its nodes
    # Texts with problems, or whose nodes are not final, are never shared.
    first("*open")
    first("see target_")
    kept = shared.in_context(context)
    assert kept is not None and set(kept.parses) == {"*x* and ``y``"}
    # Nor are their entries: only those of the texts whose parses are kept.
    for text in ("*x* and ``y``", "*open", "see target_"):
        first.share_entry(text, False, nodes.entry("", nodes.paragraph(text, text)))
    assert later.shared_entry("*x* and ``y``", False) is kept.entries["*x* and ``y``", False]
    assert later.shared_entry("*x* and ``y``", True) is None  # shown as written: another entry
    assert later.shared_entry("*open", False) is None
    assert later.shared_entry("see target_", False) is None
