"""A simulation a study asks for: :class:`ModelSpec`, read from a ``*.sim.toml`` file beside the data.

A study folder may hold models next to its measurements (the current distribution at a voided
interface next to that interface's measured ASR; a migration barrier next to the GITT diffusion
coefficient). Each is one small TOML file: ``simulation`` names the model, every other key is that
model's parameter, exactly as its command-line option is spelled with underscores
(``anodelab sim interface --radius-um 5`` is ``radius_um = 5``). The study pipeline treats such a file
as it treats a data file: hashed, cached by content, "detected" as a simulation, analysed by the
model it names, stored, drawn in the report.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from anodelab.core.record import Provenance

#: the models a ``*.sim.toml`` may name, and the ``anodelab sim`` command that runs the same case
SIMULATIONS: Mapping[str, str] = {
    "interface": "anodelab sim interface: current and field distribution at an interface (FEM)",
    "neb": "anodelab sim neb: a migration barrier by (climbing-image) NEB with an ML potential",
    "bind": "anodelab sim bind: the binding energy of an adsorbate",
    "surface": "anodelab sim surface: a surface energy",
    "interface-energy": "anodelab sim interface-energy: the interface energy of a heterointerface",
}
#: the suffix that marks a model specification among a study's files
SUFFIX = ".sim.toml"


@dataclass(frozen=True)
class ModelSpec:
    """One simulation: which model (a key of :data:`SIMULATIONS`), its parameters (the file's other
    keys, plain TOML values), and where the file is (``folder`` resolves relative paths it names,
    such as a profilometry line)."""

    simulation: str
    parameters: Mapping[str, Any]
    folder: str
    provenance: Provenance = field(default_factory=Provenance)
