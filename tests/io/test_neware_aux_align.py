"""Aux channel values placed on the main records by record index."""

from __future__ import annotations

import numpy as np

from anodelab.io.neware import _align


def test_aux_values_land_on_the_rows_with_their_record_index():
    index = np.array([1, 2, 3, 5, 6], dtype=np.uint32)
    values = np.array([10.0, 20.0, 30.0, 50.0, 60.0], dtype=np.float32)
    same = _align(index, index.astype(np.int32), values)  # one aux record per main record
    assert same.dtype == np.float64 and same.tolist() == values.tolist()
    partial = _align(index, np.array([2, 4, 6, 9], dtype=np.int32), np.array([20.0, 40.0, 60.0, 90.0]))
    np.testing.assert_array_equal(partial, [np.nan, 20.0, np.nan, np.nan, 60.0])  # 4 and 9: no main record
