"""cycle_summary / rate_table against virtual-lab truth, real files, and navani's numbers."""

from __future__ import annotations

import numpy as np
import pytest

import anodelab
from anodelab.core.cell import CellInfo, Electrode
from anodelab.core.errors import MetadataError, NotApplicableError
from anodelab.cycling import cycle_summary, rate_table
from anodelab.sim.virtual import alloy_half_cell, full_cell, rate_test, write_experiment

ATTIA = "cycling/attia2021_carbon_black_first_cycle/"


def _check_truth(summary, truth, opening, closing):
    n = len(truth[f"{closing}_mAh"])
    assert summary.cycles.tolist() == list(range(1, n + 1))
    np.testing.assert_allclose(summary[f"{opening}_mAh"], truth[f"{opening}_mAh"], rtol=1e-9)
    np.testing.assert_allclose(summary[f"{closing}_mAh"], truth[f"{closing}_mAh"], rtol=1e-9)
    np.testing.assert_allclose(summary[f"{opening}_mAh_g"], truth[f"{opening}_mAh_g"], rtol=1e-9)
    np.testing.assert_allclose(summary[f"{closing}_mAh_g"], truth[f"{closing}_mAh_g"], rtol=1e-9)
    np.testing.assert_allclose(summary["ce"], truth["ce_per_cycle"], rtol=1e-9)
    assert summary.ice == pytest.approx(truth["ice"], rel=1e-9)
    assert not summary["incomplete"].any()


@pytest.mark.parametrize("options", [{}, {"cv_hold": True, "initial_rest_s": 600.0}])
def test_alloy_half_cell_truth(options):
    ex = alloy_half_cell(**options)
    summary = cycle_summary(ex.data, ex.cell)
    _check_truth(summary, ex.truth, "insertion", "extraction")
    assert summary["cv_step"].all() == bool(options)
    assert summary.preamble["rests_only"]
    # retention vs cycle 1 (all cycles at one current): closing_k / closing_1 = (1 - fade)^(k - 1)
    fade = ex.truth["fade_per_cycle"]
    assert summary.reference_cycle == 1
    assert summary.retention == pytest.approx((1 - fade) ** 9, rel=1e-9)
    assert summary.decay_pct_per_cycle == pytest.approx((1 - (1 - fade) ** 9) / 9 * 100, rel=1e-9)
    assert summary.cycle_at_80pct is None
    assert summary["insertion_current_A_g"] == pytest.approx(ex.truth["current_density_A_g"])
    np.testing.assert_allclose(summary["insertion_current_mA"], ex.truth["current_mA"], rtol=1e-12)


def test_full_cell_truth_with_cccv():
    ex = full_cell(cv_hold=True)
    summary = cycle_summary(ex.data, ex.cell)
    _check_truth(summary, ex.truth, "charge", "discharge")
    assert summary["cv_step"].all()
    # the CV part belongs to the charge: CC + CV = truth charge
    np.testing.assert_allclose(np.add(ex.truth["cc_mAh"], ex.truth["cv_mAh"]), summary["charge_mAh"], rtol=1e-9)
    assert summary.definitions["ce"] == "discharge/charge of the same cycle"


def test_energy_and_mean_voltage_consistent():
    ex = full_cell()
    summary = cycle_summary(ex.data, ex.cell)
    # mean V lies inside the cutoffs; energy efficiency < 1 for a cell with IR drop and hysteresis
    assert np.all((summary["discharge_mean_V"] > 2.5) & (summary["discharge_mean_V"] < 4.3))
    assert np.all(summary["energy_efficiency"] < summary["ce"] + 1e-12)
    np.testing.assert_allclose(summary["charge_energy_mWh"], summary["charge_mean_V"] * summary["charge_mAh"])


def test_written_and_reread_file(tmp_path):
    ex = alloy_half_cell(n_cycles=4)
    folder = write_experiment(ex, tmp_path)
    data = next(p for p in (folder if folder.is_dir() else tmp_path).rglob("*") if p.suffix in (".mpt", ".csv"))
    record = anodelab.read(data)
    summary = cycle_summary(record, ex.cell)
    # written at finite decimal precision: capacities agree to the file's rounding
    np.testing.assert_allclose(summary["extraction_mAh"], ex.truth["extraction_mAh"], rtol=1e-6)
    np.testing.assert_allclose(summary["insertion_mAh"], ex.truth["insertion_mAh"], rtol=1e-6)


def test_missing_mass_gives_clear_error_not_a_default():
    ex = alloy_half_cell(n_cycles=2)
    summary = cycle_summary(ex.data, CellInfo("anode-half"))
    assert "extraction_mAh_g" not in summary.columns
    with pytest.raises(MetadataError, match="active mass"):
        summary["extraction_mAh_g"]
    with pytest.raises(MetadataError, match="area"):
        summary["extraction_mAh_cm2"]


def test_rate_table_truth():
    ex = rate_test()
    table = rate_table(ex.data, ex.cell)
    truth_blocks = ex.truth["blocks"]
    assert len(table.blocks) == len(truth_blocks)
    extraction = np.asarray(ex.truth["extraction_mAh"])
    for block, truth in zip(table.blocks, truth_blocks):
        assert (block["first_cycle"], block["last_cycle"]) == (truth["first_cycle"], truth["last_cycle"])
        assert block["current_A_g"] == pytest.approx(truth["current_density_A_g"], rel=1e-9)
        cycles = slice(truth["first_cycle"] - 1, truth["last_cycle"])
        assert block["mean_extraction_mAh"] == pytest.approx(extraction[cycles].mean(), rel=1e-9)
        assert block["std_extraction_mAh"] == pytest.approx(extraction[cycles].std(ddof=1), rel=1e-6)
    assert [b["recovery"] for b in table.blocks] == [False] * 6 + [True]
    first = extraction[:3].mean()
    assert table.blocks[-1]["retention"] == pytest.approx(extraction[-3:].mean() / first, rel=1e-9)


def test_formation_reference_auto_and_explicit():
    ex = rate_test(current_densities_A_g=(0.05, 0.1), cycles_per_block=4)
    assert cycle_summary(ex.data, ex.cell).reference_cycle == 5  # first cycle at the later current
    assert cycle_summary(ex.data, ex.cell, formation_cycles=0).reference_cycle == 1


def test_attia_cellF_last_delithiation_incomplete(external):
    cell = CellInfo("anode-half", working_electrode=Electrode(mass_mg=1.011))  # masses.csv
    record = anodelab.read(external(ATTIA + "cellF_3C_split_CF6.txt"))
    assert "time_s" not in record and "current_mA" not in record  # voltage/capacity-only export
    summary = cycle_summary(record, cell)
    # README: 7 cycle-number values = first lithiation + 6 delithiations -> 6 cycles
    assert summary.cycles.tolist() == [1, 2, 3, 4, 5, 6]
    # the last delithiation stops at 0.92 V instead of the 1.2 V cutoff of the others
    assert summary["extraction_incomplete"].tolist() == [False] * 5 + [True]
    assert not summary["insertion_incomplete"].any()
    # complete delithiations end at the 1.2 V cutoff, lithiations at 0.01 V
    np.testing.assert_allclose(summary["extraction_end_V"][:5], 1.2, atol=0.01)
    # capacity resets at every step: first lithiation = last value before the reset (file, column 3)
    column = np.loadtxt(external(ATTIA + "cellF_3C_split_CF6.txt"), skiprows=1, usecols=2)
    reset = np.flatnonzero(np.diff(column) < 0)
    assert summary["insertion_mAh"][0] == pytest.approx(column[reset[0]], rel=1e-12)
    # carbon black: first lithiation ~ 500 mAh/g, reversible ~ 200 mAh/g (paper, 1C = 200 mA/g)
    assert 400 < summary["insertion_mAh_g"][0] < 600
    assert 150 < summary["extraction_mAh_g"][1] < 250
    assert summary.ice == pytest.approx(summary["extraction_mAh"][0] / summary["insertion_mAh"][0])


def test_attia_cellC_edge_case_does_not_crash(external):
    cell = CellInfo("anode-half", working_electrode=Electrode(mass_mg=0.872))
    summary = cycle_summary(anodelab.read(external(ATTIA + "cellC_10C_CF3.txt")), cell)
    assert summary.cycles.tolist() == [1, 2]
    assert 0 < summary.ice < 1
    summary.to_dict()


def test_land_graphite_half_cell(external):
    record = anodelab.read(external("cycler/land/bs542_004_gr_li_50ua_50mv_1v_191020_Channel_11.xlsx"))
    summary = cycle_summary(record, CellInfo("anode-half"))
    # navani 3.x (echem_file_loader + cycle_summary): cycle 1 discharge 5.798033, charge 5.698108,
    # CE 0.982766 (charge/discharge = extraction/insertion here: same direction as ours).
    assert summary["insertion_mAh"][0] == pytest.approx(5.798033, rel=1e-6)
    assert summary["extraction_mAh"][0] == pytest.approx(5.698108, rel=1e-6)
    assert summary.ice == pytest.approx(0.982766, rel=1e-5)
    # navani reports cycle 2 CE 0.000874 as a number; the test stopped 4.6 uAh into the second
    # delithiation, so we flag it incomplete and keep it out of retention.
    assert summary["incomplete"].tolist() == [False, True]
    assert summary.retention is None


def test_biologic_five_cycle_pairing(external):
    record = anodelab.read(external("cycler/biologic/jdb11-1_c3_gcpl_5cycles_2V-3p8V_C-24_data_C09.mpr"))
    summary = cycle_summary(record, CellInfo("cathode-half"))
    # navani gives 7 cycles and a first CE of 4.78 = 0.986781 / 0.206529: it pairs the initial
    # partial discharge (0.2065 mAh from OCV 2.5 V down to 2.0 V) with the first full charge.
    # A cathode half-cell opens with a charge, so that discharge is preamble (cycle 0) and cycle 1
    # = first charge 0.986781 + the full discharge after it 0.852855 -> CE 0.864.
    assert summary.preamble["discharge_mAh"] == pytest.approx(0.206529, rel=1e-5)
    assert summary.cycles.size == 6
    assert summary["charge_mAh"][0] == pytest.approx(0.986781, rel=1e-5)
    assert summary["discharge_mAh"][0] == pytest.approx(0.852855, rel=1e-5)
    assert summary.ice == pytest.approx(0.852855 / 0.986781, rel=1e-5)
    assert not summary["incomplete"].any()


def test_arbin_si_half_cell_starts_with_lithiation(external):
    record = anodelab.read(external("cycler/arbin/20160805_test001_45_cc_01.res"))
    summary = cycle_summary(record, CellInfo("anode-half"))
    # navani cannot read .res without the mdb-export binary (mdbtools); check instead against an
    # independent integral of |I| dt over the rows of cycle 1's lithiation.
    rec = record.with_cell(CellInfo("anode-half"))
    rows = (rec["cycle"] == 1) & (rec["state"] == 2)
    t, i = rec["time_s"], np.abs(rec["current_mA"])
    keep = rows[1:] & rows[:-1] & (rec["step"][1:] == rec["step"][:-1])
    integral = np.sum((0.5 * (i[1:] + i[:-1]) * np.diff(t))[keep]) / 3600
    assert summary["insertion_mAh"][0] == pytest.approx(integral, rel=2e-3)
    assert summary.preamble["insertion_mAh"] == 0.0  # the file opens with OCV, then lithiation
    assert summary["insertion_end_V"][0] == pytest.approx(0.05, abs=0.005)


def test_neware_cccv_full_cell(external):
    record = anodelab.read(external("cycler/neware/TestFile.nda"))
    summary = cycle_summary(record, CellInfo("full"))
    # navani: cycle 1 discharge 3790.17, charge 5655.09, CE 1.49 - it pairs the opening partial
    # discharge with the next charge and counts only the CC part of the CC-CV charge. Ours: the
    # discharge is preamble; charge = CC 5655.09 + CV 155.94 = 5811.03; CE = 5806.65 / 5811.03.
    assert summary.preamble["discharge_mAh"] == pytest.approx(3790.17, rel=1e-5)
    assert summary["charge_mAh"][0] == pytest.approx(5655.09 + 155.94, rel=1e-5)
    assert summary["discharge_mAh"][0] == pytest.approx(5806.65, rel=1e-5)
    assert summary["cv_step"][0]
    assert summary["incomplete"].tolist() == [False, True]  # the record ends after the 2nd charge


def test_no_capacity_or_direction_is_not_applicable():
    record = anodelab.Record.from_columns({"voltage_V": [3.0, 3.1, 3.2]})
    with pytest.raises(NotApplicableError):
        cycle_summary(record)


def _not_cycling(kind):
    from anodelab.core.cycles import CycleTable
    from anodelab.core.record import Provenance
    from anodelab.core.spectrum import Spectrum, SpectrumSeries

    provenance = Provenance(path="data/held.csv")
    if kind == "cycle table":
        return CycleTable.from_columns({"cycle": [1, 2], "charge_capacity_mAh": [1.0, 0.9]}, provenance=provenance)
    frequency = np.logspace(5, -1, 20)
    spectrum = Spectrum.from_arrays(frequency, 10 + 50 / (1 + 2j * np.pi * frequency * 1e-3))
    return spectrum if kind == "spectrum" else SpectrumSeries.of([spectrum], provenance=provenance)


@pytest.mark.parametrize("kind, held", [("spectra", "impedance spectra"), ("spectrum", "impedance spectra"),
                                        ("cycle table", "a per-cycle summary table (CycleTable)")])
@pytest.mark.parametrize("name", ["cycle_summary", "voltage_profiles", "dqdv", "profile_features", "rate_table"])
def test_impedance_data_or_a_cycle_table_is_not_applicable_and_says_what_it_holds(kind, held, name):
    import anodelab.cycling

    with pytest.raises(NotApplicableError) as info:
        getattr(anodelab.cycling, name)(_not_cycling(kind))
    message = str(info.value)
    assert f"{name} needs a cycling Record" in message and f"this holds {held}" in message
    assert message.startswith("data/held.csv: ") == (kind != "spectrum")  # the source, where the data has one


# --- theoretical capacity and utilisation from the working electrode's composition (issue 15) ---

F_C_MOL = 96485.33212  # CODATA 2018
M_SI, M_ZNO = 28.085, 65.38 + 15.999  # IUPAC 2021 abridged, g/mol


def _with_composition(cell, composition, end_phase=None):
    import dataclasses

    electrode = dataclasses.replace(cell.working_electrode, composition=composition, end_phase=end_phase)
    return dataclasses.replace(cell, working_electrode=electrode)


def test_utilisation_against_the_theoretical_capacity():
    ex = alloy_half_cell(n_cycles=4)
    # the virtual cell's active mass is the Si of seed 000's composite: Si -> Li15Si4, 3.75 F / (3.6 M_Si)
    theoretical = 3.75 * F_C_MOL / (3.6 * M_SI)
    summary = cycle_summary(ex.data, _with_composition(ex.cell, "Si", "Li15Si4"))
    assert summary.theoretical_capacity_mAh_g == pytest.approx(theoretical, rel=1e-12)
    np.testing.assert_allclose(summary["extraction_utilisation_pct"],
                               np.asarray(ex.truth["extraction_mAh_g"]) / theoretical * 100, rtol=1e-9)
    np.testing.assert_allclose(summary["insertion_utilisation_pct"],
                               np.asarray(ex.truth["insertion_mAh_g"]) / theoretical * 100, rtol=1e-9)
    names = {(m.name, m.index) for m in summary.metrics()}
    assert ("theoretical_capacity", None) in names and ("extraction_utilisation", 1) in names
    out = summary.to_dict()
    assert out["theoretical_capacity_mAh_g"] == pytest.approx(theoretical)
    assert out["cycles"][0]["extraction_utilisation_pct"] == pytest.approx(ex.truth["extraction_mAh_g"][0] / theoretical * 100)
    # a mixture by mass: the seed 000 composite, ZnO -> LiZn + Li2O by default
    mixture = cycle_summary(ex.data, _with_composition(ex.cell, "Si:0.884, ZnO:0.116"))
    expected = 0.884 * theoretical + 0.116 * 3 * F_C_MOL / (3.6 * M_ZNO)
    assert mixture.theoretical_capacity_mAh_g == pytest.approx(expected, rel=1e-12)


def test_without_composition_the_summary_is_unchanged():
    ex = alloy_half_cell(n_cycles=3)
    plain = cycle_summary(ex.data, ex.cell)
    assert plain.theoretical_capacity_mAh_g is None
    assert not any(name.endswith("_utilisation_pct") for name in plain.columns)
    assert type(plain).version == 1
    with pytest.raises(MetadataError, match="working_electrode.composition"):
        plain["extraction_utilisation_pct"]
    with_composition = cycle_summary(ex.data, _with_composition(ex.cell, "Si"))
    for name, column in plain.columns.items():
        np.testing.assert_array_equal(with_composition.columns[name], column)


def test_composition_without_mass_or_unreadable():
    ex = alloy_half_cell(n_cycles=2)
    no_mass = cycle_summary(ex.data, CellInfo("anode-half", working_electrode=Electrode(composition="Si")))
    assert no_mass.theoretical_capacity_mAh_g == pytest.approx(3.75 * F_C_MOL / (3.6 * M_SI))
    assert "extraction_utilisation_pct" not in no_mass.columns
    with pytest.raises(MetadataError, match="active mass"):
        no_mass["extraction_utilisation_pct"]
    assert any("utilisation" in warning for warning in no_mass.warnings)
    with pytest.raises(MetadataError, match="working_electrode.composition.*unknown element 'Xq'"):
        cycle_summary(ex.data, _with_composition(ex.cell, "Xq"))
