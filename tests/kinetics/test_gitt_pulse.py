"""GITT on a pulse whose voltage does not change: no D by either method, and the pulse says why."""

from __future__ import annotations

import math

import numpy as np
import pytest

from anodelab.core.record import Record
from anodelab.kinetics.gitt import gitt
from anodelab.sim.virtual.gitt import gitt as virtual_gitt


@pytest.mark.parametrize("method", ["endpoint", "sqrt"])
def test_a_pulse_without_a_voltage_change_gives_no_D(method):
    record = virtual_gitt(n_pulses=4, pulse_s=50.0).data
    on = np.flatnonzero(record["current_mA"] != 0)
    starts = on[np.r_[True, np.diff(on) > 1]]
    ends = on[np.r_[np.diff(on) > 1, True]]
    voltage = record["voltage_V"].copy()
    voltage[starts[1]:ends[1] + 1] = voltage[starts[1]]  # the second pulse held at its first reading
    columns = {name: record[name] for name in record.column_names}
    result = gitt(Record.from_columns({**columns, "voltage_V": voltage}), method=method, thickness_um=0.5)
    second = result.pulses[1]
    assert (second["start_row"], second["end_row"]) == (starts[1], ends[1])
    for key in ("D_cm2_s", "D_stderr_cm2_s", "D_sqrt_cm2_s", "D_endpoint_cm2_s", "D_uncorrected_cm2_s"):
        assert math.isnan(second[key]), key
    assert second["delta_E_t_mV"] == 0.0 and not second["valid"]
    assert second["reason"].startswith("no D (too few rows in the sqrt(t) window or no voltage change)")
    assert all(math.isfinite(pulse["D_cm2_s"]) for k, pulse in enumerate(result.pulses) if k != 1)
