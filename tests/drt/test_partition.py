"""DRT and circuit fits partitioned across Dask workers: drt_series' result bit for bit (with one BLAS
thread, as the pipeline runs it), on two grids, with and without a shared lambda; fit_series' per block."""

from __future__ import annotations

import json

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from anodelab.core.errors import ValidationError
from anodelab.core.spectrum import SpectrumSeries
from anodelab.drt.fit import DRTOptions
from anodelab.drt.partition import (
    drt_series_partitioned,
    fit_series_partitioned,
    planned_blocks,
)
from anodelab.drt.series import drt_series
from anodelab.impedance.fit import fit_series
from anodelab.sim.virtual import insitu_eis_series

pytestmark = pytest.mark.slow  # ~15 s: a cluster and a few hundred DRTs

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def series():
    """60 spectra on one grid, then 20 on another (8 and 6 points per decade)."""
    fine = insitu_eis_series(seed=2, spectra_per_half_cycle=30).data
    coarse = insitu_eis_series(seed=3, spectra_per_half_cycle=10, points_per_decade=6).data
    return SpectrumSeries.of([*fine, *coarse], provenance=fine.provenance)


@pytest.fixture(scope="module")
def client():
    from anodelab.study.cluster import local_cluster

    with local_cluster(n_workers=2, memory_limit="1GiB") as cluster, distributed.Client(cluster) as connected:
        yield connected


def assert_identical(got, expected):
    """The same result to the last bit: everything it says (JSON with every float's shortest repr), what
    the store keeps of it (metrics, tables) and its arrays."""
    assert json.dumps(got.to_dict(), sort_keys=True) == json.dumps(expected.to_dict(), sort_keys=True)
    assert got.metrics() == expected.metrics()
    for name, table in expected.tables().items():
        assert table.keys() == got.tables()[name].keys()
        assert all(np.array_equal(got.tables()[name][column], values, equal_nan=True) for column, values in table.items())


def one_thread(function, *args, **kwargs):
    """What ``function`` gives with one BLAS thread: the reference (see anodelab.drt.partition)."""
    with threadpool_limits(limits=1, user_api="blas"):
        return function(*args, **kwargs)


def on_a_worker(client, function, *args, **kwargs):
    """``function`` run in one worker process: one process whose DRT caches were all built with one BLAS
    thread (this process' may hold a grid's basis built by another test with more)."""
    return client.submit(one_thread, function, *args, **kwargs, pure=False).result()


def test_blocks_are_contiguous_runs_of_one_grid_with_one_lambda_when_shared(series):
    blocks = planned_blocks(series, DRTOptions.of(), None, True, 3)
    assert [index for block in blocks for index in block.indices] == list(range(len(series)))
    assert [len(block.indices) for block in blocks] == [27, 27, 6, 20]  # 80 / 3 -> 27 per block
    assert all(block.Z_ohm.shape == (block.frequency_Hz.size, len(block.indices)) for block in blocks)
    assert len({float(value) for block in blocks for value in block.plan.values}) == 1
    assert {block.plan.criterion for block in blocks} == {"shared mgcv"}


@pytest.mark.parametrize("shared_lambda", [True, False])
def test_partitioned_on_the_cluster_equals_one_process(series, client, shared_lambda):
    expected = on_a_worker(client, drt_series, series, shared_lambda=shared_lambda, windows="si_zno")
    got = drt_series_partitioned(series, client, partitions=3, shared_lambda=shared_lambda, windows="si_zno")
    assert len(got.results) == len(series) and got.process_R_ohm.keys() == expected.process_R_ohm.keys()
    assert_identical(got, expected)
    assert np.array_equal(got.gamma_map_ohm, expected.gamma_map_ohm)


def test_partitioned_here_equals_one_process_whatever_the_partitions(series):
    part = series[51:71]  # the last 9 spectra of one grid, the first 11 of the other
    expected = one_thread(drt_series, part, coordinate="index")
    for partitions in (1, 3, 10, 20):  # 10: blocks of 2; 20: of 2 too, never one spectrum alone
        assert_identical(drt_series_partitioned(part, partitions=partitions, coordinate="index"), expected)


def test_circuit_fits_partitioned_equal_fit_series_of_each_block(series, client):
    spectra = series[:6]
    options = {"n_starts": 2, "seed": 1}
    blocks = [fit_series(spectra[:3], "R0-p(R1,CPE1)-p(R2,CPE2)", **options),
              fit_series(spectra[3:], "R0-p(R1,CPE1)-p(R2,CPE2)", **options)]
    got = fit_series_partitioned(spectra, "R0-p(R1,CPE1)-p(R2,CPE2)", client, partitions=2, **options)
    assert [fit.to_dict() for fit in got.fits] == [fit.to_dict() for block in blocks for fit in block.fits]
    assert_identical(got, fit_series_partitioned(spectra, "R0-p(R1,CPE1)-p(R2,CPE2)", partitions=2, **options))
    assert got.parameters == fit_series(spectra[:1], "R0-p(R1,CPE1)-p(R2,CPE2)", **options).parameters
    assert_identical(fit_series_partitioned(spectra[:3], "R0-p(R1,CPE1)-p(R2,CPE2)", partitions=1, **options),
                     blocks[0])


def test_bad_options_are_refused_before_any_work(series):
    with pytest.raises(ValidationError, match="partitions"):
        drt_series_partitioned(series, partitions=0)
    with pytest.raises(ValidationError, match="coordinate"):
        drt_series_partitioned(series, coordinate="soc")
    with pytest.raises(ValidationError, match="partitions"):
        fit_series_partitioned(series, "R0-p(R1,CPE1)", partitions=True)
