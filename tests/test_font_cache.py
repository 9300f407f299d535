"""matplotlib's font list is kept between workers (worker/font_cache.py).

A worker that imports matplotlib (for a chart, or at start with pandas before
2.2) scans the system's fonts only when no earlier worker of the same
matplotlib installation has kept the list; its config folder stays its own.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from .helpers import REPO

pytestmark = pytest.mark.matrix

#: Prepares matplotlib as a worker does, in a fresh folder, and prints whether
#: matplotlib scanned the fonts and where its config folder is.
PREPARE = """
import logging, sys
from sphinx_df_table.worker.chart_drawing import prepare_matplotlib
records = []
handler = logging.Handler()
handler.emit = records.append
logger = logging.getLogger("matplotlib.font_manager")
logger.addHandler(handler)
logger.setLevel(logging.INFO)
prepare_matplotlib(sys.argv[1])
import matplotlib
scanned = any("generated new fontManager" in r.getMessage() for r in records)
print(scanned, matplotlib.get_configdir())
"""


def prepare(workdir: Path, cache_home: Path) -> tuple[bool, str]:
    """Run :data:`PREPARE` in a new process; (whether it scanned the fonts, its config folder)."""
    env = {
        **os.environ,
        "XDG_CACHE_HOME": str(cache_home),
        "PYTHONPATH": str(REPO / "src"),
    }
    env.pop("MPLCONFIGDIR", None)
    result = subprocess.run(
        [sys.executable, "-c", PREPARE, str(workdir)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    scanned, configdir = result.stdout.split()
    return scanned == "True", configdir


def test_the_font_list_is_scanned_once_and_then_read(tmp_path: Path) -> None:
    # matplotlib is in the test extras: no skip, a missing one fails here.
    cache_home = tmp_path / "cache"
    scanned, configdir = prepare(tmp_path / "first", cache_home)
    assert scanned and configdir == str(tmp_path / "first" / "matplotlib")
    (kept,) = (cache_home / "sphinx-df-table").glob("matplotlib-*/fontlist-v*.json")
    assert json.loads(kept.read_text(encoding="utf-8"))["ttflist"]

    scanned, configdir = prepare(tmp_path / "second", cache_home)
    assert not scanned and configdir == str(tmp_path / "second" / "matplotlib")
    assert (tmp_path / "second" / "matplotlib" / kept.name).read_bytes() == kept.read_bytes()

    # A damaged list is not used: matplotlib scans again, and the new list is kept.
    kept.write_text("{", encoding="utf-8")
    scanned, _ = prepare(tmp_path / "third", cache_home)
    assert scanned
    assert json.loads(kept.read_text(encoding="utf-8"))["ttflist"]
    assert [p.name for p in kept.parent.iterdir()] == [kept.name]  # no partial file left


def test_each_matplotlib_installation_keeps_its_own_list(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sphinx_df_table.worker.font_cache import shared_folder

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    one = shared_folder("3.7.0", str(tmp_path / "venv-a" / "matplotlib"))
    assert Path(one).parent == tmp_path / "sphinx-df-table"
    assert one == shared_folder("3.7.0", str(tmp_path / "venv-a" / "matplotlib"))
    assert one != shared_folder("3.7.0", str(tmp_path / "venv-b" / "matplotlib"))
    assert one != shared_folder("3.8.0", str(tmp_path / "venv-a" / "matplotlib"))
