"""Where the real instrument files live: ../shared/data/external beside the checkout.

``ANODELAB_SHARED_DATA`` overrides the folder (the CI-rule test points it at a missing one). Under
CI (``CI`` set), missing data fail the tests that need it instead of skipping them; conftest.py
also fails the whole run at its start.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

EXTERNAL = Path(os.environ.get("ANODELAB_SHARED_DATA")
                or Path(__file__).resolve().parents[1].parent / "shared" / "data" / "external")
# in the shared folder but not instrument data the readers claim (metadata, references); per-cycle
# summaries (cycle_data) are claimed: the cycle-table format reads them as a CycleTable
NOT_READABLE = {".ftr", ".yaml", ".mps", ".mpl", ".md"}
NOT_READABLE_NAMES = ("README", "masses.csv", "for_test_arr.csv", "Dataframe_STRUCTURED_all508.csv", "_Metadata")


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() not in ("", "0", "false", "no")


def missing(message: str) -> None:
    """Fail under CI, skip elsewhere."""
    if in_ci():
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def external_file(relative: str) -> Path:
    """A file under the shared folder; fails in CI (and skips elsewhere) when absent."""
    path = EXTERNAL / relative
    if not path.exists():
        missing(f"real data file missing: {path} (../shared must sit beside the checkout)")
    return path


def real_files() -> list[Path]:
    """Every instrument file in the shared folder that some reader should read, sorted.

    Empty when the folder is missing: parametrising over it then gives pytest's empty-parameter-set
    skip, which conftest.py turns into a failure under CI.
    """
    if not EXTERNAL.is_dir():
        return []
    return sorted(
        p for p in EXTERNAL.rglob("*")
        if p.is_file() and p.suffix.lower() not in NOT_READABLE and not any(n in p.name for n in NOT_READABLE_NAMES)
    )
