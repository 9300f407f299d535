"""What the Sphinx process and the snippet worker say to each other.

The worker runs untrusted-looking snippets, so everything it sends back is
plain data (``str``, ``int``, ``float``, ``bool``, ``None``, lists, tuples and
dicts of those) read with an unpickler that refuses every class: a snippet
cannot smuggle an object whose ``__reduce__`` would run code in Sphinx.

Messages are length-prefixed pickles on dedicated pipes (not stdout), so C-level
writes to file descriptor 1 inside the worker can never corrupt the stream.
"""

from __future__ import annotations

import io
import os
import pickle
import select
import struct
import time
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

_HEADER = struct.Struct("!Q")
#: Joins a table's cells on the wire (ASCII "unit separator"), unless a cell holds it.
_CELL_SEPARATOR = "\x1f"
#: Refuse absurd frames instead of trying to allocate them.
MAX_MESSAGE_BYTES = 1 << 31


class ProtocolError(Exception):
    """The other side closed the pipe or sent something that is not a message."""


class _PlainUnpickler(pickle.Unpickler):
    """Unpickles only builtin containers and scalars; any class is refused."""

    def find_class(self, module: str, name: str) -> Any:
        raise pickle.UnpicklingError(f"refusing to load {module}.{name} from the worker")


def loads_plain(data: bytes) -> Any:
    """Decode a message that must consist of plain data only."""
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


def write_message(fd: int, payload: Any) -> None:
    """Send one message: an 8-byte length, then the pickle."""
    data = pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)
    view = memoryview(_HEADER.pack(len(data)) + data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def read_message(fd: int, *, plain: bool, deadline: float | None = None) -> Any:
    """Receive one message; ``plain=True`` for anything coming from the worker.

    With a ``deadline`` (a :func:`time.monotonic` value), the *whole* message
    must arrive by then, or :class:`ProtocolTimeout` is raised: a snippet that
    writes half a message to the pipe and then sleeps cannot hang the reader.
    """
    (size,) = _HEADER.unpack(_read_exact(fd, _HEADER.size, deadline))
    if size > MAX_MESSAGE_BYTES:
        raise ProtocolError(f"message of {size} bytes is too large")
    data = _read_exact(fd, size, deadline)
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
    """

    kind: ColumnKind = "text"
    align: Alignment = ""


@dataclass(frozen=True)
class TableData:
    """A DataFrame reduced to what a table needs: text, already formatted.

    ``header`` holds one row per column-label level; ``body`` one row per data
    row. Every cell is a string.
    """

    header: list[list[str]]
    body: list[list[str]]
    #: Plain data a renderer adds for the directive (e.g. ``"csv"``: the raw
    #: values as CSV text for a download; chart files as ``bytes``).
    attachments: dict[str, Any] = field(default_factory=dict)
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

    @property
    def n_columns(self) -> int:
        rows = self.header or self.body
        return len(rows[0]) if rows else 0

    def to_plain(self) -> dict[str, Any]:
        """Plain data; the body as one string when it can be, for speed.

        Pickling (and unpickling) 10,000 small strings costs a few milliseconds;
        one string joined with a separator that no cell contains costs almost
        nothing. (Not ``dataclasses.asdict`` either: it deep-copies every cell.)
        """
        plain: dict[str, Any] = {
            "header": self.header,
            "attachments": self.attachments,
            "spans": self.spans,
            "index_columns": self.index_columns,
            "columns": [[facts.kind, facts.align] for facts in self.columns],
            # Keys are float reprs: joined like the body, they cost one string each.
            "sort_keys": [None if k is None else _CELL_SEPARATOR.join(k) for k in self.sort_keys],
            "truncated": self.truncated,
            "caption": self.caption,
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
    def from_plain(cls, data: dict[str, Any]) -> TableData:
        if "body_joined" in data:
            cells, width = data["body_joined"].split(_CELL_SEPARATOR), data["width"]
            body = [cells[i : i + width] for i in range(0, len(cells), width)]
        else:
            body = data["body"]
        return cls(
            header=data["header"],
            body=body,
            attachments=data.get("attachments", {}),
            spans=data.get("spans", []),
            index_columns=data.get("index_columns", 0),
            columns=[ColumnFacts(kind, align) for kind, align in data.get("columns", [])],
            sort_keys=[
                None if k is None else k.split(_CELL_SEPARATOR) if body else []
                for k in data.get("sort_keys", [])
            ],
            truncated=data.get("truncated", 0),
            caption=data.get("caption", ""),
        )


@dataclass(frozen=True)
class SnippetError:
    """Why a snippet produced no table, located in the snippet.

    ``kind`` is one of the warning subtypes (see :mod:`sphinx_df_table.diagnostics`); ``line`` is
    1-based within the snippet (``None`` when no line is to blame, e.g. a wrong
    result type); ``in_preamble`` is true when the failing line is in
    ``df_table_preamble`` rather than the snippet.
    """

    kind: str
    message: str
    line: int | None = None
    in_preamble: bool = False
    traceback: str = ""

    def to_plain(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_plain(cls, data: dict[str, Any]) -> SnippetError:
        return cls(**data)


@dataclass(frozen=True)
class SnippetResult:
    """The outcome of one snippet: a table or an error, plus what it touched."""

    table: TableData | None = None
    error: SnippetError | None = None
    files_read: tuple[str, ...] = ()
    output: str = ""
    seconds: float = 0.0

    def to_plain(self) -> dict[str, Any]:
        return {
            "table": self.table.to_plain() if self.table else None,
            "error": self.error.to_plain() if self.error else None,
            "files_read": list(self.files_read),
            "output": self.output,
            "seconds": self.seconds,
        }

    @classmethod
    def from_plain(cls, data: dict[str, Any]) -> SnippetResult:
        return cls(
            table=TableData.from_plain(data["table"]) if data["table"] else None,
            error=SnippetError.from_plain(data["error"]) if data["error"] else None,
            files_read=tuple(data["files_read"]),
            output=data["output"],
            seconds=data["seconds"],
        )
