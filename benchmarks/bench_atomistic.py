"""The 65-atom Li-in-Si CI-NEB (Td -> Hex -> Td) with each offline potential: barrier, CPU and wall time.

Run: ``python benchmarks/bench_atomistic.py [--models sevennet-0,chgnet] [--system li-si-td-hex]``
(needs the ``atomistic`` extra). Each model runs anodelab's path: ``run_system(system, model)``, i.e.
:func:`anodelab.sim.atomistic.neb` with its defaults (endpoints relaxed, 7 intermediate images, IDPP,
climbing image, fmax 0.05 eV/A). Timed with ``time.process_time`` (CPU of all threads of this process)
and wall clock, the model's loading included. torch runs on ``--threads`` (2) CPU threads and the model
libraries are kept offline (``HF_HUB_OFFLINE`` and the like, set before they are imported). OpenMP threads
wait passively (``OMP_WAIT_POLICY=PASSIVE`` unless set): on a busy 2-core machine spinning threads cost 3-4
times the CPU of a SevenNet call (measured: 2.1 s against 0.6 s for the 65-atom cell). The goal:
the default model (SevenNet-0) under 3 minutes on a 2-core machine. Prints per model the barrier, its
difference from the system's literature DFT value, convergence, steps and times, then the ensemble's
spread (max - min of the barriers).
"""

from __future__ import annotations

import argparse
import os
import time

from anodelab.sim.atomistic.calculators import OFFLINE_ENV

MODELS = ("sevennet-0", "sevennet-l3i5", "sevennet-mf-0", "chgnet")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--system", default="li-si-td-hex")
    parser.add_argument("--models", default=",".join(MODELS), help="comma-separated model names")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--json", default=None, help="also write the results to this JSON file")
    args = parser.parse_args()
    for key, value in OFFLINE_ENV.items():
        os.environ[key] = value
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    import torch

    torch.set_num_threads(args.threads)
    from anodelab.sim.atomistic.run import get_system, run_system

    system = get_system(args.system)
    dft = system.dft_eV
    print(f"{system.name}: {system.description}")
    print(f"literature DFT: {dft} eV ({system.dft_reference})")
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, OMP_WAIT_POLICY={os.environ['OMP_WAIT_POLICY']}")
    print(f"{'model':16s} {'barrier eV':>10s} {'- DFT eV':>9s} {'dE eV':>7s} {'conv':>5s} {'steps':>5s} "
          f"{'CPU s':>7s} {'wall s':>7s}  version")
    rows = []
    for name in [m.strip() for m in args.models.split(",") if m.strip()]:
        cpu0, wall0 = time.process_time(), time.perf_counter()
        result = run_system(system, name)
        cpu_s, wall_s = time.process_time() - cpu0, time.perf_counter() - wall0
        barrier = result.barrier_eV
        delta = "" if dft is None else f"{barrier - dft:+9.3f}"
        print(f"{name:16s} {barrier:10.3f} {delta:>9s} {result.reaction_energy_eV:7.3f} {result.converged!s:>5s} "
              f"{result.steps:5d} {cpu_s:7.1f} {wall_s:7.1f}  {result.model['version']}", flush=True)
        rows.append({"model": name, "version": result.model["version"], "barrier_eV": barrier,
                     "reaction_energy_eV": result.reaction_energy_eV, "converged": result.converged,
                     "steps": result.steps, "cpu_s": cpu_s, "wall_s": wall_s,
                     "energies_eV": list(result.energies_eV)})
    if len(rows) > 1:
        barriers = [row["barrier_eV"] for row in rows]
        print(f"spread (max - min) {max(barriers) - min(barriers):.3f} eV over {len(rows)} models; "
              f"mean {sum(barriers) / len(barriers):.3f} eV vs DFT {dft} eV")
    if args.json:
        import json

        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump({"system": system.name, "dft_eV": dft, "threads": args.threads, "runs": rows}, handle, indent=1)


if __name__ == "__main__":
    main()
