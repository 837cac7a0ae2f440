"""spectra_from_table refuses a table without Re(Z)/Im(Z) or |Z|/phase with a ReadError naming the file."""

from pathlib import Path

import numpy as np
import pytest

from anodelab.core.errors import ReadError
from anodelab.io.columns import describe_columns, spectra_from_table


def test_impedance_table_without_impedance_columns_is_refused() -> None:
    table = {"freq/Hz": np.array([1e3, 1e2, 1e1]), "|Z|/Ohm": np.array([1.0, 2.0, 3.0])}
    columns = describe_columns(list(table))
    assert {c.role for c in columns} == {"frequency", "z_mod"}  # no phase, no Re(Z)/Im(Z)
    with pytest.raises(ReadError, match=r"nor \|Z\| and phase") as caught:
        spectra_from_table(Path("cell.txt"), table, columns, [])
    assert "cell.txt" in str(caught.value)
