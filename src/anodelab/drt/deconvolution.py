"""Deconvolution of DRT peaks into per-process resistances: a ZARC per peak, fitted to the impedance.

Overlapping DRT peaks share their flanks, so integrating gamma over each peak's basin (the split at the
minimum between peaks) moves resistance from the larger to the smaller one, and the regularisation
broadens every peak. Deconvolution instead fits the spectrum with the model the DRT suggests,

``Z = R_inf + j w L + 1 / (j w C) + sum_k R_k / (1 + (j w tau_k)^n_k)``,

one ZARC (whose DRT is a single symmetric peak, :func:`anodelab.models.circuits.zarc_drt`) per DRT
peak, started from the peak's tau and basin resistance (n = 0.9), with ``tau_k`` held within
``TAU_BOUND_DECADES`` of its peak (the fit may not swap processes), ``0.3 <= n_k <= 1``, and L, C and
R_inf free, started from the DRT's values (L and C only where the DRT fitted them). A slowest peak beyond
``10^-TAIL_DECADES / w_min`` (within 0.3 decade of the slowest measured time constant, or past it) is the
visible part of a low-frequency tail that does not close inside the data (diffusion, blocking): it is
modelled by a series CPE ``1 / (Q (j w)^alpha)``, 0.3 <= alpha <= 1, in place of the series C (alpha = 0.5
is a semi-infinite Warburg, 1 a capacitor), and keeps its basin resistance (a tail has no finite resistance
of its own inside the data).

Rows are the real and imaginary parts of Z normalised as in the DRT, weighted by ``1 / |Z|`` (the
usual EIS noise is proportional to |Z|: unweighted, the large low-frequency residuals would let an extra
ZARC pass the F-test below by fitting noise);
``scipy.optimize.leastsq`` (MINPACK Levenberg-Marquardt, analytic Jacobian) in ``ln R_k`` and bounded
coordinates mapped through tanh.
Standard errors: ``s^2 (J'J)^-1`` with ``s^2 = RSS / (rows - parameters)``. The fit is accepted only
when its rms residual is at most ``ACCEPT_RMS_RATIO`` times the DRT's own (same weights) (the model then describes
the spectrum as well as the DRT does); otherwise the basin integrals are kept and the result says so.
When the model fits worse than ``MATCH_RMS_RATIO`` x the DRT's residual (or is refused), a weak DRT
maximum inside the measured range (prominent but below the significance rule) is offered and joins the
model when its extra ZARC passes an F-test on the residual sums of squares at ``F_TEST_P`` (1e-3), or,
when the model without it was refused, when the model with it is accepted.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

TAU_BOUND_DECADES = 0.5
TAIL_DECADES = 0.3
ACCEPT_RMS_RATIO = 1.5
RESCUE_RMS_RATIO = 5.0  # refused models that one more ZARC rescued were at 1.6-4.0x (virtual Si spectra)
MATCH_RMS_RATIO = 1.05
N_START, N_MIN = 0.9, 0.3
ALPHA_START, ALPHA_MIN = 0.5, 0.3
F_TEST_P = 1e-3
MAX_EVALUATIONS = 60  # accepted fits took 6-31 model evaluations (51 fits, virtual and real); more: refused


@dataclass(frozen=True)
class Deconvolution:
    """Normalised ZARC parameters of the peaks that are not a tail, and the covariance of their ``R``."""

    R: NDArray[np.float64]
    R_covariance: NDArray[np.float64]
    tau_s: NDArray[np.float64]
    n: NDArray[np.float64]
    rms: float
    rss: float
    dof: int
    drt_rms: float  # the DRT's own rms residual, same weights

    @property
    def accepted(self) -> bool:
        """Whether the model describes the spectrum about as well as the DRT (``ACCEPT_RMS_RATIO``)."""
        return self.rms <= ACCEPT_RMS_RATIO * self.drt_rms

    @property
    def worth_extending(self) -> bool:
        """Whether a weak maximum should be offered: the model falls short of the DRT, but not so far
        (``RESCUE_RMS_RATIO``) that one more ZARC could not close the gap."""
        return not self.as_good_as_the_drt and self.rms <= RESCUE_RMS_RATIO * self.drt_rms

    @property
    def as_good_as_the_drt(self) -> bool:
        """Whether the ZARC model fits within ``MATCH_RMS_RATIO`` of the DRT's residual (no extra process
        is then looked for: the DRT itself has nothing left to explain)."""
        return self.rms <= MATCH_RMS_RATIO * self.drt_rms


def is_tail(tau_s: float, omega_min_rad_s: float) -> bool:
    """Whether a slowest peak at ``tau_s`` is the visible part of an unclosed low-frequency tail."""
    return math.log10(tau_s * omega_min_rad_s) > -TAIL_DECADES


def improves(simpler: Deconvolution, richer: Deconvolution) -> bool:
    """Whether the extra ZARC of ``richer`` lowers the residual more than noise would (F-test, p < F_TEST_P)."""
    from scipy.stats import f

    extra = simpler.dof - richer.dof
    if extra <= 0 or richer.rss <= 0 or richer.rss >= simpler.rss:
        return False
    statistic = (simpler.rss - richer.rss) / extra / (richer.rss / richer.dof)
    return bool(f.sf(statistic, extra, richer.dof) < F_TEST_P)


def _model(theta, omega, linear, K, tail):
    """Z and dZ/dtheta for ``theta = [linear..., ln R_k..., ln tau_k..., n_k..., (ln q, alpha)]``."""
    k = linear.shape[1]
    ln_R, ln_tau, n = theta[k : k + K], theta[k + K : k + 2 * K], theta[k + 2 * K : k + 3 * K]
    log_jwt = np.log(omega)[:, None] + ln_tau[None, :] + 0.5j * math.pi  # ln(j w tau), (N, K)
    u = np.exp(n[None, :] * log_jwt)  # (j w tau)^n
    R = np.exp(ln_R)[None, :]
    zarc = R / (1.0 + u)
    common = -R * u / (1.0 + u) ** 2
    Z = linear @ theta[:k] + zarc.sum(axis=1)
    columns = [linear, zarc, common * n[None, :], common * log_jwt]
    if tail:  # series CPE q (j w / w_min)^-alpha
        log_jw = np.log(omega / omega.min()) + 0.5j * math.pi
        cpe = np.exp(theta[-2] - theta[-1] * log_jw)
        Z = Z + cpe
        columns += [cpe[:, None], (-cpe * log_jw)[:, None]]
    return Z, np.hstack(columns)


def deconvolve(
    omega_rad_s: NDArray[np.float64],
    Z_normalised: NDArray[np.complex128],
    fit: str,
    linear_columns: NDArray[np.complex128],
    linear_start: NDArray[np.float64],
    peak_tau_s: NDArray[np.float64],
    peak_R: NDArray[np.float64],
    drt_residual: NDArray[np.complex128],
) -> Deconvolution | None:
    """Fit one ZARC per peak (normalised units), the slowest as a series CPE when it is a tail.

    ``linear_columns`` (N, k) are the R_inf / L / C columns of the complex impedance (C last, when
    fitted), ``linear_start`` their DRT values. None when the fit does not converge within
    ``MAX_EVALUATIONS``; otherwise the fit, which is used only if :attr:`Deconvolution.accepted`."""
    from scipy.optimize import leastsq

    tail = bool(peak_tau_s.size) and is_tail(float(peak_tau_s[-1]), float(omega_rad_s.min()))
    K = peak_tau_s.size - int(tail)
    if K == 0:
        return None
    if tail:  # the CPE takes the place of the series C (the last column when it was fitted)
        is_C = np.all(linear_columns.real == 0, axis=0) & (linear_columns.imag[-1] < 0)
        linear_columns, linear_start = linear_columns[:, ~is_C], linear_start[~is_C]
    k = linear_columns.shape[1]
    ln_tau0 = np.log(peak_tau_s[:K])
    span = TAU_BOUND_DECADES * math.log(10.0)
    # Levenberg-Marquardt (MINPACK) on unbounded coordinates: ln tau = ln tau0 + span tanh(a),
    # n = N_MIN + (1 - N_MIN) (1 + tanh(b)) / 2, alpha likewise; the linear coefficients are free.
    lower = np.concatenate([np.full(K, N_MIN), [ALPHA_MIN] if tail else []])
    width = 1.0 - lower

    def physical(z):
        theta = z.copy()
        theta[k + K : k + 2 * K] = ln_tau0 + span * np.tanh(z[k + K : k + 2 * K])
        theta[k + 2 * K : k + 3 * K] = lower[:K] + width[:K] * 0.5 * (1.0 + np.tanh(z[k + 2 * K : k + 3 * K]))
        if tail:
            theta[-1] = lower[-1] + width[-1] * 0.5 * (1.0 + np.tanh(z[-1]))
        return theta

    def chain(z):  # d theta / d z, diagonal
        factor = np.ones_like(z)
        factor[k + K : k + 2 * K] = span * (1.0 - np.tanh(z[k + K : k + 2 * K]) ** 2)
        factor[k + 2 * K : k + 3 * K] = width[:K] * 0.5 * (1.0 - np.tanh(z[k + 2 * K : k + 3 * K]) ** 2)
        if tail:
            factor[-1] = width[-1] * 0.5 * (1.0 - np.tanh(z[-1]) ** 2)
        return factor

    n_start = np.arctanh(2.0 * (N_START - N_MIN) / (1.0 - N_MIN) - 1.0)
    start = [linear_start, np.log(np.maximum(peak_R[:K], 1e-6)), np.zeros(K), np.full(K, n_start)]
    if tail:
        q0 = max(float(np.abs(Z_normalised[-1] - Z_normalised[0])), 1e-6)  # |Z| scale at w_min
        start.append(np.array([math.log(q0), np.arctanh(2 * (ALPHA_START - ALPHA_MIN) / (1 - ALPHA_MIN) - 1)]))
    start = np.concatenate(start)
    parts = [np.real] if fit == "real" else [np.imag] if fit == "imag" else [np.real, np.imag]

    weight = 1.0 / np.maximum(np.abs(Z_normalised), 1e-12)
    drt_rms = math.sqrt(sum(float(np.sum(part(weight * drt_residual) ** 2)) for part in parts) / Z_normalised.size)
    last: list = [None, None, None]  # z, residuals, Jacobian: MINPACK asks for both at the same point

    def evaluate(z):
        if last[0] is None or not np.array_equal(z, last[0]):
            Z, J = _model(physical(z), omega_rad_s, linear_columns, K, tail)
            last[:] = [z.copy(), np.concatenate([part(weight * (Z - Z_normalised)) for part in parts]),
                       np.vstack([part(weight[:, None] * J) for part in parts]) * chain(z)[None, :]]
        return last

    def residuals(z):
        return evaluate(z)[1]

    def jacobian(z):
        return evaluate(z)[2]

    if sum(part(Z_normalised).size for part in parts) <= start.size:
        return None
    with np.errstate(over="ignore", invalid="ignore"):  # a trial step may overflow; judged below
        z, _, _, _, status = leastsq(residuals, start, Dfun=jacobian, full_output=True, maxfev=MAX_EVALUATIONS)
        fun, jac = residuals(z), jacobian(z)
    if not (np.all(np.isfinite(fun)) and np.all(np.isfinite(jac))):
        return None
    rss = float(fun @ fun)
    rms = math.sqrt(rss / Z_normalised.size)
    dof = fun.size - start.size
    if status not in (1, 2, 3, 4) or not math.isfinite(rms):
        return None
    covariance = rss / dof * np.linalg.pinv(jac.T @ jac)
    theta = physical(z)
    R = np.exp(theta[k : k + K])
    return Deconvolution(
        R=R,
        R_covariance=covariance[k : k + K, k : k + K] * np.outer(R, R),
        tau_s=np.exp(theta[k + K : k + 2 * K]),
        n=theta[k + 2 * K : k + 3 * K],
        rms=rms,
        rss=rss,
        dof=int(dof),
        drt_rms=drt_rms,
    )
