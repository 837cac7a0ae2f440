"""BDF, BatteryArchive and the generic table reader: every shared EIS table and CV file, the cycler
CSVs, unit handling, and refusals that name the file and the column."""

from __future__ import annotations

import shutil
from functools import cache

import numpy as np
import pandas as pd
import pytest
from shared_data import external_file

import anodelab
from anodelab.core.cell import CellInfo
from anodelab.core.cycles import CycleTable
from anodelab.core.errors import MetadataError, ReadError
from anodelab.core.record import Record
from anodelab.core.spectrum import SpectrumSeries
from anodelab.cycling import cycle_summary
from anodelab.io.columns import split_header
from anodelab.io.tables import (
    read_batteryarchive,
    read_bdf,
    read_cycle_table,
    read_table,
)
from anodelab.io.units import unit_scale

HEADERLESS_EIS = ["eis/impedancepy_exampleData.csv", "eis/pydrttools_LIB_data.txt", "eis/pydrttools_LIB_data_2.txt",
                  "eis/pydrttools_zarc_data.txt"]
ECHEMDB = "cv/echemdb_engstfeld2018_Cu100_KOH/engstfeld_2018_polycrystalline_17743_f4b_1.csv"
HEUBACH = "cv/heubach2024_Au111_ionic_liquid/Fig_1_a_black.csv"
CALCE = "cycler/other/CALCE_CX2-33_prism_LCO_25C_0-100_0.5-0.5C_d_"


@cache
def read(relative: str) -> Record | SpectrumSeries:
    return anodelab.read(external_file(relative))


def sorted_by_frequency(frequency, *columns):
    order = np.argsort(-frequency, kind="stable")
    return (frequency[order],) + tuple(c[order] for c in columns)


# -- impedance tables --------------------------------------------------------------------------------


@pytest.mark.parametrize("relative", HEADERLESS_EIS)
def test_headerless_eis_tables_equal_numpy_and_keep_the_measured_sign(relative):
    series = read(relative)
    assert series.provenance.format == "generic-table" and len(series) == 1
    data = np.loadtxt(external_file(relative), delimiter="," if relative.endswith(".csv") else None)
    frequency, real, imag = sorted_by_frequency(data[:, 0], data[:, 1], data[:, 2])
    np.testing.assert_array_equal(series[0].frequency_Hz, frequency)
    np.testing.assert_array_equal(series[0].Z_real_ohm, real)
    # eis/README.md: these files store Im(Z) as measured (negative capacitive); the reader decides
    # this from the data (most points <= 0) and says so in the notes
    np.testing.assert_array_equal(series[0].Z_imag_ohm, imag)
    assert any("as measured" in note for note in series.provenance.notes)
    assert series[0].Z_imag_ohm[-1] < 0  # lowest frequency: capacitive


def test_headerless_eis_equals_impedance_py_readcsv(external):
    from impedance.preprocessing import readCSV

    frequency, Z = readCSV(str(external("eis/impedancepy_exampleData.csv")))
    spectrum = read("eis/impedancepy_exampleData.csv")[0]
    np.testing.assert_array_equal(spectrum.Z_ohm, Z[np.argsort(-frequency)])


def test_headerless_table_storing_minus_im_is_flipped(tmp_path):
    data = np.loadtxt(external_file("eis/pydrttools_zarc_data.txt"))
    path = tmp_path / "minus_im.txt"
    np.savetxt(path, np.column_stack([data[:, 0], data[:, 1], -data[:, 2]]))
    series = anodelab.read(path)
    np.testing.assert_allclose(series[0].Z_imag_ohm, sorted_by_frequency(data[:, 0], data[:, 2])[1])
    assert any("flipped" in note for note in series.provenance.notes)


def test_freq_real_imag_csv_with_an_index_column(external):
    series = read("eis/pydrttools_tutorial_2ZARC0.csv")
    frame = pd.read_csv(external("eis/pydrttools_tutorial_2ZARC0.csv"), index_col=0)
    frequency, real, imag = sorted_by_frequency(*(frame[c].to_numpy() for c in ("Freq", "Real", "Imag")))
    np.testing.assert_array_equal(series[0].frequency_Hz, frequency)
    np.testing.assert_array_equal(series[0].Z_ohm, real + 1j * imag)
    assert any("no units" in note for note in series.provenance.notes)


def test_eclab_style_minus_im_column_and_several_sweeps(tmp_path):
    frequency = np.logspace(4, -1, 11)
    Z = 10 + 50 / (1 + 1j * 2 * np.pi * frequency * 1e-3 * 50)
    rows = np.column_stack([frequency, Z.real, -Z.imag])
    path = tmp_path / "peis.csv"
    text = "freq/Hz,Re(Z)/Ohm,-Im(Z)/Ohm\n" + "".join(f"{f},{r},{i}\n" for f, r, i in np.vstack([rows, rows]))
    path.write_text(text)
    series = anodelab.read(path, format="generic-table")  # biologic-csv also claims 'freq/Hz' headers
    assert len(series) == 2  # the sweep restarts at 10 kHz: two spectra
    for spectrum in series:
        np.testing.assert_allclose(spectrum.Z_ohm, Z)
    with_context = tmp_path / "peis_context.csv"  # EC-Lab PEIS exports carry time and <Ewe> per point
    with_context.write_text("freq/Hz,Re(Z)/Ohm,-Im(Z)/Ohm,time/s,<Ewe>/V\n"
                            + "".join(f"{f},{r},{i},{t},3.7\n" for t, (f, r, i) in enumerate(rows)))
    spectrum = read_table(with_context)[0]
    np.testing.assert_allclose(spectrum.Z_ohm, Z)
    assert spectrum.context.voltage_V == pytest.approx(3.7) and spectrum.context.time_s == 0
    ours = tmp_path / "ours.csv"
    ours.write_text("frequency_Hz,Z_real_ohm,Z_imag_ohm\n" + "".join(f"{f},{z.real},{z.imag}\n" for f, z in zip(frequency, Z)))
    np.testing.assert_allclose(anodelab.read(ours)[0].Z_ohm, Z)


@pytest.mark.parametrize("bad", ["nan", "0", "", "-5"])
def test_impedance_table_with_a_bad_frequency_row_stays_spectra(tmp_path, bad):
    # an EC-Lab-style PEIS export carries time, <Ewe> and I on every row: one broken frequency must
    # not turn it into a cycling record
    frequency = np.logspace(4, -1, 11)
    Z = 10 + 50 / (1 + 1j * 2 * np.pi * frequency * 1e-3 * 50)
    lines = ["freq/Hz,Re(Z)/Ohm,-Im(Z)/Ohm,time/s,<Ewe>/V,I/mA"]
    for k, (f, z) in enumerate(zip(frequency, Z)):
        lines.append(f"{bad if k == 6 else f},{z.real},{-z.imag},{k},3.7,0.0")
    path = tmp_path / "peis.csv"
    path.write_text("\n".join(lines) + "\n")
    series = read_table(path)
    assert isinstance(series, SpectrumSeries)
    keep = np.arange(frequency.size) != 6
    np.testing.assert_allclose(np.concatenate([s.Z_ohm for s in series]), Z[keep])
    assert any("1 of 11 rows have no valid frequency" in note and "data rows 7" in note
               for note in series.provenance.notes)


# -- CV files with units rows and sidecars -------------------------------------------------------------


def test_echemdb_cv_units_row():
    record = read(ECHEMDB)
    assert record.provenance.format == "generic-table"
    frame = pd.read_csv(external_file(ECHEMDB), skiprows=[1])
    assert len(record) == len(frame) == 1403  # cv/echemdb README
    np.testing.assert_array_equal(record.voltage_V, frame["E"].to_numpy())
    np.testing.assert_array_equal(record.current_mA, frame["<I>"].to_numpy())  # '<I>' is in mA
    # 'I (raw)' is the same current in \g(m)A = uA: an independent check of the units row
    np.testing.assert_allclose(record["i_raw_uA"] / 1000, record.current_mA, rtol=1e-9)
    assert any("RHE" in note for note in record.provenance.notes)


def test_heubach_cv_units_from_the_sidecar(tmp_path):
    record = read(HEUBACH)
    frame = pd.read_csv(external_file(HEUBACH))
    assert len(record) == len(frame) == 1000
    np.testing.assert_array_equal(record.voltage_V, frame["E"].to_numpy())
    np.testing.assert_allclose(record.current_mA, frame["I"].to_numpy() * 1000)  # sidecar: I in A
    np.testing.assert_allclose(record.time_s, frame["t"].to_numpy() - frame["t"].iloc[0])
    # 5 mV/s scan (meta.yaml): |dE/dt| of the sweep matches
    rate = np.median(np.abs(np.diff(record.voltage_V)) / np.diff(record.time_s))
    assert rate == pytest.approx(0.005, rel=0.02)
    alone = tmp_path / "Fig_1_a_black.csv"
    shutil.copyfile(external_file(HEUBACH), alone)  # without its .meta.yaml: no units anywhere
    with pytest.raises(ReadError) as info:
        read_table(alone)
    assert str(alone) in str(info.value) and "has no unit" in str(info.value)


def test_generic_reader_agrees_with_the_biologic_text_reader_on_an_lsv_export():
    # Attia's LSV files (ox/red, time/s, Ecell/V, I/mA, tab separated) are claimed by biologic-csv;
    # the generic reader maps the same names and units independently
    path = external_file("cv/attia2021_carbon_black_lsv/cellI_CB_LSV_300mVpermin_CB5.txt")
    generic, biologic = anodelab.read(path, format="generic-table"), anodelab.read(path)
    assert biologic.provenance.format == "biologic-csv"
    for name in ("time_s", "voltage_V", "current_mA"):
        np.testing.assert_array_equal(generic[name], biologic[name])


# -- cycler tables -----------------------------------------------------------------------------------------


def test_pec_header_block_and_millivolts():
    record = read("cycler/other/pec.csv")
    frame = pd.read_csv(external_file("cycler/other/pec.csv"), skiprows=32, encoding="latin-1", index_col=False)
    assert len(record) == len(frame) == 16255
    np.testing.assert_allclose(record.voltage_V, frame["Voltage (mV)"].to_numpy() / 1000)
    np.testing.assert_allclose(record.current_mA, frame["Current (mA)"].to_numpy())
    charging = np.diff(frame["Charge Capacity (mAh)"].to_numpy()) > 0
    assert np.all(record.current_mA[1:][charging] > 0)  # PEC already stores charge > 0: no flip
    assert not any("flipped" in note for note in record.provenance.notes)
    assert "charge_energy_mWh" in record  # 'Charge Capacity (mWh)' is an energy by its unit
    assert np.nanmax(record.temperature_C) < 40  # 'Cell surface temperature (°C)'


def test_batterydata_raw_csv_with_impedance_columns():
    record = read("cycler/other/p492-13-raw.csv")
    frame = pd.read_csv(external_file("cycler/other/p492-13-raw.csv"))
    assert len(record) == len(frame) == 2021
    np.testing.assert_allclose(record.current_mA, frame["Current_A"].to_numpy() * 1000)
    np.testing.assert_allclose(record.time_s, frame["Time_s"].to_numpy())
    eis = np.isfinite(record["frequency_Hz"]) & (record["frequency_Hz"] > 0)
    assert eis.sum() == 78
    assert np.mean(record["z_imag_ohm"][eis] < 0) > 0.8  # stored with the physical sign
    np.testing.assert_allclose(np.hypot(record["z_real_ohm"][eis], record["z_imag_ohm"][eis]),
                               record["z_mag_ohm"][eis], rtol=1e-3)


def test_bdf_hours_and_charge_negative_file_is_flipped():
    record = read("cycler/other/batmo_bdf.csv")
    assert record.provenance.format == "bdf-csv"
    frame = pd.read_csv(external_file("cycler/other/batmo_bdf.csv"))
    assert len(record) == len(frame) == 21206  # cycler/README.md
    hours = frame["Test Time / h"].to_numpy()
    np.testing.assert_allclose(record.time_s, (hours - hours[0]) * 3600)
    # this BDF file labels steps 'charge' while storing negative current: the reader flips to charge > 0
    charge = frame["Step Type / 1"].to_numpy() == "charge"
    assert np.all(record.current_mA[charge] > 0)
    np.testing.assert_allclose(record.current_mA, -frame["Current / A"].to_numpy() * 1000)
    step = record.step(3)  # the first charge: capacity equals the file's Charge Capacity counter
    rows = np.flatnonzero(record["step"] == 3)
    counter = frame["Charge Capacity / Ah"].to_numpy()[rows] * 1000
    np.testing.assert_allclose(step.capacity_mAh, counter - counter[0], atol=1e-9)


def test_batteryarchive_timeseries_and_cycle_summary():
    record = read(CALCE + "timeseries.csv")
    assert record.provenance.format == "batteryarchive-csv" and len(record) == 15
    frame = pd.read_csv(external_file(CALCE + "timeseries.csv"))
    np.testing.assert_allclose(record.current_mA, frame["Current (A)"].to_numpy() * 1000)
    assert record.current_mA[-1] > 0 and record.voltage_V[-1] > record.voltage_V[4]  # charging at 0.675 A
    summary = external_file(CALCE + "cycle_data.csv")
    with pytest.raises(ReadError, match="per-cycle summary"):  # the time-series reader refuses it ...
        read_batteryarchive(summary)
    assert isinstance(anodelab.read(summary), CycleTable)  # ... and the cycle-table format reads it


# -- per-cycle summaries -------------------------------------------------------------------------------


def test_calce_cycle_data_round_trips_every_published_value_with_units():
    table = read(CALCE + "cycle_data.csv")
    assert isinstance(table, CycleTable) and table.provenance.format == "cycle-table"
    frame = pd.read_csv(external_file(CALCE + "cycle_data.csv"))
    assert len(table) == len(frame) == 9
    np.testing.assert_array_equal(table.cycles, frame["Cycle_Index"].to_numpy().astype(int))
    expected = {  # CycleTable column: (file column, factor to the canonical unit)
        "test_time_s": ("Test_Time (s)", 1.0), "min_current_mA": ("Min_Current (A)", 1e3),
        "max_current_mA": ("Max_Current (A)", 1e3), "min_voltage_V": ("Min_Voltage (V)", 1.0),
        "max_voltage_V": ("Max_Voltage (V)", 1.0), "charge_capacity_mAh": ("Charge_Capacity (Ah)", 1e3),
        "discharge_capacity_mAh": ("Discharge_Capacity (Ah)", 1e3),
        "charge_energy_mWh": ("Charge_Energy (Wh)", 1e3), "discharge_energy_mWh": ("Discharge_Energy (Wh)", 1e3),
    }
    assert set(table.column_names) == {"cycle", *expected}
    for name, (column, factor) in expected.items():
        np.testing.assert_allclose(table[name], frame[column].to_numpy() * factor, rtol=1e-15, err_msg=name)
    assert frame["Start_Time"].isna().all() and any("'Start_Time', 'End_Time'" in n for n in table.provenance.notes)
    with pytest.raises(MetadataError, match="cell type"):
        table.ce  # noqa: B018 - the CE direction needs the cell type
    full = anodelab.read(external_file(CALCE + "cycle_data.csv"), cell=CellInfo("full"))
    np.testing.assert_allclose(full.ce, frame["Discharge_Capacity (Ah)"] / frame["Charge_Capacity (Ah)"], rtol=1e-12)
    assert "ce" in full.to_pandas()


def test_calce_summary_agrees_with_the_cycling_summary_of_its_timeseries():
    # the timeseries file is an excerpt: the first 450 s of cycle 1 (rest, then 0.675 A charge), so the
    # published cycle-1 row bounds it, and the charge energy per charge agrees where both are defined
    published = read(CALCE + "cycle_data.csv")
    record = read(CALCE + "timeseries.csv")
    frame = pd.read_csv(external_file(CALCE + "timeseries.csv"))
    summary = cycle_summary(record, CellInfo("full"))
    assert summary.cycles.tolist() == [1] and set(frame["Cycle_Index"]) == {published.cycles[0]}
    first = {name: published[name][0] for name in published.column_names}
    assert frame["Test_Time (s)"].iloc[-1] < first["test_time_s"]
    assert summary["charge_mAh"][0] <= first["charge_capacity_mAh"]
    assert first["min_voltage_V"] <= record.voltage_V.min() and record.voltage_V.max() <= first["max_voltage_V"]
    assert first["min_current_mA"] <= record.current_mA.min() and record.current_mA.max() <= first["max_current_mA"]
    # within the excerpt: the file's own counters (Ah, Wh; 1 mAh / 1 mWh resolution) vs anodelab's integrals
    charge = frame["Charge_Capacity (Ah)"].to_numpy() * 1e3
    energy = frame["Charge_Energy (Wh)"].to_numpy() * 1e3
    charging = frame["Current (A)"].to_numpy() > 0
    start = int(np.argmax(charging))
    assert summary["charge_mAh"][0] == pytest.approx(charge[-1] - charge[start], abs=1.0)
    mean_V = summary["charge_mean_V"][0]
    assert summary["charge_energy_mWh"][0] == pytest.approx((energy[-1] - energy[start]), abs=1.0 + 0.5 * mean_V)


def test_generic_per_cycle_table_and_its_refusals(tmp_path):
    path = tmp_path / "summary.csv"
    path.write_text("Cycle,Charge Capacity (mAh),Discharge Capacity (mAh),Coulombic Efficiency (%)\n"
                    "1,2.0,1.6,80\n2,1.9,1.8,94.7\n3,1.85,1.8,97.3\n")
    table = anodelab.read(path, cell=CellInfo("anode-half"))
    assert isinstance(table, CycleTable) and table.provenance.format == "generic-table"
    np.testing.assert_allclose(table["charge_capacity_mAh"], [2.0, 1.9, 1.85])
    np.testing.assert_allclose(table["coulombic_efficiency_pct"], [80, 94.7, 97.3])  # kept as in the file
    np.testing.assert_allclose(table.ce, [2.0 / 1.6, 1.9 / 1.8, 1.85 / 1.8])  # anode half-cell: charge/discharge
    repeated = tmp_path / "repeated.csv"  # a cycle column that repeats is a time series without voltage
    repeated.write_text("Cycle,Charge Capacity (mAh)\n1,2.0\n1,1.6\n2,1.9\n")
    unitless = tmp_path / "unitless.csv"
    unitless.write_text("Cycle_Index,Charge_Capacity,Discharge_Capacity\n1,2.0,1.6\n2,1.9,1.8\n3,1.8,1.7\n")
    for bad in (repeated, unitless):
        with pytest.raises(ReadError) as info:
            anodelab.read(bad)
        assert str(bad) in str(info.value)
    with pytest.raises(ReadError, match="not a per-cycle summary"):
        read_cycle_table(repeated)


# -- units and names ------------------------------------------------------------------------------------


@pytest.mark.parametrize("header, name, unit", [
    ("time/s", "time", "s"), ("Time (s)", "Time", "s"), ("Test Time / h", "Test Time", "h"), ("Ewe [V]", "Ewe", "V"),
    ("Current_A", "Current", "A"), ("-Im(Z)/Ohm", "-Im(Z)", "Ohm"), ("Re(Z)", "Re(Z)", None), ("<I>/mA", "<I>", "mA"),
    ("t", "t", None), ("dV/dt(V/s)", "dV/dt(V/s)", None), ("Cell_Temperature_C", "Cell_Temperature", "C"),
])
def test_split_header(header, name, unit):
    assert split_header(header) == (name, unit)


@pytest.mark.parametrize("unit, dimension, scale", [
    ("mV", "voltage", 1e-3), ("V vs. Li/Li+", "voltage", 1.0), ("uA", "current", 1e-3), ("µA", "current", 1e-3),
    ("\\g(m)A", "current", 1e-3), ("A", "current", 1e3), ("mA.h", "charge", 1.0), ("Ah", "charge", 1e3),
    ("C", "charge", 1 / 3.6), ("min", "time", 60.0), ("Hr", "time", 3600.0), ("kOhm", "impedance", 1e3),
])
def test_unit_scales(unit, dimension, scale):
    assert unit_scale(unit, dimension)[0] == pytest.approx(scale)


def test_generic_cycling_spellings_are_converted(tmp_path):
    path = tmp_path / "cycling.csv"
    path.write_text("Time (min),Potential/V,I/mA,Capacity (uAh),Cycle\n"
                    "0,3.0,0,0,1\n1,3.1,2.0,33.3,1\n2,3.2,2.0,66.6,1\n3,3.1,-2.0,33.3,1\n4,3.0,-2.0,66.6,1\n")
    record = anodelab.read(path)
    np.testing.assert_allclose(record.time_s, [0, 60, 120, 180, 240])
    np.testing.assert_allclose(record.capacity_mAh, [0, 0, 0.0333, 0, 0.0333])
    assert "cycle_instrument" in record and record.n_steps == 3
    tsv = tmp_path / "cycling.tsv"
    tsv.write_text("t/h\tVoltage(mV)\tCurrent (uA)\n0\t3000\t10\n0.5\t3100\t10\n1\t3200\t10\n")
    record = anodelab.read(tsv)
    np.testing.assert_allclose(record.voltage_V, [3.0, 3.1, 3.2])
    np.testing.assert_allclose(record.current_mA, 0.01)
    np.testing.assert_allclose(record.time_s, [0, 1800, 3600])


@pytest.mark.parametrize("text, column", [
    ("t,E,I\n0,1,2\n1,1,2\n2,1,2\n", "'E'"),                    # no units anywhere
    ("time/s,Voltage (furlong),I/mA\n0,1,2\n1,1,2\n2,1,2\n", "Voltage (furlong)"),
    ("time/s,E/V,I/kg\n0,1,2\n1,1,2\n2,1,2\n", "I/kg"),          # a unit of the wrong dimension
])
def test_missing_or_unknown_units_name_the_column(tmp_path, text, column):
    path = tmp_path / "table.csv"
    path.write_text(text)
    with pytest.raises(ReadError) as info:
        read_table(path)
    assert str(path) in str(info.value) and column in str(info.value)


def test_generic_bad_input(tmp_path):
    raw = external_file("cycler/other/pec.csv").read_bytes()
    cases = {
        "header_only.csv": raw[: raw.index(b"Test,Cell,Rack")],               # cut inside the header block
        "garbage.csv": b"\x00\x01binary\xff" * 100,
        "words.csv": b"name,comment\nalpha,one\nbeta,two\ngamma,three\n",
        "four_bare_columns.csv": b"1,2,3,4\n2,3,4,5\n3,4,5,6\n",
        "text_in_numbers.csv": b"time/s,E/V,I/mA\n0,1,2\n1,1,2\n2,x,2\n3,1,2\n",
    }
    for name, content in cases.items():
        path = tmp_path / name
        path.write_bytes(content)
        with pytest.raises(ReadError) as info:
            read_table(path)
        assert str(path) in str(info.value)
    cut = tmp_path / "cut_mid_row.csv"  # a table cut inside a row: the cut row is dropped, and said so
    header = raw.index(b"\n", raw.index(b"Test,Cell,Rack"))
    content = raw[: raw.index(b"\n", header + 2000) - 30]
    cut.write_bytes(content)
    record = read_table(cut)
    assert len(record) == content.count(b"\n", header + 1) and any("cut short" in n for n in record.provenance.notes)
    bdf = tmp_path / "not_bdf.csv"
    bdf.write_text("time,voltage\n0,1\n1,1\n2,1\n")
    with pytest.raises(ReadError, match="Name / unit"):
        read_bdf(bdf)


# -- damaged tables (fuzz classes) -------------------------------------------------------------------


@pytest.mark.parametrize("content", [
    "Cycle_Label,Time_s,Voltage_V,Current_A\n,0,3.0,0.1\n,1,3.1,0.1\nCapacity check,2,3.2,0.1\n",
    "Test Time,Voltage_V,Current_A\n,3.0,0.1\n00:00:02,3.1,0.1\n00:00:03,3.2,0.1\n",
])
def test_text_with_empty_cells_in_a_role_column_is_a_read_error(tmp_path, content):
    """Empty and text cells together make an object column, which polars cannot cast: a ReadError, not a polars error."""
    path = tmp_path / "labels.csv"
    path.write_text(content)
    with pytest.raises(ReadError) as info:
        read_table(path)
    assert str(path) in str(info.value)


def test_headerless_impedance_table_with_a_cut_last_row_says_so(tmp_path):
    frequency = np.logspace(4, -1, 10)
    z = 5 + 50 / (1 + 2j * np.pi * frequency * 1e-3)
    rows = [f"{f:.6e},{v.real:.6e},{v.imag:.6e}" for f, v in zip(frequency, z)]
    path = tmp_path / "cut.csv"
    path.write_text("\n".join(rows[:-1] + [rows[-1][:15]]))  # no final newline, the last row cut in its 2nd field
    series = read_table(path)
    np.testing.assert_allclose(series.spectra[0].frequency_Hz, frequency[:-1], rtol=1e-6)
    assert any("cut short" in note for note in series.provenance.notes)


def _indexed_table(path, index, name):
    """A pandas-style impedance table with a point-index column ``name`` (first), rows in the given order."""
    frequency = np.logspace(4, -1, 30)
    z = 5 + 50 / (1 + 2j * np.pi * frequency * 1e-3)
    path.write_text(f"{name},Freq,Real,Imag\n" + "".join(
        f"{k},{frequency[k]:.8e},{z.real[k]:.8e},{z.imag[k]:.8e}\n" for k in index))
    return path


@pytest.mark.parametrize(("name", "first"), [("", 0), ("Unnamed: 0", 0), ("number", 1), ("Index", 0), ("#", 1)])
@pytest.mark.parametrize(("change", "says"), [
    (lambda k: k[:10] + k[14:], "skips 4 record(s)"),
    (lambda k: k[:12] + k[11:], "repeats at 1 row(s)"),
    (lambda k: k[:10] + k[10:16][::-1] + k[16:], "goes back at 5 row(s)"),
])
def test_a_point_index_with_gaps_repeats_or_reversed_rows_is_noted(tmp_path, name, first, change, says):
    index = list(range(30))
    label = name or "the unnamed first column"
    clean = read_table(_indexed_table(tmp_path / "clean.csv", index, name))
    assert not any(note.startswith(label) for note in clean.provenance.notes)
    damaged = change(index)
    path = tmp_path / "damaged.csv"
    _indexed_table(path, damaged, name)
    if first:  # the same rows, numbered from 1
        path.write_text("".join(line if n == 0 else f"{int(line.split(',')[0]) + 1}," + line.split(",", 1)[1]
                                for n, line in enumerate(path.read_text().splitlines(keepends=True))))
    series = read_table(path)
    assert sum(len(s.frequency_Hz) for s in series.spectra) == len(damaged)
    assert any(note.startswith(label) and says in note for note in series.provenance.notes)


def test_a_column_named_like_an_index_that_does_not_count_rows_gets_no_note(tmp_path):
    """'number' holding a sweep number (1, 1, 1, 2, 2, 2): not a point index."""
    path = tmp_path / "sweeps.csv"
    path.write_text("number,time/s,E/V,I/mA\n" + "".join(f"{1 + k // 5},{k},{3 + 0.01 * k},1.0\n" for k in range(20)))
    record = read_table(path)
    assert len(record) == 20 and not any(note.startswith("number") for note in record.provenance.notes)


@pytest.mark.parametrize("cell", ["", "NaN", "inf"])
def test_cycle_table_capacity_cell_that_is_not_a_finite_number_is_noted(tmp_path, cell):
    path = tmp_path / "summary.csv"
    rows = [f"{k},{1.0 - 0.01 * k},{0.99 - 0.01 * k}" for k in range(1, 8)]
    rows[3] = f"4,{cell},0.95"
    path.write_text("Cycle_Index,Charge_Capacity (Ah),Discharge_Capacity (Ah)\n" + "\n".join(rows) + "\n")
    table = anodelab.read(path)
    assert isinstance(table, CycleTable) and len(table) == 7
    np.testing.assert_allclose(table["discharge_capacity_mAh"], [(0.99 - 0.01 * k) * 1e3 if k != 4 else 950.0
                                                                 for k in range(1, 8)])
    assert any(note.startswith("charge_capacity_mAh is empty or not a finite number in 1 row(s) (cycles 4)")
               for note in table.provenance.notes)
