"""The simulations a study's ``*.sim.toml`` files ask for, as analyses of a :class:`ModelSpec`.

Each function runs the model a spec names with the spec's parameters, through the same code path
as its ``anodelab sim`` command, and stamps the result with the spec's provenance (the file and its
SHA-256) and its parameters. The model packages are imported only when a spec of theirs runs
(scikit-fem for ``interface``; ASE and the ML potentials for the atomistic ones).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from anodelab.core.errors import NotApplicableError, ValidationError
from anodelab.core.model_spec import ModelSpec
from anodelab.core.result import Result, plain, stamps_call

#: the atomistic simulations and the task of the named systems each runs
ATOMISTIC = {"neb": "neb", "bind": "bind", "surface": "surface", "interface-energy": "interface"}


def require_spec(data: object, analysis: str, simulations: tuple[str, ...]) -> ModelSpec:
    """``data`` if it is a spec of one of ``simulations``; else :class:`NotApplicableError` saying why."""
    if not isinstance(data, ModelSpec):
        raise NotApplicableError(f"{analysis} runs a model specification (*.sim.toml); this is a {type(data).__name__}")
    if data.simulation not in simulations:
        raise NotApplicableError(f"{analysis} runs simulation = {' or '.join(simulations)}; this file asks for "
                                 f"{data.simulation!r}")
    return data


def _stamped(result: Result, spec: ModelSpec) -> Result:
    """``result`` with the spec's parameters beside its own and the spec file as its source (the
    model's own provenance, such as the potential and its version, kept)."""
    source = spec.provenance
    if result.provenance is not None:
        own = result.provenance
        source = dataclasses.replace(own, path=source.path, sha256=source.sha256, format=source.format,
                                     techniques=(*source.techniques, *own.techniques),
                                     notes=(*source.notes, *own.notes))
    return dataclasses.replace(result, parameters={"simulation": spec.simulation, **plain(spec.parameters),
                                                   **result.parameters}, provenance=source)


@stamps_call
def interface_model(spec: ModelSpec) -> Result:
    """The interface case (or parameter sweep) of a ``simulation = "interface"`` spec:
    :func:`anodelab.sim.interface.run_interface_spec`, relative paths from the spec's folder."""
    require_spec(spec, "interface_fem", ("interface",))
    from anodelab.sim.interface import run_interface_spec

    return _stamped(run_interface_spec(spec.parameters, base=Path(spec.folder)), spec)


@stamps_call
def atomistic_model(spec: ModelSpec) -> Result:
    """The atomistic task of a ``neb``/``bind``/``surface``/``interface-energy`` spec on its named
    system (``system = "li-si-td-hex"``; ``anodelab sim neb --list`` lists them): with ``model`` (default
    the package's), or an ensemble with ``models = [...]``; the other keys are the task's options
    (``n_images``, ``fmax``, ``climb``, ...)."""
    require_spec(spec, "atomistic", tuple(ATOMISTIC))
    from anodelab.sim.atomistic.run import get_system, run_system, run_system_ensemble

    options: dict[str, Any] = dict(spec.parameters)
    if "model" in options:  # the spec names a model; the tasks take it as their calculator
        options["calculator"] = options.pop("model")
    if spec.simulation == "neb" and "system" not in options and {"initial", "final"} <= set(options):
        return _stamped(_neb_of_files(options, Path(spec.folder)), spec)
    name = options.pop("system", None)
    if not isinstance(name, str):
        raise ValidationError("system", "name the system to simulate (system = \"...\"; anodelab sim neb --list)"
                              + (", or give initial = \"FILE\" and final = \"FILE\"" if spec.simulation == "neb" else ""))
    system = get_system(name)
    if system.task != ATOMISTIC[spec.simulation]:
        raise ValidationError("system", f"{name} is a {system.task} system, not one for simulation = {spec.simulation!r}")
    models = options.pop("models", None)
    result = run_system_ensemble(system, models=models, **options) if models else run_system(system, **options)
    return _stamped(result, spec)


def _neb_of_files(options: dict[str, Any], folder: Path) -> Result:
    """The NEB between the structure files ``initial`` and ``final`` (paths relative to the spec's
    folder, any format ASE reads; the last frame of a trajectory), with the other options."""
    from anodelab.sim.atomistic import neb
    from anodelab.sim.atomistic.files import read_structure

    initial, final = (read_structure(folder / str(options.pop(key))) for key in ("initial", "final"))
    return neb(initial, final, **options)


def run_model(spec: ModelSpec) -> Result:
    """The result of the model ``spec`` names (what a study stores for its file)."""
    return interface_model(spec) if spec.simulation == "interface" else atomistic_model(spec)
