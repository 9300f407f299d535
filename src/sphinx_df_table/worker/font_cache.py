"""matplotlib's font list, kept between builds.

On its first import in a fresh config directory matplotlib scans every font of
the system and parses each AFM metrics file: about 1 to 3 s where TeX is
installed, paid by each worker that imports matplotlib (for a ``df-chart``, and
at start with pandas before 2.2, whose Styler imports pyplot). The worker's
config directory stays its own folder (no personal ``matplotlibrc`` has a say);
only the font list (``fontlist-v*.json``, which matplotlib itself keeps in
``~/.cache/matplotlib``) is copied in from, and back to, a per-user cache:
``$XDG_CACHE_HOME/sphinx-df-table`` (``~/.cache/sphinx-df-table``).

The list names font files by path, so it is kept per matplotlib installation
(its version and folder): two environments never share one. Snippets cannot
write there (the sandbox lets a snippet write only its scratch folder). Every
failure here is silent; the cost is only the scan.
"""

from __future__ import annotations

import contextlib
import filecmp
import glob
import hashlib
import os
import shutil
import tempfile


def shared_folder(version: str, package_dir: str) -> str:
    """The per-user folder for the font list of matplotlib ``version`` at ``package_dir``."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    where = hashlib.sha256(os.path.realpath(package_dir).encode()).hexdigest()[:12]
    return os.path.join(base, "sphinx-df-table", f"matplotlib-{version}-{where}")


def seed(shared: str, config_dir: str) -> None:
    """Copy the kept font list, if any, into ``config_dir`` (matplotlib's ``MPLCONFIGDIR``)."""
    for path in glob.glob(os.path.join(glob.escape(shared), "fontlist-v*.json")):
        with contextlib.suppress(OSError):
            os.makedirs(config_dir, exist_ok=True)
            shutil.copyfile(path, os.path.join(config_dir, os.path.basename(path)))


def keep(config_dir: str, shared: str) -> None:
    """Store the font list in ``config_dir`` in ``shared`` (atomically), unless the same is there.

    A list matplotlib did not accept (another version's, a damaged file) was
    written anew in ``config_dir``, and replaces the kept one.
    """
    for path in glob.glob(os.path.join(glob.escape(config_dir), "fontlist-v*.json")):
        target = os.path.join(shared, os.path.basename(path))
        with contextlib.suppress(OSError):
            if filecmp.cmp(path, target, shallow=False):
                continue  # read from there, or written alike by another worker
        with contextlib.suppress(OSError):
            os.makedirs(shared, mode=0o700, exist_ok=True)
            fd, partial = tempfile.mkstemp(dir=shared, prefix=".fontlist-")
            os.close(fd)
            try:
                shutil.copyfile(path, partial)
                os.replace(partial, target)
            finally:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(partial)
