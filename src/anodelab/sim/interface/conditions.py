"""The boundary and interface conditions of the interface FEM, and the Nernst-Planck coupling
(see :mod:`anodelab.sim.interface.fem`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from anodelab.sim.interface.kinetics import Kinetics

Field = Literal["ion", "electron", "salt"]
FIELDS: tuple[Field, ...] = ("ion", "electron", "salt")
#: a value on a boundary: a constant or a function of the coordinates (2, ...) in cm
Value = float | Callable[[NDArray[np.float64]], NDArray[np.float64]]


@dataclass(frozen=True)
class Dirichlet:
    field: Field
    edges: str
    value_V: Value = 0.0


@dataclass(frozen=True)
class Flux:
    """Current density (A/cm2) entering the field's domain through ``edges``."""

    field: Field
    edges: str
    current_A_cm2: Value


@dataclass(frozen=True)
class Reaction:
    """``i = (c / c0)^concentration_exponent kinetics(eta)`` into the electrolyte; ``eta = psi - phi``
    when ``electronic`` else ``-phi``; ``c / c0 = 1`` where no salt field reaches."""

    edges: str
    kinetics: Kinetics
    electronic: bool = False
    concentration_exponent: float = 0.0


@dataclass(frozen=True)
class Merge:
    """``phi = psi`` on ``edges``."""

    edges: str


@dataclass(frozen=True)
class Floating:
    """The ionic potential uniform (unknown) on ``edges``, ``current_A`` leaving through them."""

    edges: str
    current_A: float


@dataclass(frozen=True)
class SaltTransport:
    """Nernst-Planck transport of a binary electrolyte in the electrolyte region (see the module doc).

    ``kappa_S_cm``: conductivity at ``c0``; ``t_minus``: the anion's transference number;
    ``diffusion_A_cm``: ``F D c0``; ``conserved``: the mean concentration held at ``c0`` (every
    boundary blocks the anion), else a Dirichlet condition on ``salt`` fixes it somewhere.
    """

    kappa_S_cm: float
    t_minus: float
    thermal_voltage_V: float
    diffusion_A_cm: float
    conserved: bool

    @property
    def beta_V(self) -> float:
        """``2 t_- R T / F``: the diffusion-potential coefficient of ``grad c / c``."""
        return 2.0 * self.t_minus * self.thermal_voltage_V
