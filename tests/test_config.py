"""conf.py values: sizes, validation with a warning and a fallback."""

from __future__ import annotations

import pytest
from sphinx.testing.util import SphinxTestApp

from sphinx_df_table.config import DfTableConfig, parse_size

from .helpers import warnings_of

pytestmark = pytest.mark.matrix


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0, None),
        (None, None),
        (1234, 1234),
        ("2GiB", 2 * 1024**3),
        ("2 GiB", 2 * 1024**3),
        ("512MB", 512 * 1000**2),
        ("1.5G", int(1.5 * 1024**3)),
        ("64k", 64 * 1024),
        ("100", 100),
    ],
)
def test_parse_size(value: int | str | None, expected: int | None) -> None:
    assert parse_size(value) == expected


@pytest.mark.parametrize("value", ["lots", "-1GB", "2 GiBs", True, -5])
def test_parse_size_refuses(value: object) -> None:
    with pytest.raises((ValueError, TypeError)):
        parse_size(value)  # type: ignore[arg-type]


def test_defaults() -> None:
    config = DfTableConfig()
    assert (config.timeout, config.markup, config.allow_unsafe) == (30.0, "rst", False)
    assert config.memory_limit_bytes == 4 * 1024**3


@pytest.mark.sphinx("html", testroot="config-bad-values")
def test_bad_values_warn_and_fall_back(built: SphinxTestApp) -> None:
    app = built
    found = warnings_of(app)
    assert len(found) == 3
    assert all(w.endswith("[df_table.config]") for w in found)
    assert any("df_table_timeout = -3" in w for w in found)
    assert app.config.df_table_timeout == 30.0
    assert app.config.df_table_markup == "rst"
    # The fallback is really used: cells are parsed as reST.
    assert "<em>x</em>" in (app.outdir / "index.html").read_text(encoding="utf-8")


@pytest.mark.sphinx("html", testroot="config-markup-none")
def test_markup_none_from_conf(built: SphinxTestApp) -> None:
    app = built
    html = (app.outdir / "index.html").read_text(encoding="utf-8")
    assert "<p>*x*</p>" in html and "<em>" not in html


def test_allowed_paths_resolve_against_confdir(build, tmp_path) -> None:  # type: ignore[no-untyped-def]
    shared = tmp_path / "shared-data"
    shared.mkdir()
    (shared / "prices.csv").write_text("Inst. Type,rate\ntrn1.2xlarge,1.1\n", encoding="utf-8")
    app = build(
        {
            "index.rst": "T\n=\n\n.. df-table::\n\n"
            "   df = pd.read_csv('../shared-data/prices.csv')\n"
        },
        conf="df_table_allowed_paths = ['../shared-data']\n",
    )
    assert list(app.config.df_table_allowed_paths) == [str(shared.resolve())]
    assert warnings_of(app) == []
    assert "<p>trn1.2xlarge</p>" in (app.outdir / "index.html").read_text(encoding="utf-8")
