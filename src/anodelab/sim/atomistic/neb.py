"""Minimum-energy path and barrier between two states: (climbing-image) nudged elastic band, with ASE.

1. The endpoints are relaxed (positions; ``relax_endpoints``) and their energies and forces frozen,
   so the band never recomputes them; endpoints that are then one structure (no atom apart by
   :data:`MIN_SEPARATION_A`) are refused.
2. ``n_images`` intermediate images (the endpoints not counted) are interpolated between them, by the
   image-dependent pair potential (``idpp``, Smidstrup et al. 2014) or linearly, under the minimum-image
   convention where the cell is periodic (``mic``), so an atom that leaves through one face and the
   structure file wraps it back is interpolated along its short way.
3. The band (improved tangent, Henkelman & Jónsson 2000; springs ``spring_eV_A2``) is relaxed by
   ``optimizer`` (FIRE by default) to ``climb_after_fmax`` (``CLIMB_AFTER_FACTOR`` x ``fmax``), then the
   highest image climbs (Henkelman, Uberuaga & Jónsson 2000) until every image's NEB force is below ``fmax``
   and the climbing image's true force too (it is relaxed on to a tighter threshold where not); without
   ``climb`` the band is relaxed to ``fmax`` at once.

The barrier is the highest image's energy minus the initial state's: with a converged climbing image,
the saddle point's. The band computes its moving images itself (see :func:`_band`): a model with a
batched evaluation (SevenNet) computes them together, others one by one, and an image whose positions
have not moved since its last evaluation is not computed again. ASE's optimizers ask for the band's
forces several times a step (step, convergence test, log), and a calculator shared among the images
keeps only the last structure's results, so without this each image was computed three times a step.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from numpy.typing import NDArray

from anodelab.core.errors import NotApplicableError, ValidationError
from anodelab.sim.atomistic.calculators import DEFAULT_MODEL, Model, get_model
from anodelab.sim.atomistic.relax import (
    DEFAULT_STEPS,
    OptimizerName,
    make_optimizer,
    max_force_eV_A,
    relaxed,
    stamp,
)
from anodelab.sim.atomistic.result import NEBResult, RelaxResult, Structure

if TYPE_CHECKING:
    from ase import Atoms
    from ase.mep import NEB

    from anodelab.sim.atomistic.calculators import ModelLike

Interpolation = Literal["idpp", "linear"]
INTERPOLATIONS = ("idpp", "linear")
#: the band first relaxes to this many times ``fmax`` before the highest image climbs
CLIMB_AFTER_FACTOR = 4.0
#: a converged climbing image with a true force above fmax is relaxed on, to this factor of the threshold
SADDLE_TIGHTENING = 0.7
SADDLE_RETRIES = 3
#: relaxed endpoints whose atoms all lie closer than this (A) are one minimum
MIN_SEPARATION_A = 0.1


def neb(initial: Atoms, final: Atoms, calculator: ModelLike = DEFAULT_MODEL, *, n_images: int = 7, climb: bool = True,
        fmax: float = 0.05, relax_endpoints: bool = True, interpolation: Interpolation = "idpp",
        steps: int = DEFAULT_STEPS, optimizer: OptimizerName = "fire", spring_eV_A2: float = 0.1,
        mic: bool | None = None, climb_after_fmax: float | None = None) -> NEBResult:
    """The minimum-energy path from ``initial`` to ``final`` (same atoms, same order) with ``calculator``
    (see the module docstring): barrier, reaction energy, path energies and coordinate, the saddle.

    ``steps`` bounds each stage of the band's relaxation (and each endpoint's); ``mic`` defaults to
    whether the cell is periodic; ``climb_after_fmax`` to ``CLIMB_AFTER_FACTOR * fmax``."""
    chosen = get_model(calculator)
    _check(initial, final, n_images, interpolation, spring_eV_A2)
    mic = bool(any(initial.pbc)) if mic is None else bool(mic)
    first, first_relax = _endpoint(initial, chosen, relax_endpoints, fmax, steps)
    last, last_relax = _endpoint(final, chosen, relax_endpoints, fmax, steps)
    _check_distinct(first, last, mic)
    band = _band(first, last, n_images, spring_eV_A2)
    band.interpolate(method=interpolation, mic=mic, apply_constraint=False)
    band.evaluate = chosen.batch or functools.partial(_one_by_one, chosen)
    taken, converged = _optimise(band, optimizer, fmax, steps, climb, climb_after_fmax)
    result = _result(band, chosen, converged, climb, fmax, taken, mic, (first_relax, last_relax))
    options = {"n_images": n_images, "climb": climb, "fmax_eV_A": fmax, "relax_endpoints": relax_endpoints,
               "interpolation": interpolation, "steps": steps, "optimizer": optimizer, "spring_eV_A2": spring_eV_A2,
               "mic": mic, "climb_after_fmax_eV_A": climb_after_fmax}
    stamped: NEBResult = stamp(result, chosen, "neb", options)
    return stamped


def _check(initial: Atoms, final: Atoms, n_images: int, interpolation: str, spring: float) -> None:
    if len(initial) != len(final) or not np.array_equal(initial.numbers, final.numbers):
        raise ValidationError("final", f"must hold the atoms of the initial state in the same order "
                                       f"({initial.get_chemical_formula()} vs {final.get_chemical_formula()})")
    if not np.allclose(initial.cell[:], final.cell[:], atol=1e-6) or list(initial.pbc) != list(final.pbc):
        raise ValidationError("final", "must have the initial state's cell and periodicity (the band keeps the cell)")
    if not (isinstance(n_images, int) and n_images >= 1):
        raise ValidationError("n_images", f"must be an integer >= 1 (images between the endpoints), got {n_images!r}")
    if interpolation not in INTERPOLATIONS:
        raise ValidationError("interpolation", f"expected one of {', '.join(INTERPOLATIONS)}, got {interpolation!r}")
    if not spring > 0:
        raise ValidationError("spring_eV_A2", f"must be > 0, got {spring!r}")


def _check_distinct(first: Atoms, last: Atoms, mic: bool) -> None:
    """Refuse endpoints that are one structure (the final state relaxed back into the initial one, or
    was given as it): a band between them has no barrier to find."""
    displacement = last.positions - first.positions
    if mic:
        from ase.geometry import find_mic

        displacement, _ = find_mic(displacement, last.cell, last.pbc)
    largest = float(np.sqrt((displacement**2).sum(axis=1)).max()) if len(first) else 0.0
    if largest < MIN_SEPARATION_A:
        raise NotApplicableError(f"the (relaxed) initial and final states are one structure: no atom differs by "
                                 f"more than {largest:.3f} A (under {MIN_SEPARATION_A} A); the final state is not a "
                                 "separate minimum of this model")


def _endpoint(atoms: Atoms, model: Model, relax: bool, fmax: float, steps: int) -> tuple[Atoms, RelaxResult | None]:
    """The endpoint (relaxed or as given) with its energy and forces frozen on a single-point calculator."""
    from ase.calculators.singlepoint import SinglePointCalculator

    if relax:
        work, result = relaxed(atoms, model, fmax=fmax, steps=steps)
    else:
        work, result = model.attach(atoms.copy()), None
    energy, forces = float(work.get_potential_energy()), work.get_forces(apply_constraint=False)
    work.calc = SinglePointCalculator(work, energy=energy, forces=forces)
    return work, result


def _band(first: Atoms, last: Atoms, n_images: int, spring: float) -> Any:
    """The band of ``n_images`` copies of ``first`` between the endpoints. Its ``evaluate`` (None until set,
    so that IDPP's interpolation uses its own calculators) computes the moving images that are stale
    (moved since their last evaluation, or never evaluated) before each force call, and freezes each
    image's energy and forces on a single-point calculator, which says whether the image has moved since."""
    from ase.calculators.singlepoint import SinglePointCalculator
    from ase.mep import NEB

    class Band(NEB):
        evaluate: Any = None

        def __init__(self, *args: Any, **kwargs: Any) -> None:  # typed: ASE's is not, and mypy is strict
            NEB.__init__(self, *args, **kwargs)

        def get_forces(self) -> Any:
            if self.evaluate is not None:
                stale = [image for image in self.images[1:-1] if not _frozen(image)]
                if stale:
                    for image, (energy, forces) in zip(stale, self.evaluate(stale), strict=True):
                        image.calc = SinglePointCalculator(image, energy=energy, forces=forces)
            return NEB.get_forces(self)

    images = [first, *(first.copy() for _ in range(n_images)), last]
    return Band(images, k=spring, climb=False, method="improvedtangent")


def _frozen(image: Atoms) -> bool:
    """Whether ``image`` holds frozen results of its present structure (positions, cell, numbers unchanged)."""
    from ase.calculators.singlepoint import SinglePointCalculator

    calc = image.calc
    return isinstance(calc, SinglePointCalculator) and not calc.check_state(image)


def _one_by_one(model: Model, structures: Sequence[Atoms]) -> list[tuple[float, NDArray[np.float64]]]:
    """(energy, forces) of each structure from ``model``, one structure at a time."""
    results = []
    for atoms in structures:
        work = model.attach(atoms.copy())
        results.append((float(work.get_potential_energy()),
                        np.asarray(work.get_forces(apply_constraint=False), dtype=np.float64)))
    return results


def _optimise(band: NEB, optimizer: OptimizerName, fmax: float, steps: int, climb: bool,
              climb_after_fmax: float | None) -> tuple[int, bool]:
    """Relax the band (to the looser threshold first, then climbing, when ``climb``); (steps, converged).

    A converged climbing image whose true force still exceeds ``fmax`` (the climbing force has the
    same norm overall, not per atom) is relaxed further, to :data:`SADDLE_TIGHTENING` times the last
    threshold, up to :data:`SADDLE_RETRIES` times."""
    taken = 0
    if climb:
        loose = CLIMB_AFTER_FACTOR * fmax if climb_after_fmax is None else float(climb_after_fmax)
        taken, _ = _run(band, optimizer, max(loose, fmax), steps)
        band.climb = True
    more, converged = _run(band, optimizer, fmax, steps)
    taken += more
    threshold = fmax
    for _ in range(SADDLE_RETRIES if climb else 0):
        if not converged or max_force_eV_A(band.images[int(band.imax)]) < fmax:
            break
        threshold *= SADDLE_TIGHTENING
        more, converged = _run(band, optimizer, threshold, steps)
        taken += more
    return taken, converged


def _run(band: NEB, optimizer: OptimizerName, fmax: float, steps: int) -> tuple[int, bool]:
    if steps == 0:
        return 0, False
    dynamics = make_optimizer(optimizer, band)
    converged = bool(dynamics.run(fmax=fmax, steps=steps))
    return int(dynamics.nsteps), converged


def _result(band: NEB, model: Model, converged: bool, climb: bool, fmax: float, steps: int, mic: bool,
            relaxations: tuple[RelaxResult | None, RelaxResult | None]) -> NEBResult:
    images = band.images
    neb_forces = np.asarray(band.get_forces(), dtype=np.float64).reshape(len(images) - 2, len(images[0]), 3)
    energies = [float(e) for e in np.asarray(band.energies, dtype=np.float64)]
    per_image = [max_force_eV_A(images[0]), *np.sqrt((neb_forces**2).sum(axis=2)).max(axis=1),
                 max_force_eV_A(images[-1])]
    saddle = int(band.imax)
    return NEBResult(
        energies_eV=tuple(energies), coordinate_A=tuple(float(s) for s in path_coordinate_A(images, mic)),
        max_force_eV_A=tuple(float(f) for f in per_image), saddle_index=saddle,
        saddle_max_force_eV_A=max_force_eV_A(images[saddle]), converged=converged, climb=climb,
        fmax_eV_A=fmax, steps=steps, images=tuple(Structure.from_atoms(image) for image in images),
        initial_relax=relaxations[0], final_relax=relaxations[1], model=model.to_dict())


def path_coordinate_A(images: list[Atoms], mic: bool) -> NDArray[np.float64]:
    """Cumulative distance along the path: the norm over all atoms of each image's displacement from
    the one before (minimum image where ``mic``), image 0 at 0."""
    from ase.geometry import find_mic

    steps = [0.0]
    for before, after in itertools.pairwise(images):
        displacement = after.positions - before.positions
        if mic:
            displacement, _ = find_mic(displacement, after.cell, after.pbc)
        steps.append(float(np.sqrt((displacement**2).sum())))
    return np.cumsum(steps)
