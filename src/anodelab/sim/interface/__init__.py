"""Current and field distributions at metal / electrolyte interfaces by finite elements (scikit-fem).

Point contacts and voids (:class:`Strips`, :class:`Disk`), protrusions (:class:`Protrusion`), rough
surfaces from a height profile (:class:`Profile`) and ion-, electron- or mixed-conducting
interlayers (:class:`Interlayer`), with primary (equipotential contact) or secondary (linear or
Butler-Volmer) kinetics: :func:`simulate_interface` gives the current density along the interface,
its max / mean ratio, the field map and the effective and constriction resistances (ohm cm2, to set
against a measured interfacial ASR); :func:`sweep_interface` runs one parameter over values.

Needs the ``fem`` extra (``pip install 'anodelab[fem]'``); scikit-fem is imported only when a case
is solved, so this package imports without it and says what to install when it is missing.
"""

from anodelab.sim.interface.geometry import (
    Disk,
    Interlayer,
    Profile,
    Protrusion,
    Strips,
)
from anodelab.sim.interface.model import simulate_interface, uniform_drop_V
from anodelab.sim.interface.result import InterfaceResult, InterfaceSweep
from anodelab.sim.interface.sweep import SWEEPS, sweep_interface

__all__ = [
    "SWEEPS",
    "Disk",
    "InterfaceResult",
    "InterfaceSweep",
    "Interlayer",
    "Profile",
    "Protrusion",
    "Strips",
    "simulate_interface",
    "sweep_interface",
    "uniform_drop_V",
]
