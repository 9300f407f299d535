"""``-j 2`` gives the same HTML as ``-j 1``, and every page gets its own table."""

from __future__ import annotations

from pathlib import Path

import pytest

from .helpers import run_sphinx_build, write_project

pytestmark = pytest.mark.matrix

N_DOCS = 12


def corpus(src: Path) -> Path:
    files = {
        "index.rst": "Index\n=====\n\n.. toctree::\n\n"
        + "".join(f"   page{i}\n" for i in range(N_DOCS))
    }
    for i in range(N_DOCS):
        files[f"page{i}.rst"] = (
            f"Page {i}\n=======\n\n"
            ".. df-table::\n\n"
            f"   df = pd.DataFrame({{'doc': ['page{i}'] * 3, 'value': np.arange(3) * {i}}})\n\n"
            ".. df-table::\n\n"
            f"   df = pd.read_csv('data{i % 3}.csv')\n"
        )
    for k in range(3):
        files[f"data{k}.csv"] = f"source,n\ndata{k},{k}\n"
    return write_project(src, files)


def test_parallel_build_matches_serial(tmp_path: Path) -> None:
    src = corpus(tmp_path / "src")
    serial = run_sphinx_build(src, tmp_path / "j1", "-q", "-W", "-j", "1", "-b", "html")
    assert serial.returncode == 0, serial.stderr
    parallel = run_sphinx_build(src, tmp_path / "j2", "-q", "-W", "-j", "2", "-b", "html")
    assert parallel.returncode == 0, parallel.stderr
    for i in range(N_DOCS):
        one = (tmp_path / "j1" / f"page{i}.html").read_bytes()
        two = (tmp_path / "j2" / f"page{i}.html").read_bytes()
        assert one == two, f"page{i}.html differs between -j 1 and -j 2"
        # Each page shows its own snippet's result, never another document's.
        assert one.count(f"<p>page{i}</p>".encode()) == 3
        assert f"<p>data{i % 3}</p>".encode() in one
