"""DRT timings (CPU time, one thread) and a same-settings comparison with pyDRTtools.

Run: ``python benchmarks/bench_drt.py`` (``--json`` also prints the comparison rows). The anchors run, if
``benchmarks/.venv-anchors/bin/python`` (made by ``bash benchmarks/make_venvs.sh``; $DRT_ANCHOR_PYTHON
overrides it) has them, in a subprocess with the same thread
limits (OMP/OPENBLAS/MKL = 1); otherwise only our numbers are printed. pyDRTtools 0.2's package
``__init__`` imports its Qt GUI and click CLI and its ``parameter_selection`` imports scikit-learn (absent
from that venv; only its k-fold CV uses it), so the subprocess loads ``pyDRTtools.runs`` without the
package ``__init__`` and stubs ``sklearn.model_selection.KFold`` (it raises if used). Spectra go in as JSON
on stdin; CPU time (``time.process_time``, median of 3) is measured inside the subprocess around
``runs.simple_run`` (which includes building its A and M matrices, as every pyDRTtools call does).

Settings, both tools: Gaussian RBF, FWHM coefficient = our ``shape_factor`` = 0.5, 2nd-derivative
penalty, combined Re-Im rows, R_inf and L fitted (``induct_used=1``), all unknowns >= 0; our
``rbf_per_decade`` set to the data's points per decade, so the RBF width (epsilon) is identical
(pyDRTtools puts one RBF per frequency). Lambda means the same in both (the objective
``|A x - b|^2 + lambda x'Mx`` is homogeneous in Z, so our normalisation by max|Z| does not change it):
checked below by solving our problem on pyDRTtools' own centres. Automatic lambda: ours by ``mgcv`` (default)
and ``gcv`` on a log grid; pyDRTtools ``cv_type="GCV"``/``"mGCV"``: SLSQP from ``reg_param`` (1e-3) within
[1e-7, 1]. Peaks: ours from ``DRTResult.peaks``; pyDRTtools' curve (no per-peak R of its own in
``simple_run``) through :func:`curve_peaks` (our 2 % prominence rule, R integrated over valley-bounded
basins). Gamma difference at the fixed lambda (1e-3): ``max |gamma_ours - gamma_pyDRTtools| / max
gamma_pyDRTtools`` on pyDRTtools' tau grid where both curves exist (ours interpolated in ln tau).

Measured 2026-11-22 on the shared 2-core dev box (timings vary by up to 2x between runs there; one run
shown; "cold" rebuilds the kernels, "cached" reuses them for the grid). The comparison rows use
``capacitance=False`` (pyDRTtools has no series C) and our peak deconvolution on (it costs us time):

=============================  ==============  ==============  =============
quantity                       virtual 2-ZARC  LIB (pyDRTt.)   impedance.py
=============================  ==============  ==============  =============
frequencies / RBF per decade   71 / 10         107 / 20        66 / 10
CPU auto, ours mgcv cold       9.9 ms          24 ms           10.8 ms
CPU auto, ours mgcv cached     3.8 ms          11.9 ms         3.5 ms
CPU auto, pyDRTtools GCV       356 ms          973 ms          265 ms
ratio (cold / cached kernels)  36x / 94x       40x / 81x       25x / 75x
lambda ours mgcv / gcv         7.0e-3 / 3.5e-3 1e-7 (edge)     1e-7 (edge)
lambda pyDRTtools GCV / mGCV   3.1e-3 / 6.7e-3 1e-3 / 1e-3 *   1e-3 / 1e-3 *
ours with defaults (series C)  lambda 6.7e-3   lambda 2.3e-5   lambda 3.6e-5
fixed 1e-3: R_pol ours / pyD.  89.55 / 89.15   0.0582 / 0.0594 0.0684 / 0.0813
fixed 1e-3: max gamma diff     4.3 %           49 % (37 % **)  45 % (59 % **)
same, on pyDRTtools' centres   0.20 %          22 % ***        0.16 %
=============================  ==============  ==============  =============

Series of 200 2-ZARC spectra (one grid, batched, defaults): 0.72 s (3.6 ms per spectrum), against 71 s
estimated for pyDRTtools (200 x its per-spectrum time) and 80 s for pyimpspec's TR-RBF: 98x and 110x.
Single spectrum, kernels cached: 4.3 ms (pyimpspec 94x slower). Gaussian band: +2 ms; truncated-posterior
band (1000 exact-HMC samples): 2.8 s. The first call of a process (imports included) takes ~1 s.
Peaks (tau s: R ohm), virtual 2-ZARC (truth 1e-5: 30, 1e-2: 60), auto: ours [9.9e-6: 29.7, 9.88e-3:
60.6]; pyDRTtools GCV [1.0e-5: 28.96, 3.2e-4: 2.79, 9.3e-3: 57.37] (a 2.8-ohm valley bump between the
arcs passes the 2 % prominence rule on its curve; ours reports no peak there). Without the series C our
mGCV asks for lambda at the lower bound on both real files (their diffusion tails do not close and the
RBFs ring); with it (the default), LIB gives peaks [4.2e-4 s: 9.9 mohm, 0.15 s: 16.9 mohm, 29 s: 24.1
mohm (the tail)], impedance.py's example [5.6e-4, 2.7e-2 s and the 42 s tail] (two arcs and a diffusion
tail, as the ECM R0-p(R1,C1)-p(R2-Wo1,C2) of the impedance tests).

Findings. (*) pyDRTtools' GCV/mGCV return their starting value 1e-3 on both real files: its scores are in
ohm^2 (~1e-8 for these 0.1-ohm spectra), below SLSQP's default ftol, so SLSQP stops after one iteration
(with Z in milliohm it moves, to its lower bound 1e-7); its own GCV score evaluated on a grid over [1e-7, 1]
is smallest at 1e-7, consistent with our choices at the same lower edge without a series C: unweighted GCV on these
real spectra asks for almost no regularisation. (**) inside the measured range 1/(2 pi f_max)..1/(2 pi f_min).
The fixed-lambda differences on real data come from the discretisation: pyDRTtools centres its RBFs at
tau = 1/f with no extension, ours at 1/(2 pi f) extended by 0.5 decade; with the diffusion tails of both
files, gamma near and beyond 1/(2 pi f_min) is poorly determined and redistributes. Solving our problem
on pyDRTtools' centres reproduces its gamma to 0.2 % (virtual, impedance.py). (***) On the LIB file a
22 % difference remains: its log-frequency spacing varies by +-2.4 % (std/mean 0.98 %, just under
pyDRTtools' 1 % threshold), so pyDRTtools assembles A and M by its Toeplitz shortcut, which assumes even
spacing: its M differs from the exact integrals by up to 5 % of max(M), its A by 0.2 % (and scipy.quad
warns on 14 of its kernel integrals).
"""

from __future__ import annotations

import os

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_name] = "1"

import functools
import itertools
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from anodelab.core.spectrum import SpectrumSeries
from anodelab.drt import drt, drt_series
from anodelab.models.circuits import ZARC, R, Series
from anodelab.sim.virtual import eis_spectrum

TWO_ZARC = Series(R(10.0), ZARC(30.0, 1e-5, 0.85), ZARC(60.0, 1e-2, 0.8))
BENCHMARKS = Path(__file__).resolve().parent
#: the anchors' interpreter: $DRT_ANCHOR_PYTHON, else the venv ``bash benchmarks/make_venvs.sh`` makes
ANCHOR = os.environ.get("DRT_ANCHOR_PYTHON") or str(BENCHMARKS / ".venv-anchors" / "bin" / "python")
#: real spectra compared when present: ../shared beside the checkout
EXTERNAL_EIS = BENCHMARKS.parents[1] / "shared" / "data" / "external" / "eis"


def cpu(function, repeat=1):
    start = time.process_time()
    for _ in range(repeat):
        function()
    return (time.process_time() - start) / repeat


def ours() -> dict[str, float]:
    spectrum = eis_spectrum(TWO_ZARC, noise_pct=1.0, points_per_decade=10, seed=0).data[0]
    first = cpu(lambda: drt(spectrum))  # builds and caches the kernels
    warm = cpu(lambda: drt(spectrum), repeat=20)
    bands = cpu(lambda: drt(spectrum, credible=0.95), repeat=20)
    sampled = cpu(lambda: drt(spectrum, credible=0.95, band="sampled"))  # 1000 truncated-posterior samples
    spectra = [
        eis_spectrum(Series(R(10.0), ZARC(30.0, 1e-5, 0.85), ZARC(r, 1e-2, 0.8)), noise_pct=1.0, seed=i).data[0]
        for i, r in enumerate(np.linspace(80.0, 20.0, 200))
    ]
    series = SpectrumSeries.of(spectra)
    batch = cpu(lambda: drt_series(series))
    return {"single_first_s": first, "single_cached_s": warm, "single_with_band_s": bands,
            "single_sampled_band_s": sampled, "series200_s": batch}


ANCHOR_SCRIPT = r"""
import os, sys, json, time, warnings
warnings.filterwarnings("ignore")
import numpy as np
data = np.loadtxt(sys.argv[1], delimiter=",")
f, Z = data[:, 0], data[:, 1] + 1j * data[:, 2]
out = {}
try:
    import pyimpspec
    ds = pyimpspec.DataSet(frequencies=f, impedances=Z)
    t = time.process_time()
    pyimpspec.calculate_drt(ds, method="tr-rbf", lambda_value=-1, num_procs=1)
    out["pyimpspec_tr_rbf_auto_s"] = time.process_time() - t
except Exception as error:  # the anchor's own failures are reported, not hidden
    out["pyimpspec_error"] = repr(error)[:200]
print(json.dumps(out))
"""


def anchors(spectrum) -> dict[str, object] | None:
    if not Path(ANCHOR).exists():
        return None
    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder) / "spectrum.csv"
        np.savetxt(data, np.column_stack([spectrum.frequency_Hz, spectrum.Z_ohm.real, spectrum.Z_ohm.imag]), delimiter=",")
        script = Path(folder) / "anchor.py"
        script.write_text(ANCHOR_SCRIPT)
        done = subprocess.run([ANCHOR, str(script), str(data)], capture_output=True, text=True, timeout=600, check=False,
                              env={**os.environ, "MPLBACKEND": "Agg"})
        if done.returncode != 0:
            return {"error": done.stderr.strip().splitlines()[-1:] }
        return json.loads(done.stdout.strip().splitlines()[-1])


PYDRTTOOLS_SCRIPT = r"""
import contextlib, importlib.util, io, json, sys, time, types, warnings
warnings.filterwarnings("ignore")
# pyDRTtools/__init__.py imports its Qt GUI and click CLI; load the package without it (runs.py only).
spec = importlib.util.find_spec("pyDRTtools")
package = types.ModuleType("pyDRTtools")
package.__path__ = list(spec.submodule_search_locations)
sys.modules["pyDRTtools"] = package
try:
    import sklearn.model_selection  # only its k-fold CV uses it; not used here
except ImportError:
    stub, selection = types.ModuleType("sklearn"), types.ModuleType("sklearn.model_selection")
    class KFold:
        def __init__(self, *args, **kwargs):
            raise RuntimeError("k-fold CV needs scikit-learn")
    selection.KFold, stub.model_selection = KFold, selection
    sys.modules.update({"sklearn": stub, "sklearn.model_selection": selection})
import numpy as np
with contextlib.redirect_stdout(io.StringIO()):
    from pyDRTtools import runs, parameter_selection
from cvxopt import solvers
solvers.options["show_progress"] = False
job = json.load(sys.stdin)
out = []
for item in job["spectra"]:
    f, re, im = (np.asarray(item[k], dtype=float) for k in ("f", "re", "im"))
    rows = {}
    for cv in ("GCV", "mGCV", "custom"):
        times = []
        for _ in range(job["repeat"]):
            entry = runs.EIS_object(f, re, im)
            start = time.process_time()
            with contextlib.redirect_stdout(io.StringIO()):
                runs.simple_run(entry, rbf_type="Gaussian", data_used="Combined Re-Im Data", induct_used=1,
                                der_used="2nd order", cv_type=cv, reg_param=job["lambda"],
                                shape_control="FWHM Coefficient", coeff=job["coeff"])
            times.append(time.process_time() - start)
        rows[cv] = {"cpu_s": float(np.median(times)), "lambda": float(np.ravel(entry.lambda_value)[0]),
                    "tau_s": entry.out_tau_vec.tolist(), "gamma_ohm": entry.gamma.tolist(),
                    "R_inf_ohm": float(entry.R), "L_H": float(entry.L),
                    "R_pol_ohm": float(np.sum(entry.x) * np.sqrt(np.pi) / entry.epsilon)}
    grid = np.logspace(-7, 0, 57)  # pyDRTtools' own GCV score on a grid over its search bounds (untimed)
    scores = [parameter_selection.compute_GCV(np.log(g), entry.A_re, entry.A_im, entry.b_re, entry.b_im,
                                              entry.M, "Combined Re-Im Data", 1) for g in grid]
    rows["GCV_grid_argmin"] = float(grid[int(np.argmin(scores))])
    out.append(rows)
print(json.dumps(out))
"""


def curve_peaks(tau, gamma, measured):
    """Peaks of a gamma curve by our detection rule (prominence >= 2 % of the largest gamma in the
    measured range), each with R = integral of gamma over its basin (between the minima separating it
    from its neighbours; outermost basins run to the ends of the curve), trapezoid in ln tau."""
    from scipy.signal import find_peaks

    y = np.log(tau)
    top = gamma[(tau >= measured[0]) & (tau <= measured[1])].max()
    index, _ = find_peaks(np.concatenate([[0.0], gamma, [0.0]]), prominence=0.02 * top)
    index = index - 1
    edges = [0] + [a + int(np.argmin(gamma[a:b + 1])) for a, b in itertools.pairwise(index)] + [gamma.size - 1]
    return [(float(tau[i]), float(np.trapezoid(gamma[lo:hi + 1], y[lo:hi + 1])))
            for i, lo, hi in zip(index, edges[:-1], edges[1:])]


def comparison_spectra():
    import anodelab

    spectra = [("virtual 2-ZARC, 1 % noise", eis_spectrum(TWO_ZARC, noise_pct=1.0, points_per_decade=10, seed=0).data[0])]
    for name in ("pydrttools_LIB_data.txt", "impedancepy_exampleData.csv"):
        if (EXTERNAL_EIS / name).exists():
            spectra.append((name, anodelab.read(EXTERNAL_EIS / name)[0]))
    return spectra


def compare_pydrttools(lambda_fixed=1e-3, coeff=0.5, repeat=3) -> list[dict[str, object]] | None:
    """Run both tools on the same spectra; None when the pyDRTtools interpreter is missing."""
    if not Path(ANCHOR).exists():
        return None
    from anodelab.drt import fit as drt_fit
    from anodelab.drt import kernels, solve

    spectra = comparison_spectra()
    job = {"lambda": lambda_fixed, "coeff": coeff, "repeat": repeat, "spectra": [
        {"f": s.frequency_Hz.tolist(), "re": s.Z_ohm.real.tolist(), "im": s.Z_ohm.imag.tolist()} for _, s in spectra]}
    done = subprocess.run([ANCHOR, "-c", PYDRTTOOLS_SCRIPT], input=json.dumps(job), capture_output=True, text=True,
                          timeout=1200, check=False, env={**os.environ, "MPLBACKEND": "Agg", "QT_QPA_PLATFORM": "offscreen"})
    if done.returncode != 0:
        print("pyDRTtools failed:", done.stderr.strip().splitlines()[-1:])
        return None
    theirs_all = json.loads(done.stdout.strip().splitlines()[-1])
    rows = []
    for (name, spectrum), theirs in zip(spectra, theirs_all, strict=True):
        f = spectrum.frequency_Hz
        # same RBF width: pyDRTtools puts one RBF per frequency, so use the data's points per decade
        per_decade = round((f.size - 1) / np.log10(f.max() / f.min()), 3)
        options = {"shape_factor": coeff, "fit": "combined", "derivative_order": 2, "rbf_per_decade": per_decade,
                   "capacitance": False}  # pyDRTtools has no series C; peak deconvolution stays on (it costs us time)

        def clear():
            kernels._basis.cache_clear(), solve._problem.cache_clear(), drt_fit._output_grid.cache_clear()

        times = {}
        for criterion in ("gcv", "mgcv"):
            cold = []
            for _ in range(repeat):
                clear()
                cold.append(cpu(functools.partial(drt, spectrum, criterion=criterion, **options)))
            times[criterion] = (float(np.median(cold)), cpu(functools.partial(drt, spectrum, criterion=criterion, **options), repeat=10))
        auto = {c: drt(spectrum, criterion=c, **options) for c in ("gcv", "mgcv")}
        default = drt(spectrum)  # our defaults: series C fitted, 10 RBF per decade
        fixed = drt(spectrum, lambda_=lambda_fixed, **options)
        # gamma difference at the fixed lambda, on pyDRTtools' tau grid inside both tau ranges
        t_tau, t_gamma = np.array(theirs["custom"]["tau_s"]), np.array(theirs["custom"]["gamma_ohm"])
        common = (t_tau >= fixed.tau_s.min()) & (t_tau <= fixed.tau_s.max())
        ours_on_theirs = np.interp(np.log(t_tau[common]), np.log(fixed.tau_s), fixed.gamma_ohm)
        difference = float(np.max(np.abs(ours_on_theirs - t_gamma[common])) / np.max(t_gamma[common]))
        # the same problem on pyDRTtools' own RBF centres (tau = 1/f, no extension): isolates the discretisation
        same = kernels.basis_for(f, np.log(1.0 / f), coeff, 2)
        problem, scale = solve.problem_for(same, "combined", ("R_inf", "L")), float(np.max(np.abs(spectrum.Z_ohm)))
        weights = solve.solve_nnls(problem, problem.rhs(spectrum.Z_ohm / scale), lambda_fixed)[problem.n_nuisance :]
        same_gamma = same.evaluate(np.log(t_tau)) @ weights * scale
        difference_same = float(np.max(np.abs(same_gamma - t_gamma)) / np.max(t_gamma))
        measured = (1.0 / (2 * np.pi * f.max()), 1.0 / (2 * np.pi * f.min()))
        inside = (t_tau[common] >= measured[0]) & (t_tau[common] <= measured[1])
        difference_measured = float(
            np.max(np.abs(ours_on_theirs - t_gamma[common])[inside]) / np.max(t_gamma[common][inside])
        )
        rows.append({
            "spectrum": name, "frequencies": int(f.size), "rbf_per_decade": per_decade,
            "ours_cpu_s": {c: {"cold": v[0], "cached": v[1]} for c, v in times.items()},
            "pydrttools_cpu_s": {c: theirs[c]["cpu_s"] for c in ("GCV", "mGCV", "custom")},
            "ours_lambda": {c: r.lambda_ for c, r in auto.items()},
            "ours_lambda_at_edge": {c: r.lambda_at_edge for c, r in auto.items()},
            "pydrttools_lambda": {c: theirs[c]["lambda"] for c in ("GCV", "mGCV")},
            "pydrttools_GCV_grid_argmin": theirs["GCV_grid_argmin"],
            "ours_peaks_mgcv": [(p.tau_s, p.R.value) for p in auto["mgcv"].peaks],
            "ours_R_pol_mgcv": auto["mgcv"].R_pol.value,
            "ours_default": {"lambda": default.lambda_, "peaks": [(p.tau_s, p.R.value) for p in default.peaks],
                             "R_pol": default.R_pol.value, "C_F": default.C.value if default.C else None},
            "pydrttools_peaks_GCV": curve_peaks(np.array(theirs["GCV"]["tau_s"]), np.array(theirs["GCV"]["gamma_ohm"]), measured),
            "pydrttools_R_pol_GCV": theirs["GCV"]["R_pol_ohm"],
            "fixed_lambda": lambda_fixed,
            "fixed_ours_R_pol": fixed.R_pol.value, "fixed_pydrttools_R_pol": theirs["custom"]["R_pol_ohm"],
            "fixed_ours_R_inf": fixed.R_inf.value, "fixed_pydrttools_R_inf": theirs["custom"]["R_inf_ohm"],
            "fixed_ours_peaks": [(p.tau_s, p.R.value) for p in fixed.peaks],
            "fixed_pydrttools_peaks": curve_peaks(t_tau, t_gamma, measured),
            "fixed_max_gamma_difference_of_max": difference,
            "fixed_max_gamma_difference_of_max_measured_range": difference_measured,
            "fixed_same_centres_max_gamma_difference_of_max": difference_same,
        })
    return rows


def _peaks(peaks) -> str:
    return ", ".join(f"{tau:.3g} s: {r:.4g}" for tau, r in peaks)


def report_comparison(rows) -> None:
    print("\nanodelab vs pyDRTtools 0.2 simple_run (Gaussian RBF, FWHM coeff = shape_factor = 0.5, 2nd-derivative "
          "penalty, combined Re-Im, L and R_inf fitted, x >= 0; CPU s per spectrum, 1 thread, median):")
    for row in rows:
        o, t = row["ours_cpu_s"], row["pydrttools_cpu_s"]
        print(f"- {row['spectrum']} ({row['frequencies']} frequencies, {row['rbf_per_decade']} RBF/decade)")
        print(f"    CPU auto: ours mgcv {o['mgcv']['cold']*1e3:.1f} ms cold / {o['mgcv']['cached']*1e3:.2f} ms cached, "
              f"gcv {o['gcv']['cold']*1e3:.1f} / {o['gcv']['cached']*1e3:.2f} ms; pyDRTtools GCV {t['GCV']*1e3:.0f} ms, "
              f"mGCV {t['mGCV']*1e3:.0f} ms, fixed {t['custom']*1e3:.0f} ms")
        print(f"    ratio pyDRTtools GCV / ours mgcv: {t['GCV'] / o['mgcv']['cold']:.0f}x (cold), "
              f"{t['GCV'] / o['mgcv']['cached']:.0f}x (cached); 200-spectrum series estimated as 200 x per-spectrum: "
              f"pyDRTtools {200 * t['GCV']:.0f} s")
        print(f"    lambda: ours mgcv {row['ours_lambda']['mgcv']:.3g}, gcv {row['ours_lambda']['gcv']:.3g} "
              f"(at edge: {row['ours_lambda_at_edge']}); pyDRTtools GCV {row['pydrttools_lambda']['GCV']:.3g}, "
              f"mGCV {row['pydrttools_lambda']['mGCV']:.3g} (start {row['fixed_lambda']:g}); argmin of its GCV score "
              f"on a grid 1e-7..1: {row['pydrttools_GCV_grid_argmin']:.3g}")
        print(f"    auto peaks (tau: R ohm): ours [{_peaks(row['ours_peaks_mgcv'])}], R_pol {row['ours_R_pol_mgcv']:.4g}; "
              f"pyDRTtools [{_peaks(row['pydrttools_peaks_GCV'])}], R_pol {row['pydrttools_R_pol_GCV']:.4g}")
        d = row["ours_default"]
        print(f"    ours with defaults (series C fitted, 10 RBF/decade): lambda {d['lambda']:.3g}, peaks [{_peaks(d['peaks'])}], "
              f"R_pol {d['R_pol']:.4g}, C {d['C_F']}")
        print(f"    fixed lambda {row['fixed_lambda']:g}: R_pol ours {row['fixed_ours_R_pol']:.4g} / pyDRTtools "
              f"{row['fixed_pydrttools_R_pol']:.4g}; R_inf {row['fixed_ours_R_inf']:.4g} / {row['fixed_pydrttools_R_inf']:.4g}; "
              f"peaks ours [{_peaks(row['fixed_ours_peaks'])}], pyDRTtools [{_peaks(row['fixed_pydrttools_peaks'])}]; "
              f"max |gamma difference| / max gamma = {row['fixed_max_gamma_difference_of_max']:.3f} on the common tau "
              f"range, {row['fixed_max_gamma_difference_of_max_measured_range']:.3f} inside 1/(2 pi f_max)..1/(2 pi f_min); "
              f"with pyDRTtools' centres (tau = 1/f) {row['fixed_same_centres_max_gamma_difference_of_max']:.4f}")


def main() -> int:
    numbers = ours()
    print("anodelab DRT (CPU s, 1 thread; 2-ZARC, 1 % noise, 71 frequencies, auto lambda by mGCV):")
    for key, value in numbers.items():
        print(f"  {key:22s} {value * 1e3:9.2f} ms")
    print(f"  series200 per spectrum {numbers['series200_s'] / 200 * 1e3:9.2f} ms")
    spectrum = eis_spectrum(TWO_ZARC, noise_pct=1.0, points_per_decade=10, seed=0).data[0]
    reference = anchors(spectrum)
    if reference is None:
        how = ("$DRT_ANCHOR_PYTHON names no file" if os.environ.get("DRT_ANCHOR_PYTHON")
               else "make it with `bash benchmarks/make_venvs.sh`, or set $DRT_ANCHOR_PYTHON to a Python with pyimpspec and pyDRTtools")
        print(f"anchors: {ANCHOR} not found ({how}); our numbers alone")
        return 0
    print("pyimpspec:", json.dumps(reference))
    value = reference.get("pyimpspec_tr_rbf_auto_s")
    if isinstance(value, float):
        print(f"  ratio pyimpspec / anodelab (single, cached kernels): {value / numbers['single_cached_s']:.0f}x")
        print(f"  ratio 200 x pyimpspec / anodelab series: {200 * value / numbers['series200_s']:.0f}x")
    rows = compare_pydrttools()
    if rows is not None:
        report_comparison(rows)
        print(f"  anodelab series200: {numbers['series200_s']:.2f} s")
        if "--json" in sys.argv:
            print(json.dumps(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
