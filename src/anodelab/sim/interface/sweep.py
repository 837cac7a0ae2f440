"""Parameter sweeps of interface simulations: one call, one result with a table."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import Any

from anodelab.core.errors import ValidationError
from anodelab.core.result import stamps_call
from anodelab.sim.interface.geometry import Disk, Geometry, Strips, geometry_dict
from anodelab.sim.interface.model import simulate_interface
from anodelab.sim.interface.result import InterfaceSweep

SWEEPS = ("contact_fraction", "current_mA_cm2", "interlayer_kappa_S_cm", "seed")


def _case(geometry: Geometry, parameter: str, value: float, options: dict[str, Any]) -> tuple[Geometry, dict[str, Any]]:
    if parameter == "current_mA_cm2":
        return geometry, {**options, "current_mA_cm2": value}
    if parameter == "seed":
        if not isinstance(geometry, Strips) or geometry.layout != "random":
            raise ValidationError("parameter", "seed sweeps need strips with layout='random'")
        if value != int(value) or value < 0:
            raise ValidationError("values", f"seeds are integers >= 0, got {value!r}")
        return dataclasses.replace(geometry, seed=int(value)), options
    if parameter == "contact_fraction":
        if isinstance(geometry, Strips):
            return dataclasses.replace(geometry, contact_fraction=value), options
        if isinstance(geometry, Disk):  # the disk's share of the cell's area
            if not 0 < value <= 1:
                raise ValidationError("contact_fraction", f"must lie in (0, 1], got {value!r}")
            return dataclasses.replace(geometry, radius_um=geometry.cell_radius_um * math.sqrt(value)), options
        raise ValidationError("parameter", f"contact_fraction sweeps need strips or a disk, not {geometry.name}")
    if geometry.interlayer is None:
        raise ValidationError("parameter", "interlayer_kappa_S_cm sweeps need a geometry with an interlayer")
    return dataclasses.replace(geometry, interlayer=dataclasses.replace(geometry.interlayer, kappa_S_cm=value)), options


@stamps_call
def sweep_interface(geometry: Geometry, parameter: str, values: Sequence[float], **options: Any) -> InterfaceSweep:
    """:func:`simulate_interface` of ``geometry`` at each of ``values`` of ``parameter`` (one of
    :data:`SWEEPS`: ``contact_fraction`` of strips or a disk, ``current_mA_cm2``,
    ``interlayer_kappa_S_cm``, ``seed`` of a random layout: the spread of R_eff over layouts), the
    other ``options`` passed on."""
    if parameter not in SWEEPS:
        raise ValidationError("parameter", f"must be one of {', '.join(SWEEPS)}, got {parameter!r}")
    numbers = tuple(float(v) for v in values)
    if not numbers:
        raise ValidationError("values", "give at least one value to sweep")
    results = []
    for value in numbers:
        case, keywords = _case(geometry, parameter, value, dict(options))
        results.append(simulate_interface(case, **keywords))
    warnings = tuple(f"{parameter} = {value:g}: {w}" for value, r in zip(numbers, results, strict=True) for w in r.warnings)
    return InterfaceSweep(parameter, numbers, tuple(results), parameters={"geometry": geometry_dict(geometry)},
                         warnings=warnings)
