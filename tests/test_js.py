"""The unit tests of the browser script (tests/js/), run with Node's own test runner.

``node --test`` runs ``tests/js/*.test.js`` (``node:test`` and ``node:assert``,
no packages), which load ``static/df-table.js`` as a CommonJS module. Without
Node the test fails under CI (``CI`` set, as ``.ci/run`` is run), so a CI
machine without Node cannot pass it by accident; on a developer's machine it
is skipped, saying what to install.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import pytest

from .helpers import REPO

JS_TESTS = REPO / "tests" / "js"


def find_node() -> str:
    """The ``node`` executable; a failure under CI, else a skip, when there is none."""
    if node := shutil.which("node"):
        return node
    message = "the JavaScript unit tests need Node.js 18 or newer: apt-get install nodejs"
    if os.environ.get("CI", "").lower() not in ("", "0", "false"):
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def test_no_node_fails_under_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="apt-get install nodejs"):
        find_node()
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception, match="apt-get install nodejs"):
        find_node()


def test_script_unit_tests_pass() -> None:
    node = find_node()
    # The files, not the folder: newer Node versions read arguments as globs.
    files = sorted(str(path) for path in JS_TESTS.glob("*.test.js"))
    assert files, f"no *.test.js in {JS_TESTS}"
    result = subprocess.run(
        [node, "--test", *files],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    output = result.stdout + result.stderr
    if result.returncode != 0:
        pytest.fail(f"node --test failed (exit {result.returncode}):\n{output}", pytrace=False)
    # Node's summary: some tests ran, and none failed.
    passed = re.search(r"^# pass (\d+)$", result.stdout, re.MULTILINE)
    assert passed is not None and int(passed.group(1)) > 0, output
    assert re.search(r"^# fail 0$", result.stdout, re.MULTILINE), output
