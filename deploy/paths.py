"""Where newswire keeps downloads (cache) and live service state (run directory)."""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    """Heavy, reusable downloads: jars, distributions, models, virtualenvs."""
    base = os.environ.get("NEWSWIRE_CACHE_DIR")
    if base:
        return Path(base)
    xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(xdg) / "newswire"


def run_dir() -> Path:
    """Data, logs and pid files of the local services.

    Outside $HOME on purpose: Elasticsearch refuses to run as root, so when we are root it runs
    as a system user that must be able to reach its install and data directories.
    """
    base = os.environ.get("NEWSWIRE_RUN_DIR")
    if base:
        return Path(base)
    return Path("/tmp") / f"newswire-run-{os.getuid()}"
