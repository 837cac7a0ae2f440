"""Parametrised interface geometries (lengths in micrometres; meshed in centimetres, conductivities in S/cm).

Every geometry is an electrolyte layer above a metal electrode, in a 2-D planar (per unit depth) or
axisymmetric (r, z) cross-section; ``x`` runs along the electrode (``x = 0`` a symmetry plane or the
axis), ``y`` away from it, up to the counter boundary; the side ``x = W`` is a symmetry plane
(insulating).

- :class:`Strips`: contact strips of contact fraction ``f``: ``periodic`` (period ``p``, half a period
  meshed, the strip centred on ``x = 0``) or ``random`` (spots of width ``w`` at seeded random,
  non-overlapping positions in a window of width ``p``, mirrored at both sides); the rest of the
  electrode is a void (insulating).
- :class:`Disk`: one contact disk of radius ``a`` in a cell of radius ``b`` (axisymmetric).
- :class:`Protrusion`: a hemispherical cap, half spheroid, Gaussian bump or needle (dendrite) of
  height ``h`` and base radius ``r`` on a flat electrode, in a mesh that follows its surface.
- :class:`Profile`: a rough surface from a height profile the user gives (e.g. a profilometry line).
- :class:`Interlayer`: a conformal layer of thickness ``t`` (along the surface's normals) between the
  metal and the electrolyte of any geometry, with ionic and (for mixed conduction) electronic
  conductivity. ``thickness_um`` is always the electrolyte's, above the layer: the counter stands
  ``t + thickness_um`` above the electrode's plane.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from anodelab.core.errors import ValidationError
from anodelab.models.kinetics import check_positive
from anodelab.sim.interface.bump import SHAPES, Bump, bump_mesh
from anodelab.sim.interface.meshes import GridMesh, graded_nodes, layered_mesh

__all__ = ["LAYOUTS", "SHAPES", "UM_TO_CM", "Disk", "Geometry", "GridMesh", "Interlayer", "Profile", "Protrusion",
           "Strips", "geometry_dict", "graded_nodes"]

UM_TO_CM = 1e-4
Shape = Literal["hemisphere", "spheroid", "gaussian", "needle"]
LAYOUTS = ("periodic", "random")
Layout = Literal["periodic", "random"]
#: height / radius allowed per shape (the mesh resolves these)
ASPECT_LIMITS = {"hemisphere": (0.05, 1.0), "spheroid": (0.05, 20.0), "gaussian": (0.05, 5.0), "needle": (1.0, 50.0)}


@dataclass(frozen=True)
class Interlayer:
    """A layer of thickness ``thickness_um`` between the metal and the electrolyte.

    ``kappa_S_cm`` is its ionic conductivity; ``sigma_S_cm`` its electronic conductivity (0: a pure
    ion conductor; > 0: a mixed conductor, or with ``kappa_S_cm = 0`` an electron conductor, on whose
    top surface metal ions also react, with exchange current density ``i0_mA_cm2``, default the
    electrode's).
    """

    thickness_um: float
    kappa_S_cm: float
    sigma_S_cm: float = 0.0
    i0_mA_cm2: float | None = None

    def __post_init__(self) -> None:
        check_positive("interlayer thickness_um", self.thickness_um)
        check_positive("interlayer kappa_S_cm", self.kappa_S_cm, allow_zero=True)
        check_positive("interlayer sigma_S_cm", self.sigma_S_cm, allow_zero=True)
        if self.kappa_S_cm == 0 and self.sigma_S_cm == 0:
            raise ValidationError("interlayer", "needs an ionic (kappa_S_cm) or electronic (sigma_S_cm) conductivity > 0")
        if self.i0_mA_cm2 is not None:
            check_positive("interlayer i0_mA_cm2", self.i0_mA_cm2)

    @property
    def electronic(self) -> bool:
        """Whether electrons move in the layer (metal deposits on its top surface too)."""
        return self.sigma_S_cm > 0


def _layer_cm(interlayer: Interlayer | None) -> float:
    return interlayer.thickness_um * UM_TO_CM if interlayer is not None else 0.0


@dataclass(frozen=True)
class Strips:
    """Contact strips of contact fraction ``contact_fraction`` under an electrolyte of thickness
    ``thickness_um`` (and an optional interlayer).

    ``layout="periodic"``: strips of period ``period_um``. ``layout="random"``: in a window of width
    ``period_um`` (mirrored at both sides), ``n = round(f p / spot_um)`` spots at positions drawn
    uniformly among the non-overlapping arrangements (``numpy.random.default_rng(seed)``), each
    ``f p / n`` wide so that the contact fraction is exact (:attr:`spot_width_um`).
    """

    contact_fraction: float
    period_um: float
    thickness_um: float
    interlayer: Interlayer | None = None
    layout: Layout = "periodic"
    seed: int | None = None
    spot_um: float | None = None
    name: str = field(default="strips", init=False)
    axisymmetric: bool = field(default=False, init=False)

    def __post_init__(self) -> None:
        f = check_positive("contact_fraction", self.contact_fraction)
        if f > 1:
            raise ValidationError("contact_fraction", f"must lie in (0, 1], got {self.contact_fraction!r}")
        check_positive("period_um", self.period_um)
        check_positive("thickness_um", self.thickness_um)
        if self.layout not in LAYOUTS:
            raise ValidationError("layout", f"must be one of {', '.join(LAYOUTS)}, got {self.layout!r}")
        if self.layout == "periodic":
            if self.seed is not None or self.spot_um is not None:
                raise ValidationError("layout", "seed and spot_um place random spots: give layout='random' with them")
            return
        if self.spot_um is None:
            raise ValidationError("spot_um", "a random layout needs the spots' width spot_um")
        spot = check_positive("spot_um", self.spot_um)
        if isinstance(self.seed, bool) or not isinstance(self.seed, (int, np.integer)) or self.seed < 0:
            raise ValidationError("seed", f"a random layout needs an integer seed >= 0, got {self.seed!r}")
        if round(f * self.period_um / spot) < 1:
            raise ValidationError("spot_um", f"spots of {spot:g} um do not fit a contact of {f:g} x {self.period_um:g} um")

    @property
    def spot_count(self) -> int:
        """Spots in the meshed width (one, half of it, for the periodic layout)."""
        if self.layout == "periodic" or self.spot_um is None:
            return 1
        return round(self.contact_fraction * self.period_um / self.spot_um)

    @property
    def spot_width_um(self) -> float:
        """Width of each spot (the periodic layout's: the strip, ``f p``)."""
        return self.contact_fraction * self.period_um / (1 if self.layout == "periodic" else self.spot_count)

    def spots_um(self) -> NDArray[np.float64]:
        """(n, 2) intervals [start, end] of x in contact in the meshed width."""
        f, p = self.contact_fraction, self.period_um
        if self.layout == "periodic":
            return np.array([[0.0, 0.5 * f * p]])
        n, w = self.spot_count, self.spot_width_um
        free = np.sort(np.random.default_rng(self.seed).uniform(0.0, p - n * w, n))
        start = free + w * np.arange(n)
        return np.vstack((start, start + w)).T

    @property
    def width_um(self) -> float:
        """The meshed width: half a period, or the random layout's window."""
        return 0.5 * self.period_um if self.layout == "periodic" else self.period_um

    def mesh(self, elements: int) -> GridMesh:
        spots = self.spots_um() * UM_TO_CM
        whole = self.contact_fraction >= 1.0 - 1e-12
        return layered_mesh(self.width_um * UM_TO_CM, None if whole else spots, self.thickness_um * UM_TO_CM,
                            _layer_cm(self.interlayer), elements, axisymmetric=False, surface=None)


@dataclass(frozen=True)
class Disk:
    """One contact disk of radius ``radius_um`` in a cell of radius ``cell_radius_um`` (axisymmetric)."""

    radius_um: float
    cell_radius_um: float
    thickness_um: float
    interlayer: Interlayer | None = None
    name: str = field(default="disk", init=False)
    axisymmetric: bool = field(default=True, init=False)

    def __post_init__(self) -> None:
        check_positive("radius_um", self.radius_um)
        check_positive("cell_radius_um", self.cell_radius_um)
        check_positive("thickness_um", self.thickness_um)
        if self.radius_um > self.cell_radius_um:
            raise ValidationError("radius_um", f"the disk ({self.radius_um} um) must fit in the cell "
                                               f"(cell_radius_um {self.cell_radius_um})")

    def mesh(self, elements: int) -> GridMesh:
        b, a = self.cell_radius_um * UM_TO_CM, self.radius_um * UM_TO_CM
        spots = None if a >= b * (1.0 - 1e-12) else np.array([[0.0, a]])
        return layered_mesh(b, spots, self.thickness_um * UM_TO_CM, _layer_cm(self.interlayer), elements,
                            axisymmetric=True, surface=None)


@dataclass(frozen=True)
class Protrusion:
    """A protrusion of height ``height_um`` and base radius ``radius_um`` centred on ``x = 0`` of a flat
    electrode, under an electrolyte ``thickness_um`` thick above the plane (and the interlayer), the
    cell ``cell_radius_um`` wide (half-width in 2-D; default ten radii).

    ``shape``: ``hemisphere`` (a spherical cap; a hemisphere when height = radius), ``spheroid`` (half a
    spheroid), ``gaussian`` (``h (exp(-x^2 / 2 s^2) - exp(-r^2 / 2 s^2)) / (1 - exp(-r^2 / 2 s^2))``,
    ``s = r / 3``) or ``needle`` (a cylinder of radius ``r`` with a hemispherical tip, apex at ``h``:
    a dendrite). ``axisymmetric``: a bump (True, default) or a ridge (False, 2-D). ``interlayer``: a
    conformal coating over the protrusion and the plane.
    """

    height_um: float
    radius_um: float
    thickness_um: float
    shape: Shape = "hemisphere"
    cell_radius_um: float | None = None
    axisymmetric: bool = True
    interlayer: Interlayer | None = None
    name: str = field(default="protrusion", init=False)

    def __post_init__(self) -> None:
        h = check_positive("height_um", self.height_um)
        r = check_positive("radius_um", self.radius_um)
        L = check_positive("thickness_um", self.thickness_um)
        if self.shape not in SHAPES:
            raise ValidationError("shape", f"must be one of {', '.join(SHAPES)}, got {self.shape!r}")
        low, high = ASPECT_LIMITS[self.shape]
        if not (low <= h / r <= high) or (self.shape == "needle" and h <= r):
            kind = "a spherical cap is at most a hemisphere: " if self.shape == "hemisphere" and h > r else ""
            raise ValidationError("height_um", f"{kind}height / radius of a {self.shape} must lie in "
                                               f"{'(' if self.shape == 'needle' else '['}{low:g}, {high:g}], got {h / r:.3g}")
        if L < 1.5 * h:
            raise ValidationError("thickness_um", f"the counter must stand well above the protrusion (>= 1.5 height), got {L}")
        t = self.interlayer.thickness_um if self.interlayer is not None else 0.0
        if t > 0.5 * r:
            raise ValidationError("interlayer thickness_um", f"a coating on a protrusion must be at most half its radius "
                                                             f"({0.5 * r:g} um), got {t:g}")
        if self.cell_radius_um is not None and check_positive("cell_radius_um", self.cell_radius_um) < 1.5 * (r + t):
            raise ValidationError("cell_radius_um", f"must be >= 1.5 (radius_um + coating), got {self.cell_radius_um}")

    @property
    def width_um(self) -> float:
        return 10.0 * self.radius_um if self.cell_radius_um is None else self.cell_radius_um

    @property
    def bump(self) -> Bump:
        return Bump(self.shape, self.height_um * UM_TO_CM, self.radius_um * UM_TO_CM)

    def mesh(self, elements: int) -> GridMesh:
        return bump_mesh(self.bump, self.width_um * UM_TO_CM, self.thickness_um * UM_TO_CM, _layer_cm(self.interlayer),
                         elements, axisymmetric=self.axisymmetric)


@dataclass(frozen=True)
class Profile:
    """A rough electrode from a height profile (``x_um`` increasing, ``height_um``), under an
    electrolyte of mean thickness ``thickness_um`` (measured from the profile's mean height, above
    the interlayer)."""

    x_um: tuple[float, ...]
    height_um: tuple[float, ...]
    thickness_um: float
    interlayer: Interlayer | None = None
    name: str = field(default="profile", init=False)
    axisymmetric: bool = field(default=False, init=False)

    def __init__(self, x_um: ArrayLike, height_um: ArrayLike, thickness_um: float,
                 interlayer: Interlayer | None = None) -> None:
        x = np.asarray(x_um, dtype=np.float64).ravel()
        z = np.asarray(height_um, dtype=np.float64).ravel()
        if x.size < 2 or x.size != z.size:
            raise ValidationError("height profile", f"needs two or more (x, height) pairs of equal length, got {x.size} and {z.size}")
        if not (np.all(np.isfinite(x)) and np.all(np.isfinite(z))):
            raise ValidationError("height profile", "x and height must be finite numbers")
        if np.any(np.diff(x) <= 0):
            raise ValidationError("height profile", "x_um must increase strictly")
        check_positive("thickness_um", thickness_um)
        relief = float(np.max(z) - np.mean(z))
        if thickness_um <= 1.5 * relief:
            raise ValidationError("thickness_um", f"the counter must stand well above the highest peak "
                                                  f"(> 1.5 x {relief:.4g} um above the mean height), got {thickness_um}")
        object.__setattr__(self, "x_um", tuple(float(v) for v in x))
        object.__setattr__(self, "height_um", tuple(float(v) for v in z))
        object.__setattr__(self, "thickness_um", float(thickness_um))
        object.__setattr__(self, "interlayer", interlayer)
        object.__setattr__(self, "name", "profile")
        object.__setattr__(self, "axisymmetric", False)

    def mesh(self, elements: int) -> GridMesh:
        x = (np.asarray(self.x_um) - self.x_um[0]) * UM_TO_CM
        z = np.asarray(self.height_um) * UM_TO_CM
        z = z - np.mean(z)
        return layered_mesh(float(x[-1]), None, self.thickness_um * UM_TO_CM, _layer_cm(self.interlayer), elements,
                            axisymmetric=False, surface=(x, z))


Geometry = Strips | Disk | Protrusion | Profile


def geometry_dict(geometry: Geometry) -> dict[str, Any]:
    """The geometry's parameters, JSON-ready (lengths in um)."""
    out: dict[str, Any] = {"name": geometry.name, "axisymmetric": geometry.axisymmetric}
    for key, value in vars(geometry).items():
        if key in out:
            continue
        out[key] = vars(value) if isinstance(value, Interlayer) else (list(value) if isinstance(value, tuple) else value)
    if isinstance(geometry, Strips) and geometry.layout == "random":
        out["spot_width_um"] = geometry.spot_width_um
        out["spots_um"] = geometry.spots_um().tolist()
    return out
