"""Dates from the data: the ``:df-updated:`` role and a table's sources line.

A file is dated by its last commit in a git work tree (the commits here carry
fixed dates), else by its modification time; ``SOURCE_DATE_EPOCH`` caps both.
"""

from __future__ import annotations

import os
import re
import subprocess
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup

from sphinx_df_table import dates

from .helpers import (
    MakeApp,
    make_app,
    out_dir,
    run_sphinx_build,
    warnings_of,
    write_project,
)

pytestmark = pytest.mark.matrix

#: The commit dates of the two data files (prices older than results).
PRICES_DATE = "2025-03-02T08:00:00+00:00"
RESULTS_DATE = "2025-05-20T12:00:00+00:00"

PAGE = """\
Benchmarks
==========

Updated :df-updated:`%B %d, %Y`; prices of :df-updated:`%Y-%m-%d <data/prices.csv>`.

.. df-table:: Throughput
   :sources:

   df = pd.read_csv('data/results.csv').merge(pd.read_csv('data/prices.csv'))

Below the table: :df-updated:`%d.%m.%Y`.
"""
FILES = {
    "index.rst": PAGE,
    "data/results.csv": "Model,Inst. Type\nBERT,trn1.2xlarge\n",
    "data/prices.csv": "Inst. Type,Price\ntrn1.2xlarge,1.34\n",
}
SOURCES = "Sources: data/results.csv (2025-05-20), data/prices.csv (2025-03-02)"


def timestamp(iso: str) -> int:
    """``iso`` (``YYYY-MM-DDTHH:MM:SS+00:00``) as a POSIX timestamp."""
    return int(datetime.fromisoformat(iso).timestamp())


def git(folder: Path, *args: str, date: str = RESULTS_DATE) -> None:
    """Run git in ``folder``; a commit gets ``date`` as its author and committer date."""
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.invalid",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.invalid",
        "GIT_AUTHOR_DATE": date,
        "GIT_COMMITTER_DATE": date,
    }
    subprocess.run(["git", "-C", str(folder), *args], check=True, env=env, capture_output=True)


def git_project(src: Path, files: dict[str, str] = FILES, conf: str = "") -> Path:
    """``files`` in a new git repository: prices (and the rest) committed at
    :data:`PRICES_DATE`, then the results at :data:`RESULTS_DATE`."""
    write_project(src, files, conf)
    git(src, "init", "-q")
    git(src, "add", "--all", ":!data/results.csv")
    git(src, "commit", "-q", "-m", "prices", date=PRICES_DATE)
    git(src, "add", "data/results.csv")
    git(src, "commit", "-q", "-m", "results", date=RESULTS_DATE)
    return src


def built(src: Path, builder: str = "html", **kwargs: Any) -> Any:
    app = make_app(builder, src, **kwargs)
    app.build()
    app.cleanup()
    return app


def html(app: Any, page: str = "index") -> BeautifulSoup:
    return BeautifulSoup((out_dir(app) / f"{page}.html").read_text(), "html.parser")


def test_git_dates_in_html(tmp_path: Path) -> None:
    app = built(git_project(tmp_path / "src"))
    assert warnings_of(app) == []
    page = html(app)
    text = page.select_one("section").get_text(" ", strip=True)
    assert "Updated May 20, 2025; prices of 2025-03-02." in text
    assert "Below the table: 20.05.2025." in text
    [line] = page.select("p.df-table-sources")
    assert line.get_text() == SOURCES
    # With its table (and the table's caption) in the same container.
    assert line.parent.select_one("table.df-table caption") is not None
    assert "df-table-container" in line.parent["class"]
    assert line.find("a") is None  # no :download:, no links


def test_only_one_git_log_for_every_file_of_the_build(
    tmp_path: Path, build: MakeApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = git_project(tmp_path / "src")
    calls: list[list[str]] = []
    popen = subprocess.Popen

    def counting(command: list[str], **kwargs: Any) -> Any:
        calls.append(command)
        return popen(command, **kwargs)

    monkeypatch.setattr(dates.subprocess, "Popen", counting)
    files = {name: (src / name).read_text() for name in FILES}
    files["index.rst"] += "\n.. toctree::\n\n   other\n"
    files["other.rst"] = PAGE.replace("Benchmarks\n==========", "Other\n=====")
    app = build(files, srcdir=src)
    assert warnings_of(app) == []
    # (The worker is started with Popen too.)
    assert len([command for command in calls if command[:1] == ["git"] and "log" in command]) == 1
    assert html(app, "other").select_one("p.df-table-sources").get_text() == SOURCES


@pytest.mark.parametrize(
    ("builder", "name"),
    # The project's name (which names the LaTeX and man files) differs by Sphinx version.
    [("latex", "*.tex"), ("text", "index.txt"), ("man", "*.1")],
)
def test_git_dates_in_other_builders(tmp_path: Path, builder: str, name: str) -> None:
    app = built(git_project(tmp_path / "src"), builder)
    assert warnings_of(app) == []
    [path] = out_dir(app).glob(name)
    output = path.read_text()
    # LaTeX and man escape the hyphens of a date.
    output = output.replace("\\sphinxhyphen{}", "-").replace("\\-", "-").replace("\\&", "")
    # LaTeX marks the file names with their class.
    output = re.sub(r"\\DUrole\{df-table-source-file\}\{([^}]*)\}", r"\1", output)
    assert "Updated May 20, 2025; prices of 2025-03-02." in " ".join(output.split())
    assert "Below the table: 20.05.2025." in output
    assert SOURCES in output
    if builder == "latex":
        after_table = output.split("\\end{savenotes}", 1)[1]
        assert after_table.lstrip().startswith(f"{{\\footnotesize\\noindent {SOURCES}\\par}}")


def test_download_links_the_source_files(tmp_path: Path) -> None:
    files = {**FILES, "index.rst": PAGE.replace("   :sources:\n", "   :sources:\n   :download:\n")}
    app = built(git_project(tmp_path / "src", files))
    links = html(app).select("p.df-table-sources a.download")
    assert [link.get_text() for link in links] == ["data/results.csv", "data/prices.csv"]
    for link, name in zip(links, ["data/results.csv", "data/prices.csv"], strict=True):
        assert (out_dir(app) / link["href"]).read_text() == FILES[name]


def test_modification_times_outside_git(tmp_path: Path) -> None:
    src = write_project(tmp_path / "src", FILES)
    os.utime(src / "data/results.csv", (0, timestamp("2024-12-31T23:00:00+00:00")))
    os.utime(src / "data/prices.csv", (0, timestamp("2024-01-15T10:00:00+00:00")))
    app = built(src, "text")
    output = (out_dir(app) / "index.txt").read_text()
    assert "Sources: data/results.csv (2024-12-31), data/prices.csv (2024-01-15)" in output
    assert "Updated December 31, 2024; prices of 2024-01-15." in " ".join(output.split())


def test_an_untracked_file_in_git_has_its_modification_time(tmp_path: Path) -> None:
    src = git_project(tmp_path / "src")
    (src / "data/new.csv").write_text("Inst. Type\ntrn1.2xlarge\n")
    os.utime(src / "data/new.csv", (0, timestamp("2025-06-01T00:00:00+00:00")))
    page = PAGE.replace("pd.read_csv('data/prices.csv')", "pd.read_csv('data/new.csv')")
    (src / "index.rst").write_text(page)
    app = built(src, "text")
    output = (out_dir(app) / "index.txt").read_text()
    assert "Sources: data/results.csv (2025-05-20), data/new.csv (2025-06-01)" in output


def test_source_date_epoch_caps_every_date(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(timestamp("2025-04-01T00:00:00+00:00")))
    app = built(git_project(tmp_path / "src"), "text")
    output = (out_dir(app) / "index.txt").read_text()
    assert "Sources: data/results.csv (2025-04-01), data/prices.csv (2025-03-02)" in output
    assert "Updated April 01, 2025" in output


def test_site_wide_sources_and_opting_out(tmp_path: Path) -> None:
    page = PAGE.replace("   :sources:\n", "") + (
        "\n.. df-table::\n   :no-sources:\n\n   df = pd.read_csv('data/prices.csv')\n"
    )
    src = git_project(tmp_path / "src", {**FILES, "index.rst": page}, "df_table_sources = True\n")
    (src / "conf.py").write_text((src / "conf.py").read_text() + 'df_table_date_format = "%d %b"\n')
    app = built(src)
    lines = [p.get_text() for p in html(app).select("p.df-table-sources")]
    assert lines == ["Sources: data/results.csv (20 May), data/prices.csv (02 Mar)"]
    assert len(html(app).select("table.df-table")) == 2


def test_missing_dates_are_located_warnings(tmp_path: Path) -> None:
    files = {
        **FILES,
        "index.rst": PAGE + "\n:df-updated:`%Y <data/missing.csv>`\n\n.. toctree::\n\n   prose\n",
        "prose.rst": "Prose\n=====\n\nNo tables, updated :df-updated:`%Y`.\n",
    }
    app = built(git_project(tmp_path / "src", files))
    src = Path(app.srcdir)
    assert warnings_of(app) == [
        f"{src / 'index.rst'}:13: WARNING: df-updated: file not found: data/missing.csv "
        f"({src / 'data/missing.csv'}) [df_table.updated]",
        f"{src / 'prose.rst'}:4: WARNING: df-updated: no date to show: no df-table or "
        "df-chart on this page read a data file [df_table.updated]",
    ]
    assert "No tables, updated unknown." in html(app, "prose").get_text()


def test_myst(tmp_path: Path) -> None:
    files = {
        "index.md": """\
        # Benchmarks

        Updated {df-updated}`%B %d, %Y`.

        ```{df-table} Throughput
        :sources:

        df = pd.read_csv('data/results.csv').merge(pd.read_csv('data/prices.csv'))
        ```
        """,
        "data/results.csv": FILES["data/results.csv"],
        "data/prices.csv": FILES["data/prices.csv"],
    }
    src = git_project(tmp_path / "src", files, 'extensions.append("myst_parser")\n')
    app = built(src)
    assert warnings_of(app) == []
    page = html(app)
    assert "Updated May 20, 2025." in page.get_text()
    assert page.select_one("p.df-table-sources").get_text() == SOURCES


def ran_a_snippet(build: subprocess.CompletedProcess[str]) -> bool:
    """Whether a ``sphinx-build`` run a snippet (its summary counts executed tables)."""
    return re.search(r"[1-9]\d* executed", build.stdout) is not None


def test_a_new_commit_date_is_written_without_running_again(tmp_path: Path) -> None:
    src = git_project(tmp_path / "src")
    out = tmp_path / "out"
    first = run_sphinx_build(src, out, "-b", "html")
    assert first.returncode == 0, first.stderr
    assert ran_a_snippet(first)
    # Only the commit changes: no file does, so no page is read again.
    git(src, "commit", "-q", "--amend", "--no-edit", date="2025-07-04T09:00:00+00:00")
    second = run_sphinx_build(src, out, "-b", "html")
    assert second.returncode == 0, second.stderr
    assert "0 added, 0 changed, 0 removed" in second.stdout
    assert not ran_a_snippet(second)
    page = BeautifulSoup((out / "index.html").read_text(), "html.parser")
    assert page.select_one("p.df-table-sources").get_text() == SOURCES.replace(
        "2025-05-20", "2025-07-04"
    )
    assert "Updated July 04, 2025" in page.get_text()


def test_a_new_modification_time_is_written_without_running_again(tmp_path: Path) -> None:
    src = write_project(tmp_path / "src", FILES)
    out = tmp_path / "out"
    os.utime(src / "data/prices.csv", (0, timestamp("2024-01-15T10:00:00+00:00")))
    first = run_sphinx_build(src, out, "-b", "html")
    assert first.returncode == 0, first.stderr
    os.utime(src / "data/prices.csv", (0, timestamp("2024-02-20T10:00:00+00:00")))
    second = run_sphinx_build(src, out, "-b", "html")
    assert second.returncode == 0, second.stderr
    assert not ran_a_snippet(second)
    line = BeautifulSoup((out / "index.html").read_text(), "html.parser").select_one(
        "p.df-table-sources"
    )
    assert line.get_text().endswith("data/prices.csv (2024-02-20)")


def test_parallel_build_gives_the_same_pages(tmp_path: Path) -> None:
    files = dict(FILES)
    names = [f"page{i}" for i in range(4)]
    files["index.rst"] = PAGE + "\n.. toctree::\n\n" + "".join(f"   {n}\n" for n in names)
    for name in names:
        files[f"{name}.rst"] = PAGE.replace("Benchmarks\n==========", f"{name}\n=====")
    src = git_project(tmp_path / "src", files)
    serial = run_sphinx_build(src, tmp_path / "j1", "-q", "-W", "-j", "1", "-b", "html")
    assert serial.returncode == 0, serial.stderr
    parallel = run_sphinx_build(src, tmp_path / "j2", "-q", "-W", "-j", "2", "-b", "html")
    assert parallel.returncode == 0, parallel.stderr
    for name in ["index", *names]:
        one = (tmp_path / "j1" / f"{name}.html").read_text()
        assert SOURCES in BeautifulSoup(one, "html.parser").get_text()
        assert one == (tmp_path / "j2" / f"{name}.html").read_text(), name


def test_git_dates_of_a_set_of_files(tmp_path: Path) -> None:
    src = git_project(tmp_path / "src")
    top = dates.git_top(str(src / "data"))
    assert top == str(src.resolve())
    results, prices = (str((src / "data" / n).resolve()) for n in ("results.csv", "prices.csv"))
    outside = str(tmp_path / "elsewhere.csv")
    assert dates.git_commit_dates(top, [results, prices, outside]) == {
        results: timestamp(RESULTS_DATE),
        prices: timestamp(PRICES_DATE),
    }
    assert dates.git_top(str(tmp_path)) is None
