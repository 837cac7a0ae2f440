"""The demo study's store, shared by the report's test modules."""

from __future__ import annotations

from pathlib import Path

import pytest

from anodelab.study.demo import run_demo


@pytest.fixture(scope="session")
def demo_store(tmp_path_factory) -> Path:
    """The demo study's store, made once per test session (without the demo's static figures: they are
    not this report's, and take most of its time)."""
    folder = tmp_path_factory.mktemp("report-demo")
    run_demo(folder, seed=0, figures=False)
    return folder / "anodelab-results" / "anodelab.duckdb"
