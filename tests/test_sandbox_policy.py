"""The file-access policy and the audit-hook guard, without Sphinx or a worker.

The guard is called directly with audit events (``(event, args)``), as the
interpreter would call it: installing it here for real could never be undone
(audit hooks cannot be removed), which is why it only ever lives in the worker.
"""

from __future__ import annotations

import os
import sqlite3
import sys
from pathlib import Path

import pandas
import pytest

from sphinx_df_table.worker.guard import (
    NETWORK_EVENTS,
    PROCESS_EVENTS,
    WRITE_EVENTS,
    Guard,
    Policy,
    SandboxViolation,
    is_write_open,
)

pytestmark = pytest.mark.matrix


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """``src/`` (the source directory), ``shared/`` (allowed), ``outside/``, ``lib/``."""
    for folder in ("src/data", "shared", "outside", "src-evil", "lib"):
        (tmp_path / folder).mkdir(parents=True)
    (tmp_path / "src/data/table.csv").write_text("a\n1\n")
    (tmp_path / "shared/common.csv").write_text("a\n1\n")
    (tmp_path / "outside/secret.csv").write_text("secret\n")
    (tmp_path / "src-evil/secret.csv").write_text("secret\n")
    (tmp_path / "lib/helper.py").write_text("X = 1\n")
    (tmp_path / "lib/notes.csv").write_text("a\n1\n")
    (tmp_path / "src/escape.csv").symlink_to(tmp_path / "outside/secret.csv")
    (tmp_path / "src/inside-link.csv").symlink_to(tmp_path / "src/data/table.csv")
    return tmp_path


def make_policy(tree: Path, *, allow_unsafe: bool = False) -> Policy:
    return Policy.build(
        str(tree / "src"),
        [str(tree / "shared")],
        allow_unsafe=allow_unsafe,
        sys_path=[str(tree / "lib")],
    )


# --- is_write_open -----------------------------------------------------------


@pytest.mark.parametrize("mode", ["r", "rb", "rt", "U"])
def test_read_modes_are_not_writes(mode: str) -> None:
    assert not is_write_open(mode, os.O_RDONLY)


@pytest.mark.parametrize("mode", ["w", "wb", "a", "ab", "x", "r+", "rb+", "w+"])
def test_write_modes_are_writes(mode: str) -> None:
    assert is_write_open(mode, None)


@pytest.mark.parametrize(
    "flags",
    [os.O_WRONLY, os.O_RDWR, os.O_APPEND | os.O_WRONLY, os.O_CREAT, os.O_TRUNC, os.O_RDWR],
)
def test_write_flags_are_writes(flags: int) -> None:
    # os.open(path, flags) raises the open event with mode None
    assert is_write_open(None, flags)


def test_read_only_flags_are_not_writes() -> None:
    assert not is_write_open(None, os.O_RDONLY)
    assert not is_write_open(None, os.O_RDONLY | os.O_CLOEXEC)
    assert not is_write_open(None, None)


# --- Policy.may_read ---------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["src/data/table.csv", "src/inside-link.csv", "shared/common.csv", "src/missing.csv"]
)
def test_reads_inside_the_source_and_allowed_dirs(tree: Path, name: str) -> None:
    assert make_policy(tree).may_read(str(tree / name))


@pytest.mark.parametrize(
    "name",
    [
        "outside/secret.csv",
        "src/escape.csv",  # a symlink that points outside
        "src/../outside/secret.csv",
        "src/data/../../outside/secret.csv",
        "src-evil/secret.csv",  # shares a prefix with src, but is not under it
        "lib/notes.csv",  # on sys.path, but not a module file
    ],
)
def test_reads_elsewhere_are_refused(tree: Path, name: str) -> None:
    assert not make_policy(tree).may_read(str(tree / name))


@pytest.mark.parametrize("name", ["/etc/passwd", "/etc/hostname", "/etc/shadow", "/root/.ssh/x"])
def test_sensitive_system_files_are_refused(tree: Path, name: str) -> None:
    assert not make_policy(tree).may_read(name)


def test_home_directory_is_refused(tree: Path) -> None:
    assert not make_policy(tree).may_read(str(Path.home() / ".bashrc"))
    assert not make_policy(tree).may_read(str(Path.home() / ".config" / "secrets.json"))


@pytest.mark.parametrize(
    "name",
    [
        os.__file__,  # the standard library
        pandas.__file__,  # site-packages
        "/etc/mime.types",
        "/etc/localtime",
        "/usr/share/zoneinfo/UTC",
        "/proc/self/status",
        "/sys/devices/system/cpu/online",
        "/dev/null",
    ],
)
def test_what_libraries_read_is_allowed(tree: Path, name: str) -> None:
    assert make_policy(tree).may_read(name)


def test_module_files_on_sys_path_are_allowed(tree: Path) -> None:
    assert make_policy(tree).may_read(str(tree / "lib/helper.py"))


def test_relative_paths_resolve_against_the_working_directory(
    tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tree / "src" / "data")
    policy = make_policy(tree)
    assert policy.may_read("table.csv")
    assert not policy.may_read("../../outside/secret.csv")


# --- Guard -------------------------------------------------------------------


def test_an_inactive_guard_allows_everything(tree: Path) -> None:
    guard = Guard(make_policy(tree))
    guard("open", ("/etc/passwd", "r", os.O_RDONLY))
    guard("open", (str(tree / "x.txt"), "w", os.O_WRONLY | os.O_CREAT))
    guard("subprocess.Popen", ("true", ["true"], None, None))
    assert guard.files_read == []


def test_refused_read_names_the_path_and_the_setting(tree: Path) -> None:
    guard = Guard(make_policy(tree), active=True)
    with pytest.raises(SandboxViolation) as caught:
        guard("open", ("/etc/passwd", "r", os.O_RDONLY))
    assert "'/etc/passwd'" in str(caught.value)
    assert "df_table_allowed_paths" in str(caught.value)
    assert isinstance(caught.value, PermissionError)
    assert guard.active, "the guard stays on after refusing"


def test_refused_symlink_names_both_the_link_and_its_target(tree: Path) -> None:
    guard = Guard(make_policy(tree), active=True)
    link = str(tree / "src/escape.csv")
    with pytest.raises(SandboxViolation, match="outside the Sphinx source directory") as caught:
        guard("open", (link, "r", os.O_RDONLY))
    assert repr(link) in str(caught.value)
    assert repr(str(tree / "outside/secret.csv")) in str(caught.value)


def test_refused_write_names_the_setting(tree: Path) -> None:
    guard = Guard(make_policy(tree), active=True)
    with pytest.raises(SandboxViolation, match="df_table_allow_unsafe = True"):
        guard("open", (str(tree / "src/out.csv"), "w", os.O_WRONLY | os.O_CREAT))
    with pytest.raises(SandboxViolation, match="writing files"):
        guard("open", (str(tree / "src/data/table.csv"), None, os.O_RDWR))


@pytest.mark.parametrize(
    ("event", "what"),
    [
        ("subprocess.Popen", "starting processes"),
        ("os.system", "starting processes"),
        ("os.fork", "starting processes"),
        ("os.posix_spawn", "starting processes"),
        ("socket.connect", "network access"),
        ("socket.getaddrinfo", "network access"),
        ("urllib.Request", "network access"),
        ("os.remove", "changing files"),
        ("os.rename", "changing files"),
        ("shutil.rmtree", "changing files"),
        ("os.kill", "signalling processes"),
    ],
)
def test_unsafe_events_are_refused(tree: Path, event: str, what: str) -> None:
    guard = Guard(make_policy(tree), active=True)
    with pytest.raises(SandboxViolation, match=what) as caught:
        guard(event, ())
    assert f"({event})" in str(caught.value)
    assert "df_table_allow_unsafe = True" in str(caught.value)


def test_every_listed_event_is_refused(tree: Path) -> None:
    guard = Guard(make_policy(tree), active=True)
    for event in sorted(PROCESS_EVENTS | NETWORK_EVENTS | WRITE_EVENTS):
        with pytest.raises(SandboxViolation):
            guard(event, ())


@pytest.mark.parametrize(
    "event", ["import", "exec", "compile", "os.listdir", "os.chdir", "sys._getframe", "time.sleep"]
)
def test_harmless_events_pass(tree: Path, event: str) -> None:
    Guard(make_policy(tree), active=True)(event, ())


def test_allow_unsafe_permits_writes_processes_and_reads(tree: Path) -> None:
    guard = Guard(make_policy(tree, allow_unsafe=True), active=True)
    guard("open", (str(tree / "src/out.csv"), "w", os.O_WRONLY | os.O_CREAT))
    guard("subprocess.Popen", ())
    guard("socket.connect", ())
    guard("open", (str(tree / "outside/secret.csv"), "r", os.O_RDONLY))
    # Reads are still recorded (only those under srcdir become dependencies).
    assert guard.files_read == [str((tree / "outside/secret.csv").resolve())]


def test_files_read_are_recorded_resolved_and_only_if_they_exist(tree: Path) -> None:
    guard = Guard(make_policy(tree), active=True)
    guard("open", (str(tree / "src/data/table.csv"), "r", os.O_RDONLY))
    guard("open", (os.fsencode(tree / "shared/common.csv"), "rb", os.O_RDONLY))
    guard("open", (tree / "src/inside-link.csv", "r", os.O_RDONLY))  # a PathLike
    guard("open", (str(tree / "src/missing.csv"), "r", os.O_RDONLY))
    guard("open", (str(tree / "src/data"), "r", os.O_RDONLY))  # a directory
    guard("open", (3, "r", os.O_RDONLY))  # an open file descriptor
    table = str((tree / "src/data/table.csv").resolve())
    assert guard.files_read == [table, str((tree / "shared/common.csv").resolve()), table]


def test_refused_reads_are_not_recorded(tree: Path) -> None:
    guard = Guard(make_policy(tree), active=True)
    with pytest.raises(SandboxViolation):
        guard("open", (str(tree / "outside/secret.csv"), "r", os.O_RDONLY))
    assert guard.files_read == []


def test_sqlite_connect_is_a_read(tree: Path) -> None:
    database = tree / "src/data/db.sqlite"
    sqlite3.connect(database).close()
    guard = Guard(make_policy(tree), active=True)
    guard("sqlite3.connect", (str(database),))
    guard("sqlite3.connect", (":memory:",))
    guard("sqlite3.connect", (f"file:{database}?mode=ro",))
    assert guard.files_read == [str(database.resolve())] * 2


def test_sqlite_connect_refuses_creating_and_reading_outside(tree: Path) -> None:
    sqlite3.connect(tree / "outside/db.sqlite").close()
    guard = Guard(make_policy(tree), active=True)
    with pytest.raises(SandboxViolation, match="creating the database"):
        guard("sqlite3.connect", (str(tree / "src/new.sqlite"),))
    with pytest.raises(SandboxViolation, match="df_table_allowed_paths"):
        guard("sqlite3.connect", (str(tree / "outside/db.sqlite"),))
    with pytest.raises(SandboxViolation, match="df_table_allowed_paths"):
        guard("sqlite3.connect", (f"file:{tree}/outside/db.sqlite?mode=ro",))


@pytest.mark.parametrize(
    ("event", "args"),
    [
        ("ctypes.dlopen", (None,)),
        ("ctypes.dlopen", ("libc.so.6",)),
        ("ctypes.dlopen", ("/usr/lib/libSystem.B.dylib",)),
        ("ctypes.dlsym", (1, "open")),
        ("ctypes.dlsym", (1, "execve")),
        ("ctypes.dlsym", (1, "syscall")),
        ("resource.setrlimit", (9, (-1, -1))),
        ("resource.prlimit", (1, 9, None)),
    ],
)
def test_ways_around_the_audit_events_are_refused(
    tree: Path, event: str, args: tuple[object, ...]
) -> None:
    guard = Guard(make_policy(tree), active=True)
    with pytest.raises(SandboxViolation, match="df_table_allow_unsafe"):
        guard(event, args)


@pytest.mark.parametrize(
    ("event", "args"),
    [("ctypes.dlopen", ("libarrow.so.1500",)), ("ctypes.dlsym", (1, "arrow_compute"))],
)
def test_libraries_own_ctypes_use_passes(tree: Path, event: str, args: tuple[object, ...]) -> None:
    Guard(make_policy(tree), active=True)(event, args)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc is Linux's")
def test_own_proc_folder_is_readable_not_another_process_s(
    tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    policy = make_policy(tree)
    monkeypatch.chdir(tree / "src")
    assert policy.may_read("/proc/self/status")
    assert policy.may_read("/proc/self/cwd/data/table.csv")
    assert not policy.may_read(f"/proc/{os.getppid()}/environ")
    # Symlinks are resolved before "..": the kernel's reading, not the text's.
    assert not policy.may_read("/proc/self/cwd/../outside/secret.csv")
    assert not policy.may_read("/proc/self/root/etc/passwd")


def test_policy_build_normalizes_roots(tree: Path) -> None:
    policy = Policy.build(
        str(tree / "src" / ".." / "src"), [], allow_unsafe=False, sys_path=["", str(tree / "lib")]
    )
    assert str((tree / "src").resolve()) in policy.read_roots
    assert sys.prefix in policy.read_roots or os.path.realpath(sys.prefix) in policy.read_roots
    assert policy.import_roots == [str((tree / "lib").resolve())]
