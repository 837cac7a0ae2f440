"""Initial parameter guesses for circuit fitting, read off the spectrum (intercepts, arc apexes, low-frequency tail)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import NDArray

from anodelab.core.spectrum import Spectrum
from anodelab.impedance.circuit_strings import CircuitModel, Leaf, Node, as_model
from anodelab.models import circuits as mc


def _features(frequency: NDArray[np.float64], Z: NDArray[np.complex128]) -> dict[str, Any]:
    from anodelab.impedance.derived import high_frequency_intercept_ohm

    omega = 2.0 * np.pi * frequency
    minus_im = -Z.imag
    R_hf = max(high_frequency_intercept_ohm(frequency, Z), 0.0)
    # low-frequency end of the arcs: the low-frequency local minimum of -Im (before a tail), else the last point
    minima = [i for i in range(1, len(Z) - 1) if minus_im[i] <= minus_im[i - 1] and minus_im[i] < minus_im[i + 1]]
    R_lf = float(Z.real[minima[-1]]) if minima else float(Z.real[-1])
    scale = float(np.abs(Z).max())
    R_arcs = max(R_lf - R_hf, 1e-3 * scale)
    # apexes: local maxima of -Im smoothed over 5 points (noise), ranked by prominence
    from scipy.signal import find_peaks

    padded = np.concatenate(([0.0, 0.0], np.clip(minus_im, 0, None), [0.0, 0.0]))
    smooth = np.convolve(padded, np.ones(5) / 5, mode="valid") if len(Z) >= 5 else np.clip(minus_im, 0, None)
    index, props = find_peaks(smooth, prominence=0.02 * max(float(smooth.max()), 1e-300))
    ranked = index[np.argsort(-props["prominences"])]
    return {
        "omega": omega,
        "R_hf": R_hf if R_hf > 0 else 1e-3 * scale,
        "R_arcs": R_arcs,
        "scale": scale,
        "peaks": [(float(omega[i]), float(smooth[i])) for i in ranked],
        "Z": Z,
    }


def _arc_count(model: CircuitModel) -> tuple[list[Node | Leaf], list[Node | Leaf]]:
    tree = model.tree
    top = list(tree.children) if isinstance(tree, Node) and tree.kind == "s" else [tree]
    arcs = [node for node in top if (isinstance(node, Node) and node.kind == "p") or (isinstance(node, Leaf) and node.code == "Zarc")]
    return top, arcs


def initial_guess(spectrum: Spectrum, circuit: str | CircuitModel | mc.Circuit) -> dict[str, float]:
    """Parameter guesses read off the spectrum (see the docstring of :mod:`anodelab.impedance.fit`)."""
    model, _ = as_model(circuit)
    return _guess(model, spectrum.frequency_Hz, spectrum.Z_ohm)


def _guess(
    model: CircuitModel, frequency: NDArray[np.float64], Z: NDArray[np.complex128], *, spread: bool = False
) -> dict[str, float]:
    """Guesses from the spectrum; ``spread=True`` ignores the apexes and spreads the arcs over the band."""
    feat = _features(frequency, Z)
    omega, scale = feat["omega"], feat["scale"]
    top, arcs = _arc_count(model)
    K = len(arcs)
    omega_max, omega_min = float(omega.max()), float(omega.min())
    peaks = _arc_apexes([] if spread else feat["peaks"][:K], K, omega_max, omega_min, feat["R_arcs"])
    heights = np.array([h for _, h in peaks]) if peaks else np.zeros(0)
    shares = feat["R_arcs"] * heights / heights.sum() if K and heights.sum() > 0 else np.full(K, feat["R_arcs"] / max(K, 1))
    arc_of = {id(node): k for k, node in enumerate(arcs)}
    low_im, n_tail = _low_frequency_tail(Z, omega, scale)
    top_R = [leaf for leaf in top if isinstance(leaf, Leaf) and leaf.code == "R"]
    guesses: dict[str, float] = {}

    def leaf_values(leaf: Leaf, k: int | None) -> list[float]:
        if k is not None:
            R_k = float(shares[k])
            tau = 1.0 / peaks[k][0]
        else:
            R_k, tau = feat["R_arcs"] / 2, 1.0 / omega_min
        n = 0.9
        code = leaf.code
        if code == "R":
            return [R_k if k is not None else feat["R_hf"] / max(len(top_R), 1)]
        if code == "C":
            return [tau / R_k if k is not None else 1.0 / (omega_min * low_im)]
        if code == "CPE":
            if k is not None:
                return [tau**n / R_k, n]
            return [1.0 / (low_im * omega_min**n_tail), n_tail]
        if code == "L":
            if k is not None:
                return [R_k * tau]
            return [max(Z.imag[0], 1e-3 * scale) / omega_max]
        if code == "Zarc":
            return [R_k, tau, n]
        if code == "W":
            return [max(low_im * math.sqrt(omega_min) * 0.5, 1e-6 * scale)]
        return [R_k, tau]  # Ws, Wo, G

    def walk(node: Node | Leaf, k: int | None) -> None:
        k = arc_of.get(id(node), k)
        if isinstance(node, Leaf):
            guesses.update(zip(node.parameter_names, leaf_values(node, k), strict=True))
        else:
            for child in node.children:
                walk(child, k)

    walk(model.tree, None)
    return {name: float(guesses[name]) for name in model.names}


def _arc_apexes(
    found: list[tuple[float, float]], K: int, omega_max: float, omega_min: float, R_arcs: float
) -> list[tuple[float, float]]:
    """(omega, height) of the ``K`` arcs, fastest first: the apexes ``found``, the missing ones log-spaced over
    the band ``omega_min..omega_max`` (away from those found) with an equal share of ``R_arcs``."""
    peaks = sorted(found, key=lambda p: -p[0])
    if len(peaks) < K:  # fill the missing arcs log-spaced over the band
        taken = [p[0] for p in peaks]
        fill = np.geomspace(omega_max / 10, omega_min * 10, K - len(peaks) + 2)[1:-1]
        peaks += [(float(w), R_arcs / (2 * K)) for w in fill if all(abs(math.log(w / t)) > 0.5 for t in taken)]
        while len(peaks) < K:
            peaks.append((math.sqrt(omega_max * omega_min), R_arcs / (2 * K)))
        peaks.sort(key=lambda p: -p[0])
    return peaks


def _low_frequency_tail(Z: NDArray[np.complex128], omega: NDArray[np.float64], scale: float) -> tuple[float, float]:
    """The low-frequency tail: ``|Im Z|`` at the last point (1e-3 ``scale`` when not capacitive), and its exponent n
    from the slope of ``log |Im Z|`` over the last two points (0.5..1; 0.9 when they do not tell)."""
    low_im = abs(Z.imag[-1]) if Z.imag[-1] < 0 else 1e-3 * scale
    if len(Z) >= 3 and Z.imag[-1] < 0 and Z.imag[-2] < 0:
        slope = -math.log(abs(Z.imag[-1] / Z.imag[-2])) / math.log(omega[-1] / omega[-2])
        n_tail = min(max(slope, 0.5), 1.0)
    else:
        n_tail = 0.9
    return low_im, n_tail
