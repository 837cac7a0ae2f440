"""What experiment a file holds, told from its data alone (never from its name or its header's
technique line), with a confidence and the reason a person would give.

Time series are judged on their step table (:func:`anodelab.core.steps.step_table`):

* no current passed: nothing to detect (``unknown``), unless the cell is a symmetric one and the
  record is a long voltage trace without current (a polarised metal|metal cell).
* most of the active time under neither constant current nor constant voltage, and most of the
  voltage those rows travel swept at one rate
  (:data:`~anodelab.study.detect_voltammetry.SWEEP_MIN_FRACTION`) with a current that is not held:
  the trace is cut at its turning points into legs, making a ``cv`` (two legs or more), an ``lsv``
  (one leg) or a ``polarization`` curve (one slow leg, at most
  :data:`~anodelab.study.detect_voltammetry.TAFEL_MAX_RATE_MV_S` and
  :data:`~anodelab.study.detect_voltammetry.TAFEL_MAX_SPAN_V`, through the zero-current potential);
  :mod:`anodelab.study.detect_voltammetry`.
* galvanostatic, in this order: one active step (``nucleation``: a plating step whose voltage dips
  and recovers to a small plateau); plating then stripping to a voltage cut-off (``plating-ce``, per
  cycle or Aurbach's reservoir); the voltage of a metal|metal cell (its sign follows the current,
  small and flat: ``ccd`` when the current magnitude rises level by level, else ``symmetric``);
  short pulses each followed by a rest at least as long (``gitt``); four or more steps held at set
  points that move one way (``polarization``); cycles at several current levels in blocks
  (``rate``); else ``cycling``; :mod:`anodelab.study.detect_galvanostatic`.

Spectra (:mod:`anodelab.study.detect_spectra`): an ion-blocking cell (a capacitive tail at the lowest
frequencies: a phase of nearly constant value beyond
:data:`~anodelab.study.detect_spectra.BLOCKING_PHASE_DEG`, or beyond
:data:`~anodelab.study.detect_spectra.BLOCKING_STEEP_PHASE_DEG`) is ``conductivity``; several spectra at
different temperatures ``eis-temperature``; several others ``eis-series``; one ``eis``. A
:class:`~anodelab.core.cycles.CycleTable` is a ``cycle-table``.

The cell type is a hint: it settles what the data leave open (a voltage trace without current, a
short tail) and raises or lowers the confidence; where the data decide, they win.
"""

from __future__ import annotations

import numpy as np

from anodelab.core.cell import CellInfo
from anodelab.core.conventions import REST
from anodelab.core.cycles import CycleTable
from anodelab.core.errors import NotApplicableError
from anodelab.core.experiment import Detection, ExperimentKind
from anodelab.core.model_spec import SIMULATIONS, ModelSpec
from anodelab.core.record import Record
from anodelab.core.spectrum import Spectrum, SpectrumSeries
from anodelab.core.steps import step_table
from anodelab.study import detect_words as words
from anodelab.study.detect_galvanostatic import (
    METAL_CELL_MAX_V,
    ActiveSteps,
    detect_galvanostatic,
)
from anodelab.study.detect_spectra import detect_spectra
from anodelab.study.detect_voltammetry import detect_voltammetry

K = ExperimentKind

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
        found = detect_spectra(data, cell)
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
    steps = ActiveSteps(table, active, span_s[active], area)
    weight = span_s[active] if "time_s" in record else rows[active].astype(float)
    controlled = np.isin(steps.mode, ("CC", "CV"))
    found = None
    if "current_mA" in record and weight[~controlled].sum() > weight[controlled].sum():
        found = detect_voltammetry(record, table, active)
    if found is None:
        found = detect_galvanostatic(steps, record)
    impedance = int(np.count_nonzero(table.mode == "impedance"))
    if impedance:
        found = Detection(found.kind, found.confidence, f"{found.reason}; {impedance} impedance "
                          f"measurement{'s' * (impedance != 1)} between the steps")
    return found


def _no_current(record: Record, cell: CellInfo | None) -> Detection:
    voltage = record["voltage_V"]
    duration = record.duration_s
    what = (f"{len(record)} rows" + (f" over {words.duration(duration)}" if duration else "")
            + f", {words.volts(voltage.min())} to {words.volts(voltage.max())}")
    if "current_mA" in record or "capacity_mAh" in record:
        return Detection(K.UNKNOWN, 0.9, f"no current passed: only rest (open circuit), {what}")
    if cell is not None and cell.cell_type == "symmetric" and duration and duration >= 3600.0 \
            and np.max(np.abs(voltage)) <= METAL_CELL_MAX_V:
        polarity = "one polarity" if voltage.min() * voltage.max() > 0 else "both polarities"
        return Detection(K.SYMMETRIC, 0.5, f"a voltage trace without current ({what}, {polarity}) of a symmetric "
                         "cell: a long polarization of a metal|metal cell")
    return Detection(K.UNKNOWN, 0.8, f"a voltage trace without current or step states ({what}): what was "
                     "applied cannot be told")


def _area_cm2(cell: CellInfo | None) -> float | None:
    if cell is None:
        return None
    return cell.working_electrode.area_cm2 or cell.electrolyte.area_cm2
