"""DRT accuracy against ground truth, over noise seeds: the numbers quoted in the DRT tests and notes.

Run: ``python benchmarks/drt_accuracy.py [--seeds 8] [--criteria mgcv,evidence]`` (about a minute).

- ZARC and 2-ZARC (``sim.virtual.eis_spectrum``, 1 % noise, 10 points per decade): share of the true DRT's
  support (where it exceeds 1 % of its maximum) inside the 95 % Gaussian band; right peak count; largest
  error of the process tau (decades) and of the peak R.
- Virtual in-situ GEIS of paper 000 (``insitu_eis_series``: SSE, SEI, ct arcs + a semi-infinite Warburg,
  8 points per decade) at 0.2, 0.5, 1 % noise, as the study runs it (shared lambda, ``si_zno`` windows):
  rms and largest relative error of each process trace over 3 seeds x 16 spectra.
"""

from __future__ import annotations

import argparse

import numpy as np

from anodelab.drt import drt, drt_series
from anodelab.models.circuits import ZARC, R, Series, zarc_drt
from anodelab.sim.virtual import eis_spectrum, insitu_eis_series

CIRCUITS = {
    "ZARC": Series(R(10.0), ZARC(50.0, 1e-3, 0.8)),
    "2-ZARC": Series(R(10.0), ZARC(30.0, 1e-5, 0.85), ZARC(60.0, 1e-2, 0.8)),
}


def closed_form(criterion: str, seeds: int) -> str:
    coverage, right_count, tau_error, R_error = [], [], [], []
    for circuit in CIRCUITS.values():
        zarcs = [e for e in circuit.leaves() if isinstance(e, ZARC)]
        for seed in range(seeds):
            spectrum = eis_spectrum(circuit, noise_pct=1.0, points_per_decade=10, seed=seed).data[0]
            result = drt(spectrum, criterion=criterion, credible=0.95)
            true = sum(zarc_drt(result.tau_s, z.R_ohm, z.tau_s, z.n) for z in zarcs)
            support = true > 0.01 * true.max()
            inside = (true >= result.gamma_lower_ohm) & (true <= result.gamma_upper_ohm)
            coverage.append(inside[support].mean())
            right_count.append(len(result.peaks) == len(zarcs))
            if right_count[-1]:
                for peak, zarc in zip(result.peaks, zarcs, strict=True):
                    tau_error.append(abs(np.log10(peak.tau_s / zarc.tau_s)))
                    R_error.append(abs(peak.R.value / zarc.R_ohm - 1.0))
    return (f"band coverage {min(coverage):.2f}-{max(coverage):.2f} (mean {np.mean(coverage):.2f}); right peak "
            f"count {np.mean(right_count):.0%}; tau error <= {max(tau_error):.3f} decade; R error <= "
            f"{100 * max(R_error):.1f} %")


def insitu(criterion: str, noise_pct: float) -> str:
    errors: dict[str, list[float]] = {"R_SSE": [], "R_SEI": [], "R_ct": []}
    for seed in range(3):
        experiment = insitu_eis_series(noise_pct=noise_pct, seed=seed)
        result = drt_series(experiment.data, windows="si_zno", criterion=criterion, shared_lambda=True)
        for name, values in errors.items():
            truth = np.asarray(experiment.truth[f"{name}_ohm"], dtype=float)
            values.extend((result.process_R_ohm[name] - truth) / truth)
    return ", ".join(
        f"{name} rms {100 * np.sqrt(np.mean(np.square(v))):.1f} % max {100 * np.max(np.abs(v)):.0f} %"
        for name, v in errors.items()
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=8)
    parser.add_argument("--criteria", default="mgcv,evidence")
    args = parser.parse_args()
    for criterion in args.criteria.split(","):
        print(f"{criterion}: ZARC and 2-ZARC, seeds 0-{args.seeds - 1}: {closed_form(criterion, args.seeds)}")
        for noise in (0.2, 0.5, 1.0):
            print(f"  in-situ series, {noise} % noise: {insitu(criterion, noise)}")


if __name__ == "__main__":
    main()
