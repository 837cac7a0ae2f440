"""Cell metadata: what was measured, so numbers can be normalised and half-cycles named.

A ``cell.toml`` beside a data file describes the cell (all keys optional except ``cell_type``)::

    cell_type = "anode-half"        # anode-half | cathode-half | full | symmetric | plating | blocking
    temperature_C = 25.0
    pressure_MPa = 50.0
    notes = "Si-ZnO | Li6PS5Cl | Li-In"

    [working_electrode]
    material = "Si-ZnO"
    mass_mg = 2.10                  # electrode (coating) mass, mg
    active_fraction = 0.60          # active material / electrode mass, in (0, 1]
    area_cm2 = 0.785
    thickness_um = 35.0
    composition = "Si:0.884, ZnO:0.116"   # active material: a host formula, or HOST:FRACTION by mass
    end_phase = "Si:Li15Si4, ZnO:LiZn + Li2O"   # optional; default: each host's usual end phase

    [counter_electrode]
    material = "Li-In"

    [electrolyte]
    kind = "Li6PS5Cl"
    thickness_um = 600.0
    area_cm2 = 0.785

``composition`` and ``end_phase`` are kept as text here (the cycling summary turns them into the
theoretical capacity, hence the utilisation %, through :mod:`anodelab.design`, which checks them).
Unknown keys are rejected (a typo must not silently drop a mass). The file must be a regular file
of at most :data:`MAX_TOML_BYTES`, UTF-8 text (a byte-order mark is allowed), and valid TOML.
"""

from __future__ import annotations

import math
import os
import reprlib
import stat
import sys
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from anodelab.core.errors import MetadataError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

CELL_TYPES = ("anode-half", "cathode-half", "full", "symmetric", "plating", "blocking")
#: a cell.toml is a few hundred bytes; a larger file is refused unread (it is not a cell description)
MAX_TOML_BYTES = 1 << 20


def _check_text(field_name: str, value: object, optional: bool = True) -> None:
    if not (isinstance(value, str) or (optional and value is None)):
        raise MetadataError(field_name, f"must be text, got {reprlib.repr(value)}")


def _check_positive(field_name: str, value: float | None) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise MetadataError(field_name, f"must be a number, got {reprlib.repr(value)}")
    if not math.isfinite(value) or value <= 0:
        raise MetadataError(field_name, f"must be a finite number > 0, got {value!r}")


@dataclass(frozen=True)
class Electrode:
    """One electrode: material, electrode mass (mg), active fraction, area (cm2), thickness (um), and the
    active material's composition (a formula or ``HOST:FRACTION, ...`` by mass) with its end phase."""

    material: str | None = None
    mass_mg: float | None = None
    active_fraction: float = 1.0
    area_cm2: float | None = None
    thickness_um: float | None = None
    composition: str | None = None
    end_phase: str | None = None

    def validate(self, prefix: str) -> None:
        _check_text(f"{prefix}.material", self.material)
        for name in ("composition", "end_phase"):
            value = getattr(self, name)
            _check_text(f"{prefix}.{name}", value)
            if value is not None and not value.strip():
                raise MetadataError(f"{prefix}.{name}", "must not be empty (leave the key out instead)")
        if self.end_phase is not None and self.composition is None:
            raise MetadataError(f"{prefix}.end_phase", "needs the composition it applies to (composition)")
        _check_positive(f"{prefix}.mass_mg", self.mass_mg)
        _check_positive(f"{prefix}.area_cm2", self.area_cm2)
        _check_positive(f"{prefix}.thickness_um", self.thickness_um)
        fraction = self.active_fraction
        if isinstance(fraction, bool) or not isinstance(fraction, (int, float)):
            raise MetadataError(f"{prefix}.active_fraction", f"must be a number, got {reprlib.repr(fraction)}")
        if not (0.0 < fraction <= 1.0):
            raise MetadataError(
                f"{prefix}.active_fraction", f"must lie in (0, 1], got {fraction!r}"
            )

    @property
    def active_mass_mg(self) -> float | None:
        """Active-material mass (mg) = electrode mass x active fraction; None when the mass is unknown."""
        return None if self.mass_mg is None else self.mass_mg * self.active_fraction


@dataclass(frozen=True)
class Electrolyte:
    """Electrolyte or separator: kind, thickness (um) and area (cm2) between the electrodes."""

    kind: str | None = None
    thickness_um: float | None = None
    area_cm2: float | None = None

    def validate(self, prefix: str) -> None:
        _check_text(f"{prefix}.kind", self.kind)
        _check_positive(f"{prefix}.thickness_um", self.thickness_um)
        _check_positive(f"{prefix}.area_cm2", self.area_cm2)


@dataclass(frozen=True)
class CellInfo:
    """What cell was measured. Validated on construction; errors name the offending field."""

    cell_type: str
    working_electrode: Electrode = field(default_factory=Electrode)
    counter_electrode: Electrode = field(default_factory=Electrode)
    electrolyte: Electrolyte = field(default_factory=Electrolyte)
    temperature_C: float | None = None
    pressure_MPa: float | None = None
    notes: str = ""
    source: str | None = None  # the cell.toml it came from, if any

    def __post_init__(self) -> None:
        if not isinstance(self.cell_type, str) or self.cell_type not in CELL_TYPES:
            raise MetadataError(
                "cell_type", f"unknown cell type {reprlib.repr(self.cell_type)}; expected one of {', '.join(CELL_TYPES)}"
            )
        _check_text("notes", self.notes, optional=False)
        self.working_electrode.validate("working_electrode")
        self.counter_electrode.validate("counter_electrode")
        self.electrolyte.validate("electrolyte")
        temperature = self.temperature_C
        if temperature is not None and (
            isinstance(temperature, bool) or not isinstance(temperature, (int, float)) or not temperature > -273.15
        ):
            raise MetadataError("temperature_C", f"must be above -273.15, got {reprlib.repr(temperature)}")
        _check_positive("pressure_MPa", self.pressure_MPa)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], source: str | None = None) -> CellInfo:
        """Build from a nested mapping with the layout of ``cell.toml``."""
        where = f"{source}: " if source else ""
        known = {f.name for f in fields(cls)} - {"source"}
        unknown = sorted(set(data) - known)
        if unknown:
            raise MetadataError(unknown[0], f"{where}unknown key; expected one of {', '.join(sorted(known))}")
        if "cell_type" not in data:
            raise MetadataError("cell_type", f"{where}missing; expected one of {', '.join(CELL_TYPES)}")
        kwargs: dict[str, Any] = dict(data)
        for name, kind in (
            ("working_electrode", Electrode),
            ("counter_electrode", Electrode),
            ("electrolyte", Electrolyte),
        ):
            if name in kwargs:
                kwargs[name] = _section(kind, name, kwargs[name], where)
        try:
            return cls(**kwargs, source=source)
        except MetadataError as error:
            if where:
                raise MetadataError(error.field, f"{where}{str(error).split(': ', 1)[1]}") from None
            raise

    @classmethod
    def from_toml(cls, path: str | Path) -> CellInfo:
        """Load a ``cell.toml`` file."""
        path = Path(path)
        return cls.from_dict(read_toml(path, "cell.toml"), source=str(path))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_toml(self) -> str:
        """TOML text that :meth:`from_toml` reads back to an equal CellInfo."""
        lines: list[str] = []
        sections: list[str] = []
        for key, value in self.to_dict().items():
            if key == "source" or value is None:
                continue
            if isinstance(value, dict):
                body = [f"{k} = {_toml_value(v)}" for k, v in value.items() if v is not None]
                if body:
                    sections.append("\n".join([f"[{key}]", *body]))
            elif not (key == "notes" and value == ""):
                lines.append(f"{key} = {_toml_value(value)}")
        return "\n\n".join(["\n".join(lines), *sections]) + "\n"


def read_toml(path: Path, what: str) -> dict[str, Any]:
    """The table of a small TOML settings file (``what``: ``cell.toml``, ``study.toml``, which errors
    name): a regular file of at most :data:`MAX_TOML_BYTES`, UTF-8, valid TOML, nested sanely."""
    try:
        return tomllib.loads(_toml_text(path, what))
    except tomllib.TOMLDecodeError as error:
        raise MetadataError(what, f"{path}: not valid TOML ({error})") from None
    except RecursionError:
        raise MetadataError(what, f"{path}: not valid TOML (arrays or tables nested too deeply)") from None


def _toml_text(path: Path, what: str) -> str:
    """The text of a settings file: a regular file (a FIFO or device is refused without blocking on it),
    at most MAX_TOML_BYTES, UTF-8."""
    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as error:
        raise MetadataError(what, f"{path}: cannot be opened ({error.strerror})") from None
    if not stat.S_ISREG(os.fstat(descriptor).st_mode):
        os.close(descriptor)
        raise MetadataError(what, f"{path}: not a regular file")
    with os.fdopen(descriptor, "rb") as handle:
        raw = handle.read(MAX_TOML_BYTES + 1)
    if len(raw) > MAX_TOML_BYTES:
        raise MetadataError(what, f"{path}: larger than {MAX_TOML_BYTES >> 20} MiB; a settings file is a few lines")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise MetadataError(what, f"{path}: not UTF-8 text (byte 0x{raw[error.start]:02x} at offset "
                            f"{error.start})") from None


def _section(kind: type, name: str, value: Any, where: str) -> Any:
    if isinstance(value, kind):
        return value
    if not isinstance(value, Mapping):
        raise MetadataError(name, f"{where}must be a table of keys, got {reprlib.repr(value)}")
    known = {f.name for f in fields(kind)}
    unknown = sorted(set(value) - known)
    if unknown:
        raise MetadataError(
            f"{name}.{unknown[0]}", f"{where}unknown key; expected one of {', '.join(sorted(known))}"
        )
    return kind(**value)


def _toml_value(value: Any) -> str:
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(float(value)) if isinstance(value, float) else str(value)
