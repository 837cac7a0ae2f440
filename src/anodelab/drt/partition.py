"""DRTs and circuit fits of a very large spectrum series, partitioned across the workers of a Dask cluster.

:func:`drt_series_partitioned` returns what :func:`~anodelab.drt.series.drt_series` returns in one process
with one BLAS thread (as the study pipeline runs every analysis, and as Dask workers run), bit for bit.
It keeps drt_series' shared-grid batching: the spectra of each frequency grid share one basis, one
design matrix and one eigendecomposition (built once per grid in each worker), and lambda is chosen for
the whole grid in one vectorised pass, one task per grid (about 2 % of the work). That pass is not cut:
how a matrix product splits its columns into blocks decides the last bits of each column's result, so a
choice made block by block would differ from the one-process batch. The rest, each spectrum's solve,
peaks and band (independent of the others to the last bit), runs in contiguous blocks of each grid's
spectra, one task per block. One BLAS thread because the thread count changes the last bits too; and
the basis and decomposition cached for a grid keep the bits of the thread count they were built with.

:func:`fit_series_partitioned` fits contiguous blocks with :func:`~anodelab.impedance.fit.fit_series`.
Inside a block each spectrum starts from its neighbour's fit, as in one process; the first spectrum of
every block gets the full multi-start instead (a fit chain is sequential by nature). It equals
``fit_series`` of each block, concatenated, wherever it runs, and ``fit_series`` itself with one partition.

``client`` is a ``distributed.Client``; without one the same blocks run one after the other in this
process. Nothing here imports ``distributed``.
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np
from numpy.typing import NDArray
from threadpoolctl import threadpool_limits

from anodelab.core.errors import ValidationError
from anodelab.core.result import Result, stamps_call
from anodelab.core.spectrum import Spectrum, SpectrumSeries, require_spectra
from anodelab.drt.fit import (
    DRTOptions,
    LambdaPlan,
    _check_lambda,
    check_spectrum,
    plan_lambdas,
    solve_group,
)
from anodelab.drt.peaks import resolve_windows
from anodelab.drt.result import DRTResult, DRTSeriesResult
from anodelab.drt.series import _grid_key, drt_series, series_result
from anodelab.impedance.fit import SeriesFit, _series_warnings, fit_series

if TYPE_CHECKING:
    from distributed import Client

#: default partitions per worker thread: a little more than one, so a slow block does not idle the rest
PARTITIONS_PER_THREAD = 2
COORDINATES = ("time_s", "voltage_V", "cycle", "temperature_C", "index")

R = TypeVar("R", bound=Result)


@dataclass(frozen=True)
class Block:
    """Spectra of one frequency grid, contiguous in it, with their lambdas: what one task solves."""

    indices: tuple[int, ...]  # their positions in the series
    frequency_Hz: NDArray[np.float64]
    Z_ohm: NDArray[np.complex128]  # (frequencies, spectra)
    plan: LambdaPlan


def drt_series_partitioned(
    series: SpectrumSeries,
    client: Client | None = None,
    *,
    partitions: int | None = None,
    lambda_: str | float = "auto",
    windows: str | Mapping[str, Sequence[float]] | None = None,
    shared_lambda: bool = False,
    coordinate: str = "time_s",
    **options: Any,
) -> DRTSeriesResult:
    """:func:`~anodelab.drt.series.drt_series` of ``series`` (same options, same result bit for bit, with
    one BLAS thread), its spectra solved on ``client``'s workers (see the module docstring).
    ``partitions``: about how many blocks (default: 2 per worker thread, 1 without a client)."""
    series = require_spectra(series, "drt_series")
    if coordinate not in COORDINATES:
        raise ValidationError("coordinate", f"expected {', '.join(COORDINATES[:-1])} or index, got {coordinate!r}")
    settings = DRTOptions.of(**options)
    value = _check_lambda(lambda_)
    resolved = resolve_windows(windows)
    parameters = {"lambda_": lambda_, "windows": windows, **settings.to_dict()}
    for index, spectrum in enumerate(series):
        check_spectrum(spectrum, f"series[{index}]")
    blocks = planned_blocks(series, settings, value, shared_lambda, _partitions(client, partitions), client)
    solved = _map(client, _solve, [(block, settings, resolved, parameters) for block in _place(client, blocks)])
    results: list[DRTResult | None] = [None] * len(series)
    for block, part in zip(blocks, solved, strict=True):
        for index, result in zip(block.indices, part, strict=True):
            results[index] = result
    done = tuple(result for result in results if result is not None)
    merged = series_result(series, done, resolved, coordinate,
                           {**parameters, "shared_lambda": shared_lambda, "coordinate": coordinate})
    return _stamped_as(drt_series, merged, series, lambda_=lambda_, windows=windows, shared_lambda=shared_lambda,
                       coordinate=coordinate, **options)


def planned_blocks(series: SpectrumSeries, settings: DRTOptions, lambda_: float | None, shared_lambda: bool,
                   partitions: int, client: Client | None = None) -> list[Block]:
    """The spectra grouped by frequency grid (in order of first appearance, as drt_series groups them),
    lambda planned for each whole grid, one task per grid on ``client`` (``lambda_``, or chosen; with
    ``shared_lambda`` the geometric mean of every choice), then each grid cut into contiguous blocks,
    about ``partitions`` in all, none of a single spectrum unless its grid has only that one."""
    groups: dict[tuple[float, ...], list[int]] = {}
    for index, spectrum in enumerate(series):
        groups.setdefault(_grid_key(spectrum.frequency_Hz), []).append(index)
    grids = [(indices, series[indices[0]].frequency_Hz, np.stack([series[i].Z_ohm for i in indices], axis=1))
             for indices in groups.values()]
    placed = _place(client, [Z for *_, Z in grids])
    plans: list[LambdaPlan] = _map(client, _plan, [(frequency, Z, settings, lambda_)
                                                  for (_, frequency, _), Z in zip(grids, placed, strict=True)])
    if shared_lambda and lambda_ is None:  # as drt_series takes it: over every grid's choices, in order
        mean = float(np.exp(np.mean(np.log(np.concatenate([plan.values for plan in plans])))))
        plans = [plan.shared(mean) for plan in plans]
    size = max(math.ceil(len(series) / partitions), 2)
    blocks = []
    for (indices, frequency, Z), plan in zip(grids, plans, strict=True):
        starts = list(range(0, len(indices), size))
        if len(starts) > 1 and len(indices) - starts[-1] == 1:
            starts.pop()  # no block of one spectrum from a larger grid: numpy solves a lone column another way
        for start, stop in zip(starts, [*starts[1:], len(indices)]):
            part = slice(start, stop)
            blocks.append(Block(tuple(indices[part]), frequency, np.ascontiguousarray(Z[:, part]),
                                LambdaPlan(plan.values[part], plan.at_edge[part], plan.criterion)))
    return blocks


def _plan(frequency_Hz: NDArray[np.float64], Z_ohm: NDArray[np.complex128], settings: DRTOptions,
          lambda_: float | None) -> LambdaPlan:
    """The lambdas of a whole grid's spectra, chosen in one pass as drt_series chooses them (one BLAS thread)."""
    with threadpool_limits(limits=1, user_api="blas"):
        return plan_lambdas(frequency_Hz, Z_ohm, settings, lambda_)


def _solve(block: Block, settings: DRTOptions, windows: Mapping[str, tuple[float, float]] | None,
           parameters: Mapping[str, Any]) -> list[DRTResult]:
    """The DRTs of a block's spectra at their planned lambdas (one BLAS thread, as the plan was made)."""
    with threadpool_limits(limits=1, user_api="blas"):
        return solve_group(block.frequency_Hz, block.Z_ohm, settings, block.plan, windows, parameters)


def fit_series_partitioned(
    series: SpectrumSeries | Sequence[Spectrum],
    circuit: Any,
    client: Client | None = None,
    *,
    partitions: int | None = None,
    initial: Mapping[str, float] | None = None,
    **options: Any,
) -> SeriesFit:
    """:func:`~anodelab.impedance.fit.fit_series` over contiguous blocks of ``series``, one task each on
    ``client``'s workers (see the module docstring; ``initial`` starts the first block, ``options`` are
    fit_series'). ``partitions``: how many blocks (default 2 per worker thread, 1 without a client)."""
    spectra = require_spectra(series, "fit_series")
    count = min(_partitions(client, partitions), len(spectra))
    edges = np.linspace(0, len(spectra), count + 1).round().astype(int)
    blocks = [spectra[int(a):int(b)] for a, b in itertools.pairwise(edges)]
    placed = _place(client, blocks)
    parts = _map(client, _fit_block, [(block, circuit, initial if k == 0 else None, options)
                                      for k, block in enumerate(placed)])
    fits = tuple(fit for part in parts for fit in part.fits)
    merged = SeriesFit(fits, parameters={"circuit": parts[0].parameters["circuit"]}, provenance=spectra.provenance,
                       warnings=_series_warnings(fits))
    return _stamped_as(fit_series, merged, series, circuit, initial=initial, **options)


def _fit_block(block: SpectrumSeries, circuit: Any, initial: Mapping[str, float] | None,
               options: Mapping[str, Any]) -> SeriesFit:
    return fit_series(block, circuit, initial=initial, **options)


def _partitions(client: Client | None, partitions: int | None) -> int:
    if partitions is not None:
        if isinstance(partitions, bool) or not isinstance(partitions, int) or partitions < 1:
            raise ValidationError("partitions", f"must be an integer >= 1, got {partitions!r}")
        return partitions
    if client is None:
        return 1
    return PARTITIONS_PER_THREAD * max(int(sum(client.nthreads().values())), 1)


def _place(client: Client | None, blocks: list[Any]) -> list[Any]:
    """The blocks on the cluster (sent once, used by every phase), or as they are without one."""
    return blocks if client is None else list(client.scatter(blocks))


def _map(client: Client | None, function: Callable[..., Any], calls: list[tuple[Any, ...]]) -> list[Any]:
    """``function(*call)`` for every call, in order: on the cluster's workers, or here without a client."""
    if client is None:
        return [function(*call) for call in calls]
    futures = [client.submit(function, *call, pure=False) for call in calls]
    return list(client.gather(futures))


def _stamped_as(function: Callable[..., R], result: R, *args: Any, **kwargs: Any) -> R:
    """``result`` with the parameters and provenance ``function(*args, **kwargs)`` stamps on what it returns
    (:func:`~anodelab.core.result.stamps_call` reads ``function``'s signature through ``__wrapped__``)."""

    @functools.wraps(function)
    def returns(*_: Any, **__: Any) -> R:
        return result

    return stamps_call(returns)(*args, **kwargs)
