"""This checkout's df-table against another version's, on the same corpus, in one run.

Issue #12's measure: the result cache and the file stamps it takes must cost
no more than before they were added, warm and cold. Builds the 40-page corpus
of ``bench_build.py`` (5 tab-set tables of 50 x 17 per page) with each
version's ``src`` first on ``PYTHONPATH``, interleaved round by round so that
load on the machine affects both alike, in three ways:

* ``cold``: fresh output and doctree folders, result cache on (the default);
* ``cold, no cache``: the same with ``-D df_table_cache=0``: every snippet
  runs and nothing is stamped or stored;
* ``warm``: the prose of every page edited, then an incremental build: every
  table comes from the cache (nothing runs), its stamps are checked.

The cache's own cost in a cold build is ``cold - cold, no cache`` of the same
version, which separates it from other differences between the versions
(e.g. how snippets are run). Run with::

    git worktree add --detach /tmp/base 4183e76   # before the #12 cache work
    python benchmarks/compare_versions.py --baseline-src /tmp/base/src

Prints medians of wall and CPU time and the ratios this/baseline.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench_build import Corpus, generate  # run as a script: its folder is on the path

HERE = Path(__file__).resolve().parent
THIS_SRC = HERE.parent / "src"


def build(src: Path, out: Path, package_src: Path, *args: str) -> tuple[float, float]:
    """One ``sphinx-build -b html -q`` with ``package_src`` first on the path:
    its wall time and the CPU time (user + system) of its whole process tree,
    worker and snippets included, in seconds. CPU time hardly changes with
    other load on the machine; wall time does."""
    env = dict(os.environ, PYTHONPATH=str(package_src))
    command = [sys.executable, "-m", "sphinx", "-b", "html", "-q", *args, str(src), str(out)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(command, check=False, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"build with {package_src} failed:\n{done.stderr[-4000:]}")
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return seconds, cpu


def _edit_prose(src: Path, round_: int) -> None:
    for page in src.glob("page*.rst"):
        text = page.read_text(encoding="utf-8")
        page.write_text(text.replace("\nProse", f"\nProse {round_}", 1), encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline-src", type=Path, required=True)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--pages", type=int, default=40)
    parser.add_argument("--seed", type=int, default=20261128)
    parser.add_argument("--work", type=Path, default=HERE / "_work" / "versions")
    args = parser.parse_args()
    versions = {"this": THIS_SRC, "baseline": args.baseline_src.resolve()}
    corpus = Corpus("pages", args.pages, 5, 50)
    sources = {}
    for name in versions:  # one copy each: the warm rounds edit their own prose
        sources[name] = generate(corpus, args.work / name, args.seed)["df-table"]
    times: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for round_ in range(args.repeat):
        for name, package in versions.items():
            src, out = sources[name], args.work / name / "_build"
            for way, extra in (("cold, no cache", ("-D", "df_table_cache=0")), ("cold", ())):
                shutil.rmtree(out, ignore_errors=True)
                times.setdefault((name, way), []).append(build(src, out, package, *extra))
            _edit_prose(src, round_)  # the last cold build left a warm cache
            times.setdefault((name, "warm"), []).append(build(src, out, package))
    print(f"{args.pages} pages x 5 tables of 50 x 17, {args.repeat} rounds; medians in s")
    print(
        f"{'build':16} {'wall this':>10} {'baseline':>9} {'ratio':>6}   {'CPU this':>9} "
        f"{'baseline':>9} {'ratio':>6}"
    )
    wall = {key: statistics.median(v[0] for v in values) for key, values in times.items()}
    cpu = {key: statistics.median(v[1] for v in values) for key, values in times.items()}
    for way in ("cold", "cold, no cache", "warm"):
        row = [wall["this", way], wall["baseline", way], cpu["this", way], cpu["baseline", way]]
        print(
            f"{way:16} {row[0]:10.2f} {row[1]:9.2f} {row[0] / row[1]:6.3f}   "
            f"{row[2]:9.2f} {row[3]:9.2f} {row[2] / row[3]:6.3f}"
        )
    for name in versions:
        cost_wall = wall[name, "cold"] - wall[name, "cold, no cache"]
        cost_cpu = cpu[name, "cold"] - cpu[name, "cold, no cache"]
        print(
            f"cache cost in a cold build, {name:8}: {cost_wall:+.2f} s wall, {cost_cpu:+.2f} s CPU"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
