"""The documentation's examples, built as pages, keep their doctrees.

Each file of ``docs/snippets/rst/`` and ``docs/snippets/myst/`` (the examples the
documentation shows and includes) is included, as the documentation does, by a
page of its own in the test root ``snippets``; that page's doctree, before and
after Sphinx's post-transforms, is compared with the files in
``tests/test_snippets/``, and no example may give a warning.

After an intended change to what the directives produce, regenerate the stored
doctrees with::

    python -m pytest tests/test_snippets.py --force-regen

(the first run rewrites the files and fails for each one it changed; check the
diff, then run again) or ``--regen-all`` (rewrites them and passes).

Temporary paths, and the content hashes in chart file names (which depend on the
matplotlib version), are replaced by placeholders. docutils' ``pformat`` differs
between its versions, so these tests are not part of the ``matrix`` run.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from docutils import nodes

from .helpers import REPO, copy_root, make_app, resolved_doctree, warnings_of

SNIPPETS = REPO / "docs" / "snippets"
#: Every example: its path in docs/snippets/, and so the docname of its page.
EXAMPLES = [
    path.relative_to(SNIPPETS).as_posix()
    for kind, suffix in (("rst", "rst"), ("myst", "md"))
    for path in sorted((SNIPPETS / kind).glob(f"*.{suffix}"))
]
DOCNAMES = [example.rsplit(".", 1)[0] for example in EXAMPLES]

_CHART_HASH = re.compile(r"df-chart-[0-9a-f]+")


@dataclass
class Built:
    """The doctrees of every example (normalised ``pformat``), and the build's warnings."""

    before: dict[str, str]
    after: dict[str, str]
    warnings: list[str]


def _placeholder(value: object) -> object:
    """``value`` with bytes (a chart file's content) replaced by ``"<bytes>"``, also
    inside a dict."""
    if isinstance(value, bytes):
        return "<bytes>"
    if isinstance(value, dict):
        return {key: _placeholder(item) for key, item in value.items()}
    return value


def normalise(doctree: nodes.document, srcdir: Path) -> str:
    """``doctree.pformat()`` without what varies between machines and runs: the
    project's temporary path, chart files' bytes (attributes holding them) and
    the content hashes in chart file names."""
    for node in doctree.findall(nodes.Element):
        for name, value in node.attributes.items():
            node.attributes[name] = _placeholder(value)
    text = doctree.pformat().replace(str(srcdir), "<srcdir>")
    return _CHART_HASH.sub("df-chart-HASH", text)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    srcdir = copy_root("snippets", tmp_path_factory.mktemp("snippets") / "src")
    shutil.copytree(SNIPPETS, srcdir / "snippets")
    for example, docname in zip(EXAMPLES, DOCNAMES, strict=True):
        page = srcdir / example
        page.parent.mkdir(exist_ok=True)
        title = f"{docname}\n{'=' * len(docname)}\n\n"
        if example.endswith(".md"):
            include = f"```{{include}} ../snippets/{example}\n```\n"
            page.write_text(f"# {docname}\n\n{include}", encoding="utf-8")
        else:
            page.write_text(f"{title}.. include:: ../snippets/{example}\n", encoding="utf-8")
    app = make_app("html", srcdir)
    try:
        app.build()
        before = {name: normalise(app.env.get_doctree(name), srcdir) for name in DOCNAMES}
        after = {name: normalise(resolved_doctree(app, name), srcdir) for name in DOCNAMES}
    finally:
        app.cleanup()
    yield Built(before, after, warnings_of(app))


def test_every_example_is_a_page() -> None:
    assert len(DOCNAMES) >= 30
    assert any(name.startswith("myst/") for name in DOCNAMES)


def test_no_example_warns(built: Built) -> None:
    assert built.warnings == []


@pytest.mark.parametrize("docname", DOCNAMES)
def test_doctree_before_post_transforms(built: Built, docname: str, file_regression) -> None:  # type: ignore[no-untyped-def]
    file_regression.check(
        built.before[docname], basename=docname.replace("/", "-") + "-before", extension=".txt"
    )


@pytest.mark.parametrize("docname", DOCNAMES)
def test_doctree_after_post_transforms(built: Built, docname: str, file_regression) -> None:  # type: ignore[no-untyped-def]
    file_regression.check(
        built.after[docname], basename=docname.replace("/", "-") + "-after", extension=".txt"
    )
