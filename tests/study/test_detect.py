"""Experiment-kind detection (anodelab.study.detect) from the data alone.

(a) every experiment of the demo study, written under a neutral name and read back, with and
without its cell; the generators again at other seeds and parameters; (b) the real files under
../shared/data/external whose README says what they are, the expected kinds taken from the READMEs;
(c) protocols the demo does not make, and the rules on names, hints and input types.
"""

from __future__ import annotations

import csv
import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from shared_data import external_file

import anodelab
from anodelab.core import (
    CellInfo,
    CycleTable,
    Electrode,
    Provenance,
    Record,
    Spectrum,
    SpectrumContext,
    SpectrumSeries,
)
from anodelab.core.errors import NotApplicableError
from anodelab.core.experiment import ExperimentKind
from anodelab.sim import virtual
from anodelab.sim.virtual.writers import write_experiment
from anodelab.study.demo import PLAN, experiments
from anodelab.study.detect import detect

K = ExperimentKind


def _bare(data):
    """The data without its cell (what the data alone must decide)."""
    return data.with_cell(None) if isinstance(data, Record) else replace(data, cell=None)


# -- (a) the demo study, and its generators at other draws ---------------------------------------------


@pytest.fixture(scope="module")
def demo_files(tmp_path_factory) -> list[tuple[str, str, Path]]:
    """Each demo experiment written as x.mpt / x.csv (with its cell.toml) in a folder of its own."""
    folder = tmp_path_factory.mktemp("demo")
    written = []
    for index, (planned, experiment) in enumerate(zip(PLAN, experiments(0))):
        path = write_experiment(replace(experiment, name="x"), folder / f"{index:02d}", format=planned.format)
        written.append((planned.name, experiment.kind, path))
    return written


@pytest.mark.parametrize("index", range(len(PLAN)), ids=[planned.name for planned in PLAN])
def test_demo_experiment(demo_files, index):
    name, kind, path = demo_files[index]
    data = anodelab.read(path)
    with_cell, alone = detect(data), detect(_bare(data))
    assert with_cell.kind.value == kind, f"{name}: {with_cell}"
    assert alone.kind.value == kind, f"{name}: {alone}"
    assert alone.source == "data" and 0.5 <= alone.confidence <= with_cell.confidence <= 1.0
    assert len(alone.reason) > 20


def test_demo_at_other_seeds():
    for seed in (1, 2, 3):
        for planned, experiment in zip(PLAN, experiments(seed)):
            found = detect(_bare(experiment.data))
            assert found.kind.value == experiment.kind, f"{planned.name}, seed {seed}: {found}"


VARIATIONS = [
    (virtual.symmetric_cycling, {"n_cycles": 5, "short_time_s": None}),
    (virtual.symmetric_cycling, {"short_kind": "soft", "short_time_s": 100000.0, "n_cycles": 30}),
    (virtual.symmetric_cycling, {"current_density_mA_cm2": 2.0, "areal_capacity_mAh_cm2": 2.0,
                                 "overpotential_V": 0.08, "noise_V": 0.003}),
    (virtual.symmetric_cycling, {"metal": "Na", "n_cycles": 200, "samples_per_half_cycle": 5, "short_time_s": None}),
    (virtual.ccd_staircase, {"start_mA_cm2": 0.1, "step_mA_cm2": 0.1, "ccd_mA_cm2": 1.2}),
    (virtual.ccd_staircase, {"short_kind": "soft", "start_mA_cm2": 0.2, "step_mA_cm2": 0.2, "ccd_mA_cm2": 0.8,
                             "noise_V": 0.001}),
    (virtual.ccd_staircase, {"area_specific_resistance_ohm_cm2": 200.0, "half_cycle_s": 600.0,
                             "short_delay_s": 100.0, "ccd_mA_cm2": 0.3}),
    (virtual.first_plating, {"metal": "Li", "substrate": "Cu", "tip_overpotential_V": 0.08,
                             "plateau_overpotential_V": 0.03, "noise_V": 0.001}),
    (virtual.first_plating, {"current_density_mA_cm2": 2.0, "areal_capacity_mAh_cm2": 3.0, "ocv_V": 2.5,
                             "samples_per_half_cycle": 200}),
    (virtual.plating_ce, {"method": "reservoir"}),
    (virtual.plating_ce, {"method": "reservoir", "n_cycles": 5, "reservoir_capacity_mAh_cm2": 3.0}),
    (virtual.plating_ce, {"n_cycles": 50, "initial_ce": 0.9, "ce": 0.98, "strip_cutoff_V": 1.0, "noise_V": 0.001}),
    (virtual.gitt, {"regime": "finite-length"}),
    (virtual.gitt, {"geometry": "sphere", "direction": "delithiation", "noise_mV": 0.5, "n_pulses": 8}),
    (virtual.gitt, {"n_pulses": 40, "soc_per_pulse": 0.005, "initial_rest_s": 0.0}),
    (virtual.cyclic_voltammogram, {"n_cycles": 1}),
    (virtual.cyclic_voltammogram, {"n_cycles": 10, "scan_rate_mV_s": 1.0, "noise_uA": 2.0, "step_mV": 5.0}),
    (virtual.plating_voltammogram, {}),
    (virtual.plating_voltammogram, {"n_cycles": 1, "scan_rate_mV_s": 10.0}),
    (virtual.linear_sweep, {"scan_rate_mV_s": 0.1, "noise_uA": 1.0}),
    (virtual.linear_sweep, {"start_V": 2.0, "end_V": 0.5, "scan_rate_mV_s": 5.0}),
    (virtual.polarization_curve, {"R_ohm": 5.0, "noise_pct": 1.0}),
    (virtual.polarization_curve, {"eta_max_V": 0.1, "scan_rate_mV_s": 0.5, "i0_mA_cm2": 0.1}),
    (virtual.alloy_half_cell, {"cv_hold": True, "initial_rest_s": 3600.0, "n_cycles": 3}),
    (virtual.alloy_half_cell, {"counter_potential_V": 0.62, "n_cycles": 20, "samples_per_half_cycle": 30}),
    (virtual.alloy_half_cell, {"n_cycles": 1}),
    (virtual.full_cell, {"cv_hold": True, "n_cycles": 3, "charge_c_rate": 0.5, "discharge_c_rate": 1.0}),
    (virtual.rate_test, {"current_densities_A_g": (0.2, 0.5, 1.0, 2.0), "cycles_per_block": 5}),
    (virtual.rate_test, {"current_densities_A_g": (0.1, 0.5, 2.0, 0.1), "cycles_per_block": 2}),
    (virtual.eis_spectrum, {"system": "li-llzto"}),
    (virtual.eis_spectrum, {"system": "na-symmetric", "noise_pct": 1.0}),
    (virtual.insitu_eis_series, {"spectra_per_half_cycle": 3}),
    (virtual.temperature_eis_series, {}),
    (virtual.temperature_eis_series, {"system": "li-llzto", "temperatures_C": (20.0, 30.0)}),
    (virtual.blocking_cell_spectrum, {}),
    (virtual.blocking_cell_spectrum, {"temperatures_C": (-20.0, 0.0, 20.0, 40.0, 60.0, 80.0), "n_blocking": 0.75,
                                      "sigma_S_cm": 1e-6}),
    (virtual.blocking_cell_spectrum, {"sigma_S_cm": 1e-2, "frequency_min_Hz": 1.0, "n_blocking": 0.95}),
]


@pytest.mark.parametrize(("make", "options"), VARIATIONS,
                         ids=[f"{make.__name__}-{k}" for k, (make, _) in enumerate(VARIATIONS)])
def test_generators_at_other_parameters(make, options):
    for seed in (1, 5):
        experiment = make(**options, seed=seed)
        for data in (experiment.data, _bare(experiment.data)):
            found = detect(data)
            assert found.kind.value == experiment.kind, f"seed {seed}: {found}"


def test_names_and_header_techniques_are_not_read(tmp_path):
    """A GITT written under a CV's name, its header claiming cyclic voltammetry, is still a GITT."""
    experiment = virtual.gitt(seed=3)
    record = experiment.data
    misleading = replace(record, provenance=replace(record.provenance, techniques=("CV",)))
    path = write_experiment(replace(experiment, name="msi_c_cv", data=misleading), tmp_path, format="mpt")
    assert "Cyclic Voltammetry" in path.read_text(encoding="latin-1")
    assert detect(anodelab.read(path)).kind == K.GITT


# -- (b) real files, expected kinds from their READMEs ---------------------------------------------------

_TECHNIQUES = "cycler/biologic/eclab_techniques/20220912_03_sp_Cu_Durapore_05_Cp_100mA_{}_C01.mpr"
_ATTIA_LSV = "cv/attia2021_carbon_black_lsv/cell{}.txt"

#: file -> (kind, cell type the README gives or None): the README says what the file is
REAL = {
    "cv/echemdb_engstfeld2018_Cu100_KOH/engstfeld_2018_polycrystalline_17743_f4b_1.csv": (K.CV, None),
    "cv/heubach2024_Au111_ionic_liquid/Fig_1_a_black.csv": (K.CV, None),
    **{_TECHNIQUES.format(f"{n:02d}_CV"): (K.CV, None) for n in range(4, 11)},
    _TECHNIQUES.format("01_LSV"): (K.LSV, None),
    _TECHNIQUES.format("11_LSV"): (K.LSV, None),
    # chronoamperometry and chronopotentiometry: no experiment kind of the vocabulary
    _TECHNIQUES.format("02_CA"): (K.UNKNOWN, None),
    _TECHNIQUES.format("03_CA"): (K.UNKNOWN, None),
    _TECHNIQUES.format("12_CP"): (K.UNKNOWN, None),
    "cycler/biologic/cp.mpr": (K.UNKNOWN, None),
    "cycler/biologic/cp.mpt": (K.UNKNOWN, None),
    "cycler/biologic/00_test_01_OCV_C01.mpr": (K.UNKNOWN, None),  # a 2-row OCV stub
    "cycler/biologic/jdb11-1_c3_gcpl_5cycles_2V-3p8V_C-24_data_C09.mpr": (K.CYCLING, None),
    "cycler/biologic/jdb11-1_e1_s3_squidTest_data_C15.mpr": (K.CYCLING, None),
    "cycler/biologic/test_loopsnewoutput_MB_CE1_short10k.csv": (K.CYCLING, None),
    "cycler/neware/test.nda": (K.CYCLING, None),
    "cycler/neware/test.ndax": (K.CYCLING, None),
    "cycler/arbin/20160805_test001_45_cc_01.res": (K.CYCLING, None),
    "cycler/land/bs542_004_gr_li_50ua_50mv_1v_191020_Channel_11.xlsx": (K.CYCLING, "anode-half"),
    "cycler/other/pec.csv": (K.CYCLING, None),
    "cycler/other/CALCE_CX2-33_prism_LCO_25C_0-100_0.5-0.5C_d_cycle_data.csv": (K.CYCLE_TABLE, None),
    "cycling/attia2021_carbon_black_first_cycle/cellC_10C_CF3.txt": (K.CYCLING, "anode-half"),
    "cycling/attia2021_carbon_black_first_cycle/cellF_3C_split_CF6.txt": (K.CYCLING, "anode-half"),
    "cycler/eis/exampleDataBioLogic.mpt": (K.EIS, None),
    "cycler/eis/exampleDataCHInstruments.txt": (K.EIS, None),
    "cycler/eis/exampleDataGamry.DTA": (K.EIS, None),
    **{f"eis/{name}": (K.EIS, None) for name in (
        "impedancepy_exampleData.csv", "impedancepy_exampleDataBioLogic.mpt", "impedancepy_exampleDataGamry.DTA",
        "impedancepy_Circuit1_EIS_1.z", "pydrttools_LIB_data.txt", "pydrttools_LIB_data_2.txt",
        "pydrttools_zarc_data.txt", "pydrttools_tutorial_2ZARC0.csv", "pyimpspec_tests_data.dta")},
    # Li|Li, one-directional plating with periodic EIS: only time and voltage in the file
    "symmetric/grey_lab_LiLi_TEGDME_insitu/jr862_11_08_23_insitu-impedance-LiLi_1MLiTFSI_TEGDME-1mA_03_GCPL_C05.txt":
        (K.SYMMETRIC, "symmetric"),
}

#: file -> (kinds that fit, why the README leaves it open)
_WHY_ATTIA = ("called LSV, but each file holds two down-and-up cycles of sweeps (0.01-1.2 V) after the first "
              "lithiation: a CV by the data")
AMBIGUOUS = {
    **{_ATTIA_LSV.format(name): ({K.LSV, K.CV}, _WHY_ATTIA)
       for name in ("E_CB_LSV_3mVpermin_CB1", "F_CB_LSV_10mVpermin_CB2", "G_CB_LSV_30mVpermin_CB3",
                    "H_CB_LSV_100mVpermin_CB4", "I_CB_LSV_300mVpermin_CB5")},
    _TECHNIQUES.format("13_PEIS"): ({K.EIS, K.EIS_SERIES}, "PEIS: three spectra over 6 h in one file"),
    "eis/pyimpspec_tests_case-multiple-spectra.mpt": (
        {K.EIS, K.EIS_SERIES}, "a parser case: three identical spectra with no time or state"),
    "cycler/biologic/biol.mpr": (
        {K.CYCLING, K.UNKNOWN}, "called cycling; the data hold four 4-h charge steps with rests and EIS, no discharge"),
    "cycler/neware/20260302_IFE_BTS85_2_9_8_1.ndax": (
        {K.CYCLING, K.UNKNOWN}, "called multi-cycle; the data hold one long charge"),
    "cycler/maccor/PreDiag_000412_00008Fshort.022": ({K.CYCLING, K.RATE, K.GITT}, "RPT, HPPC pulses and cycling"),
    "cycler/maccor/maccor_001.txt": ({K.CYCLING, K.RATE}, "a 'validation test': discharges at 0.5 to 10 A"),
    "cycler/maccor/maccor_example.001": ({K.CYCLING, K.UNKNOWN}, "a formation file cut to 8 rows at rest"),
    "cycler/other/CALCE_CX2-33_prism_LCO_25C_0-100_0.5-0.5C_d_timeseries.csv": (
        {K.CYCLING, K.UNKNOWN}, "a 15-row excerpt of a cycling test: one charge step"),
    "cycler/arbin/2017-05-09_test-TC-contact_CH33.csv": (
        {K.CYCLING, K.UNKNOWN}, "a thermocouple-contact test: one charge step"),
}


@pytest.mark.parametrize("relative", sorted(REAL))
def test_real_file(relative):
    kind, cell_type = REAL[relative]
    data = anodelab.read(external_file(relative))
    found = detect(data, CellInfo(cell_type) if cell_type else None)
    assert found.kind == kind, found
    if cell_type is not None and kind != K.SYMMETRIC:  # a voltage trace alone needs the cell type
        assert detect(_bare(data)).kind == kind


@pytest.mark.parametrize("relative", sorted(AMBIGUOUS))
def test_real_file_the_readme_leaves_open(relative):
    kinds, _ = AMBIGUOUS[relative]
    found = detect(anodelab.read(external_file(relative)))
    assert found.kind in kinds, found


def test_blocking_cell_spectra_at_several_temperatures(external):
    """MADAP's liquid-electrolyte conductivity cell (README: blocking, capacitive tail), -30 to 60 degC:
    the spectra are stored as lists inside a CSV no reader claims, so the test builds the series."""
    path = external("eis_temperature/rahmanian2023_madap_electrolyte_conductivity/Dataframe_STRUCTURED_all508.csv")
    experiments_: dict[str, list[Spectrum]] = {}
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle, delimiter=";"):
            spectrum = Spectrum.from_arrays(json.loads(row["frequency [Hz]"]),
                                            Z_real_ohm=json.loads(row["real impedance Z' [Ohm]"]),
                                            Z_imag_ohm=json.loads(row["imaginary impedance Z'' [Ohm]"]),
                                            context=SpectrumContext(temperature_C=float(row["temperature [°C]"])))
            experiments_.setdefault(row["experimentID"], []).append(spectrum)
    assert len(experiments_) == 4
    for name, spectra in experiments_.items():
        found = detect(SpectrumSeries.of(spectra))
        assert found.kind == K.CONDUCTIVITY, f"{name}: {found}"


def test_voltage_trace_without_current_needs_the_cell_type(external):
    path = external("symmetric/grey_lab_LiLi_TEGDME_insitu/"
                    "jr862_11_08_23_insitu-impedance-LiLi_1MLiTFSI_TEGDME-1mA_03_GCPL_C05.txt")
    found = detect(anodelab.read(path))
    assert found.kind == K.UNKNOWN and "without current" in found.reason


# -- (c) protocols the demo does not make; hints, reasons, input types ----------------------------------


def _record(segments, **columns):
    """A record from (duration_s, current_mA(t), voltage_V(t)) segments sampled every 10 s, one step each."""
    times, currents, voltages, steps = [], [], [], []
    start = 0.0
    for index, (duration_s, current, voltage) in enumerate(segments):
        t = np.arange(0.0, duration_s, 10.0)
        times.append(start + t)
        currents.append(np.broadcast_to(current(t), t.shape).astype(float))
        voltages.append(np.broadcast_to(voltage(t), t.shape).astype(float))
        steps.append(np.full(t.size, index))
        start += duration_s
    return Record.from_columns({"time_s": np.concatenate(times), "current_mA": np.concatenate(currents),
                                "voltage_V": np.concatenate(voltages), "step": np.concatenate(steps), **columns})


def test_galvanostatic_polarization_steps():
    """Currents 0.1 ... 2 mA held 10 min each, V = eta(I) (Butler-Volmer in asinh form): a polarization curve."""
    levels = (0.1, 0.2, 0.5, 1.0, 2.0)
    segments = [(600.0, lambda t, i=i: np.full(t.size, i), lambda t, i=i: 0.05 * np.arcsinh(i / 0.4)
                 + 0.002 * (1 - np.exp(-t / 60))) for i in levels]
    found = detect(_record(segments))
    assert found.kind == K.POLARIZATION, found
    assert "5 steady-state steps of current" in found.reason


def test_potentiostatic_polarization_steps():
    """Holds at 50 ... 200 mV, each current decaying to its steady state."""
    segments = [(300.0, lambda t, v=v: 2.0 * np.sinh(v / 0.05) * (1 + np.exp(-t / 30)), lambda t, v=v: np.full(t.size, v))
                for v in (0.05, 0.1, 0.15, 0.2)]
    found = detect(_record(segments))
    assert found.kind == K.POLARIZATION and "potential" in found.reason, found


def test_one_hold_is_a_chronoamperometry():
    found = detect(_record([(600.0, lambda t: 1e-3 * np.exp(-t / 60) + 1e-4, lambda t: np.full(t.size, -1.0))]))
    assert found.kind == K.UNKNOWN and "potentiostatic hold" in found.reason


def test_rest_only():
    found = detect(_record([(3600.0, lambda t: np.zeros(t.size), lambda t: 2.9 + 1e-5 * t)]))
    assert found.kind == K.UNKNOWN and "no current" in found.reason


def test_cycling_with_impedance_between_the_steps():
    """A GCPL with a PEIS after every half-cycle: the impedance rows carry a frequency."""
    segments, frequency = [], []
    for k in range(6):
        sign = -1.0 if k % 2 == 0 else 1.0
        segments.append((3600.0, lambda t, s=sign: np.full(t.size, 0.5 * s), lambda t, s=sign: 0.5 - s * 0.4 * t / 3600))
        frequency.append(np.full(360, np.nan))
        segments.append((600.0, lambda t: 1e-3 * np.sin(t), lambda t: np.full(t.size, 0.5)))
        frequency.append(np.logspace(5, -1, 60))
    found = detect(_record(segments, frequency_Hz=np.concatenate(frequency)))
    assert found.kind == K.CYCLING, found
    assert "6 impedance measurements" in found.reason


def test_noisy_constant_current_is_not_a_sweep():
    """A half cell whose current noise (5 %) hides the constant current from the step table is still cycling."""
    record = virtual.alloy_half_cell(n_cycles=4, seed=2).data
    rng = np.random.default_rng(4)
    noisy = record["current_mA"] * (1 + 0.05 * rng.standard_normal(len(record)))
    rebuilt = Record.from_columns({"time_s": record["time_s"], "voltage_V": record["voltage_V"],
                                   "current_mA": noisy, "step": record["step"]})
    assert detect(rebuilt).kind == K.CYCLING


def test_reasons_name_the_protocol():
    ccd = virtual.ccd_staircase(start_mA_cm2=0.1, step_mA_cm2=0.1, ccd_mA_cm2=1.2, seed=0)
    reason = detect(ccd.data).reason  # the cell gives the area: current densities
    assert reason.startswith("current steps of rising magnitude (0.0785 mA (0.1 mA/cm2) to 0.942 mA (1.2 mA/cm2), "
                             "12 levels), alternating sign, voltage symmetric about 0 V")
    gitt = detect(virtual.gitt(seed=0).data).reason
    assert gitt.startswith("20 current pulses of") and "each followed by a rest of" in gitt
    cv = detect(virtual.cyclic_voltammogram(n_cycles=3, seed=0).data).reason
    assert cv == "triangular voltage sweeps: 6 sweeps between 5 mV and 1.5 V at 0.2 mV/s (3 cycles)"


def test_the_cell_type_is_a_hint():
    """Agreeing, it raises the confidence; disagreeing, the data still decide and the reason says so."""
    spectrum = virtual.eis_spectrum(system="li-llzto", seed=0).data
    plain = detect(_bare(spectrum))
    agreeing = detect(spectrum, CellInfo("symmetric"))
    disagreeing = detect(spectrum, CellInfo("blocking"))
    assert plain.kind == agreeing.kind == disagreeing.kind == K.EIS
    assert agreeing.confidence > plain.confidence > disagreeing.confidence
    assert "blocking" in disagreeing.reason
    # a short capacitive tail the data alone leave open: the blocking cell settles it
    blocking = virtual.blocking_cell_spectrum(n_blocking=0.6, seed=0).data
    assert detect(_bare(blocking)).kind == K.EIS
    assert detect(blocking, CellInfo("blocking")).kind == K.CONDUCTIVITY


def test_other_inputs():
    table = CycleTable.from_columns({"cycle": [1, 2], "charge_capacity_mAh": [1.0, 0.9]})
    assert detect(table).kind == K.CYCLE_TABLE
    spectrum = Spectrum.from_arrays(np.logspace(5, -1, 30), 10 + 50 / (1 + 1j * np.logspace(5, -1, 30) * 1e-3))
    assert detect(spectrum).kind == K.EIS
    assert detect(SpectrumSeries.of([spectrum], provenance=Provenance(path="x"))).kind == K.EIS
    with pytest.raises(NotApplicableError, match="Record, SpectrumSeries or CycleTable"):
        detect(np.zeros(3))  # type: ignore[arg-type]
    assert detect(Record.from_columns({"voltage_V": np.zeros(0)})).kind == K.UNKNOWN


def test_area_from_the_cell():
    record = virtual.symmetric_cycling(n_cycles=5, short_time_s=None, seed=0).data
    cell = CellInfo("symmetric", working_electrode=Electrode(area_cm2=0.785))
    assert "(0.1 mA/cm2)" in detect(record, cell).reason
