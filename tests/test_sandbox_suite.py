"""The bad-input suite: one hostile page, built once, then one assertion per table.

Every bad snippet must give exactly one ``df_table.<subtype>`` warning at the
document line of the snippet line to blame (the directive's line when no line is
to blame); every good table between them must still render, and each good table
also checks from inside the worker that the bad snippet before it left nothing
behind (working directory, ``sys.path``, environment, options, builtins, ...).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from sphinx.testing.util import SphinxTestApp

from .helpers import warnings_of, write_project

pytestmark = pytest.mark.matrix


@dataclass(frozen=True)
class Case:
    """One bad snippet: what it is, what warning it must give and where."""

    id: str
    subtype: str
    code: str
    #: 1-based snippet line the warning must point at; None: the directive's line.
    line: int | None
    #: Parts the warning message must contain.
    says: tuple[str, ...] = ()
    options: tuple[str, ...] = ()


# The snippets below run in ``<srcdir>/hostile/``; ``secret.csv`` sits next to
# ``<srcdir>``, outside it, and ``hostile/escape.csv`` is a symlink to it.
ALLOW_HINT = "df_table_allowed_paths"
UNSAFE_HINT = "df_table_allow_unsafe = True"
RESPONSE_FD = "int(sys.argv[2])"  # the worker's answer pipe, as a snippet can find it

CASES = [
    # --- runs too long: stopped, located at the line that was running -------------
    Case("while-true", "timeout", "x = 1\nwhile True: x += 1", 2, ("1 s",), (":timeout: 1",)),
    Case("sleep", "timeout", "import time\ntime.sleep(60)", 2, ("within 1 s",), (":timeout: 1",)),
    Case(
        "long-c-call",
        "timeout",
        "total = 0\ntotal = sum(range(10**13))",
        2,
        ("within 1 s",),
        (":timeout: 1",),
    ),
    Case(
        "timeout-in-function",
        "timeout",
        "def spin():\n    while True: pass\n\nspin()",
        2,
        (),
        (":timeout: 0.5",),
    ),
    # --- leaves: the worker dies, the build goes on -------------------------------
    Case("os-exit", "crash", "import os\nos._exit(3)", 2, ("exited with status 3",)),
    Case("segfault", "crash", "import ctypes\nctypes.string_at(0)", 2, ("SIGSEGV",)),
    Case("abort", "crash", "import os\nx = 1\nos.abort()", 3, ("SIGABRT",)),
    Case("sys-exit", "exception", "import sys\nsys.exit()", 2, ("SystemExit",)),
    Case("sys-exit-3", "exception", "import sys\nx = 1\nsys.exit(3)", 3, ("SystemExit: 3",)),
    Case("keyboard-interrupt", "exception", "x = 1\nraise KeyboardInterrupt", 2, ()),
    Case(
        "base-exception",
        "exception",
        "class Boom(BaseException):\n    pass\n\nraise Boom('bang')",
        4,
        ("Boom: bang",),
    ),
    # --- memory (df_table_memory_limit = "1GiB") ----------------------------------
    Case(
        "numpy-memory",
        "memory",
        "x = 1\nbig = np.ones(10**9)",
        2,
        ("Unable to allocate", "df_table_memory_limit"),
    ),
    Case("list-memory", "memory", "big = [0] * (2 * 10**8)", 1, ("MemoryError",)),
    # --- reading outside the source directory ------------------------------------
    Case(
        "etc-passwd",
        "access",
        "text = open('/etc/passwd').read()",
        1,
        ("'/etc/passwd'", ALLOW_HINT),
    ),
    Case(
        "parent-dir",
        "access",
        "x = 1\ndf = pd.read_csv('../../secret.csv')",
        2,
        ("secret.csv", ALLOW_HINT),
    ),
    Case(
        "symlink-out",
        "access",
        "df = pd.read_csv('escape.csv')",
        1,
        ("'escape.csv' (->", "secret.csv", ALLOW_HINT),
    ),
    Case(
        "pathlib-hostname",
        "access",
        "from pathlib import Path\nname = Path('/etc/hostname').read_text()",
        2,
        ("/etc/hostname", ALLOW_HINT),
    ),
    Case(
        "home-dir",
        "access",
        "import os\nopen(os.path.expanduser('~/.bashrc'))",
        2,
        (".bashrc", ALLOW_HINT),
    ),
    Case(
        "numpy-loadtxt",
        "access",
        "rows = np.loadtxt('/etc/passwd', dtype=str, delimiter=':')",
        1,
        ("/etc/passwd",),
    ),
    # --- writing, processes, network, signals ------------------------------------
    Case("open-write", "access", "open('out.txt', 'w')", 1, ("'out.txt'", UNSAFE_HINT)),
    Case(
        "to-csv",
        "access",
        "df = pd.DataFrame({'a': [1]})\ndf.to_csv('out.csv')",
        2,
        ("writing files", UNSAFE_HINT),
    ),
    Case("os-remove", "access", "import os\nos.remove('../data.csv')", 2, ("os.remove",)),
    Case("rmtree", "access", "import shutil\nshutil.rmtree('..')", 2, ("shutil.rmtree",)),
    Case(
        "sqlite-create",
        "access",
        "import sqlite3\ncon = sqlite3.connect('new.db')",
        2,
        ("creating the database", UNSAFE_HINT),
    ),
    Case(
        "subprocess",
        "access",
        "import subprocess\nsubprocess.run(['true'])",
        2,
        ("starting processes", UNSAFE_HINT),
    ),
    Case("os-system", "access", "import os\nos.system('true')", 2, ("os.system",)),
    Case(
        "socket",
        "access",
        "import socket\ns = socket.socket()\ns.connect(('127.0.0.1', 9))",
        3,
        ("network access", UNSAFE_HINT),
    ),
    Case(
        "urlopen",
        "access",
        "import urllib.request\nurllib.request.urlopen('http://example.com/x.csv')",
        2,
        ("network access",),
    ),
    Case(
        "signal-parent",
        "access",
        "import os\nos.kill(os.getppid(), 0)",
        2,
        ("os.kill", UNSAFE_HINT),
    ),
    # --- code that runs after the snippet's last line meets the same policy -------
    Case(
        "finalizer-write",
        "exception",
        "class Sneaky:\n"
        "    def __del__(self):\n"
        "        open('escaped.txt', 'w').write('written after the snippet')\n"
        "keep = Sneaky()\n"
        "raise RuntimeError('leaving a finalizer behind')",
        5,
        ("leaving a finalizer behind",),
    ),
    Case(
        "str-during-render",
        "access",
        "class Sneaky:\n"
        "    def __str__(self):\n"
        "        open('escaped-render.txt', 'w')\n"
        "        return 'cell'\n"
        "df = pd.DataFrame({'a': [Sneaky()]})",
        3,
        ("writing files",),
    ),
    Case(
        "output-flood",
        "exception",
        # 64 MB, bounded so that a regression cannot fill the disk.
        "x = 1\nfor _ in range(64): print('x' * 10**6)",
        2,
        ("File too large",),
    ),
    # --- tampering with the worker's pipe ----------------------------------------
    Case(
        "half-message",
        "timeout",
        "import os, struct, sys, time\n"
        f"os.write({RESPONSE_FD}, struct.pack('!Q', 1000) + b'half')\n"
        "time.sleep(60)",
        3,
        (),
        (":timeout: 1",),
    ),
    Case(
        "forged-answer",
        "crash",
        "import os, pickle, struct, sys\n"
        "data = pickle.dumps({'id': -1, 'result': None})\n"
        f"os.write({RESPONSE_FD}, struct.pack('!Q', len(data)) + data)\n"
        "df = pd.DataFrame({'a': [1]})",
        None,
        ("garbled answer",),
    ),
    Case(
        "close-pipe",
        "crash",
        f"import os, sys\nos.close({RESPONSE_FD})\ndf = pd.DataFrame({{'a': [1]}})",
        None,
        ("exited with status",),
    ),
    # --- ordinary mistakes -------------------------------------------------------
    Case("syntax", "syntax", "x = 1\ndf = = 2", 2, ("SyntaxError",)),
    Case("indentation", "syntax", "x = 1\n    y = 2", 2, ("IndentationError",)),
    Case("name-error", "exception", "x = 1\ndf = undefined_name", 2, ("NameError",)),
    Case(
        "missing-csv",
        "exception",
        "x = 1\ndf = pd.read_csv('no-such.csv')\ny = 2",
        2,
        ("FileNotFoundError",),
    ),
    Case(
        "recursion",
        "exception",
        "def down(n):\n    return down(n + 1)\n\ndf = down(0)",
        2,
        ("RecursionError",),
    ),
    Case("no-df", "result", "frame = pd.DataFrame({'a': [1]})", None, ("did not define 'df'",)),
    Case("not-a-frame", "result", "df = 42", None, ("not int",)),
    Case("empty-frame", "result", "df = pd.DataFrame()", None, ("empty DataFrame",)),
    # --- changes that must not reach the next snippet (checked by the good table after)
    Case(
        "mess-process-state",
        "exception",
        "import os, sys, warnings\n"
        "os.chdir('/')\n"
        "sys.path.insert(0, '/injected')\n"
        "os.environ['DF_TABLE_LEAK'] = '1'\n"
        "pd.set_option('display.precision', 1)\n"
        "np.seterr(all='raise')\n"
        "warnings.filterwarnings('error', message='df-table-leak')\n"
        "sys.setrecursionlimit(80)\n"
        "raise RuntimeError('left a mess')",
        9,
        ("RuntimeError: left a mess",),
    ),
    Case(
        "mess-modules",
        "exception",
        "import builtins, sys\n"
        "builtins.len = None\n"
        "pd.read_csv = None\n"
        "pd.DataFrame.head = None\n"
        "pd.api.extensions.register_dataframe_accessor('leak')(object)\n"
        "sys.modules['pandas'] = None\n"
        "sys.modules['df_table_fake'] = 42\n"
        "raise RuntimeError('patched')",
        8,
        ("patched",),
    ),
    Case(
        "mess-streams",
        "exception",
        "import os, sys\n"
        "sys.stdout.close()\n"
        "sys.stderr = None\n"
        "os.close(1)\n"
        "raise RuntimeError('streams closed')",
        5,
        ("streams closed",),
    ),
    Case(
        "mess-signals",
        "exception",
        "import signal, sys\n"
        "signal.alarm(1)\n"
        "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        "sys.settrace(lambda *args: None)\n"
        "raise RuntimeError('armed')",
        5,
        ("armed",),
    ),
    Case(
        "mess-thread",
        "exception",
        "import os, threading, time\n"
        "def later():\n"
        "    time.sleep(0.3)\n"
        "    os._exit(7)\n"
        "threading.Thread(target=later, daemon=True).start()\n"
        "raise RuntimeError('thread left behind')",
        6,
        ("thread left behind",),
    ),
]

# Runs after every bad table: a table whose "isolation" cell names whatever a
# previous snippet left behind, or says "clean".
GOOD = """\
import os, signal, sys, threading, time, warnings
import pandas
time.sleep({pause})
checks = {{
    "cwd": os.getcwd() == {here!r},
    "sys.path": "/injected" not in sys.path,
    "environ": "DF_TABLE_LEAK" not in os.environ,
    "pandas option": pd.get_option("display.precision") == 6,
    "numpy errors": np.geterr()["divide"] == "warn",
    "warning filters": not any(
        f[1] is not None and f[1].pattern == "df-table-leak" for f in warnings.filters
    ),
    "recursion limit": sys.getrecursionlimit() >= 1000,
    "builtins": callable(len),
    "pandas attributes": callable(pd.read_csv) and callable(pd.DataFrame.head),
    "accessor": not hasattr(pd.DataFrame, "leak"),
    "sys.modules": pandas is pd and "df_table_fake" not in sys.modules,
    "stdout": not sys.stdout.closed and sys.stderr is not None,
    "alarm": signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0),
    "SIGTERM": signal.getsignal(signal.SIGTERM) is signal.SIG_DFL,
    "trace": sys.gettrace() is None,
    "threads": threading.active_count() == 1,
}}
print("a good table prints")
df = pd.DataFrame({{
    "marker": ["GOOD-{n}"],
    "isolation": [", ".join(k for k, ok in checks.items() if not ok) or "clean"],
    "rows": [len(pd.read_csv("../data.csv"))],
}})
"""
#: After the thread case, give its thread time to fire if it is still there.
PAUSE_AFTER = {"mess-thread": 0.6}


def _directive(code: str, options: tuple[str, ...] = ()) -> list[str]:
    lines = [".. df-table::", *(f"   {o}" for o in options), ""]
    lines += [f"   {line}" if line else "" for line in code.splitlines()]
    return [*lines, ""]


def hostile_page(here: str) -> tuple[str, dict[str, int]]:
    """The page text, and the document line each case's warning must name."""
    lines = ["Hostile snippets", "================", ""]
    expected: dict[str, int] = {}
    for n, case in enumerate(CASES):
        directive_line = len(lines) + 1
        block = _directive(case.code, case.options)
        body_start = directive_line + len(case.options) + 2  # first snippet line
        expected[case.id] = directive_line if case.line is None else body_start + case.line - 1
        lines += block
        good = GOOD.format(n=n, here=here, pause=PAUSE_AFTER.get(case.id, 0))
        lines += _directive(good)
    return "\n".join(lines), expected


@dataclass
class Built:
    app: SphinxTestApp
    srcdir: Path
    expected: dict[str, int]
    warnings: list[str]
    soup: BeautifulSoup


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    root = tmp_path_factory.mktemp("hostile")
    srcdir = root / "src"
    (root / "secret.csv").write_text("secret\n42\n", encoding="utf-8")
    page, expected = hostile_page(str(srcdir / "hostile"))
    write_project(
        srcdir,
        {
            "index.rst": "Index\n=====\n\n.. toctree::\n\n   hostile/page\n",
            "data.csv": "a,b\n1,2\n3,4\n",
        },
        conf='df_table_memory_limit = "1GiB"\ndf_table_timeout = 20\n',
    )
    # Written as is: write_project dedents, which would mangle the snippets.
    (srcdir / "hostile" / "page.rst").parent.mkdir()
    (srcdir / "hostile" / "page.rst").write_text(page, encoding="utf-8")
    (srcdir / "hostile" / "escape.csv").symlink_to(root / "secret.csv")
    app = SphinxTestApp("html", srcdir=srcdir)
    try:
        app.build()
    finally:
        app.cleanup()
    html = (app.outdir / "hostile" / "page.html").read_text(encoding="utf-8")
    yield Built(app, srcdir, expected, warnings_of(app), BeautifulSoup(html, "html.parser"))


_WARNING = re.compile(r"^(?P<path>.+?):(?P<line>\d+): WARNING: (?P<msg>.*) \[df_table\.(\w+)\]$")


def test_suite_is_big_enough() -> None:
    assert len(CASES) >= 25
    assert len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_table_gives_one_located_warning(hostile: Built, case: Case) -> None:
    where = f"hostile/page.rst:{hostile.expected[case.id]}: WARNING:"
    found = [w for w in hostile.warnings if where in w]
    assert len(found) == 1, f"expected one warning at {where}, got {found}"
    match = _WARNING.match(found[0])
    assert match, found[0]
    assert match.group(4) == case.subtype, found[0]
    for part in case.says:
        assert part in match.group("msg"), found[0]


def test_no_other_warnings(hostile: Built) -> None:
    assert len(hostile.warnings) == len(CASES), "\n".join(hostile.warnings)
    assert all("[df_table." in w for w in hostile.warnings), "\n".join(hostile.warnings)


@pytest.mark.parametrize("n", range(len(CASES)), ids=[f"after-{c.id}" for c in CASES])
def test_good_table_renders_clean(hostile: Built, n: int) -> None:
    cell = hostile.soup.find(string=f"GOOD-{n}")
    assert cell is not None, f"good table GOOD-{n} (after {CASES[n].id}) is missing"
    row = [td.get_text(strip=True) for td in cell.find_parent("tr").find_all("td")]
    assert row == [f"GOOD-{n}", "clean", "2"], f"after {CASES[n].id}: {row}"


def test_refused_writes_left_no_trace(hostile: Built) -> None:
    assert (hostile.srcdir / "data.csv").read_text(encoding="utf-8") == "a,b\n1,2\n3,4\n"
    for name in ("out.txt", "out.csv", "new.db", "escaped.txt", "escaped-render.txt"):
        assert not (hostile.srcdir / "hostile" / name).exists()
