"""Samples of a Gaussian truncated to the non-negative orthant, by exact Hamiltonian Monte Carlo.

For the non-negative DRT the posterior of the unknowns is the Gaussian of the regularised problem
restricted to ``p >= 0``. Its samples come from the exact HMC of Pakman & Paninski (2014, J. Comput.
Graph. Stat. 23, 518), the sampler DRTtools uses: in whitened coordinates ``p = mean + L z``
(``L L' = covariance``) the Hamiltonian trajectory is ``z(t) = v sin t + z0 cos t`` in closed form, each
constraint ``(L z + mean)_j >= 0`` is met at a time found from a cosine, and the velocity is reflected
at the first wall hit; every sample travels for a time pi / 2 with a fresh Gaussian velocity. No step
size, no rejection: every proposal is accepted and stays inside the constraints.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from anodelab.core.errors import ConvergenceError

TRAVEL_TIME = math.pi / 2.0
MAX_BOUNCES = 100_000


def truncated_gaussian_samples(
    mean: NDArray[np.float64],
    covariance: NDArray[np.float64],
    start: NDArray[np.float64],
    count: int,
    rng: np.random.Generator,
    burn_in: int = 50,
) -> NDArray[np.float64]:
    """``count`` samples (count, P) of N(mean, covariance) restricted to all components >= 0, started at
    ``start`` (pushed strictly inside the orthant) after ``burn_in`` discarded samples."""
    P = mean.size
    eigenvalues, vectors = np.linalg.eigh(0.5 * (covariance + covariance.T))
    root = vectors * np.sqrt(np.clip(eigenvalues, 0.0, None))  # L with L L' = covariance
    keep = np.sqrt(np.clip(eigenvalues, 0.0, None)) > 1e-12 * math.sqrt(max(float(eigenvalues.max()), 1e-300))
    root = root[:, keep]
    inside = np.maximum(start, 1e-9 * max(float(np.max(np.abs(start))), 1e-12))
    z = np.linalg.lstsq(root, inside - mean, rcond=None)[0]
    norms = np.sum(root**2, axis=1)
    samples = np.empty((count, P))
    bounces = 0
    for i in range(count + burn_in):
        velocity = rng.standard_normal(z.size)
        remaining = TRAVEL_TIME
        while True:
            w = root @ z  # constraint j: w_j cos t + u_j sin t + mean_j >= 0
            u = root @ velocity
            amplitude = np.hypot(u, w)
            phase = np.arctan2(u, w)
            hit = np.full(P, np.inf)
            reach = amplitude > np.abs(mean)
            angle = np.arccos(np.clip(-mean[reach] / amplitude[reach], -1.0, 1.0))
            for t in ((phase[reach] + angle) % (2 * math.pi), (phase[reach] - angle) % (2 * math.pi)):
                t = np.where(t < 1e-10, np.inf, t)
                hit[reach] = np.minimum(hit[reach], t)
            j = int(np.argmin(hit))
            t = float(hit[j])
            if t >= remaining:
                z, velocity = z * math.cos(remaining) + velocity * math.sin(remaining), None
                break
            z, velocity = z * math.cos(t) + velocity * math.sin(t), velocity * math.cos(t) - z * math.sin(t)
            velocity = velocity - 2.0 * (root[j] @ velocity) / norms[j] * root[j]  # reflect off wall j
            remaining -= t
            bounces += 1
            if bounces > MAX_BOUNCES * (i + 1):
                raise ConvergenceError("truncated-posterior sampling is stuck bouncing between constraints")
        if i >= burn_in:
            samples[i - burn_in] = np.maximum(mean + root @ z, 0.0)
    return samples
