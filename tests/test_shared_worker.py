"""One worker per build: ``-j`` readers use the main process's worker (issue #15).

The readers connect to it on a unix socket in the worker's private folder; a
snippet's own process, which can work out that socket's path, is refused; a
reader that dies takes the snippets it still waited for with it.
"""

from __future__ import annotations

import os
import pickle
import signal
import socket
import struct
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sphinx_df_table.execute.runner import RunnerSettings, SnippetRequest, SnippetRunner

from .helpers import (
    parent_pid,
    run_sphinx_build,
    wait_until_gone,
    worker_pids,
    write_project,
)

pytestmark = pytest.mark.matrix


#: A snippet that finds the worker's socket (next to its scratch folder, TMPDIR)
#: and sends it a well-formed request; the table says how far it got.
INTRUDER = """
import os, pickle, socket, struct
path = os.path.join(os.path.dirname(os.environ["TMPDIR"]), "readers.sock")
request = {"id": 1, "code": "df = pd.DataFrame({'x': [1]})", "cwd": os.getcwd(),
           "preamble": "", "result_var": "df", "render": {}, "timeout": 5.0}
data = pickle.dumps(request)
try:
    client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    client.settimeout(10)
    client.connect(path)
except Exception as exc:
    outcome = type(exc).__name__
else:
    try:
        client.sendall(struct.pack("!Q", len(data)) + data)
        outcome = "answered" if client.recv(1 << 16) else "refused"
    except OSError:  # closed while sending: refused too
        outcome = "refused"
df = pd.DataFrame({"outcome": [outcome]})
"""


def _ask(path: str, cwd: str) -> bytes:
    """Send INTRUDER's request from this process; the first bytes of the reply."""
    request = {
        "id": 1,
        "code": "df = pd.DataFrame({'x': [1]})",
        "cwd": cwd,
        "preamble": "",
        "result_var": "df",
        "render": {},
        "timeout": 5.0,
    }
    data = pickle.dumps(request)
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
        client.settimeout(60)
        client.connect(path)
        client.sendall(struct.pack("!Q", len(data)) + data)
        return client.recv(1 << 16)


@pytest.mark.parametrize(("sandbox", "unsafe"), [("auto", False), ("guard", False), ("auto", True)])
def test_a_snippet_cannot_use_the_workers_socket(
    tmp_path: Path, sandbox: str, unsafe: bool
) -> None:
    runner = SnippetRunner(
        RunnerSettings(srcdir=str(tmp_path), sandbox=sandbox, allow_unsafe=unsafe)
    )
    try:
        result = runner.run(SnippetRequest(INTRUDER, cwd=str(tmp_path)))
        # The control: the same request from a process the worker serves is answered.
        shared = runner._shared
        assert shared is not None and shared.socket_path is not None
        assert _ask(shared.socket_path, str(tmp_path)) != b""
    finally:
        runner.close()
    assert result.table is not None, result.error
    outcome = result.table.body[0][-1]
    # With a sandbox the guard refuses connect() (Landlock does not mediate it
    # for a pathname socket); without one the connection is made, and the
    # worker refuses it by its peer's credentials: a descendant of its own.
    assert outcome == ("refused" if unsafe else "SandboxViolation"), outcome


def _pages(count: int, extra: dict[int, str]) -> dict[str, str]:
    files = {
        "index.rst": "Index\n=====\n\n.. toctree::\n\n"
        + "".join(f"   p{i}\n" for i in range(count))
    }
    who = (
        ".. df-table::\n\n"
        "   import os\n"
        "   df = pd.DataFrame({'worker': [f'worker-{os.getppid()}'], 'page': ['PAGE']})\n\n"
    )
    for i in range(count):
        files[f"p{i}.rst"] = f"P{i}\n==\n\n" + who.replace("PAGE", f"p{i}") + extra.get(i, "")
    return files


def test_a_parallel_build_starts_one_worker(tmp_path: Path, tag: str) -> None:
    src = write_project(tmp_path / "src", _pages(12, {}), "df_table_cache = False\n")
    env = {**os.environ}
    env.pop("PYTHONWARNINGS", None)
    build = subprocess.Popen(
        [sys.executable, "-m", "sphinx", "-q", "-j", "2", str(src), str(tmp_path / "out")],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    started: set[int] = set()  # worker processes not forked from a worker
    try:
        while build.poll() is None:
            pids = worker_pids(tag)
            started.update(pid for pid in pids if parent_pid(pid) not in pids)
            time.sleep(0.01)
        _out, err = build.communicate(timeout=120)
    finally:
        if build.poll() is None:
            build.kill()
    assert build.returncode == 0, err
    assert len(started) == 1, started
    # Every page's snippet ran in a child of that one worker.
    parents = set()
    for html in (tmp_path / "out").glob("p*.html"):
        text = html.read_text(encoding="utf-8")
        parents.update(int(part.split("<", 1)[0]) for part in text.split("worker-")[1:])
    assert parents == started
    assert wait_until_gone(tag, seconds=5) == []


def test_a_reader_killed_mid_snippet_leaves_no_process(tmp_path: Path, tag: str) -> None:
    """A forked reader (as Sphinx forks them) runs a long snippet on the main
    process's worker and is killed: its snippet's process goes, the worker stays."""
    runner = SnippetRunner(RunnerSettings(srcdir=str(tmp_path)))
    try:
        runner.run(SnippetRequest("df = pd.DataFrame({'a': [1]})", cwd=str(tmp_path)))
        reader = os.fork()
        if reader == 0:  # pragma: no cover - the reader process
            code = "import time\ntime.sleep(600)\ndf = pd.DataFrame({'a': [1]})"
            runner.run(SnippetRequest(code, cwd=str(tmp_path), timeout=600))
            os._exit(0)
        try:
            deadline = time.monotonic() + 60
            sleeping: list[int] = []
            while not sleeping and time.monotonic() < deadline:
                workers = worker_pids(tag)
                sleeping = [pid for pid in workers if parent_pid(pid) in workers]
                time.sleep(0.05)
            assert len(sleeping) == 1, "the reader's snippet never started"
        finally:
            os.kill(reader, signal.SIGKILL)
            os.waitpid(reader, 0)
        deadline = time.monotonic() + 5
        while _alive(sleeping[0]) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _alive(sleeping[0]), "the killed reader's snippet still runs"
        # The worker lives on, and serves the main process.
        result = runner.run(SnippetRequest("df = pd.DataFrame({'a': [2]})", cwd=str(tmp_path)))
        assert result.table is not None, result.error
    finally:
        runner.close()
    assert wait_until_gone(tag, seconds=5) == []


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_each_snippet_of_a_parallel_build_runs_once(tmp_path: Path) -> None:
    """The main process runs every snippet ahead; each reader's directive takes
    that run (or its result) instead of running the snippet again."""
    log = tmp_path / "runs.txt"
    files = {
        "index.rst": "Index\n=====\n\n.. toctree::\n\n" + "".join(f"   p{i}\n" for i in range(8))
    }
    for i in range(8):
        tables = "".join(
            ".. df-table::\n\n"
            f"   open({str(log)!r}, 'a').write('p{i}-{k}\\n')\n"
            f"   df = pd.DataFrame({{'page': ['p{i}'], 'table': [{k}]}})\n\n"
            for k in range(3)
        )
        files[f"p{i}.rst"] = f"Page {i}\n======\n\n{tables}"
    src = write_project(
        tmp_path / "src", files, "df_table_allow_unsafe = True\ndf_table_cache = False\n"
    )
    result = run_sphinx_build(src, tmp_path / "out", "-q", "-W", "-j", "2", timeout=180)
    assert result.returncode == 0, result.stderr
    runs = log.read_text().splitlines()
    assert sorted(runs) == sorted(f"p{i}-{k}" for i in range(8) for k in range(3))
