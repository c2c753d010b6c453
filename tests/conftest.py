"""Every test keeps its data (the chair service's database) in its own temporary folder."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _own_data_dir(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    path = tmp_path_factory.mktemp("openchair-data")
    monkeypatch.setenv("OPENCHAIR_DATA_DIR", str(path))
    return path
