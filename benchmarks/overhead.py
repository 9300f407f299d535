"""What running snippets in the sandboxed worker costs, per table.

Compares, for the same snippets, plain in-process ``exec`` + ``render_result``
(what an unsandboxed directive would do) with :class:`SnippetRunner.run` in
each sandbox mode: a request to the worker, which hands it to a child of
its own (one per snippet, forked and confined with the guard alone, or with
Landlock and the guard, while the worker waited for the request), the answer
back. The snippets come one at a time, as a ``-j 1`` build sends them: each
way's worker prepares its next child while the other ways run. Also
measures how long starting a worker takes. With ``--baseline-src`` (the
``src`` folder of another checkout, e.g. ``git worktree add /tmp/base
dcef76f``, the last persistent worker, or ``b523279``, the last fork server
that forked a child only when its request came), that version's runner is
timed too, in a subprocess, snippet by snippet alternating with the others
(its two extra columns: its time, and the Landlock mode's difference from it).
Run with::

    python benchmarks/overhead.py [--tables 200] [--starts 5] [--baseline-src DIR]
"""

from __future__ import annotations

import argparse
import builtins
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from sphinx_df_table.execute.runner import (
    RunnerSettings,
    SnippetRequest,
    SnippetRunner,
    _WorkerHandle,
)
from sphinx_df_table.worker.rendering import render_result

SNIPPET = """\
rng = np.random.default_rng({seed})
n = {rows}
df = pd.DataFrame({{
    **{{f"x{{i}}": rng.random(n).round(3) for i in range({floats})}},
    **{{f"k{{i}}": rng.integers(0, 1000, n) for i in range({ints})}},
    "name": [f"item-{{i}}" for i in range(n)],
    "day": pd.date_range("2024-01-01", periods=n, freq="D"),
}})
"""


def snippets(count: int, rows: int, columns: int) -> list[str]:
    """``count`` distinct snippets, each building a ``rows`` x ``columns`` frame."""
    floats = (columns - 2) // 2
    ints = columns - 2 - floats
    return [SNIPPET.format(seed=seed, rows=rows, floats=floats, ints=ints) for seed in range(count)]


def in_process(code: str) -> None:
    namespace = {"__name__": "__df_table__", "__builtins__": builtins, "pd": pd, "np": np}
    exec(compile(code, "<df-table>", "exec"), namespace)
    render_result(namespace, "df", {})  # what the worker does with default options


SERVE = """\
import json, sys, tempfile, time
from sphinx_df_table.execute import runner as module
from sphinx_df_table.execute.runner import RunnerSettings, SnippetRunner
srcdir = tempfile.mkdtemp(prefix="df-table-bench-base-")
runner = SnippetRunner(RunnerSettings(srcdir=srcdir, memory_limit=4 * 2**30))
request = getattr(module, "SnippetRequest", None)  # older checkouts: keyword arguments
for line in sys.stdin:
    code = json.loads(line)
    started = time.perf_counter()
    if request is None:
        result = runner.run(code, cwd=srcdir)
    else:
        result = runner.run(request(code, cwd=srcdir))
    spent = (time.perf_counter() - started) * 1000
    print(json.dumps(spent if result.error is None else result.error.message), flush=True)
runner.close()
"""


class Baseline:
    """Another checkout's runner, in a subprocess that times each snippet itself."""

    def __init__(self, src: Path) -> None:
        env = {**os.environ, "PYTHONPATH": str(src)}
        self.proc = subprocess.Popen(
            [sys.executable, "-c", SERVE],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )

    def __call__(self, code: str) -> float:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps(code) + "\n")
        self.proc.stdin.flush()
        answer = json.loads(self.proc.stdout.readline())
        if not isinstance(answer, float):
            raise RuntimeError(f"baseline: {answer}")
        return answer

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait()


def per_table_ms(
    runs: tuple[Callable[[str], object], ...], codes: list[str]
) -> list[tuple[float, float]]:
    """(mean, median) milliseconds per snippet of each of ``runs``.

    The two ways alternate snippet by snippet, so that load from other processes
    (the figures are taken on a shared machine) falls on both alike.
    """
    times: list[list[float]] = [[] for _ in runs]
    for code in codes:
        for run, spent in zip(runs, times, strict=True):
            started = time.perf_counter()
            own = run(code)  # a float: the way timed itself (a subprocess)
            elapsed = (time.perf_counter() - started) * 1000
            spent.append(own if isinstance(own, float) else elapsed)
    return [(statistics.fmean(spent), statistics.median(spent)) for spent in times]


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tables", type=int, default=200, help="snippets per frame size")
    parser.add_argument("--starts", type=int, default=5, help="worker starts to time")
    parser.add_argument("--baseline-src", type=Path, help="another checkout's src folder")
    args = parser.parse_args(argv)

    srcdir = tempfile.mkdtemp(prefix="df-table-bench-")
    settings = RunnerSettings(srcdir=srcdir, memory_limit=4 * 2**30)
    runners = {
        mode: SnippetRunner(RunnerSettings(srcdir=srcdir, memory_limit=4 * 2**30, sandbox=mode))
        for mode in ("guard", "auto")
    }

    def in_worker(runner: SnippetRunner) -> Callable[[str], None]:
        def run(code: str) -> None:
            result = runner.run(SnippetRequest(code, cwd=srcdir))
            if result.error is not None:
                raise RuntimeError(result.error.message)

        return run

    baseline = Baseline(args.baseline_src) if args.baseline_src else None
    ways: tuple[Callable[[str], object], ...] = (
        in_process,
        in_worker(runners["guard"]),
        in_worker(runners["auto"]),
        *([baseline] if baseline else []),
    )
    print(f"python {sys.version.split()[0]}, pandas {pd.__version__}, numpy {np.__version__}")
    starts = []
    for _ in range(args.starts):
        started = time.perf_counter()
        handle = _WorkerHandle(settings)  # starts the worker and goes on
        handle.await_ready()
        handle.close()
        starts.append((time.perf_counter() - started) * 1000)
    print(
        f"worker start (import pandas, probe the sandbox, ready): mean "
        f"{statistics.fmean(starts):.0f} ms, min {min(starts):.0f} ms over {args.starts} starts"
    )
    ways[2](snippets(1, 2, 3)[0])  # starts the worker, so that its mode is known
    modes = f"guard only, {runners['auto'].sandbox}"
    print(f"\nper table (mean / median ms); one child per snippet, forked ahead ({modes})")
    print(
        f"{'frame':>8} {'in-process':>16} {'guard only':>16} {'landlock+guard':>16}"
        f" {'added (guard)':>16} {'added (landlock)':>16}"
        + (f" {'baseline':>16} {'landlock-baseline':>16}" if baseline else "")
    )
    for rows, columns in ((50, 17), (500, 20)):
        codes = snippets(args.tables, rows, columns)
        for code in codes[:5]:  # warm up every path (imports, worker start, caches)
            for way in ways:
                way(code)
        measured = per_table_ms(ways, codes)
        base, guard, both = measured[:3]
        cells = [f"{m:7.2f} / {d:6.2f}" for m, d in (base, guard, both)]
        cells += [f"{w[0] - base[0]:7.2f} / {w[1] - base[1]:6.2f}" for w in (guard, both)]
        if baseline:
            old = measured[3]
            cells += [f"{old[0]:7.2f} / {old[1]:6.2f}"]
            cells += [f"{both[0] - old[0]:7.2f} / {both[1] - old[1]:6.2f}"]
        print(f"{rows:>4}x{columns:<3} " + " ".join(f"{c:>16}" for c in cells))
    for runner in runners.values():
        runner.close()
    if baseline:
        baseline.close()
    Path(srcdir).rmdir()


if __name__ == "__main__":
    main(sys.argv[1:])
