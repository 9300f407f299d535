"""What the Sphinx process and the snippet worker say to each other.

The worker runs untrusted-looking snippets, so everything it sends back is
plain data (``str``, ``int``, ``float``, ``bool``, ``None``, lists, tuples and
dicts of those) read with an unpickler that refuses every class: a snippet
cannot smuggle an object whose ``__reduce__`` would run code in Sphinx.

Messages are length-prefixed pickles on dedicated pipes (not stdout), so C-level
writes to file descriptor 1 inside the worker can never corrupt the stream.

A snippet's outcome travels as the dataclasses below (:class:`SnippetResult`
holding a :class:`TableData`, a :class:`ChartData` or a :class:`SnippetError`),
each turned into plain data by ``to_plain`` and back by ``from_plain``. The
decoding side trusts nothing: ``from_plain`` checks every field's type and
shape and raises :class:`ProtocolError` on anything else, since a snippet can
write to the worker's pipe (and the result cache is a file on disk).
"""

from __future__ import annotations

import io
import os
import pickle
import re
import select
import struct
import time
from dataclasses import KW_ONLY, dataclass, field
from typing import Any, Literal, cast, get_args

from .errors import DfTableError, ErrorKind

_HEADER = struct.Struct("!Q")
#: Joins a table's cells on the wire (ASCII "unit separator"), unless a cell holds it.
_CELL_SEPARATOR = "\x1f"
#: Refuse absurd frames instead of trying to allocate them.
MAX_MESSAGE_BYTES = 1 << 31


class ProtocolError(DfTableError):
    """The other side closed the pipe or sent something that is not a valid message."""


class _PlainUnpickler(pickle.Unpickler):
    """Unpickles only builtin containers and scalars; any class is refused."""

    def find_class(self, module: str, name: str) -> Any:
        raise pickle.UnpicklingError(f"refusing to load {module}.{name} from the worker")


def loads_plain(data: bytes) -> Any:
    """Unpickle ``data``, which must consist of plain data only.

    Raises ``pickle.UnpicklingError`` (or another unpickling error: ``EOFError``,
    ``ValueError``...) on a pickle that names any class or is not a pickle.
    """
    return _PlainUnpickler(io.BytesIO(data)).load()


class ProtocolTimeout(ProtocolError):
    """The deadline passed before a whole message arrived."""


def _wait_readable(fd: int, deadline: float | None) -> None:
    if deadline is None:
        return
    remaining = deadline - time.monotonic()
    if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
        raise ProtocolTimeout("no complete message before the deadline")


def _read_exact(fd: int, size: int, deadline: float | None = None) -> bytes:
    chunks: list[bytes] = []
    remaining = size
    while remaining:
        _wait_readable(fd, deadline)
        chunk = os.read(fd, min(remaining, 1 << 20))
        if not chunk:
            raise ProtocolError("pipe closed")
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def encode_message(payload: Any) -> bytes:
    """``payload`` framed as one message: an 8-byte length, then the pickle.

    Raises whatever pickling raises (``MemoryError`` for a result too large).
    """
    data = pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)
    return _HEADER.pack(len(data)) + data


def message_size(header: bytes) -> int:
    """The length of the pickle that the 8-byte ``header`` announces."""
    (size,) = _HEADER.unpack(header)
    return int(size)


#: The length of a message's header, in bytes.
HEADER_SIZE = _HEADER.size


def write_message(fd: int, payload: Any) -> None:
    """Send ``payload`` on file descriptor ``fd`` (see :func:`encode_message`).

    Blocks until all is written; raises ``OSError`` when the pipe is closed and
    whatever pickling raises (``MemoryError`` for a result too large).
    """
    view = memoryview(encode_message(payload))
    while view:
        written = os.write(fd, view)
        view = view[written:]


def read_message(
    fd: int, *, plain: bool, deadline: float | None = None, max_bytes: int = MAX_MESSAGE_BYTES
) -> Any:
    """Receive one message from file descriptor ``fd``.

    ``plain=True`` (for anything coming from the worker) refuses any class,
    raising :class:`ProtocolError`; ``plain=False`` unpickles anything (only
    for what the worker reads from its parent). Raises :class:`ProtocolError`
    when the pipe closes first or the length is over ``max_bytes``.

    With a ``deadline`` (a :func:`time.monotonic` value), the *whole* message
    must arrive by then, or :class:`ProtocolTimeout` is raised: a snippet that
    writes half a message to the pipe and then sleeps cannot hang the reader.
    """
    (size,) = _HEADER.unpack(_read_exact(fd, _HEADER.size, deadline))
    if size > max_bytes:
        raise ProtocolError(f"message of {size} bytes is too large")
    data = _read_exact(fd, size, deadline)
    return decode_payload(data, plain=plain)


def decode_payload(data: bytes, *, plain: bool) -> Any:
    """The payload of one message's pickle ``data`` (see :func:`read_message`)."""
    if not plain:
        return pickle.loads(data)
    try:
        return loads_plain(data)
    except Exception as exc:  # not a pickle, or one that names a class
        raise ProtocolError(f"not a valid message: {exc}") from exc


#: What a column holds, as far as sorting it goes.
ColumnKind = Literal["number", "datetime", "timedelta", "bool", "text"]
#: Where a column's data cells put their text (``""``: where the theme puts it).
Alignment = Literal["left", "right", "center", ""]


@dataclass(frozen=True)
class ColumnFacts:
    """What the worker knows about one table column (index columns included).

    ``kind`` follows the column's dtype: ``"number"`` (real numbers),
    ``"datetime"``, ``"timedelta"``, ``"bool"``, else ``"text"`` (strings,
    objects, categories, periods, complex numbers). ``align`` is the default
    alignment of the column's *data* cells (numbers: ``"right"``).
    ``formatted``: the data cells' text is a formatter's output (a Styler's,
    or a format option's), shown as it is, without smart quotes.
    """

    kind: ColumnKind = "text"
    align: Alignment = ""
    formatted: bool = False


def _fail(what: str, problem: str) -> ProtocolError:
    return ProtocolError(f"malformed message: {what} {problem}")


def _fields(value: Any, what: str, keys: tuple[str, ...]) -> dict[str, Any]:
    """``value`` as a dict that has every one of ``keys``."""
    if not isinstance(value, dict):
        raise _fail(what, f"is a {type(value).__name__}, not a dict")
    missing = [key for key in keys if key not in value]
    if missing:
        raise _fail(what, f"lacks {', '.join(missing)}")
    return value


def _text(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise _fail(what, f"is a {type(value).__name__}, not text")
    return value


def _optional_text(value: Any, what: str) -> str | None:
    return None if value is None else _text(value, what)


def _flag(value: Any, what: str) -> bool:
    if not isinstance(value, bool):
        raise _fail(what, f"is a {type(value).__name__}, not a bool")
    return value


def _count(value: Any, what: str, minimum: int = 0) -> int:
    """A whole number of at least ``minimum`` (a ``bool`` is not one)."""
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise _fail(what, f"is {value!r}, not a whole number >= {minimum}")
    return value


def _list(value: Any, what: str) -> list[Any]:
    if not isinstance(value, list):
        raise _fail(what, f"is a {type(value).__name__}, not a list")
    return value


def _texts(value: Any, what: str) -> list[str]:
    items = _list(value, what)
    if not all(type(item) is str for item in items):
        raise _fail(what, "holds something other than text")
    return items


def _rows(value: Any, what: str) -> list[list[str]]:
    return [_texts(row, f"a row of {what}") for row in _list(value, what)]


def _sized(items: list[Any], width: int, what: str) -> list[Any]:
    """``items``, which must have one entry per column (or none at all)."""
    if items and len(items) != width:
        raise _fail(what, f"has {len(items)} entries for {width} columns")
    return items


#: The files of a drawn chart, by MIME type (what Sphinx's image candidates are
#: keyed by): every chart is drawn in all of them.
CHART_FILE_TYPES = ("image/svg+xml", "application/pdf", "image/png")
_ALIGNMENTS = get_args(Alignment)
#: The third entry of a formatted column's facts on the wire.
_FORMATTED = "formatted"
_KINDS = get_args(ColumnKind)

_COLOUR = r"#[0-9a-f]{6}"
_DECLARATION = (
    rf"background-color: {_COLOUR}|color: {_COLOUR}|font-weight: bold|font-style: italic"
    r"|text-decoration: (?:underline|line-through)"
    rf"|background: linear-gradient\(90deg(?:, (?:{_COLOUR}|transparent) \d{{1,3}}\.\d%)+\)"
)
#: The CSS a styled cell may carry (what :mod:`~sphinx_df_table.worker.cell_styles`
#: makes of a Styler's): ``; ``-separated declarations of colours as ``#rrggbb``,
#: bold, italic, underline or line-through, and a bar's horizontal gradient.
#: Nothing else, so the text is safe in an HTML ``style`` attribute and easy
#: to turn into LaTeX.
CELL_STYLE = re.compile(rf"(?:{_DECLARATION})(?:; (?:{_DECLARATION}))*")


@dataclass(frozen=True)
class TableData:
    """A DataFrame reduced to what a table needs: text, already formatted.

    ``header`` holds one row per column-label level; ``body`` one row per data
    row; every row has one cell per column and every cell is a string.
    """

    header: list[list[str]]
    body: list[list[str]]
    #: The rest by keyword only: several are lists, easy to pass in the wrong place.
    _: KW_ONLY
    #: Merged cells, ``[row, column, morerows, morecols]`` in the grid of
    #: header rows then body rows; the cells they cover hold ``""``.
    spans: list[list[int]] = field(default_factory=list)
    #: Leading columns that are the DataFrame's index (shown as stub columns).
    index_columns: int = 0
    #: One record per column: its kind and its data cells' alignment.
    columns: list[ColumnFacts] = field(default_factory=list)
    #: Per column, the sort key of each body row's raw value (a ``float`` repr,
    #: ``"Infinity"``/``"-Infinity"``, ``""`` when missing); ``None`` for text.
    sort_keys: list[list[str] | None] = field(default_factory=list)
    #: Rows left out by ``:max-rows:``.
    truncated: int = 0
    #: A caption the result carries (a pandas ``Styler``'s).
    caption: str = ""
    #: The raw values as CSV text, for a download link (only when one was asked for).
    csv: str | None = None
    #: Render options that could not apply to the result: ``[field, why]`` each,
    #: ``field`` a :class:`~sphinx_df_table.worker.frame_cells.TableOptions` field.
    ignored: list[list[str]] = field(default_factory=list)
    #: Expectations (``:expect-*:``) the result failed: ``[option, what was
    #: found]`` each, ``option`` without colons (``"expect-rows"``).
    expectations: list[list[str]] = field(default_factory=list)
    #: The distinct CSS texts of styled body cells (a Styler's; see :data:`CELL_STYLE`).
    styles: list[str] = field(default_factory=list)
    #: ``[row, column, style]`` of each styled body cell: ``row`` counts body
    #: rows, ``column`` includes the index columns, ``style`` indexes ``styles``.
    styled: list[list[int]] = field(default_factory=list)
    #: ``[row, column]`` of each body cell that ``:highlight:`` marks as best.
    highlighted: list[list[int]] = field(default_factory=list)

    @property
    def n_columns(self) -> int:
        """The number of columns (0 for a table without rows)."""
        rows = self.header or self.body
        return len(rows[0]) if rows else 0

    def to_plain(self) -> dict[str, Any]:
        """This table as plain data; the body as one string when it can be, for speed.

        Pickling (and unpickling) 10,000 small strings costs a few milliseconds;
        one string joined with a separator that no cell contains costs almost
        nothing. (Not ``dataclasses.asdict`` either: it deep-copies every cell.)
        """
        plain: dict[str, Any] = {
            "header": self.header,
            "spans": self.spans,
            "index_columns": self.index_columns,
            "columns": [
                [facts.kind, facts.align, *([_FORMATTED] if facts.formatted else [])]
                for facts in self.columns
            ],
            # Keys are float reprs: joined like the body, they cost one string each.
            "sort_keys": [None if k is None else _CELL_SEPARATOR.join(k) for k in self.sort_keys],
            "truncated": self.truncated,
            "caption": self.caption,
            "csv": self.csv,
            "ignored": self.ignored,
            "expectations": self.expectations,
            "styles": self.styles,
            "styled": self.styled,
            "highlighted": self.highlighted,
        }
        width = len(self.body[0]) if self.body else 0
        if width and all(len(row) == width for row in self.body):
            cells = [cell for row in self.body for cell in row]
            joined = _CELL_SEPARATOR.join(cells)
            if joined.count(_CELL_SEPARATOR) == len(cells) - 1:  # no cell holds it
                plain["body_joined"], plain["width"] = joined, width
                return plain
        plain["body"] = self.body
        return plain

    @classmethod
    def from_plain(cls, data: Any) -> TableData:
        """The table that :meth:`to_plain` made ``data`` of.

        Raises :class:`ProtocolError` when a field is missing or of the wrong
        type, or when a row, ``columns`` or ``sort_keys`` does not have one
        entry per column (and each key list one key per body row), or a span
        or ``index_columns`` lies outside the table, or a style is not of
        :data:`CELL_STYLE`, or a styled or highlighted cell is not a body cell.
        """
        fields = _fields(
            data,
            "table",
            (
                "header",
                "spans",
                "index_columns",
                "columns",
                "sort_keys",
                "truncated",
                "caption",
                "csv",
                "ignored",
                "expectations",
                "styles",
                "styled",
                "highlighted",
            ),
        )
        header = _rows(fields["header"], "the table header")
        if "body_joined" in fields:
            joined = _text(fields["body_joined"], "the table body")
            width = _count(fields.get("width"), "the table width", minimum=1)
            cells = joined.split(_CELL_SEPARATOR)
            if len(cells) % width:
                raise _fail("the table body", f"has {len(cells)} cells, not rows of {width}")
            body = [cells[i : i + width] for i in range(0, len(cells), width)]
        else:
            body = _rows(fields.get("body"), "the table body")
        width = len((header or body)[0]) if header or body else 0
        for row in (*header, *body):
            if len(row) != width:
                raise _fail("a table row", f"has {len(row)} cells, not {width}")
        columns = [
            _column_facts(facts)
            for facts in _sized(_list(fields["columns"], "columns"), width, "columns")
        ]
        sort_keys = [
            _sort_keys(keys, len(body))
            for keys in _sized(_list(fields["sort_keys"], "sort_keys"), width, "sort_keys")
        ]
        height = len(header) + len(body)
        spans = [_span(span, height, width) for span in _list(fields["spans"], "spans")]
        index_columns = _count(fields["index_columns"], "index_columns")
        if index_columns > width:
            raise _fail("index_columns", f"is {index_columns} for {width} columns")
        styles = [_style(text) for text in _texts(fields["styles"], "styles")]
        return cls(
            header,
            body,
            spans=spans,
            index_columns=index_columns,
            columns=columns,
            sort_keys=sort_keys,
            truncated=_count(fields["truncated"], "truncated"),
            caption=_text(fields["caption"], "caption"),
            csv=_optional_text(fields["csv"], "csv"),
            ignored=[_ignored(pair) for pair in _list(fields["ignored"], "ignored")],
            expectations=[
                _pair(pair, "a failed expectation", "[option, found]")
                for pair in _list(fields["expectations"], "expectations")
            ],
            styles=styles,
            styled=[
                _body_cell(cell, len(body), width, 3, len(styles))
                for cell in _list(fields["styled"], "styled")
            ],
            highlighted=[
                _body_cell(cell, len(body), width, 2, 0)
                for cell in _list(fields["highlighted"], "highlighted")
            ],
        )


def _pair(value: Any, what: str, shape: str) -> list[str]:
    """Two texts, ``[a, b]``; ``shape`` names them in the error."""
    pair = _texts(value, what)
    if len(pair) != 2:
        raise _fail(what, f"is {pair!r}, not {shape}")
    return pair


def _style(value: str) -> str:
    """One cell style, which must be of the :data:`CELL_STYLE` grammar."""
    if not CELL_STYLE.fullmatch(value):
        raise _fail("a cell style", f"{value[:80]!r} is not of the cell style grammar")
    return value


def _body_cell(value: Any, rows: int, width: int, size: int, styles: int) -> list[int]:
    """``[row, column]`` of a body cell, with a style index after them when ``size`` is 3."""
    numbers = [_count(number, "a styled cell") for number in _list(value, "a styled cell")]
    if len(numbers) != size or numbers[0] >= rows or numbers[1] >= width:
        raise _fail("a styled cell", f"{numbers} is not a body cell of the {rows}x{width} table")
    if size == 3 and numbers[2] >= styles:
        raise _fail("a styled cell", f"{numbers} names style {numbers[2]} of {styles}")
    return numbers


def _ignored(value: Any) -> list[str]:
    """One ignored option's ``[field, why]``."""
    pair = _texts(value, "an ignored option")
    if len(pair) != 2:
        raise _fail("an ignored option", f"is {pair!r}, not [field, why]")
    return pair


def _column_facts(value: Any) -> ColumnFacts:
    """One column's ``[kind, align]``, with ``"formatted"`` after them when it is."""
    facts = _texts(value, "a column's facts")
    if (
        len(facts) not in (2, 3)
        or facts[0] not in _KINDS
        or facts[1] not in _ALIGNMENTS
        or facts[2:] not in ([], [_FORMATTED])
    ):
        raise _fail("a column's facts", f"are {facts!r}, not [kind, alignment(, formatted)]")
    return ColumnFacts(cast(ColumnKind, facts[0]), cast(Alignment, facts[1]), len(facts) == 3)


def _sort_keys(value: Any, rows: int) -> list[str] | None:
    """One column's sort keys (joined on the wire), one per body row, or ``None``."""
    if value is None:
        return None
    keys = _text(value, "a column's sort keys").split(_CELL_SEPARATOR) if rows else []
    if len(keys) != rows:
        raise _fail("a column's sort keys", f"are {len(keys)} for {rows} rows")
    return keys


def _span(value: Any, height: int, width: int) -> list[int]:
    """One merged cell, ``[row, column, morerows, morecols]``, inside the grid."""
    numbers = [_count(number, "a span") for number in _list(value, "a span")]
    if len(numbers) != 4:
        raise _fail("a span", f"has {len(numbers)} numbers, not 4")
    row, column, more_rows, more_columns = numbers
    if row + more_rows >= height or column + more_columns >= width:
        raise _fail("a span", f"{numbers} reaches outside the table ({height}x{width})")
    return numbers


@dataclass(frozen=True)
class ChartData:
    """A drawn chart: its files and the text alternative, or why it was not drawn.

    ``files`` maps each MIME type of :data:`CHART_FILE_TYPES` to that file's
    bytes; ``alt`` is the default text alternative. When the chart options do
    not fit the snippet's data (a missing column, text where numbers belong),
    ``problem`` says why and ``files`` is empty: the directive reports it as a
    ``df_table.option`` warning, not as a failed snippet.
    """

    files: dict[str, bytes] = field(default_factory=dict)
    alt: str = ""
    problem: str | None = None

    def to_plain(self) -> dict[str, Any]:
        """This chart as plain data."""
        return {"files": self.files, "alt": self.alt, "problem": self.problem}

    @classmethod
    def from_plain(cls, data: Any) -> ChartData:
        """The chart that :meth:`to_plain` made ``data`` of.

        Raises :class:`ProtocolError` on a missing field or one of the wrong
        type, and unless ``files`` holds exactly the :data:`CHART_FILE_TYPES`
        (none when there is a ``problem``).
        """
        fields = _fields(data, "chart", ("files", "alt", "problem"))
        files = fields["files"]
        if not isinstance(files, dict) or not all(
            isinstance(mime, str) and isinstance(content, bytes) for mime, content in files.items()
        ):
            raise _fail("the chart files", "are not a dict of MIME type -> bytes")
        problem = _optional_text(fields["problem"], "the chart problem")
        expected = set() if problem is not None else set(CHART_FILE_TYPES)
        if set(files) != expected:
            raise _fail("the chart files", f"are {sorted(files)}, not {sorted(expected)}")
        return cls(files=files, alt=_text(fields["alt"], "the chart alt text"), problem=problem)


@dataclass(frozen=True)
class SnippetError:
    """Why a snippet produced no result, located in the snippet.

    ``kind`` says how it failed (and so which ``df_table.*`` warning reports
    it); ``line`` is 1-based within the snippet (``None`` when no line is to
    blame, e.g. a wrong result type); ``in_preamble`` is true when the failing
    line is in ``df_table_preamble`` rather than the snippet; ``traceback`` is
    the author's traceback (``""`` when there is none).
    """

    kind: ErrorKind
    message: str
    line: int | None = None
    in_preamble: bool = False
    traceback: str = ""

    def to_plain(self) -> dict[str, Any]:
        """This error as plain data (the kind as its text value)."""
        return {
            "kind": self.kind.value,
            "message": self.message,
            "line": self.line,
            "in_preamble": self.in_preamble,
            "traceback": self.traceback,
        }

    @classmethod
    def from_plain(cls, data: Any) -> SnippetError:
        """The error that :meth:`to_plain` made ``data`` of.

        Raises :class:`ProtocolError` on a missing field, one of the wrong type,
        or a kind that is no :class:`~sphinx_df_table.errors.ErrorKind`.
        """
        fields = _fields(data, "error", ("kind", "message", "line", "in_preamble", "traceback"))
        try:
            kind = ErrorKind(fields["kind"])
        except ValueError:
            raise _fail("the error kind", f"{fields['kind']!r} is unknown") from None
        line = fields["line"]
        return cls(
            kind=kind,
            message=_text(fields["message"], "the error message"),
            line=None if line is None else _count(line, "the error line", minimum=1),
            in_preamble=_flag(fields["in_preamble"], "in_preamble"),
            traceback=_text(fields["traceback"], "the traceback"),
        )


@dataclass(frozen=True)
class FileStamp:
    """What a file looked like when a snippet opened it: enough to tell, after
    the run, whether it changed since (then the table may show data of both).

    ``path`` is absolute and resolved; ``size`` is in bytes, ``mtime_ns`` the
    modification time in nanoseconds since the epoch, ``inode`` the inode
    number (a file replaced by a rename has another).
    """

    path: str
    size: int
    mtime_ns: int
    inode: int

    @classmethod
    def of(cls, path: str) -> FileStamp:
        """The stamp of the file at ``path`` now; raises ``OSError`` when it cannot be read."""
        stat = os.stat(path)
        return cls(path, stat.st_size, stat.st_mtime_ns, stat.st_ino)

    def to_plain(self) -> list[Any]:
        """This stamp as ``[path, size, mtime_ns, inode]``."""
        return [self.path, self.size, self.mtime_ns, self.inode]

    @classmethod
    def from_plain(cls, data: Any) -> FileStamp:
        """The stamp that :meth:`to_plain` made ``data`` of.

        Raises :class:`ProtocolError` unless ``data`` is a list of a path and
        three whole numbers (size and inode not negative).
        """
        items = _list(data, "a file stamp")
        if len(items) != 4:
            raise _fail("a file stamp", f"has {len(items)} fields, not 4")
        mtime_ns = items[2]
        if not isinstance(mtime_ns, int) or isinstance(mtime_ns, bool):
            raise _fail("a file stamp's mtime", f"is {mtime_ns!r}, not a whole number")
        return cls(
            path=_text(items[0], "a file stamp's path"),
            size=_count(items[1], "a file stamp's size"),
            mtime_ns=mtime_ns,
            inode=_count(items[3], "a file stamp's inode"),
        )


@dataclass(frozen=True)
class SnippetResult:
    """The outcome of one snippet, plus what it touched.

    Exactly one of ``table`` (a ``df-table``), ``chart`` (a ``df-chart``) and
    ``error`` is set. ``files_read`` holds the absolute paths the snippet
    opened, in order (a module's ``.py`` source for its cached ``.pyc``);
    ``read_stamps`` one :class:`FileStamp` per file opened, taken when it was
    first opened; ``output`` what it printed; ``seconds`` how long it ran
    (wall clock).
    """

    table: TableData | None = None
    chart: ChartData | None = None
    error: SnippetError | None = None
    files_read: tuple[str, ...] = ()
    read_stamps: tuple[FileStamp, ...] = ()
    output: str = ""
    seconds: float = 0.0

    def to_plain(self) -> dict[str, Any]:
        """This result as plain data."""
        return {
            "table": self.table.to_plain() if self.table else None,
            "chart": self.chart.to_plain() if self.chart else None,
            "error": self.error.to_plain() if self.error else None,
            "files_read": list(self.files_read),
            "read_stamps": [stamp.to_plain() for stamp in self.read_stamps],
            "output": self.output,
            "seconds": self.seconds,
        }

    @classmethod
    def from_plain(cls, data: Any) -> SnippetResult:
        """The result that :meth:`to_plain` made ``data`` of.

        Raises :class:`ProtocolError` when a field is missing or malformed, or
        when not exactly one of table, chart and error is there.
        """
        fields = _fields(
            data,
            "result",
            ("table", "chart", "error", "files_read", "read_stamps", "output", "seconds"),
        )
        present = [key for key in ("table", "chart", "error") if fields[key] is not None]
        if len(present) != 1:
            raise _fail("the result", f"holds {present or 'nothing'}, not one of table/chart/error")
        seconds = fields["seconds"]
        if not isinstance(seconds, (int, float)) or isinstance(seconds, bool) or seconds < 0:
            raise _fail("seconds", f"is {seconds!r}, not a duration")
        return cls(
            table=None if fields["table"] is None else TableData.from_plain(fields["table"]),
            chart=None if fields["chart"] is None else ChartData.from_plain(fields["chart"]),
            error=None if fields["error"] is None else SnippetError.from_plain(fields["error"]),
            files_read=tuple(_texts(fields["files_read"], "files_read")),
            read_stamps=tuple(
                FileStamp.from_plain(stamp) for stamp in _list(fields["read_stamps"], "read_stamps")
            ),
            output=_text(fields["output"], "output"),
            seconds=float(seconds),
        )


@dataclass(frozen=True)
class WorkerAnswer:
    """The worker's answer to request ``request_id``: the result."""

    request_id: int
    result: SnippetResult

    def to_plain(self) -> dict[str, Any]:
        """This answer as plain data."""
        return {"id": self.request_id, "result": self.result.to_plain()}

    @classmethod
    def from_plain(cls, data: Any) -> WorkerAnswer:
        """The answer that :meth:`to_plain` made ``data`` of.

        Raises :class:`ProtocolError` on anything malformed in it.
        """
        fields = _fields(data, "answer", ("id", "result"))
        return cls(
            request_id=_count(fields["id"], "the request id"),
            result=SnippetResult.from_plain(fields["result"]),
        )
