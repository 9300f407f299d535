"""A cache of snippet results, so a rebuild after a prose edit runs no snippet.

An entry is keyed by everything that decides the result but files: the
snippet, the preamble, the result variable, the directory it runs in, the
render options, the sandbox settings (the resolved ``df_table_allowed_paths``
and ``df_table_allow_unsafe``), the ``:depends:`` files named, the versions of
Python, pandas, numpy, matplotlib, polars, pyarrow and narwhals, and a
fingerprint of the code that computes results (the worker package and the
message schema), so that a new release or a local edit of that code never
serves an old result.

An entry also stamps the files the result depends on: those the snippet read
under the source directory or ``df_table_allowed_paths`` (a module's ``.py``
source for its ``.pyc``) and its ``:depends:`` files, each with its size,
mtime, inode and content hash; an entry whose files changed is a miss. Library
files are covered by the versions in the key. A result is stored only if each
of those files is still what the snippet saw when it opened it (the worker
stamps it then): otherwise the table may show data of both versions, and
:func:`changed_files` names the files so that the directive can say so.

Entries live under the doctree directory, one file each, written atomically
(temporary file, then ``os.replace``), so parallel readers (``-j``) can share
the cache without locks. Only successful results are stored: an error may
depend on a file that does not exist yet. A hit sets the entry's mtime to now:
:meth:`ResultCache.evict` removes the least recently used entries (oldest
mtime first) beyond a size limit, and :meth:`ResultCache.prune` the entries no
document used. An entry that cannot be read or decoded is a miss.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import pickle
import sys
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from ..messages import FileStamp, SnippetResult, loads_plain

#: Bump when the cached data's meaning changes (cell formatting, structure).
#: 2: typed results (a table's CSV text and a chart's files as fields of their own).
#: 3: file stamps carry the inode; ``:depends:`` files are stamped.
CACHE_FORMAT = 3
#: The file name suffix of an entry.
ENTRY_SUFFIX = ".pickle"


@cache
def _library_versions() -> tuple[str, ...]:
    def of(name: str) -> str:
        try:
            return version(name)
        except PackageNotFoundError:  # matplotlib, polars, ... are optional (extras)
            return "-"

    return (
        sys.version,
        of("pandas"),
        of("numpy"),
        of("matplotlib"),
        # Frames of these libraries become pandas ones by their conversions.
        of("polars"),
        of("pyarrow"),
        of("narwhals"),
        _result_code_fingerprint(),
        str(CACHE_FORMAT),
    )


def _result_code_fingerprint() -> str:
    """A hash of the source of everything that turns a snippet into a result.

    Keyed on the code rather than the package version: a development install
    whose worker code changed must not serve results the old code made.
    """
    package = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    shared = [package / "messages.py", package / "errors.py"]
    for path in sorted([*package.joinpath("worker").glob("*.py"), *shared]):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def cache_key(
    *,
    code: str,
    preamble: str,
    result_var: str,
    cwd: str,
    render: dict[str, Any] | None = None,
    allowed_paths: Sequence[str] = (),
    allow_unsafe: bool = False,
    depends: Sequence[str] = (),
    sandbox: str = "auto",
) -> str:
    """The key of a snippet's result: a hash of all that decides it but file contents.

    ``code`` and ``preamble`` are source text, ``result_var`` the result's
    variable name, ``cwd`` the directory the snippet runs in, ``render`` the
    render spec (JSON-serialisable), ``allowed_paths`` the directories of
    ``df_table_allowed_paths`` (resolved here, so that two spellings of one
    folder give one key), ``allow_unsafe`` and ``sandbox`` the settings of
    those names (a result allowed in one mode is not reused in a stricter one) and
    ``depends`` the absolute paths of the ``:depends:`` files (their order
    does not matter). Returns 64 hex digits.
    """
    material = json.dumps(
        [
            code,
            preamble,
            result_var,
            cwd,
            render or {},
            sorted({os.path.realpath(path) for path in allowed_paths}),
            allow_unsafe,
            sandbox,
            sorted(set(depends)),
            *_library_versions(),
        ],
        sort_keys=True,
    )
    return hashlib.sha256(material.encode()).hexdigest()


def _file_hash(path: str) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _same_file(stamp: FileStamp, stat: os.stat_result) -> bool:
    return (stat.st_size, stat.st_mtime_ns, stat.st_ino) == (
        stamp.size,
        stamp.mtime_ns,
        stamp.inode,
    )


@dataclass(frozen=True)
class _StoredStamp:
    """A file as an entry recorded it: its stamp and its content's SHA-256."""

    stamp: FileStamp
    sha256: str

    def to_plain(self) -> list[Any]:
        """``[path, size, mtime_ns, inode, sha256]``."""
        return [*self.stamp.to_plain(), self.sha256]

    @classmethod
    def from_plain(cls, data: Any) -> _StoredStamp:
        """The stamp that :meth:`to_plain` made ``data`` of; raises ``ValueError``
        or :class:`~sphinx_df_table.messages.ProtocolError` on a bad shape."""
        if not isinstance(data, list) or len(data) != 5 or not isinstance(data[4], str):
            raise ValueError(f"not a stored file stamp: {data!r}")
        return cls(FileStamp.from_plain(data[:4]), data[4])

    def still_valid(self) -> bool:
        """Whether the file still has the content it had when the entry was stored."""
        try:
            stat = os.stat(self.stamp.path)
            if _same_file(self.stamp, stat):
                return True
            # Touched or replaced but maybe unchanged (a checkout, an editor's save).
            return stat.st_size == self.stamp.size and _file_hash(self.stamp.path) == self.sha256
        except OSError:
            return False


def changed_files(stamps: Iterable[FileStamp]) -> list[str]:
    """The paths of ``stamps`` whose file is no longer as stamped (or is gone).

    A file is unchanged when its size, mtime and inode are those of its stamp.
    Returns the paths in the order of ``stamps``.
    """
    changed = []
    for stamp in stamps:
        try:
            same = _same_file(stamp, os.stat(stamp.path))
        except OSError:
            same = False
        if not same:
            changed.append(stamp.path)
    return changed


class ResultCache:
    """Snippet results on disk, under ``directory``.

    ``tracked_roots`` are the directories whose files a result depends on
    (the source directory and ``df_table_allowed_paths``): an entry whose
    files there changed is a miss.
    """

    def __init__(self, directory: Path, tracked_roots: list[str]) -> None:
        self.directory = directory
        self.tracked_roots = [os.path.realpath(root) + os.sep for root in tracked_roots]

    def _path(self, key: str) -> Path:
        return self.directory / key[:2] / f"{key}{ENTRY_SUFFIX}"

    def _tracked(self, name: str) -> bool:
        return any(name.startswith(root) for root in self.tracked_roots)

    def dependencies(
        self, result: SnippetResult, depends: Iterable[FileStamp] = ()
    ) -> list[FileStamp]:
        """The stamps a result depends on: the files it read under the tracked
        roots, as the worker stamped them when they were opened, then
        ``depends`` (the ``:depends:`` files, stamped before the run).

        A file read that has no stamp (the worker could not take one) is
        stamped now, if it exists.
        """
        stamps = {stamp.path: stamp for stamp in result.read_stamps}
        read = []
        for name in result.files_read:
            if not self._tracked(name):
                continue
            if name in stamps:
                read.append(stamps[name])
            elif os.path.isfile(name):
                with contextlib.suppress(OSError):
                    read.append(FileStamp.of(name))
        return [*read, *depends]

    def get(self, key: str) -> SnippetResult | None:
        """The stored result, if there is one and the files it depends on are unchanged.

        ``None`` on a miss, including an entry that is unreadable (missing, a
        directory, no permission), truncated, corrupt or of another shape (a
        file on disk is trusted no more than the worker). A hit marks the
        entry as just used (its mtime), for :meth:`evict`.
        """
        path = self._path(key)
        try:
            data: Any = loads_plain(path.read_bytes())
            stamps = [_StoredStamp.from_plain(stamp) for stamp in data["stamps"]]
            result = SnippetResult.from_plain(data["result"])
        except Exception:  # whatever is wrong with the file, it is a miss
            return None
        if not all(stamp.still_valid() for stamp in stamps):
            return None
        with contextlib.suppress(OSError):  # a read-only cache still serves hits
            os.utime(path)
        return result

    def entry_size(self, key: str) -> int:
        """The size in bytes of the entry stored under ``key`` (0 when there is none)."""
        try:
            return self._path(key).stat().st_size
        except OSError:
            return 0

    def put(self, key: str, result: SnippetResult, depends: Iterable[FileStamp] = ()) -> bool:
        """Store a successful result (a table or a chart) under ``key``.

        ``depends`` are the stamps of the ``:depends:`` files, taken before
        the run. Errors are never stored: one may depend on a file that does
        not exist yet. Nor is a result one of whose files (see
        :meth:`dependencies`) is no longer as stamped: its content hash would
        describe data the result was not made of. Returns whether the entry
        was written. Raises ``OSError`` when it cannot be written.
        """
        if result.error is not None or (result.table is None and result.chart is None):
            return False
        stored = []
        for stamp in self.dependencies(result, depends):
            try:
                digest = _file_hash(stamp.path)
            except OSError:
                return False
            stored.append(_StoredStamp(stamp, digest))
        # Hashed after the check the directive made: a change in between shows here.
        if changed_files(entry.stamp for entry in stored):
            return False
        payload = pickle.dumps(
            {"result": result.to_plain(), "stamps": [entry.to_plain() for entry in stored]},
            protocol=pickle.HIGHEST_PROTOCOL,
        )
        write_atomic(self._path(key), payload)
        return True

    def _entries(self) -> list[tuple[Path, os.stat_result]]:
        """Every file in the cache folder (entries and left-over temporary files)."""
        found = []
        for path in self.directory.glob("*/*"):
            with contextlib.suppress(OSError):
                stat = path.lstat()
                found.append((path, stat))
        return found

    def prune(self, used: Iterable[str]) -> int:
        """Remove every file of the cache but the entries of the ``used`` keys.

        For the end of a build that read every document: the keys those
        documents used are all that a next build can hit. Left-over temporary
        files go too. Files that cannot be removed are left. Returns how many
        files were removed.
        """
        keep = {f"{key}{ENTRY_SUFFIX}" for key in used}
        return sum(_remove(path) for path, _stat in self._entries() if path.name not in keep)

    def evict(self, limit: int | None) -> int:
        """Remove the least recently used entries until the cache holds at most
        ``limit`` bytes (``None`` or 0: no limit). Returns how many were removed."""
        if not limit:
            return 0
        entries = sorted(self._entries(), key=lambda entry: entry[1].st_mtime_ns)
        total = sum(stat.st_size for _path, stat in entries)
        removed = 0
        for path, stat in entries:
            if total <= limit:
                break
            if _remove(path):
                total -= stat.st_size
                removed += 1
        return removed


def _remove(path: Path) -> bool:
    """Remove the file ``path``; whether it was removed (a folder is left alone)."""
    try:
        path.unlink()
    except OSError:
        return False
    return True


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and ``os.replace``.

    Readers (also other ``-j`` processes) see the old file or the new one,
    never a half-written one. Raises ``OSError`` when the folder cannot be
    made or written (nothing is left behind then).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
