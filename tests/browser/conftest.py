"""Fixtures of the browser tests: built sites served on localhost, and headless Chromium.

The browser is the system's Chromium (``apt-get install chromium``, as ``.ci/run``
does), driven by Playwright; Playwright's own browser download is never used.
``DF_TABLE_CHROMIUM`` names another executable. Without a browser or without
Playwright these tests fail with a message saying what to install: they are
never skipped, so a CI without a browser cannot pass them by accident.

The sites are built once per session, all at the same time: this project's
documentation (its example page has the interactive tables) and a small site
per theme.
"""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from ..helpers import REPO, write_project

ARTIFACTS = REPO / "tests" / "artifacts"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test under ``tests/browser/`` ``browser`` (``-m "not browser"`` skips them)."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.path).parents:
            item.add_marker(pytest.mark.browser)


CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
THEMES = ("alabaster", "furo", "pydata_sphinx_theme")
BUILD_TIMEOUT = 180


def find_chromium() -> str:
    """The Chromium executable, or a test failure that says how to get one."""
    named = os.environ.get("DF_TABLE_CHROMIUM")
    if named:
        if shutil.which(named) is None:
            pytest.fail(f"DF_TABLE_CHROMIUM={named!r} is not an executable", pytrace=False)
        return named
    for name in CHROMIUM_NAMES:
        if path := shutil.which(name):
            return path
    pytest.fail(
        "the browser tests need Chromium: install it with `apt-get install chromium` "
        "(.ci/run does) or set DF_TABLE_CHROMIUM to a Chromium/Chrome executable",
        pytrace=False,
    )


def theme_site(theme: str) -> dict[str, str]:
    """A page with two wide, long interactive tables in a tab-set, and text around them."""
    table = """\
   .. tab-item:: {tab}

      .. df-table:: {caption}
         :interactive:
         :download:
         :name: {name}
         :formats: Cost: ${{:,.3f}}

         rng = np.random.default_rng({seed})
         n = 60
         df = pd.DataFrame({{"Model": [f"model-{{i:02d}}" for i in range(n)]}})
         df["Instance"] = rng.choice(["trn1.2xlarge", "trn1.32xlarge", "inf2.xlarge"], n)
         df["Throughput"] = (10 ** rng.uniform(0, 4.7, n)).round(2)
         df["Cost"] = 1.0e6 / df["Throughput"] * 9.46 / 3.6e3
         for k in range(16):
             df[f"Metric {{k}}"] = rng.integers(0, 10_000, n)
         df.loc[df.index % 7 == 3, "Metric 0"] = None
"""
    text = "Lorem ipsum dolor sit amet, consectetur adipiscing elit. " * 12
    body = "\n".join(
        table.format(tab=tab, caption=caption, name=name, seed=seed)
        for tab, caption, name, seed in [
            ("First", "First table", "first", 1),
            ("Second", "Second table", "second", 2),
        ]
    )
    index = f"Interactive tables\n==================\n\n{text}\n\n.. tab-set::\n\n{body}\n{text}\n"
    index += "\n".join(f"\nMore text\n---------\n\n{text}\n" for _ in range(6))
    conf = f'extensions += ["sphinx_design"]\nhtml_theme = "{theme}"\n'
    if theme == "pydata_sphinx_theme":
        conf += 'html_theme_options = {"navigation_with_keys": False}\n'
    # An ordinary (not interactive) wide table with numbers, in a tab-set.
    plain = (
        ":orphan:\n\nPlain table\n===========\n\n.. tab-set::\n\n   .. tab-item:: Wide\n\n"
        "      .. df-table:: A plain wide table\n         :name: plain\n\n"
        "         df = pd.DataFrame({f'Column number {k}': [k * 1234.5, k * 2.25]"
        " for k in range(24)})\n"
    )
    return {"conf": conf, "index.rst": index, "plain.rst": plain}


@dataclass
class Site:
    """A built site and the URL it is served at."""

    root: Path
    url: str

    def page(self, path: str) -> str:
        return f"{self.url}/{path}"


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def build_html(jobs: dict[str, tuple[Path, Path]]) -> None:
    """Build each ``name: (source, output)`` project as HTML, all at the same
    time; the test fails on any warning or error, naming the project."""
    env = dict(os.environ)
    env.pop("PYTHONWARNINGS", None)
    processes = {
        name: subprocess.Popen(
            [
                sys.executable,
                "-m",
                "sphinx",
                "-W",
                "--keep-going",
                "-q",
                "-b",
                "html",
                "-d",
                str(out / ".doctrees"),
                str(src),
                str(out),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for name, (src, out) in jobs.items()
    }
    failures = []
    for name, process in processes.items():
        try:
            _out, err = process.communicate(timeout=BUILD_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            _out, err = process.communicate()
        if process.returncode != 0:
            failures.append(f"{name}: exit {process.returncode}\n{err}")
    if failures:
        pytest.fail("building the sites failed:\n" + "\n".join(failures), pytrace=False)


@contextlib.contextmanager
def serve(roots: dict[str, Path]) -> Iterator[dict[str, Site]]:
    """Each built site of ``roots`` served over HTTP on localhost (a free port
    each) while the ``with`` block runs."""
    servers = []
    served = {}
    for name, root in roots.items():
        handler = functools.partial(_QuietHandler, directory=str(root))
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        served[name] = Site(root, f"http://127.0.0.1:{server.server_address[1]}")
    try:
        yield served
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()


@pytest.fixture(scope="session")
def built_sites(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Build the docs and one site per theme, in parallel; fail on any warning."""
    base = tmp_path_factory.mktemp("sites")
    jobs: dict[str, tuple[Path, Path]] = {"docs": (REPO / "docs", base / "docs")}
    for theme in THEMES:
        files = theme_site(theme)
        conf = files.pop("conf")
        src = write_project(base / f"src-{theme}", files, conf)
        jobs[theme] = (src, base / theme)
    build_html(jobs)
    return {name: out for name, (_src, out) in jobs.items()}


@pytest.fixture(scope="session")
def sites(built_sites: dict[str, Path]) -> Iterator[dict[str, Site]]:
    """Each built site served over HTTP on localhost (a free port each)."""
    with serve(built_sites) as served:
        yield served


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Headless Chromium (the system's), through Playwright."""
    executable = find_chromium()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("the browser tests need Playwright: pip install -e '.[test]'", pytrace=False)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class PageErrors(list[str]):
    """JavaScript errors and failed requests seen by a page."""


def _console(errors: PageErrors, message: Any) -> None:
    """Keep console errors of df-table's script and failed requests (a missing asset).

    Themes log their own (pydata-sphinx-theme: "Got invalid theme mode" without
    local storage); Chromium asks every site for /favicon.ico, which these lack.
    """
    url = message.location.get("url", "")
    if message.type != "error" or url.endswith("/favicon.ico"):
        return
    if "df-table" in url or message.text.startswith("Failed to load resource"):
        errors.append(f"console: {message.text} ({url})")


@pytest.fixture
def new_page(browser: Any) -> Iterator[Any]:
    """``new_page(width=1280, height=720, javascript=True, color_scheme="light")``: a page
    in a fresh context (``color_scheme="dark"``: the reader's system prefers dark).

    Uncaught JavaScript errors and console errors are collected on
    ``page.errors``; the test fails at the end if there are any.
    """
    contexts = []
    pages = []

    def _new_page(
        width: int = 1280, height: int = 720, javascript: bool = True, color_scheme: str = "light"
    ) -> Any:
        context = browser.new_context(
            viewport={"width": width, "height": height},
            java_script_enabled=javascript,
            accept_downloads=True,
            color_scheme=color_scheme,
        )
        contexts.append(context)
        page = context.new_page()
        page.errors = PageErrors()
        page.on("pageerror", lambda exc: page.errors.append(f"page error: {exc}"))
        page.on("console", functools.partial(_console, page.errors))
        pages.append(page)
        return page

    yield _new_page
    errors = [error for page in pages for error in page.errors]
    for context in contexts:
        context.close()
    assert errors == []


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Where screenshots are kept (git-ignored)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
