"""The result cache owns every input, refuses what changed during a run, and keeps tidy.

Issue #12: the key covers the sandbox settings and the ``:depends:`` files; files
are stamped when the snippet opens them and checked after the run; a corrupt
entry is a miss; a cache that cannot be written is one warning; unused entries
and chart files are pruned after a full build; ``df_table_cache_size`` evicts the
least recently used entries.
"""

from __future__ import annotations

import errno
import os
import pickle
import py_compile
import re
import textwrap
from pathlib import Path
from typing import Any

import pytest
import sphinx
from sphinx.testing.util import SphinxTestApp

from sphinx_df_table import messages
from sphinx_df_table.config import DfTableConfig
from sphinx_df_table.execute import result_cache
from sphinx_df_table.execute.result_cache import ResultCache, cache_key, changed_files
from sphinx_df_table.messages import FileStamp, SnippetResult, TableData
from sphinx_df_table.worker.guard import Guard, Policy, module_source

from .helpers import SHOW_TYPES

pytestmark = pytest.mark.matrix

_ANSI = re.compile(r"\x1b\[[0-9;]*m")

# ------------------------------------------------------------------ helpers


def _result(files: tuple[str, ...] = (), stamps: tuple[FileStamp, ...] = ()) -> SnippetResult:
    return SnippetResult(
        table=TableData([["a"]], [["1"]]), files_read=files, read_stamps=stamps, seconds=0.1
    )


def _key(code: str = "df = 1", **change: Any) -> str:
    return cache_key(**{"code": code, "preamble": "", "result_var": "df", "cwd": "/src", **change})


def _entries(directory: Path) -> list[Path]:
    return sorted(directory.rglob("*.pickle"))


def _write(srcdir: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = srcdir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")


def _build(srcdir: Path, *, freshenv: bool = False) -> SphinxTestApp:
    """Build ``srcdir`` in-process (HTML) and return the cleaned-up app."""
    if sphinx.version_info >= (7, 2):
        src: Any = srcdir
    else:  # Sphinx before 7.2 copies and joins its own path type
        from sphinx.testing.path import path as legacy_path  # type: ignore[import-not-found,unused-ignore]

        src = legacy_path(str(srcdir))
    app = SphinxTestApp("html", srcdir=src, freshenv=freshenv)
    try:
        app.build()
    finally:
        app.cleanup()
    return app


def _stream(app: SphinxTestApp, name: str) -> str:
    stream = getattr(app, name, None) or getattr(app, f"_{name}")
    return _ANSI.sub("", stream.getvalue())


def _warnings(app: SphinxTestApp, subtype: str) -> list[str]:
    return [
        line for line in _stream(app, "warning").splitlines() if f"[df_table.{subtype}]" in line
    ]


def _summary(app: SphinxTestApp) -> str:
    (line,) = re.findall(r"df-table: .*", _stream(app, "status"))
    return str(line)


def _cache_dir(app: SphinxTestApp) -> Path:
    return Path(app.doctreedir) / "df_table_cache"


CONF = 'extensions = ["sphinx_df_table"]\n' + SHOW_TYPES


def _pages(srcdir: Path, bodies: dict[str, str], conf: str = "") -> None:
    """A project: an index listing one page per entry of ``bodies`` (page -> directive)."""
    toctree = "".join(f"   {name}\n" for name in bodies)
    files = {"conf.py": CONF + conf, "index.rst": f"Index\n=====\n\n.. toctree::\n\n{toctree}"}
    for name, body in bodies.items():
        files[f"{name}.rst"] = f"{name}\n{'=' * len(name)}\n\n{textwrap.dedent(body)}"
    _write(srcdir, files)


def _table(code: str, options: str = "") -> str:
    body = textwrap.indent(textwrap.dedent(code).strip(), "   ")
    return f".. df-table::\n{options}\n{body}\n"


# ------------------------------------------------------ 1. the key's inputs


@pytest.mark.parametrize(
    "change",
    [
        {"allowed_paths": ["/data"]},
        {"allow_unsafe": True},
        {"depends": ["/src/results.parquet"]},
        {"render": {"max_rows": 3}},
    ],
)
def test_key_covers_the_sandbox_and_the_depends_files(change: dict[str, Any]) -> None:
    assert _key() != _key(**change)


def test_key_resolves_allowed_paths_and_ignores_order(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "data")
    assert _key(allowed_paths=[str(tmp_path / "data")]) == _key(
        allowed_paths=[str(tmp_path / "link"), str(tmp_path / "data/../data")]
    )
    assert _key(depends=["/a", "/b"]) == _key(depends=["/b", "/a"])


def test_depends_stamps_make_an_entry_a_miss_when_they_change(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("version 1\n", encoding="utf-8")
    cache = ResultCache(tmp_path / "cache", [str(tmp_path)])
    # The snippet never read the file: only the :depends: stamp covers it.
    assert cache.put("k" * 64, _result(), [FileStamp.of(str(notes))])
    assert cache.get("k" * 64) == _result()
    notes.write_text("version 2\n", encoding="utf-8")  # same size, other bytes
    assert cache.get("k" * 64) is None


def test_module_source_maps_a_cached_module_to_its_source(tmp_path: Path) -> None:
    source = tmp_path / "helpers.py"
    source.write_text("X = 1\n", encoding="utf-8")
    compiled = Path(py_compile.compile(str(source), doraise=True))
    assert compiled.parent.name == "__pycache__"
    assert module_source(str(compiled)) == str(source)
    # Only a __pycache__ .pyc with its source beside the folder is mapped.
    sourceless = tmp_path / "__pycache__" / "gone.cpython-312.pyc"
    sourceless.write_bytes(b"")
    assert module_source(str(sourceless)) == str(sourceless)
    assert module_source(str(source)) == str(source)


def test_guard_stamps_each_file_when_it_is_opened(tmp_path: Path) -> None:
    data = tmp_path / "data.csv"
    data.write_text("a\n1\n", encoding="utf-8")
    helper = tmp_path / "helpers.py"
    helper.write_text("X = 1\n", encoding="utf-8")
    compiled = py_compile.compile(str(helper), doraise=True)
    guard = Guard(Policy(read_roots=[str(tmp_path.resolve())]), active=True)
    guard("open", (str(data), "r", os.O_RDONLY))
    first = FileStamp.of(str(data.resolve()))
    data.write_text("a\n1\n2\n", encoding="utf-8")
    guard("open", (str(data), "r", os.O_RDONLY))  # opened again, changed: first stamp kept
    guard("open", (compiled, "rb", os.O_RDONLY))
    assert guard.files_read == [str(data.resolve())] * 2 + [str(helper.resolve())]
    assert list(guard.read_stamps.values()) == [first, FileStamp.of(str(helper.resolve()))]


# ------------------------------------------- 2. stamps checked after the run


def test_a_file_changed_since_it_was_stamped_is_not_stored(tmp_path: Path) -> None:
    data = tmp_path / "data.csv"
    data.write_text("a\n1\n", encoding="utf-8")
    stamp = FileStamp.of(str(data))
    data.write_text("a\n22\n", encoding="utf-8")
    cache = ResultCache(tmp_path / "cache", [str(tmp_path)])
    result = _result((str(data),), (stamp,))
    assert changed_files(cache.dependencies(result)) == [str(data)]
    assert not cache.put("k" * 64, result)
    assert _entries(tmp_path / "cache") == []


def test_files_outside_the_tracked_roots_are_not_checked(tmp_path: Path) -> None:
    library = tmp_path / "lib" / "module.py"
    library.parent.mkdir()
    library.write_text("x = 1\n", encoding="utf-8")
    stamp = FileStamp.of(str(library))
    library.write_text("x = 22\n", encoding="utf-8")
    cache = ResultCache(tmp_path / "cache", [str(tmp_path / "src")])
    assert cache.dependencies(_result((str(library),), (stamp,))) == []


def test_file_stamps_travel_checked() -> None:
    stamp = FileStamp("/src/a.csv", 10, -5, 42)
    result = _result(("/src/a.csv",), (stamp,))
    wire = messages.loads_plain(pickle.dumps(result.to_plain()))
    assert SnippetResult.from_plain(wire) == result
    for bad, complaint in [
        (["/a", 1, 2], "has 3 fields"),
        (["/a", -1, 2, 3], "size is -1"),
        (["/a", 1, 2.0, 3], "mtime is 2.0"),
        ([b"/a", 1, 2, 3], "path is a bytes"),
        (["/a", 1, 2, True], "inode is True"),
        ("/a", "is a str, not a list"),
    ]:
        plain = {**result.to_plain(), "read_stamps": [bad]}
        with pytest.raises(messages.ProtocolError, match=re.escape(complaint)):
            SnippetResult.from_plain(plain)


def test_a_snippet_rewriting_its_input_gives_one_changed_warning(tmp_path: Path) -> None:
    src = tmp_path / "src"
    _pages(
        src,
        {
            "page": _table(
                """
                df = pd.read_csv('data.csv')
                with open('data.csv', 'w') as out:
                    out.write('x\\n99\\n100\\n')
                """
            )
        },
        conf="df_table_allow_unsafe = True\n",
    )
    (src / "data.csv").write_text("x\n1\n", encoding="utf-8")
    app = _build(src)
    (changed,) = _warnings(app, "changed")
    assert str((src / "data.csv").resolve()) in changed and "page.rst:" in changed
    assert "<p>1</p>" in (app.outdir / "page.html").read_text(encoding="utf-8")
    assert _entries(_cache_dir(app)) == []  # shown, not cached
    # The change came before Sphinx stamped the page as read: it is read again all the same.
    app = _build(src)
    assert _summary(app).startswith("df-table: 1 tables, 1 executed, 0 from cache")


def test_a_failed_snippet_runs_again_when_its_missing_file_appears(tmp_path: Path) -> None:
    src = tmp_path / "src"
    _pages(src, {"page": _table("df = pd.read_csv('late.csv')")})
    app = _build(src)
    assert len(_warnings(app, "exception")) == 1
    (src / "late.csv").write_text("x\n7\n", encoding="utf-8")
    app = _build(src)
    assert "<p>7</p>" in (app.outdir / "page.html").read_text(encoding="utf-8")


# ------------------------------------------- :depends: and imported modules


def test_a_depends_file_the_snippet_never_reads_refreshes_the_table(tmp_path: Path) -> None:
    src = tmp_path / "src"
    code = "df = pd.DataFrame({'a': [1]})"
    _pages(src, {"page": _table(code, "   :depends: notes.txt\n")})
    (src / "notes.txt").write_text("one\n", encoding="utf-8")
    app = _build(src)
    assert _summary(app).startswith("df-table: 1 tables, 1 executed, 0 from cache")
    (src / "notes.txt").write_text("two\n", encoding="utf-8")
    app = _build(src)
    # Re-read because of the :depends: file, and run again rather than served.
    assert _summary(app).startswith("df-table: 1 tables, 1 executed, 0 from cache")


def test_editing_an_imported_helper_module_refreshes_the_table(tmp_path: Path) -> None:
    src = tmp_path / "src"
    conf = "import sys, os\nsys.path.insert(0, os.path.abspath('.'))\n"
    _pages(src, {"page": _table("import helpers\ndf = helpers.load()")}, conf)
    helpers = src / "helpers.py"
    helpers.write_text("import pandas as pd\ndef load():\n    return pd.DataFrame({'v': [11]})\n")
    # The worker writes no bytecode; a .pyc made by anything else is what it reads.
    py_compile.compile(str(helpers), doraise=True)
    app = _build(src)
    assert "<p>11</p>" in (app.outdir / "page.html").read_text(encoding="utf-8")
    helpers.write_text(helpers.read_text().replace("11", "2222"))
    app = _build(src)
    assert _summary(app).startswith("df-table: 1 tables, 1 executed, 0 from cache")
    assert "<p>2222</p>" in (app.outdir / "page.html").read_text(encoding="utf-8")


# ------------------------------------------------------- 3. cache hygiene


def _stored(tmp_path: Path) -> tuple[ResultCache, str, Path]:
    cache = ResultCache(tmp_path / "cache", [str(tmp_path)])
    key = _key()
    assert cache.put(key, _result())
    (entry,) = _entries(tmp_path / "cache")
    return cache, key, entry


def _entry_bytes(data: Any) -> bytes:
    return pickle.dumps(data)


@pytest.mark.parametrize(
    "damage",
    [
        "truncated",
        "empty",
        "garbage",
        "directory",
        "not a dict",
        "bad stamp",
        "stamps not a list",
        "bad result",
        "a class",
    ],
)
def test_a_damaged_entry_is_a_miss(tmp_path: Path, damage: str) -> None:
    cache, key, entry = _stored(tmp_path)
    good = entry.read_bytes()
    plain = {"result": _result().to_plain(), "stamps": []}
    if damage == "truncated":
        entry.write_bytes(good[: len(good) // 2])
    elif damage == "empty":
        entry.write_bytes(b"")
    elif damage == "garbage":
        entry.write_bytes(b"\x80\x05garbage")
    elif damage == "directory":
        entry.unlink()
        entry.mkdir()
    elif damage == "not a dict":
        entry.write_bytes(_entry_bytes([plain]))
    elif damage == "bad stamp":
        entry.write_bytes(_entry_bytes({**plain, "stamps": [[str(tmp_path), 1, 2, 3, 4]]}))
    elif damage == "stamps not a list":
        entry.write_bytes(_entry_bytes({**plain, "stamps": 7}))
    elif damage == "bad result":
        entry.write_bytes(_entry_bytes({**plain, "result": {"table": None}}))
    else:
        entry.write_bytes(pickle.dumps({**plain, "extra": Path("x")}))
    assert cache.get(key) is None


def test_an_unreadable_entry_is_a_miss(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache, key, entry = _stored(tmp_path)
    real = Path.read_bytes

    def refuse(path: Path) -> bytes:
        if path == entry:
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real(path)

    # The tests may run as root, whom file modes do not stop: refuse the read itself.
    monkeypatch.setattr(Path, "read_bytes", refuse)
    assert cache.get(key) is None


def test_writing_can_fail_with_oserror(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def full(path: Path, data: bytes) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(result_cache, "write_atomic", full)
    with pytest.raises(OSError, match="No space left"):
        ResultCache(tmp_path / "cache", []).put(_key(), _result())


def test_prune_keeps_only_the_used_entries(tmp_path: Path) -> None:
    cache = ResultCache(tmp_path / "cache", [])
    keys = [_key(f"df = {i}") for i in range(3)]
    for key in keys:
        cache.put(key, _result())
    (tmp_path / "cache" / keys[0][:2] / ".tmp-left-over").write_bytes(b"x")
    assert cache.prune({keys[1]}) == 3
    assert [entry.name for entry in _entries(tmp_path / "cache")] == [f"{keys[1]}.pickle"]
    assert cache.get(keys[1]) is not None


def test_evict_removes_the_least_recently_used_first(tmp_path: Path) -> None:
    cache = ResultCache(tmp_path / "cache", [])
    keys = [_key(f"df = {i}") for i in range(4)]
    for age, key in enumerate(keys):
        cache.put(key, _result())
        path = cache.directory / key[:2] / f"{key}.pickle"
        os.utime(path, ns=(10**18 + age * 10**9,) * 2)  # stored in order, oldest first
    size = cache.directory.joinpath(keys[0][:2], f"{keys[0]}.pickle").stat().st_size
    assert cache.get(keys[0]) is not None  # a hit makes the oldest the most recent
    assert cache.evict(None) == cache.evict(0) == 0
    assert cache.evict(2 * size) == 2
    assert [cache.get(key) is not None for key in keys] == [True, False, False, True]


def test_cache_size_setting() -> None:
    assert DfTableConfig().cache_size_bytes == 256 * 1024**2
    assert DfTableConfig(cache_size="1GB").cache_size_bytes == 10**9
    assert DfTableConfig(cache_size=0).cache_size_bytes is None


def test_a_full_disk_is_one_cache_warning_per_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full(path: Path, data: bytes) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(result_cache, "write_atomic", full)
    src = tmp_path / "src"
    _pages(src, {f"page{i}": _table(f"df = pd.DataFrame({{'v': [{i}]}})") for i in range(3)})
    app = _build(src)
    (warning,) = _warnings(app, "cache")
    assert "No space left on device" in warning
    assert _summary(app).startswith("df-table: 3 tables, 3 executed")
    assert "<p>2</p>" in (app.outdir / "page2.html").read_text(encoding="utf-8")
    app = _build(src, freshenv=True)  # the next build tries again, and warns again once
    assert len(_warnings(app, "cache")) == 1


def test_an_unwritable_cache_folder_is_one_warning_and_no_error(tmp_path: Path) -> None:
    src = tmp_path / "src"
    _pages(src, {f"page{i}": _table(f"df = pd.DataFrame({{'v': [{i}]}})") for i in range(2)})
    blocked = src / "_build" / "doctrees" / "df_table_cache"
    blocked.parent.mkdir(parents=True)
    blocked.write_text("a file where the cache folder belongs")
    app = _build(src)
    assert _cache_dir(app) == blocked
    assert len(_warnings(app, "cache")) == 1
    assert _summary(app).startswith("df-table: 2 tables, 2 executed")
    assert blocked.is_file()  # pruning and eviction leave it alone too


def test_a_full_build_prunes_unused_entries_and_chart_files(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    src = tmp_path / "src"
    chart = ".. df-chart::\n   :kind: {kind}\n\n   df = pd.DataFrame({{'v': [1, 2]}})\n"
    _pages(
        src, {"table": _table("df = pd.DataFrame({'v': [1]})"), "chart": chart.format(kind="bar")}
    )
    app = _build(src)
    charts = Path(app.doctreedir) / "df_chart"
    first_entries, first_charts = _entries(_cache_dir(app)), sorted(charts.iterdir())
    assert len(first_entries) == 2 and len(first_charts) == 3

    (src / "chart.rst").write_text("chart\n=====\n\n" + chart.format(kind="line"))
    _write(src, {"table.rst": "table\n=====\n\n" + _table("df = pd.DataFrame({'v': [2]})")})
    app = _build(src)  # incremental: the old entries and files stay
    assert set(first_entries) < set(_entries(_cache_dir(app)))
    assert set(first_charts) < set(charts.iterdir())

    app = _build(src, freshenv=True)  # full: only what the documents use is left
    entries, files = _entries(_cache_dir(app)), sorted(charts.iterdir())
    assert len(entries) == 2 and not set(entries) & set(first_entries)
    assert len(files) == 3 and not set(files) & set(first_charts)
    assert _summary(app).startswith("df-table: 2 tables, 0 executed, 2 from cache")


def test_the_size_limit_evicts_at_the_end_of_the_build(tmp_path: Path) -> None:
    src = tmp_path / "src"
    pages = {f"page{i}": _table(f"df = pd.DataFrame({{'v': [{i}]}})") for i in range(3)}
    _pages(src, pages, conf="df_table_cache_size = 1\n")
    app = _build(src)
    assert _entries(_cache_dir(app)) == []
    _pages(src, pages, conf="df_table_cache_size = '0'\n")
    app = _build(src)
    assert len(_entries(_cache_dir(app))) == 3
