"""Least-squares lines and polynomials with standard errors and R², for the kinetics fits.

Each keeps the conventions its analyses were validated with (the degrees of freedom of a fit without a
residual, the pseudo-inverse or inverse of the normal matrix), so they are not interchangeable.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from anodelab.core.result import Quantity

FloatArray = NDArray[np.float64]


def polynomial(x: FloatArray, y: FloatArray, degree: int) -> tuple[FloatArray, FloatArray, float]:
    """Least-squares polynomial (coefficients lowest first), their standard errors and R^2 (the residual
    variance over at least one degree of freedom)."""
    design = np.vander(x, degree + 1, increasing=True)
    coefficients, _, _, _ = np.linalg.lstsq(design, y, rcond=None)
    residual = y - design @ coefficients
    dof = max(x.size - degree - 1, 1)
    s2 = float(residual @ residual) / dof
    covariance = s2 * np.linalg.pinv(design.T @ design)
    total = float(np.sum((y - y.mean()) ** 2))
    r2 = 1.0 - float(residual @ residual) / total if total > 0 else 0.0
    errors = np.sqrt(np.maximum(np.diag(covariance), 0.0))
    return np.asarray(coefficients, dtype=np.float64), np.asarray(errors, dtype=np.float64), r2


def slope_r2(x: FloatArray, y: FloatArray) -> tuple[float | None, float]:
    """Least-squares slope of y against x and the coefficient of determination (None, 0 when x does not vary)."""
    if x.size < 3:
        return None, 0.0
    dx, dy = x - x.mean(), y - y.mean()
    sxx, syy, sxy = float(dx @ dx), float(dy @ dy), float(dx @ dy)
    if sxx <= 0 or syy <= 0:
        return None, 0.0
    return sxy / sxx, sxy * sxy / (sxx * syy)


def line_fit(x: FloatArray, y: FloatArray) -> tuple[Quantity, Quantity, float]:
    """(slope, intercept, R²) of the least-squares line, standard errors where there are residual
    degrees of freedom (units left to the caller)."""
    n = x.size
    design = np.column_stack([x, np.ones(n)])
    coefficients, *_ = np.linalg.lstsq(design, y, rcond=None)
    residual = y - design @ coefficients
    total = float(np.sum((y - y.mean()) ** 2))
    r2 = 1.0 - float(residual @ residual) / total if total > 0 else 1.0
    if n > 2:
        covariance = float(residual @ residual) / (n - 2) * np.linalg.inv(design.T @ design)
        errors = np.sqrt(np.diag(covariance))
        return Quantity(float(coefficients[0]), float(errors[0]), ""), Quantity(float(coefficients[1]), float(errors[1]), ""), r2
    return Quantity(float(coefficients[0]), None, ""), Quantity(float(coefficients[1]), None, ""), r2
