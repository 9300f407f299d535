"""Inline reST markup in cells (``:markup: rst``): parsing, its length cap, what is reported.

Cell text is parsed with the reStructuredText *inline* parser only: roles,
references and emphasis work, but a cell can never become a list, a section or
any other block (``1.`` stays ``1.``). In MyST documents the same rST inline
parser is used, so a CSV shared by ``.rst`` and ``.md`` pages renders alike.

Two limits keep a table of odd text cheap, whatever its cells hold:

* docutils' inline parser takes time that grows with the square of the text
  when start-strings have no end (```a `a `a ...``), with one message per
  start-string: a cell longer than :data:`MAX_MARKUP_LENGTH` characters is not
  parsed at all, but shown as with ``:markup: none``;
* a table reports the first problem of at most :data:`REPORTED_PROBLEM_CELLS`
  distinct cell texts (docutils' own messages, at the directive's line, as
  before); the other cells with problems are only counted
  (:func:`markup_warnings` words the ``df_table.markup`` warnings).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from types import SimpleNamespace as Struct
from typing import Any

from docutils import nodes
from docutils.parsers.rst import languages as rst_languages
from docutils.parsers.rst import roles
from docutils.parsers.rst.states import Inliner
from docutils.utils import Reporter

from ..messages import TableData
from .compact_rows import is_final

#: Cells longer than this (in characters) are shown literally, not parsed: a
#: benchmark cell with a link role is under 200 characters, and docutils needs
#: about 50 ms for 2,000 characters of unbalanced markup, 20 s for 60,000.
MAX_MARKUP_LENGTH = 2000
#: Distinct cell texts with markup problems whose first problem a table reports.
REPORTED_PROBLEM_CELLS = 5

#: A cell without any of these characters cannot contain inline markup (roles,
#: emphasis, literals, references, substitutions, footnotes, escapes, URIs,
#: e-mail addresses), so it becomes a single Text node without the parser.
_MAYBE_MARKUP = re.compile(r"[*`_|\[\\:@]")
_PEP_RFC = re.compile(r"\b(?:PEP|RFC)\b", re.IGNORECASE)

#: A label longer than this is left out of a warning that names its column.
_MAX_LABEL_IN_WARNING = 40


def role_context(*extra: Hashable) -> tuple[Any, ...] | None:
    """What a cell's inline parse depends on beyond its text, within one document.

    That is the roles docutils knows (``.. role::`` and ``.. default-role::``
    change them), the role lookup in use (Sphinx puts its own in place per
    document) and ``extra`` (Sphinx's default role and domain). Role objects
    are compared by identity (a ``.. role::`` makes a new one), and the
    context holds them, so an identity is never reused while it is kept.
    ``None`` when docutils keeps its roles elsewhere: then nothing is shared.
    """
    registered = getattr(roles, "_roles", None)
    if not isinstance(registered, dict):
        return None
    return (tuple(registered.items()), roles.role, *extra)


@dataclass
class KeptCells:
    """What the tables of a document share in one role context."""

    #: Cell text -> its final inline nodes (copied by each table that parses the text).
    parses: dict[str, list[nodes.Node]] = field(default_factory=dict)
    #: (cell text, shown as written) -> the detached ``entry`` that tables share.
    entries: dict[tuple[str, bool], nodes.entry] = field(default_factory=dict)


class SharedParses:
    """The final cells (see :func:`~sphinx_df_table.output.compact_rows.is_final`)
    of the tables of one document, for its later tables to reuse.

    A benchmark page repeats the same link cells in every table: each text is
    parsed once per document instead of once per table, and its detached
    entry (see :mod:`~sphinx_df_table.output.compact_rows`) is one node that
    every table of the page refers to, which spares copies, pickling and
    garbage collection. Only texts that parsed without any message into final
    nodes are kept: their nodes depend on nothing but the text and the
    :func:`role_context`, hold no ids, and no transform changes them. When
    the context changes between tables, what was kept so far is dropped; a
    change that parsing itself makes (docutils registers a role the first
    time it looks its name up) is taken in (:meth:`parsed_in`).
    """

    def __init__(self) -> None:
        self._context: tuple[Any, ...] | None = None
        self._kept = KeptCells()

    def in_context(self, context: tuple[Any, ...] | None) -> KeptCells | None:
        """What is kept, valid in ``context`` (a :func:`role_context`); ``None``: nothing."""
        if context is None:
            return None
        if context != self._context:
            self._context = context
            self._kept = KeptCells()
        return self._kept

    def parsed_in(self, context: tuple[Any, ...] | None) -> None:
        """Say that parsing a cell left the roles in ``context``: what is kept holds in it."""
        self._context = context


class RstCellParser:
    """Cells of one table parsed with docutils' reST inline parser, in ``document``'s context.

    Calling it with a cell's text returns ``None`` for a cell without markup or
    longer than :data:`MAX_MARKUP_LENGTH` (shown as plain text), else the
    cell's inline nodes and the system messages that belong in the document:
    the first problem (a message of level WARNING or above) of each of the
    first :data:`REPORTED_PROBLEM_CELLS` distinct texts with problems, logged
    through the document's reporter, located at ``lineno`` (the directive's
    line), when the text is first parsed. Every other cell with problems only
    adds one to :attr:`unreported`; messages below WARNING are dropped.

    We drive docutils' :class:`Inliner` ourselves instead of calling
    ``state.inline_text``, because MyST's state parses inline *Markdown* there.
    ``shared``: the final parses of earlier tables of the document, valid
    in the role context that ``context()`` gives (see :class:`SharedParses`);
    this table adds its own.
    """

    def __init__(
        self,
        document: nodes.document,
        lineno: int,
        shared: SharedParses | None = None,
        context: Callable[[], tuple[Any, ...] | None] = lambda: None,
    ) -> None:
        settings = document.settings
        reporter = document.reporter
        # The inliner's messages go to a reporter that neither writes nor
        # halts; the ones to report are passed on to the document's reporter.
        quiet = Reporter(
            reporter.source, Reporter.SEVERE_LEVEL + 1, Reporter.SEVERE_LEVEL + 1, stream=False
        )
        if hasattr(reporter, "get_source_and_line"):  # set by docutils' reST parser
            quiet.get_source_and_line = reporter.get_source_and_line
        inliner = Inliner()
        inliner.init_customizations(settings)
        self._document = document
        self._lineno = lineno
        self._inliner = inliner
        self._memo = Struct(
            document=document,
            reporter=quiet,
            language=rst_languages.get_language(settings.language_code, quiet),
            title_styles=[],
            section_level=0,
            section_bubble_up_kludge=False,
            inliner=inliner,
        )
        self._check_pep_rfc = bool(
            getattr(settings, "pep_references", False) or getattr(settings, "rfc_references", False)
        )
        # Benchmark tables repeat the same markup down a column (one link per
        # model); parsing each text once and copying the nodes is much cheaper.
        # A text with problems is parsed once too: it is reported only once.
        self._parsed: dict[str, tuple[list[nodes.Node], bool]] = {}
        self._shared_parses = shared
        self._context = context
        self._shared = shared.in_context(context()) if shared is not None else None
        self._reported = 0
        #: Cells with markup problems that were not reported one by one.
        self.unreported = 0

    def may_have_markup(self, text: str) -> bool:
        """Whether ``text`` (one cell, or cells joined by newlines) may hold markup;
        ``False`` means no part of it would be parsed."""
        return bool(_MAYBE_MARKUP.search(text) or (self._check_pep_rfc and _PEP_RFC.search(text)))

    def __call__(self, text: str) -> tuple[list[nodes.Node], list[nodes.system_message]] | None:
        """The cell's inline nodes and the messages to put in the document, or ``None``."""
        if len(text) > MAX_MARKUP_LENGTH or not self.may_have_markup(text):
            return None
        if text in self._parsed:
            found, has_problems = self._parsed[text]
            if has_problems:  # reported with its first cell, if at all
                self.unreported += 1
            return [node.deepcopy() for node in found], []
        if self._shared is not None and text in self._shared.parses:  # an earlier table's
            found = self._shared.parses[text]
            self._parsed[text] = (found, False)
            return [node.deepcopy() for node in found], []
        # Older docutils report through memo.reporter, newer ones through the
        # document's reporter: both are the quiet one meanwhile.
        reporter, self._document.reporter = self._document.reporter, self._memo.reporter
        try:
            found, messages = self._inliner.parse(text, self._lineno, self._memo, nodes.inline())
        finally:
            self._document.reporter = reporter
        problems = [message for message in messages if message["level"] >= Reporter.WARNING_LEVEL]
        kept = [_without_ids(node.deepcopy()) for node in found]
        self._parsed[text] = (kept, bool(problems))
        if self._shared_parses is not None and self._shared is not None:
            self._shared_parses.parsed_in(self._context())
            if not messages and is_final(kept):
                self._shared.parses[text] = kept
        reported = problems[0] if problems and self._reported < REPORTED_PROBLEM_CELLS else None
        if reported is not None:
            self._reported += 1
            self._report(reported)
        elif problems:
            self.unreported += 1
        for message in messages:  # the others are never in the document: forget their ids
            if message is not reported:
                for node_id in message["ids"]:
                    self._document.ids.pop(node_id, None)
        return list(found), [] if reported is None else [reported]

    def shared_entry(self, text: str, as_written: bool) -> nodes.entry | None:
        """The detached entry an earlier table of the document made of ``text``, if any."""
        return None if self._shared is None else self._shared.entries.get((text, as_written))

    def share_entry(self, text: str, as_written: bool, entry: nodes.entry) -> None:
        """Offer the detached ``entry`` made of ``text`` to the document's later tables;
        kept only when ``text`` parsed without any message into final nodes."""
        if self._shared is not None and text in self._shared.parses:
            self._shared.entries[text, as_written] = entry

    def _report(self, message: nodes.system_message) -> None:
        """Log ``message`` through the document's reporter, as docutils would have."""
        self._document.reporter.system_message(
            message["level"],
            "",  # the text is in the children, which are copied as they are
            *(child.deepcopy() for child in message.children),
            **{name: message[name] for name in ("source", "line") if name in message},
        )


def _without_ids(node: nodes.Node) -> nodes.Node:
    """``node`` with no ``ids`` on its ``problematic`` nodes, to copy into other cells.

    Those ids are the targets of the first cell's message; copies must not repeat them.
    """
    for problematic in node.findall(nodes.problematic):
        problematic["ids"] = []
    return node


def _describe_cell(data: TableData, row: int, column: int) -> str:
    """Where grid cell (``row``, ``column``) is, in the words a reader of the table uses."""
    n_labels = len(data.header)
    where = (
        f"column-label row {row + 1}" if row < n_labels else f"row {row - n_labels + 1}"
    ) + f", column {column + 1}"
    label = data.header[-1][column] if data.header else ""
    if label and len(label) <= _MAX_LABEL_IN_WARNING and "\n" not in label:
        where += f" ({label!r})"
    return where


def markup_warnings(data: TableData, unreported: int) -> list[str]:
    """The ``df_table.markup`` warning texts for a table whose cells were parsed as reST.

    One when cells are longer than :data:`MAX_MARKUP_LENGTH` (how many, the
    cap, and where the first is), one when ``unreported`` (the
    :attr:`RstCellParser.unreported` count) is not 0.
    """
    found: list[str] = []
    long_cells = [
        (row, column)
        for row, texts in enumerate([*data.header, *data.body])
        for column, text in enumerate(texts)
        if len(text) > MAX_MARKUP_LENGTH
    ]
    if long_cells:
        where = _describe_cell(data, *long_cells[0])
        found.append(
            f"a cell is longer than {MAX_MARKUP_LENGTH:,} characters, the limit for inline "
            f"markup, and is shown literally: {where}"
            if len(long_cells) == 1
            else f"{len(long_cells):,} cells are longer than {MAX_MARKUP_LENGTH:,} characters, "
            f"the limit for inline markup, and are shown literally; the first is {where}"
        )
    if unreported:
        cells = "cell" if unreported == 1 else "cells"
        found.append(f"... and {unreported:,} more {cells} with markup problems in this table")
    return found
