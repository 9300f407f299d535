"""Helpers shared by the tests: projects, builds, and reading what a build logged.

Fixtures live in ``conftest.py``; tests import these functions from here, never
from ``conftest``. Where Sphinx's testing API differs between the versions the
extension supports (5.3 to the newest), the difference is kept in one function
here.
"""

from __future__ import annotations

import inspect
import os
import re
import shutil
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sphinx
from sphinx.testing.util import SphinxTestApp

TESTS = Path(__file__).parent
REPO = TESTS.parent
#: Sphinx test projects, one ``test-<name>/`` folder each (``testroot="<name>"``).
ROOTS = TESTS / "roots"

MakeApp = Callable[..., SphinxTestApp]

_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def sphinx_path(path: Path) -> Any:
    """``path`` as the type Sphinx's test fixtures expect for ``rootdir`` and ``srcdir``.

    Sphinx < 7.2 joins and copies them with its own ``sphinx.testing.path.path``
    (a ``str`` subclass with ``copytree``); Sphinx 7.2 and later use ``pathlib``.
    """
    if sphinx.version_info >= (7, 2):
        return path
    from sphinx.testing.path import path as legacy_path  # type: ignore[import-not-found,unused-ignore]

    return legacy_path(str(path))


def make_app(buildername: str, srcdir: Path, *, verbosity: int = 0, **kwargs: Any) -> SphinxTestApp:
    """A ``SphinxTestApp`` for the project in ``srcdir``, not yet built.

    ``verbosity`` is the number of ``-v`` flags; ``kwargs`` go to
    ``SphinxTestApp`` (``confoverrides``, ``freshenv``, ...). The caller calls
    ``cleanup()``, newest app first. Sphinx before 7.3 (or so) takes no
    ``verbosity``: there it is set on the app afterwards, and the app's logging
    set up again so that its status stream shows the verbose messages.
    """
    takes_verbosity = "verbosity" in inspect.signature(SphinxTestApp.__init__).parameters
    if takes_verbosity:
        kwargs["verbosity"] = verbosity
    app = SphinxTestApp(buildername, srcdir=sphinx_path(srcdir), **kwargs)
    if not takes_verbosity and verbosity:
        from sphinx.util import logging as sphinx_logging

        app.verbosity = verbosity
        sphinx_logging.setup(app, app._status, app._warning)
    return app


def out_dir(app: SphinxTestApp) -> Path:
    """``app``'s output folder as a ``pathlib.Path``.

    Sphinx before 7.2 gives a ``sphinx.testing.path.path`` (a ``str``, with no
    ``glob``); later versions a ``Path``.
    """
    return Path(app.outdir)


def copy_root(name: str, dest: Path) -> Path:
    """Copy test root ``tests/roots/test-<name>/`` to ``dest`` (created); returns ``dest``.

    For tests that edit a project's files between builds, so the stored root is
    never changed.
    """
    shutil.copytree(ROOTS / f"test-{name}", dest, dirs_exist_ok=True)
    return dest


#: Sphinx 7.3 and 7.4 end a warning with its [type.subtype] only when asked
#: (the default from 8.0; before 7.3 df-table adds it itself, and Sphinx
#: ignores the setting it does not know).
SHOW_TYPES = "show_warning_types = True\n"


def write_project(srcdir: Path, files: dict[str, str], conf: str = "") -> Path:
    """Write a Sphinx project into ``srcdir`` (created); returns ``srcdir``.

    ``conf.py`` enables df-table, then holds ``conf`` (dedented); ``files`` maps
    paths relative to ``srcdir`` to their text, dedented and without a leading
    newline. For tests that generate their pages; fixed projects are test roots.
    """
    srcdir.mkdir(parents=True, exist_ok=True)
    (srcdir / "conf.py").write_text(
        'extensions = ["sphinx_df_table"]\n' + SHOW_TYPES + textwrap.dedent(conf),
        encoding="utf-8",
    )
    for name, text in files.items():
        path = srcdir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return srcdir


def run_sphinx_build(
    srcdir: Path, outdir: Path, *args: str, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m sphinx [args] srcdir outdir`` in a subprocess (for -j, exit codes
    and process checks); returns the finished process, output as text.

    ``timeout`` is in seconds; raises ``subprocess.TimeoutExpired`` past it.
    """
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


def status_text(app: SphinxTestApp) -> str:
    """What the build logged to its status stream, without colour codes.

    Sphinx 7.2 names the stream ``_status``; other versions ``status``.
    """
    stream = getattr(app, "status", None) or app._status  # type: ignore[attr-defined]
    return _ANSI.sub("", stream.getvalue())


def warning_text(app: SphinxTestApp) -> str:
    """What the build logged to its warning stream, without colour codes.

    Sphinx 7.2 names the stream ``_warning``; other versions ``warning``.
    """
    stream = getattr(app, "warning", None) or app._warning  # type: ignore[attr-defined]
    return _ANSI.sub("", stream.getvalue())


def warnings_of(app: SphinxTestApp) -> list[str]:
    """The WARNING and ERROR lines a build logged, without colour codes."""
    text = warning_text(app)
    return [line for line in text.splitlines() if "WARNING" in line or "ERROR" in line]


def resolved_doctree(app: SphinxTestApp, docname: str) -> Any:
    """``docname``'s doctree after Sphinx's post-transforms (references resolved).

    Sphinx 9 asks for the build's ``tags`` (and warns without them); earlier
    versions do not take them.
    """
    env = app.env
    if "tags" in inspect.signature(env.get_and_resolve_doctree).parameters:
        return env.get_and_resolve_doctree(docname, app.builder, tags=app.tags)
    return env.get_and_resolve_doctree(docname, app.builder)


#: ``shared_result`` names whose project this test session has built.
_BUILT_SHARED: set[str] = set()


def build_once(app: SphinxTestApp, shared_result: str | None) -> None:
    """Build ``app``, unless a test with the same ``shared_result`` name built it.

    Sphinx's fixtures give tests marked ``test_params(shared_result=name)`` one
    source directory, and the status and warnings of the first of them, but each
    its own app. That app skips ``build()`` when its output directory is not
    empty, which on Sphinx 8.0 it never is (the HTML builder creates files when
    the app starts), so the project would never be built: this records which
    ones were built instead. A ``shared_result`` name must belong to one module
    (Sphinx forgets the stored warnings at the end of each module).
    """
    if shared_result is not None and shared_result in _BUILT_SHARED:
        return
    SphinxTestApp.build(app)  # not the skipping wrapper's build()
    if shared_result is not None:
        _BUILT_SHARED.add(shared_result)


#: The environment variable that tags a test's processes (see tagged_processes).
TAG_VAR = "DF_TABLE_TEST_TAG"


def tagged_processes(tag: str) -> list[tuple[int, str]]:
    """Live (not zombie) processes (pid, command line) whose initial environment
    holds ``TAG_VAR=tag``: a test puts a unique tag in its environment, which
    the workers (and anything they start) inherit."""
    found = []
    needle = f"{TAG_VAR}={tag}".encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes()
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:  # gone meanwhile, or not ours to read
            continue
        state = stat.rsplit(")", 1)[1].split()[0]
        if needle in environ.split(b"\0") and state != "Z":
            found.append((int(entry.name), cmdline))
    return found


def worker_pids(tag: str) -> list[int]:
    """The live df-table worker processes tagged ``tag``."""
    return [pid for pid, cmd in tagged_processes(tag) if "sphinx_df_table.worker" in cmd]


def fork_servers(tag: str) -> list[int]:
    """The workers among :func:`worker_pids`, without their snippets' child
    processes (which carry the worker's command line, and may be alive for a
    moment after their answer was taken)."""
    named = worker_pids(tag)
    return [pid for pid in named if parent_pid(pid) not in (0, *named)]


def parent_pid(pid: int) -> int:
    """The parent of ``pid``; 0 once ``pid`` is gone."""
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return 0


def wait_until_gone(tag: str, seconds: float = 0.0) -> list[tuple[int, str]]:
    """The processes tagged ``tag`` still there after up to ``seconds`` of waiting."""
    deadline = time.monotonic() + seconds
    while True:
        left = tagged_processes(tag)
        if not left or time.monotonic() >= deadline:
            return left
        time.sleep(0.05)
