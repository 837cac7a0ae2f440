"""The equivalent circuit chosen from the data: candidates fitted, then ranked by an information criterion.

:func:`choose_circuit` builds the candidates ``R0`` in series with ``k`` R||CPE arcs (``p(Rk,CPEk)``)
and, at the low-frequency end, nothing, a semi-infinite Warburg (``W``: diffusion) or a series CPE
(a blocking electrode, or diffusion that is not ideal). ``k`` is centred on the number of processes the
caller knows of (``n_processes``, e.g. the DRT's peaks: ``k`` in ``n - 1 .. n + 1`` within 1..4);
without it ``k = 1 .. 3``. ``low_frequency_tail`` (e.g. whether the DRT sees a tail) keeps only the
candidates with (True) or without (False) a low-frequency element. When the two highest-frequency points
are inductive (``Im Z`` above 1 % of ``|Z|``), every candidate starts with a series inductor ``L0``.
``candidates`` (circuit strings) replaces all of this. Arc counts are tried upwards, and a count is
skipped when the one below did not lower the best BIC of the count below it (forward selection: an arc
that did not help makes the next one no likelier to).

Each candidate is fitted (:func:`~anodelab.impedance.fit.fit_series`, modulus weighting, multi-start;
a candidate with a tail warm-started from the same arcs without it) and scored by the **Bayesian
information criterion** ``BIC = n ln(chi2 / n) + p ln n``: ``n = 2 N`` weighted residuals (real and
imaginary parts), ``p`` free parameters; ``n ln(chi2 / n)`` is ``-2 ln L`` of Gaussian relative residuals
whose variance is estimated from the fit (floored at an rms of 1e-9, so that rounding errors of a
noiseless spectrum do not rank circuits). BIC rather than AIC: its penalty per parameter is ``ln n``
(4.8 for 60 frequencies, against AIC's 2), so an extra arc must improve the fit well beyond what noise
does to enter, and BIC picks the generating circuit as the number of points grows where AIC keeps
adding elements; an over-parametrised circuit (R1 = 17 ± 89 ohm) is what the choice exists to avoid.

The chosen circuit: among the candidates whose every parameter is determined (standard error below
its value on every spectrum fitted; a parameter that ended at a bound has none, so is not), those within 2 of the lowest BIC ("not worth more than a bare
mention", Kass and Raftery 1995), the one with fewest parameters (then the lower BIC). When no
candidate is determined, the lowest BIC, with a warning. A series is judged on up to three of its
spectra (first, middle, last), BICs and chi2 summed, so that one circuit serves the whole series.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import numpy as np

from anodelab.core.errors import FitError, ValidationError
from anodelab.core.result import Metric, Result, stamps_call
from anodelab.core.spectrum import Spectrum, SpectrumSeries, require_spectra
from anodelab.impedance.circuit_strings import Leaf, Node, parse_circuit
from anodelab.impedance.fit import CircuitFit, fit_series
from anodelab.impedance.guess import _arc_count

#: low-frequency elements of the built candidates: a semi-infinite Warburg or a series CPE
Tail = Literal["W", "CPE"]
TAILS: tuple[Tail, ...] = ("W", "CPE")
MAX_ARCS = 4
#: candidates within this BIC of the lowest are told apart by their number of parameters
BIC_TIE = 2.0
#: evaluations per start (and for the polish) of a candidate's fit, per parameter: a circuit the data
#: determine converges well within it; one they do not crawls along its flat valley and is cut short
_NFEV_PER_PARAMETER = 30
#: the residual variance below which fits count as exact (rms 1e-9 of |Z|)
_VARIANCE_FLOOR = 1e-18
_TAIL_WORDS = {None: "", "W": " + Warburg", "CPE": " + CPE tail"}
CRITERION_DEFINITION = (
    "BIC = n ln(chi2 / n) + p ln n, n = 2 N weighted residuals, p free parameters, chi2 the modulus-weighted "
    f"sum of squares (summed over the spectra fitted); chosen: fewest parameters within {BIC_TIE:g} of the "
    "lowest BIC among the candidates with every parameter determined (stderr < value, none at a bound)"
)


@dataclass(frozen=True)
class Candidate:
    """One circuit tried: its fit to the spectra used, summed, and its score."""

    circuit: str
    n_arcs: int
    tail: str | None
    n_parameters: int
    chi2: float
    bic: float
    undetermined: tuple[str, ...]

    @property
    def determined(self) -> bool:
        return not self.undetermined

    @property
    def label(self) -> str:
        return f"{self.n_arcs} arc{'s' if self.n_arcs != 1 else ''}{_TAIL_WORDS.get(self.tail, f' + {self.tail}')}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "circuit": self.circuit, "n_arcs": self.n_arcs, "tail": self.tail, "n_parameters": self.n_parameters,
            "chi2": self.chi2, "bic": self.bic, "undetermined": list(self.undetermined),
        }


@dataclass(frozen=True, repr=False)
class CircuitChoice(Result):
    """Result of :func:`choose_circuit`: the candidates, their scores, the one chosen and why."""

    kind: ClassVar[str] = "circuit_choice"
    version: ClassVar[int] = 1
    criterion: ClassVar[str] = "BIC"
    candidates: tuple[Candidate, ...]
    chosen: int
    fits: tuple[CircuitFit, ...]
    spectra_used: tuple[int, ...]
    inductive: bool
    reason: str

    @property
    def circuit(self) -> str:
        return self.candidates[self.chosen].circuit

    def metrics(self) -> tuple[Metric, ...]:
        best = self.candidates[self.chosen]
        others = [c.bic for i, c in enumerate(self.candidates) if i != self.chosen and c.determined]
        out = [
            Metric("n_arcs", float(best.n_arcs), "", definition="R||CPE arcs of the circuit chosen from the data"),
            Metric("n_parameters", float(best.n_parameters), "", definition="free parameters of the circuit chosen"),
            Metric("bic", best.bic, "", definition=CRITERION_DEFINITION),
        ]
        if others:
            out.append(Metric("bic_margin", min(others) - best.bic, "",
                              definition="lowest BIC of the other determined candidates minus the chosen one's"))
        return tuple(out)

    def content(self) -> dict[str, Any]:
        return {
            "circuit": self.circuit,
            "reason": self.reason,
            "criterion": self.criterion,
            "criterion_definition": CRITERION_DEFINITION,
            "candidates": [c.to_dict() for c in self.candidates],
            "spectra_used": list(self.spectra_used),
            "inductive": self.inductive,
        }

    @property
    def summary(self) -> str:
        """``"1 arc, BIC -1301.1 vs -1296.1 for 1 arc + Warburg"``: the chosen and the next determined candidate."""
        best = self.candidates[self.chosen]
        others = [c for i, c in enumerate(self.candidates) if i != self.chosen and c.determined]
        runner = min(others, key=lambda c: c.bic) if others else None
        return f"{best.label}, BIC {best.bic:.1f}" + (f" vs {runner.bic:.1f} for {runner.label}" if runner else "")

    def headline(self) -> str:
        return f"{self.circuit}: {self.reason}"


def candidate_circuits(
    arcs: Sequence[int], tails: Sequence[Tail | None] = (None, *TAILS), *, inductive: bool = False
) -> list[str]:
    """``[L0-]R0-p(R1,CPE1)-...-p(Rk,CPEk)[-W(k+1) | -CPE(k+1)]`` for each ``k`` in ``arcs`` and each tail."""
    out = []
    for k in arcs:
        body = "R0-" + "-".join(f"p(R{i},CPE{i})" for i in range(1, k + 1))
        for tail in tails:
            out.append(("L0-" if inductive else "") + body + (f"-{tail}{k + 1}" if tail else ""))
    return out


@stamps_call
def choose_circuit(
    spectra: Spectrum | SpectrumSeries | Sequence[Spectrum],
    *,
    n_processes: int | None = None,
    low_frequency_tail: bool | None = None,
    candidates: Sequence[str] | None = None,
    n_starts: int = 4,
) -> CircuitChoice:
    """The circuit for ``spectra`` (one spectrum or a series) chosen by BIC among candidates (module docstring).

    ``n_processes``: the number of processes the caller knows of (DRT peaks), centring the arc counts
    tried; ``low_frequency_tail``: whether the spectrum has a low-frequency tail (None: try both);
    ``candidates``: circuit strings to choose between instead; ``n_starts``: multi-start of each fit.
    """
    series = (SpectrumSeries.of([spectra], provenance=spectra.provenance) if isinstance(spectra, Spectrum)
              else require_spectra(spectra, "choose_circuit"))
    if n_processes is not None and (isinstance(n_processes, bool) or not isinstance(n_processes, int) or n_processes < 0):
        raise ValidationError("n_processes", f"must be an integer >= 0 or None, got {n_processes!r}")
    if low_frequency_tail is not None and not isinstance(low_frequency_tail, bool):
        raise ValidationError("low_frequency_tail", f"must be True, False or None, got {low_frequency_tail!r}")
    used = sorted({0, (len(series) - 1) // 2, len(series) - 1})
    subset = [series[i] for i in used]
    inductive = any(_inductive(spectrum) for spectrum in subset)
    circuits = _circuits(candidates, n_processes, low_frequency_tail, inductive)
    scored = _fitted_candidates(circuits, subset, n_starts, forward=candidates is None)
    if not scored:
        raise FitError(f"none of the candidate circuits could be fitted ({', '.join(circuits)})")
    ranked = [candidate for candidate, _ in scored]
    chosen, why = _choose(ranked)
    undetermined = ranked[chosen].undetermined
    warning = (f"no candidate circuit has every parameter determined on these data; the lowest BIC is chosen and "
               f"{', '.join(undetermined)} {'remains' if len(undetermined) == 1 else 'remain'} undetermined "
               "(over-parametrised, or at a bound)")
    return CircuitChoice(
        candidates=tuple(ranked),
        chosen=chosen,
        fits=scored[chosen][1],
        spectra_used=tuple(used),
        inductive=inductive,
        reason=_reason(ranked, chosen, why, inductive, len(used)),
        provenance=series.provenance,
        warnings=(warning,) if undetermined else (),
    )


def _circuits(
    candidates: Sequence[str] | None, n_processes: int | None, low_frequency_tail: bool | None, inductive: bool
) -> list[str]:
    """The circuits to try: ``candidates`` (normalised, duplicates dropped), else those built from the arc counts
    around ``n_processes`` and the tails ``low_frequency_tail`` allows (module docstring)."""
    if candidates is not None:
        circuits = list(dict.fromkeys(parse_circuit(text).string for text in candidates))
        if not circuits:
            raise ValidationError("candidates", "give at least one circuit string")
        return circuits
    low, high = (1, 3) if n_processes is None else (
        min(MAX_ARCS, max(1, n_processes - 1)), min(MAX_ARCS, max(1, n_processes + 1))
    )
    tails: tuple[Tail | None, ...] = {None: (None, *TAILS), True: TAILS, False: (None,)}[low_frequency_tail]
    return candidate_circuits(range(low, high + 1), tails, inductive=inductive)


def _fitted_candidates(
    circuits: Sequence[str], spectra: Sequence[Spectrum], n_starts: int, *, forward: bool
) -> list[tuple[Candidate, tuple[CircuitFit, ...]]]:
    """Each circuit fitted to ``spectra`` and scored, in order; one that cannot be fitted is left out, and with
    ``forward`` (built candidates) so is an arc count that the one below did not improve (:func:`_pointless`)."""
    scored: list[tuple[Candidate, tuple[CircuitFit, ...]]] = []
    for circuit in circuits:
        model = parse_circuit(circuit)
        top, arcs = _arc_count(model)
        if forward and _pointless(len(arcs), [candidate for candidate, _ in scored]):
            continue
        try:
            fits = fit_series(spectra, model, n_starts=n_starts, max_nfev=_NFEV_PER_PARAMETER * (len(model) + 1)).fits
        except FitError:  # more parameters than the points carry, or no start converged: not a candidate
            continue
        scored.append((_score(model.string, len(arcs), _tail(top), fits), fits))
    return scored


def _pointless(n_arcs: int, scored: Sequence[Candidate]) -> bool:
    """The best BIC with one arc fewer was no lower than with two fewer (forward selection: an arc that
    did not help, the next will not)."""
    best = {count: min((c.bic for c in scored if c.n_arcs == count), default=None) for count in (n_arcs - 1, n_arcs - 2)}
    previous, before = best[n_arcs - 1], best[n_arcs - 2]
    return previous is not None and before is not None and previous >= before


def _inductive(spectrum: Spectrum) -> bool:
    """The two highest-frequency points have ``Im Z`` above 1 % of ``|Z|`` (frequencies are sorted high to low)."""
    top = spectrum.Z_ohm[:2]
    return bool(top.size == 2 and np.all(top.imag > 0.01 * np.abs(top)))


def _tail(top: Sequence[Node | Leaf]) -> str | None:
    """The code of the circuit's last series element when it is a low-frequency element (not R, L or an arc)."""
    last = top[-1]
    return last.code if len(top) > 1 and isinstance(last, Leaf) and last.code not in ("R", "L", "Zarc") else None


def _score(circuit: str, n_arcs: int, tail: str | None, fits: Sequence[CircuitFit]) -> Candidate:
    """The candidate's BIC summed over its fits, and the parameters left undetermined on any of them."""
    bic = 0.0
    for fit in fits:
        n = 2 * fit.n_points
        p = len(fit.fitted) - len(fit.fixed)
        bic += n * math.log(max(fit.chi2 / n, _VARIANCE_FLOOR)) + p * math.log(n)
    undetermined = tuple(name for name in fits[0].fitted if any(name in fit.undetermined for fit in fits))
    return Candidate(circuit, n_arcs, tail, len(fits[0].fitted) - len(fits[0].fixed), sum(f.chi2 for f in fits), bic,
                     undetermined)


def _choose(candidates: Sequence[Candidate]) -> tuple[int, str]:
    """Index of the chosen candidate (module docstring) and what decided it."""
    pool = [i for i, c in enumerate(candidates) if c.determined] or list(range(len(candidates)))
    lowest = min(pool, key=lambda i: candidates[i].bic)
    close = [i for i in pool if candidates[i].bic <= candidates[lowest].bic + BIC_TIE]
    chosen = min(close, key=lambda i: (candidates[i].n_parameters, candidates[i].bic))
    if chosen != lowest:
        return chosen, (f"fewest parameters within {BIC_TIE:g} of the lowest BIC "
                        f"({candidates[lowest].bic:.1f}, {candidates[lowest].label})")
    return chosen, "lowest BIC" + (" of the determined candidates" if len(pool) < len(candidates) else "")


def _reason(candidates: Sequence[Candidate], chosen: int, why: str, inductive: bool, n_spectra: int) -> str:
    """``"2 arcs + Warburg: BIC -812.3 (lowest BIC) vs -790.1 for 1 arc, ..."``: the best other candidate of
    each arc count and the other tails of the chosen count, each marked when not determined."""
    best = candidates[chosen]
    shown: dict[int, int] = {}
    for i, c in enumerate(candidates):
        if i != chosen and c.n_arcs != best.n_arcs and (c.n_arcs not in shown or c.bic < candidates[shown[c.n_arcs]].bic):
            shown[c.n_arcs] = i
    others = [i for i, c in enumerate(candidates) if i != chosen and c.n_arcs == best.n_arcs] + sorted(
        shown.values(), key=lambda i: candidates[i].n_arcs
    )
    parts = [f"{candidates[i].bic:.1f} for {candidates[i].label}"
             + (f" ({', '.join(candidates[i].undetermined)} not determined)" if candidates[i].undetermined else "")
             for i in others]
    where = f" summed over {n_spectra} spectra" if n_spectra > 1 else ""
    lead = f"{best.label}{' (with L0: inductive at high frequency)' if inductive else ''}"
    return f"{lead}: BIC {best.bic:.1f}{where} ({why})" + (f" vs {'; '.join(parts)}" if parts else "")
