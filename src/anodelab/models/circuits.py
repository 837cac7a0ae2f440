"""Equivalent-circuit elements and their closed-form impedances.

Each element is a small frozen dataclass with ``impedance(frequency_Hz) -> complex ndarray`` (ohm,
physical sign: ``Im Z < 0`` capacitive) and ``parameters`` (name -> value, the unit in the name).
``Series(*elements)`` and ``Parallel(*elements)`` compose them and nest. ``code`` is the element's
name in impedance.py circuit strings, and ``circuit_string`` writes a circuit in that syntax
(``R0-p(R1,CPE2)-W3``, leaves numbered depth-first), so the names users know carry over.

With angular frequency ``w = 2 pi f`` (rad/s) and ``j = sqrt(-1)``:

=======  =============================  ==========================================================
code     class                          impedance
=======  =============================  ==========================================================
R        :class:`R` (R_ohm)             ``R``
C        :class:`C` (C_F)               ``1 / (j w C)``
L        :class:`L` (L_H)               ``j w L``
CPE      :class:`CPE` (Q_S_s_n, n)      ``1 / (Q (j w)^n)``
Zarc     :class:`ZARC` (R_ohm, tau_s, n)  ``R / (1 + (j w tau)^n)`` = R in parallel with a CPE, Q = tau^n / R
W        :class:`W` (sigma_ohm_s_half)  ``sigma (1 - j) / sqrt(w)`` (semi-infinite)
Ws       :class:`Ws` (R_ohm, tau_s)     ``R tanh(sqrt(j w tau)) / sqrt(j w tau)`` (finite length, transmissive: -> R)
Wo       :class:`Wo` (R_ohm, tau_s)     ``R coth(sqrt(j w tau)) / sqrt(j w tau)`` (finite space, reflective: -> capacitive)
G        :class:`G` (R_ohm, tau_s)      ``R / sqrt(1 + j w tau)`` (Gerischer)
=======  =============================  ==========================================================

``Ws`` ("Warburg short") and ``Wo`` ("Warburg open") follow impedance.py's naming; for a diffusion
layer of thickness ``l`` and diffusivity ``D``, ``tau = l^2 / D``.

Every element writes its formula once, in ``_impedance_and_gradient`` (raw values in, ``Z`` and the
closed-form ``dZ / d parameter`` out): :meth:`impedance`, :meth:`gradient` and the fitter's Jacobian use it.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator
from dataclasses import Field, dataclass, fields
from typing import Any, ClassVar

import numpy as np
from numpy.typing import ArrayLike, NDArray

from anodelab.core.errors import ValidationError

ComplexArray = NDArray[np.complex128]


def angular_frequency(frequency_Hz: ArrayLike) -> NDArray[np.float64]:
    """``w = 2 pi f`` (rad/s), after checking that every frequency is finite and > 0 Hz."""
    frequency = np.asarray(frequency_Hz, dtype=np.float64)
    if not np.all(np.isfinite(frequency)) or np.any(frequency <= 0):
        raise ValidationError("frequency_Hz", "frequencies must be finite and > 0 Hz")
    return 2.0 * np.pi * frequency


def _check(name: str, value: Any, *, low: float, low_inclusive: bool, high: float | None = None) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValidationError(name, f"must be a finite number, got {value!r}")
    if value < low or (value == low and not low_inclusive):
        raise ValidationError(name, f"must be {'>=' if low_inclusive else '>'} {low:g}, got {value!r}")
    if high is not None and value > high:
        raise ValidationError(name, f"must be <= {high:g}, got {value!r}")


class _Element:
    """Shared behaviour of the leaf elements (a mixin of the frozen dataclasses below)."""

    code: ClassVar[str]
    __dataclass_fields__: ClassVar[dict[str, Field[Any]]]  # every leaf element is a dataclass

    @property
    def parameters(self) -> dict[str, float]:
        """Parameter name (with its unit) -> value."""
        return {f.name: float(getattr(self, f.name)) for f in fields(self)}

    def leaves(self) -> Iterator[Element]:
        yield self  # type: ignore[misc]  # the mixin of the leaf classes only, whose union is Element

    @property
    def circuit_string(self) -> str:
        return f"{self.code}0"

    def impedance(self, frequency_Hz: ArrayLike) -> ComplexArray:
        """Impedance (ohm) at each frequency (Hz)."""
        Z, _ = self._impedance_and_gradient(angular_frequency(frequency_Hz), *self.parameters.values())
        return np.asarray(Z, dtype=np.complex128)

    def gradient(self, frequency_Hz: ArrayLike) -> dict[str, ComplexArray]:
        """Parameter name -> ``dZ / d parameter`` at each frequency (closed form)."""
        omega = angular_frequency(frequency_Hz)
        _, derivatives = self._impedance_and_gradient(omega, *self.parameters.values())
        return {name: np.broadcast_to(d, omega.shape).astype(np.complex128) for name, d in zip(self.parameters, derivatives, strict=True)}

    @staticmethod
    def _impedance_and_gradient(omega: NDArray[np.float64], *values: float) -> tuple[Any, tuple[Any, ...]]:
        """``Z`` and ``dZ / d value`` for each parameter value, from raw values (no validation)."""
        raise NotImplementedError


@dataclass(frozen=True)
class R(_Element):
    """Resistor: ``Z = R``."""

    R_ohm: float
    code: ClassVar[str] = "R"

    def __post_init__(self) -> None:
        _check("R_ohm", self.R_ohm, low=0.0, low_inclusive=True)

    @staticmethod
    def _impedance_and_gradient(omega: NDArray[np.float64], *values: float) -> tuple[Any, tuple[Any, ...]]:
        (R_ohm,) = values
        return np.full(omega.shape, R_ohm, dtype=np.complex128), (np.ones(omega.shape, dtype=np.complex128),)


@dataclass(frozen=True)
class C(_Element):
    """Capacitor: ``Z = 1 / (j w C)``."""

    C_F: float
    code: ClassVar[str] = "C"

    def __post_init__(self) -> None:
        _check("C_F", self.C_F, low=0.0, low_inclusive=False)

    @staticmethod
    def _impedance_and_gradient(omega: NDArray[np.float64], *values: float) -> tuple[Any, tuple[Any, ...]]:
        (C_F,) = values
        Z = 1.0 / (1j * omega * C_F)
        return Z, (-Z / C_F,)


@dataclass(frozen=True)
class L(_Element):
    """Inductor (cables, cell housing): ``Z = j w L``."""

    L_H: float
    code: ClassVar[str] = "L"

    def __post_init__(self) -> None:
        _check("L_H", self.L_H, low=0.0, low_inclusive=True)

    @staticmethod
    def _impedance_and_gradient(omega: NDArray[np.float64], *values: float) -> tuple[Any, tuple[Any, ...]]:
        (L_H,) = values
        s = 1j * omega
        return s * L_H, (s,)


@dataclass(frozen=True)
class CPE(_Element):
    """Constant-phase element: ``Z = 1 / (Q (j w)^n)``, Q in S s^n, 0 < n <= 1 (n = 1: a capacitor)."""

    Q_S_s_n: float
    n: float
    code: ClassVar[str] = "CPE"

    def __post_init__(self) -> None:
        _check("Q_S_s_n", self.Q_S_s_n, low=0.0, low_inclusive=False)
        _check("n", self.n, low=0.0, low_inclusive=False, high=1.0)

    @staticmethod
    def _impedance_and_gradient(omega: NDArray[np.float64], *values: float) -> tuple[Any, tuple[Any, ...]]:
        Q, n = values
        log_s = np.log(omega) + 0.5j * np.pi  # ln(j w)
        Z = np.exp(-n * log_s) / Q
        return Z, (-Z / Q, -log_s * Z)


@dataclass(frozen=True)
class ZARC(_Element):
    """R in parallel with a CPE: ``Z = R / (1 + (j w tau)^n)``, ``tau = (R Q)^(1/n)``.

    Its distribution of relaxation times is :func:`zarc_drt`.
    """

    R_ohm: float
    tau_s: float
    n: float
    code: ClassVar[str] = "Zarc"

    def __post_init__(self) -> None:
        _check("R_ohm", self.R_ohm, low=0.0, low_inclusive=False)
        _check("tau_s", self.tau_s, low=0.0, low_inclusive=False)
        _check("n", self.n, low=0.0, low_inclusive=False, high=1.0)

    @classmethod
    def from_cpe(cls, R_ohm: float, Q_S_s_n: float, n: float) -> ZARC:
        """The ZARC of a resistor ``R_ohm`` in parallel with ``CPE(Q_S_s_n, n)``."""
        _check("Q_S_s_n", Q_S_s_n, low=0.0, low_inclusive=False)
        _check("R_ohm", R_ohm, low=0.0, low_inclusive=False)
        return cls(R_ohm, (R_ohm * Q_S_s_n) ** (1.0 / n), n)

    @property
    def Q_S_s_n(self) -> float:
        """CPE coefficient of the parallel CPE, S s^n: ``Q = tau^n / R``."""
        return float(self.tau_s**self.n / self.R_ohm)

    @property
    def peak_frequency_Hz(self) -> float:
        """Frequency of the apex of the arc: ``1 / (2 pi tau)``."""
        return 1.0 / (2.0 * np.pi * self.tau_s)

    @staticmethod
    def _impedance_and_gradient(omega: NDArray[np.float64], *values: float) -> tuple[Any, tuple[Any, ...]]:
        R_ohm, tau_s, n = values
        log_x = np.log(omega * tau_s) + 0.5j * np.pi  # ln(j w tau)
        power = np.exp(n * log_x)  # (j w tau)^n
        shape = 1.0 / (1.0 + power)
        dZ_dpower = -R_ohm * shape * shape * power  # dZ/d(ln power) = -R power / (1 + power)^2
        return R_ohm * shape, (shape, dZ_dpower * n / tau_s, dZ_dpower * log_x)


@dataclass(frozen=True)
class W(_Element):
    """Semi-infinite Warburg: ``Z = sigma (1 - j) / sqrt(w)``, sigma in ohm s^-1/2 (a 45 degree line)."""

    sigma_ohm_s_half: float
    code: ClassVar[str] = "W"

    def __post_init__(self) -> None:
        _check("sigma_ohm_s_half", self.sigma_ohm_s_half, low=0.0, low_inclusive=True)

    @staticmethod
    def _impedance_and_gradient(omega: NDArray[np.float64], *values: float) -> tuple[Any, tuple[Any, ...]]:
        (sigma,) = values
        unit = (1.0 - 1j) / np.sqrt(omega)
        return sigma * unit, (unit,)


@dataclass(frozen=True)
class Ws(_Element):
    """Finite-length (transmissive, "short") Warburg: ``Z = R tanh(sqrt(j w tau)) / sqrt(j w tau)``.

    Tends to R at low frequency and to a semi-infinite Warburg with ``sigma = R / sqrt(2 tau)`` at high frequency.
    """

    R_ohm: float
    tau_s: float
    code: ClassVar[str] = "Ws"

    def __post_init__(self) -> None:
        _check("R_ohm", self.R_ohm, low=0.0, low_inclusive=True)
        _check("tau_s", self.tau_s, low=0.0, low_inclusive=False)

    @staticmethod
    def _impedance_and_gradient(omega: NDArray[np.float64], *values: float) -> tuple[Any, tuple[Any, ...]]:
        # r = sqrt(j w tau), dr/dtau = r / (2 tau); r d/dr [tanh(r) / r] = 1 - tanh(r)^2 - tanh(r) / r
        R_ohm, tau_s = values
        root = np.sqrt(1j * omega * tau_s)
        t = np.tanh(root)
        return R_ohm * t / root, (t / root, R_ohm / (2.0 * tau_s) * (1.0 - t * t - t / root))


@dataclass(frozen=True)
class Wo(_Element):
    """Finite-space (reflective, "open") Warburg: ``Z = R coth(sqrt(j w tau)) / sqrt(j w tau)``.

    Tends to ``R / 3 + 1 / (j w C)`` with ``C = tau / R`` at low frequency (a capacitive line).
    """

    R_ohm: float
    tau_s: float
    code: ClassVar[str] = "Wo"

    def __post_init__(self) -> None:
        _check("R_ohm", self.R_ohm, low=0.0, low_inclusive=True)
        _check("tau_s", self.tau_s, low=0.0, low_inclusive=False)

    @staticmethod
    def _impedance_and_gradient(omega: NDArray[np.float64], *values: float) -> tuple[Any, tuple[Any, ...]]:
        # as Ws with coth: r d/dr [coth(r) / r] = 1 - coth(r)^2 - coth(r) / r
        R_ohm, tau_s = values
        root = np.sqrt(1j * omega * tau_s)
        c = 1.0 / np.tanh(root)
        return R_ohm * c / root, (c / root, R_ohm / (2.0 * tau_s) * (1.0 - c * c - c / root))


@dataclass(frozen=True)
class G(_Element):
    """Gerischer element (diffusion with a coupled reaction): ``Z = R / sqrt(1 + j w tau)``."""

    R_ohm: float
    tau_s: float
    code: ClassVar[str] = "G"

    def __post_init__(self) -> None:
        _check("R_ohm", self.R_ohm, low=0.0, low_inclusive=True)
        _check("tau_s", self.tau_s, low=0.0, low_inclusive=False)

    @staticmethod
    def _impedance_and_gradient(omega: NDArray[np.float64], *values: float) -> tuple[Any, tuple[Any, ...]]:
        R_ohm, tau_s = values
        s = 1j * omega
        unit = 1.0 / np.sqrt(1.0 + s * tau_s)
        return R_ohm * unit, (unit, -0.5 * R_ohm * s * unit**3)


class _Composite:
    """Shared behaviour of :class:`Series` and :class:`Parallel`."""

    elements: tuple[Circuit, ...]
    _minimum: ClassVar[int]
    _name: ClassVar[str]

    def _set(self, elements: tuple[Any, ...]) -> None:
        if len(elements) < self._minimum:
            raise ValidationError(
                "elements", f"{self._name} needs at least {self._minimum} element(s), got {len(elements)}"
            )
        for element in elements:
            if not isinstance(element, (_Element, _Composite)):
                raise ValidationError("elements", f"{element!r} is not a circuit element")
        object.__setattr__(self, "elements", tuple(elements))

    def leaves(self) -> Iterator[Element]:
        for element in self.elements:
            yield from element.leaves()

    @property
    def parameters(self) -> dict[str, float]:
        """``"{code}{index}.{parameter}" -> value``, leaves numbered depth-first as in :attr:`circuit_string`."""
        return {
            f"{leaf.code}{index}.{name}": value
            for index, leaf in enumerate(self.leaves())
            for name, value in leaf.parameters.items()
        }

    @property
    def circuit_string(self) -> str:
        """The circuit in impedance.py syntax (``-`` series, ``p(a,b)`` parallel), leaves numbered depth-first."""
        return self._string(itertools.count())

    def _string(self, counter: Iterator[int]) -> str:
        parts = [
            element._string(counter) if isinstance(element, _Composite) else f"{element.code}{next(counter)}"
            for element in self.elements
        ]
        return self._join(parts)

    def _join(self, parts: list[str]) -> str:
        raise NotImplementedError


@dataclass(frozen=True, init=False)
class Series(_Composite):
    """Elements in series: ``Z = sum Z_k``."""

    elements: tuple[Circuit, ...]
    _minimum: ClassVar[int] = 1
    _name: ClassVar[str] = "Series"

    def __init__(self, *elements: Circuit) -> None:
        self._set(elements)

    def impedance(self, frequency_Hz: ArrayLike) -> ComplexArray:
        """Impedance (ohm) at each frequency (Hz)."""
        total: ComplexArray = np.sum([element.impedance(frequency_Hz) for element in self.elements], axis=0)
        return total

    def _join(self, parts: list[str]) -> str:
        return "-".join(parts)


@dataclass(frozen=True, init=False)
class Parallel(_Composite):
    """Elements in parallel: ``1 / Z = sum 1 / Z_k`` (a branch of zero impedance shorts the others)."""

    elements: tuple[Circuit, ...]
    _minimum: ClassVar[int] = 2
    _name: ClassVar[str] = "Parallel"

    def __init__(self, *elements: Circuit) -> None:
        self._set(elements)

    def impedance(self, frequency_Hz: ArrayLike) -> ComplexArray:
        """Impedance (ohm) at each frequency (Hz)."""
        branches = np.array([element.impedance(frequency_Hz) for element in self.elements])
        shorted = np.any(branches == 0, axis=0)
        admittance = np.sum(1.0 / np.where(branches == 0, 1.0, branches), axis=0)
        return np.where(shorted, 0.0, 1.0 / np.where(shorted, 1.0, admittance)).astype(np.complex128)

    def _join(self, parts: list[str]) -> str:
        return "p(" + ",".join(parts) + ")"


Element = R | C | L | CPE | ZARC | W | Ws | Wo | G
Circuit = Element | Series | Parallel


def zarc_drt(tau_s: ArrayLike, R_ohm: float, tau0_s: float, n: float) -> NDArray[np.float64]:
    """Distribution of relaxation times of :class:`ZARC` ``(R_ohm, tau0_s, n)``, ohm per unit ln(tau).

    ``gamma(ln tau) = R / (2 pi) sin((1 - n) pi) / (cosh(n ln(tau / tau0)) - cos((1 - n) pi))``, so that
    ``Z(w) = integral gamma(ln tau) / (1 + j w tau) d ln tau`` and ``integral gamma d ln tau = R``.
    Defined for 0 < n < 1 (n = 1 is a delta function at tau0).
    """
    _check("R_ohm", R_ohm, low=0.0, low_inclusive=False)
    _check("tau0_s", tau0_s, low=0.0, low_inclusive=False)
    _check("n", n, low=0.0, low_inclusive=False)
    if n >= 1.0:
        raise ValidationError("n", f"must be < 1 (n = 1 has a delta-function DRT), got {n!r}")
    tau = np.asarray(tau_s, dtype=np.float64)
    if not np.all(np.isfinite(tau)) or np.any(tau <= 0):
        raise ValidationError("tau_s", "relaxation times must be finite and > 0 s")
    phase = (1.0 - n) * np.pi
    gamma_ohm: NDArray[np.float64] = R_ohm / (2.0 * np.pi) * np.sin(phase) / (np.cosh(n * np.log(tau / tau0_s)) - np.cos(phase))
    return gamma_ohm
