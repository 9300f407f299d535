"""The test matrix: which environments the extension is tested in, and what runs there.

``.ci/run`` runs every session. Each test session builds its environment with
uv and installs the package (editable) constrained by a pins file:

* ``newest``: the newest releases on Python 3.13, with the ``test`` extra (polars,
  pyarrow and narwhals included, for the other DataFrame libraries); the
  whole suite (browser, packaging, PDF, docs, lint and types included). The
  ``browser`` and ``pdf`` tests are not marked ``matrix``, so the sessions
  below skip them by marker.
* ``site``: the public benchmark site's pins on Python 3.10 (Sphinx 5.3,
  docutils 0.19, sphinx-design 0.3, myst-parser 1.0, numpy < 2).
* ``sphinx74``: Sphinx 7.4 on Python 3.12.
* ``minimum``: the declared minimum of every dependency on Python 3.10.

These three install the ``test-core`` extra and run the tests marked
``matrix``: the extension's own behaviour, which must hold on every supported
version. ``resolve`` asks pip whether ``pip install sphinx-df-table`` fits
beside each pins file (those above and Sphinx 6.2's) without moving a pin.

Interpreters come from the machine (pyenv's, for instance), never downloaded.
A missing one is one printed line and its session is skipped; ``.ci/run``
makes it fail the run under ``CI=true``.
"""

from __future__ import annotations

import nox

nox.options.default_venv_backend = "uv"
nox.options.reuse_existing_virtualenvs = False
nox.options.download_python = "never"

#: pytest options every session uses: no cache folder in the checkout, and one
#: test process per core (pytest-xdist). A test file stays in one process
#: (``loadfile``): the builds a file's fixtures share are made once.
PYTEST = ("-p", "no:cacheprovider", "-n", "auto", "--dist", "loadfile")


#: Printed after installing, so that a CI log says what each session tested.
VERSIONS = (
    "import sys, importlib.metadata as m; print(f'python {sys.version.split()[0]}', *("
    "f'{n} {m.version(n)}' for n in ('sphinx', 'docutils', 'pandas', 'numpy', 'matplotlib',"
    " 'sphinx-design', 'myst-parser')), sep=', ')"
)


#: uv installs without compiling to bytecode, and where ``PYTHONDONTWRITEBYTECODE``
#: is set (CI images often set it) nothing is ever cached: every process, each
#: snippet worker included, compiled pandas, numpy, matplotlib and Sphinx from
#: source again (1.5 to 2 s per worker start). Compiled once at install instead.
COMPILE = {"UV_COMPILE_BYTECODE": "1"}
#: Fails the session if pandas was installed without its bytecode after all.
COMPILED = (
    "import importlib.util, os, pandas; "
    "assert os.path.exists(importlib.util.cache_from_source(pandas.__file__)), "
    "'pandas was installed without bytecode'"
)


#: The pins files ``resolve`` checks: each test session's, and Sphinx 6.2's.
PINS = (
    ".ci/pins/site.txt",
    ".ci/pins/sphinx62.txt",
    ".ci/pins/sphinx74.txt",
    ".ci/minimum-versions.txt",
)


def _install(session: nox.Session, pins: str | None, extra: str) -> None:
    """Install the package (editable) with ``extra``, constrained by ``pins`` (a file path).

    Then print the versions the session tests, for the log.
    """
    args = ["-e", f".[{extra}]"]
    if pins:
        args = ["-c", pins, *args]
    session.install(*args, env=COMPILE)
    session.run("python", "-c", VERSIONS)
    session.run("python", "-c", COMPILED)


@nox.session(python="3.13")
def newest(session: nox.Session) -> None:
    """Everything on the newest releases."""
    _install(session, None, extra="test")
    # The packaging tests install the built wheel with pip, as users do; uv's
    # venvs have none.
    session.install("pip", env=COMPILE)
    session.run("python", "-m", "pytest", *PYTEST, *session.posargs)


@nox.session(python="3.10")
def site(session: nox.Session) -> None:
    """The benchmark site's pinned environment (Sphinx 5.3, numpy < 2)."""
    _install(session, ".ci/pins/site.txt", extra="test-core")
    session.run("python", "-m", "pytest", *PYTEST, "-m", "matrix", *session.posargs)


@nox.session(python="3.12")
def sphinx74(session: nox.Session) -> None:
    """Sphinx 7.4, the last 7.x release."""
    _install(session, ".ci/pins/sphinx74.txt", extra="test-core")
    session.run("python", "-m", "pytest", *PYTEST, "-m", "matrix", *session.posargs)


@nox.session(python="3.10")
def minimum(session: nox.Session) -> None:
    """The oldest version of every dependency that pyproject.toml declares."""
    _install(session, ".ci/minimum-versions.txt", extra="test-core")
    session.run("python", "-m", "pytest", *PYTEST, "-m", "matrix", *session.posargs)


@nox.session(python="3.10", venv_backend="venv")
def resolve(session: nox.Session) -> None:
    """``pip install sphinx-df-table`` resolves beside each pinned environment.

    pip's own resolver (what users run), in dry-run mode: nothing is installed,
    and a pin that would have to move makes pip fail, and so the session.
    """
    session.install("pip>=24")  # --dry-run needs pip 22.2
    for pins in PINS:
        session.run("python", "-m", "pip", "install", "-q", "--dry-run", "-c", pins, ".")
