"""Where the real instrument files live (../shared/data/external beside the checkout)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

EXTERNAL = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "external"


def external_file(relative: str) -> Path:
    """A file under ../shared/data/external; fails in CI (and skips elsewhere) when absent."""
    path = EXTERNAL / relative
    if not path.exists():
        message = f"real data file missing: {path} (../shared must sit beside the checkout)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path
