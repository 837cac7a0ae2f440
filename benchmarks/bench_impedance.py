"""Side-by-side CPU times: anodelab.impedance vs impedance.py (one thread).

    python benchmarks/bench_impedance.py [--spectra 200] [--reference-spectra 10]

1. Fitting a virtual in-situ series (anodelab.sim.virtual.insitu_eis_series, R0 + three R||CPE + W):
   ``fit_series`` (warm start along the series) per spectrum, vs impedance.py ``CustomCircuit.fit``
   per spectrum from our heuristic initial guess (a subset of the spectra; impedance.py is slow).
2. KK: ``kramers_kronig_test`` (automatic number of RC) vs impedance.py ``linKK`` (c=0.85, max_M=50);
   impedance.py's linKK may fail on NumPy 2, which is reported.
3. ``--real``: every spectrum of every file in ../shared/data/external/eis (one circuit per file, REAL_CIRCUITS):
   chi-square of anodelab ``fit_circuit``, impedance.py ``CustomCircuit.fit`` and pyimpspec ``fit_circuit``, all
   from our initial guess, all scored by ONE formula on the returned fitted impedances
   (``sum |Zm - Z|^2 / |Z|^2``, modulus weighting), with the CPU time of each fit.

The reference tools run in subprocesses (impedance.py: this interpreter; pyimpspec: ``--pyimpspec-python``,
default benchmarks/.venv-anchors/bin/python, made by ``bash benchmarks/make_venvs.sh``: pyimpspec must
not be mixed into the main venv). Arrays go in
as JSON on stdin; each subprocess measures ``time.process_time()`` around the fit call only (imports excluded).
impedance.py gets ``--reference-timeout`` seconds of wall time per file and is reported as skipped beyond that.

pyimpspec is run with ``method="least_squares"`` and ``weight="boukamp"``: its weights are ``1 / |Z_exp|^2``
on the squared residuals, the nearest of its options to our modulus weighting (its ``"modulus"`` uses
``1 / |Z_fit|``, a different quantity). Note pyimpspec hands lmfit the already squared errors, which lmfit
squares again, so its objective is ``sum (|dRe|^4 + |dIm|^4) / |Z|^4``; the common chi-square above is what
makes the three comparable. Its parameter limits are its defaults (CPE n in 0..1, Warburg n fixed at 0.5).
"""

from __future__ import annotations

import os

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

import argparse
import glob
import json
import re
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np

CIRCUIT = "R0-p(R1,CPE1)-p(R2,CPE2)-p(R3,CPE3)-W4"
INDUCTIVE_BATTERY = "L0-R0-p(R1,CPE1)-p(R2,CPE2)-W3"
REAL_CIRCUITS = {  # one sensible circuit per file (what its Nyquist plot shows)
    "impedancepy_Circuit1_EIS_1.z": "L0-R0-p(R1,CPE1)-p(R2,CPE2)",  # measured test circuit, two arcs, HF inductive tail
    "impedancepy_exampleData.csv": INDUCTIVE_BATTERY,  # battery, inductive above ~1 kHz, diffusion tail
    "impedancepy_exampleDataBioLogic.mpt": INDUCTIVE_BATTERY,
    "impedancepy_exampleDataGamry.DTA": "R0-p(R1,CPE1)-p(R2,CPE2)-W3",  # no inductive points
    "pydrttools_LIB_data.txt": INDUCTIVE_BATTERY,
    "pydrttools_LIB_data_2.txt": INDUCTIVE_BATTERY,
    "pydrttools_tutorial_2ZARC0.csv": "R0-p(R1,CPE1)-p(R2,CPE2)",  # synthetic 2 x ZARC
    "pydrttools_zarc_data.txt": "R0-p(R1,CPE1)",  # synthetic ZARC
    "pyimpspec_tests_case-multiple-spectra.mpt": "R0-p(R1,CPE1)-p(R2,CPE2)",
    "pyimpspec_tests_data.dta": "R0-p(R1,CPE1)-p(R2,CPE2)",
}
EXTERNAL = Path(__file__).resolve().parents[2] / "shared" / "data" / "external" / "eis"
PYIMPSPEC_PYTHON = str(Path(__file__).resolve().parent / ".venv-anchors" / "bin" / "python")  # bash benchmarks/make_venvs.sh

# Runs in the pyimpspec venv. stdin: {"jobs": [{"f", "re", "im", "cdc"}]}; stdout: one JSON list.
PYIMPSPEC_HELPER = """
import json, sys, time, warnings
import numpy as np
import pyimpspec
payload = json.load(sys.stdin)
out = []
for job in payload["jobs"]:
    f = np.asarray(job["f"], dtype=float)
    Z = np.asarray(job["re"], dtype=float) + 1j * np.asarray(job["im"], dtype=float)
    try:
        circuit = pyimpspec.parse_cdc(job["cdc"])
        data = pyimpspec.DataSet(frequencies=f, impedances=Z)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t = time.process_time()
            fit = pyimpspec.fit_circuit(circuit, data, method=payload["method"], weight=payload["weight"], num_procs=1)
            cpu = time.process_time() - t
        Zm = fit.circuit.get_impedances(f)
        out.append({"re": Zm.real.tolist(), "im": Zm.imag.tolist(), "cpu_s": cpu, "error": None})
    except Exception as error:
        out.append({"error": type(error).__name__ + ": " + str(error)[:200]})
print(json.dumps(out))
"""

# Runs in this interpreter. stdin: {"jobs": [{"f", "re", "im", "circuit", "initial"}]}.
IMPEDANCEPY_HELPER = """
import json, sys, time, warnings
import numpy as np
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from impedance.models.circuits import CustomCircuit
payload = json.load(sys.stdin)
out = []
for job in payload["jobs"]:
    f = np.asarray(job["f"], dtype=float)
    Z = np.asarray(job["re"], dtype=float) + 1j * np.asarray(job["im"], dtype=float)
    try:
        circuit = CustomCircuit(job["circuit"], initial_guess=job["initial"])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t = time.process_time()
            circuit.fit(f, Z, weight_by_modulus=True, maxfev=20000)
            cpu = time.process_time() - t
        Zm = circuit.predict(f)
        out.append({"re": Zm.real.tolist(), "im": Zm.imag.tolist(), "cpu_s": cpu, "error": None})
    except Exception as error:
        out.append({"error": type(error).__name__ + ": " + str(error)[:200]})
    print(json.dumps(out[-1]), flush=True)
"""


def _chi2(Z_model: np.ndarray, Z: np.ndarray) -> float:
    return float(np.sum(np.abs(Z_model - Z) ** 2 / np.abs(Z) ** 2))


def _job(spectrum) -> dict:
    return {"f": spectrum.frequency_Hz.tolist(), "re": spectrum.Z_ohm.real.tolist(), "im": spectrum.Z_ohm.imag.tolist()}


def _split_top(text: str, sep: str) -> list[str]:
    parts, depth, current = [], 0, ""
    for char in text:
        depth += char == "("
        depth -= char == ")"
        if char == sep and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    return [*parts, current]


def to_cdc(circuit: str, values: dict[str, float], nested: bool = False) -> str:
    """impedance.py-style string + our parameter values -> pyimpspec CDC with those values as its start.

    Conversions: CPE (``Q``, ``n``) -> Q{Y=Q, n}; W (``sigma (1 - j) / sqrt(w)``) -> W{Y = 1 / (sigma sqrt 2),
    n = 0.5 fixed}; R, C, L are the same. Series inside a parallel -> ``[...]``.
    """
    items = _split_top(circuit, "-")
    out = []
    for item in items:
        if item.startswith("p("):
            out.append("(" + "".join(to_cdc(branch, values, nested=True) for branch in _split_top(item[2:-1], ",")) + ")")
            continue
        code = re.match(r"[A-Za-z]+?(?=\d|$)", item).group(0)
        if code == "CPE":
            out.append(f"Q{{Y={values[item + '_Q']:.10g},n={values[item + '_n']:.10g}}}")
        elif code == "W":
            out.append(f"W{{Y={1.0 / (values[item] * np.sqrt(2.0)):.10g},n=0.5f}}")
        elif code in ("R", "C", "L"):
            out.append(f"{code}{{{code}={values[item]:.10g}}}")
        else:
            raise ValueError(f"no pyimpspec conversion for {item}")
    text = "".join(out)
    return f"[{text}]" if nested and len(items) > 1 else text


def _reference(python: str, helper: str, payload: dict, timeout: float) -> list[dict] | None:
    """Run a helper script; None when it ran past ``timeout`` seconds of wall time."""
    env = {**os.environ, "PYTHONPATH": ""}
    try:
        done = subprocess.run(
            [python, "-c", helper], input=json.dumps(payload), capture_output=True, text=True,
            timeout=timeout, cwd="/tmp", env=env, check=False,
        )
    except subprocess.TimeoutExpired:
        return None
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"{python} helper failed: {done.stderr[-500:]}")
    if helper is IMPEDANCEPY_HELPER:
        return [json.loads(line) for line in lines]
    return json.loads(lines[-1])


def _score(result: dict, Z: np.ndarray) -> tuple[float, float]:
    if result.get("error"):
        return float("nan"), float("nan")
    return _chi2(np.asarray(result["re"]) + 1j * np.asarray(result["im"]), Z), result["cpu_s"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--spectra", type=int, default=200)
    parser.add_argument("--reference-spectra", type=int, default=10)
    parser.add_argument("--real", action="store_true", help="also compare on the real files (impedance.py takes minutes)")
    parser.add_argument("--pyimpspec-python", default=PYIMPSPEC_PYTHON, help="interpreter with pyimpspec ('' to skip)")
    parser.add_argument("--pyimpspec-method", default="least_squares")
    parser.add_argument("--pyimpspec-weight", default="boukamp")
    parser.add_argument("--reference-timeout", type=float, default=60.0, help="impedance.py wall seconds per spectrum")
    args = parser.parse_args()

    from anodelab.impedance.fit import fit_circuit, fit_series, initial_guess
    from anodelab.impedance.kk import kramers_kronig_test
    from anodelab.sim.virtual.impedance import insitu_eis_series

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from impedance.models.circuits import CustomCircuit
        from impedance.validation import linKK

    series = insitu_eis_series(spectra_per_half_cycle=args.spectra // 2, noise_pct=0.2, seed=0).data
    fit_circuit(series[0], CIRCUIT, n_starts=1)  # untimed warm-up: first-call imports (the reference tools' are excluded too)
    t = time.process_time()
    ours = fit_series(series, CIRCUIT)
    ours_s = (time.process_time() - t) / len(series)
    ref_times, ref_chi2, our_chi2 = [], [], []
    step = max(1, len(series) // args.reference_spectra)
    for index in range(0, len(series), step)[: args.reference_spectra]:
        spectrum = series[index]
        circuit = CustomCircuit(CIRCUIT, initial_guess=list(initial_guess(spectrum, CIRCUIT).values()))
        t = time.process_time()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            circuit.fit(spectrum.frequency_Hz, spectrum.Z_ohm, weight_by_modulus=True)
        ref_times.append(time.process_time() - t)
        ref_chi2.append(_chi2(circuit.predict(spectrum.frequency_Hz), spectrum.Z_ohm))
        our_chi2.append(ours.fits[index].chi2)
    ref_s = float(np.mean(ref_times))
    print(f"fit, {len(series)}-spectrum in-situ series, {CIRCUIT}")
    print(f"  anodelab fit_series       {ours_s * 1e3:8.1f} ms CPU per spectrum")
    print(f"  impedance.py CustomCircuit {ref_s * 1e3:8.1f} ms CPU per spectrum ({len(ref_times)} spectra)")
    print(f"  ratio impedance.py / anodelab: {ref_s / ours_s:.1f}x")
    print(f"  chi2 (modulus) on those spectra: anodelab <= impedance.py in {sum(o <= r * (1 + 1e-6) for o, r in zip(our_chi2, ref_chi2))}/{len(our_chi2)}")
    if args.pyimpspec_python:
        indices = list(range(0, len(series), step))[: args.reference_spectra]
        jobs = [{**_job(series[i]), "cdc": to_cdc(CIRCUIT, initial_guess(series[i], CIRCUIT))} for i in indices]
        payload = {"jobs": jobs, "method": args.pyimpspec_method, "weight": args.pyimpspec_weight}
        results = _reference(args.pyimpspec_python, PYIMPSPEC_HELPER, payload, timeout=600)
        scored = [_score(r, series[i].Z_ohm) for r, i in zip(results, indices)]
        py_s = float(np.nanmean([cpu for _c, cpu in scored]))
        py_chi2 = [c for c, _cpu in scored]
        print(f"  pyimpspec fit_circuit      {py_s * 1e3:8.1f} ms CPU per spectrum ({len(scored)} spectra, {args.pyimpspec_method}, weight={args.pyimpspec_weight})")
        print(f"  ratio pyimpspec / anodelab: {py_s / ours_s:.1f}x")
        print(f"  chi2 (modulus) on those spectra: anodelab <= pyimpspec in {sum(o <= r * (1 + 1e-6) for o, r in zip(our_chi2, py_chi2))}/{len(our_chi2)}")

    spectrum = series[len(series) // 2]
    repeats = 20
    t = time.process_time()
    for _ in range(repeats):
        result = kramers_kronig_test(spectrum)
    kk_s = (time.process_time() - t) / repeats
    print(f"KK: anodelab {kk_s * 1e3:.1f} ms CPU ({result.n_rc} RC, automatic; passed={result.passed})")
    try:
        t = time.process_time()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for _ in range(repeats):
                M, _mu, _Z, _re, _im = linKK(spectrum.frequency_Hz, spectrum.Z_ohm, c=0.85, max_M=50)
        ref_kk = (time.process_time() - t) / repeats
        print(f"    impedance.py linKK {ref_kk * 1e3:.1f} ms CPU ({M} RC); ratio {ref_kk / kk_s:.1f}x")
    except Exception as error:  # noqa: BLE001 - report whatever the reference tool raises
        print(f"    impedance.py linKK failed: {type(error).__name__}: {error}")

    if not args.real:
        return
    print("real files: chi2 = sum |Zm-Z|^2/|Z|^2 on each tool's fitted Z, all from our initial guess; CPU s per fit")
    header = f"  {'file':36s} {'#':>2s} {'circuit':32s} {'anodelab':>9s} {'imp.py':>9s} {'pyimpsp':>9s}   {'CPU s: ours':>11s} {'imp.py':>7s} {'pyimpsp':>7s}"
    print(header)
    import anodelab

    for path in sorted(glob.glob(str(EXTERNAL / "*"))):
        name = Path(path).name
        if name not in REAL_CIRCUITS:
            continue
        circuit = REAL_CIRCUITS[name]
        spectra = list(anodelab.read(path))
        starts = [initial_guess(spectrum, circuit) for spectrum in spectra]
        ours = []
        for spectrum in spectra:
            t = time.process_time()
            fit = fit_circuit(spectrum, circuit)
            ours.append((_chi2(fit.Z_fit_ohm, spectrum.Z_ohm), time.process_time() - t))
        jobs = [{**_job(sp), "circuit": circuit, "initial": list(st.values())} for sp, st in zip(spectra, starts)]
        ref = _reference(sys.executable, IMPEDANCEPY_HELPER, {"jobs": jobs}, timeout=10 + args.reference_timeout * len(jobs))
        py = None
        if args.pyimpspec_python:
            jobs = [{**_job(sp), "cdc": to_cdc(circuit, st)} for sp, st in zip(spectra, starts)]
            payload = {"jobs": jobs, "method": args.pyimpspec_method, "weight": args.pyimpspec_weight}
            py = _reference(args.pyimpspec_python, PYIMPSPEC_HELPER, payload, timeout=600)
        for index, spectrum in enumerate(spectra):
            ref_c, ref_t = _score(ref[index], spectrum.Z_ohm) if ref is not None and index < len(ref) else (float("nan"), float("nan"))
            py_c, py_t = _score(py[index], spectrum.Z_ohm) if py is not None else (float("nan"), float("nan"))
            ours_c, ours_t = ours[index]
            best_other = np.nanmin([ref_c, py_c, np.inf])
            # 1e-10 absolute: below the text files' own rounding (~1e-7 relative per point), i.e. exact-data ties
            flag = "" if ours_c <= best_other * (1 + 1e-3) + 1e-10 else "  <- ours worse"
            skipped = f"  (impedance.py skipped: > {args.reference_timeout:.0f} s)" if np.isnan(ref_c) and (ref is None or index >= len(ref)) else ""
            failed = [f"{tool} failed: {r['error'][:60]}" for tool, rs in (("impedance.py", ref), ("pyimpspec", py)) if rs is not None and index < len(rs) for r in [rs[index]] if r.get("error")]
            print(
                f"  {name[:36]:36s} {index:2d} {circuit:32s} {ours_c:9.3e} {ref_c:9.3e} {py_c:9.3e}   {ours_t:11.2f} {ref_t:7.2f} {py_t:7.2f}"
                f"{flag}{skipped}{'  ' + '; '.join(failed) if failed else ''}",
                flush=True,
            )


if __name__ == "__main__":
    main()
