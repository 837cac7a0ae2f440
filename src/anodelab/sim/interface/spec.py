"""One interface simulation (or sweep) from a plain mapping: :func:`run_interface_spec`.

The keys are the options of ``anodelab sim interface`` with underscores for dashes (``geometry``,
``contact_fraction``, ``kappa_S_cm``, ...; see :data:`KEYS`), so a study's ``*.sim.toml`` and the
command line describe a case the same way, and the command line builds its case through here.
``profile`` is a text file of two columns (x_um, height_um; a path relative to ``base``) or a list
of ``[x_um, height_um]`` pairs; ``sweep`` names one of :data:`~anodelab.sim.interface.sweep.SWEEPS`
(dashes or underscores) and ``values`` its values (a list, or "V1,V2,..."). Unknown keys, keys the
geometry does not take and values of the wrong type raise ValidationError naming the key.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from anodelab.core.errors import ReadError, ValidationError
from anodelab.sim.interface.electrolyte import Electrolyte
from anodelab.sim.interface.geometry import (
    Disk,
    Geometry,
    Interlayer,
    Profile,
    Protrusion,
    Strips,
)
from anodelab.sim.interface.model import simulate_interface
from anodelab.sim.interface.result import InterfaceResult, InterfaceSweep
from anodelab.sim.interface.sweep import SWEEPS, sweep_interface

GEOMETRIES = ("strips", "disk", "protrusion", "interlayer", "profile")
NUMBER, INTEGER, TEXT, FLAG, POINTS, LIST = "a number", "an integer", "a string", "true or false", \
    "a file path or a list of [x_um, height_um] pairs", "a list of numbers or 'V1,V2,...'"
#: every key and the type of its value
KEYS: dict[str, str] = {
    "geometry": TEXT, "thickness_um": NUMBER, "kappa_S_cm": NUMBER,
    "contact_fraction": NUMBER, "period_um": NUMBER, "layout": TEXT, "seed": INTEGER, "spot_um": NUMBER,
    "radius_um": NUMBER, "cell_radius_um": NUMBER, "height_um": NUMBER, "shape": TEXT, "planar": FLAG, "profile": POINTS,
    "interlayer_thickness_um": NUMBER, "interlayer_kappa_S_cm": NUMBER, "interlayer_sigma_S_cm": NUMBER,
    "interlayer_i0_mA_cm2": NUMBER,
    "kinetics": TEXT, "i0_mA_cm2": NUMBER, "current_mA_cm2": NUMBER, "counter": TEXT, "elements": INTEGER,
    "order": INTEGER, "threshold_ratio": NUMBER,
    "transport": TEXT, "c0_mol_L": NUMBER, "D_cm2_s": NUMBER, "t_plus": NUMBER, "salt": TEXT,
    "sweep": TEXT, "values": LIST,
}
INTERLAYER_KEYS = ("interlayer_thickness_um", "interlayer_kappa_S_cm", "interlayer_sigma_S_cm", "interlayer_i0_mA_cm2")
#: the keys each geometry takes beyond the common ones
GEOMETRY_KEYS: dict[str, tuple[str, ...]] = {
    "strips": ("contact_fraction", "period_um", "layout", "seed", "spot_um", *INTERLAYER_KEYS),
    "interlayer": ("contact_fraction", "period_um", "layout", "seed", "spot_um", *INTERLAYER_KEYS),
    "disk": ("radius_um", "cell_radius_um", *INTERLAYER_KEYS),
    "protrusion": ("height_um", "radius_um", "shape", "cell_radius_um", "planar", *INTERLAYER_KEYS),
    "profile": ("profile", *INTERLAYER_KEYS),
}
COMMON_KEYS = ("geometry", "thickness_um", "kappa_S_cm", "kinetics", "i0_mA_cm2", "current_mA_cm2", "counter", "elements",
               "order", "threshold_ratio", "transport", "c0_mol_L", "D_cm2_s", "t_plus", "salt", "sweep", "values")
#: simulate_interface's options taken as they are
OPTIONS = ("kinetics", "i0_mA_cm2", "current_mA_cm2", "counter", "elements", "order", "threshold_ratio", "transport")
ELECTROLYTE_KEYS = ("c0_mol_L", "D_cm2_s", "t_plus", "salt")


def run_interface_spec(spec: Mapping[str, Any], *, base: Path | None = None) -> InterfaceResult | InterfaceSweep:
    """The simulation (or sweep, with ``sweep`` and ``values``) that ``spec`` describes; a pure function of
    ``spec`` (and the profile file it names, relative to ``base``, default the working directory)."""
    values = _checked(spec)
    geometry = _geometry(values, base)
    options = {key: values[key] for key in OPTIONS if key in values}
    options["kappa_S_cm"] = values["kappa_S_cm"]
    electrolyte = _electrolyte(values)
    if electrolyte is not None:
        options["electrolyte"] = electrolyte
    if "sweep" not in values:
        if "values" in values:
            raise ValidationError("values", "needs sweep")
        return simulate_interface(geometry, **options)
    parameter = values["sweep"].replace("-", "_")
    if parameter not in SWEEPS:
        raise ValidationError("sweep", f"must be one of {', '.join(SWEEPS)}, got {values['sweep']!r}")
    if "values" not in values:
        raise ValidationError("sweep", "needs values V1,V2,...")
    options.pop(parameter, None)
    return sweep_interface(geometry, parameter, values["values"], **options)


def _checked(spec: Mapping[str, Any]) -> dict[str, Any]:
    """The spec's values, each of its key's type; ValidationError naming an unknown or misplaced key."""
    if not isinstance(spec, Mapping):
        raise ValidationError("spec", f"must be a mapping of option names to values, got {type(spec).__name__}")
    out: dict[str, Any] = {}
    for key, value in spec.items():
        if key not in KEYS:
            raise ValidationError(str(key), f"unknown key; expected one of {', '.join(KEYS)}")
        out[key] = CHECKS[KEYS[key]](key, value)
    for key in ("geometry", "thickness_um", "kappa_S_cm"):
        if key not in out:
            raise ValidationError(key, "is required")
    name = out["geometry"]
    if name not in GEOMETRIES:
        raise ValidationError("geometry", f"must be one of {', '.join(GEOMETRIES)}, got {name!r}")
    for key in out:
        if key not in COMMON_KEYS and key not in GEOMETRY_KEYS[name]:
            takes = [g for g, keys in GEOMETRY_KEYS.items() if key in keys]
            raise ValidationError(key, f"does not apply to geometry {name!r} (only to {', '.join(takes)})")
    return out


def _number(key: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValidationError(key, f"expected {NUMBER}, got {value!r}")
    return float(value)


def _integer(key: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(key, f"expected {INTEGER}, got {value!r}")
    return value


def _text(key: str, value: Any) -> str:
    if not isinstance(value, str):
        raise ValidationError(key, f"expected {TEXT}, got {value!r}")
    return value


def _flag(key: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValidationError(key, f"expected {FLAG}, got {value!r}")
    return value


def _points(key: str, value: Any) -> str | list[tuple[float, float]]:
    if isinstance(value, (str, Path)):
        return str(value)
    if isinstance(value, (list, tuple)) and all(isinstance(p, (list, tuple)) and len(p) == 2 for p in value):
        return [(_number(key, x), _number(key, z)) for x, z in value]
    raise ValidationError(key, f"expected {POINTS}, got {value!r}")


def _list(key: str, value: Any) -> list[float]:
    if isinstance(value, str):
        try:
            return [float(part) for part in value.split(",") if part.strip()]
        except ValueError:
            raise ValidationError(key, f"expected {LIST}, got {value!r}") from None
    if isinstance(value, (list, tuple)):
        return [_number(key, v) for v in value]
    raise ValidationError(key, f"expected {LIST}, got {value!r}")


CHECKS: dict[str, Callable[[str, Any], Any]] = {NUMBER: _number, INTEGER: _integer, TEXT: _text, FLAG: _flag,
                                                POINTS: _points, LIST: _list}


def _need(values: Mapping[str, Any], *keys: str) -> None:
    missing = [key for key in keys if key not in values]
    if missing:
        raise ValidationError(missing[0], f"geometry {values['geometry']!r} needs {', '.join(missing)}")


def _swept(values: Mapping[str, Any], key: str) -> Any:
    """The first value of a sweep over ``key`` (standing in for it when the spec leaves it out), else None."""
    if values.get("sweep", "").replace("-", "_") == key and values.get("values") and key not in values:
        return values["values"][0]
    return values.get(key)


def _interlayer(values: Mapping[str, Any]) -> Interlayer | None:
    if not any(key in values for key in INTERLAYER_KEYS) and values["geometry"] != "interlayer":
        return None
    _need(values, "interlayer_thickness_um")
    kappa = _swept(values, "interlayer_kappa_S_cm")
    if kappa is None and not values.get("interlayer_sigma_S_cm"):
        raise ValidationError("interlayer_kappa_S_cm", "an interlayer needs interlayer_kappa_S_cm (and/or interlayer_sigma_S_cm)")
    return Interlayer(values["interlayer_thickness_um"], kappa or 0.0, values.get("interlayer_sigma_S_cm", 0.0),
                      values.get("interlayer_i0_mA_cm2"))


def _geometry(values: Mapping[str, Any], base: Path | None) -> Geometry:
    name, L = values["geometry"], values["thickness_um"]
    interlayer = _interlayer(values)
    if name in ("strips", "interlayer"):
        fraction = _swept(values, "contact_fraction")
        if name == "strips" and fraction is None:
            _need(values, "contact_fraction")
        return Strips(1.0 if fraction is None else fraction, values.get("period_um", 10.0), L, interlayer,
                      layout=values.get("layout", "periodic"), seed=values.get("seed"), spot_um=values.get("spot_um"))
    if name == "disk":
        _need(values, "radius_um")
        return Disk(values["radius_um"], values.get("cell_radius_um", 10.0 * values["radius_um"]), L, interlayer)
    if name == "protrusion":
        _need(values, "height_um", "radius_um")
        return Protrusion(values["height_um"], values["radius_um"], L, values.get("shape", "hemisphere"),
                          values.get("cell_radius_um"), axisymmetric=not values.get("planar", False), interlayer=interlayer)
    _need(values, "profile")
    profile = values["profile"]
    if isinstance(profile, str):
        path = Path(profile)
        x, z = read_profile(path if base is None or path.is_absolute() else base / path)
    else:
        x, z = [p[0] for p in profile], [p[1] for p in profile]
    return Profile(x, z, L, interlayer)


def _electrolyte(values: Mapping[str, Any]) -> Electrolyte | None:
    given = [key for key in ELECTROLYTE_KEYS if key in values]
    if values.get("transport", "ohmic") != "nernst-planck":
        if given:
            raise ValidationError(given[0], "applies only with transport 'nernst-planck'")
        return None
    missing = [key for key in ("c0_mol_L", "D_cm2_s", "t_plus") if key not in values]
    if missing:
        raise ValidationError(missing[0], "transport 'nernst-planck' needs c0_mol_L, D_cm2_s and t_plus")
    return Electrolyte(values["c0_mol_L"], values["D_cm2_s"], values["t_plus"], values.get("salt", "conserved"))


def read_profile(path: Path) -> tuple[list[float], list[float]]:
    """Two numeric columns (x_um, height_um) of a text file; '#' comments and one header line allowed."""
    try:
        text = path.read_text(errors="replace")
    except OSError as error:
        raise ReadError(path, f"cannot be read ({error.strerror or error})", expected="two columns x_um, height_um") from None
    rows: list[tuple[float, float]] = []
    header = False
    for number, line in enumerate(text.splitlines(), start=1):
        parts = [p for p in re.split(r"[,;\s]+", line.split("#", 1)[0].strip()) if p]
        if not parts:
            continue
        try:
            rows.append((float(parts[0]), float(parts[1])))
        except (ValueError, IndexError):
            if rows or header:
                raise ReadError(path, f"line {number} is not two numbers: {line.strip()[:60]!r}",
                                expected="two columns x_um, height_um") from None
            header = True
    if len(rows) < 2:
        raise ReadError(path, "fewer than two (x, height) rows", expected="two columns x_um, height_um")
    return [r[0] for r in rows], [r[1] for r in rows]
