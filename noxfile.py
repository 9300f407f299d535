"""The test matrix: which environments the extension is tested in, and what runs there.

``.ci/run`` runs every session. Each one builds its environment with uv and
installs the package with the ``test`` extra, constrained by a pins file:

* ``newest``: the newest releases on Python 3.13; the whole suite (browser,
  packaging, docs, lint and types included).
* ``site``: the public benchmark site's pins on Python 3.10 (Sphinx 5.3,
  docutils 0.19, sphinx-design 0.3, myst-parser 1.0, numpy < 2).
* ``sphinx74``: Sphinx 7.4 on Python 3.12.
* ``minimum``: the declared minimum of every dependency on Python 3.10.

The last three run the tests marked ``matrix``: the extension's own behaviour,
which must hold on every supported version. A missing interpreter is one
printed line and the session is skipped, except under ``CI=true``, where it
fails the run (nox's ``--error-on-missing-interpreters`` default there).
"""

from __future__ import annotations

import nox

nox.options.default_venv_backend = "uv"
nox.options.reuse_existing_virtualenvs = False

#: pytest options every session uses: no cache folder in the checkout.
PYTEST = ("-p", "no:cacheprovider")


#: Printed after installing, so that a CI log says what each session tested.
VERSIONS = (
    "import sys, importlib.metadata as m; print('python', sys.version.split()[0], *("
    "f'{n} {m.version(n)}' for n in ('sphinx', 'docutils', 'pandas', 'numpy', 'matplotlib',"
    " 'sphinx-design', 'myst-parser')), sep=', ')"
)


def _install(session: nox.Session, pins: str | None, extra: str) -> None:
    """Install the package (editable) with ``extra``, constrained by ``pins``."""
    args = ["-e", f".[{extra}]"]
    if pins:
        args = ["-c", pins, *args]
    session.install(*args)
    session.run("python", "-c", VERSIONS)


@nox.session(python="3.13")
def newest(session: nox.Session) -> None:
    """Everything on the newest releases."""
    _install(session, None, extra="test")
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
