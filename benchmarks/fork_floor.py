"""What one process per snippet costs on this machine, whatever the extension does.

The fork server (issue #11) runs each snippet in a child forked from a
process that has imported pandas. Part of that child's cost belongs to the
kernel, not to sphinx-df-table, and no change to the extension's code can
remove it:

* **fork and exit**: copying the page tables of the forking process and
  tearing down the child's;
* **first touch**: the child shares the worker's memory copy-on-write, and
  CPython writes to every object it uses (reference counts) and to the
  allocator's pools, so the first run of a code path in a new child copies
  each page it touches, one page fault per page.

This script measures both, side by side in one run, for the model page's
snippet (``bench_build.py``'s: read a 50-row results CSV, merge with the
price CSV, derive the cost column, pick 17 columns, sort, round) followed by
the worker's own rendering (:func:`~sphinx_df_table.worker.rendering.render_result`):

* ``in-process``: the snippet run again in this (warm) process, as a
  persistent worker would;
* ``fork + exit``: a child that exits at once;
* ``fork + snippet``: a child that runs the snippet once and exits;
* ``fork + 2 runs``: a child that runs it twice, timing each run inside the
  child: the first copies the pages it touches, the second finds them copied.

Rounds alternate the ways, so load on the machine hits them alike. Run with::

    python benchmarks/fork_floor.py [--runs 50]
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_build import COLUMNS, SNIPPET, results_frame

from sphinx_df_table.worker.rendering import render_result


def make_snippet(folder: Path) -> Callable[[], object]:
    """The model page's snippet on generated data in ``folder``, compiled once."""
    results = folder / "results.csv"
    prices = folder / "prices.csv"
    results_frame(random.Random(20261202), 50).to_csv(results, index=False)
    pd.DataFrame(
        {
            "Inst. Type": ["trn1.2xlarge", "trn1.32xlarge", "trn1n.32xlarge"],
            "RI-Effective hourly rate": [0.78, 12.47, 14.96],
        }
    ).to_csv(prices, index=False)
    source = SNIPPET.format(results=results, columns=COLUMNS).replace(
        "'prices.csv'", repr(str(prices))
    )
    code = compile(source, "<snippet>", "exec")

    def run() -> object:
        namespace: dict[str, object] = {"pd": pd, "np": np}
        exec(code, namespace)
        return render_result(namespace, "df", {})

    return run


def _cpu(usage: resource.struct_rusage) -> tuple[float, float]:
    return usage.ru_utime, usage.ru_stime


def in_process(run: Callable[[], object]) -> dict[str, float]:
    """The second of two runs here: the first takes back the pages the last
    fork made copy-on-write, as a process that never forks would have them."""
    run()
    before = _cpu(resource.getrusage(resource.RUSAGE_SELF))
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    start = time.perf_counter()
    run()
    wall = time.perf_counter() - start
    after = _cpu(resource.getrusage(resource.RUSAGE_SELF))
    return {
        "wall": wall,
        "parent": (after[0] - before[0]) + (after[1] - before[1]),
        "child_user": 0.0,
        "child_sys": 0.0,
        "faults": resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults,
    }


def forked(run: Callable[[], object] | None, times: int = 1) -> dict[str, float]:
    """Fork a child that runs ``run`` ``times`` times (if given) and exits; what each side paid."""
    read_end, write_end = os.pipe()
    before = _cpu(resource.getrusage(resource.RUSAGE_SELF))
    start = time.perf_counter()
    pid = os.fork()
    if pid == 0:  # the child: time the first run (pages copied as touched), then a second
        os.close(read_end)
        try:
            took = []
            for _ in range(times if run is not None else 0):
                begin = time.perf_counter()
                run()  # type: ignore[misc]
                took.append(time.perf_counter() - begin)
            os.write(write_end, " ".join(f"{t:.9f}" for t in took).encode())
        except BaseException:  # never back into the parent's loop: no times, exit 1
            os._exit(1)
        os._exit(0)
    os.close(write_end)
    answer = os.read(read_end, 256).decode().split()
    os.close(read_end)
    _, status, usage = os.wait4(pid, 0)
    if status:
        raise RuntimeError(f"the child failed (wait status {status})")
    wall = time.perf_counter() - start
    after = _cpu(resource.getrusage(resource.RUSAGE_SELF))
    first, second = ([float(t) for t in answer] + [0.0, 0.0])[:2]
    return {
        "wall": wall,
        "parent": (after[0] - before[0]) + (after[1] - before[1]),
        "child_user": usage.ru_utime,
        "child_sys": usage.ru_stime,
        "faults": usage.ru_minflt,
        "first": first,
        "second": second,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=50, help="rounds (default 50)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        run = make_snippet(Path(folder))
        for _ in range(5):  # imports, caches: the worker is warm too (its warm-up)
            run()
        gc.collect()
        gc.freeze()  # as the worker does before each fork
        ways: dict[str, Callable[[], dict[str, float]]] = {
            "in-process": lambda: in_process(run),
            "fork + exit": lambda: forked(None),
            "fork + snippet": lambda: forked(run),
            "fork + 2 runs": lambda: forked(run, 2),
        }
        samples: dict[str, list[dict[str, float]]] = {way: [] for way in ways}
        for _ in range(args.runs):
            for way, measure in ways.items():
                samples[way].append(measure())

    def median(way: str, key: str) -> float:
        return statistics.median(sample[key] for sample in samples[way]) * 1e3

    rss = int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    print(
        f"python {sys.version.split()[0]}, pandas {pd.__version__}, numpy {np.__version__}, "
        f"{os.cpu_count()} cores; forking process {rss / 2**20:.0f} MiB resident; "
        f"{args.runs} rounds, medians in ms"
    )
    print(f"{'way':16s} {'wall':>7s} {'CPU: parent':>12s} {'child user':>11s} {'child sys':>10s}")
    for way in list(ways)[:3]:
        print(
            f"{way:16s} {median(way, 'wall'):7.2f} {median(way, 'parent'):12.2f}"
            f" {median(way, 'child_user'):11.2f} {median(way, 'child_sys'):10.2f}"
        )
    faults_exit = statistics.median(s["faults"] for s in samples["fork + exit"])
    faults_run = statistics.median(s["faults"] for s in samples["fork + snippet"])
    first, second = median("fork + 2 runs", "first"), median("fork + 2 runs", "second")
    cpu = {
        way: median(way, "parent") + median(way, "child_user") + median(way, "child_sys")
        for way in list(ways)[:3]
    }
    faults_here = statistics.median(s["faults"] for s in samples["in-process"])
    print(
        f"page faults: {faults_here:.0f} in-process; a child {faults_exit:.0f} exiting at once,"
        f" {faults_run:.0f} running the snippet"
    )
    print(
        f"the snippet inside a new child: first run {first:.2f} ms, second run {second:.2f} ms,"
        f" in-process {median('in-process', 'wall'):.2f} ms"
    )
    print(
        f"CPU per snippet: in-process {cpu['in-process']:.2f} ms; one process per snippet"
        f" {cpu['fork + snippet']:.2f} ms (+{cpu['fork + snippet'] - cpu['in-process']:.2f} ms),"
        f" of which fork + exit alone {cpu['fork + exit']:.2f} ms"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
