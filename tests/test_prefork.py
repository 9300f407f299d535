"""The spare child: forked and confined ahead, one snippet each (issue #11's overhead).

The worker forks the next snippet's child while it waits, and the child
confines itself before its request arrives (``worker/prefork.py``). These
tests look at a waiting spare from outside (``/proc``) and at what a snippet
sees from inside.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

from sphinx_df_table.execute.runner import RunnerSettings, SnippetRequest, SnippetRunner
from sphinx_df_table.worker import landlock
from sphinx_df_table.worker.limits import MAX_OUTPUT_FILE
from sphinx_df_table.worker.prefork import WAITING_TITLE
from sphinx_df_table.worker.reaper import children

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="looks at processes through Linux /proc"
)


def _worker_pid(runner: SnippetRunner) -> int:
    handle = runner._handle
    assert handle is not None
    return handle.proc.pid


def _status(pid: int) -> dict[str, str]:
    lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    return dict(line.split(":\t", 1) for line in lines if ":\t" in line)


def _confined_spare(worker: int, *, landlock_mode: bool) -> int:
    """The worker's spare once it has confined itself and sleeps (waiting for
    its request: the worker sends none); fails after 30 s."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        for pid in children(worker):
            try:
                if Path(f"/proc/{pid}/cmdline").read_bytes().rstrip(b"\0") != WAITING_TITLE:
                    continue
                fds = Path(f"/proc/{pid}/fd").iterdir()
                # Its own two pipes and fds 0-2 (everything else is closed
                # last), and asleep: waiting for its request.
                confined = len(list(fds)) == 5 and _status(pid)["State"].startswith("S")
                if landlock_mode:
                    confined &= _status(pid)["NoNewPrivs"].strip() == "1"
            except (OSError, KeyError):
                continue
            if confined:
                return pid
        time.sleep(0.02)
    raise AssertionError("no confined spare child appeared")


@pytest.mark.parametrize("mode", ["guard", "landlock"])
def test_a_spare_is_confined_before_it_gets_a_request(tmp_path: Path, mode: str) -> None:
    if mode == "landlock" and not landlock.abi_version():
        pytest.skip("the kernel offers no Landlock")
    runner = SnippetRunner(RunnerSettings(srcdir=str(tmp_path), sandbox=mode))
    try:
        assert (
            runner.run(SnippetRequest("df = pd.DataFrame({'a': [1]})", cwd=str(tmp_path))).error
            is None
        )
        spare = _confined_spare(_worker_pid(runner), landlock_mode=mode == "landlock")
        status = _status(spare)
        assert int(status["CapEff"], 16) == 0
        limits = Path(f"/proc/{spare}/limits").read_text()
        size_limit = next(line for line in limits.splitlines() if line.startswith("Max file size"))
        assert size_limit.split()[3:5] == [str(MAX_OUTPUT_FILE)] * 2  # soft and hard
    finally:
        runner.close()


def test_an_unused_spare_ends_with_the_worker(tmp_path: Path) -> None:
    runner = SnippetRunner(RunnerSettings(srcdir=str(tmp_path), sandbox="guard"))
    try:
        assert (
            runner.run(SnippetRequest("df = pd.DataFrame({'a': [1]})", cwd=str(tmp_path))).error
            is None
        )
        worker = _worker_pid(runner)
        spare = _confined_spare(worker, landlock_mode=False)
        handle = runner._handle
        assert handle is not None
        tmpdir = Path(handle.tmpdir)
        assert any(tmpdir.glob("snippet-*"))  # the spare's scratch folder
    finally:
        runner.close()
    assert not Path(f"/proc/{spare}").exists()
    assert not Path(f"/proc/{worker}").exists()
    assert not tmpdir.exists()


def test_each_snippet_has_a_process_of_its_own(tmp_path: Path) -> None:
    runner = SnippetRunner(RunnerSettings(srcdir=str(tmp_path)))
    try:
        pids = []
        for _ in range(3):
            result = runner.run(
                SnippetRequest(
                    "import os\ndf = pd.DataFrame({'pid': [os.getpid()]})", str(tmp_path)
                )
            )
            assert result.table is not None, result.error
            pids.append(int(result.table.body[0][-1]))
        assert len(set(pids)) == 3
        assert _worker_pid(runner) not in pids
    finally:
        runner.close()


def test_a_snippet_holds_only_its_answer_pipe(tmp_path: Path) -> None:
    """Its request pipe is closed once the request is read: a snippet cannot
    wait on it for another one, nor reach any other child's pipes."""
    code = (
        "import fcntl, os\n"
        "fds = sorted(int(f) for f in os.listdir('/proc/self/fd') if int(f) > 2)\n"
        "fds = [f for f in fds if os.path.exists(f'/proc/self/fd/{f}')]\n"
        "modes = [fcntl.fcntl(f, fcntl.F_GETFL) & os.O_ACCMODE == os.O_WRONLY for f in fds]\n"
        "df = pd.DataFrame({'fds': [len(fds)], 'write_only': [all(modes)]})"
    )
    runner = SnippetRunner(RunnerSettings(srcdir=str(tmp_path)))
    try:
        result = runner.run(SnippetRequest(code, cwd=str(tmp_path)))
        assert result.table is not None, result.error
        assert result.table.body[0][-2:] == ["1", "True"]
    finally:
        runner.close()


def test_an_answer_counts_however_the_process_then_ends(tmp_path: Path) -> None:
    """A whole answer, its pipe closed: the worker takes it and kills the
    child, so how the child would have ended after it no longer matters."""
    code = (
        "import os, posix\n"
        "real_close = os.close\n"
        "def close_then_fail(fd):\n"
        "    real_close(fd)\n"
        "    posix._exit(3)\n"
        "os.close = close_then_fail\n"
        "df = pd.DataFrame({'a': [1]})"
    )
    runner = SnippetRunner(RunnerSettings(srcdir=str(tmp_path)))
    try:
        result = runner.run(SnippetRequest(code, cwd=str(tmp_path)))
        assert result.error is None, result.error
        assert result.table is not None
    finally:
        runner.close()
