"""Interface FEM timings: CPU time of 50k-element cases, nonlinear Butler-Volmer among them, and the
tertiary (Nernst-Planck) distribution.

Run: ``python benchmarks/bench_interface.py`` (needs the ``fem`` extra). Each case is timed with
``time.process_time`` around one :func:`simulate_interface` call (mesh, assembly, Newton, outputs;
the scikit-fem import is done before), best of 3. The target: a 50k-element Butler-Volmer case in
under 5 s of CPU (the tertiary case solves the secondary one first, then twice the unknowns in a
nonsymmetric system: it has no target, its time is printed). Prints CPU time, elements, DOFs, Newton
iterations, max/mean ratio and the current conservation per case.
"""

from __future__ import annotations

import argparse
import time

from anodelab.sim.interface import (
    Disk,
    Electrolyte,
    Interlayer,
    Protrusion,
    Strips,
    simulate_interface,
)
from anodelab.sim.interface.fem import require_skfem

CASES = {
    "strips f=0.2, BV (Tafel), kappa 1e-4": (Strips(0.2, 10.0, 20.0),
                                             {"kappa_S_cm": 1e-4, "kinetics": "bv", "i0_mA_cm2": 0.1, "current_mA_cm2": 20.0}),
    "strips f=0.2, BV, strongly non-uniform": (Strips(0.2, 10.0, 20.0),
                                               {"kappa_S_cm": 1e-3, "kinetics": "bv", "i0_mA_cm2": 0.01,
                                                "current_mA_cm2": 1000.0}),
    "disk a/b=0.1, BV": (Disk(1.0, 10.0, 20.0), {"kappa_S_cm": 1e-3, "kinetics": "bv", "i0_mA_cm2": 1.0,
                                                 "current_mA_cm2": 10.0}),
    "strips + mixed interlayer, BV": (Strips(0.2, 10.0, 20.0, Interlayer(1.0, 1e-3, sigma_S_cm=1e-3)),
                                      {"kappa_S_cm": 1e-3, "kinetics": "bv", "i0_mA_cm2": 0.1, "current_mA_cm2": 10.0}),
    "strips f=0.2, primary": (Strips(0.2, 10.0, 20.0), {"kappa_S_cm": 1e-3}),
    "needle h/r=10 + ionic coating, BV": (Protrusion(10.0, 1.0, 20.0, shape="needle", interlayer=Interlayer(0.2, 1e-2)),
                                          {"kappa_S_cm": 1e-3, "kinetics": "bv", "i0_mA_cm2": 0.1, "current_mA_cm2": 10.0}),
    "tertiary strips f=0.2, BV, 50 % of i_lim": (Strips(0.2, 10.0, 20.0),
                                                 {"kappa_S_cm": 1e-2, "kinetics": "bv", "i0_mA_cm2": 1.0,
                                                  "current_mA_cm2": -241.0, "transport": "nernst-planck",
                                                  "electrolyte": Electrolyte(1.0, 3e-6, 0.4)}),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--elements", type=int, default=50000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    require_skfem()
    print(f"{'case':42s} {'CPU s':>7s} {'elements':>9s} {'DOFs':>7s} {'Newton':>6s} {'max/mean':>9s} {'conservation':>12s}")
    for name, (geometry, options) in CASES.items():
        best = float("inf")
        for _ in range(args.repeat):
            start = time.process_time()
            result = simulate_interface(geometry, elements=args.elements, **options)
            best = min(best, time.process_time() - start)
        print(f"{name:42s} {best:7.2f} {result.elements:9d} {result.dofs:7d} {result.newton_iterations:6d} "
              f"{result.max_mean_ratio:9.3f} {result.current_conservation_rel:12.1e}")


if __name__ == "__main__":
    main()
