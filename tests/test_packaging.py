"""The wheel and sdist build, hold what they must, and the wheel works installed."""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from .helpers import REPO, write_project

pytestmark = pytest.mark.packaging


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    result = subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(REPO)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return out


def test_wheel_contents(dist: Path) -> None:
    (wheel,) = dist.glob("sphinx_df_table-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for module in (
        "__init__",
        "directives/table",
        "worker/__main__",
        "worker/server",
        "execute/runner",
        "worker/guard",
        "worker/frame_cells",
    ):
        assert f"sphinx_df_table/{module}.py" in names
    assert "sphinx_df_table/py.typed" in names
    metadata = next(n for n in names if n.endswith(".dist-info/METADATA"))
    text = zipfile.ZipFile(wheel).read(metadata).decode()
    assert "Classifier: Framework :: Sphinx :: Extension" in text
    assert "Requires-Dist: sphinx>=" in text and "Requires-Dist: pandas>=" in text
    assert "License-Expression: MIT" in text


def test_sdist_contents(dist: Path) -> None:
    (sdist,) = dist.glob("sphinx_df_table-*.tar.gz")
    with tarfile.open(sdist) as archive:
        names = archive.getnames()
    root = names[0].split("/")[0]
    for path in ("pyproject.toml", "README.md", "LICENSE", "src/sphinx_df_table/worker/server.py"):
        assert f"{root}/{path}" in names
    assert not any("__pycache__" in n or "/_build/" in n for n in names)


def test_installed_wheel_builds_a_table(dist: Path, tmp_path: Path) -> None:
    """Install the wheel alone into a folder that shadows the checkout, and build."""
    (wheel,) = dist.glob("sphinx_df_table-*.whl")
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
        timeout=300,
    )
    src = write_project(
        tmp_path / "src",
        {"index.rst": "T\n=\n\n.. df-table::\n\n   df = pd.DataFrame({'installed': [1.5]})\n"},
        conf="import sphinx_df_table\n"
        f"assert sphinx_df_table.__file__.startswith({str(target)!r})\n",
    )
    env = {**os.environ, "PYTHONPATH": str(target)}
    result = subprocess.run(
        [sys.executable, "-m", "sphinx", "-q", "-W", "-b", "html", str(src), str(tmp_path / "out")],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "<p>1.5</p>" in (tmp_path / "out" / "index.html").read_text(encoding="utf-8")
