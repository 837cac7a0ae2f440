"""BioLogic EC-Lab readers (.mpr, .mpt, plain EC-Lab text exports) against real files.

Ground truth: galvani's MPRfile on the same .mpr files, the .mpt export of the same data,
impedance.py's BioLogic reader, pyimpspec's test expectations, the technique settings stored in
the file, the READMEs beside the data, and physics (sign convention, frequency spacing).
"""

from __future__ import annotations

import struct
import warnings
from pathlib import Path

import numpy as np
import pytest

import anodelab
from anodelab.core.cell import CellInfo
from anodelab.core.conventions import CHARGE, DISCHARGE, REST, UNKNOWN
from anodelab.core.errors import ReadError
from anodelab.core.record import Record
from anodelab.core.spectrum import SpectrumSeries
from anodelab.io import biologic_mpr
from anodelab.io.biologic_mpr import read_mpr
from anodelab.io.biologic_text import read_biologic_text, read_mpt

BIOLOGIC = "cycler/biologic"
TECHNIQUE_FILES = [
    f"{BIOLOGIC}/eclab_techniques/20220912_03_sp_Cu_Durapore_05_Cp_100mA_{suffix}_C01.mpr"
    for suffix in ("01_LSV", "02_CA", "03_CA", "04_CV", "05_CV", "06_CV", "07_CV", "08_CV", "09_CV",
                   "10_CV", "11_LSV", "12_CP", "13_PEIS")
]
JDB11 = f"{BIOLOGIC}/jdb11-1_c3_gcpl_5cycles_2V-3p8V_C-24_data_C09.mpr"
JDB11_SQUID = f"{BIOLOGIC}/jdb11-1_e1_s3_squidTest_data_C15.mpr"
PEIS = TECHNIQUE_FILES[-1]
# Row counts stated in cycler/README.md (independent of any reader).
README_ROWS = {
    JDB11: 46102, JDB11_SQUID: 32917, f"{BIOLOGIC}/biol.mpr": 23561,
    f"{BIOLOGIC}/00_test_04_MB_C01.mpr": 1501, f"{BIOLOGIC}/00_test_01_OCV_C01.mpr": 2, f"{BIOLOGIC}/cp.mpr": 121,
}
GALVANI_READABLE = [*README_ROWS, *TECHNIQUE_FILES[:-1]]  # galvani refuses the PEIS file (IDs 475, 478, ...)


def galvani_mpr(path: Path):
    from galvani import BioLogic

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # galvani's own warnings are not ours to test
        return BioLogic.MPRfile(str(path))


def per_step_capacity(record: Record) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(direction, cycle, capacity at step end) of every step."""
    step = record["step"]
    last = np.r_[np.flatnonzero(np.diff(step)), step.size - 1]
    first = np.r_[0, last[:-1] + 1]
    direction = np.array([np.bincount(record["state"][a:b + 1], minlength=4).argmax() for a, b in zip(first, last)])
    return direction, record["cycle"][last], record["capacity_mAh"][last]


# -- every .mpr ---------------------------------------------------------------------------------


@pytest.mark.parametrize("relative", [*README_ROWS, *TECHNIQUE_FILES])
def test_every_mpr_reads_with_the_rows_and_technique_it_holds(external, relative):
    path = external(relative)
    data = anodelab.read(path)
    assert data.provenance.format == "biologic-mpr"
    technique = Path(relative).stem.split("_")[-2] if "eclab_techniques" in relative else None
    if technique:  # the technique byte of the settings module agrees with the file name
        assert data.provenance.techniques == (technique,)
    if relative == PEIS:
        assert isinstance(data, SpectrumSeries)
        return
    assert isinstance(data, Record)
    if relative in README_ROWS:  # the rows of the file: the record's, and the points of the spectra measured during it
        points = sum(len(spectrum) for spectrum in data.spectra) if data.spectra is not None else 0
        assert len(data) + points == README_ROWS[relative]
    assert data["time_s"][0] == 0 and np.all(np.diff(data["time_s"]) >= 0)
    assert any(note.startswith("acquisition started") for note in data.provenance.notes)


@pytest.mark.parametrize("relative", GALVANI_READABLE)
def test_mpr_arrays_equal_galvani(external, relative):
    """Same rows, time, voltage, current and flags as galvani, bit for bit.

    Deliberate differences in naming: galvani calls ID 441 "<Ecv>/V"; cp.mpr's columns line up
    one-to-one with its .mpt export, which names that column "<Ece>/V", so we keep it as Ece_mean_V.
    time_s is shifted to start at 0 (galvani keeps the instrument's time since acquisition start).
    The rows with a frequency of a file that mixes techniques (biol.mpr) are its spectra, not record rows
    (tests/io/test_biologic_mixed.py).
    """
    path = external(relative)
    ours, theirs = read_mpr(path), galvani_mpr(path)
    time = theirs.data["time/s"].astype(float)
    kept = ~(theirs.data["freq/Hz"] > 0) if "freq/Hz" in theirs.data.dtype.names else slice(None)
    data = theirs.data[kept]
    assert len(ours) == data.shape[0]
    np.testing.assert_array_equal(ours["time_s"], data["time/s"] - time[0])
    voltage = "Ewe/V" if "Ewe/V" in data.dtype.names else "<Ewe>/V"
    np.testing.assert_array_equal(ours["voltage_V"], data[voltage].astype(float))
    current = next((name for name in ("I/mA", "<I>/mA") if name in data.dtype.names), None)
    if current:
        np.testing.assert_array_equal(ours["current_mA"], data[current].astype(float))
    if "mode" in theirs.flags_dict:
        np.testing.assert_array_equal(ours["control_mode"], theirs.get_flag("mode")[kept])
    if "<Ecv>/V" in data.dtype.names:
        np.testing.assert_array_equal(ours["Ece_mean_V"], data["<Ecv>/V"])
    if "Q charge/discharge/mA.h" in data.dtype.names:
        np.testing.assert_array_equal(ours["Q_charge_discharge_mAh"], data["Q charge/discharge/mA.h"])


@pytest.mark.parametrize("relative", [JDB11, JDB11_SQUID])
def test_jdb11_current_is_dq_over_dt_and_matches_the_setpoint(external, relative):
    """These files store no current, only dq/mA.h per row (galvani returns no current either).

    Inside a step current_mA is galvani's dq/dt. The first row of a step has a dq that starts when
    the step began (half-way into the interval in these files: dq/dt there is half the setpoint),
    so it takes the next row's value; then every galvanostatic row, first rows included, is the
    control setpoint to within 0.3 %.
    """
    path = external(relative)
    ours, theirs = read_mpr(path), galvani_mpr(path)
    time, dq = theirs.data["time/s"], theirs.data["dq/mA.h"]
    first = np.r_[True, np.diff(ours["step"]) != 0]
    inside = ~first[1:] & (np.diff(time) > 0)
    np.testing.assert_allclose(ours["current_mA"][1:][inside], (dq[1:] * 3600 / np.diff(time))[inside], rtol=1e-12)
    starts = np.flatnonzero(first)[:-1]
    np.testing.assert_array_equal(ours["current_mA"][starts], ours["current_mA"][starts + 1])
    galvanostatic = theirs.get_flag("mode") == 1
    setpoint = theirs.data["control/V/mA"]
    ratio = ours["current_mA"][galvanostatic] / setpoint[galvanostatic] - 1
    assert np.max(np.abs(ratio)) < 3e-3
    assert np.any(first & galvanostatic)  # the first rows of galvanostatic steps are among them
    note = next(note for note in ours.provenance.notes if note.startswith("current_mA is derived"))
    assert "dq/dt" in note


def test_jdb11_cycles_sign_and_capacities(external):
    """Cycle counting on a 2.0-3.8 V GCPL file that starts with a partial discharge.

    The file is: rest, discharge 2.5 -> 2.0 V (0.207 mAh), then charge/discharge pairs (the loop
    of the "5 cycles" protocol runs 6 times, the last discharge ends the file). navani reports 7
    cycles with a first Coulombic efficiency of 4.78 (= 0.987 / 0.207): it pairs the partial
    discharge with the first charge. Our rule without cell metadata does the same (opening
    direction = first active step = discharge), giving 7 cycles, the 7th a lone discharge. With the
    cell declared cathode-half (opening = charge) the partial discharge falls into cycle 0 and
    cycle 1 is the first full charge/discharge pair (CE about 0.86), 6 cycles in all.
    """
    path = external(JDB11)
    record, theirs = anodelab.read(path), galvani_mpr(path)
    direction, cycle, capacity = per_step_capacity(record)
    active = direction != REST
    assert list(direction[active][:3]) == [DISCHARGE, CHARGE, DISCHARGE]
    assert int(record["cycle"].max()) == 7
    # Capacities per half cycle equal galvani's |Q charge/discharge| at the end of each half cycle.
    half = theirs.data["half cycle"]
    ends = np.r_[np.flatnonzero(np.diff(half)), half.size - 1]
    expected = np.abs(theirs.data["Q charge/discharge/mA.h"][ends])
    expected = expected[expected > 0]
    np.testing.assert_allclose(capacity[active], expected, rtol=1e-6)
    first_charge = capacity[active][(direction[active] == CHARGE) & (cycle[active] == 1)].sum()
    first_discharge = capacity[active][(direction[active] == DISCHARGE) & (cycle[active] == 1)].sum()
    assert first_charge / first_discharge == pytest.approx(4.78, abs=0.01)

    cathode = record.with_cell(CellInfo(cell_type="cathode-half"))
    assert int(cathode["cycle"].max()) == 6
    direction, cycle, capacity = per_step_capacity(cathode)
    charge = capacity[(direction == CHARGE) & (cycle == 1)].sum()
    discharge = capacity[(direction == DISCHARGE) & (cycle == 1)].sum()
    assert 0.8 < discharge / charge < 0.9

    # Sign convention: in galvanostatic steps voltage rises while current > 0 and falls while < 0.
    for number in np.unique(record["step"]):
        rows = record["step"] == number
        current = np.median(record["current_mA"][rows])
        if abs(current) > 0.05:
            rise = record["voltage_V"][rows][-1] - record["voltage_V"][rows][0]
            assert np.sign(rise) == np.sign(current)


def test_loops_make_new_steps_even_when_the_sequence_repeats(external):
    """biol.mpr (Modulo Bat) loops back from Ns 6 to Ns 2 without the "Ns changes" flag."""
    record = read_mpr(external(f"{BIOLOGIC}/biol.mpr"))
    sequence, step = record["sequence"], record["step"]
    jumps = np.flatnonzero(np.diff(sequence.astype(int)) < 0) + 1
    assert jumps.size >= 2
    assert np.all(step[jumps] == step[jumps - 1] + 1)
    assert np.all(np.diff(step)[np.diff(sequence.astype(int)) != 0] == 1)


def test_ocv_stub_reads_with_zero_current(external):
    record = anodelab.read(external(f"{BIOLOGIC}/00_test_01_OCV_C01.mpr"))
    assert len(record) == 2 and record.provenance.techniques == ("OCV",)
    assert np.all(record["current_mA"] == 0) and np.all(record.states == "rest")
    assert np.all(np.abs(record["voltage_V"]) < 5)


# -- impedance ----------------------------------------------------------------------------------


def test_peis_mpr_spectra_follow_the_technique_settings(external):
    """galvani cannot read this file (column IDs 475/478/481/503 unknown to it).

    Ground truth from the file's own settings module: fi = 200 kHz, ff = 1 kHz, 10 points per
    decade (PEIS parameters fi, fi_unit, ff, ff_unit, Nd at settings offset 0x185e, in yadg's
    field order; unit code 1 = kHz), and its loop module (3 loops of 24 points).
    """
    path = external(PEIS)
    settings = bytes(biologic_mpr._mpr_modules(path, memoryview(path.read_bytes()))["VMP Set"].data)
    fi, fi_unit, ff, ff_unit, per_decade = struct.unpack_from("<fBfBI", settings, 0x185E)
    assert (fi_unit, ff_unit) == (1, 1)
    f_max, f_min = fi * 1e3, ff * 1e3
    series = anodelab.read(path)
    assert isinstance(series, SpectrumSeries) and len(series) == 3 and series.same_grid
    expected_points = round(per_decade * np.log10(f_max / f_min)) + 1
    for index, spectrum in enumerate(series):
        assert len(spectrum) == expected_points
        assert f_min * 0.999 <= spectrum.frequency_Hz.min() and spectrum.frequency_Hz.max() <= f_max * 1.001
        ratios = spectrum.frequency_Hz[:-1] / spectrum.frequency_Hz[1:]
        np.testing.assert_allclose(ratios, 10 ** (1 / per_decade), rtol=0.02)
        assert np.all(spectrum.Z_real_ohm > 0) and np.all(spectrum.Z_mod_ohm < 100)
        assert np.all(np.abs(np.diff(spectrum.Z_mod_ohm)) / spectrum.Z_mod_ohm[1:] < 0.2)  # smooth
        assert spectrum.context.extras["loop"] == index and spectrum.context.cycle == index + 1
    times = [s.context.time_s for s in series]
    assert times[0] == 0 and times[1] < times[2]


def test_peis_impedance_agrees_with_the_modulus_and_phase_in_the_file(external):
    """Re/-Im (IDs 37/38) and |Z|/Phase (IDs 36/35) are stored separately; our Z must match both."""
    path = external(PEIS)
    raw = biologic_mpr._mpr_raw(path).columns
    series = read_mpr(path)
    z = np.concatenate([s.Z_ohm[np.argsort(-s.frequency_Hz)] for s in series])
    order = np.concatenate([np.argsort(-raw["freq/Hz"][k:k + 24]) + k for k in (0, 24, 48)])
    np.testing.assert_allclose(np.abs(z), raw["|Z|/Ohm"][order], rtol=1e-5)
    np.testing.assert_allclose(np.degrees(np.angle(z)), raw["Phase(Z)/deg"][order], atol=1e-3)


@pytest.mark.parametrize("relative", ["cycler/eis/exampleDataBioLogic.mpt", "eis/impedancepy_exampleDataBioLogic.mpt"])
def test_peis_mpt_equals_impedance_py(external, relative):
    from impedance.preprocessing import readFile

    path = external(relative)
    frequency, impedance = readFile(str(path), "biologic")
    series = anodelab.read(path)
    assert series.provenance.format == "biologic-mpt" and series.provenance.techniques == ("PEIS",)
    assert len(series) == 1
    np.testing.assert_array_equal(series[0].frequency_Hz, frequency)
    np.testing.assert_array_equal(series[0].Z_ohm, impedance)


def test_multi_spectrum_mpt_splits_like_pyimpspec(external):
    """pyimpspec's test_mpt asserts 3 data sets for this file; each sweeps 10 kHz -> 1 Hz (29 points).

    Cycle number and time are all 0 in this file, so the split comes from the sweep restarting
    (a step up in frequency against the high-to-low direction).
    """
    series = anodelab.read(external("eis/pyimpspec_tests_case-multiple-spectra.mpt"))
    assert len(series) == 3 and [len(s) for s in series] == [29, 29, 29]
    for spectrum in series:
        assert spectrum.frequency_Hz[0] == pytest.approx(1e4) and spectrum.frequency_Hz[-1] == pytest.approx(1.0)


# -- .mpr vs .mpt --------------------------------------------------------------------------------


def test_cp_mpr_and_mpt_agree_column_by_column(external):
    """The same chronopotentiometry in binary and text.

    Tolerances: float32 values are printed with 8 significant digits in the .mpt (relative
    rounding <= 5e-8, plus float32's own 6e-8), so rtol 2e-7; float64 columns (time, Q charge/
    discharge) are printed with 16 digits, so 1e-12 s / rtol 1e-14.
    The .mpt has columns EC-Lab computes at export (Q charge, Q discharge, Capacity, Efficiency,
    cycle number, P, Ewe-Ece) that the .mpr does not store.
    The .mpt's <Ewe>/V is 0 from data row 5 on (a defect of that export): there we check that the
    .mpr potential equals the .mpt's own (Ewe-Ece/V) + (<Ece>/V), and the .mpt reader says so in a note.
    """
    binary = anodelab.read(external(f"{BIOLOGIC}/cp.mpr"))
    text = anodelab.read(external(f"{BIOLOGIC}/cp.mpt"))
    assert text.provenance.format == "biologic-mpt"
    assert binary.provenance.techniques == text.provenance.techniques == ("CP",)
    assert len(binary) == len(text) == 121
    np.testing.assert_allclose(binary["time_s"], text["time_s"], rtol=0, atol=1e-12)
    for name in ("current_mA", "capacity_mAh", "control_mA", "Q_minus_Qo_coulomb", "Ece_mean_V"):
        np.testing.assert_allclose(binary[name], text[name], rtol=2e-7, atol=1e-12, err_msg=name)
    np.testing.assert_allclose(binary["Q_charge_discharge_mAh"], text["Q_charge_discharge_mAh"], rtol=1e-14)
    for name in ("step", "cycle", "state", "sequence", "half_cycle", "I_range", "control_mode"):
        np.testing.assert_array_equal(binary[name], text[name], err_msg=name)
    stored = text["voltage_V"] != 0
    assert stored.sum() == 4
    np.testing.assert_allclose(binary["voltage_V"][stored], text["voltage_V"][stored], rtol=2e-7)
    np.testing.assert_allclose(binary["voltage_V"], text["Ewe_minus_Ece_V"] + text["Ece_mean_V"], atol=2e-6)
    assert any("differs from (Ewe-Ece/V)" in note for note in text.provenance.notes)
    assert not any("differs" in note for note in binary.provenance.notes)


def _same_record(first: Record, second: Record) -> None:
    assert first.column_names == second.column_names
    for name in first.column_names:
        np.testing.assert_array_equal(first[name], second[name], err_msg=name)


def test_mpt_crlf_and_lf_read_identically(external, tmp_path):
    source = external(f"{BIOLOGIC}/cp.mpt")
    assert b"\r\n" not in source.read_bytes()  # the original is LF
    crlf = tmp_path / "cp_crlf.mpt"
    crlf.write_bytes(source.read_bytes().replace(b"\n", b"\r\n"))
    _same_record(anodelab.read(source), anodelab.read(crlf))
    spectra = external("cycler/eis/exampleDataBioLogic.mpt")
    crlf = tmp_path / "eis_crlf.mpt"
    crlf.write_bytes(spectra.read_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))
    np.testing.assert_array_equal(anodelab.read(crlf)[0].Z_ohm, anodelab.read(spectra)[0].Z_ohm)


def test_mpt_with_decimal_commas_reads_identically(external, tmp_path):
    """European-locale exports print numbers with ',' (column names keep their '.', as in mA.h)."""
    source = external(f"{BIOLOGIC}/cp.mpt")
    lines = source.read_bytes().split(b"\n")
    n_header = int(lines[1].split(b":")[1])
    comma = [line if i < n_header else line.replace(b".", b",") for i, line in enumerate(lines)]
    path = tmp_path / "cp_comma.mpt"
    path.write_bytes(b"\n".join(comma))
    _same_record(anodelab.read(source), anodelab.read(path))


def test_bt_lab_first_line_is_accepted(external, tmp_path):
    source = external(f"{BIOLOGIC}/cp.mpt")
    path = tmp_path / "bt.mpt"
    path.write_bytes(source.read_bytes().replace(b"EC-Lab ASCII FILE", b"BT-Lab ASCII FILE", 1))
    _same_record(read_mpt(source), read_mpt(path))


# -- EC-Lab text exports without the ASCII header -------------------------------------------------


def test_beep_semicolon_export_with_absolute_time_and_raw_flag_bytes(external):
    """BT-Lab "advanced" export used by beep: time/s is 'MM/DD/YYYY hh:mm:ss.fff', and every flag
    column repeats the whole flag byte (53 = mode 1, ox 1, control changes, Ns changes)."""
    path = external(f"{BIOLOGIC}/test_loopsnewoutput_MB_CE1_short10k.csv")
    record = anodelab.read(path)
    assert record.provenance.format == "biologic-csv" and len(record) == 9999
    assert any("2021-05-05 15:36:22.757" in note for note in record.provenance.notes)  # first row of the file
    assert record["time_s"][0] == 0 and record["time_s"][1] == pytest.approx(22.756, abs=1e-6)
    assert set(np.unique(record["control_mode"])) <= {0, 1, 2, 3} and set(np.unique(record["ox_red"])) <= {0, 1}
    # Steps follow the sequence number Ns, including the loop back from Ns 5 to Ns 3.
    assert np.all(np.diff(record["step"])[np.diff(record["sequence"]) != 0] == 1)
    direction, _, _ = per_step_capacity(record)
    for number in np.flatnonzero(direction != REST) + 1:
        rows = record["step"] == number
        mode = np.bincount(record["control_mode"][rows]).argmax()
        if mode == 1:  # constant current: voltage moves with the current's sign
            rise = record["voltage_V"][rows][-1] - record["voltage_V"][rows][0]
            assert np.sign(rise) == np.sign(np.median(record["current_mA"][rows]))


def test_attia_first_cycle_export_without_time_or_current(external):
    """Columns: cycle number, Ecell/V, Capacity/mA.h. README: 20,820 rows, 7 cycle-number values
    (incremented at each delithiation), first lithiation two-step (3C to 0.5 V then C/10 to 0.01 V)
    with no capacity reset between the two currents, last delithiation incomplete."""
    path = external("cycling/attia2021_carbon_black_first_cycle/cellF_3C_split_CF6.txt")
    record = anodelab.read(path)
    assert record.provenance.format == "biologic-csv"
    assert len(record) == 20820 and "time_s" not in record and "current_mA" not in record
    assert np.unique(record["cycle_instrument"]).size == 7
    direction, _, capacity = per_step_capacity(record)
    active = direction != REST
    assert direction[0] == REST  # the initial open-circuit rows (capacity exactly 0)
    assert np.all(direction[active][::2] == DISCHARGE) and np.all(direction[active][1::2] == CHARGE)
    # Each instrument cycle increment is the start of a delithiation (charge) step.
    increments = np.flatnonzero(np.diff(record["cycle_instrument"])) + 1
    assert np.all(record["state"][increments] == CHARGE)
    assert np.all(record["step"][increments] != record["step"][increments - 1])
    # The two-step first lithiation is one discharge step passing 0.5 V.
    lithiation = record["step"] == record["step"][record["state"] == DISCHARGE][0]
    assert record["voltage_V"][lithiation].max() > 2.5 and record["voltage_V"][lithiation].min() < 0.02
    # Ground truth straight from the file: the capacity column at the end of the first lithiation
    # (cycle number 0) and of the first delithiation (cycle number 1, up to its reset).
    raw = np.loadtxt(path, skiprows=1, usecols=(0, 2))
    first_lithiation = raw[raw[:, 0] == 0, 1].max()
    cycle_one = raw[raw[:, 0] == 1, 1]
    first_delithiation = cycle_one[: np.argmax(np.diff(cycle_one) < -0.01) + 1].max()
    assert capacity[active][0] == pytest.approx(first_lithiation)
    first = record.cycle(1)
    extraction = first["capacity_mAh"][first["state"] == CHARGE].max()
    insertion = first["capacity_mAh"][first["state"] == DISCHARGE].max()
    assert extraction / insertion == pytest.approx(first_delithiation / first_lithiation)
    assert int(record["cycle"].max()) == 6  # 6 lithiations; the 6th delithiation is partial


def test_attia_10c_capacity_noise_near_zero_is_not_a_reset(external):
    """cellC: after the 10C lithiation the capacity column dips from 1.3e-5 to 1e-7 mAh and rises
    again (|Q| of a value crossing zero); those 65 small decreases are not step changes."""
    record = anodelab.read(external("cycling/attia2021_carbon_black_first_cycle/cellC_10C_CF3.txt"))
    assert len(record) == 8098
    direction, _, _ = per_step_capacity(record)
    assert list(direction) == [REST, DISCHARGE, CHARGE, DISCHARGE, CHARGE]


@pytest.mark.parametrize("name", ["cellE_CB_LSV_3mVpermin_CB1.txt", "cellI_CB_LSV_300mVpermin_CB5.txt"])
def test_attia_lsv_export(external, name):
    """ox/red, time/s, Ecell/V, I/mA: sweeps down from OCV (reduction, ox/red = 0) to 0 V."""
    record = anodelab.read(external(f"cv/attia2021_carbon_black_lsv/{name}"))
    assert record.provenance.format == "biologic-csv"
    reduction = (record["ox_red"] == 0) & (np.abs(record["current_mA"]) > 1e-4)
    assert reduction.any() and np.median(record["current_mA"][reduction]) < 0
    assert record["voltage_V"].min() < 0.05 and record["voltage_V"][0] > 1


def test_symmetric_cell_export_without_current(external):
    """time/s and Ewe/V only (README: about 45.1 h). The README's 76,806 rows is `wc -l` minus the
    header: the last line has no newline but is complete, so there are 76,807 data rows."""
    path = external("symmetric/grey_lab_LiLi_TEGDME_insitu/"
                    "jr862_11_08_23_insitu-impedance-LiLi_1MLiTFSI_TEGDME-1mA_03_GCPL_C05.txt")
    record = anodelab.read(path)
    assert record.provenance.format == "biologic-csv"
    assert len(record) == 76807 and "current_mA" not in record
    assert np.all(record["state"] == UNKNOWN)
    assert record.duration_s / 3600 == pytest.approx(45.1, abs=0.1)
    assert any("state unknown" in note for note in record.provenance.notes)


# -- bad input -----------------------------------------------------------------------------------


def _data_module_start(raw: bytes) -> int:
    return raw.index(b"VMP data  ") + 51  # v1 module header: 10 + 25 + 4 + 4 + 8 bytes


MPR_DAMAGE = ("wrong magic", "truncated in magic", "truncated in a header", "truncated in the data",
              "truncated at the end", "n_points flipped", "column ID flipped", "module marker flipped")


def _damaged_mpr(raw: bytes, damage: str) -> bytes:
    data = _data_module_start(raw)
    flipped = bytearray(raw)
    if damage == "wrong magic":
        flipped[21] ^= 0x01
    elif damage == "n_points flipped":
        flipped[data] ^= 0x04  # 121 rows -> 125
    elif damage == "column ID flipped":
        position = data + 5 + 2 * 10  # the 11th column ID of cp.mpr: 8 (I/mA, float32)
        assert struct.unpack_from("<H", raw, position)[0] == 8
        flipped[position] ^= 0x10  # -> 24 (cycle number, float64): the row width no longer fits
    elif damage == "module marker flipped":
        flipped[raw.rindex(b"MODULE")] ^= 0xFF
    cut = {"truncated in magic": 30, "truncated in a header": len(biologic_mpr._MPR_MAGIC) + 20,
           "truncated in the data": data + 3000, "truncated at the end": len(raw) - 100}
    return bytes(flipped[: cut.get(damage, len(raw))])


@pytest.mark.parametrize("damage", MPR_DAMAGE)
def test_damaged_mpr_raises_read_error_naming_the_file(external, tmp_path, damage):
    path = tmp_path / "damaged.mpr"
    path.write_bytes(_damaged_mpr(external(f"{BIOLOGIC}/cp.mpr").read_bytes(), damage))
    with pytest.raises(ReadError) as info:
        read_mpr(path)
    assert str(path) in str(info.value)
    with pytest.raises(ReadError, match="damaged.mpr"):
        anodelab.read(path, format="biologic-mpr")


def test_one_unknown_column_id_is_skipped_two_are_refused(external, tmp_path):
    """With one unknown ID its width is what the module length leaves (here 4 bytes); the other
    columns stay aligned and are read. Two unknown IDs leave the widths undetermined."""
    raw = bytearray(external(f"{BIOLOGIC}/cp.mpr").read_bytes())
    data = _data_module_start(bytes(raw))
    position = data + 5 + 2 * 16  # the 17th column ID: 441 (<Ece>/V)
    assert struct.unpack_from("<H", raw, position)[0] == 441
    struct.pack_into("<H", raw, position, 999)
    path = tmp_path / "unknown.mpr"
    path.write_bytes(bytes(raw))
    record = read_mpr(path)
    assert "Ece_mean_V" not in record and any("column ID 999" in note for note in record.provenance.notes)
    np.testing.assert_array_equal(record["voltage_V"], read_mpr(external(f"{BIOLOGIC}/cp.mpr"))["voltage_V"])
    struct.pack_into("<H", raw, data + 5 + 2 * 15, 998)  # I Range (u2) -> unknown as well
    path.write_bytes(bytes(raw))
    with pytest.raises(ReadError, match="unknown column ID"):
        read_mpr(path)


def test_damaged_mpt_raises_read_error_or_drops_only_a_cut_line(external, tmp_path):
    source = external(f"{BIOLOGIC}/cp.mpt").read_bytes()
    cases = {
        "wrong first line": b"EC-Lab ASCII FILX" + source[17:],
        "no header count": source.replace(b"Nb header lines", b"Nb headr lines", 1),
        "cut in the header": source[:1000],
        "binary": b"\x00\x01" * 500,
    }
    for problem, content in cases.items():
        path = tmp_path / "damaged.mpt"
        path.write_bytes(content)
        with pytest.raises(ReadError) as info:
            read_mpt(path)
        assert str(path) in str(info.value), problem
    cut = tmp_path / "cut.mpt"
    cut.write_bytes(source.rstrip(b"\r\n")[:-40])  # the last row loses its last fields
    record = read_mpt(cut)
    assert len(record) == 120 and any("cut short" in note for note in record.provenance.notes)


def test_damaged_text_export_raises_read_error(external, tmp_path):
    source = external(f"{BIOLOGIC}/test_loopsnewoutput_MB_CE1_short10k.csv").read_bytes()
    header = source[: source.index(b"\n") + 1]
    cases = {
        "header only": header,
        "binary": b"\x00\xff" * 400,
        "no potential column": header.replace(b"Ecell/V", b"E/V") + source[len(header):],
        "text in time": header + b"0;7;7;7;yesterday;3.8;0\n",
    }
    for problem, content in cases.items():
        path = tmp_path / "damaged.csv"
        path.write_bytes(content)
        with pytest.raises(ReadError) as info:
            read_biologic_text(path)
        assert str(path) in str(info.value), problem


@pytest.mark.parametrize("relative", [f"{BIOLOGIC}/cp.mpr", PEIS, f"{BIOLOGIC}/cp.mpt"])
def test_random_corruption_gives_a_read_error_or_a_valid_result(external, tmp_path, relative):
    """Bytes overwritten or cut at random: never another exception type, never NaN or backward time."""
    source = external(relative).read_bytes()
    rng = np.random.default_rng(20240611)
    reader = read_mpr if relative.endswith(".mpr") else read_mpt
    path = tmp_path / Path(relative).name
    for _ in range(60):
        damaged = bytearray(source)
        if rng.random() < 0.3:
            damaged = damaged[: int(rng.integers(len(damaged)))]
        else:
            for position in rng.integers(0, min(len(damaged), 16000), size=int(rng.integers(1, 5))):
                damaged[position] = int(rng.integers(256))
        path.write_bytes(bytes(damaged))
        try:
            data = reader(path)
        except ReadError as error:
            assert str(path) in str(error)
            continue
        if isinstance(data, Record) and "time_s" in data:
            assert np.all(np.isfinite(data["time_s"])) and np.all(np.diff(data["time_s"]) >= 0)


def test_text_in_a_numeric_column_names_the_column_and_row(external, tmp_path):
    source = external(f"{BIOLOGIC}/cp.mpt").read_bytes()
    lines = source.split(b"\n")
    fields = lines[60].split(b"\t")
    fields[10] = b"-9.98x7E+001"  # I/mA of data row 4
    lines[60] = b"\t".join(fields)
    path = tmp_path / "text.mpt"
    path.write_bytes(b"\n".join(lines))
    with pytest.raises(ReadError, match=r"'I/mA'.*data row 4"):
        read_mpt(path)


def test_quote_in_an_mpt_header_comment(external, tmp_path):
    source = external(f"{BIOLOGIC}/cp.mpt").read_bytes()
    path = tmp_path / "quoted.mpt"
    path.write_bytes(source.replace(b"Comments : ", b'Comments : cell "A', 1))
    assert len(read_mpt(path)) == 121
