"""Execute ahead: start snippets before the parser reaches their directives.

Sphinx parses documents one after another in a process, and a directive that
waits for its snippet leaves the Sphinx process idle. So, before reading,
this module reads the documents' sources itself, finds their ``df-table`` and
``df-chart`` blocks (reST directives and MyST fences), plans each one exactly
as its directive will (:func:`~sphinx_df_table.directives.snippet.plan_snippet`),
looks it up in the result cache and submits the misses to the worker, which
runs several at a time while Sphinx goes on parsing. When the directive runs,
it takes the result whose plan is identical to its own; a block this scan
misread is simply run again by its directive (the directive is always the
source of truth), at the cost of one wasted run.

Every document to read is scanned at ``env-before-read-docs``, in the main
process. In a ``-j`` build the reader processes Sphinx forks after that event
share the main process's worker (:mod:`sphinx_df_table.execute.runner`): the
snippets are submitted *shared*, and the first reader whose directive sends
the same request gets that run's result.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from sphinx.util.parallel import make_chunks

from ..config import get_config
from ..execute.result_cache import ResultCache
from ..execute.runner import WorkerStartError
from .snippet import (
    CACHE_FOLDER,
    Ahead,
    OptionError,
    SnippetDirective,
    _slot,
    _stamps_of,
    convert_options,
    get_runner,
    plan_snippet,
)

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.environment import BuildEnvironment

#: Sphinx reads in parallel above this many documents (``Builder.read``).
_PARALLEL_FROM = 6
#: Cache hits found ahead are kept for their directives up to this many bytes
#: of entries; beyond, the directive looks its hit up again (memory stays flat).
HIT_BUDGET = 64 * 1024 * 1024
_REST_START = re.compile(r"^(?P<indent>[ \t]*)\.\.[ \t]+(?P<name>df-(?:table|chart))::(?P<arg>.*)$")
_MYST_START = re.compile(
    r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})\{(?P<name>df-(?:table|chart))\}(?P<arg>.*)$"
)
_OPTION = re.compile(r"^:(?P<name>[^:\s][^:]*):(?:\s+(?P<value>.*))?$")
#: reST lines after which more-indented lines are literal text, not markup:
#: code directives, comments and paragraphs ending in "::".
_LITERAL_START = re.compile(
    r"^[ \t]*(?:\.\.[ \t]+(?:code-block|code|sourcecode|highlight|parsed-literal)::|"
    r"\.\.(?:[ \t]+(?![\w-]+::)|$)|(?!\.\.).*::[ \t]*$)"
)
_ANY_FENCE = re.compile(r"^[ \t]*(?P<fence>`{3,}|~{3,})")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))


def _dedent(lines: list[str]) -> list[str]:
    """Strip the common indentation and the blank lines at both ends, as docutils does."""
    while lines and not lines[-1].strip():
        lines.pop()
    while lines and not lines[0].strip():
        lines.pop(0)
    margin = min((_indent(line) for line in lines if line.strip()), default=0)
    return [line[margin:].rstrip() if line.strip() else "" for line in lines]


def _options(lines: list[str]) -> tuple[dict[str, str], int]:
    """The ``:name: value`` lines at the start of ``lines`` (continuation lines
    indented further join the value), and how many lines they took."""
    options: dict[str, str] = {}
    used = 0
    name = None
    for line in lines:
        stripped = line.strip()
        match = _OPTION.match(stripped)
        if match:
            name = match["name"]
            options[name] = (match["value"] or "").strip()
        elif name is not None and stripped and _indent(line) > _indent(lines[0]):
            options[name] = f"{options[name]}\n{stripped}".strip()
        else:
            break
        used += 1
    return options, used


def scan_rest(text: str) -> Iterator[tuple[str, str, dict[str, str], str]]:
    """The df-table/df-chart directives of reST ``text``: (name, argument,
    raw options, code)."""
    lines = text.splitlines()
    index = 0
    literal: int | None = None  # the indentation of the line that began literal text
    while index < len(lines):
        line = lines[index]
        if literal is not None and line.strip() and _indent(line.expandtabs()) <= literal:
            literal = None
        match = _REST_START.match(line) if literal is None else None
        index += 1
        if not match:
            if literal is None and _LITERAL_START.match(line):
                literal = _indent(line.expandtabs())
            continue
        indent = len(match["indent"].expandtabs())
        block = []
        while index < len(lines) and (
            not lines[index].strip() or _indent(lines[index].expandtabs()) > indent
        ):
            block.append(lines[index])
            index += 1
        body = _dedent(block)
        options, used = _options(body)
        yield match["name"], match["arg"].strip(), options, "\n".join(_dedent(body[used:]))


def scan_myst(text: str) -> Iterator[tuple[str, str, dict[str, str], str]]:
    """The df-table/df-chart fences of MyST ``text``: (name, argument, raw options, code)."""
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        match = _MYST_START.match(lines[index])
        other = _ANY_FENCE.match(lines[index]) if not match else None
        index += 1
        if other:  # another fence (code shown as an example): skip all of it
            while index < len(lines) and not lines[index].strip().startswith(other["fence"]):
                index += 1
            index += 1
            continue
        if not match:
            continue
        fence = match["fence"]
        block = []
        while index < len(lines) and not lines[index].strip().startswith(fence):
            block.append(lines[index])
            index += 1
        index += 1
        body = _dedent(block)
        if body and body[0].strip() == "---":  # YAML options: left to the directive
            continue
        options, used = _options(body)
        yield match["name"], match["arg"].strip(), options, "\n".join(_dedent(body[used:]))


def _directive_classes() -> dict[str, type[SnippetDirective]]:
    from .chart import DfChartDirective
    from .table import DfTableDirective

    return {"df-table": DfTableDirective, "df-chart": DfChartDirective}


def _render_spec(
    cls: type[SnippetDirective], env: BuildEnvironment, options: dict[str, Any]
) -> Any:
    """``cls.render_spec(options)`` outside a parse: the spec reads only the config."""
    stand_in = object.__new__(cls)
    stand_in.state = SimpleNamespace(document=SimpleNamespace(settings=SimpleNamespace(env=env)))
    return stand_in.render_spec(options)


def submit_document(
    env: BuildEnvironment, docname: str, text: str | None = None, *, shared: bool = False
) -> int:
    """Scan ``docname`` (its ``text`` when given) and submit its snippets that
    are not in the cache; returns how many were submitted. ``shared``: for the
    ``-j`` reader that will read the document (see
    :meth:`~sphinx_df_table.execute.runner.SnippetRunner.submit`). Never raises
    for what it cannot understand: the directive will."""
    config = get_config(env.config)
    path = Path(os.path.abspath(env.doc2path(docname)))
    if text is None:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return 0
    scan = scan_myst if path.suffix == ".md" else scan_rest
    classes = _directive_classes()
    slot = _slot(env)
    cache = ResultCache(
        Path(env.doctreedir) / CACHE_FOLDER, [str(env.srcdir), *config.allowed_paths]
    )
    submitted = 0
    for name, _argument, raw, code in scan(text):
        cls = classes[name]
        if not set(raw) <= set(cls.converters):
            continue  # an unknown option: the directive will not run
        try:
            options = convert_options(dict(raw), cls.converters)
            plan = plan_snippet(code, options, config, path.parent, _render_spec(cls, env, options))
        except (OptionError, ValueError, TypeError, KeyError):
            continue
        if plan.identity in slot.ahead:
            continue
        if plan.key and (size := cache.entry_size(plan.key)):
            if slot.ahead_hit_bytes + size > HIT_BUDGET:
                continue  # probably a hit: its directive will see
            if (hit := cache.get(plan.key)) is not None:
                slot.ahead_hit_bytes += size
                slot.ahead[plan.identity] = Ahead(hit=hit, hit_bytes=size)
                continue
        try:
            ticket = get_runner(env).submit(plan.request, shared=shared)
        except WorkerStartError:
            return submitted  # the directives will say so, each located
        slot.ahead[plan.identity] = Ahead(ticket=ticket, depends_stamps=_stamps_of(plan.depends))
        submitted += 1
    return submitted


def _before_read(app: Sphinx, env: BuildEnvironment, docnames: list[str]) -> None:
    slot = _slot(env)
    slot.serial = not (app.parallel > 1 and len(docnames) >= _PARALLEL_FROM)
    if not slot.serial:
        # Made here, in the main process: the readers Sphinx forks next
        # inherit it, and connect to the worker it starts (see runner.py).
        get_runner(env)
    if get_config(app.config).execute_ahead:
        order = docnames if slot.serial else reading_order(docnames, app.parallel)
        for docname in order:
            submit_document(env, docname, shared=not slot.serial)


def reading_order(docnames: list[str], nproc: int) -> list[str]:
    """``docnames`` in the order ``-j nproc`` readers will reach them.

    Sphinx cuts the documents into chunks (``make_chunks``) and reads
    ``nproc`` chunks at a time, each from its start: the worker runs the
    snippets ahead in that order, so no reader waits for snippets of
    documents it reads later, or that another reader reads later.
    """
    chunks = make_chunks(docnames, nproc)
    order = []
    for first in range(0, len(chunks), nproc):
        wave = chunks[first : first + nproc]
        for index in range(max(len(chunk) for chunk in wave)):
            order += [chunk[index] for chunk in wave if index < len(chunk)]
    return order


def setup_ahead(app: Sphinx) -> None:
    """Scan documents for snippets before reading them (see the module's text)."""
    app.connect("env-before-read-docs", _before_read, priority=900)
