"""The benchmark script keeps working (a tiny corpus; no timing targets here)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from .helpers import REPO

pytestmark = pytest.mark.slow


def run_script(name: str, *args: str, timeout: float = 600) -> str:
    """What ``benchmarks/<name>`` printed, run with ``args``; it must succeed."""
    result = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / name), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_benchmark_smoke_run(tmp_path: Path) -> None:
    out = run_script("bench_build.py", "--smoke", "--work", str(tmp_path))
    for corpus in ("pages", "long"):
        assert re.search(rf"^{corpus}\s+df-table\s+\d+\.\d+", out, re.M)
        assert re.search(rf"^{corpus}\s+csv-table\s+\d+\.\d+", out, re.M)
        assert re.search(rf"^{corpus}\s+ratio df-table/csv-table time \d\.\d{{3}}", out, re.M)
        # The CPU time of df-table's processes, and the wall time it allows on these cores.
        bound = rf"^{corpus}\s+CPU bound: df-table's processes used (\d+\.\d+) s of CPU; on"
        found = re.search(bound, out, re.M)
        assert found and float(found[1]) > 0, out
    # The incremental checks ran: a prose edit executed no snippet, -j 2 matched -j 1.
    assert "prose-edit rebuild: df-table: 4 tables, 0 executed, 4 from cache" in out
    for jobs in ("1", "2"):  # the prose-edit ratio, serial and parallel
        assert re.search(
            rf"^prose-edit rebuild, ratio df-table/floor time \d\.\d{{3}} -j {jobs} ", out, re.M
        )
    assert "HTML byte-identical" in out
    # Dates from git were measured, every data file dated by its commit.
    assert re.search(r"^git dates: .* \((\d+)/\1 files dated by their commit\)", out, re.M)
    # The generated twins really hold the same data.
    static = (tmp_path / "pages" / "csv-table" / "results_0_0_static.csv").read_text()
    assert static.splitlines()[0].startswith("Model,Scripts,Framework,Inst. Type,Task")


def test_compare_versions_smoke_run(tmp_path: Path) -> None:
    # This checkout against itself: the script runs and prints every row.
    out = run_script(
        "compare_versions.py",
        *("--baseline-src", str(REPO / "src"), "--pages", "1", "--repeat", "1"),
        *("--work", str(tmp_path)),
    )
    number = r"\d+\.\d+"
    for way in ("cold", "cold, no cache", "warm"):
        row = rf"^{way}\s+{number}\s+{number}\s+{number}\s+{number}\s+{number}\s+{number}$"
        assert re.search(row, out, re.M), out
    assert re.search(r"^cache cost in a cold build, this\s*: [+-]\d", out, re.M)


def test_fork_floor_smoke_run() -> None:
    # The script runs its four ways and prints every figure it promises.
    out = run_script("fork_floor.py", "--runs", "3", timeout=300)
    number = r"\d+\.\d+"
    for way in ("in-process", "fork \\+ exit", "fork \\+ snippet"):
        assert re.search(rf"^{way}\s+{number}\s+{number}\s+{number}\s+{number}$", out, re.M), out
    assert re.search(
        r"^page faults: \d+ in-process; a child \d+ exiting at once, \d+ running", out, re.M
    )
    first_run = re.search(rf"first run ({number}) ms, second run ({number}) ms", out)
    assert first_run, out
    # A child's first run really ran the snippet (it took time), as did its second.
    assert float(first_run[1]) > 0 and float(first_run[2]) > 0
    assert re.search(
        rf"^CPU per snippet: in-process {number} ms; one process per snippet", out, re.M
    )
