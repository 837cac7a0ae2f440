"""The results of running one task with several models (:mod:`anodelab.sim.atomistic.ensemble`): the
per-model values with their mean, standard deviation and spread, and a ranking that says which of
its steps the spread resolves."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from numpy.typing import NDArray

from anodelab.core.result import Metric, Result
from anodelab.sim.atomistic.result import AtomisticResult

#: metrics an ensemble does not average (flags and counts)
NOT_AVERAGED = ("converged", "steps")


@dataclass(frozen=True, repr=False)
class EnsembleResult(AtomisticResult):
    """One task run with several models: per model every headline metric, and over the models their
    mean, standard deviation (``ddof=1``) and spread (max - min). ``primary`` is the first one's metric."""

    kind: ClassVar[str] = "atomistic_ensemble"
    version: ClassVar[int] = 1

    task: str
    results: tuple[AtomisticResult, ...]

    @property
    def model_names(self) -> tuple[str, ...]:
        return tuple(r.model.get("name", "?") for r in self.results)

    def values(self) -> dict[str, tuple[NDArray[np.float64], str]]:
        """Per metric name (unindexed, in every result, not a flag): the per-model values and the unit."""
        first = [m for m in self.results[0].quantities() if m.index is None and m.name not in NOT_AVERAGED]
        out: dict[str, tuple[NDArray[np.float64], str]] = {}
        for metric in first:
            found = [[m.value for m in r.quantities() if m.name == metric.name and m.index is None] for r in self.results]
            if all(found):
                out[metric.name] = (np.array([f[0] for f in found], dtype=np.float64), metric.unit)
        return out

    def stats(self, name: str) -> dict[str, float]:
        """mean, std (ddof=1; NaN for one model), spread (max - min), min, max of metric ``name``."""
        values = self.values()[name][0]
        finite = values[np.isfinite(values)]
        if finite.size == 0:
            return {"mean": math.nan, "std": math.nan, "spread": math.nan, "min": math.nan, "max": math.nan}
        return {"mean": float(finite.mean()), "std": float(finite.std(ddof=1)) if finite.size > 1 else math.nan,
                "spread": float(np.ptp(finite)), "min": float(finite.min()), "max": float(finite.max())}

    def primary(self) -> Metric:
        name = self.results[0].primary().name
        return Metric(name, self.stats(name)["mean"], self.values()[name][1])

    def closest_to_dft(self) -> tuple[str, float] | None:
        """The model whose headline value lies nearest the DFT value, and its difference; None without one."""
        if self.dft_eV is None:
            return None
        name = self.primary().name
        deltas = self.values()[name][0] - self.dft_eV
        best = int(np.nanargmin(np.abs(deltas)))
        return self.model_names[best], float(deltas[best])

    def quantities(self) -> tuple[Metric, ...]:
        metrics: list[Metric] = []
        for name, (values, unit) in self.values().items():
            s = self.stats(name)
            metrics.append(Metric(name, s["mean"], unit, definition=f"mean over {len(values)} models"))
            metrics.append(Metric(f"{name}_spread", s["spread"], unit, definition="max - min over the models"))
            metrics.append(Metric(f"{name}_std", s["std"], unit, definition="standard deviation over the models (ddof=1)"))
            metrics += [Metric(name, float(v), unit, index_name="model", index=i, definition=self.model_names[i])
                        for i, v in enumerate(values)]
        return tuple(metrics)

    def content(self) -> dict[str, Any]:
        closest = self.closest_to_dft()
        return {"task": self.task, "models": [dict(r.model) for r in self.results],
                "primary": self.primary().name, "converged": [bool(getattr(r, "converged", True)) for r in self.results],
                "values": {name: values.tolist() for name, (values, _) in self.values().items()},
                "stats": {name: self.stats(name) for name in self.values()},
                "closest_to_dft": None if closest is None else {"model": closest[0], "delta": closest[1]},
                "results": [r.to_dict() for r in self.results], **self.context()}

    def tables(self) -> dict[str, dict[str, NDArray[Any]]]:
        table: dict[str, NDArray[Any]] = {"model": np.array(self.model_names, dtype=object),
                                          "version": np.array([r.model.get("version", "") for r in self.results],
                                                              dtype=object)}
        for name, (values, unit) in self.values().items():
            table[f"{name}_{unit.replace('/', '_')}" if unit else name] = values
        table["converged"] = np.array([bool(getattr(r, "converged", True)) for r in self.results])
        return {"models": table}

    def headline(self) -> str:
        name = self.primary().name
        s, unit = self.stats(name), self.values()[name][1]
        per_model = ", ".join(f"{m} {v:.3f}" for m, v in zip(self.model_names, self.values()[name][0], strict=True))
        closest = self.closest_to_dft()
        dft = "" if closest is None else f"; DFT {self.dft_eV:.3f}, closest {closest[0]} ({closest[1]:+.3f})"
        return (f"{self.task} {name}: mean {s['mean']:.3f} {unit}, spread {s['spread']:.3f} {unit} over "
                f"{len(self.results)} models ({per_model}){dft}")


@dataclass(frozen=True, repr=False)
class RankingResult(Result):
    """Candidates ordered by the ensemble mean of one metric (lowest first); each step to the next is
    *resolved* only where the gap between the means exceeds the larger of the two spreads."""

    kind: ClassVar[str] = "atomistic_ranking"
    version: ClassVar[int] = 1

    metric: str
    unit: str
    labels: tuple[str, ...]
    means: tuple[float, ...]
    spreads: tuple[float, ...]
    models_agree: tuple[bool, ...]  # per step to the next: every model orders the pair the same way

    @property
    def gaps(self) -> tuple[float, ...]:
        return tuple(b - a for a, b in zip(self.means[:-1], self.means[1:], strict=True))

    @property
    def resolved(self) -> tuple[bool, ...]:
        """Per step to the next candidate: the gap exceeds the larger spread of the pair."""
        return tuple(bool(gap > max(self.spreads[i], self.spreads[i + 1])) for i, gap in enumerate(self.gaps))

    def metrics(self) -> tuple[Metric, ...]:
        metrics = [Metric(self.metric, mean, self.unit, index_name="rank", index=i + 1, definition=label)
                   for i, (label, mean) in enumerate(zip(self.labels, self.means, strict=True))]
        metrics += [Metric("resolved", float(r), "", index_name="rank", index=i + 1,
                           definition="gap to the next candidate > the larger spread of the two")
                    for i, r in enumerate(self.resolved)]
        return tuple(metrics)

    def content(self) -> dict[str, Any]:
        return {"metric": self.metric, "unit": self.unit, "ranking": [
            {"rank": i + 1, "label": label, "mean": self.means[i], "spread": self.spreads[i],
             "gap_to_next": self.gaps[i] if i < len(self.gaps) else None,
             "resolved_vs_next": self.resolved[i] if i < len(self.gaps) else None,
             "models_agree_vs_next": self.models_agree[i] if i < len(self.gaps) else None}
            for i, label in enumerate(self.labels)]}

    def tables(self) -> dict[str, dict[str, NDArray[Any]]]:
        n = len(self.labels)
        pad = [math.nan]
        return {"ranking": {"rank": np.arange(1, n + 1), "label": np.array(self.labels, dtype=object),
                            "mean": np.array(self.means), "spread": np.array(self.spreads),
                            "gap_to_next": np.array([*self.gaps, *pad]),
                            "resolved_vs_next": np.array([*map(float, self.resolved), *pad]),
                            "models_agree_vs_next": np.array([*map(float, self.models_agree), *pad])}}

    def headline(self) -> str:
        parts = [self.labels[0]]
        for i, gap in enumerate(self.gaps):
            spread = max(self.spreads[i], self.spreads[i + 1])
            sign = "<" if self.resolved[i] else "~"
            note = "" if self.resolved[i] else f" (unresolved: gap {gap:.3f} <= spread {spread:.3f} {self.unit})"
            parts.append(f"{sign} {self.labels[i + 1]}{note}")
        return f"{self.metric}: " + " ".join(parts)
