"""Static figures: each drawn from results of virtual data with known truth, checking what was drawn
(labels with units, curves, marked points, the map's range) and that PNG and SVG files are written."""

from __future__ import annotations

import dataclasses
import struct
import subprocess
import sys
import xml.etree.ElementTree as ET
from types import MappingProxyType

import numpy as np
import pytest

from anodelab.core.constants import GAS_CONSTANT_J_MOL_K
from anodelab.core.errors import MetadataError, NotApplicableError, ValidationError
from anodelab.cycling import cycle_summary, dqdv, rate_table, voltage_profiles
from anodelab.drt import drt, drt_series
from anodelab.impedance import analyses as eis
from anodelab.impedance.fit import fit_series
from anodelab.report import figures
from anodelab.report.figures import style
from anodelab.sim.virtual import (
    alloy_half_cell,
    blocking_cell_spectrum,
    eis_spectrum,
    insitu_eis_series,
    rate_test,
    temperature_eis_series,
)
from anodelab.sim.virtual.impedance import si_sulfide_circuit

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _by_gid(ax, prefix):
    return [line for line in ax.get_lines() if (line.get_gid() or "").startswith(prefix)]


def _axes_labelled(figure, xlabel):
    return [ax for ax in figure.axes if ax.get_xlabel() == xlabel]


# -- results, computed once --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def half_cell():
    return alloy_half_cell(n_cycles=7)


@pytest.fixture(scope="module")
def rate():
    experiment = rate_test()
    return experiment, rate_table(experiment.data)


@pytest.fixture(scope="module")
def spectrum_fit():
    circuit = si_sulfide_circuit()
    experiment = eis_spectrum(circuit)
    fits = fit_series(experiment.data, "R0-p(R1,CPE1)-p(R2,CPE2)-p(R3,CPE3)-W4", n_starts=2)
    return circuit, experiment, fits, eis.kk(experiment.data)


@pytest.fixture(scope="module")
def temperatures():
    experiment = temperature_eis_series()
    return experiment, eis.interfacial_arrhenius(experiment.data, circuit="symmetric")


@pytest.fixture(scope="module")
def insitu():
    experiment = insitu_eis_series(spectra_per_half_cycle=3)
    return (experiment, drt(experiment.data[0], credible=0.95, windows="si_zno"),
            drt_series(experiment.data, windows="si_zno"))


# -- cycling -----------------------------------------------------------------------------------------


def test_voltage_profiles_end_at_the_true_capacities(half_cell):
    profiles = voltage_profiles(half_cell.data)
    few = figures.voltage_profiles_figure(profiles, cycles=[1, 2, 3])
    ax = few.axes[0]
    assert ax.get_xlabel() == "Specific capacity / mAh g⁻¹" and ax.get_ylabel() == "Voltage / V"
    lines = _by_gid(ax, "profile-")
    assert len(lines) == 6 and [t.get_text() for t in ax.get_legend().get_texts()] == ["cycle 1", "cycle 2", "cycle 3"]
    for cycle in (1, 2, 3):
        for role in ("insertion", "extraction"):
            (line,) = _by_gid(ax, f"profile-{cycle}-{role}")
            assert line.get_xdata()[-1] == pytest.approx(half_cell.truth[f"{role}_mAh_g"][cycle - 1], rel=2e-3)
    every = figures.voltage_profiles_figure(profiles)  # 7 cycles: a colour bar of the cycle number
    assert len(_by_gid(every.axes[0], "profile-")) == 14 and every.axes[1].get_ylabel() == "Cycle"
    plain = figures.voltage_profiles_figure(profiles, cycles=1, specific=False).axes[0]
    assert plain.get_xlabel() == "Capacity / mAh"
    assert _by_gid(plain, "profile-1-insertion")[0].get_xdata()[-1] == pytest.approx(
        half_cell.truth["insertion_mAh"][0], rel=2e-3)
    massless = dataclasses.replace(profiles, active_mass_mg=None, curves=tuple(
        {k: v for k, v in c.items() if k != "capacity_mAh_g"} for c in profiles.curves))
    assert figures.voltage_profiles_figure(massless, cycles=1).axes[0].get_xlabel() == "Capacity / mAh"
    with pytest.raises(MetadataError, match="mass"):
        figures.voltage_profiles_figure(massless, specific=True)
    with pytest.raises(ValidationError, match="cycles"):
        figures.voltage_profiles_figure(profiles, cycles=[9])


def test_capacity_and_ce_follow_the_truth_on_twin_axes(half_cell):
    summary = cycle_summary(half_cell.data)
    ax, ce_ax = figures.capacity_figure(summary).axes
    assert ax.get_xlabel() == "Cycle" and ax.get_ylabel() == "Specific capacity / mAh g⁻¹"
    assert ce_ax.get_ylabel() == "Coulombic efficiency / %"
    for role in ("insertion", "extraction"):
        (line,) = _by_gid(ax, f"capacity-{role}")
        np.testing.assert_array_equal(line.get_xdata(), np.arange(1, 8))
        np.testing.assert_allclose(line.get_ydata(), half_cell.truth[f"{role}_mAh_g"], rtol=2e-3)
    np.testing.assert_allclose(_by_gid(ce_ax, "ce")[0].get_ydata(), 100 * np.array(half_cell.truth["ce_per_cycle"]),
                               atol=0.2)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["Insertion", "Extraction", "CE"]
    # an incomplete cycle is drawn apart, as a grey cross, and left out of the capacity and CE markers
    flags = np.zeros(7, dtype=bool)
    flags[-1] = True
    cut = dataclasses.replace(summary, columns=MappingProxyType({**summary.columns, "incomplete": flags}))
    ax, ce_ax = figures.capacity_figure(cut, specific=False).axes
    assert ax.get_ylabel() == "Capacity / mAh"
    assert list(_by_gid(ax, "capacity-incomplete")[0].get_xdata()) == [7]
    assert list(_by_gid(ax, "capacity-extraction")[0].get_xdata()) == list(range(1, 7))
    assert list(_by_gid(ce_ax, "ce")[0].get_xdata()) == list(range(1, 7))


def test_rate_capability_draws_each_block_with_its_current(rate):
    experiment, table = rate
    ax = figures.rate_capability_figure(table).axes[0]
    assert ax.get_xlabel() == "Cycle" and ax.get_ylabel() == "Specific capacity / mAh g⁻¹"
    assert "current density / A g⁻¹" in ax.get_title(loc="left")
    (container,) = ax.containers
    truth = experiment.truth
    blocks = truth["blocks"]
    expected = [np.mean(truth["extraction_mAh_g"][b["first_cycle"] - 1:b["last_cycle"]]) for b in blocks]
    np.testing.assert_allclose(container.lines[0].get_ydata(), expected, rtol=2e-3)
    np.testing.assert_allclose(container.lines[0].get_xdata(), [(b["first_cycle"] + b["last_cycle"]) / 2 for b in blocks])
    texts = [t.get_text() for t in ax.texts if (t.get_gid() or "").startswith("rate-current-")]
    assert texts == [f"{b['current_density_A_g']:.3g}" for b in blocks] == ["0.1", "0.2", "0.5", "1", "2", "5", "0.1"]
    (vertical,) = [bars for bars in container.lines[2] if np.ptp(bars.get_segments()[0][:, 0]) == 0]
    half_heights = [np.ptp(segment[:, 1]) / 2 for segment in vertical.get_segments()]
    np.testing.assert_allclose(half_heights, [b["std_extraction_mAh_g"] for b in table.blocks], rtol=1e-9)


def test_dqdv_marks_the_results_peaks(half_cell):
    result = dqdv(half_cell.data)
    ax = figures.dqdv_figure(result, cycles=[1, 2]).axes[0]
    assert ax.get_xlabel() == "Voltage / V" and ax.get_ylabel() == "dQ/dV / mAh V⁻¹"
    assert len(_by_gid(ax, "dqdv-")) == 4
    marked = sorted((round(float(x), 9), round(float(y), 9)) for line in _by_gid(ax, "peaks-")
                    for x, y in zip(line.get_xdata(), line.get_ydata(), strict=True))
    expected = sorted((round(p["voltage_V"], 9), round(p["dqdv_mAh_V"], 9)) for p in result.peaks if p["cycle"] <= 2)
    assert marked == expected and len(marked) >= 4
    # lithiation peaks below zero (discharge), delithiation peaks above
    for line in _by_gid(ax, "peaks-"):
        assert np.all(np.sign(line.get_ydata()) == (-1 if line.get_gid().endswith("insertion") else 1))


# -- impedance ---------------------------------------------------------------------------------------


def test_impedance_figure_draws_data_fit_bode_and_kk_residuals(spectrum_fit):
    circuit, experiment, fits, kk = spectrum_fit
    figure = figures.impedance_figure(fits, kk)
    nyquist = next(ax for ax in figure.axes if ax.get_ylabel() == "−Z″ / Ω")
    assert nyquist.get_xlabel() == "Z′ / Ω" and nyquist.get_aspect() == 1.0
    Z = experiment.data[0].Z_ohm
    (data,) = _by_gid(nyquist, "nyquist-data")
    np.testing.assert_array_equal(data.get_xdata(), Z.real)
    np.testing.assert_array_equal(data.get_ydata(), -Z.imag)
    (fit,) = _by_gid(nyquist, "nyquist-fit")
    frequency = np.geomspace(experiment.data[0].frequency_Hz.max(), experiment.data[0].frequency_Hz.min(), 300)
    truth = circuit.impedance(frequency)  # the fitted curve lies on the circuit that made the data
    drawn = fit.get_xdata() - 1j * fit.get_ydata()
    assert np.max(np.abs(drawn - truth) / np.abs(truth)) < 0.01
    modulus = next(ax for ax in figure.axes if ax.get_ylabel() == "|Z| / Ω")
    phase = next(ax for ax in figure.axes if ax.get_ylabel() == "−Phase / °")
    assert modulus.get_xscale() == modulus.get_yscale() == "log" and phase.get_xlabel() == "Frequency / Hz"
    np.testing.assert_allclose(_by_gid(phase, "bode-phase-data")[0].get_ydata(), -np.degrees(np.angle(Z)))
    residuals = next(ax for ax in figure.axes if ax.get_ylabel() == "Residual / %")
    np.testing.assert_array_equal(_by_gid(residuals, "residuals-kk-real")[0].get_ydata(), kk.results[0].residuals_real_pct)
    np.testing.assert_array_equal(_by_gid(residuals, "residuals-fit-imag")[0].get_ydata(), fits.fits[0].residuals_imag_pct)
    assert len(_by_gid(residuals, "residuals-")) == 4
    with pytest.raises(ValidationError, match="spectra"):
        figures.impedance_figure(fits, kk, spectrum=1)


def test_nyquist_of_a_temperature_series_ends_at_the_true_resistances(temperatures):
    experiment, result = temperatures
    ax = figures.nyquist_figure(result).axes[0]
    assert len(_by_gid(ax, "nyquist-data-")) == len(_by_gid(ax, "nyquist-fit-")) == 6
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [f"{t:g} °C" for t in experiment.truth["temperatures_C"]]
    for index, (R_b, R_i) in enumerate(zip(experiment.truth["R_bulk_ohm"], experiment.truth["R_interface_ohm"], strict=True)):
        (curve,) = _by_gid(ax, f"nyquist-fit-{index}")
        assert curve.get_xdata()[-1] == pytest.approx(R_b + R_i, rel=0.01)  # the arc closes at 0.1 Hz
    assert ax.get_aspect() == 1.0
    # seven spectra: a colour bar of the temperature instead of a legend
    many = eis.conductivity_arrhenius(blocking_cell_spectrum(temperatures_C=range(20, 90, 10)).data)
    figure = figures.nyquist_figure(many)
    assert figure.axes[0].get_legend() is None and figure.axes[1].get_ylabel() == "Temperature / °C"


def test_kk_figure_shows_the_worst_spectrum_by_default(temperatures):
    experiment, _ = temperatures
    kk = eis.kk(experiment.data)
    worst = int(np.argmax([r.max_residual_pct for r in kk.results]))
    ax = figures.kk_figure(kk).axes[0]
    assert ax.get_title(loc="left").startswith(f"spectrum {worst} of 6: lin-KK")
    np.testing.assert_array_equal(_by_gid(ax, "kk-imag")[0].get_ydata(), kk.results[worst].residuals_imag_pct)
    assert ax.get_xlabel() == "Frequency / Hz" and ax.get_ylabel() == "Residual / %"
    threshold = kk.results[worst].threshold_pct
    assert sorted(line.get_ydata()[0] for line in _by_gid(ax, "kk-threshold")) == [-threshold, threshold]


# -- DRT ---------------------------------------------------------------------------------------------


def test_drt_curve_marks_its_peaks_and_shades_the_windows(insitu):
    experiment, one, series = insitu
    ax = figures.drt_curves_figure(one).axes[0]
    assert ax.get_xlabel() == "τ / s" and ax.get_ylabel() == "γ / Ω" and ax.get_xscale() == "log"
    (curve,) = _by_gid(ax, "drt-0")
    np.testing.assert_array_equal(curve.get_ydata(), one.gamma_ohm)
    (band,) = [c for c in ax.collections if c.get_gid() == "drt-band-0"]
    edge = np.concatenate([path.vertices for path in band.get_paths()])
    assert (edge[:, 1].min(), edge[:, 1].max()) == pytest.approx((one.gamma_lower_ohm.min(), one.gamma_upper_ohm.max()))
    (peaks,) = _by_gid(ax, "drt-peaks-0")
    np.testing.assert_array_equal(peaks.get_xdata(), [p.tau_max_s for p in one.peaks])
    np.testing.assert_array_equal(peaks.get_ydata(), [p.gamma_ohm for p in one.peaks])
    # each named process peak lies near the time constant that made it
    for peak in one.peaks:
        if peak.process:
            true_tau = experiment.truth[f"tau_{peak.process.removeprefix('R_')}_s"][0]
            assert abs(np.log10(peak.tau_max_s / true_tau)) < 0.5
    shaded = sorted(tuple(np.round(patch.get_x() + np.array([0, patch.get_width()]), 12)) for patch in ax.patches)
    assert shaded == sorted(tuple(np.round(bounds, 12)) for bounds in experiment.truth["tau_windows_s"].values())
    assert "95% credible band" in [t.get_text() for t in ax.get_legend().get_texts()]
    every = figures.drt_curves_figure(series)
    assert len(_by_gid(every.axes[0], "drt-peaks-")) == 6 and every.axes[1].get_ylabel() == "Time / h"
    labelled = figures.drt_curves_figure(series, labels=[f"{t:.0f} s" for t in series.coordinate]).axes[0]
    assert len(labelled.get_legend().get_texts()) == 6
    with pytest.raises(ValidationError, match="labels"):
        figures.drt_curves_figure(series, labels=["a"])


def test_drt_map_is_an_interpolated_contour_over_time_and_tau(insitu):
    experiment, _, series = insitu
    figure = figures.drt_map_figure(series)
    ax = next(a for a in figure.axes if a.get_ylabel() == "τ / s")
    (contours,) = [c for c in ax.collections if c.get_gid() == "drt-map"]
    assert not ax.images and ax.get_yscale() == "log"
    # the filled contour covers the data's range exactly (PCHIP does not overshoot) and its extent
    assert contours.zmin == pytest.approx(series.gamma_map_ohm.min(), abs=1e-12)
    assert contours.zmax == pytest.approx(series.gamma_map_ohm.max(), rel=1e-12)
    vertices = np.concatenate([path.vertices for path in contours.get_paths() if len(path.vertices)])
    hours = np.asarray(experiment.truth["time_s"]) / 3600.0
    assert vertices[:, 0].min() == pytest.approx(hours.min()) and vertices[:, 0].max() == pytest.approx(hours.max())
    assert vertices[:, 1].min() == pytest.approx(series.tau_s.min()) and vertices[:, 1].max() == pytest.approx(series.tau_s.max())
    assert np.unique(np.round(vertices[:, 0], 9)).size > 10 * len(series)  # interpolated, not a column per spectrum
    np.testing.assert_allclose(_by_gid(ax, "drt-map-spectra")[0].get_xdata(), hours)
    traces = next(a for a in figure.axes if a.get_ylabel() == "R / Ω")
    assert traces.get_xlabel() == "Time / h"
    for name in ("R_SSE", "R_SEI", "R_ct"):
        (trace,) = [c for c in traces.containers if c.lines[0].get_gid() == f"drt-trace-{name}"]
        np.testing.assert_array_equal(trace.lines[0].get_ydata(), series.process_R_ohm[name])
    assert next(a for a in figure.axes if a.get_xlabel() == "γ / Ω")  # the colour bar, on top
    bare = figures.drt_map_figure(drt_series(experiment.data))  # no windows: no traces
    assert [a.get_xlabel() for a in bare.axes if a.get_ylabel() == "τ / s"] == ["Time / h"]
    by_voltage = figures.drt_map_figure(drt_series(experiment.data, coordinate="voltage_V"))
    assert _axes_labelled(by_voltage, "Spectrum (in order; voltage not monotonic)")
    with pytest.raises(NotApplicableError, match="two or more"):
        figures.drt_map_figure(drt_series(experiment.data[:1]))


# -- Arrhenius ---------------------------------------------------------------------------------------


def test_arrhenius_points_and_line_give_the_true_activation_energy(temperatures):
    experiment, result = temperatures
    ax = next(a for a in figures.arrhenius_figure(result).axes if a.get_xlabel() == "1000 T⁻¹ / K⁻¹")
    assert ax.get_ylabel() == "ln((T/R) / K Ω⁻¹)"
    T = np.asarray(experiment.truth["temperatures_C"]) + 273.15
    (points,) = _by_gid(ax, "arrhenius-points")
    np.testing.assert_allclose(points.get_xdata(), 1000.0 / T)
    np.testing.assert_allclose(points.get_ydata(), np.log(T / np.asarray(experiment.truth["R_interface_ohm"])), atol=0.01)
    (line,) = _by_gid(ax, "arrhenius-fit")
    slope = np.polyfit(line.get_xdata(), line.get_ydata(), 1)[0]  # per 1000/T
    assert -slope * GAS_CONSTANT_J_MOL_K == pytest.approx(experiment.truth["Ea_kJ_mol"], abs=0.1)
    Ea = result.arrhenius.Ea_kJ_mol
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend[1].startswith(f"Ea = {style.with_error(Ea.value, Ea.stderr, 'kJ mol⁻¹')}")
    assert "±" in legend[1]
    conductivity = eis.conductivity_arrhenius(blocking_cell_spectrum(temperatures_C=(20, 40, 60)).data, form="sigmaT")
    assert figures.arrhenius_figure(conductivity).axes[0].get_ylabel() == "ln(σT / S K cm⁻¹)"
    with pytest.raises(NotApplicableError, match="one temperature"):
        figures.arrhenius_figure(eis.conductivity_arrhenius(blocking_cell_spectrum().data))


# -- files and style ---------------------------------------------------------------------------------


def test_every_plot_writes_png_at_300_dpi_and_svg(tmp_path, half_cell, rate, spectrum_fit, temperatures, insitu):
    _, table = rate
    _, _, fits, kk = spectrum_fit
    _, arrhenius = temperatures
    _, one, series = insitu
    calls = {
        "profiles": (figures.plot_voltage_profiles, voltage_profiles(half_cell.data), "single"),
        "capacity": (figures.plot_capacity, cycle_summary(half_cell.data), "single"),
        "rate": (figures.plot_rate_capability, table, "single"),
        "dqdv": (figures.plot_dqdv, dqdv(half_cell.data, cycles=[1]), "single"),
        "impedance": (figures.plot_impedance, fits, "double"),
        "nyquist": (figures.plot_nyquist, arrhenius, "single"),
        "kk": (figures.plot_kk, kk, "single"),
        "drt": (figures.plot_drt_curves, one, "single"),
        "cell.mpr.drt-map.png": (figures.plot_drt_map, series, "single"),
        "arrhenius": (figures.plot_arrhenius, arrhenius, "single"),
    }
    for name, (plot, result, width) in calls.items():
        stem = name.removesuffix(".png")
        written = plot(result, tmp_path / name)
        assert written == [tmp_path / f"{stem}.png", tmp_path / f"{stem}.svg"]
        png = written[0].read_bytes()
        assert png[:8] == PNG_MAGIC
        pixels_wide = struct.unpack(">I", png[16:20])[0]
        assert pixels_wide == round({"single": 3.35, "double": 7.0}[width] * 300)
        root = ET.parse(written[1]).getroot()
        assert root.tag == "{http://www.w3.org/2000/svg}svg"
    svg = (tmp_path / "cell.mpr.drt-map.svg").read_text()
    assert 'id="drt-map-spectra"' in svg and "<image" in svg  # the map rasterised inside the vector file
    assert "<dc:date>" not in svg  # no date: a redrawn figure is the same file
    with pytest.raises(ValidationError, match="draws a VoltageProfiles"):
        figures.plot_voltage_profiles(table, tmp_path / "wrong")
    with pytest.raises(ValidationError, match="formats"):
        style.save(figures.kk_figure(kk), tmp_path / "kk", formats=("jpg",))


def test_decimation_keeps_the_extremes():
    rng = np.random.default_rng(0)
    y = np.cumsum(rng.normal(size=100_000))
    y[54_321] = 1e3  # a spike one point wide
    x = np.arange(y.size, dtype=float)
    kept_x, kept_y = style.decimate(x, y, 2000)
    assert kept_x.size <= 2000 and np.all(np.diff(kept_x) > 0)
    assert kept_y.max() == 1e3 and kept_y.min() == y.min()
    assert (kept_x[0], kept_x[-1]) == (0.0, x[-1])
    short = np.arange(10.0)
    assert style.decimate(short, short)[0].size == 10


def test_pick_cycles_and_value_formatting():
    assert style.pick_cycles(range(1, 501), None) == [1, 2, 5, 10, 20, 50, 100, 200, 500]
    assert style.pick_cycles(range(1, 31), None) == [1, 2, 5, 10, 20, 30]
    assert style.pick_cycles(range(1, 8), None) == list(range(1, 8))
    assert style.with_error(8.00702, 0.0167, "kJ mol⁻¹") == "8.007 ± 0.017 kJ mol⁻¹"
    assert style.with_error(152.3, 12.0) == "152 ± 12"
    assert style.with_error(3.14159, None, "V") == "3.142 V"


def test_importing_the_figures_does_not_import_matplotlib():
    code = "import sys, anodelab.report.figures; print('matplotlib' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == "False"
