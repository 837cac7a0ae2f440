"""Compiled circuit evaluation, its closed-form Jacobian, and the weighted residual that :mod:`~anodelab.impedance.fit` minimises.

- :data:`OHM_POWER`: power of ohm in each parameter unit (how parameters scale with the spectrum);
- :func:`_weights`: the per-point real and imaginary weights of each weighting (``boukamp`` weights
  from the model, inside :class:`_Problem`);
- :func:`_compile`: ``values -> (Z, dZ/dvalues)`` at fixed angular frequencies, derivatives closed form;
- :class:`_Problem`: the residual and its Jacobian in ``u = ln p`` over the free parameters, as
  ``scipy.optimize.least_squares`` asks for them.

The weightings and the scaling are described in :mod:`~anodelab.impedance.fit`'s docstring.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from anodelab.impedance.circuit_strings import CircuitModel, Leaf, Node

#: parameter values -> (Z, dZ/dvalues), one row per parameter
Evaluate = Callable[[NDArray[np.float64]], tuple[NDArray[np.complex128], NDArray[np.complex128]]]

#: power of ohm in each parameter unit: a spectrum scaled by ``k`` is fitted by parameters scaled by ``k**power``
OHM_POWER = {"ohm": 1, "ohm s^-1/2": 1, "H": 1, "F": -1, "S s^n": -1, "s": 0, "": 0}


def _weights(weighting: str, Z: NDArray[np.complex128]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    modulus = np.abs(Z)
    if weighting == "unit":
        return np.ones(Z.size), np.ones(Z.size)
    if weighting == "modulus":
        return modulus, modulus
    floor = 1e-6 * modulus
    return np.maximum(np.abs(Z.real), floor), np.maximum(np.abs(Z.imag), floor)


def _compile(model: CircuitModel, omega: NDArray[np.float64]) -> Evaluate:
    """``values -> (Z, dZ/dvalues)`` at fixed ``omega``; the derivatives (one row per parameter) are closed form.

    Leaves give theirs (:mod:`anodelab.models.circuits`); a series adds impedances; a parallel branch ``k``
    scales its rows by ``dZ/dZ_k = (Z / Z_k)^2``. Rows of a node's parameters are contiguous (depth-first).
    """
    P = len(model)

    def build(node: Node | Leaf, start: int) -> tuple[Any, int]:
        if isinstance(node, Leaf):
            count = len(node.field_names)
            element: Any = node.cls
            function = element._impedance_and_gradient
            end = start + count

            def leaf(v: NDArray[np.float64], J: NDArray[np.complex128]) -> Any:
                Z, derivatives = function(omega, *v[start:end])
                for row, d in enumerate(derivatives, start):
                    J[row] = d
                return Z

            return leaf, end
        parts, spans = [], []
        for child in node.children:
            part, end = build(child, start)
            parts.append(part)
            spans.append((start, end))
            start = end
        if node.kind == "s":
            return (lambda v, J: sum(part(v, J) for part in parts)), start

        def parallel(v: NDArray[np.float64], J: NDArray[np.complex128]) -> Any:
            branches = [part(v, J) for part in parts]
            with np.errstate(divide="ignore", invalid="ignore"):
                Z = 1.0 / sum(1.0 / branch for branch in branches)
                for branch, (low, high) in zip(branches, spans, strict=True):
                    J[low:high] *= (Z / branch) ** 2
            return Z

        return parallel, start

    root, _ = build(model.tree, 0)

    def evaluate(v: NDArray[np.float64]) -> tuple[NDArray[np.complex128], NDArray[np.complex128]]:
        J = np.empty((P, omega.size), dtype=np.complex128)
        Z = np.broadcast_to(root(v, J), omega.shape).astype(np.complex128)
        return Z, J

    return evaluate


@dataclass
class _Problem:
    model: CircuitModel
    omega: NDArray[np.float64]
    Z: NDArray[np.complex128]
    weighting: str
    free: NDArray[np.intp]
    full: NDArray[np.float64]  # values of every parameter (fixed ones used as given)
    w_re: NDArray[np.float64]
    w_im: NDArray[np.float64]
    evaluate: Evaluate
    names: tuple[str, ...]
    units: tuple[str, ...]
    _last: tuple[bytes, Any, Any] | None = None  # (u, residual, Jacobian) of the last evaluation

    def values(self, u: NDArray[np.float64]) -> NDArray[np.float64]:
        values = self.full.copy()
        values[self.free] = np.exp(u)
        return values

    def model_impedance(self, u: NDArray[np.float64]) -> NDArray[np.complex128]:
        return self.evaluate(self.values(u))[0]

    def _evaluate(self, u: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Residual and its Jacobian in ``u = ln p`` (least_squares asks for both at the same ``u``)."""
        key = u.tobytes()
        if self._last is not None and self._last[0] == key:
            return self._last[1], self._last[2]
        values = self.values(u)
        Zm, J_full = self.evaluate(values)
        dZ = (J_full[self.free] * values[self.free][:, None]).T  # dZ / d ln p, (N, free)
        difference = Zm - self.Z
        if self.weighting == "boukamp":
            modulus = np.abs(Zm)
            modulus = np.where(modulus > 0, modulus, 1.0)
            d_modulus = (Zm.real[:, None] * dZ.real + Zm.imag[:, None] * dZ.imag) / modulus[:, None]
            out = np.concatenate((difference.real / modulus, difference.imag / modulus))
            jac = np.concatenate((
                dZ.real / modulus[:, None] - (difference.real / modulus**2)[:, None] * d_modulus,
                dZ.imag / modulus[:, None] - (difference.imag / modulus**2)[:, None] * d_modulus,
            ))
        else:
            out = np.concatenate((difference.real / self.w_re, difference.imag / self.w_im))
            jac = np.concatenate((dZ.real / self.w_re[:, None], dZ.imag / self.w_im[:, None]))
        bad = ~np.isfinite(out)
        if bad.any():
            out[bad] = 1e10
            jac[bad] = 0.0
        jac[~np.isfinite(jac)] = 0.0
        self._last = (key, out, jac)
        return out, jac

    def residual(self, u: NDArray[np.float64]) -> NDArray[np.float64]:
        return self._evaluate(u)[0]

    def jacobian(self, u: NDArray[np.float64]) -> NDArray[np.float64]:
        return self._evaluate(u)[1]
