"""Where openchair keeps its data: ``$OPENCHAIR_DATA_DIR``, else the platform's user data
directory (``~/.local/share/openchair`` on Linux, following XDG)."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

DB_FILE = "openchair.db"


def data_dir(override: str | os.PathLike[str] | None = None) -> Path:
    if override is not None:
        return Path(override)
    env = os.environ.get("OPENCHAIR_DATA_DIR")
    if env:
        return Path(env)
    return Path(platformdirs.user_data_dir("openchair", appauthor=False))


def default_db_url(override_dir: str | os.PathLike[str] | None = None) -> str:
    return f"sqlite:///{data_dir(override_dir) / DB_FILE}"
