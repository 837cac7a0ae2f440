"""The interactive Tafel plot drawn from a stored points table and content (no area, a branch without a
fit, the Butler-Volmer line, the IR correction), checked against what the inputs say it must draw."""

from __future__ import annotations

import numpy as np

from anodelab.report.html import kinetics

ETA_mV = np.array([150.0, -150.0, 100.0, -100.0, 0.0, 50.0, -50.0, 200.0, -200.0])
WINDOW = np.array([1, -1, 1, -1, 0, 0, 0, 1, -1], dtype=np.float64)
ANODIC = {"eta_low_mV": 100.0, "eta_high_mV": 200.0, "tafel_slope_mV_dec": 100.0, "i0": 0.01, "alpha": 0.59}


def _points(**extra):
    current_mA = np.sign(ETA_mV) * 0.01 * 10.0 ** (np.abs(ETA_mV) / 100.0)
    return {"I_mA": current_mA, "eta_iR_mV": ETA_mV, "tafel_window": WINDOW, **extra}


def test_without_an_area_the_plot_is_in_mA_and_a_branch_without_a_fit_has_points_only():
    figure = kinetics.tafel_plot(_points(), {"branches": {"anodic": ANODIC}, "i0_method": "butler-volmer"})
    by_name = {trace["name"].split(":")[0]: trace for trace in figure.data}
    assert list(by_name) == ["points", "anodic window", "anodic", "cathodic window"]
    assert by_name["points"]["y"].tolist() == [0.0, 50.0, -50.0]
    assert by_name["cathodic window"]["y"].tolist() == [-150.0, -100.0, -200.0]
    np.testing.assert_allclose(by_name["cathodic window"]["x"], [0.01 * 10**1.5, 0.1, 1.0], rtol=1e-12)
    # the Tafel line from i0 at eta = 0 to the far end of the window: i0 10^(200 mV / 100 mV/dec)
    np.testing.assert_allclose(by_name["anodic"]["x"], [0.01, 1.0], rtol=1e-12)
    assert by_name["anodic"]["y"].tolist() == [0.0, 200.0]
    rects = [shape for shape in figure.layout["shapes"] if shape["type"] == "rect"]
    assert [(rect["y0"], rect["y1"]) for rect in rects] == [(100.0, 200.0)]  # the anodic window only
    assert figure.layout["xaxis"]["title"]["text"] == "|I| (mA)"
    assert figure.layout["yaxis"]["title"]["text"] == "η (mV)"
    assert not any(trace["name"].startswith("i0 (Tafel)") for trace in figure.data)  # i0 is not the Tafel one


def test_the_butler_volmer_line_runs_in_order_of_eta_and_leaves_off_what_is_below_the_floor():
    fit = np.sign(ETA_mV) * 0.01 * 10.0 ** (np.abs(ETA_mV) / 100.0)
    fit[4] = 1e-9  # at equilibrium: far below 1e-4 of the largest |i|
    content = {"curve": {"area_cm2": 2.0}, "butler_volmer": {"i0_mA_cm2": 0.005}, "R_u_ohm": 3.0,
               "R_u_source": "given"}
    figure = kinetics.tafel_plot(_points(i_bv_fit=fit), content)
    (line,) = [trace for trace in figure.data if trace["name"].startswith("Butler-Volmer fit")]
    order = np.argsort(ETA_mV)
    assert line["y"].tolist() == ETA_mV[order].tolist()
    expected = np.abs(fit[order])
    expected[ETA_mV[order] == 0.0] = np.nan
    np.testing.assert_array_equal(line["x"], expected)
    assert line["name"].endswith("mA/cm²")
    (points,) = [trace for trace in figure.data if trace["name"] == "points"]
    np.testing.assert_allclose(points["x"], [np.nan, 0.01 * 10**0.5 / 2.0, 0.01 * 10**0.5 / 2.0], rtol=1e-12)
    assert figure.layout["xaxis"]["title"]["text"] == "|i| (mA/cm²)"
    assert figure.layout["yaxis"]["title"]["text"] == "η − I·R_u (mV)"
    assert "R_u = 3 Ω (given)" in figure.caption
