"""The date of a data file: its last git commit, else its modification time.

A page says how old its numbers are (``:df-updated:``, a table's sources line)
by the dates of the files its snippets read. In a git work tree a file's
modification time is when it was checked out, not when its data changed, so a
file git knows is dated by its last commit (the committer date); any other
file by its modification time. ``SOURCE_DATE_EPOCH``, when set, caps every
date, so that a reproducible build never shows a date after the one it is
pinned to.

Git is asked once for all files (one ``git log`` for every file of the work
tree, stopped as soon as each file has been seen), not once per file. Dates
are POSIX timestamps; :func:`format_date` shows them in UTC, so a page does
not depend on the time zone of the machine that built it.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import time
from collections.abc import Iterable, Mapping
from pathlib import Path

#: Starts each commit's line in the ``git log`` output (no file name starts with it).
_COMMIT_MARK = "\x01"


def source_date_epoch(environ: Mapping[str, str] = os.environ) -> int | None:
    """``SOURCE_DATE_EPOCH`` in ``environ`` as a timestamp; ``None`` when unset or no number."""
    try:
        return int(environ["SOURCE_DATE_EPOCH"])
    except (KeyError, ValueError):
        return None


def git_top(folder: str) -> str | None:
    """The top folder of the git work tree ``folder`` is in (resolved); ``None``
    when it is in none, or git cannot be run."""
    try:
        done = subprocess.run(
            ["git", "-C", folder, "rev-parse", "--show-toplevel"],
            capture_output=True,
            text=True,
            check=False,
        )
    except OSError:  # no git on this machine
        return None
    top = done.stdout.strip()
    return os.path.realpath(top) if done.returncode == 0 and top else None


def git_commit_dates(top: str, paths: Iterable[str]) -> dict[str, int]:
    """The last commit (committer) date of each of ``paths`` that git has a commit of.

    ``top`` is the work tree's top folder (see :func:`git_top`); ``paths`` are
    absolute and resolved, and those outside ``top`` are left out. One
    ``git log`` for all of them, read newest commit first and stopped once
    each path has been seen. Paths git knows no commit of (untracked files)
    are missing from the answer; so is every path when git fails.
    """
    wanted: dict[str, str] = {}
    for path in paths:
        with contextlib.suppress(ValueError):  # outside the work tree
            wanted[Path(path).relative_to(top).as_posix()] = path
    if not wanted:
        return {}
    command = [
        "git",
        "-C",
        top,
        "-c",
        "core.quotePath=false",
        "log",
        f"--format={_COMMIT_MARK}%ct",
        "--name-only",
        "--no-renames",
        "--",
        *sorted(wanted),
    ]
    dates: dict[str, int] = {}
    try:
        process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
        )
    except OSError:
        return {}
    assert process.stdout is not None
    with process:
        date = 0
        for output_line in process.stdout:
            line = output_line.rstrip("\n")
            if line.startswith(_COMMIT_MARK):
                date = int(line[1:])
            elif line in wanted and wanted[line] not in dates:
                dates[wanted[line]] = date
                if len(dates) == len(wanted):
                    # Older commits cannot change a file's last date.
                    process.kill()
                    break
        process.stdout.close()
    return dates


def file_dates(paths: Iterable[str], folder: str) -> dict[str, float]:
    """The date of each of ``paths`` (absolute, resolved) that exists.

    A path in the git work tree of ``folder`` (the source folder) that git has
    a commit of is dated by its last commit; any other by its modification
    time; a path that cannot be read has no date. Every date is capped at
    ``SOURCE_DATE_EPOCH`` when that is set.
    """
    paths = sorted(set(paths))
    top = git_top(folder) if paths else None
    dates: dict[str, float] = dict(git_commit_dates(top, paths)) if top else {}
    for path in paths:
        if path not in dates:
            with contextlib.suppress(OSError):
                dates[path] = os.stat(path).st_mtime
    if (cap := source_date_epoch()) is not None:
        dates = {path: min(date, cap) for path, date in dates.items()}
    return dates


def format_date(timestamp: float, pattern: str) -> str:
    """``timestamp`` formatted with the strftime ``pattern``, in UTC."""
    return time.strftime(pattern, time.gmtime(timestamp))
