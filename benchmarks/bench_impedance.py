"""Side-by-side CPU times: anodelab.impedance vs impedance.py (one thread).

    python benchmarks/bench_impedance.py [--spectra 200] [--reference-spectra 10]

1. Fitting a virtual in-situ series (anodelab.sim.virtual.insitu_eis_series, R0 + three R||CPE + W):
   ``fit_series`` (warm start along the series) per spectrum, vs impedance.py ``CustomCircuit.fit``
   per spectrum from our heuristic initial guess (a subset of the spectra; impedance.py is slow).
2. KK: ``kramers_kronig_test`` (automatic number of RC) vs impedance.py ``linKK`` (c=0.85, max_M=50);
   impedance.py's linKK may fail on NumPy 2, which is reported.
3. Real files in ../shared/data/external/eis: chi-square (modulus weighting) of both fits from the same start.
"""

from __future__ import annotations

import os

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

import argparse
import glob
import time
import warnings
from pathlib import Path

import numpy as np

CIRCUIT = "R0-p(R1,CPE1)-p(R2,CPE2)-p(R3,CPE3)-W4"
REAL_CIRCUIT = "L0-R0-p(R1,CPE1)-p(R2,CPE2)-CPE3"
EXTERNAL = Path(__file__).resolve().parents[2] / "shared" / "data" / "external" / "eis"


def _chi2(Z_model: np.ndarray, Z: np.ndarray) -> float:
    return float(np.sum(np.abs(Z_model - Z) ** 2 / np.abs(Z) ** 2))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--spectra", type=int, default=200)
    parser.add_argument("--reference-spectra", type=int, default=10)
    parser.add_argument("--real", action="store_true", help="also compare on the real files (impedance.py takes minutes)")
    args = parser.parse_args()

    from anodelab.impedance.fit import fit_circuit, fit_series, initial_guess
    from anodelab.impedance.kk import kramers_kronig_test
    from anodelab.sim.virtual.impedance import insitu_eis_series

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from impedance.models.circuits import CustomCircuit
        from impedance.validation import linKK

    series = insitu_eis_series(spectra_per_half_cycle=args.spectra // 2, noise_pct=0.2, seed=0).data
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
    print(f"real files, {REAL_CIRCUIT}, chi2 (modulus) from the same start")
    import anodelab

    for path in sorted(glob.glob(str(EXTERNAL / "*"))):
        if path.endswith(".md"):
            continue
        for index, spectrum in enumerate(anodelab.read(path)):
            start = initial_guess(spectrum, REAL_CIRCUIT)
            t = time.process_time()
            fit = fit_circuit(spectrum, REAL_CIRCUIT)
            ours_t = time.process_time() - t
            circuit = CustomCircuit(REAL_CIRCUIT, initial_guess=list(start.values()))
            t = time.process_time()
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    circuit.fit(spectrum.frequency_Hz, spectrum.Z_ohm, weight_by_modulus=True, maxfev=20000)
                ref = _chi2(circuit.predict(spectrum.frequency_Hz), spectrum.Z_ohm)
            except Exception as error:  # noqa: BLE001
                ref = float("nan")
                print(f"    impedance.py failed: {type(error).__name__}")
            ref_t = time.process_time() - t
            print(f"  {Path(path).name[:36]:36s}[{index}] anodelab {fit.chi2:.3e} ({ours_t:.2f} s)  impedance.py {ref:.3e} ({ref_t:.2f} s)")


if __name__ == "__main__":
    main()
