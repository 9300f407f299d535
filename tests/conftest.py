"""Shared fixtures: Sphinx's own test fixtures (test roots in ``tests/roots``), plus
small generated projects for the tests that generate their pages."""

from __future__ import annotations

import contextlib
import os
import signal
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sphinx.testing.util import SphinxTestApp

from .helpers import (
    ROOTS,
    TAG_VAR,
    MakeApp,
    build_once,
    make_app,
    sphinx_path,
    tagged_processes,
    write_project,
)

pytest_plugins = ("sphinx.testing.fixtures",)

#: Test modules with no ``matrix`` test that import what only the ``test``
#: extra installs (the old-version sessions install ``test-core``).
NEWEST_ONLY_MODULES = frozenset({"test_dataframe_libraries.py"})


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """In a ``-m matrix`` run, do not import the modules of :data:`NEWEST_ONLY_MODULES`.

    None of their tests is selected there anyway; importing them would fail
    on the libraries those sessions do not install. Everywhere else they are
    collected, so a missing library fails loudly instead of being skipped.
    """
    if collection_path.name in NEWEST_ONLY_MODULES and config.getoption("markexpr") == "matrix":
        return True
    return None


@pytest.fixture(scope="session")
def rootdir() -> Any:
    """Where ``@pytest.mark.sphinx(testroot=...)`` finds its ``test-*`` folders."""
    return sphinx_path(ROOTS)


@pytest.fixture
def built(app: SphinxTestApp, test_params: dict[str, Any]) -> SphinxTestApp:
    """Sphinx's ``app`` fixture (its test root copied to a temp dir), built.

    With ``@pytest.mark.test_params(shared_result=...)`` only the first test of
    that name builds; the others see its output and its logged status/warnings.
    """
    build_once(app, test_params["shared_result"])
    return app


@pytest.fixture
def build(tmp_path: Path) -> Iterator[MakeApp]:
    """Write a generated project and build it in-process; returns the (built) test app.

    ``build({"index.rst": ...}, conf="...", builder="html")``. The app is
    cleaned up (worker stopped) at the end of the test.
    """
    apps: list[SphinxTestApp] = []

    def _build(
        files: dict[str, str],
        conf: str = "",
        builder: str = "html",
        srcdir: Path | None = None,
        **kwargs: object,
    ) -> SphinxTestApp:
        src = write_project(srcdir or tmp_path / "src", files, conf)
        app = make_app(builder, src, **kwargs)
        apps.append(app)
        app.build()
        return app

    yield _build
    # Newest first: each app restores the docutils registry it found, so in any
    # other order an older app's directives stay registered (and Sphinx before
    # 7 warns "already registered" in every later build).
    for app in reversed(apps):
        app.cleanup()


@pytest.fixture
def tag(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A unique tag in this test's environment; afterwards, kill whatever still has it."""
    value = uuid.uuid4().hex
    monkeypatch.setenv(TAG_VAR, value)
    yield value
    for pid, _ in tagged_processes(value):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
