"""Where a table's numbers come from, and how old they are.

Two things show the dates of the data files snippets read (see
:mod:`sphinx_df_table.dates` for how a file is dated):

* The ``:df-updated:`` role: ``:df-updated:`%B %d, %Y``` is the date of the
  newest data file that the page's df-tables and df-charts read;
  ``:df-updated:`%B %d, %Y <data.csv>``` the date of one file (relative to
  the file the role is written in).
* A table's sources line (``:sources:``, :confval:`df_table_sources`): a
  :class:`df_table_sources` paragraph under the table that lists the files
  its snippet read, relative to the page, each with its date; in web HTML
  the names link to downloads of the files when the table has ``:download:``.

Dates are not written into the doctree when a page is read: both leave a
:class:`df_table_date` placeholder, filled in by :class:`FillDates` when the
page is written. Every file the documents read is dated once per build, in
the main process, on ``env-get-updated`` (after all documents were read and
the ``-j`` readers' records merged); the pages whose files' dates changed
since the last build are written again then, without being read again, so a
new commit date or ``SOURCE_DATE_EPOCH`` reaches the page without running any
snippet.

The environment keeps, per document, the data files its snippets read and the
files its roles name (merged from ``-j`` readers, forgotten when a document
is purged), and the dates of the last lookup.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Set
from pathlib import Path
from typing import TYPE_CHECKING, Any

from docutils import nodes
from sphinx import addnodes
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util.docutils import SphinxRole
from sphinx.util.nodes import split_explicit_title

from ..dates import file_dates, format_date
from ..diagnostics import DfTableWarning, warn

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.environment import BuildEnvironment
    from sphinx.writers.latex import LaTeXTranslator

_DATA_FILES = "_df_table_data_files"
_NAMED_FILES = "_df_table_named_files"
_DATES = "_df_table_file_dates"
#: The class of the sources line (for the stylesheet, and for users to style).
SOURCES_CLASS = "df-table-sources"
#: The text of a date that cannot be had.
UNKNOWN = "unknown"
#: Files that are code, not data: a snippet's imported modules.
_CODE_SUFFIXES = (".py", ".pyc")


class df_table_sources(nodes.paragraph):
    """The line under a table that lists its data files and their dates.

    A paragraph (so every writer without a visitor of its own writes it as
    one), with the class :data:`SOURCES_CLASS`; LaTeX sets it in
    ``\\footnotesize``.
    """


class df_table_date(nodes.Inline, nodes.TextElement):
    """A date to fill in when the page is written (see :class:`FillDates`).

    ``df_files``: the files (absolute paths) whose newest date is shown, or
    ``None`` for the data files of document ``df_page``; ``df_format``: the
    strftime format; ``df_location``: where a missing date is reported
    (``""``: it is shown as ``unknown`` without a warning).
    """


def _records(env: BuildEnvironment, name: str) -> dict[str, list[str]]:
    records: dict[str, list[str]] | None = getattr(env, name, None)
    if records is None:
        records = {}
        setattr(env, name, records)
    return records


def data_files(files_read: Iterable[str], srcdir: str) -> list[str]:
    """The data files among ``files_read``: existing files under ``srcdir``
    that are not Python code, in order, each once."""
    root = Path(srcdir).resolve()
    found: dict[str, None] = {}
    for name in files_read:
        path = Path(name)
        if path.suffix not in _CODE_SUFFIXES and path.is_relative_to(root) and path.is_file():
            found[name] = None
    return list(found)


def note_data_files(env: BuildEnvironment, files: list[str]) -> None:
    """Note that a snippet of the current document read the data ``files``."""
    noted = _records(env, _DATA_FILES).setdefault(env.docname, [])
    noted.extend(name for name in files if name not in noted)


def date_node(
    files: list[str] | None, page: str, pattern: str, location: str = ""
) -> df_table_date:
    """A placeholder for the newest date of ``files`` (``None``: of ``page``'s
    data files) in the strftime ``pattern``; see :class:`df_table_date`."""
    return df_table_date(
        "", UNKNOWN, df_files=files, df_page=page, df_format=pattern, df_location=location
    )


def sources_line(
    env: BuildEnvironment, files: list[str], pattern: str, *, downloads: bool
) -> df_table_sources | None:
    """The sources line for a table of the current document whose snippet read ``files``.

    Each file is named relative to the page, followed by its date in
    ``pattern``; with ``downloads`` the names are ``download_reference``
    nodes (Sphinx copies the files and links them in HTML; other writers show
    the name). ``None`` when the snippet read no data file.
    """
    if not files:
        return None
    page_folder = Path(env.doc2path(env.docname)).resolve().parent
    parts: list[nodes.Node] = [nodes.Text("Source: " if len(files) == 1 else "Sources: ")]
    for number, name in enumerate(files):
        if number:
            parts.append(nodes.Text(", "))
        shown = Path(os.path.relpath(name, page_folder)).as_posix()
        label = nodes.inline(shown, shown, classes=["df-table-source-file"])
        if downloads:
            from_root = Path(name).relative_to(Path(env.srcdir).resolve()).as_posix()
            label = addnodes.download_reference(
                "", "", label, reftarget=f"/{from_root}", refdoc=env.docname, refexplicit=True
            )
        parts += [label, nodes.Text(" ("), date_node([name], env.docname, pattern), nodes.Text(")")]
    return df_table_sources("", "", *parts, classes=[SOURCES_CLASS])


class UpdatedRole(SphinxRole):
    """``:df-updated:`FORMAT``` and ``:df-updated:`FORMAT <file>```: a data date.

    A bad format, or a file that does not exist, is a ``df_table.updated``
    warning and the text ``unknown``.
    """

    _kind = DfTableWarning.UPDATED

    def run(self) -> tuple[list[nodes.Node], list[nodes.system_message]]:
        """A :class:`df_table_date` for the page's data, or for the file named."""
        has_file, pattern, target = split_explicit_title(self.text)
        if not has_file:
            pattern = self.text
        location = self._location()
        try:
            format_date(0, pattern)
        except ValueError as exc:
            warn(f"df-updated: {pattern!r} is not a strftime format: {exc}", self._kind, location)
            return [nodes.Text(UNKNOWN)], []
        files = None
        if has_file:
            path = (self._folder() / target).resolve()
            if not path.is_file():
                # A missing file is no dependency: read the page again until it is there.
                self.env.note_reread()
                warn(f"df-updated: file not found: {target} ({path})", self._kind, location)
                return [nodes.Text(UNKNOWN)], []
            self.env.note_dependency(os.fspath(path))
            noted = _records(self.env, _NAMED_FILES).setdefault(self.env.docname, [])
            if str(path) not in noted:
                noted.append(str(path))
            files = [str(path)]
        return [date_node(files, self.env.docname, pattern, location)], []

    def _location(self) -> str:
        source, line = self.get_source_info()
        path = os.path.abspath(source) if source else self.env.doc2path(self.env.docname)
        return f"{path}:{line or ''}"

    def _folder(self) -> Path:
        """The folder of the file the role is written in (an included file's own)."""
        source = self.get_source_info()[0]
        if source and os.path.isfile(source):
            return Path(os.path.abspath(source)).parent
        return Path(self.env.doc2path(self.env.docname)).resolve().parent


def newest_date(env: BuildEnvironment, node: df_table_date) -> float | None:
    """The date ``node`` shows (see :class:`df_table_date`); ``None`` when none is known."""
    files = node["df_files"]
    if files is None:
        files = _records(env, _DATA_FILES).get(node["df_page"], [])
    dates: dict[str, float] = getattr(env, _DATES, {})
    known = [dates[name] for name in files if name in dates]
    return max(known) if known else None


class FillDates(SphinxPostTransform):
    """Replace each :class:`df_table_date` with its date (every builder).

    A role whose date is not known (its page read no data file) gives a
    located ``df_table.updated`` warning and ``unknown``.
    """

    default_priority = 10

    def run(self, **kwargs: Any) -> None:
        """Fill in every date placeholder of the document."""
        for node in list(self.document.findall(df_table_date)):
            date = newest_date(self.env, node)
            if date is None:
                if node["df_location"]:
                    warn(
                        "df-updated: no date to show: no df-table or df-chart on this page "
                        "read a data file",
                        DfTableWarning.UPDATED,
                        node["df_location"],
                    )
                text = UNKNOWN
            else:
                text = format_date(date, node["df_format"])
            node.parent.replace(node, nodes.Text(text))


def date_files(app: Sphinx, env: BuildEnvironment) -> list[str]:
    """Date every file the documents read or name (``env-get-updated``).

    Returns the documents to write again because one of their files has
    another date than at the last build.
    """
    per_document = [_records(env, _DATA_FILES), _records(env, _NAMED_FILES)]
    everything = {name for records in per_document for names in records.values() for name in names}
    before: dict[str, float] = getattr(env, _DATES, {})
    dates = file_dates(everything, str(env.srcdir))
    setattr(env, _DATES, dates)
    changed = {name for name in everything if before.get(name) != dates.get(name)}
    return sorted(
        docname
        for records in per_document
        for docname, names in records.items()
        if changed.intersection(names)
    )


def _purge(_app: Sphinx, env: BuildEnvironment, docname: str) -> None:
    for name in (_DATA_FILES, _NAMED_FILES):
        _records(env, name).pop(docname, None)


def _merge(
    _app: Sphinx, env: BuildEnvironment, docnames: Set[str], other: BuildEnvironment
) -> None:
    for name in (_DATA_FILES, _NAMED_FILES):
        mine, theirs = _records(env, name), _records(other, name)
        for docname in docnames:
            if docname in theirs:
                mine[docname] = theirs[docname]


def visit_sources_latex(self: LaTeXTranslator, node: df_table_sources) -> None:
    """Start the line under the table, in ``\\footnotesize``."""
    self.body.append("\n\n{\\footnotesize\\noindent ")


def depart_sources_latex(self: LaTeXTranslator, node: df_table_sources) -> None:
    """End the line (the ``\\par`` inside the group keeps its line spacing small)."""
    self.body.append("\\par}\n\n")


def setup_sources(app: Sphinx) -> None:
    """Register the role, the nodes, the post-transform and the records' events."""
    app.add_role("df-updated", UpdatedRole())
    app.add_node(df_table_sources, latex=(visit_sources_latex, depart_sources_latex))
    app.add_node(df_table_date)
    app.add_post_transform(FillDates)
    app.connect("env-purge-doc", _purge)
    app.connect("env-merge-info", _merge)
    app.connect("env-get-updated", date_files)
