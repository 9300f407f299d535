"""The code stays lint-, format- and type-clean (ruff, mypy), as CI promises."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from .helpers import REPO

pytestmark = pytest.mark.slow


def tool(name: str) -> list[str]:
    """The tool from this interpreter's environment (as .ci/run installs it)."""
    return [sys.executable, "-m", name]


@pytest.mark.parametrize(
    "command",
    [
        ["ruff", "check", "."],
        ["ruff", "format", "--check", "."],
        ["mypy"],
    ],
    ids=["ruff-check", "ruff-format", "mypy"],
)
def test_clean(command: list[str]) -> None:
    assert shutil.which(sys.executable)
    result = subprocess.run(
        [*tool(command[0]), *command[1:]],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
