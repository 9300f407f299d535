"""Every bad input, in one table of cases, built on one page between good tables.

Each bad snippet (or bad option) must give exactly one ``df_table.<subtype>``
warning at the document line of the snippet line to blame (the directive's line
when no line is to blame), whose message holds the expected parts; every good
table after it must still render, and checks from inside the worker that the
bad snippet before it left nothing behind (working directory, ``sys.path``,
environment, options, builtins, ...).

The page is generated from ``CASES``; the rest of the project is the test root
``roots/test-bad-input``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from sphinx.testing.util import SphinxTestApp

from .helpers import copy_root, make_app, warnings_of

pytestmark = [pytest.mark.matrix, pytest.mark.slow]  # the hostile page takes ~35 s


@dataclass(frozen=True)
class Case:
    """One bad input: the snippet and options, and the warning it must give."""

    name: str
    snippet: str
    subtype: str
    #: 1-based snippet line the warning must point at; None: the directive's line.
    line: int | None
    #: Parts the warning message must contain.
    message_part: tuple[str, ...] = ()
    options: tuple[str, ...] = ()


# The snippets below run in ``<srcdir>/hostile/``; ``secret.csv`` sits next to
# ``<srcdir>``, outside it, and ``hostile/escape.csv`` is a symlink to it.
ALLOW_HINT = "df_table_allowed_paths"
UNSAFE_HINT = "df_table_allow_unsafe = True"
SPHINX_FD = "int(sys.argv[2])"  # the worker's pipe to Sphinx, as a snippet could find it
#: The snippet process's own answer pipe: the one descriptor above 2 it has.
ANSWER_FD = "[f for f in range(3, 4096) if os.path.exists(f'/proc/self/fd/{f}')][0]"

CASES = [
    # --- runs too long: stopped, located at the line that was running -------------
    Case("while-true", "x = 1\nwhile True: x += 1", "timeout", 2, ("1 s",), (":timeout: 1",)),
    Case("sleep", "import time\ntime.sleep(60)", "timeout", 2, ("within 1 s",), (":timeout: 1",)),
    Case(
        "long-c-call",
        "total = 0\ntotal = sum(range(10**13))",
        "timeout",
        2,
        ("within 1 s",),
        (":timeout: 1",),
    ),
    Case(
        "timeout-in-function",
        "def spin():\n    while True: pass\n\nspin()",
        "timeout",
        2,
        (),
        (":timeout: 0.5",),
    ),
    # --- leaves: the worker dies, the build goes on -------------------------------
    Case("os-exit", "import os\nos._exit(3)", "crash", 2, ("exited with status 3",)),
    Case("segfault", "import ctypes\nctypes.string_at(0)", "crash", 2, ("SIGSEGV",)),
    Case("abort", "import os\nx = 1\nos.abort()", "crash", 3, ("SIGABRT",)),
    Case("sys-exit", "import sys\nsys.exit()", "exception", 2, ("SystemExit",)),
    Case("sys-exit-3", "import sys\nx = 1\nsys.exit(3)", "exception", 3, ("SystemExit: 3",)),
    Case("keyboard-interrupt", "x = 1\nraise KeyboardInterrupt", "exception", 2, ()),
    Case(
        "base-exception",
        "class Boom(BaseException):\n    pass\n\nraise Boom('bang')",
        "exception",
        4,
        ("Boom: bang",),
    ),
    # --- memory (df_table_memory_limit = "1GiB") ----------------------------------
    Case(
        "numpy-memory",
        "x = 1\nbig = np.ones(10**9)",
        "memory",
        2,
        ("Unable to allocate", "df_table_memory_limit"),
    ),
    Case("list-memory", "big = [0] * (2 * 10**8)", "memory", 1, ("MemoryError",)),
    # --- reading outside the source directory ------------------------------------
    Case(
        "etc-passwd",
        "text = open('/etc/passwd').read()",
        "access",
        1,
        ("'/etc/passwd'", ALLOW_HINT),
    ),
    Case(
        "parent-dir",
        "x = 1\ndf = pd.read_csv('../../secret.csv')",
        "access",
        2,
        ("secret.csv", ALLOW_HINT),
    ),
    Case(
        "symlink-out",
        "df = pd.read_csv('escape.csv')",
        "access",
        1,
        ("'escape.csv' (->", "secret.csv", ALLOW_HINT),
    ),
    Case(
        "pathlib-hostname",
        "from pathlib import Path\nname = Path('/etc/hostname').read_text()",
        "access",
        2,
        ("/etc/hostname", ALLOW_HINT),
    ),
    Case(
        "home-dir",
        "import os\nopen(os.path.expanduser('~/.bashrc'))",
        "access",
        2,
        (".bashrc", ALLOW_HINT),
    ),
    Case(
        "numpy-loadtxt",
        "rows = np.loadtxt('/etc/passwd', dtype=str, delimiter=':')",
        "access",
        1,
        ("/etc/passwd",),
    ),
    # --- writing, processes, network, signals ------------------------------------
    Case("open-write", "open('out.txt', 'w')", "access", 1, ("'out.txt'", UNSAFE_HINT)),
    Case(
        "to-csv",
        "df = pd.DataFrame({'a': [1]})\ndf.to_csv('out.csv')",
        "access",
        2,
        ("writing files", UNSAFE_HINT),
    ),
    Case("os-remove", "import os\nos.remove('../data.csv')", "access", 2, ("os.remove",)),
    Case("rmtree", "import shutil\nshutil.rmtree('..')", "access", 2, ("shutil.rmtree",)),
    Case(
        "sqlite-create",
        "import sqlite3\ncon = sqlite3.connect('new.db')",
        "access",
        2,
        ("creating the database", UNSAFE_HINT),
    ),
    Case(
        "subprocess",
        "import subprocess\nsubprocess.run(['true'])",
        "access",
        2,
        ("starting processes", UNSAFE_HINT),
    ),
    Case("os-system", "import os\nos.system('true')", "access", 2, ("os.system",)),
    Case(
        "socket",
        "import socket\ns = socket.socket()\ns.connect(('127.0.0.1', 9))",
        "access",
        3,
        ("network access", UNSAFE_HINT),
    ),
    Case(
        "urlopen",
        "import urllib.request\nurllib.request.urlopen('http://example.com/x.csv')",
        "access",
        2,
        ("network access",),
    ),
    Case(
        "signal-parent",
        "import os\nos.kill(os.getppid(), 0)",
        "access",
        2,
        ("os.kill", UNSAFE_HINT),
    ),
    # --- code that runs after the snippet's last line meets the same policy -------
    Case(
        "finalizer-write",
        "class Sneaky:\n"
        "    def __del__(self):\n"
        "        open('escaped.txt', 'w').write('written after the snippet')\n"
        "keep = Sneaky()\n"
        "raise RuntimeError('leaving a finalizer behind')",
        "exception",
        5,
        ("leaving a finalizer behind",),
    ),
    Case(
        "str-during-render",
        "class Sneaky:\n"
        "    def __str__(self):\n"
        "        open('escaped-render.txt', 'w')\n"
        "        return 'cell'\n"
        "df = pd.DataFrame({'a': [Sneaky()]})",
        "access",
        3,
        ("writing files",),
    ),
    Case(
        "output-flood",
        "x = 1\nfor _ in range(64): print('x' * 10**6)",
        # 64 MB, bounded so that a regression cannot fill the disk.
        "exception",
        2,
        ("File too large",),
    ),
    # --- tampering with the worker's pipe ----------------------------------------
    Case(
        # The worker's channel to Sphinx is closed in the snippet's process.
        "sphinx-channel",
        f"import os, sys\nos.write({SPHINX_FD}, b'garbage')\ndf = pd.DataFrame({{'a': [1]}})",
        "exception",
        2,
        ("Bad file descriptor",),
    ),
    Case(
        "half-message",
        "import os, struct, sys, time\n"
        f"os.write({ANSWER_FD}, struct.pack('!Q', 1000) + b'half')\n"
        "time.sleep(60)",
        "timeout",
        3,
        (),
        (":timeout: 1",),
    ),
    Case(
        # A forged answer first, then the real one: bytes after an answer.
        "forged-answer",
        "import os, pickle, struct, sys\n"
        "data = pickle.dumps({'table': None, 'chart': None, 'error': None})\n"
        f"os.write({ANSWER_FD}, struct.pack('!Q', len(data)) + data)\n"
        "df = pd.DataFrame({'a': [1]})",
        "crash",
        None,
        ("bytes after its answer",),
    ),
    Case(
        # A whole, well-framed answer whose table holds a number where a cell's
        # text belongs: refused on decoding, for this table alone.
        "forged-cells",
        "import os, pickle, struct, sys\n"
        "table = {'header': [['a']], 'body': [[1]], 'spans': [], 'index_columns': 0,"
        " 'columns': [['number', 'right']], 'sort_keys': [None], 'truncated': 0,"
        " 'caption': '', 'csv': None, 'ignored': [], 'expectations': [], 'styles': [],"
        " 'styled': [], 'highlighted': []}\n"
        "result = {'table': table, 'chart': None, 'error': None, 'files_read': [],"
        " 'read_stamps': [], 'output': '', 'seconds': 0.0}\n"
        "data = pickle.dumps(result)\n"
        f"os.write({ANSWER_FD}, struct.pack('!Q', len(data)) + data)\n"
        "os._exit(0)",
        "crash",
        None,
        ("malformed answer", "holds something other than text"),
    ),
    Case(
        "close-pipe",
        f"import os, sys\nos.close({ANSWER_FD})\ndf = pd.DataFrame({{'a': [1]}})",
        "crash",
        None,
        ("exited with status",),
    ),
    # --- ordinary mistakes -------------------------------------------------------
    Case("syntax", "x = 1\ndf = = 2", "syntax", 2, ("SyntaxError",)),
    Case("indentation", "x = 1\n    y = 2", "syntax", 2, ("IndentationError",)),
    Case("name-error", "x = 1\ndf = undefined_name", "exception", 2, ("NameError",)),
    Case(
        "missing-csv",
        "x = 1\ndf = pd.read_csv('no-such.csv')\ny = 2",
        "exception",
        2,
        ("FileNotFoundError",),
    ),
    Case(
        "recursion",
        "def down(n):\n    return down(n + 1)\n\ndf = down(0)",
        "exception",
        2,
        ("RecursionError",),
    ),
    Case("no-df", "frame = pd.DataFrame({'a': [1]})", "result", None, ("did not define 'df'",)),
    Case("not-a-frame", "df = 42", "result", None, ("not int",)),
    Case("empty-frame", "df = pd.DataFrame()", "result", None, ("empty DataFrame",)),
    Case(
        "unclosed-paren",
        "x = 1\ndf = pd.DataFrame(\ny = 2",
        "syntax",
        2,
        ("SyntaxError",),
    ),
    Case(
        "key-error",
        "df = pd.DataFrame({'a': [1]})\ndf = df['missing column']",
        "exception",
        2,
        ("KeyError: 'missing column'",),
    ),
    Case(
        "missing-file",
        "x = 1\ndf = pd.read_csv('no-such-file.csv')",
        "exception",
        2,
        ("FileNotFoundError",),
    ),
    Case("preamble-name", "df = helper_from_preamble()", "exception", 1, ("NameError",)),
    Case("not-a-frame-list", "df = [1, 2, 3]", "result", None, ("not list",)),
    Case("empty-column", "df = pd.DataFrame({'a': []})", "result", None, ("empty DataFrame",)),
    # --- bad options: the directive's line ---------------------------------------
    Case(
        "bad-header-rows",
        "df = pd.DataFrame({'a': [1]})",
        "option",
        None,
        (":header-rows:",),
        (":header-rows: many",),
    ),
    Case(
        "bad-markup",
        "df = pd.DataFrame({'a': [1]})",
        "option",
        None,
        (":markup:",),
        (":markup: html",),
    ),
    Case(
        "bad-var",
        "df = pd.DataFrame({'a': [1]})",
        "option",
        None,
        (":df-var:",),
        (":df-var: 2x",),
    ),
    Case(
        "too-many-header-rows",
        "df = pd.DataFrame({'a': [1]})",
        "option",
        None,
        ("leaves no body rows",),
        (":header-rows: 2",),
    ),
    Case(
        "widths-mismatch",
        "df = pd.DataFrame({'a': [1]})",
        "option",
        None,
        (":widths: has 2 values",),
        (":widths: 1 2",),
    ),
    # --- changes that must not reach the next snippet (checked by the good table after)
    Case(
        "mess-process-state",
        "import os, sys, warnings\n"
        "os.chdir('/')\n"
        "sys.path.insert(0, '/injected')\n"
        "os.environ['DF_TABLE_LEAK'] = '1'\n"
        "pd.set_option('display.precision', 1)\n"
        "np.seterr(all='raise')\n"
        "warnings.filterwarnings('error', message='df-table-leak')\n"
        "sys.setrecursionlimit(80)\n"
        "raise RuntimeError('left a mess')",
        "exception",
        9,
        ("RuntimeError: left a mess",),
    ),
    Case(
        "mess-modules",
        "import builtins, sys\n"
        "builtins.len = None\n"
        "pd.read_csv = None\n"
        "pd.DataFrame.head = None\n"
        "pd.api.extensions.register_dataframe_accessor('leak')(object)\n"
        "sys.modules['pandas'] = None\n"
        "sys.modules['df_table_fake'] = 42\n"
        "raise RuntimeError('patched')",
        "exception",
        8,
        ("patched",),
    ),
    Case(
        "mess-streams",
        "import os, sys\n"
        "sys.stdout.close()\n"
        "sys.stderr = None\n"
        "os.close(1)\n"
        "raise RuntimeError('streams closed')",
        "exception",
        5,
        ("streams closed",),
    ),
    Case(
        "mess-signals",
        "import signal, sys\n"
        "signal.alarm(1)\n"
        "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        "sys.settrace(lambda *args: None)\n"
        "raise RuntimeError('armed')",
        "exception",
        5,
        ("armed",),
    ),
    Case(
        "mess-thread",
        "import os, threading, time\n"
        "def later():\n"
        "    time.sleep(0.3)\n"
        "    os._exit(7)\n"
        "threading.Thread(target=later, daemon=True).start()\n"
        "raise RuntimeError('thread left behind')",
        "exception",
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
    """The page: each case followed by a good table named ``good-after-<case>``, then
    a last paragraph. Returns the text and the document line each case's warning
    must name."""
    lines = ["Hostile snippets", "================", ""]
    expected: dict[str, int] = {}
    for n, case in enumerate(CASES):
        directive_line = len(lines) + 1
        block = _directive(case.snippet, case.options)
        body_start = directive_line + len(case.options) + 2  # first snippet line
        expected[case.name] = directive_line if case.line is None else body_start + case.line - 1
        lines += block
        good = GOOD.format(n=n, here=here, pause=PAUSE_AFTER.get(case.name, 0))
        lines += _directive(good, (f":name: good-after-{case.name}",))
    lines += ["Last paragraph still renders.", ""]
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
    srcdir = copy_root("bad-input", root / "src")
    (root / "secret.csv").write_text("secret\n42\n", encoding="utf-8")
    page, expected = hostile_page(str(srcdir / "hostile"))
    (srcdir / "hostile").mkdir()
    (srcdir / "hostile" / "page.rst").write_text(page, encoding="utf-8")
    (srcdir / "hostile" / "escape.csv").symlink_to(root / "secret.csv")
    app = make_app("html", srcdir)
    try:
        app.build()
    finally:
        app.cleanup()
    html = (app.outdir / "hostile" / "page.html").read_text(encoding="utf-8")
    yield Built(app, srcdir, expected, warnings_of(app), BeautifulSoup(html, "html.parser"))


_WARNING = re.compile(r"^(?P<path>.+?):(?P<line>\d+): WARNING: (?P<msg>.*) \[df_table\.(\w+)\]$")


def test_suite_is_big_enough() -> None:
    # 60 cases before the two harnesses were merged, one of them in both.
    assert len(CASES) >= 59
    assert len({c.name for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_table_gives_one_located_warning(hostile: Built, case: Case) -> None:
    where = f"{hostile.srcdir / 'hostile' / 'page.rst'}:{hostile.expected[case.name]}: WARNING:"
    found = [w for w in hostile.warnings if where in w]
    assert len(found) == 1, f"expected one warning at {where}, got {found}"
    match = _WARNING.match(found[0])
    assert match, found[0]
    assert match.group(4) == case.subtype, found[0]
    for part in case.message_part:
        assert part in match.group("msg"), found[0]


def test_no_other_warnings(hostile: Built) -> None:
    assert len(hostile.warnings) == len(CASES), "\n".join(hostile.warnings)
    assert all("[df_table." in w for w in hostile.warnings), "\n".join(hostile.warnings)


@pytest.mark.parametrize("n", range(len(CASES)), ids=[f"after-{c.name}" for c in CASES])
def test_good_table_renders_clean(hostile: Built, n: int) -> None:
    table = hostile.soup.find("table", id=f"good-after-{CASES[n].name}")
    assert table is not None, f"good table after {CASES[n].name} is missing"
    row = [td.get_text(strip=True) for td in table.find("tbody").find_all("td")]  # type: ignore[union-attr]
    assert row == [f"GOOD-{n}", "clean", "2"], f"after {CASES[n].name}: {row}"


def test_the_page_goes_on_after_the_last_table(hostile: Built) -> None:
    assert hostile.soup.find("p", string="Last paragraph still renders.") is not None


def test_refused_writes_left_no_trace(hostile: Built) -> None:
    assert (hostile.srcdir / "data.csv").read_text(encoding="utf-8") == "a,b\n1,2\n3,4\n"
    for name in ("out.txt", "out.csv", "new.db", "escaped.txt", "escaped-render.txt"):
        assert not (hostile.srcdir / "hostile" / name).exists()
