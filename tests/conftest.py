"""Shared fixtures: Sphinx's own test fixtures, plus small on-the-fly projects."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from sphinx.testing.util import SphinxTestApp

pytest_plugins = ("sphinx.testing.fixtures",)

ROOTS = Path(__file__).parent / "roots"
REPO = Path(__file__).parent.parent


@pytest.fixture(scope="session")
def rootdir() -> Path:
    """Where ``@pytest.mark.sphinx(testroot=...)`` finds its ``test-*`` folders."""
    return ROOTS


def write_project(srcdir: Path, files: dict[str, str], conf: str = "") -> Path:
    """Write a Sphinx project: ``conf.py`` (df-table enabled, plus ``conf``) and files."""
    srcdir.mkdir(parents=True, exist_ok=True)
    (srcdir / "conf.py").write_text(
        'extensions = ["sphinx_df_table"]\n' + textwrap.dedent(conf), encoding="utf-8"
    )
    for name, text in files.items():
        path = srcdir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return srcdir


MakeApp = Callable[..., SphinxTestApp]


@pytest.fixture
def build(tmp_path: Path) -> Callable[..., SphinxTestApp]:
    """Write a project and build it in-process; returns the (built) test app.

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
        app = SphinxTestApp(builder, srcdir=src, **kwargs)  # type: ignore[arg-type]
        apps.append(app)
        app.build()
        return app

    yield _build
    for app in apps:
        app.cleanup()


def run_sphinx_build(
    srcdir: Path, outdir: Path, *args: str, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """``python -m sphinx`` in a subprocess: for -j, exit codes and process checks."""
    env = dict(os.environ)
    env.pop("PYTHONWARNINGS", None)
    return subprocess.run(
        [sys.executable, "-m", "sphinx", *args, str(srcdir), str(outdir)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        check=False,
    )


_ANSI = __import__("re").compile(r"\x1b\[[0-9;]*m")


def status_text(app: SphinxTestApp) -> str:
    """What the build logged to its status stream (Sphinx 7.2 calls it ``_status``)."""
    stream = getattr(app, "status", None) or app._status  # type: ignore[attr-defined]
    return _ANSI.sub("", stream.getvalue())


def warning_text(app: SphinxTestApp) -> str:
    """What the build logged to its warning stream (``_warning`` in Sphinx 7.2)."""
    stream = getattr(app, "warning", None) or app._warning  # type: ignore[attr-defined]
    return _ANSI.sub("", stream.getvalue())


def warnings_of(app: SphinxTestApp) -> list[str]:
    """The warning lines of a build, without colour codes."""
    text = warning_text(app)
    return [line for line in text.splitlines() if "WARNING" in line or "ERROR" in line]


@pytest.fixture(scope="module")
def module_build(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., SphinxTestApp]:
    """Like ``build``, but for a module-scoped fixture (one build, many asserts).

    The app's global docutils/Sphinx registrations are cleaned up right after the
    build, so other tests can build meanwhile; its output, environment and
    warnings stay readable.
    """

    def _build(
        files: dict[str, str], conf: str = "", builder: str = "html", **kwargs: object
    ) -> SphinxTestApp:
        src = write_project(tmp_path_factory.mktemp("src"), files, conf)
        app = SphinxTestApp(builder, srcdir=src, **kwargs)  # type: ignore[arg-type]
        try:
            app.build()
        finally:
            app.cleanup()
        return app

    return _build
