"""The worker's life: started per process, stopped with the build, killed on timeout.

Processes are found through ``/proc``: each test puts a unique tag in the
environment, which the workers (and anything they start) inherit, so tests that
run at the same time cannot confuse each other's workers.
"""

from __future__ import annotations

import os
import re
import resource
import signal
import subprocess
import sys
import textwrap
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sphinx.errors import ExtensionError
from sphinx.testing.util import SphinxTestApp

from sphinx_df_table.errors import DfTableError
from sphinx_df_table.execute.runner import (
    RunnerSettings,
    SnippetRequest,
    SnippetRunner,
    WorkerStartError,
)

from .helpers import (
    fork_servers,
    make_app,
    run_sphinx_build,
    status_text,
    tagged_processes,
    wait_until_gone,
    warning_text,
    warnings_of,
    worker_pids,
    write_project,
)

pytestmark = pytest.mark.matrix


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of the largest consumer among ``pids``."""
    best = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        best = max(best, (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK"))
    return best


def table(code: str, *options: str) -> str:
    lines = [".. df-table::", *(f"   {o}" for o in options), ""]
    lines += [f"   {line}" if line else "" for line in textwrap.dedent(code).strip().splitlines()]
    return "\n".join(lines) + "\n\n"


GOOD = table("df = pd.DataFrame({'a': [1, 2]})")
WHO = table(
    "import os\n"
    "df = pd.DataFrame({'worker': [f'worker-{os.getpid()}'], 'parent': [f'parent-{os.getppid()}']})"
)


def page(title: str, *tables: str) -> str:
    return f"{title}\n{'=' * len(title)}\n\n" + "".join(tables)


def toctree(*docs: str) -> str:
    return "Index\n=====\n\n.. toctree::\n\n" + "".join(f"   {d}\n" for d in docs)


def write_raw(srcdir: Path, files: dict[str, str], conf: str = "") -> Path:
    """Like write_project, but the pages are written verbatim (no dedent)."""
    write_project(srcdir, {}, conf)
    for name, text in files.items():
        (srcdir / name).parent.mkdir(parents=True, exist_ok=True)
        (srcdir / name).write_text(text, encoding="utf-8")
    return srcdir


# --- nothing outlives a build --------------------------------------------------


def start_sphinx(src: Path, out: Path, *, tmpdir: Path) -> subprocess.Popen[bytes]:
    """``sphinx-build -q src out`` in the background, with ``TMPDIR`` set to ``tmpdir``."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONWARNINGS"}
    env["TMPDIR"] = str(tmpdir)
    return subprocess.Popen(
        [sys.executable, "-m", "sphinx", "-q", str(src), str(out)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def test_no_worker_outlives_an_in_process_build(tmp_path: Path, tag: str) -> None:
    src = write_raw(
        tmp_path / "src",
        {
            "index.rst": page(
                "Index",
                GOOD,
                table("import os\nos._exit(3)"),  # a crash: a second worker starts
                table("while True: pass", ":timeout: 0.5"),  # a timeout: a third
                GOOD,
            )
        },
    )
    app = make_app("html", src)
    try:
        app.build()
        assert len(warnings_of(app)) == 2, warnings_of(app)
        assert tagged_processes(tag) == [], "the worker must be stopped on build-finished"
    finally:
        app.cleanup()


TROUBLE = {
    1: table("while True: pass", ":timeout: 0.5"),
    4: table("import ctypes\nctypes.string_at(0)"),
}


def make_parallel_project(srcdir: Path, extra: dict[int, str], conf: str = "") -> Path:
    """Six pages (enough for ``-j 2`` to fork two readers), with ``extra`` tables."""
    files = {"index.rst": toctree(*(f"p{i}" for i in range(6)))}
    for i in range(6):
        files[f"p{i}.rst"] = page(f"Page {i}", WHO, GOOD, extra.get(i, ""), WHO)
    return write_raw(srcdir, files, conf)


def workers_seen(outdir: Path) -> set[tuple[str, str]]:
    """(worker pid, its parent pid) from every WHO table in the HTML output."""
    pairs = set()
    for html in outdir.glob("p*.html"):
        text = html.read_text(encoding="utf-8")
        pairs.update(re.findall(r"worker-(\d+)</p></td>\s*<td[^>]*><p>parent-(\d+)", text))
    return pairs


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_no_process_outlives_a_sphinx_build_subprocess(tmp_path: Path, tag: str, jobs: str) -> None:
    # No result cache: every WHO table must really run, to show its worker.
    src = make_parallel_project(tmp_path / "src", TROUBLE, conf="df_table_cache = False\n")
    result = run_sphinx_build(src, tmp_path / "out", "-j", jobs, "-q", timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("[df_table.timeout]") == 1, result.stderr
    assert result.stderr.count("[df_table.crash]") == 1, result.stderr
    assert wait_until_gone(tag) == []
    seen = workers_seen(tmp_path / "out")
    assert len(seen) >= 3, seen  # a first worker, and new ones after the timeout and crash
    parents = {parent for _, parent in seen}
    # One worker ran every snippet: with -j 2 the readers Sphinx forks (one
    # per chunk of documents) use the main process's worker, start none.
    assert len(parents) == 1, parents


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_failing_build_leaves_no_process(tmp_path: Path, tag: str, jobs: str) -> None:
    bad = table("x = 1\nraise ValueError('stop here')")
    src = make_parallel_project(tmp_path / "src", {5: bad}, conf="df_table_raise_on_error = True\n")
    result = run_sphinx_build(src, tmp_path / "out", "-j", jobs, "-q", timeout=120)
    assert result.returncode != 0
    assert "ValueError: stop here" in result.stderr, result.stderr
    assert wait_until_gone(tag) == []


def test_raise_on_error_stops_at_the_first_failure(tmp_path: Path, tag: str) -> None:
    first = table("x = 1\nraise ValueError('first')")
    second = table("df = 'would be a df_table.result warning'")
    src = write_raw(
        tmp_path / "src",
        {"index.rst": page("Index", first, second)},
        conf="df_table_raise_on_error = True\n",
    )
    app = make_app("html", src)
    try:
        with pytest.raises(ExtensionError, match=r"index\.rst:7: df-table snippet failed") as info:
            app.build()
        # Sphinx's own error, and the extension's: either can be caught.
        assert isinstance(info.value, DfTableError)
        assert "df_table.result" not in warning_text(app)
        assert tagged_processes(tag) == []
    finally:
        app.cleanup()


def test_worker_dies_with_a_killed_sphinx(tmp_path: Path, tag: str) -> None:
    src = write_raw(
        tmp_path / "src",
        {"index.rst": page("Index", table("while True: pass", ":timeout: 600"))},
    )
    # Its worker's temporary directory cannot be removed by a killed Sphinx.
    sphinx = start_sphinx(src, tmp_path / "out", tmpdir=tmp_path)
    try:
        # Wait until the worker has spent more CPU time than importing pandas
        # takes: it is then in the endless loop, not waiting on its pipes.
        deadline = time.monotonic() + 60
        while cpu_seconds(worker_pids(tag)) < 1.5:
            assert time.monotonic() < deadline, "the worker never got busy"
            assert sphinx.poll() is None, "sphinx-build ended early"
            time.sleep(0.05)
    finally:
        sphinx.kill()
        sphinx.wait()
    # Nobody is left to close the worker's pipe or to kill it: it must go by itself.
    assert wait_until_gone(tag, seconds=3) == []


# --- timeouts ---------------------------------------------------------------


@pytest.fixture
def runner(tmp_path: Path, tag: str) -> Iterator[SnippetRunner]:
    (tmp_path / "data.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    instance = SnippetRunner(RunnerSettings(srcdir=str(tmp_path), memory_limit=2**31))
    instance.run(
        SnippetRequest("df = pd.DataFrame({'a': [1]})", cwd=str(tmp_path))
    )  # start the worker
    yield instance
    instance.close()
    assert tagged_processes(tag) == []


@pytest.mark.parametrize(
    ("code", "line"),
    [
        ("x = 0\nwhile True: pass", 2),
        ("import time\ntime.sleep(100)", 2),
        ("a = np.random.default_rng(0).random((1500, 1500))\nwhile True: np.linalg.inv(a)", 2),
        ("total = sum(range(10**13))", 1),  # one C call that never checks for signals
    ],
    ids=["pure-python", "sleep", "linalg-loop", "c-call"],
)
def test_timeout_stops_the_snippet_within_a_second(
    runner: SnippetRunner, tmp_path: Path, code: str, line: int
) -> None:
    started = time.monotonic()
    result = runner.run(SnippetRequest(code, cwd=str(tmp_path), timeout=1.0))
    elapsed = time.monotonic() - started
    assert result.error is not None
    assert result.error.kind == "timeout"
    assert result.error.line == line
    assert 1.0 <= elapsed < 2.0, elapsed
    # The next snippet gets a fresh worker and works.
    after = runner.run(
        SnippetRequest("df = pd.read_csv('data.csv')", cwd=str(tmp_path), timeout=30)
    )
    assert after.error is None
    assert after.table is not None and after.table.body == [["1", "2"]]


def test_respects_a_per_directive_timeout(build: Callable[..., SphinxTestApp]) -> None:
    started = time.monotonic()
    app = build(
        {"index.rst": page("Index", table("import time\ntime.sleep(30)", ":timeout: 0.5"), GOOD)},
        conf="df_table_timeout = 300\n",
    )
    assert time.monotonic() - started < 15
    (warning,) = warnings_of(app)
    assert "index.rst:8:" in warning and "within 0.5 s" in warning, warning
    assert "[df_table.timeout]" in warning


def test_a_worker_that_cannot_start_is_not_retried(tmp_path: Path, tag: str) -> None:
    # A sandbox the worker does not know: it refuses to start rather than run
    # snippets with less protection than asked for.
    instance = SnippetRunner(RunnerSettings(srcdir=str(tmp_path), sandbox="bogus"))
    with pytest.raises(WorkerStartError, match=r"did not start.*unknown df_table_sandbox"):
        instance.run(SnippetRequest("df = pd.DataFrame({'a': [1]})", cwd=str(tmp_path)))
    started = time.monotonic()
    with pytest.raises(WorkerStartError):
        instance.run(SnippetRequest("df = pd.DataFrame({'a': [1]})", cwd=str(tmp_path)))
    assert time.monotonic() - started < 0.05
    instance.close()
    assert tagged_processes(tag) == []


# --- output and tracebacks ---------------------------------------------------

NOISY = table(
    """
    import os, sys
    print("PRINTED-BY-SNIPPET")
    os.write(1, b"WRITTEN-TO-FD-1\\n")
    print("TO-STDERR", file=sys.stderr)
    df = pd.DataFrame({'a': [1]})
    """
)
FAILING = table(
    """
    def helper():
        return 1 / 0

    df = helper()
    """
)


def test_output_and_traceback_shown_only_with_verbose(
    build: Callable[..., SphinxTestApp], tmp_path: Path
) -> None:
    files = {"index.rst": page("Index", NOISY, FAILING)}
    quiet = build(files, srcdir=tmp_path / "quiet")
    everything = status_text(quiet) + warning_text(quiet)
    for text in ("PRINTED-BY-SNIPPET", "WRITTEN-TO-FD-1", "TO-STDERR", "Traceback"):
        assert text not in everything
    (warning,) = warnings_of(quiet)
    assert "index.rst:15:" in warning and "ZeroDivisionError" in warning

    verbose = build(files, srcdir=tmp_path / "verbose", verbosity=1)
    status = status_text(verbose)
    for text in ("PRINTED-BY-SNIPPET", "WRITTEN-TO-FD-1", "TO-STDERR"):
        assert text in status
    traceback = status[status.index("Traceback (most recent call last)") :]
    assert 'File "<df-table>", line 4, in <module>' in traceback
    assert 'File "<df-table>", line 2, in helper' in traceback
    assert "ZeroDivisionError: division by zero" in traceback
    assert "sphinx_df_table" not in traceback.split("ZeroDivisionError")[0]


def test_sandbox_refusal_traceback_has_no_extension_frames(
    build: Callable[..., SphinxTestApp],
) -> None:
    app = build(
        {"index.rst": page("Index", table("x = 1\ntext = open('/etc/passwd').read()"))},
        verbosity=1,
    )
    status = status_text(app)
    traceback = status[status.index("Traceback (most recent call last)") :]
    assert 'File "<df-table>", line 2' in traceback
    assert "/sphinx_df_table/" not in traceback, traceback  # no frame of ours
    (warning,) = warnings_of(app)
    assert "index.rst:7:" in warning and "[df_table.access]" in warning


def test_crash_dump_shows_the_snippet_line_not_the_worker(
    build: Callable[..., SphinxTestApp],
) -> None:
    app = build(
        {"index.rst": page("Index", table("import ctypes\nx = 1\nctypes.string_at(0)"))},
        verbosity=1,
    )
    status = status_text(app)
    assert 'File "<df-table>", line 3' in status
    assert "/sphinx_df_table/" not in status and "Extension modules" not in status
    (warning,) = warnings_of(app)
    assert "index.rst:8:" in warning and "SIGSEGV" in warning


# --- the Sphinx process and the next snippet are unaffected --------------------

MUTATE_CODE = """\
import os, sys, warnings
os.chdir("/")
sys.path.insert(0, "/injected")
os.environ["DF_TABLE_LEAK"] = "1"
pd.set_option("display.precision", 1)
warnings.simplefilter("error")
df = pd.DataFrame({"mutated": ["yes"]})
"""


def test_sphinx_process_state_is_unchanged(build: Callable[..., SphinxTestApp]) -> None:
    import pandas as pd

    cwd, path, environ = os.getcwd(), list(sys.path), dict(os.environ)
    filters = list(warnings.filters)
    app = build({"index.rst": page("Index", table(MUTATE_CODE))})
    assert warnings_of(app) == []
    assert os.getcwd() == cwd
    assert sys.path == path
    assert dict(os.environ) == environ
    assert warnings.filters == filters
    assert pd.get_option("display.precision") == 6


def test_a_successful_snippet_does_not_change_the_next(
    runner: SnippetRunner, tmp_path: Path
) -> None:
    first = runner.run(SnippetRequest(MUTATE_CODE, cwd=str(tmp_path)))
    assert first.error is None, first.error
    check = runner.run(
        SnippetRequest(
            """
import os, sys, warnings
df = pd.DataFrame({
    "cwd": [os.getcwd()],
    "injected": ["/injected" in sys.path],
    "leak": [os.environ.get("DF_TABLE_LEAK", "none")],
    "precision": [pd.get_option("display.precision")],
    "filters": [any(f[0] == "error" and f[2] is Warning for f in warnings.filters)],
})
""",
            cwd=str(tmp_path),
        )
    )
    assert check.error is None, check.error
    assert check.table is not None
    assert check.table.body == [[str(tmp_path), "False", "none", "6", "False"]]


def test_each_directive_gets_a_fresh_namespace(runner: SnippetRunner, tmp_path: Path) -> None:
    runner.run(SnippetRequest("secret = 42\ndf = pd.DataFrame({'a': [1]})", cwd=str(tmp_path)))
    result = runner.run(SnippetRequest("df = pd.DataFrame({'a': [secret]})", cwd=str(tmp_path)))
    assert result.error is not None and "NameError" in result.error.message


def test_crashes_leave_no_core_file_in_the_docs(build: Callable[..., SphinxTestApp]) -> None:
    """Even where core dumps are on, a segfault or a timeout writes none into srcdir."""
    soft, hard = resource.getrlimit(resource.RLIMIT_CORE)
    resource.setrlimit(resource.RLIMIT_CORE, (hard, hard))  # the worker inherits it
    try:
        app = build(
            {
                "index.rst": page(
                    "Index",
                    table("import ctypes\nctypes.string_at(0)"),
                    table("while True: pass", ":timeout: 0.5"),
                )
            }
        )
    finally:
        resource.setrlimit(resource.RLIMIT_CORE, (soft, hard))
    assert len(warnings_of(app)) == 2
    assert not [p.name for p in Path(app.srcdir).iterdir() if p.name.startswith("core")]


def test_timeout_names_the_main_threads_line(runner: SnippetRunner, tmp_path: Path) -> None:
    code = (
        "import threading, time\n"
        "threading.Thread(target=lambda: time.sleep(60), daemon=True).start()\n"
        "x = 0\n"
        "while True: x += 1"
    )
    result = runner.run(SnippetRequest(code, cwd=str(tmp_path), timeout=1.0))
    assert result.error is not None and result.error.kind == "timeout"
    assert result.error.line == 4


# --- no orphans, no litter (fork server) ------------------------------------------


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGINT, signal.SIGKILL])
def test_stopping_sphinx_mid_snippet_leaves_no_process_or_folder(
    tmp_path: Path, tag: str, how: signal.Signals
) -> None:
    src = write_raw(
        tmp_path / "src",
        {"index.rst": page("Index", table("import time\ntime.sleep(600)", ":timeout: 600"))},
    )
    temp = tmp_path / "tmp"
    temp.mkdir()
    sphinx = start_sphinx(src, tmp_path / "out", tmpdir=temp)
    try:
        deadline = time.monotonic() + 60
        while len(worker_pids(tag)) < 2:  # the worker, and the snippet's own process
            assert time.monotonic() < deadline, "the snippet never started"
            assert sphinx.poll() is None, "sphinx-build ended early"
            time.sleep(0.05)
        assert [p.name for p in temp.iterdir() if p.name.startswith("df-table-")]
        sphinx.send_signal(how)
        sphinx.wait(timeout=30)
    finally:
        sphinx.kill()
        sphinx.wait()
    assert wait_until_gone(tag, seconds=5) == []
    assert [p.name for p in temp.iterdir() if p.name.startswith("df-table-")] == []


@pytest.mark.parametrize(
    "escape",
    [
        "subprocess.Popen(['sleep', '600'], start_new_session=True)",
        # A double fork: the grandchild is orphaned at once, in its own session.
        "subprocess.Popen(['sh', '-c', 'setsid sleep 600 & exit 0']).wait()",
    ],
)
def test_processes_a_snippet_started_end_with_it_also_when_unsafe(
    tmp_path: Path, tag: str, escape: str
) -> None:
    runner = SnippetRunner(RunnerSettings(srcdir=str(tmp_path), allow_unsafe=True))
    try:
        result = runner.run(
            SnippetRequest(
                f"import subprocess\n{escape}\ndf = pd.DataFrame({{'a': [1]}})", cwd=str(tmp_path)
            )
        )
        assert result.error is None, result.error
        # The worker lives on (for the next snippet); what the snippet started does not.
        assert [cmd for _, cmd in tagged_processes(tag) if "sleep" in cmd] == []
        assert len(fork_servers(tag)) == 1
    finally:
        runner.close()


@pytest.mark.parametrize("unsafe", [False, True])
def test_a_raised_limit_does_not_reach_the_next_snippet(
    tmp_path: Path, tag: str, unsafe: bool
) -> None:
    """Issue #11, case 5: a snippet that raises its memory limit (refused, or in
    unsafe mode allowed in its own process) leaves the next one limited."""
    runner = SnippetRunner(
        RunnerSettings(srcdir=str(tmp_path), memory_limit=2**30, allow_unsafe=unsafe)
    )
    try:
        first = runner.run(
            SnippetRequest(
                "import resource\ntry:\n"
                "    resource.setrlimit(resource.RLIMIT_AS, (resource.RLIM_INFINITY,) * 2)\n"
                "except (OSError, ValueError, PermissionError):\n    pass\n"
                "df = pd.DataFrame({'a': [1]})",
                cwd=str(tmp_path),
            )
        )
        assert first.error is None, first.error
        second = runner.run(
            SnippetRequest(
                "block = bytearray(3 * 2**30)\ndf = pd.DataFrame({'a': [len(block)]})",
                cwd=str(tmp_path),
            )
        )
    finally:
        runner.close()
    assert second.error is not None and second.error.kind == "memory", second


def test_a_crash_or_timeout_keeps_the_warm_worker(tmp_path: Path, tag: str) -> None:
    """One snippet, one process: a segfault or a timeout costs that table only."""
    runner = SnippetRunner(RunnerSettings(srcdir=str(tmp_path)))
    try:
        runner.run(SnippetRequest("df = pd.DataFrame({'a': [1]})", cwd=str(tmp_path)))
        workers = fork_servers(tag)
        crash = runner.run(SnippetRequest("import ctypes\nctypes.string_at(0)", cwd=str(tmp_path)))
        slow = runner.run(SnippetRequest("while True: pass", cwd=str(tmp_path), timeout=0.5))
        after = runner.run(SnippetRequest("df = pd.DataFrame({'a': [1]})", cwd=str(tmp_path)))
        assert fork_servers(tag) == workers and len(workers) == 1
    finally:
        runner.close()
    assert crash.error is not None and crash.error.kind == "crash"
    assert "SIGSEGV" in crash.error.message and crash.error.line == 2
    assert slow.error is not None and slow.error.kind == "timeout" and slow.error.line == 1
    assert after.error is None
