"""What experiment a file holds, told from its data alone (never from its name or its header's
technique line), with a confidence and the reason a person would give.

Time series are judged on their step table (:func:`anodelab.core.steps.step_table`):

* no current passed: nothing to detect (``unknown``), unless the cell is a symmetric one and the
  record is a long voltage trace without current (a polarised metal|metal cell).
* most of the active time under neither constant current nor constant voltage, and most of the
  voltage those rows travel swept at one rate (:data:`SWEEP_MIN_FRACTION`) with a current that is
  not held: the trace is cut at its turning points into legs, making a ``cv`` (two legs or more),
  an ``lsv`` (one leg) or a ``polarization`` curve (one slow leg, at most
  :data:`TAFEL_MAX_RATE_MV_S` and :data:`TAFEL_MAX_SPAN_V`, through the zero-current potential).
* galvanostatic, in this order: one active step (``nucleation``: a plating step whose voltage dips
  and recovers to a small plateau); plating then stripping to a voltage cut-off (``plating-ce``, per
  cycle or Aurbach's reservoir); the voltage of a metal|metal cell (its sign follows the current,
  small and flat: ``ccd`` when the current magnitude rises level by level, else ``symmetric``);
  short pulses each followed by a rest at least as long (``gitt``); four or more steps held at set
  points that move one way
  (``polarization``); cycles at several current levels in blocks (``rate``); else ``cycling``.

Spectra: an ion-blocking cell (a capacitive tail at the lowest frequencies: a phase of nearly
constant value beyond :data:`BLOCKING_PHASE_DEG`, or beyond :data:`BLOCKING_STEEP_PHASE_DEG`) is
``conductivity``; several spectra at
different temperatures ``eis-temperature``; several others ``eis-series``; one ``eis``. A
:class:`~anodelab.core.cycles.CycleTable` is a ``cycle-table``.

The cell type is a hint: it settles what the data leave open (a voltage trace without current, a
short tail) and raises or lowers the confidence; where the data decide, they win.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from anodelab.core.cell import CellInfo
from anodelab.core.conventions import CHARGE, DISCHARGE, REST
from anodelab.core.cycles import CycleTable
from anodelab.core.errors import NotApplicableError
from anodelab.core.experiment import Detection, ExperimentKind
from anodelab.core.model_spec import SIMULATIONS, ModelSpec
from anodelab.core.record import Record
from anodelab.core.spectrum import Spectrum, SpectrumSeries
from anodelab.core.steps import StepTable, step_table

K = ExperimentKind

#: a one-leg sweep through the zero-current potential at most this fast is a polarization curve (mV/s)
TAFEL_MAX_RATE_MV_S = 10.0
#: ... and spans at most this (V)
TAFEL_MAX_SPAN_V = 1.0
#: a voltammogram: at least this fraction of the voltage it travels at one scan rate (within 25 %)
SWEEP_MIN_FRACTION = 0.6
#: a metal|metal cell: |V| of its steps at most this (V)
METAL_CELL_MAX_V = 1.0
#: an ion-blocking cell: phase at the lowest frequency at least this negative and nearly constant
#: (within BLOCKING_PHASE_SPREAD_DEG) over the lowest decade, or beyond BLOCKING_STEEP_PHASE_DEG
BLOCKING_PHASE_DEG = -60.0
BLOCKING_PHASE_SPREAD_DEG = 6.0
BLOCKING_STEEP_PHASE_DEG = -75.0
#: spectra whose temperatures span at least this are a variable-temperature series (degC)
TEMPERATURE_SPAN_C = 5.0
#: two currents are one level when they differ by less than this fraction
LEVEL_RTOL = 0.03
#: a GITT rest lasts at least this many times its pulse
GITT_REST_RATIO = 1.0

#: cell types and the kinds their data usually show (a hint that agrees raises the confidence)
_EXPECTED = {
    "symmetric": {K.SYMMETRIC, K.CCD, K.POLARIZATION, K.EIS, K.EIS_SERIES, K.EIS_TEMPERATURE},
    "plating": {K.NUCLEATION, K.PLATING_CE, K.CV, K.LSV, K.POLARIZATION, K.EIS, K.EIS_SERIES},
    "blocking": {K.CONDUCTIVITY},
    "anode-half": {K.CYCLING, K.RATE, K.GITT, K.CV, K.LSV, K.EIS, K.EIS_SERIES, K.EIS_TEMPERATURE},
    "cathode-half": {K.CYCLING, K.RATE, K.GITT, K.CV, K.LSV, K.EIS, K.EIS_SERIES, K.EIS_TEMPERATURE},
    "full": {K.CYCLING, K.RATE, K.GITT, K.EIS, K.EIS_SERIES, K.EIS_TEMPERATURE},
}


def detect(data: Record | SpectrumSeries | Spectrum | CycleTable | ModelSpec, cell: CellInfo | None = None) -> Detection:
    """The experiment kind of ``data`` (rules in the module docstring); ``cell`` (default: the data's
    own) is a hint. Never looks at file names or technique names."""
    if isinstance(data, ModelSpec):
        return Detection(K.SIMULATION, 1.0, f"a model specification: simulation = {data.simulation!r} "
                         f"({SIMULATIONS[data.simulation]})")
    if isinstance(data, CycleTable):
        columns = ", ".join(name for name in data.column_names if name != "cycle")
        return Detection(K.CYCLE_TABLE, 1.0, f"a per-cycle summary of {len(data)} cycles ({columns}), not a time series")
    if isinstance(data, Spectrum):
        data = SpectrumSeries.of([data], cell=data.cell, provenance=data.provenance)
    if isinstance(data, SpectrumSeries):
        cell = cell if cell is not None else data.cell
        found = _spectra(data, cell)
    elif isinstance(data, Record):
        cell = cell if cell is not None else data.cell
        found = _record(data, cell)
    else:
        raise NotApplicableError(f"detect needs a Record, SpectrumSeries or CycleTable, got a {type(data).__name__}")
    return _hinted(found, cell)


def _hinted(found: Detection, cell: CellInfo | None) -> Detection:
    """Raise the confidence where the cell type expects the kind, lower it where it does not."""
    if cell is None or found.kind == K.UNKNOWN or cell.cell_type not in _EXPECTED:
        return found
    if found.kind in _EXPECTED[cell.cell_type]:
        return Detection(found.kind, round(min(0.99, found.confidence + 0.05), 2), found.reason)
    return Detection(found.kind, round(max(0.1, found.confidence - 0.2), 2),
                     f"{found.reason}; the data decide, though the cell type ({cell.cell_type}) suggests otherwise")


# -- spectra -------------------------------------------------------------------------------------------


def _spectra(series: SpectrumSeries, cell: CellInfo | None) -> Detection:
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
                         f"{np.median(phases):.0f}° down to {_frequency(lowest)}")
    if n == 1:
        spectrum = series[0]
        return Detection(K.EIS, 0.95, f"one impedance spectrum of {len(spectrum)} points, "
                         f"{_frequency(spectrum.frequency_Hz[-1])} to {_frequency(spectrum.frequency_Hz[0])}")
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
        parts.append(f"over {_duration(max(times) - min(times))}")
    if len(voltages) == n and np.ptp(voltages) > 1e-3:
        parts.append(f"while the voltage went from {_volts(voltages[0])} to {_volts(voltages[-1])}")
    if len(currents) == n and max(abs(c) for c in currents) > 0:
        parts.append(f"at {_current_range(currents)}")
    if parts:
        return 0.85, f"{n} spectra {' '.join(parts)} (in situ)"
    same = all(len(s) == len(series[0]) and np.allclose(s.Z_ohm, series[0].Z_ohm) for s in series)
    return 0.5, (f"{n} spectra with no time, voltage or temperature recorded"
                 + (" (all identical)" if same else ""))


# -- time series -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Steps:
    """The active steps of a record (no rest, no impedance), with what the rules need."""

    table: StepTable
    index: NDArray[np.intp]         # positions in the table
    span_s: NDArray[np.float64]     # from the step's start to the next step's start (NaN without time)
    area_cm2: float | None

    @property
    def direction(self) -> NDArray[np.int8]:
        return self.table.direction[self.index]

    @property
    def mode(self) -> NDArray[np.str_]:
        return self.table.mode[self.index]

    @property
    def cycle(self) -> NDArray[np.int32]:
        return self.table.cycle[self.index]

    @property
    def set_point(self) -> NDArray[np.float64]:
        return self.table.set_point[self.index]

    @property
    def charge_mAh(self) -> NDArray[np.float64]:
        return self.table.charge_mAh[self.index]

    @property
    def mean_V(self) -> NDArray[np.float64]:
        return self.table.mean_V[self.index]

    @property
    def end_V(self) -> NDArray[np.float64]:
        return self.table.end_V[self.index]

    @property
    def min_V(self) -> NDArray[np.float64]:
        return self.table.min_V[self.index]

    @property
    def max_V(self) -> NDArray[np.float64]:
        return self.table.max_V[self.index]

    @property
    def mean_current_mA(self) -> NDArray[np.float64]:
        return self.table.mean_current_mA[self.index]


def _record(record: Record, cell: CellInfo | None) -> Detection:
    table = step_table(record)
    if len(table) == 0:
        return Detection(K.UNKNOWN, 0.9, "the record has no rows")
    active = np.flatnonzero((table.direction != REST) & (table.mode != "impedance") & (table.mode != "rest"))
    if active.size == 0:
        return _no_current(record, cell)
    rows = table.rows
    if "time_s" in record:
        span_s = np.diff(np.r_[table.start_s, record["time_s"][-1]])
        span_s[-1] = table.duration_s[-1]
    else:
        span_s = np.full(len(table), np.nan)
    area = _area_cm2(cell)
    steps = _Steps(table, active, span_s[active], area)
    weight = span_s[active] if "time_s" in record else rows[active].astype(float)
    controlled = np.isin(steps.mode, ("CC", "CV"))
    found = None
    if "current_mA" in record and weight[~controlled].sum() > weight[controlled].sum():
        found = _voltammetry(record, table, active)
    if found is None:
        found = _galvanostatic(steps, record)
    impedance = int(np.count_nonzero(table.mode == "impedance"))
    if impedance:
        found = Detection(found.kind, found.confidence, f"{found.reason}; {impedance} impedance "
                          f"measurement{'s' * (impedance != 1)} between the steps")
    return found


def _no_current(record: Record, cell: CellInfo | None) -> Detection:
    voltage = record["voltage_V"]
    duration = record.duration_s
    what = (f"{len(record)} rows" + (f" over {_duration(duration)}" if duration else "")
            + f", {_volts(voltage.min())} to {_volts(voltage.max())}")
    if "current_mA" in record or "capacity_mAh" in record:
        return Detection(K.UNKNOWN, 0.9, f"no current passed: only rest (open circuit), {what}")
    if cell is not None and cell.cell_type == "symmetric" and duration and duration >= 3600.0 \
            and np.max(np.abs(voltage)) <= METAL_CELL_MAX_V:
        polarity = "one polarity" if voltage.min() * voltage.max() > 0 else "both polarities"
        return Detection(K.SYMMETRIC, 0.5, f"a voltage trace without current ({what}, {polarity}) of a symmetric "
                         "cell: a long polarization of a metal|metal cell")
    return Detection(K.UNKNOWN, 0.8, f"a voltage trace without current or step states ({what}): what was "
                     "applied cannot be told")


# -- voltammetry --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Sweeps:
    """The voltage trace of a record's sweep rows, decimated, cut into monotonic legs."""

    rows: NDArray[np.intp]          # record rows (at most 4000, evenly picked)
    low_V: float                    # over all the sweep rows
    high_V: float
    turns: list[int]                # positions in ``rows`` where legs begin and end
    rate_mV_s: float | None         # the scan rate of most of the voltage travelled (None without time)
    fraction: float                 # of the voltage travelled at that rate (within 25 %)


def _voltammetry(record: Record, table: StepTable, active: NDArray[np.intp]) -> Detection | None:
    """cv, lsv or polarization from the voltage trace of the sweep rows; None if most of it is not
    swept at one rate."""
    sweeps = _sweeps(record, table, active)
    if sweeps is None or sweeps.fraction < SWEEP_MIN_FRACTION or _held_current(record, sweeps):
        return None
    voltage = record["voltage_V"][sweeps.rows]
    rate = f" at {_scan_rate(sweeps.rate_mV_s)}" if sweeps.rate_mV_s else " (no time recorded: scan rate unknown)"
    legs = len(sweeps.turns) - 1
    low, high = _volts(sweeps.low_V), _volts(sweeps.high_V)
    if legs >= 2:
        cycles = legs // 2
        return Detection(K.CV, 0.9, f"triangular voltage sweeps: {legs} sweeps between {low} and {high}{rate} "
                         f"({cycles} cycle{'s' * (cycles != 1)})")
    first_V, last_V = float(voltage[0]), float(voltage[-1])
    current = record["current_mA"][sweeps.rows]
    crossing = np.flatnonzero(np.sign(current[1:]) * np.sign(current[:-1]) < 0)
    slow = sweeps.rate_mV_s is None or sweeps.rate_mV_s <= TAFEL_MAX_RATE_MV_S
    if crossing.size and slow and abs(last_V - first_V) <= TAFEL_MAX_SPAN_V:
        zero_V = float(voltage[crossing[0]])
        if 0.15 <= (zero_V - first_V) / (last_V - first_V) <= 0.85:
            return Detection(K.POLARIZATION, 0.8, f"one slow sweep{rate} from {_volts(first_V)} to {_volts(last_V)} "
                             f"through the zero-current potential ({_volts(zero_V)}), current of both signs: a "
                             "polarization (Tafel) curve")
    return Detection(K.LSV, 0.85, f"one monotonic voltage sweep from {_volts(first_V)} to {_volts(last_V)}{rate}")


def _held_current(record: Record, sweeps: _Sweeps) -> bool:
    """Every leg keeps its current magnitude within 5 %: a noisy constant current, not a sweep."""
    current = np.abs(record["current_mA"][sweeps.rows])
    for first, last in itertools.pairwise(sweeps.turns):
        part = current[first:last + 1]
        if part.size < 3 or np.std(part) > 0.05 * np.mean(part):
            return False
    return True


def _sweeps(record: Record, table: StepTable, active: NDArray[np.intp]) -> _Sweeps | None:
    """The legs and scan rate of the rows of the active steps under neither constant current nor
    constant voltage; None where they span under 10 mV."""
    swept = np.zeros(len(table), dtype=bool)
    swept[active] = np.isin(table.mode[active], ("sweep", "other"))
    rows = np.flatnonzero(np.repeat(swept, table.rows))
    if rows.size < 5:
        return None
    low_V, high_V = float(record["voltage_V"][rows].min()), float(record["voltage_V"][rows].max())
    if rows.size > 4000:
        rows = rows[np.linspace(0, rows.size - 1, 4000).round().astype(np.intp)]
    voltage = record["voltage_V"][rows]
    if high_V - low_V < 0.01:
        return None
    timed = "time_s" in record
    x = record["time_s"][rows] if timed else rows.astype(np.float64)
    dx, dv = np.diff(x), np.diff(voltage)
    moving = (dx > 0) & np.isfinite(dv)
    speed, weight = np.abs(dv[moving] / dx[moving]), np.abs(dv[moving])  # weighted by voltage travelled
    if speed.size == 0 or weight.sum() == 0:
        return None
    order = np.argsort(speed)
    cumulative = np.cumsum(weight[order])
    typical = float(speed[order][np.searchsorted(cumulative, 0.5 * cumulative[-1])])  # weighted median
    at_rate = np.abs(speed - typical) <= 0.25 * typical
    fraction = float(weight[at_rate].sum() / weight.sum()) if typical > 0 else 0.0
    turns = _turning_points(voltage, max(0.05 * float(np.ptp(voltage)), 0.002))
    return _Sweeps(rows, low_V, high_V, turns, 1000.0 * typical if timed else None, fraction)


def _turning_points(values: NDArray[np.float64], threshold: float) -> list[int]:
    """Indices of the extremes between moves of at least ``threshold`` (first and last index included)."""
    points = [0]
    trend = 0
    high = low = extreme = 0
    for i in range(1, values.size):
        value = values[i]
        if trend == 0:
            if value > values[high]:
                high = i
            if value < values[low]:
                low = i
            if values[high] - values[low] >= threshold:
                trend = 1 if high > low else -1
                points[0] = low if trend == 1 else high
                extreme = high if trend == 1 else low
        elif trend == 1:
            if value > values[extreme]:
                extreme = i
            elif values[extreme] - value >= threshold:
                points.append(extreme)
                trend, extreme = -1, i
        else:
            if value < values[extreme]:
                extreme = i
            elif value - values[extreme] >= threshold:
                points.append(extreme)
                trend, extreme = 1, i
    if trend != 0:
        points.append(values.size - 1)
    return points if len(points) > 1 else [0, values.size - 1]


# -- galvanostatic -----------------------------------------------------------------------------------------


def _galvanostatic(steps: _Steps, record: Record) -> Detection:
    n = steps.index.size
    current = np.where(np.isfinite(steps.set_point) & (steps.mode == "CC"), steps.set_point, steps.mean_current_mA)
    if n == 1 or _one_dominant(steps):
        return _single_step(steps, record, current)
    for rule in (_plating_ce, _metal_cell, _gitt, _polarization_steps, _rate):
        found = rule(steps, current)
        if found is not None:
            return found
    return _cycling(steps, current)


def _one_dominant(steps: _Steps) -> bool:
    """One step passes at least 95 % of the charge."""
    charge = np.nan_to_num(steps.charge_mAh)
    return bool(charge.sum() > 0 and charge.max() >= 0.95 * charge.sum())


def _single_step(steps: _Steps, record: Record, current: NDArray[np.float64]) -> Detection:
    k = int(np.argmax(np.nan_to_num(steps.charge_mAh))) if steps.index.size > 1 else 0
    position = int(steps.index[k])
    table = steps.table
    start, end = int(table.start[position]), int(table.end[position])
    voltage = record["voltage_V"][start:end + 1]
    duration = _duration(steps.span_s[k]) if np.isfinite(steps.span_s[k]) else f"{voltage.size} rows"
    mode = steps.mode[k]
    if mode == "CV":
        return Detection(K.UNKNOWN, 0.7, f"one potentiostatic hold at {_volts(table.set_point[position])} for "
                         f"{duration} (a chronoamperometry), which no experiment kind covers")
    plating = steps.direction[k] == DISCHARGE and mode == "CC"
    if plating and voltage.size >= 20:
        tip = int(np.argmin(voltage))
        tail = voltage[int(0.7 * voltage.size):]
        plateau_V = float(np.median(tail))
        noise_V = float(np.std(np.diff(tail))) / np.sqrt(2.0) if tail.size > 2 else 0.0
        recovery_V = plateau_V - float(voltage[tip])
        if (abs(plateau_V) <= 0.3 and tip < 0.5 * voltage.size and voltage[0] > plateau_V
                and recovery_V >= max(0.001, 5.0 * noise_V) and voltage[tip] < 0):
            return Detection(K.NUCLEATION, 0.85, f"one plating step at {_current(current[k], steps.area_cm2)} for "
                             f"{duration}: the voltage falls from {_volts(voltage[0])} to a {_volts(voltage[tip])} "
                             f"dip, then recovers to a {_volts(plateau_V)} plateau")
    what = "constant-current" if mode == "CC" else "current-passing"
    return Detection(K.UNKNOWN, 0.6, f"one {what} step ({_current(current[k], steps.area_cm2)}, {duration}, "
                     f"{_volts(voltage[0])} to {_volts(voltage[-1])}) and nothing else: not a cycling test, nor a "
                     "plating nucleation (no voltage dip to a small plateau)")


def _alternates(direction: NDArray[np.int8]) -> float:
    """The fraction of consecutive active steps that change direction."""
    return float(np.mean(direction[1:] != direction[:-1])) if direction.size > 1 else 0.0


def _plating_ce(steps: _Steps, current: NDArray[np.float64]) -> Detection | None:
    """Plating (cathodic, small |V|) then stripping (anodic) ending at a voltage cut-off."""
    direction = steps.direction
    plate = np.flatnonzero(direction == DISCHARGE)
    strip = np.flatnonzero(direction == CHARGE)
    if plate.size == 0 or strip.size == 0 or _alternates(direction) < 0.8 or direction[0] != DISCHARGE:
        return None
    if np.median(np.abs(steps.mean_V[plate])) > 0.3 or np.any(steps.mean_V[plate] > 0.05):
        return None
    rise = steps.end_V[strip] - steps.mean_V[strip]
    cutoff = (rise >= 0.05) & (rise >= 3.0 * np.abs(steps.mean_V[strip])) & (steps.end_V[strip] > 0.1)
    if not cutoff[-1]:
        return None
    plated, stripped = steps.charge_mAh[plate], steps.charge_mAh[strip]
    cutoff_V = float(np.median(steps.end_V[strip][cutoff]))
    at = _current(float(np.median(current[plate])), steps.area_cm2)
    if np.mean(cutoff) >= 0.8:
        pairs = min(plate.size, strip.size)
        ce = stripped[:pairs] / plated[:pairs]
        if not (np.all(ce <= 1.05) and np.all(ce >= 0.3)):
            return None
        return Detection(K.PLATING_CE, 0.9, f"{pairs} cycles of plating {_charge(np.median(plated))} at {at}, then "
                         f"stripping to a {_volts(cutoff_V)} cut-off (stripped/plated {ce.min():.3f} to "
                         f"{ce.max():.3f})")
    reservoir = plated[0]
    cycled = plated[1:]
    if cutoff[:-1].any() or cycled.size == 0 or reservoir < 3.0 * np.median(cycled):
        return None
    return Detection(K.PLATING_CE, 0.85, f"Aurbach reservoir protocol: {_charge(reservoir)} plated at {at}, "
                     f"{cycled.size} cycles of {_charge(np.median(cycled))}, then stripped to a {_volts(cutoff_V)} "
                     "cut-off")


def _metal_cell(steps: _Steps, current: NDArray[np.float64]) -> Detection | None:
    """The voltage of a metal|metal cell: its sign follows the current's, it is small and flat."""
    direction = steps.direction
    if _alternates(direction) < 0.8 or not np.any(direction == CHARGE) or not np.any(direction == DISCHARGE):
        return None
    sign = np.where(direction == CHARGE, 1.0, -1.0)
    follows = np.mean(np.sign(steps.mean_V) == sign)
    magnitude = np.abs(steps.mean_V)
    flat = np.median((steps.max_V - steps.min_V) / np.maximum(magnitude, 1e-6))
    if follows < 0.85 or np.median(magnitude) > METAL_CELL_MAX_V or flat > 1.5:
        return None
    typical = np.median(magnitude[np.sign(steps.mean_V) == sign])
    symmetric_V = f"voltage symmetric about 0 V (±{_volts(typical)})"
    levels = _levels(np.abs(current))
    level_of = _level_of(levels, np.abs(current))
    if levels.size >= 3 and np.all(np.diff(level_of) >= 0) and levels[-1] >= 2.0 * levels[0]:
        return Detection(K.CCD, 0.9, f"current steps of rising magnitude ({_current(levels[0], steps.area_cm2)} to "
                         f"{_current(levels[-1], steps.area_cm2)}, {levels.size} levels), alternating sign, "
                         f"{symmetric_V}")
    cycles = steps.index.size // 2
    held = _duration(float(np.median(steps.span_s))) if np.all(np.isfinite(steps.span_s)) else None
    level = _current(float(np.median(np.abs(current))), steps.area_cm2, signed=False)
    each = f" for {held} each" if held else ""
    return Detection(K.SYMMETRIC, 0.9 if cycles >= 5 else 0.6,
                     f"{cycles} cycles of alternating ±{level}{each}, {symmetric_V}")


def _gitt(steps: _Steps, current: NDArray[np.float64]) -> Detection | None:
    """Short constant-current pulses, each followed by a rest at least GITT_REST_RATIO times longer."""
    table = steps.table
    following = steps.index + 1
    has_next = following < len(table)
    rest_after = np.zeros(steps.index.size, dtype=bool)
    rest_after[has_next] = table.mode[following[has_next]] == "rest"
    if not np.all(np.isfinite(steps.span_s)):
        return None
    rest_s = np.full(steps.index.size, np.nan)
    spans = np.diff(np.r_[table.start_s, table.start_s[-1] + table.duration_s[-1]])
    rest_s[has_next] = spans[following[has_next]]
    pulse = (steps.mode == "CC") & rest_after & (rest_s >= GITT_REST_RATIO * steps.span_s) & (steps.span_s > 0)
    if pulse.sum() < 5 or pulse.mean() < 0.6:
        return None
    pulses = np.abs(current[pulse])
    if np.ptp(pulses) > 0.05 * np.median(pulses):
        return None
    signed = float(np.median(current[pulse]))
    return Detection(K.GITT, 0.9, f"{int(pulse.sum())} current pulses of {_current(signed, steps.area_cm2)} for "
                     f"{_duration(float(np.median(steps.span_s[pulse])))}, each followed by a rest of "
                     f"{_duration(float(np.median(rest_s[pulse])))}")


def _polarization_steps(steps: _Steps, current: NDArray[np.float64]) -> Detection | None:
    """Four or more steps held at set points that move one way (a steady-state polarization curve)."""
    if steps.index.size < 4 or not np.all(np.isin(steps.mode, ("CC", "CV"))) or len(set(steps.mode)) != 1:
        return None
    points = steps.set_point
    change = np.diff(points)
    scale = np.max(np.abs(points))
    if not (np.all(change > LEVEL_RTOL * scale) or np.all(change < -LEVEL_RTOL * scale)):
        return None
    if steps.mode[0] == "CC":
        what = f"current ({_current(points[0], steps.area_cm2)} to {_current(points[-1], steps.area_cm2)})"
    else:
        what = f"potential ({_volts(points[0])} to {_volts(points[-1])})"
    held = f", each held for {_duration(float(np.median(steps.span_s)))}" if np.all(np.isfinite(steps.span_s)) else ""
    return Detection(K.POLARIZATION, 0.75, f"{points.size} steady-state steps of {what}{held}")


def _rate(steps: _Steps, current: NDArray[np.float64]) -> Detection | None:
    """Cycles at three or more current levels (the current of each half-cycle's main constant-current
    step, the one passing most charge), in blocks of two cycles or more (of one, with four levels or
    more), no level holding most cycles."""
    cycle = steps.cycle
    best = None
    for direction in (DISCHARGE, CHARGE):
        chosen = np.flatnonzero((steps.mode == "CC") & (steps.direction == direction) & (cycle > 0))
        if chosen.size < 3:
            continue
        # steps sorted by cycle, then by charge passed: the last of each cycle is its main step
        order = chosen[np.lexsort((np.nan_to_num(steps.charge_mAh[chosen]), cycle[chosen]))]
        last = np.r_[cycle[order][1:] != cycle[order][:-1], True]
        per_cycle = np.abs(current[order[last]])
        levels = _levels(per_cycle)
        assigned = _level_of(levels, per_cycle)
        blocks = 1 + int(np.count_nonzero(np.diff(assigned)))
        share = np.bincount(assigned).max() / assigned.size
        long_blocks = per_cycle.size >= 2 * blocks or levels.size >= 4
        if (levels.size >= 3 and blocks >= 3 and long_blocks and share <= 0.6 and levels[-1] >= 2.0 * levels[0]
                and (best is None or levels.size > best[0].size)):
            best = (levels, blocks, per_cycle.size, direction)
    if best is None:
        return None
    levels, blocks, cycles, direction = best
    which = "discharge" if direction == DISCHARGE else "charge"
    return Detection(K.RATE, 0.85, f"{cycles} cycles at {levels.size} {which} current levels "
                     f"({_current(levels[0], steps.area_cm2, signed=False)} to "
                     f"{_current(levels[-1], steps.area_cm2, signed=False)}) in {blocks} blocks")


def _cycling(steps: _Steps, current: NDArray[np.float64]) -> Detection:
    """Charge and discharge steps alternating: galvanostatic cycling (the current range from the
    steps passing at least 5 % of the largest step charge; one-row instrument steps say nothing)."""
    direction = steps.direction
    charges, discharges = np.count_nonzero(direction == CHARGE), np.count_nonzero(direction == DISCHARGE)
    low, high = float(np.min(steps.min_V)), float(np.max(steps.max_V))
    if charges == 0 or discharges == 0:
        only, other = ("charge", "discharge") if charges else ("discharge", "charge")
        return Detection(K.UNKNOWN, 0.5, f"{steps.index.size} {only} steps and no {other} ({_volts(low)} to "
                         f"{_volts(high)}): not a cycling test")
    charge = np.nan_to_num(steps.charge_mAh)
    main = charge >= 0.05 * charge.max() if charge.max() > 0 else np.ones(charge.size, dtype=bool)
    cycles = len(np.unique(steps.cycle[steps.cycle > 0]))
    first = "discharge" if direction[main][0] == DISCHARGE else "charge"
    magnitude = np.abs(current[main & (steps.mode != "CV")])
    levels = _levels(magnitude[magnitude > 0])
    if levels.size == 1:
        at = f" at ±{_current(levels[0], steps.area_cm2, signed=False)}"
    elif levels.size:
        at = (f" at {_current(levels[0], steps.area_cm2, signed=False)} to "
              f"{_current(levels[-1], steps.area_cm2, signed=False)}")
    else:
        at = " (no current recorded)"
    holds = " with constant-voltage holds" if np.any(steps.mode == "CV") else ""
    confidence = 0.9 if cycles >= 3 else 0.7
    return Detection(K.CYCLING, confidence, f"{cycles} galvanostatic cycle{'s' * (cycles != 1)} ({first} first) "
                     f"between {_volts(low)} and {_volts(high)}{at}{holds}")


def _levels(values: NDArray[np.float64]) -> NDArray[np.float64]:
    """Distinct levels of ``values`` (sorted): values within LEVEL_RTOL of the level below join it."""
    ordered = np.sort(values[np.isfinite(values)])
    if ordered.size == 0:
        return ordered
    return ordered[np.r_[True, ordered[1:] > ordered[:-1] * (1 + LEVEL_RTOL) + 1e-12]]


def _level_of(levels: NDArray[np.float64], values: NDArray[np.float64]) -> NDArray[np.intp]:
    """Index of the level (the smallest value of its group, :func:`_levels`) each value belongs to."""
    return np.searchsorted(levels, values, side="right") - 1


# -- words -------------------------------------------------------------------------------------------------


def _area_cm2(cell: CellInfo | None) -> float | None:
    if cell is None:
        return None
    return cell.working_electrode.area_cm2 or cell.electrolyte.area_cm2


def _number(value: float) -> str:
    return f"{value:.3g}" if abs(value) < 1000 else f"{value:.0f}"


def _current(current_mA: float, area_cm2: float | None, signed: bool = True) -> str:
    if not np.isfinite(current_mA):
        return "a current not recorded"
    value = current_mA if signed else abs(current_mA)
    text = f"{_number(value)} mA"
    if area_cm2:
        text += f" ({_number(value / area_cm2)} mA/cm2)"
    return text


def _current_range(currents: Sequence[float]) -> str:
    low, high = min(currents), max(currents)
    return f"{_number(low)} mA" if abs(high - low) <= 1e-9 * max(1.0, abs(high)) else \
        f"{_number(low)} to {_number(high)} mA"


def _volts(voltage_V: float) -> str:
    return f"{1000 * voltage_V:.3g} mV" if abs(voltage_V) < 0.1 else f"{voltage_V:.3g} V"


def _charge(charge_mAh: float) -> str:
    return f"{_number(charge_mAh)} mAh"


def _scan_rate(rate_mV_s: float) -> str:
    return f"{_number(rate_mV_s)} mV/s"


def _frequency(frequency_Hz: float) -> str:
    for unit, scale in (("MHz", 1e6), ("kHz", 1e3), ("Hz", 1.0)):
        if frequency_Hz >= scale:
            return f"{frequency_Hz / scale:.3g} {unit}"
    return f"{frequency_Hz * 1e3:.3g} mHz"


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.3g} s"
    if seconds < 3600:
        return f"{seconds / 60:.3g} min"
    if seconds < 3 * 86400:
        return f"{seconds / 3600:.3g} h"
    return f"{seconds / 86400:.3g} d"
