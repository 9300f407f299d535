"""Without a browser the browser tests fail (with what to install); they never skip."""

from __future__ import annotations

import pytest

from .conftest import find_chromium


def test_no_chromium_is_a_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DF_TABLE_CHROMIUM", raising=False)
    monkeypatch.setenv("PATH", "")
    with pytest.raises(pytest.fail.Exception, match="apt-get install chromium"):
        find_chromium()


def test_a_wrong_chromium_is_a_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DF_TABLE_CHROMIUM", "/nonexistent/chromium")
    with pytest.raises(pytest.fail.Exception, match="DF_TABLE_CHROMIUM"):
        find_chromium()
