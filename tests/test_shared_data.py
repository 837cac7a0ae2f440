"""The CI rule: without the shared real files, the tests that need them fail under CI and skip elsewhere."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import conftest
import pytest
import shared_data

ROOT = Path(__file__).resolve().parents[1]


def _pytest_under_ci(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = os.environ | {"CI": "true", "ANODELAB_SHARED_DATA": str(data)}
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
                          cwd=ROOT, env=env, capture_output=True, text=True, check=False, timeout=300)


def test_missing_shared_data_fails_under_ci(tmp_path):
    selected = ("tests/io/test_fuzz.py", "-k", "missing")
    run = _pytest_under_ci(tmp_path / "absent", *selected)  # stops at the session start
    assert run.returncode == 1 and "CI: the real instrument files are missing" in run.stdout + run.stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    run = _pytest_under_ci(empty, *selected)  # the folder is there, its files are not
    assert run.returncode == 1 and "real data file missing" in run.stdout and " skipped" not in run.stdout


def test_missing_shared_data_skips_elsewhere(tmp_path, monkeypatch):
    """The same hooks and helper, outside CI (in this process: CI off, the folder pointed elsewhere)."""
    monkeypatch.delenv("CI", raising=False)
    for module in (conftest, shared_data):
        monkeypatch.setattr(module, "EXTERNAL", tmp_path / "absent")
    conftest.pytest_sessionstart(None)  # type: ignore[arg-type] -- the session is not used: no exit
    with pytest.raises(pytest.skip.Exception, match="real data file missing"):
        shared_data.external_file("cycler/biologic/cp.mpt")
    assert shared_data.real_files() == []
