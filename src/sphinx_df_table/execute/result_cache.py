"""A cache of snippet results, so a rebuild after a prose edit runs no snippet.

An entry is keyed by everything that decides the result: the snippet, the
preamble, the result variable, the directory it runs in, the versions of
Python, pandas, numpy and matplotlib, and a fingerprint of the code that
computes results (the worker package and the message schema), so that a new
release or a local edit of that code never serves an old result. It also
records the files the snippet read (those under the source directory or
``df_table_allowed_paths``) with their size, mtime and content hash; an
entry whose files changed is a miss. Library files are covered by the versions in the key.

Entries live under the doctree directory, one file each, written atomically
(temporary file, then ``os.replace``), so parallel readers (``-j``) can share
the cache without locks. Only successful results are stored: an error may
depend on a file that does not exist yet.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import sys
import tempfile
from dataclasses import dataclass
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from ..messages import ProtocolError, SnippetResult, loads_plain

#: Bump when the cached data's meaning changes (cell formatting, structure).
#: 2: typed results (a table's CSV text and a chart's files as fields of their own).
CACHE_FORMAT = 2


@cache
def _library_versions() -> tuple[str, ...]:
    def of(name: str) -> str:
        try:
            return version(name)
        except PackageNotFoundError:  # matplotlib is optional (the charts extra)
            return "-"

    return (
        sys.version,
        of("pandas"),
        of("numpy"),
        of("matplotlib"),
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
    *, code: str, preamble: str, result_var: str, cwd: str, render: dict[str, Any] | None = None
) -> str:
    """The key of a snippet's result: a hash of all that decides it but files.

    ``code`` and ``preamble`` are source text, ``result_var`` the result's
    variable name, ``cwd`` the directory the snippet runs in and ``render`` the
    render spec (JSON-serialisable). Returns 64 hex digits.
    """
    material = json.dumps(
        [code, preamble, result_var, cwd, render or {}, *_library_versions()], sort_keys=True
    )
    return hashlib.sha256(material.encode()).hexdigest()


def _file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@dataclass(frozen=True)
class _FileStamp:
    path: str
    size: int
    mtime_ns: int
    sha256: str

    @classmethod
    def of(cls, path: Path) -> _FileStamp:
        stat = path.stat()
        return cls(str(path), stat.st_size, stat.st_mtime_ns, _file_hash(path))

    def still_valid(self) -> bool:
        path = Path(self.path)
        try:
            stat = path.stat()
            if (stat.st_size, stat.st_mtime_ns) == (self.size, self.mtime_ns):
                return True
            # Touched but maybe unchanged (a checkout, an editor's save).
            return stat.st_size == self.size and _file_hash(path) == self.sha256
        except OSError:
            return False


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
        return self.directory / key[:2] / f"{key}.pickle"

    def _tracked(self, name: str) -> bool:
        return any(name.startswith(root) for root in self.tracked_roots)

    def get(self, key: str) -> SnippetResult | None:
        """The stored result, if there is one and the files it read are unchanged.

        ``None`` on a miss, including an entry that is unreadable, corrupt or of
        another shape (a file on disk is trusted no more than the worker).
        """
        try:
            data: Any = loads_plain(self._path(key).read_bytes())
            stamps = [_FileStamp(*stamp) for stamp in data["stamps"]]
        except (OSError, pickle.UnpicklingError, EOFError, ValueError, TypeError, KeyError):
            return None
        if not all(stamp.still_valid() for stamp in stamps):
            return None
        try:
            return SnippetResult.from_plain(data.get("result"))
        except ProtocolError:
            return None

    def put(self, key: str, result: SnippetResult) -> None:
        """Store a successful result (a table or a chart) under ``key``.

        Errors are never stored: one may depend on a file that does not exist
        yet. Raises ``OSError`` when the entry cannot be written.
        """
        if result.error is not None or (result.table is None and result.chart is None):
            return
        stamps = []
        for name in result.files_read:
            if self._tracked(name) and Path(name).is_file():
                stamp = _FileStamp.of(Path(name))
                stamps.append([stamp.path, stamp.size, stamp.mtime_ns, stamp.sha256])
        payload = pickle.dumps(
            {"result": result.to_plain(), "stamps": stamps}, protocol=pickle.HIGHEST_PROTOCOL
        )
        write_atomic(self._path(key), payload)


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and ``os.replace``.

    Readers (also other ``-j`` processes) see the old file or the new one,
    never a half-written one.
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
