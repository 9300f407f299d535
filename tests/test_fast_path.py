"""Plain cells stay out of the node tree, and every builder still gets the table."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from docutils import nodes
from sphinx.testing.util import SphinxTestApp

from sphinx_df_table.messages import ColumnFacts, TableData
from sphinx_df_table.output import html_tables
from sphinx_df_table.output.compact_rows import (
    COVERED,
    body_rows,
    df_rows,
    expand,
    is_final,
    iter_rows,
    make_rows_node,
    smartquotable,
)
from sphinx_df_table.output.table_nodes import build_table, plain_cell_parser

from .helpers import warnings_of

pytestmark = pytest.mark.matrix

# Test root ``fast-path``: one 600-row table with plain, extlinks and :doc:/:ref: cells.
#: Its HTML build, built once (by the first of these tests to run) for all of them.
FAST_PATH_HTML = pytest.mark.sphinx("html", testroot="fast-path")
SHARED_BUILD = pytest.mark.test_params(shared_result="fast-path-html")


@FAST_PATH_HTML
@SHARED_BUILD
def test_doctree_holds_plain_cells_as_strings(built: SphinxTestApp) -> None:
    doctree = built.env.get_doctree("index")
    head, rows = doctree.findall(df_rows)
    assert isinstance(head.parent, nodes.thead) and isinstance(rows.parent, nodes.tbody)
    # The four column labels are strings too, all label rows.
    assert head["cells"] == [["Model", "Throughput", "Scripts", "See"]]
    assert head["label_rows"] == 1
    assert len(rows["cells"]) == 600
    # 1,200 plain cells are strings. The extlinks cells are final (a reference
    # with its URI) and kept out of the tree; only the :doc:/:ref: cells need
    # resolution and are in it.
    entries = list(doctree.findall(nodes.entry))
    assert len(entries) == 2
    # The 600 equal extlinks cells share one detached entry.
    assert rows["detached"][0].astext() == "Benchmark"
    assert len(rows["detached"]) == 1
    assert sum(cell == 0 for row in rows["cells"] for cell in row) == 600
    assert sum(1 for _ in doctree.findall()) < 60


BUILDERS = ["html", "dirhtml", "singlehtml", "epub", "latex", "text", "man", "texinfo", "xml"]


@pytest.mark.parametrize(
    "builder",
    [
        # Each builder in its own copy of the root: a build directory shared
        # between builders would let one reuse another's environment and cache.
        pytest.param(
            name,
            marks=pytest.mark.sphinx(
                name,
                testroot="fast-path",
                srcdir=f"fast-path-every-{name}",
                confoverrides={"latex_documents": [("index", "p.tex", "P", "A", "manual")]},
            ),
        )
        for name in [*BUILDERS, "dummy"]
    ],
)
def test_every_builder(built: SphinxTestApp, builder: str) -> None:
    app = built
    assert [w for w in warnings_of(app) if "df_table" in w or "Traceback" in w] == []
    if builder == "dummy":
        return
    outputs = [p for p in Path(app.outdir).rglob("*") if p.is_file()]
    text = "\n".join(
        p.read_text(encoding="utf-8", errors="replace")
        for p in outputs
        if p.suffix in {".html", ".xhtml", ".tex", ".txt", ".1", ".texi", ".xml"}
    )
    assert "zebrafinch0" in text and "zebrafinch599" in text
    assert "898.5" in text  # 599 * 1.5, a plain numeric cell
    # extlinks in a rich cell: plain-text writers show the link text only.
    link = "Benchmark" if builder in {"text", "man"} else "https://example.org/benchmarks/inf2"
    assert text.count(link) >= 600  # every row's copy of the shared link cell


@FAST_PATH_HTML
@SHARED_BUILD
def test_rich_cells_resolve_references(built: SphinxTestApp) -> None:
    html = (built.outdir / "index.html").read_text(encoding="utf-8")
    assert (
        '<a class="reference internal" href="other.html"><span class="doc">Other page</span></a>'
        in html
    )
    big = '<span class="std std-ref">Big table</span>'
    assert f'<a class="reference internal" href="#big-table">{big}</a>' in html
    assert html.count('href="https://example.org/benchmarks/inf2"') == 600
    assert html.count('<tr class="row-') == 601
    first = '<tr class="row-even"><td><p>zebrafinch0</p></td>\n'
    assert first + '<td class="align-right" data-sort="0.0"><p>0.0</p></td>\n' in html


@FAST_PATH_HTML
@SHARED_BUILD
def test_search_index_has_plain_cell_words(built: SphinxTestApp) -> None:
    index = (built.outdir / "searchindex.js").read_text(encoding="utf-8")
    assert '"zebrafinch599"' in index  # a text column's cell
    assert '"throughput"' in index  # a column label
    # df_table_search_index = "text" (the default): a number column's cells are
    # not fed to the indexer (Sphinx drops words of digits, after stemming them).
    rows = body_rows(next(built.env.get_doctree("index").findall(nodes.table)))
    assert rows is not None
    assert "zebrafinch599" in rows.astext()
    assert "898.5" not in rows.astext()  # 599 * 1.5


@pytest.mark.parametrize(
    ("mode", "model", "number"),
    [
        pytest.param(
            mode,
            model,
            number,
            marks=pytest.mark.sphinx(
                "html",
                testroot="fast-path",
                srcdir=f"fast-path-search-{mode}",
                confoverrides={"df_table_search_index": mode},
            ),
        )
        for mode, model, number in [("all", True, True), ("none", False, False)]
    ],
)
def test_search_index_setting(built: SphinxTestApp, mode: str, model: bool, number: bool) -> None:
    index = (built.outdir / "searchindex.js").read_text(encoding="utf-8")
    assert ('"zebrafinch599"' in index) is model
    assert '"throughput"' in index  # labels are header cells: always indexed
    rows = body_rows(next(built.env.get_doctree("index").findall(nodes.table)))
    assert rows is not None
    assert ("898.5" in rows.astext()) is number  # the words fed to the indexer


def in_table(node: df_rows, *colspecs: nodes.colspec) -> df_rows:
    """Put ``node`` where build_table puts it: ``tgroup > tbody``, after the colspecs."""
    tgroup = nodes.tgroup("", *colspecs, nodes.tbody("", node), cols=len(colspecs))
    nodes.table("", tgroup)
    return node


def three_rows() -> df_rows:
    """A label row moved into the body, then two data rows; a merged stub cell."""
    rich = nodes.entry("", nodes.paragraph("", "", nodes.emphasis("", "x")))
    link = nodes.entry("", nodes.paragraph("", "", nodes.reference("", "L", refuri="u")))
    node = make_rows_node(
        [["id", "value", "note"], ["1", None, ""], [COVERED, "2.5", 0]],
        [rich],
        [link],
        rowspans=[[1, 0, 1]],
        label_rows=1,
        sort_keys=[["1.0", "2.0"], ["", "2.5"], None],
    )
    return in_table(
        node,
        nodes.colspec(stub=True, df_kind="number", df_align=""),
        nodes.colspec(df_kind="number", df_align="right"),
        nodes.colspec(df_kind="text", df_align="center"),
    )


def test_iter_rows_is_the_one_reader_of_the_encoding() -> None:
    node = three_rows()
    rows = list(iter_rows(node))
    simple = [
        [
            (c.row, c.column, c.content if isinstance(c.content, str) else c.content.astext())
            for c in row
        ]
        for row in rows
    ]
    # The covered cell is left out; rich cells come as their entries.
    assert simple == [
        [(0, 0, "id"), (0, 1, "value"), (0, 2, "note")],
        [(1, 0, "1"), (1, 1, "x"), (1, 2, "")],
        [(2, 1, "2.5"), (2, 2, "L")],
    ]
    assert [[(c.morerows, c.stub, c.label) for c in row] for row in rows] == [
        [(0, True, True), (0, False, True), (0, False, True)],
        [(1, True, False), (0, False, False), (0, False, False)],
        [(0, False, False), (0, False, False)],
    ]
    # Alignment and keys are the data cells' only: the label row has neither.
    assert [[(c.align, c.sort_key) for c in row] for row in rows] == [
        [("", None), ("", None), ("", None)],
        [("", "1.0"), ("right", ""), ("center", None)],
        [("right", "2.5"), ("center", None)],
    ]
    with pytest.raises(ValueError, match="child of a tbody or thead in a tgroup"):
        list(iter_rows(make_rows_node([["a"]], [], [])))


def test_expand_round_trip() -> None:
    node = three_rows()
    rows = expand(node)
    assert [[e.astext() for e in row.children] for row in rows] == [
        ["id", "value", "note"],
        ["1", "x", ""],
        ["2.5", "L"],
    ]
    assert [[e["classes"] for e in row.children] for row in rows] == [
        [[], [], []],
        [[], ["align-right"], ["align-center"]],
        [["align-right"], ["align-center"]],
    ]
    assert rows[1][0]["morerows"] == 1
    assert rows[1][2].children == []  # an empty cell is an empty entry
    # Attached rich cells, then each plain or detached text once, for search.
    assert node.astext() == "x\n\nid value note 1 2.5 L"


def test_search_words_of_the_searched_columns_and_label_rows() -> None:
    link = nodes.entry("", nodes.paragraph("", "", nodes.reference("", "Link", refuri="u")))
    node = make_rows_node(
        [["id", "value", "note"], ["1", "2.5", 0], ["3", "4.5", 0]],
        [],
        [link],
        label_rows=1,
        searched=[False, False, True],
    )
    # Label row words, then each searched cell's text once (the shared link once).
    assert node.astext() == "id value note Link"
    everything = make_rows_node([["1", "2.5", 0]], [], [link])
    assert everything.astext() == "1 2.5 Link"


def test_is_final() -> None:
    text = nodes.Text("t")
    assert is_final([text, nodes.emphasis("", "", nodes.Text("e"))])
    assert is_final([nodes.reference("", "", nodes.Text("l"), refuri="https://x")])
    assert not is_final([nodes.reference("", "", refname="target")])
    assert not is_final([nodes.reference("", "", refuri="u", name="named")])
    assert not is_final([nodes.target("", "")])
    assert not is_final([nodes.math("", "x")])
    assert not is_final([nodes.strong("", "", nodes.substitution_reference("", "", refname="s"))])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("plain 1.5", False),
        ("it's", True),
        ('"q"', True),
        ("a -- b", True),
        ("wait...", True),
        ("-1.5", False),
        ("a-b", False),
    ],
)
def test_smartquotable(text: str, expected: bool) -> None:
    assert smartquotable(text) is expected


def test_build_table_keeps_only_sort_keys_that_are_numbers() -> None:
    data = TableData(
        header=[["a", "b", "c", "d"]],
        body=[["1", "x", "2", "3"], ["4", "y", "5", "6"]],
        columns=[ColumnFacts("number", "right")] * 4,
        # What only a tampered worker would send: markup, a key too few.
        sort_keys=[["1.0", "-Infinity"], ['1"><script>', "2"], ["2.0"], ["", "6e+300"]],
    )
    table, _ = build_table(data, parse=plain_cell_parser(), header_rows=0)
    (rows,) = table.findall(df_rows)
    # The label row moved into the body has no key; the bad columns sort as text.
    assert rows["label_rows"] == 1
    assert rows["sort_keys"] == [["1.0", "-Infinity"], None, None, ["", "6e+300"]]
    assert [spec["df_align"] for spec in table.findall(nodes.colspec)] == ["right"] * 4


class _CountingParser:
    """Markup is ``*...*``; records which cell texts it was asked to parse."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def may_have_markup(self, text: str) -> bool:
        return "*" in text

    def shared_entry(self, text: str, as_written: bool) -> None:
        return None

    def share_entry(self, text: str, as_written: bool, entry: nodes.entry) -> None:
        pass

    def __call__(self, text: str) -> tuple[list[nodes.Node], list[nodes.system_message]] | None:
        self.asked.append(text)
        if "*" not in text:
            return None
        return [nodes.emphasis("", text.strip("*"))], []


def test_build_table_parses_only_columns_that_may_hold_markup() -> None:
    data = TableData(
        header=[["n", "*note*", 'the "quote"']],
        body=[["1", "*a*", 'say "hi"'], ["2", "*a*", "b"], ["3", "plain", "c"]],
        columns=[ColumnFacts("number", "right"), ColumnFacts(), ColumnFacts()],
    )
    parser = _CountingParser()
    table, _ = build_table(data, parse=parser)
    head, rows = table.findall(df_rows)
    assert rows is body_rows(table)
    # Head and body alike: a column without markup or text smart quotes would
    # change is never parsed cell by cell ("n", the number column); a markup
    # column's equal cells are parsed once and share one detached entry; a
    # column with quotes that smart quotes would change is looked at cell by cell.
    assert sorted(parser.asked) == sorted(
        ["*note*", 'the "quote"', "*a*", "plain", 'say "hi"', "b", "c"]
    )
    assert head["cells"] == [["n", 0, None]]  # the quoted label: attached
    assert head["detached"][0].astext() == "note"
    assert [row[:2] for row in rows["cells"]] == [["1", 0], ["2", 0], ["3", "plain"]]
    assert rows["cells"][0][2] is None  # attached: smart quotes will see it


@FAST_PATH_HTML
@SHARED_BUILD
def test_a_compact_head_is_written_as_docutils_writes_a_head(built: SphinxTestApp) -> None:
    # Labels plain, with markup (detached), with quotes (attached), empty, in a stub column.
    data = TableData(
        header=[["name", "*note*", 'the "quote"', ""]],
        body=[["a", "*b*", "c", "1"]],
        columns=[ColumnFacts(), ColumnFacts(), ColumnFacts(), ColumnFacts("number", "right")],
    )
    compact, _ = build_table(data, parse=_CountingParser(), stub_columns=1)
    ordinary = compact.deepcopy()
    head = next(node for node in ordinary.findall(df_rows) if isinstance(node.parent, nodes.thead))
    head.parent.replace(head, expand(head))
    assert not any(isinstance(node.parent, nodes.thead) for node in ordinary.findall(df_rows))
    built.builder.prepare_writing(set())  # the HTML writer's settings, as before writing
    document = built.env.get_doctree("index")
    document.settings = built.builder.docsettings
    document += [compact, ordinary]

    def html_of(table: nodes.table) -> str:
        translator = built.builder.create_translator(document, built.builder)
        table.walkabout(translator)
        return "".join(translator.body)

    written = html_of(compact)
    assert written == html_of(ordinary)
    assert '<thead>\n<tr class="row-odd"><th class="head stub"><p>name</p></th>\n' in written
    assert '<th class="head"><p><em>note</em></p></th>' in written
    assert '<th class="head"><p>the &quot;quote&quot;</p></th>' in written
    assert '<th class="head"></th>' in written


@FAST_PATH_HTML
@SHARED_BUILD
def test_plain_rows_are_written_as_docutils_writes_rows(built: SphinxTestApp) -> None:
    # The fast writer of rows without merged, styled or marked cells: a label
    # row, a stub column, sort keys, characters HTML escapes, a text holding
    # the separator of the one-call encoding, empty cells, and rich cells
    # (attached, detached and shared, one with classes of its own).
    emphasis = nodes.entry("", nodes.paragraph("", "", nodes.emphasis("", "x & y")))
    link = nodes.entry("", nodes.paragraph("", "", nodes.reference("", "L", refuri="u")))
    link["classes"] = ["mine"]
    node = make_rows_node(
        [
            ["id", "<value>", "note @ home"],
            ["1", None, ""],
            ["2", "a\x00b", 0],
            ["3", '"q" & <b>', 0],
        ],
        [emphasis],
        [link],
        label_rows=1,
        sort_keys=[["1.0", "2.0", "3.0"], ["", "2.5", "-Infinity"], None],
    )
    in_table(
        node,
        nodes.colspec(stub=True, df_kind="number", df_align=""),
        nodes.colspec(df_kind="number", df_align="right"),
        nodes.colspec(df_kind="text", df_align="center"),
    )
    built.builder.prepare_writing(set())
    document = built.env.get_doctree("index")
    document.settings = built.builder.docsettings

    def translator() -> html_tables.HTML5Translator:
        made = built.builder.create_translator(document, built.builder)
        assert isinstance(made, html_tables.HTML5Translator)
        return made

    fast = html_tables._plain_rows(translator(), node)
    assert fast == html_tables._rows_with_cell_attributes(translator(), node)
    # docutils drops nulls from text (they mark backslash-escapes): so does the fast writer.
    assert '<td class="align-right" data-sort="2.5"><p>ab</p></td>' in fast
    escaped = '<td class="align-right" data-sort="-Infinity"><p>&quot;q&quot; &amp; &lt;b&gt;</p>'
    assert escaped in fast
    assert fast.count('<td class="align-center mine"><p><a class="reference external"') == 2
    # What docutils writes for the same rows as ordinary nodes (which have no sort keys).
    table = node.parent.parent.parent
    ordinary = table.deepcopy()
    copied = next(iter(ordinary.findall(df_rows)))
    copied.parent.replace(copied, expand(copied))

    def html_of(table: nodes.Element) -> str:
        writer = translator()
        table.walkabout(writer)
        return "".join(writer.body)

    assert fast in html_of(table)
    assert re.sub(r' data-sort="[^"]*"', "", html_of(table)) == html_of(ordinary)


def test_encode_all_is_one_encode_per_text(monkeypatch: pytest.MonkeyPatch) -> None:
    class Counting(html_tables.HTML5Translator):
        calls = 0

        def __init__(self) -> None:  # only encode is used
            pass

    # docutils' own encode, counted: a table's plain texts take one call.
    own = html_tables.BaseHTMLTranslator.encode
    stock_calls = []

    def counted(self: html_tables.HTML5Translator, text: str) -> str:
        stock_calls.append(text)
        encoded: str = own(self, text)
        return encoded

    monkeypatch.setattr(html_tables.BaseHTMLTranslator, "encode", counted)
    texts = ["a & b", "<c>", "", "@"]
    stock = Counting()
    assert html_tables._encode_all(stock, texts) == ["a &amp; b", "&lt;c&gt;", "", "&#64;"]
    assert len(stock_calls) == 1
    # A text with a null is encoded on its own, without it (as docutils writes text).
    assert html_tables._encode_all(stock, ["a", "b\x00 c<", "d"]) == ["a", "bc&lt;", "d"]
    assert html_tables._encode_all(stock, []) == []

    class Shouting(Counting):
        def encode(self, text: str) -> str:
            self.calls += 1
            return str(text).upper()

    shouting = Shouting()
    # An encode of its own is called once per text, never on joined texts.
    assert html_tables._encode_all(shouting, ["a", "b"]) == ["A", "B"]
    assert shouting.calls == 2


@FAST_PATH_HTML
@SHARED_BUILD
def test_a_shared_entry_is_written_once_per_document(built: SphinxTestApp) -> None:
    link = nodes.entry("", nodes.paragraph("", "", nodes.reference("", "L", refuri="u")))
    tables = [
        in_table(
            make_rows_node([["1", 0], ["2", 0]], [], [link]),
            nodes.colspec(df_kind="number", df_align="right"),
            nodes.colspec(df_kind="text", df_align=""),
        )
        for _ in range(2)
    ]
    built.builder.prepare_writing(set())
    document = built.env.get_doctree("index")
    document.settings = built.builder.docsettings
    translator = built.builder.create_translator(document, built.builder)
    visits = []
    original = translator.visit_reference

    def visit_reference(node: nodes.reference) -> None:
        visits.append(node)
        original(node)

    translator.visit_reference = visit_reference
    written = [html_tables._plain_rows(translator, rows) for rows in tables]
    # Four cells, two tables, one entry: its HTML is made once.
    assert len(visits) == 1
    assert written[0] == written[1]
    assert written[0].count('<a class="reference external" href="u">L</a>') == 2
