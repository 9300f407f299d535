"""The ``df-chart`` directive: a chart of the snippet's data, as a numbered figure.

Running the snippet, the sandbox, caching, dependencies and warnings are those
of every snippet directive (:mod:`sphinx_df_table.directives.snippet`). The chart options go to
the worker in the render spec (so they are part of the cache key), and the
worker draws the chart once in every format a builder may want
(:mod:`sphinx_df_table.worker.chart_drawing`).

The directive returns a ``figure`` (so ``:name:`` and ``:numref:`` work as for
any figure) around a :class:`df_chart` node that carries the files. At write
time, :class:`DfChartImages` writes them next to the doctrees and replaces the
node with an ordinary ``image`` whose candidates are the three files: the
builder then picks the format it supports (SVG for HTML and EPUB, PDF for
LaTeX, PNG for the rest) and copies that file into its output, exactly as for
an image in the source tree. Files are named by their content, so a rebuild
that draws the same chart writes nothing new; after a build that read every
document, the chart files no document uses are removed.

matplotlib is an optional dependency (``pip install sphinx-df-table[charts]``)
that only the worker imports; without it a ``df-chart`` is one
``df_table.chart`` warning, and tables are not affected.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import re
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.transforms.post_transforms import SphinxPostTransform

from ..build_summary import read_every_document, used_files
from ..config import DfTableConfig
from ..diagnostics import DfTableWarning, warn
from ..execute.result_cache import write_atomic
from ..messages import SnippetResult
from .options import formats_option, text_option
from .snippet import EXECUTION_OPTIONS, Converter, SnippetDirective

if TYPE_CHECKING:
    from sphinx.application import Sphinx

#: Chart kinds, as in ``DataFrame.plot(kind=...)``.
KINDS = ("bar", "barh", "line", "scatter")
#: File name extension of each format the worker draws.
EXTENSIONS = {"image/svg+xml": ".svg", "application/pdf": ".pdf", "image/png": ".png"}
INSTALL_HINT = "pip install sphinx-df-table[charts]"
#: Inches per unit of a length option (a unitless length is in pixels).
_INCHES = {"in": 1.0, "cm": 1 / 2.54, "mm": 1 / 25.4, "pt": 1 / 72, "pc": 1 / 6, "px": 1 / 96}
_LENGTH = re.compile(r"^([0-9]*\.?[0-9]+)\s*([a-z]*)$")
#: Charts smaller or larger than this (inches) are surely a mistake.
_SIZE_RANGE = (0.5, 40.0)


def chart_length(argument: str | None) -> float:
    """A length (``640px``, ``6in``, ``15cm``, ``640``: pixels) in inches.

    Raises ``ValueError`` for another unit, or a size outside 0.5 to 40 inches.
    """
    text = str(directives.unchanged_required(argument)).strip().lower()
    match = _LENGTH.match(text)
    unit = match.group(2) if match else None
    if match is None or (unit and unit not in _INCHES):
        raise ValueError(f"{text!r} is not a length in px, in, cm, mm, pt or pc")
    inches = float(match.group(1)) * _INCHES[unit or "px"]
    low, high = _SIZE_RANGE
    if not low <= inches <= high:
        raise ValueError(f"{text!r} is not between {low:g} and {high:g} inches")
    return inches


def column_name(argument: str | None) -> str:
    """A column label, as the table header shows it."""
    return str(directives.unchanged_required(argument)).strip()


def column_list(argument: str | None) -> list[str]:
    """Column labels: one per line, or on one line separated by commas.

    Raises ``ValueError`` when there is none.
    """
    text = str(directives.unchanged_required(argument))
    parts = text.splitlines() if "\n" in text.strip() else text.split(",")
    names = [part.strip() for part in parts if part.strip()]
    if not names:
        raise ValueError("expected at least one column label")
    return names


def figure_align(argument: str | None) -> str:
    """``left``, ``center`` or ``right`` (``:align:``); raises ``ValueError`` otherwise."""
    return str(directives.choice(argument, ("left", "center", "right")))


#: Options of ``df-chart`` besides the execution options.
CHART_OPTIONS: dict[str, Converter] = {
    "kind": lambda argument: directives.choice(argument, KINDS),
    "x": column_name,
    "y": column_list,
    "group": column_name,
    "color": column_name,
    "title": directives.unchanged_required,
    "x-label": text_option,
    "y-label": text_option,
    "log-y": directives.flag,
    "labels": directives.flag,
    "formats": formats_option,
    "width": chart_length,
    "height": chart_length,
    "alt": directives.unchanged_required,
    "name": directives.unchanged,
    "class": directives.class_option,
    "align": figure_align,
}


class df_chart(nodes.General, nodes.Element):
    """A drawn chart: ``files`` maps a MIME type to the file's bytes; ``alt``.

    It never reaches a writer: :class:`DfChartImages` turns it into an image.
    """


def matplotlib_version() -> str | None:
    """The installed matplotlib's version; ``None`` if it cannot be imported.

    Only looked up, not imported: the worker draws, Sphinx does not.
    """
    try:
        found = importlib.util.find_spec("matplotlib") is not None
    except (ImportError, ValueError):  # a broken or half-imported package
        found = False
    if not found:
        return None
    try:
        return version("matplotlib")
    except PackageNotFoundError:  # importable but not installed as a distribution
        return "unknown"


class DfChartDirective(SnippetDirective):
    """Run the pandas snippet in the body and draw its DataFrame as a chart."""

    optional_arguments = 1
    final_argument_whitespace = True
    converters: ClassVar[dict[str, Converter]] = {**CHART_OPTIONS, **EXECUTION_OPTIONS}

    def run(self) -> list[nodes.Node]:
        """The figure of the chart, or a ``df_table.chart``/``option`` warning and nothing."""
        if matplotlib_version() is None:
            warn(
                f"df-chart needs matplotlib, which is not installed: {INSTALL_HINT}",
                DfTableWarning.CHART,
                self.get_location(),
            )
            return []
        group, color = self.options.get("group"), self.options.get("color")
        if group is not None and color is not None and group.strip() != color.strip():
            warn(
                f":group: and :color: are the same option; they name different columns "
                f"({group.strip()!r}, {color.strip()!r})",
                DfTableWarning.OPTION,
                self.get_location(),
            )
            return []
        return super().run()

    def render_spec(self, options: dict[str, Any]) -> dict[str, Any]:
        """The chart options for the worker.

        See :func:`~sphinx_df_table.worker.chart_drawing.render_chart`.
        """
        return {
            "chart": {
                "kind": options.get("kind", "bar"),
                "x": options.get("x"),
                "y": options.get("y"),
                "group": options.get("group", options.get("color")),
                "title": options.get("title"),
                "x_label": options.get("x-label"),
                "y_label": options.get("y-label"),
                "log_y": "log-y" in options,
                "labels": "labels" in options,
                "formats": options.get("formats", {}),
                "width": options.get("width"),
                "height": options.get("height"),
                # A new matplotlib may draw differently: part of the cache key.
                "matplotlib": matplotlib_version(),
            }
        }

    def staged_files(self, result: SnippetResult) -> tuple[str, ...]:
        """The names of the chart's files under the doctree directory's ``df_chart`` folder."""
        if result.chart is None:
            return ()
        return tuple(chart_file_name(mime, data) for mime, data in result.chart.files.items())

    def make_nodes(
        self, result: SnippetResult, options: dict[str, Any], config: DfTableConfig
    ) -> list[nodes.Node]:
        """A ``figure`` around the :class:`df_chart` node, with the caption.

        A chart whose options do not fit the data gives a ``df_table.option``
        warning at the directive instead, and no nodes.
        """
        drawn = result.chart
        assert drawn is not None
        if drawn.problem is not None:
            warn(f"df-chart: {drawn.problem}", DfTableWarning.OPTION, self.get_location())
            return []
        chart = df_chart("", files=dict(drawn.files), alt=options.get("alt") or drawn.alt)
        self.set_source_info(chart)
        figure = nodes.figure("", chart, classes=["df-chart", *options.get("class", [])])
        if "align" in options:
            figure["align"] = options["align"]
        self.set_source_info(figure)
        messages: list[nodes.Node] = []
        if self.arguments:
            inline, messages = self.state.inline_text(self.arguments[0], self.lineno)
            caption = nodes.caption(self.arguments[0], "", *inline)
            self.set_source_info(caption)
            figure += caption
        self.add_name(figure)  # reads the raw :name:, as docutils' figures do
        return [figure, *messages]


#: The folder under the doctree directory that holds chart files.
CHART_FOLDER = "df_chart"


def chart_file_name(mime: str, data: bytes) -> str:
    """The name of a chart file: ``mime`` (one of :data:`EXTENSIONS`) and its
    ``data`` decide it, so that one drawing is written once."""
    return f"df-chart-{hashlib.sha256(data).hexdigest()[:20]}{EXTENSIONS[mime]}"


def _write_once(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` unless it is there already (atomically, for ``-j``)."""
    if path.is_file() and path.stat().st_size == len(data):
        return  # the name is the content's hash
    write_atomic(path, data)


class DfChartImages(SphinxPostTransform):
    """Each chart becomes an ``image`` with one candidate file per format.

    The files go under the doctree directory (as Sphinx's own image converters
    do) and into ``env.images``, so every builder picks and copies its format
    the way it does for images in the source tree.
    """

    default_priority = 90  # before Sphinx's image converters (100 and up)

    def run(self, **kwargs: Any) -> None:
        """Write each chart's files under the doctree directory and replace it by an image."""
        directory = Path(self.env.doctreedir) / CHART_FOLDER
        for chart in list(self.document.findall(df_chart)):
            candidates: dict[str, str] = {}
            for mime, data in chart["files"].items():
                path = directory / chart_file_name(mime, data)
                _write_once(path, data)
                candidates[mime] = str(path)
                self.env.images.add_file(self.env.docname, str(path))
            image = nodes.image(
                "",
                uri=candidates["image/svg+xml"],
                candidates=candidates,
                alt=chart["alt"],
                classes=["df-chart"],
            )
            image.source, image.line = chart.source, chart.line
            chart.replace_self(image)


def prune_chart_files(app: Sphinx, exception: BaseException | None) -> None:
    """At the end of a successful build that read every document, remove the
    files in the doctree directory's chart folder that no document uses (and
    temporary files a killed build left). Files that cannot be removed are left
    where they are.
    """
    if exception is not None or not read_every_document(app.env):
        return
    keep = used_files(app.env)
    for path in Path(app.env.doctreedir, CHART_FOLDER).glob("*"):
        if path.name not in keep:
            with contextlib.suppress(OSError):  # a folder, or no permission
                path.unlink()


def setup_chart(app: Sphinx) -> None:
    """Register ``df-chart``, the transform that turns charts into images, and
    the removal of unused chart files."""
    app.add_directive("df-chart", DfChartDirective)
    app.add_node(df_chart)
    app.add_post_transform(DfChartImages)
    # Before the build summary (400), which forgets which documents were read.
    app.connect("build-finished", prune_chart_files, priority=300)
