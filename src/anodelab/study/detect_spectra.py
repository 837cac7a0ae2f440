"""The kind of impedance spectra (rules in :mod:`anodelab.study.detect`): ``conductivity`` (an ion-blocking
cell's capacitive tail at the lowest frequencies), ``eis-temperature``, ``eis-series`` or ``eis``."""

from __future__ import annotations

import numpy as np

from anodelab.core.cell import CellInfo
from anodelab.core.experiment import Detection, ExperimentKind
from anodelab.core.spectrum import Spectrum, SpectrumSeries
from anodelab.study import detect_words as words

K = ExperimentKind

#: an ion-blocking cell: phase at the lowest frequency at least this negative and nearly constant
#: (within BLOCKING_PHASE_SPREAD_DEG) over the lowest decade, or beyond BLOCKING_STEEP_PHASE_DEG
BLOCKING_PHASE_DEG = -60.0
BLOCKING_PHASE_SPREAD_DEG = 6.0
BLOCKING_STEEP_PHASE_DEG = -75.0
#: spectra whose temperatures span at least this are a variable-temperature series (degC)
TEMPERATURE_SPAN_C = 5.0


def detect_spectra(series: SpectrumSeries, cell: CellInfo | None) -> Detection:
    """The kind of ``series``: conductivity, eis-temperature, eis-series or eis (module docstring)."""
    n = len(series)
    blocking = [_blocking_tail(spectrum, cell) for spectrum in series]
    temperatures = [c.temperature_C for c in series.contexts if c.temperature_C is not None]
    span_C = max(temperatures) - min(temperatures) if len(temperatures) == n and n > 1 else 0.0
    at = f" at {min(temperatures):.0f} to {max(temperatures):.0f} °C" if span_C >= TEMPERATURE_SPAN_C else ""
    phases = [phase for phase in blocking if phase is not None]
    if 2 * len(phases) > n:
        spectra = "one spectrum" if n == 1 else f"{n} spectra{at}"
        lowest = min(s.frequency_Hz[-1] for s in series)
        return Detection(K.CONDUCTIVITY, 0.85 if len(phases) == n else 0.6,
                         f"{spectra} of an ion-blocking cell: a capacitive tail at low frequency, its phase near "
                         f"{np.median(phases):.0f}° down to {words.frequency(lowest)}")
    if n == 1:
        spectrum = series[0]
        return Detection(K.EIS, 0.95, f"one impedance spectrum of {len(spectrum)} points, "
                         f"{words.frequency(spectrum.frequency_Hz[-1])} to {words.frequency(spectrum.frequency_Hz[0])}")
    if span_C >= TEMPERATURE_SPAN_C:
        return Detection(K.EIS_TEMPERATURE, 0.9, f"{n} spectra{at}")
    return Detection(K.EIS_SERIES, *_series_reason(series))


def _blocking_tail(spectrum: Spectrum, cell: CellInfo | None) -> float | None:
    """The phase (deg) at the lowest frequency when it is a blocking cell's capacitive tail, else None."""
    frequency, phase = spectrum.frequency_Hz, spectrum.phase_deg
    if len(spectrum) < 5 or frequency[0] / frequency[-1] < 100.0:
        return None
    lowest = frequency >= frequency[-1] * 10.0 ** -1e-9
    decade = frequency <= frequency[-1] * 10.0
    if np.count_nonzero(decade) < 3:
        return None
    hinted = cell is not None and cell.cell_type == "blocking"
    threshold = -45.0 if hinted else BLOCKING_PHASE_DEG
    end = float(phase[lowest][-1])
    spread = float(np.ptp(phase[decade]))
    if end <= BLOCKING_STEEP_PHASE_DEG or (end <= threshold and (hinted or spread <= BLOCKING_PHASE_SPREAD_DEG)):
        return end
    return None


def _series_reason(series: SpectrumSeries) -> tuple[float, str]:
    n = len(series)
    contexts = series.contexts
    times = [c.time_s for c in contexts if c.time_s is not None]
    voltages = [c.voltage_V for c in contexts if c.voltage_V is not None]
    currents = [c.current_mA for c in contexts if c.current_mA is not None]
    parts = []
    if len(times) == n and max(times) > min(times):
        parts.append(f"over {words.duration(max(times) - min(times))}")
    if len(voltages) == n and np.ptp(voltages) > 1e-3:
        parts.append(f"while the voltage went from {words.volts(voltages[0])} to {words.volts(voltages[-1])}")
    if len(currents) == n and max(abs(c) for c in currents) > 0:
        parts.append(f"at {words.current_range(currents)}")
    if parts:
        return 0.85, f"{n} spectra {' '.join(parts)} (in situ)"
    same = all(len(s) == len(series[0]) and np.allclose(s.Z_ohm, series[0].Z_ohm) for s in series)
    return 0.5, (f"{n} spectra with no time, voltage or temperature recorded"
                 + (" (all identical)" if same else ""))
