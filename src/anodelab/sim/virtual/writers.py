"""Write virtual experiments as files a user could have produced: EC-Lab ``.mpt`` or a generic CSV.

Every number is written as the shortest text that parses back to the same float64 (Python's
``repr``), so :func:`anodelab.read` returns the arrays that were written, bit for bit (a per-step
capacity comes back as a difference of a running counter: equal to a few ulp of that counter).

``.mpt`` (BioLogic EC-Lab ASCII export, Latin-1, CRLF): the ``EC-Lab ASCII FILE`` /
``Nb header lines : N`` preamble, the settings-like header (technique, channel, cell, a few
settings derived from the data), then tab-separated columns under EC-Lab names:

* records: ``mode`` (EC-Lab's control mode, guessed from the data: 1 constant current, 2 varying
  current, 3 rest), ``ox/red``, ``error``, ``control changes`` and ``Ns changes`` (1 on the first
  row of each step), ``counter inc.``, ``Ns`` (step - 1), ``time/s``, ``Ewe/V``, ``I/mA``,
  ``(Q-Qo)/mA.h``, ``cycle number`` and ``Temperature/°C`` when the record has one. ``(Q-Qo)`` is
  the running charge built from the record's per-step capacity signed by the step's direction, so
  the reader's per-step charge ``|Q - Q(step start)|`` is the record's capacity; for steps of one
  current sign it is the integral of I dt, as EC-Lab's is (a CV sweep, whose current changes sign
  within one step, gets the integral of |I| dt instead).
* spectra: ``freq/Hz``, ``Re(Z)/Ohm``, ``-Im(Z)/Ohm``, ``|Z|/Ohm``, ``Phase(Z)/deg``, then the
  context columns given for every spectrum (``time/s``, ``<Ewe>/V``, ``<I>/mA``, ``cycle number``,
  ``Temperature/°C``), one spectrum after another as EC-Lab writes loops.

CSV (UTF-8, LF): ``time_s,voltage_V,current_mA,step,cycle,capacity_mAh[,temperature_C]`` or
``spectrum,frequency_Hz,Z_real_ohm,Z_imag_ohm`` plus the same context columns, which the generic
table reader maps by name and unit.

Nothing depends on the clock: the same data gives the same bytes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from anodelab.core.cell import CellInfo
from anodelab.core.conventions import DISCHARGE, step_directions
from anodelab.core.errors import ValidationError
from anodelab.core.record import Record
from anodelab.core.spectrum import SpectrumSeries
from anodelab.sim.virtual.experiment import VirtualExperiment

FORMATS = ("mpt", "csv")
#: the acquisition start every virtual file claims (fixed, so files are reproducible)
ACQUISITION_START = "01/06/2025 09:00:00"

_TITLES = {
    "GCPL": "Galvanostatic Cycling with Potential Limitation", "CV": "Cyclic Voltammetry",
    "LSV": "Linear Sweep Voltammetry", "PEIS": "Potentio Electrochemical Impedance Spectroscopy",
    "GEIS": "Galvano Electrochemical Impedance Spectroscopy", "OCV": "Open Circuit Voltage",
    "CA": "Chronoamperometry / Chronocoulometry", "CP": "Chronopotentiometry", "MB": "Modulo Bat",
    "WAIT": "Wait",
}


@dataclass(frozen=True)
class _Column:
    mpt: str  # EC-Lab name ("": not in .mpt files)
    csv: str  # generic-table name with its unit ("": not in CSV files)
    values: NDArray[Any]


# -- public API ---------------------------------------------------------------------------------------


def write_mpt(data: Record | SpectrumSeries, path: str | Path, *, cell: CellInfo | None = None) -> Path:
    """Write ``data`` as a BioLogic EC-Lab ASCII export (``.mpt``); returns the path.

    ``cell`` (default: ``data.cell``) fills the header's electrode, electrolyte, area and mass lines.
    """
    columns = [c for c in _columns(data) if c.mpt]
    cell = cell if cell is not None else data.cell
    settings = _record_settings(data) if isinstance(data, Record) else _spectra_settings(data)
    header = _mpt_header(_title(data), cell, settings, Path(path).with_suffix(".mpr").name)
    lines = [*header, "\t".join(c.mpt for c in columns), *_rows(columns, "\t")]
    return _write(path, "\r\n".join(lines) + "\r\n", "latin-1")


def write_csv(data: Record | SpectrumSeries, path: str | Path) -> Path:
    """Write ``data`` as a generic CSV with units in the column names; returns the path."""
    columns = [c for c in _columns(data) if c.csv]
    lines = [",".join(c.csv for c in columns), *_rows(columns, ",")]
    return _write(path, "\n".join(lines) + "\n", "utf-8")


def write_experiment(experiment: VirtualExperiment, folder: str | Path, format: str = "mpt") -> Path:
    """Write ``<name>.mpt`` (or ``.csv``), ``<name>.cell.toml`` and ``<name>.truth.json`` into ``folder``.

    Returns the data file's path; :func:`anodelab.read` picks up the ``cell.toml`` beside it.
    """
    if format not in FORMATS:
        raise ValidationError("format", f"unknown output format {format!r}; expected one of {', '.join(FORMATS)}")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{experiment.name}.{format}"
    if format == "mpt":
        write_mpt(experiment.data, path, cell=experiment.cell)
    else:
        write_csv(experiment.data, path)
    _write(folder / f"{experiment.name}.cell.toml", experiment.cell.to_toml(), "utf-8")
    _write(folder / f"{experiment.name}.truth.json", experiment.truth_json(), "utf-8")
    return path


# -- columns ------------------------------------------------------------------------------------------


def _columns(data: Record | SpectrumSeries) -> list[_Column]:
    if isinstance(data, Record):
        return _record_columns(data)
    if isinstance(data, SpectrumSeries):
        return _spectra_columns(data)
    raise ValidationError("data", f"expected a Record or SpectrumSeries, got {type(data).__name__}")


def _record_columns(record: Record) -> list[_Column]:
    for name in ("time_s", "current_mA", "capacity_mAh"):
        if name not in record:
            raise ValidationError(f"data.{name}", "a record needs time, current and capacity columns to be written")
    if len(record) == 0:
        raise ValidationError("data", "the record has no rows")
    step, current = record["step"], record["current_mA"]
    starts = np.flatnonzero(np.r_[True, step[1:] != step[:-1]])
    first_row = np.zeros(len(record), dtype=np.int64)
    first_row[starts[1:]] = 1
    columns = [
        _Column("mode", "", _modes(current, starts)),
        _Column("ox/red", "", (current > 0).astype(np.int64)),
        _Column("error", "", np.zeros(len(record), dtype=np.int64)),
        _Column("control changes", "", first_row),
        _Column("Ns changes", "", first_row),
        _Column("counter inc.", "", np.zeros(len(record), dtype=np.int64)),
        _Column("Ns", "", step.astype(np.int64) - 1),
        _Column("time/s", "time_s", record["time_s"]),
        _Column("Ewe/V", "voltage_V", record["voltage_V"]),
        _Column("I/mA", "current_mA", current),
        _Column("", "step", step.astype(np.int64)),
        _Column("(Q-Qo)/mA.h", "", _running_charge(record, starts)),
        _Column("", "capacity_mAh", record["capacity_mAh"]),
        _Column("cycle number", "cycle", record["cycle"].astype(np.int64)),
    ]
    if "temperature_C" in record:
        columns.append(_Column("Temperature/°C", "temperature_C", record["temperature_C"]))
    return columns


def _modes(current: NDArray[np.float64], starts: NDArray[np.int64]) -> NDArray[np.int64]:
    """EC-Lab control mode per row: 3 rest (no current), 1 current held within 5 %, 2 otherwise."""
    ends = np.r_[starts[1:], current.size]
    mode = np.empty(current.size, dtype=np.int64)
    for begin, end in zip(starts, ends):
        part = current[begin:end]
        if not np.any(part):
            mode[begin:end] = 3
        else:
            mode[begin:end] = 1 if np.ptp(part) <= 0.05 * np.max(np.abs(part)) else 2
    return mode


def _running_charge(record: Record, starts: NDArray[np.int64]) -> NDArray[np.float64]:
    """(Q-Qo) in mAh: each step adds its capacity, negative for a discharge (cathodic) step."""
    capacity = record["capacity_mAh"]
    lengths = np.diff(np.r_[starts, capacity.size])
    within = capacity - np.repeat(capacity[starts], lengths)
    direction = step_directions(record["step"], record["state"])
    sign = np.where(direction == DISCHARGE, -1.0, 1.0)
    ends = np.r_[starts[1:], capacity.size] - 1
    totals = sign * within[ends]
    offsets = np.r_[0.0, np.cumsum(totals)[:-1]]
    q_mAh: NDArray[np.float64] = np.repeat(offsets, lengths) + np.repeat(sign, lengths) * within
    return q_mAh


def _spectra_columns(series: SpectrumSeries) -> list[_Column]:
    _check_sweeps(series)
    counts = [len(s) for s in series]
    Z = np.concatenate([s.Z_ohm for s in series])
    columns = [
        _Column("", "spectrum", np.repeat(np.arange(len(series), dtype=np.int64), counts)),
        _Column("freq/Hz", "frequency_Hz", np.concatenate([s.frequency_Hz for s in series])),
        _Column("Re(Z)/Ohm", "Z_real_ohm", Z.real),
        _Column("-Im(Z)/Ohm", "", -Z.imag),
        _Column("", "Z_imag_ohm", Z.imag),
        _Column("|Z|/Ohm", "", np.abs(Z)),
        _Column("Phase(Z)/deg", "", np.degrees(np.angle(Z))),
    ]
    for field, mpt, csv in (("time_s", "time/s", "time_s"), ("voltage_V", "<Ewe>/V", "voltage_V"),
                            ("current_mA", "<I>/mA", "current_mA"), ("cycle", "cycle number", "cycle"),
                            ("temperature_C", "Temperature/°C", "temperature_C")):
        values = [getattr(s.context, field) for s in series]
        given = [v is not None for v in values]
        if not any(given):
            continue
        if not all(given):
            missing = given.index(False) + 1
            raise ValidationError(f"data.context.{field}", f"given for some spectra but not for spectrum {missing}; "
                                  "give it for every spectrum or for none")
        dtype = np.int64 if field == "cycle" else np.float64
        columns.append(_Column(mpt, csv, np.repeat(np.asarray(values, dtype=dtype), counts)))
    time = next((c.values for c in columns if c.csv == "time_s"), None)
    if time is not None and np.any(np.diff(time) < 0):
        raise ValidationError("data.context.time_s", "spectra must be in time order (a file's time never runs back)")
    return columns


def _check_sweeps(series: SpectrumSeries) -> None:
    """Readers split spectra where the frequency sweep restarts: make every boundary one."""
    for index, spectrum in enumerate(series):
        if len(spectrum) < 2:
            raise ValidationError("data", f"spectrum {index + 1} has one point; a sweep needs at least two")
        if index and spectrum.frequency_Hz[0] < series[index - 1].frequency_Hz[-1]:
            raise ValidationError("data", f"spectrum {index + 1} starts below the last frequency of spectrum "
                                  f"{index}, so in one file it would continue that sweep")


def _rows(columns: Sequence[_Column], separator: str) -> list[str]:
    """Text rows: integers as integers, floats as their shortest exact representation."""
    text = [list(map(_formatter(c.values), c.values.tolist())) for c in columns]
    return [separator.join(row) for row in zip(*text)]


def _formatter(values: NDArray[Any]) -> Callable[[Any], str]:
    return str if values.dtype.kind in "iub" else repr


# -- header -------------------------------------------------------------------------------------------


def _title(data: Record | SpectrumSeries) -> str:
    techniques = data.provenance.techniques
    if not techniques:
        return _TITLES["PEIS"] if isinstance(data, SpectrumSeries) else _TITLES["GCPL"]
    return _TITLES.get(techniques[0].upper(), techniques[0])


def _record_settings(record: Record) -> list[tuple[str, str]]:
    voltage, current = record["voltage_V"], np.abs(record["current_mA"])
    return [
        ("E range min (V)", f"{np.floor(voltage.min()):.3f}"),
        ("E range max (V)", f"{np.ceil(voltage.max()):.3f}"),
        ("I Range", _current_range(float(current.max()))),
        ("Bandwidth", "8"),
        ("nc cycles", str(int(record["cycle"].max()))),
    ]


def _spectra_settings(series: SpectrumSeries) -> list[tuple[str, str]]:
    first = series[0].frequency_Hz
    decades = np.log10(first[0] / first[-1])
    per_decade = (len(first) - 1) / decades if decades > 0 else len(first)
    return [
        ("fi", _si_frequency(float(first[0]))[0]), ("unit fi", _si_frequency(float(first[0]))[1]),
        ("ff", _si_frequency(float(first[-1]))[0]), ("unit ff", _si_frequency(float(first[-1]))[1]),
        ("Nd", f"{per_decade:.0f}"), ("Points", "per decade"), ("spacing", "Logarithmic"),
        ("nc cycles", str(len(series) - 1)),
    ]


def _si_frequency(frequency_Hz: float) -> tuple[str, str]:
    """Value and unit as EC-Lab's settings show a frequency (e.g. ``1.000``, ``MHz``)."""
    unit, scale = next(((u, s) for u, s in (("MHz", 1e6), ("kHz", 1e3), ("Hz", 1.0)) if frequency_Hz >= s),
                       ("mHz", 1e-3))
    return f"{frequency_Hz / scale:.3f}", unit


def _current_range(current_mA: float) -> str:
    for label, limit_mA in (("10 µA", 0.01), ("100 µA", 0.1), ("1 mA", 1.0), ("10 mA", 10.0), ("100 mA", 100.0)):
        if current_mA <= limit_mA:
            return label
    return "1 A"


def _mpt_header(title: str, cell: CellInfo | None, settings: list[tuple[str, str]], mpr_name: str) -> list[str]:
    """The header lines up to (not including) the column names, with the line count filled in."""
    cell = cell or CellInfo("symmetric")  # an empty description: blank fields
    we = cell.working_electrode
    area_cm2 = we.area_cm2 or cell.electrolyte.area_cm2 or 0.0
    mass_g = (we.active_mass_mg or 0.0) / 1000.0
    lines = [
        "EC-Lab ASCII FILE", "Nb header lines : {n}", "", title, "",
        "Run on channel : 1 (SN 0001)", "User : ", "Electrode connection : standard",
        "Ewe ctrl range : min = -10.00 V, max = 10.00 V", "Ewe,I filtering : 50 kHz", "Channel : Grounded",
        f"Acquisition started on : {ACQUISITION_START}", f"Technique started on : {ACQUISITION_START}",
        "Saved on :", f"\tFile : {mpr_name}", "\tDirectory : C:\\anodelab\\virtual\\", "\tHost : 127.0.0.1",
        "Device : anodelab virtual lab (SN 0000)", "Address : USB", "anodelab virtual lab (software)",
        f"Electrode material : {we.material or ''}", "Initial state : ",
        f"Electrolyte : {cell.electrolyte.kind or ''}", f"Comments : {' '.join(cell.notes.split())}",
        "Cable : standard", f"Reference electrode : {cell.counter_electrode.material or ''}",
        f"Electrode surface area : {area_cm2:.4g} cm²",
        f"Characteristic mass : {mass_g:.6g} g",
        "Equivalent Weight : 0.000 g/eq.", "Density : 0.000 g/cm3",
        "Text export", "   Mode : Standard", "   Time format : Elapsed",
        "Cycle Definition : Charge/Discharge alternance",
        *(f"{name:<20}{value:<20}" for name, value in settings),
        "",
    ]
    lines[1] = f"Nb header lines : {len(lines) + 1}".ljust(46)
    return lines


def _write(path: str | Path, text: str, encoding: str) -> Path:
    path = Path(path)
    path.write_bytes(text.encode(encoding, errors="replace"))
    return path
