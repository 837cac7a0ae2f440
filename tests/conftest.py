"""Shared fixtures."""

from __future__ import annotations

import pytest
from shared_data import external_file


@pytest.fixture
def external():
    """Call with a path relative to ../shared/data/external to get the file (see shared_data.external_file)."""
    return external_file
