"""The CI rule: without the shared real files, the tests that need them fail under CI and skip elsewhere."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _pytest(data: Path, ci: bool, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "CI"} | {"ANODELAB_SHARED_DATA": str(data)}
    if ci:
        env["CI"] = "true"
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
                          cwd=ROOT, env=env, capture_output=True, text=True, check=False, timeout=300)


def test_missing_shared_data_fails_under_ci_and_skips_elsewhere(tmp_path):
    selected = ("tests/io/test_fuzz.py", "-k", "missing")
    run = _pytest(tmp_path / "absent", True, *selected)
    assert run.returncode == 1 and "CI: the real instrument files are missing" in run.stdout + run.stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    run = _pytest(empty, True, *selected)  # the folder is there, its files are not
    assert run.returncode == 1 and "real data file missing" in run.stdout and " skipped" not in run.stdout
    run = _pytest(tmp_path / "absent", False, *selected)
    assert run.returncode == 0 and " skipped" in run.stdout and " failed" not in run.stdout
