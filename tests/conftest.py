"""Shared fixtures, and the CI rule: under CI the real-file tests fail, never skip, without the shared data."""

from __future__ import annotations

import pytest
from shared_data import EXTERNAL, external_file, in_ci

EMPTY_PARAMETER_SET = "got empty parameter set"


def pytest_sessionstart(session: pytest.Session) -> None:
    if in_ci() and not EXTERNAL.is_dir():
        pytest.exit(f"CI: the real instrument files are missing: {EXTERNAL} is not a folder "
                    "(../shared must sit beside the checkout, or set ANODELAB_SHARED_DATA)", returncode=1)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Under CI a test parametrised over files that are not there fails (pytest would skip it)."""
    if not in_ci():
        return
    for mark in item.iter_markers("skip"):
        reason = str(mark.kwargs.get("reason", ""))
        if reason.startswith(EMPTY_PARAMETER_SET):
            pytest.fail(f"CI: {reason}: the files it runs over are missing from {EXTERNAL}", pytrace=False)


@pytest.fixture
def external():
    """Call with a path relative to ../shared/data/external to get the file (see shared_data.external_file)."""
    return external_file
