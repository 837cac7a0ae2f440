"""Writers: .mpt and CSV files read back through anodelab.read to the arrays that were written."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest

import anodelab
from anodelab.core import (
    CellInfo,
    Electrode,
    Electrolyte,
    Provenance,
    Record,
    Spectrum,
    SpectrumContext,
    SpectrumSeries,
)
from anodelab.core.errors import ValidationError
from anodelab.sim.virtual.experiment import VirtualExperiment
from anodelab.sim.virtual.impedance import temperature_eis_series
from anodelab.sim.virtual.writers import write_csv, write_experiment, write_mpt

CELL = CellInfo(
    "anode-half",
    working_electrode=Electrode(material="Si-ZnO", mass_mg=2.1, active_fraction=0.6, area_cm2=0.785),
    counter_electrode=Electrode(material="Li-In"),
    electrolyte=Electrolyte(kind="Li6PS5Cl", thickness_um=600.0, area_cm2=0.785),
    temperature_C=25.0,
    notes="Si-ZnO | Li6PS5Cl | Li-In",
)
SNIFFED = {"mpt": "biologic-mpt", "csv": "generic-table"}


@pytest.fixture(scope="module")
def record() -> Record:
    """Rest, lithiation, rest, delithiation, then two back-to-back lithiation steps at different
    currents (only the step id separates them), irregular sampling and a temperature column."""
    rng = np.random.default_rng(7)
    segments = [(0.0, 30), (-0.2, 120), (0.0, 20), (0.2, 90), (-0.1, 40), (-0.05, 40), (0.0, 10), (0.15, 60)]
    time, current, step = [], [], []
    start = 0.0
    for index, (current_mA, n) in enumerate(segments):
        t = start + np.sort(rng.uniform(0.0, 900.0, n))
        t[0] = start
        time.append(t)
        current.append(current_mA * (1.0 + 0.01 * rng.standard_normal(n)) if current_mA else np.zeros(n))
        step.append(np.full(n, 10 + index))
        start = t[-1] + rng.uniform(0.5, 2.0)
    n_rows = sum(n for _, n in segments)
    return Record.from_columns(
        {"time_s": np.concatenate(time), "voltage_V": 0.4 + 0.2 * rng.random(n_rows),
         "current_mA": np.concatenate(current), "step": np.concatenate(step),
         "temperature_C": 25.0 + rng.standard_normal(n_rows)},
        cell=CELL, provenance=Provenance(instrument="anodelab virtual lab", techniques=("GCPL",)),
    )


@pytest.fixture(scope="module")
def series() -> SpectrumSeries:
    """Three RC spectra on different grids, with time, voltage, current, cycle and temperature."""
    spectra = []
    for k in range(3):
        frequency = np.logspace(6, -1 + 0.3 * k, 40 + k)
        Z = 10.0 + 100.0 * (k + 1) / (1.0 + 2j * np.pi * frequency * 1e-6 * (k + 1))
        context = SpectrumContext(time_s=600.0 * k + 50.0, voltage_V=0.3 + 0.1 * k, current_mA=-0.05,
                                  cycle=1 + k // 2, temperature_C=25.0 + 10.0 * k)
        spectra.append(Spectrum.from_arrays(frequency, Z, context=context))
    return SpectrumSeries.of(spectra, cell=CELL, provenance=Provenance(techniques=("PEIS",)))


WRITERS = {"mpt": write_mpt, "csv": write_csv}


@pytest.mark.parametrize("fmt", ["mpt", "csv"])
def test_record_round_trip(tmp_path, record, fmt):
    path = WRITERS[fmt](record, tmp_path / f"run.{fmt}")
    back = anodelab.read(path, cell=CELL)
    assert back.provenance.format == SNIFFED[fmt]
    # floats are written as their shortest exact text (repr), so they parse back bit for bit
    for name in ("time_s", "voltage_V", "current_mA", "temperature_C"):
        np.testing.assert_array_equal(back[name], record[name] - (record[name][0] if name == "time_s" else 0.0))
    for name in ("step", "cycle", "state"):
        np.testing.assert_array_equal(back[name], record[name])
    assert back.n_steps == 8 and back.cycles.tolist() == [0, 1, 2]
    # .mpt stores the running (Q-Qo); the reader takes differences within each step, exact up to
    # rounding of that counter (a few ulp of max |Q-Qo|). CSV stores the per-step capacity itself.
    scale = np.abs(record.capacity_mAh).max()
    np.testing.assert_allclose(back.capacity_mAh, record.capacity_mAh, rtol=0, atol=1e-13 * scale)
    # and it is the charge passed: |I| integrated over each step's time (an independent sum)
    last = np.flatnonzero(np.r_[np.diff(record["step"]) != 0, True])
    for row in last:
        rows = record["step"] == record["step"][row]
        charge = np.trapezoid(np.abs(record.current_mA[rows]), record.time_s[rows]) / 3600.0
        assert back.capacity_mAh[row] == pytest.approx(charge, rel=1e-12, abs=1e-15)


def test_mpt_running_charge_is_signed_integral_of_current(tmp_path, record):
    """(Q-Qo) is what EC-Lab stores: the integral of I dt (steps here have one current sign each)."""
    back = anodelab.read(write_mpt(record, tmp_path / "run.mpt"))
    current, time = record.current_mA, record.time_s
    increments = 0.5 * (current[1:] + current[:-1]) * np.diff(time) / 3600.0
    increments[np.diff(record["step"]) != 0] = 0.0  # the reader's steps do not count the gap between steps
    expected = np.r_[0.0, np.cumsum(increments)]
    np.testing.assert_allclose(back["Q_minus_Qo_mAh"], expected, rtol=0, atol=1e-12)


@pytest.mark.parametrize("fmt", ["mpt", "csv"])
def test_spectra_round_trip(tmp_path, series, fmt):
    path = WRITERS[fmt](series, tmp_path / f"eis.{fmt}")
    back = anodelab.read(path)
    assert back.provenance.format == SNIFFED[fmt]
    assert len(back) == len(series)
    for read, written in zip(back, series):
        np.testing.assert_array_equal(read.frequency_Hz, written.frequency_Hz)
        np.testing.assert_array_equal(read.Z_ohm, written.Z_ohm)
        assert read.context.time_s == written.context.time_s - series[0].context.time_s
        assert read.context.cycle == written.context.cycle
        # voltage and current come back as the mean of the (equal) per-point values: rounding only
        assert read.context.voltage_V == pytest.approx(written.context.voltage_V, rel=1e-14)
        assert read.context.current_mA == pytest.approx(written.context.current_mA, rel=1e-14)
        if fmt == "mpt":  # the generic table reader takes no temperature context
            assert read.context.temperature_C == pytest.approx(written.context.temperature_C, rel=1e-14)


def test_spectra_without_context_leave_it_out(tmp_path):
    frequency = np.logspace(5, 0, 11)
    bare = SpectrumSeries.of([Spectrum.from_arrays(frequency, 5.0 - 1j / frequency)] * 2)
    for fmt, writer in WRITERS.items():
        back = anodelab.read(writer(bare, tmp_path / f"bare.{fmt}"))
        assert len(back) == 2 and back[1].context.time_s is None and back[1].context.cycle is None


def test_mpt_is_an_ec_lab_export(tmp_path, series, record):
    raw = write_mpt(record, tmp_path / "run.mpt", cell=CELL).read_bytes()
    lines = raw.split(b"\r\n")
    assert raw.endswith(b"\r\n") and b"\n" not in raw.replace(b"\r\n", b"")  # CRLF only
    assert lines[0] == b"EC-Lab ASCII FILE"
    n_header = int(lines[1].split(b":")[1])
    assert lines[n_header - 1].split(b"\t")[:7] == [b"mode", b"ox/red", b"error", b"control changes",
                                                    b"Ns changes", b"counter inc.", b"Ns"]
    assert b"Electrode surface area : 0.785 cm\xb2" in raw  # Latin-1, as EC-Lab writes
    assert b"Temperature/\xb0C" in lines[n_header - 1]
    assert b"Galvanostatic Cycling with Potential Limitation" in lines[3]
    spectra = write_mpt(series, tmp_path / "eis.mpt").read_bytes().split(b"\r\n")
    n_header = int(spectra[1].split(b":")[1])
    assert spectra[n_header - 1].split(b"\t")[:5] == [b"freq/Hz", b"Re(Z)/Ohm", b"-Im(Z)/Ohm", b"|Z|/Ohm",
                                                      b"Phase(Z)/deg"]
    assert anodelab.read(tmp_path / "eis.mpt").provenance.techniques == ("PEIS",)


@pytest.mark.parametrize("fmt", ["mpt", "csv"])
def test_write_experiment_is_deterministic_and_carries_the_cell(tmp_path, record, series, fmt):
    experiments = [
        VirtualExperiment("si_half_cell", "cycling", record, CELL, {"capacity_mAh": [0.1, 0.2]}, seed=3),
        VirtualExperiment("insitu_eis", "eis-series", series, CELL, {"R_ohm": 10.0}, seed=3),
    ]
    for experiment in experiments:
        first = write_experiment(experiment, tmp_path / "a", format=fmt)
        write_experiment(experiment, tmp_path / "b", format=fmt)
        assert first.name == f"{experiment.name}.{fmt}"
        for suffix in (f".{fmt}", ".cell.toml", ".truth.json"):
            name = experiment.name + suffix
            assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
        back = anodelab.read(first)  # the cell.toml beside the file is picked up
        assert back.provenance.format == SNIFFED[fmt]
        assert replace(back.cell, source=None) == CELL
        assert back.cell.source == str(tmp_path / "a" / f"{experiment.name}.cell.toml")
        truth = json.loads((tmp_path / "a" / f"{experiment.name}.truth.json").read_text())
        assert truth == json.loads(experiment.truth_json())


def test_bad_input_names_the_field(tmp_path, record, series):
    experiment = VirtualExperiment("x", "cycling", record, CELL)
    with pytest.raises(ValidationError, match="format") as error:
        write_experiment(experiment, tmp_path, format="xlsx")
    assert error.value.field == "format"
    no_current = Record.from_columns({"time_s": [0.0, 1.0], "voltage_V": [0.1, 0.2]})
    with pytest.raises(ValidationError) as error:
        write_mpt(no_current, tmp_path / "x.mpt")
    assert error.value.field == "data.current_mA"
    mixed = SpectrumSeries.of([series[0], replace(series[1], context=SpectrumContext())])
    with pytest.raises(ValidationError) as error:
        write_csv(mixed, tmp_path / "x.csv")
    assert error.value.field == "data.context.time_s"
    backwards = SpectrumSeries.of([series[1], series[0]])
    with pytest.raises(ValidationError, match="time order"):
        write_mpt(backwards, tmp_path / "x.mpt")
    frequency = np.logspace(5, 0, 6)
    split = [Spectrum.from_arrays(frequency[:3], np.ones(3) - 1j), Spectrum.from_arrays(frequency[3:], np.ones(3) - 1j)]
    with pytest.raises(ValidationError, match="continue that sweep"):
        write_csv(SpectrumSeries.of(split), tmp_path / "x.csv")
    with pytest.raises(ValidationError, match="Record or SpectrumSeries"):
        write_csv(series[0], tmp_path / "x.csv")  # type: ignore[arg-type]


@pytest.mark.parametrize("fmt", ["mpt", "csv"])
def test_temperature_of_each_spectrum_survives_the_round_trip(tmp_path, fmt):
    experiment = temperature_eis_series(temperatures_C=(-10.0, 25.0, 60.0))
    back = anodelab.read(write_experiment(experiment, tmp_path, format=fmt))
    assert [c.temperature_C for c in back.contexts] == [-10.0, 25.0, 60.0]
