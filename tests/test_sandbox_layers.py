"""Hostile snippets against each layer of the sandbox, alone and together.

Each case is a small snippet that tries to get out: read a secret one folder
above the source folder, write or create files there, start a process, signal
a process outside, raise its own limits, reach the network. Each says which
layer stops it:

* ``kernel``: Landlock with the worker's rules, hard limits, no capabilities
  (what :func:`~sphinx_df_table.worker.confinement.confine_child` asks of the
  kernel), run alone in a forked process, without the audit hook;
* ``guard``: the audit hook and the closed audit gaps alone, without Landlock;

and every case runs through the real worker in both modes (``auto``, which is
both layers here, and ``guard``) with the same expectation: refused, nothing
escaped.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from sphinx_df_table.execute.runner import RunnerSettings, SnippetRequest, SnippetRunner
from sphinx_df_table.worker import landlock
from sphinx_df_table.worker.audit_gaps import UNAUDITED, close_gaps
from sphinx_df_table.worker.confinement import drop_capabilities, landlock_rules
from sphinx_df_table.worker.guard import Guard, Policy
from sphinx_df_table.worker.limits import apply_hard_limits

from .helpers import make_app, run_sphinx_build, status_text, write_project

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="the kernel layer and /proc are Linux's"
)
ABI = landlock.abi_version()
needs_landlock = pytest.mark.skipif(ABI < 6, reason="needs Landlock ABI 6 (signal scoping)")
SECRET = "TOP-SECRET-42"
PACKAGE_DIR = str(Path(__import__("sphinx_df_table").__file__).resolve().parent)


@dataclass(frozen=True)
class Case:
    """A snippet that tries to escape; ``escaped`` is what it sets when it got out."""

    name: str
    code: str
    #: Which layers stop it on their own.
    kernel: bool
    guard: bool


CASES = [
    # --- reading the secret one folder up ------------------------------------
    Case(
        "dir-fd-read",
        "d = os.open('..', os.O_RDONLY)\n"
        "got = os.read(os.open('secret.txt', os.O_RDONLY, dir_fd=d), 99)",
        kernel=True,
        guard=True,
    ),
    Case(
        "proc-cwd-dotdot",
        "got = open('/proc/self/cwd/../secret.txt').read()",
        kernel=True,
        guard=True,
    ),
    Case(
        "proc-fd-of-parent-dir",
        "d = os.open('..', os.O_RDONLY)\ngot = open(f'/proc/self/fd/{d}/secret.txt').read()",
        kernel=True,
        guard=True,
    ),
    Case("symlink-out", "got = open('link-to-secret.txt').read()", kernel=True, guard=True),
    Case(
        "parent-environ",
        "got = open(f'/proc/{os.getppid()}/environ', 'rb').read()",
        kernel=True,
        guard=True,
    ),
    Case(
        "ctypes-libc-open",
        "import ctypes\nlibc = ctypes.CDLL(None)\nfd = libc.open(b'../secret.txt', 0)\n"
        "got = os.read(fd, 99) if fd >= 0 else b''",
        kernel=True,
        guard=True,
    ),
    Case(
        # A libc name that no list of dangerous names holds: only the kernel sees it.
        "ctypes-pythonapi-dunder-open",
        "import ctypes\nfd = ctypes.pythonapi.__open(b'../secret.txt', 0)\n"
        "got = os.read(fd, 99) if fd >= 0 else b''",
        kernel=True,
        guard=False,
    ),
    Case(
        # SQLite opens attached databases in C: no audit event.
        "sqlite-attach",
        "import sqlite3\ncon = sqlite3.connect(':memory:')\n"
        "con.execute(\"ATTACH DATABASE 'file:../secret.db?mode=ro' AS s\")\n"
        "got = con.execute('SELECT * FROM s.t').fetchall()",
        kernel=True,
        guard=False,
    ),
    # --- writing outside --------------------------------------------------------
    Case(
        "dir-fd-write",
        "d = os.open('..', os.O_RDONLY)\n"
        "os.close(os.open('pwned-dirfd', os.O_WRONLY | os.O_CREAT, dir_fd=d))",
        kernel=True,
        guard=True,
    ),
    Case("write-own-source", "open('index.rst', 'a').write('pwned')", kernel=True, guard=True),
    Case("mkfifo", "os.mkfifo('../pwned-fifo')", kernel=True, guard=True),
    Case(
        "ctypes-creat",
        "import ctypes\nctypes.CDLL(None).creat(b'../pwned-ctypes', 0o644)",
        kernel=True,
        guard=True,
    ),
    # --- starting processes -----------------------------------------------------
    Case(
        "posix-spawn",
        "pid = os.posix_spawn('/bin/sh', ['sh', '-c', 'echo x > ../pwned-spawn'], {})\n"
        "os.waitpid(pid, 0)",
        kernel=True,
        guard=True,
    ),
    Case(
        "ctypes-system",
        "import ctypes\nctypes.CDLL(None).system(b'echo x > ../pwned-system')",
        kernel=True,
        guard=True,
    ),
    # --- signals to processes outside -------------------------------------------
    Case(
        "pidfd-send-signal",
        "import signal\nsignal.pidfd_send_signal(os.pidfd_open(VICTIM), signal.SIGKILL)",
        kernel=True,
        guard=True,
    ),
    Case("os-kill", "os.kill(VICTIM, 9)", kernel=True, guard=True),
    Case(
        "ctypes-kill",
        "import ctypes\nctypes.CDLL(None).kill(VICTIM, 9)",
        kernel=True,
        guard=True,
    ),
    # --- limits -------------------------------------------------------------------
    Case(
        "raise-file-size-limit",
        "import resource\nr = resource.RLIMIT_FSIZE\n"
        "resource.setrlimit(r, (resource.RLIM_INFINITY,) * 2)\n"
        "escaped = resource.getrlimit(r)[1] == resource.RLIM_INFINITY",
        kernel=True,
        guard=True,
    ),
    # --- network --------------------------------------------------------------------
    Case(
        "tcp-connect",
        "import socket\nsocket.create_connection(('127.0.0.1', TCP_PORT), timeout=2)",
        kernel=True,
        guard=True,
    ),
    Case(
        "abstract-unix-socket",
        "import socket\ns = socket.socket(socket.AF_UNIX)\ns.connect(UNIX_NAME)",
        kernel=True,
        guard=True,
    ),
]


@dataclass
class Scene:
    """The folders, and the things outside that a case may reach for."""

    root: Path
    src: Path
    victim: subprocess.Popen[bytes]
    tcp: socket.socket
    unix: socket.socket
    unix_name: str

    def prelude(self) -> str:
        return (
            f"import os, sys\nVICTIM = {self.victim.pid}\nTCP_PORT = {self.tcp.getsockname()[1]}\n"
            f"UNIX_NAME = {self.unix_name!r}\ngot = b''\nescaped = False\n"
        )

    def evidence(self) -> list[str]:
        """What escaped: files made outside, a dead victim, a connection accepted."""
        found = [p.name for p in self.root.iterdir() if p.name.startswith("pwned")]
        if "pwned" in (self.src / "index.rst").read_text():
            found.append("index.rst written")
        if self.victim.poll() is not None:
            found.append("victim killed")
        for listener in (self.tcp, self.unix):
            try:
                connection, _ = listener.accept()
            except (BlockingIOError, TimeoutError):
                continue
            connection.close()
            found.append(f"{listener.family.name} connection")
        return found


@pytest.fixture
def scene(tmp_path: Path) -> Iterator[Scene]:
    import sqlite3

    src = tmp_path / "src"
    src.mkdir()
    (src / "index.rst").write_text("Index\n=====\n")
    (tmp_path / "secret.txt").write_text(SECRET)
    with sqlite3.connect(tmp_path / "secret.db") as con:
        con.execute("CREATE TABLE t (v TEXT)")
        con.execute("INSERT INTO t VALUES (?)", (SECRET,))
    con.close()
    (src / "link-to-secret.txt").symlink_to(tmp_path / "secret.txt")
    victim = subprocess.Popen(["sleep", "60"])
    tcp = socket.create_server(("127.0.0.1", 0))
    tcp.setblocking(False)
    unix_name = f"\0df-table-test-{uuid.uuid4().hex}"
    unix = socket.socket(socket.AF_UNIX)
    unix.bind(unix_name)
    unix.listen()
    unix.setblocking(False)
    yield Scene(tmp_path, src, victim, tcp, unix, unix_name)
    victim.kill()
    victim.wait()
    tcp.close()
    unix.close()


def _run_in_layer(scene: Scene, layer: str, code: str) -> bool:
    """Run ``code`` in a forked process confined by ``layer`` alone; whether it
    got the secret or set ``escaped``."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the confined process
        status = b"0"
        try:
            os.close(read_end)
            os.chdir(scene.src)
            policy = Policy.build(str(scene.src), [], allow_unsafe=False, sys_path=sys.path)
            scratch = scene.root / f"scratch-{os.getpid()}"
            scratch.mkdir()
            if layer == "kernel":
                apply_hard_limits(memory_limit=None, allow_unsafe=False)
                rules = landlock_rules(policy, PACKAGE_DIR)
                own = [(f"/proc/{os.getpid()}", landlock.READ), (str(scratch), landlock.WRITE)]
                landlock.confine(rules, own, ABI)
                drop_capabilities()
            else:
                guard = Guard(policy)
                sys.addaudithook(guard)
                guard.active = True
                close_gaps(guard)
            namespace: dict[str, object] = {}
            with contextlib.suppress(BaseException):  # refused: that is the point
                exec(scene.prelude() + code, namespace)
            got = namespace.get("got", b"")
            if namespace.get("escaped") or SECRET in str(got):
                status = b"1"
        finally:
            os.write(write_end, status)
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as reader:
        reported = reader.read() == b"1"
    os.waitpid(pid, 0)
    return reported


@needs_landlock
@pytest.mark.parametrize("case", [c for c in CASES if c.kernel], ids=lambda c: c.name)
def test_the_kernel_layer_alone_stops(scene: Scene, case: Case) -> None:
    escaped = _run_in_layer(scene, "kernel", case.code)
    assert not escaped and scene.evidence() == []


@pytest.mark.parametrize("case", [c for c in CASES if c.guard], ids=lambda c: c.name)
def test_the_guard_alone_stops(scene: Scene, case: Case) -> None:
    escaped = _run_in_layer(scene, "guard", case.code)
    assert not escaped and scene.evidence() == []


@pytest.mark.parametrize("case", [c for c in CASES if not c.guard], ids=lambda c: c.name)
def test_what_the_guard_alone_misses(scene: Scene, case: Case) -> None:
    """The guard is a guard rail: these get past it, which is why Landlock is the boundary.
    If one of these starts failing, the guard got better: move the case."""
    assert _run_in_layer(scene, "guard", case.code)


@pytest.fixture(scope="module")
def runners(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, SnippetRunner]]:
    made: dict[str, SnippetRunner] = {}
    yield made
    for runner in made.values():
        runner.close()


@pytest.mark.parametrize(
    ("case", "mode"),
    # "guard" only where the guard alone stops the case (see the test above).
    [(c, m) for c in CASES for m in ("auto", "guard") if m == "auto" or c.guard],
    ids=lambda v: v.name if isinstance(v, Case) else v,
)
def test_the_worker_refuses(scene: Scene, case: Case, mode: str) -> None:
    runner = SnippetRunner(RunnerSettings(srcdir=str(scene.src), sandbox=mode))
    try:
        code = (
            scene.prelude() + case.code + "\ndf = pd.DataFrame({'got': [str(got)], 'e': [escaped]})"
        )
        result = runner.run(SnippetRequest(code, cwd=str(scene.src), timeout=20))
        assert runner.sandbox == ("guard only" if mode == "guard" else f"landlock ABI {ABI}")
    finally:
        runner.close()
    assert scene.evidence() == []
    # Refused with an error, or (a C call that failed quietly) a table that
    # shows nothing it should not.
    if result.table is not None:
        assert result.table.body == [["b''", "False"]], result.table.body
    else:
        assert result.error is not None
        assert SECRET not in result.error.message + result.output


@pytest.mark.parametrize(
    ("module", "name"), [(m, n) for m, names in UNAUDITED.items() for n in names]
)
def test_unaudited_functions_refuse_in_the_guarded_process(
    scene: Scene, module: str, name: str
) -> None:
    """``_posixsubprocess.fork_exec`` and friends raise no audit event: in the
    snippet's process they are replaced by functions that refuse."""
    code = (
        f"import {module}\ntry:\n    {module}.{name}()\n"
        "except Exception as exc:\n    escaped = type(exc).__name__ != 'SandboxViolation'\n"
        "else:\n    escaped = True"
    )
    assert not _run_in_layer(scene, "guard", code)


def test_a_kernel_refusal_is_reported_as_access(scene: Scene) -> None:
    """Where only the kernel stops a read, the author sees the same kind of
    warning as from the guard, naming the path and the setting."""
    if ABI < 1:
        pytest.skip("no Landlock on this kernel")
    runner = SnippetRunner(RunnerSettings(srcdir=str(scene.src)))
    try:
        result = runner.run(
            SnippetRequest(
                "import ctypes\nfd = ctypes.pythonapi.__open(b'../secret.txt', 0)\n"
                "import errno\nraise PermissionError(errno.EACCES, 'denied', '../secret.txt')",
                cwd=str(scene.src),
            )
        )
    finally:
        runner.close()
    assert result.error is not None
    assert result.error.kind == "access", result.error
    assert "Landlock" in result.error.message and "df_table_allowed_paths" in result.error.message


def test_signals_to_the_victim_are_really_possible_outside(scene: Scene) -> None:
    """The scene is not rigged: unconfined, the victim can be signalled."""
    os.kill(scene.victim.pid, signal.SIGKILL)
    scene.victim.wait()
    assert "victim killed" in scene.evidence()


def test_the_snippet_process_holds_only_its_own_answer_pipe(tmp_path: Path) -> None:
    runner = SnippetRunner(RunnerSettings(srcdir=str(tmp_path)))
    try:
        result = runner.run(
            SnippetRequest(
                "fds = sorted(int(n) for n in os.listdir('/proc/self/fd'))\n"
                "open_fds = [n for n in fds if n > 2 and os.path.exists(f'/proc/self/fd/{n}')]\n"
                "kinds = [os.readlink(f'/proc/self/fd/{n}').split(':')[0] for n in open_fds]\n"
                "df = pd.DataFrame({'kinds': [' '.join(kinds)]})",
                cwd=str(tmp_path),
                preamble="import os",
            )
        )
    finally:
        runner.close()
    assert result.table is not None, result.error
    # Beyond stdin, stdout and stderr: one pipe, the answer's.
    assert result.table.body[0][0] == "pipe", result.table.body


@pytest.mark.parametrize(
    ("conf", "mode"),
    [
        ("", f"landlock ABI {ABI}"),
        ("df_table_sandbox = 'guard'\n", "guard only"),
        ("df_table_allow_unsafe = True\n", "unsafe"),
    ],
)
def test_the_build_summary_names_the_mode(build, conf: str, mode: str) -> None:  # type: ignore[no-untyped-def]
    if ABI < 1 and "landlock" in mode:
        pytest.skip("no Landlock on this kernel")
    app = build(
        {"index.rst": "T\n=\n\n.. df-table::\n\n   df = pd.DataFrame({'a': [1]})\n"},
        conf=conf + "df_table_cache = False\n",
    )
    assert f"(sandbox: {mode})" in status_text(app)


def test_insisting_on_landlock_without_it_stops_the_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sphinx.errors import ConfigError

    monkeypatch.setattr(landlock, "abi_version", lambda: 0)
    src = write_project(
        tmp_path / "src", {"index.rst": "T\n=\n"}, "df_table_sandbox = 'landlock'\n"
    )
    with pytest.raises(ConfigError, match="does not enforce Landlock"):
        make_app("html", src)


def test_a_parallel_build_confines_every_reader(tmp_path: Path) -> None:
    """-j 2: each reader process's worker confines its snippets the same way."""
    (tmp_path / "secret.txt").write_text(SECRET)
    pages = {
        f"p{n}.rst": f"P{n}\n==\n\n.. df-table::\n\n   df = pd.read_csv('../secret.txt')\n"
        for n in range(6)
    }
    pages["index.rst"] = "I\n=\n\n.. toctree::\n\n" + "".join(f"   p{n}\n" for n in range(6))
    src = write_project(tmp_path / "src", pages, "df_table_cache = False\n")
    result = run_sphinx_build(src, tmp_path / "out", "-j", "2", timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("[df_table.access]") == 6, result.stderr
    assert SECRET not in "".join(p.read_text() for p in (tmp_path / "out").glob("p*.html"))
