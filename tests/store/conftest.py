"""Fixtures of the store tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from anodelab import store


@pytest.fixture
def db(tmp_path: Path):
    with store.open(tmp_path / "out" / "anodelab.duckdb") as opened:
        yield opened
