"""Current and field distributions at metal / electrolyte interfaces by finite elements (scikit-fem).

Point contacts and voids (:class:`Strips`, periodic or at random positions; :class:`Disk`),
protrusions (:class:`Protrusion`: cap, half spheroid, Gaussian, needle), rough surfaces from a height
profile (:class:`Profile`) and conformal ion-, electron- or mixed-conducting interlayers
(:class:`Interlayer`), with primary (equipotential contact) or secondary (linear or Butler-Volmer)
kinetics, and the tertiary distribution of a binary liquid electrolyte (``transport="nernst-planck"``
with an :class:`Electrolyte`): :func:`simulate_interface` gives the current density along the
interface, its max / mean ratio, the field (and concentration) maps and the effective and
constriction resistances (ohm cm2, to set against a measured interfacial ASR); :func:`sweep_interface`
runs one parameter over values; :func:`run_interface_spec` runs either from a plain mapping of the
command line's options (a study's ``*.sim.toml``).

Needs the ``fem`` extra (``pip install 'anodelab[fem]'``); scikit-fem is imported only when a case
is solved, so this package imports without it and says what to install when it is missing.
"""

from anodelab.sim.interface.electrolyte import TRANSPORTS, Electrolyte
from anodelab.sim.interface.geometry import (
    LAYOUTS,
    SHAPES,
    Disk,
    Interlayer,
    Profile,
    Protrusion,
    Strips,
)
from anodelab.sim.interface.model import simulate_interface, uniform_drop_V
from anodelab.sim.interface.result import Concentration, InterfaceResult, InterfaceSweep
from anodelab.sim.interface.spec import run_interface_spec
from anodelab.sim.interface.sweep import SWEEPS, sweep_interface

__all__ = [
    "LAYOUTS",
    "SHAPES",
    "SWEEPS",
    "TRANSPORTS",
    "Concentration",
    "Disk",
    "Electrolyte",
    "InterfaceResult",
    "InterfaceSweep",
    "Interlayer",
    "Profile",
    "Protrusion",
    "Strips",
    "run_interface_spec",
    "simulate_interface",
    "sweep_interface",
    "uniform_drop_V",
]
