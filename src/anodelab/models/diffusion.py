"""Solid-state diffusion under galvanostatic steps: the closed forms behind GITT.

A host of thickness (film) or radius (sphere) ``l`` (cm), diffusivity ``D`` (cm2/s), initially uniform,
takes up the inserting ion (charge number ``z``) through its surface ``S`` (cm2) at the flux density
``F0 = -I / (z F S)`` (mol cm-2 s-1): cathodic current (``I < 0``, the convention of
:mod:`anodelab.core.conventions`) inserts. The film's other face (the current collector) is blocking.
With ``theta = D t / l^2`` the surface concentration rises by ``dc_s = (F0 l / D) g(theta)`` where

film (planar, Crank 1975 eq. 2.43 / Carslaw & Jaeger 3.3)::

    g(theta) = theta + 1/3 - (2 / pi^2) sum_{n>=1} exp(-n^2 pi^2 theta) / n^2               (Fourier series)
             = 2 sqrt(theta) [1 / sqrt(pi) + 2 sum_{n>=1} ierfc(n / sqrt(theta))]          (image series)

sphere (Crank eq. 6.22; alpha_n the positive roots of tan(alpha) = alpha)::

    g(theta) = 3 theta + 1/5 - 2 sum_{n>=1} exp(-alpha_n^2 theta) / alpha_n^2               (Fourier series)
             = exp(theta) erfc(-sqrt(theta)) - 1   + O(exp(-1/theta))                       (short times)

Both forms of the film are exact; the code takes the one that converges fastest. The mean concentration
rises by ``(F0 l / D) nu theta`` (``nu`` = 1 film, 3 sphere) and, for ``t << l^2 / D``, both geometries
follow the semi-infinite limit (Weppner & Huggins 1977)::

    dc_s = 2 |I| sqrt(t) / (z F S sqrt(pi D))   [mol/cm3; I in A, t in s, S in cm2, D in cm2/s]

Steps of current superpose (the problem is linear): ``dc_s(t) = sum_k (F0_k - F0_(k-1)) (l/D) g(D (t - t_k) / l^2)``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from anodelab.core.constants import FARADAY_C_MOL
from anodelab.core.errors import ValidationError
from anodelab.models.kinetics import check_positive

GEOMETRIES = ("film", "sphere")
#: surface-to-volume ratio times the length: S l / V
SHAPE_FACTOR = {"film": 1.0, "sphere": 3.0}
#: below this theta the image (short-time) forms are used, above it the Fourier series
_THETA_SWITCH = {"film": 0.05, "sphere": 0.02}
_CHUNK = 256


def _check_geometry(geometry: str) -> None:
    if geometry not in GEOMETRIES:
        raise ValidationError(
            "geometry", f"unknown geometry {geometry!r}; expected one of {', '.join(GEOMETRIES)}"
        )


def ierfc(x: NDArray[np.float64]) -> NDArray[np.float64]:
    """Integrated complementary error function ``ierfc(x) = exp(-x^2) / sqrt(pi) - x erfc(x)``."""
    from scipy.special import erfc

    return np.exp(-x * x) / math.sqrt(math.pi) - x * erfc(x)


def sphere_roots(count: int) -> NDArray[np.float64]:
    """The first ``count`` positive roots of ``tan(alpha) = alpha`` (4.4934, 7.7253, ...)."""
    half = (np.arange(1, count + 1, dtype=np.float64) + 0.5) * np.pi
    alpha = half.copy()
    for _ in range(60):  # alpha = (n + 1/2) pi - arctan(1 / alpha): a contraction with rate < 0.05
        alpha = half - np.arctan(1.0 / alpha)
    return alpha


def surface_concentration_factor(
    theta: ArrayLike, *, geometry: str = "film", method: str = "auto"
) -> NDArray[np.float64]:
    """The dimensionless surface-concentration rise ``g(theta)`` of the module docstring (0 for theta <= 0).

    ``method``: ``"fourier"``, ``"images"`` or ``"auto"`` (images below a theta of 0.05 for a film, 0.02 for
    a sphere, Fourier above). Both film series are exact at every theta; the sphere's short-time form
    drops terms of order exp(-1/theta), so it is exact to machine precision only below theta ~ 0.03.
    """
    _check_geometry(geometry)
    if method not in ("auto", "fourier", "images"):
        raise ValidationError("method", f"expected 'auto', 'fourier' or 'images', got {method!r}")
    theta = np.asarray(theta, dtype=np.float64)
    if not np.all(np.isfinite(theta)):
        raise ValidationError("theta", "dimensionless times must be finite")
    out = np.zeros(theta.shape)
    positive = theta > 0
    if method == "auto":
        short = positive & (theta < _THETA_SWITCH[geometry])
    else:
        short = positive & (method == "images")
    long = positive & ~short
    if np.any(short):
        out[short] = _images(theta[short], geometry)
    if np.any(long):
        out[long] = _fourier(theta[long], geometry)
    return out


def _fourier(theta: NDArray[np.float64], geometry: str) -> NDArray[np.float64]:
    """Fourier series, summed until every term is below exp(-40) of the first."""
    count = math.ceil(math.sqrt(40.0 / float(theta.min())) / math.pi) + 2
    if geometry == "film":
        eigen, offset = np.arange(1, count + 1) * np.pi, 1.0 / 3.0
    else:
        eigen, offset = sphere_roots(count), 1.0 / 5.0
    series = np.zeros(theta.shape)
    for start in range(0, count, _CHUNK):
        square = eigen[start : start + _CHUNK] ** 2
        series += np.exp(-np.outer(theta, square)) @ (1.0 / square)
    return SHAPE_FACTOR[geometry] * theta + offset - 2.0 * series


def _images(theta: NDArray[np.float64], geometry: str) -> NDArray[np.float64]:
    root = np.sqrt(theta)
    if geometry == "sphere":
        from scipy.special import erfcx

        # exp(theta) erfc(-sqrt(theta)) - 1, written as 2 exp(theta) - erfcx(sqrt(theta)) - 1
        return 2.0 * np.exp(theta) - erfcx(root) - 1.0
    count = math.ceil(7.0 * float(root.max())) + 2
    images = sum(ierfc(n / root) for n in range(1, count + 1))
    return 2.0 * root * (1.0 / math.sqrt(math.pi) + 2.0 * images)


def _check_array(name: str, values: ArrayLike) -> NDArray[np.float64]:
    array = np.atleast_1d(np.asarray(values, dtype=np.float64))
    if not np.all(np.isfinite(array)):
        raise ValidationError(name, "must be finite")
    return array


def flux_mol_cm2_s(current_mA: ArrayLike, area_cm2: float, z: int = 1) -> NDArray[np.float64]:
    """Insertion flux density into the host, ``F0 = -I / (z F S)`` (mol cm-2 s-1); I in mA, S in cm2."""
    return -np.asarray(current_mA, dtype=np.float64) * 1e-3 / (z * FARADAY_C_MOL * area_cm2)


def surface_concentration_change_mol_cm3(
    time_s: ArrayLike,
    *,
    switch_times_s: Sequence[float] | ArrayLike,
    currents_mA: Sequence[float] | ArrayLike,
    D_cm2_s: float,
    length_cm: float,
    area_cm2: float,
    geometry: str = "film",
    z: int = 1,
) -> NDArray[np.float64]:
    """Surface concentration change (mol/cm3) under piecewise-constant current.

    ``currents_mA[k]`` flows from ``switch_times_s[k]`` to ``switch_times_s[k + 1]`` (the last one on);
    no current before ``switch_times_s[0]``. ``length_cm``: film thickness or particle radius;
    ``area_cm2``: the surface the ion crosses (film: electrode area; spheres: their total surface).
    """
    time, switches, currents, D, length, area = _inputs(
        time_s, switch_times_s, currents_mA, D_cm2_s, length_cm, area_cm2, geometry, z
    )
    flux = flux_mol_cm2_s(currents, area, z)
    jumps = np.diff(flux, prepend=0.0)
    change = np.zeros(time.shape)
    for start, jump in zip(switches, jumps):
        if jump != 0.0:
            change += (
                jump
                * length
                / D
                * surface_concentration_factor(D * (time - start) / length**2, geometry=geometry)
            )
    return change


def mean_concentration_change_mol_cm3(
    time_s: ArrayLike,
    *,
    switch_times_s: Sequence[float] | ArrayLike,
    currents_mA: Sequence[float] | ArrayLike,
    length_cm: float,
    area_cm2: float,
    geometry: str = "film",
    z: int = 1,
) -> NDArray[np.float64]:
    """Mean concentration change (mol/cm3): the charge passed over the host volume, ``nu F0 t / l`` per step."""
    time, switches, currents, _, length, area = _inputs(
        time_s, switch_times_s, currents_mA, 1.0, length_cm, area_cm2, geometry, z
    )
    jumps = np.diff(flux_mol_cm2_s(currents, area, z), prepend=0.0)
    change = np.zeros(time.shape)
    for start, jump in zip(switches, jumps):
        change += jump * SHAPE_FACTOR[geometry] * np.clip(time - start, 0.0, None) / length
    return change


def short_time_surface_concentration_change_mol_cm3(
    time_s: ArrayLike, *, current_mA: float, D_cm2_s: float, area_cm2: float, z: int = 1
) -> NDArray[np.float64]:
    """Semi-infinite limit ``dc_s = -2 I sqrt(t) / (z F S sqrt(pi D))`` (mol/cm3; I converted from mA to A)."""
    D = check_positive("D_cm2_s", D_cm2_s)
    area = check_positive("area_cm2", area_cm2)
    time = np.clip(_check_array("time_s", time_s), 0.0, None)
    return 2.0 * flux_mol_cm2_s(current_mA, area, z) * np.sqrt(time / (math.pi * D))


def potential_response_V(
    time_s: ArrayLike,
    *,
    switch_times_s: Sequence[float] | ArrayLike,
    currents_mA: Sequence[float] | ArrayLike,
    D_cm2_s: float,
    length_cm: float,
    area_cm2: float,
    molar_volume_cm3_mol: float,
    x0: float = 0.0,
    ocv_V: Callable[[NDArray[np.float64]], NDArray[np.float64]] | None = None,
    dE_dx_V: float | None = None,
    R_ohm: float = 0.0,
    geometry: str = "film",
    z: int = 1,
) -> NDArray[np.float64]:
    """Electrode potential (V) under piecewise-constant current: local equilibrium at the surface plus IR drop.

    The surface stoichiometry (mol of ion per mol of host) is ``x_s = x0 + V_M dc_s``. With ``ocv_V``
    (a function of x) ``E = ocv_V(x_s) + I R``; with a constant slope ``dE_dx_V`` instead,
    ``E = dE_dx_V (x_s - x0) + I R`` (the change from the starting potential).
    """
    if (ocv_V is None) == (dE_dx_V is None):
        raise ValidationError("ocv_V", "give exactly one of ocv_V (a function of x) or dE_dx_V (a slope)")
    molar_volume = check_positive("molar_volume_cm3_mol", molar_volume_cm3_mol)
    resistance = check_positive("R_ohm", R_ohm, allow_zero=True)
    time = _check_array("time_s", time_s)
    change = surface_concentration_change_mol_cm3(
        time,
        switch_times_s=switch_times_s,
        currents_mA=currents_mA,
        D_cm2_s=D_cm2_s,
        length_cm=length_cm,
        area_cm2=area_cm2,
        geometry=geometry,
        z=z,
    )
    x_surface = x0 + molar_volume * change
    current = current_at(time, switch_times_s, currents_mA)
    ir_V = current * 1e-3 * resistance
    if ocv_V is not None:
        return np.asarray(ocv_V(x_surface), dtype=np.float64) + ir_V
    return float(dE_dx_V) * (x_surface - x0) + ir_V  # type: ignore[arg-type]  # not None: exactly one was given


def current_at(time_s: ArrayLike, switch_times_s: ArrayLike, currents_mA: ArrayLike) -> NDArray[np.float64]:
    """The piecewise-constant current (mA) at each time; a switch time belongs to the step it starts."""
    switches = np.asarray(switch_times_s, dtype=np.float64)
    currents = np.asarray(currents_mA, dtype=np.float64)
    index = np.searchsorted(switches, np.asarray(time_s, dtype=np.float64), side="right") - 1
    return np.where(index >= 0, currents[np.clip(index, 0, None)], 0.0)


def weppner_huggins_D_cm2_s(
    delta_E_s_V: ArrayLike, delta_E_t_V: ArrayLike, *, pulse_s: float, length_cm: float
) -> NDArray[np.float64]:
    """Weppner-Huggins diffusivity ``D = 4 / (pi tau) (n_M V_M / S)^2 (dE_s / dE_t)^2`` (cm2/s).

    ``length_cm = n_M V_M / S`` is the host's volume over its surface (film: thickness; spheres: r / 3);
    ``delta_E_s_V`` the change of the relaxed potential over one titration step, ``delta_E_t_V`` the change
    during the pulse of duration ``pulse_s`` without the IR jump. Valid for ``tau << l^2 / D`` and a linear OCV.
    """
    tau = check_positive("pulse_s", pulse_s)
    length = check_positive("length_cm", length_cm)
    ratio = np.asarray(delta_E_s_V, dtype=np.float64) / np.asarray(delta_E_t_V, dtype=np.float64)
    return 4.0 / (math.pi * tau) * length**2 * ratio**2


def _inputs(
    time_s: ArrayLike,
    switch_times_s: Any,
    currents_mA: Any,
    D_cm2_s: float,
    length_cm: float,
    area_cm2: float,
    geometry: str,
    z: int,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], float, float, float]:
    _check_geometry(geometry)
    if isinstance(z, bool) or not isinstance(z, (int, np.integer)) or z < 1:
        raise ValidationError("z", f"must be a positive integer charge number, got {z!r}")
    time = _check_array("time_s", time_s)
    switches = _check_array("switch_times_s", switch_times_s)
    currents = _check_array("currents_mA", currents_mA)
    if switches.size == 0 or switches.size != currents.size:
        raise ValidationError(
            "currents_mA", f"needs one current per switch time ({switches.size}), got {currents.size}"
        )
    if np.any(np.diff(switches) <= 0):
        raise ValidationError("switch_times_s", "switch times must increase strictly")
    return (
        time,
        switches,
        currents,
        check_positive("D_cm2_s", D_cm2_s),
        check_positive("length_cm", length_cm),
        check_positive("area_cm2", area_cm2),
    )
