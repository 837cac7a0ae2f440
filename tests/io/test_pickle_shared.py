"""Process pools and Dask send what a reader returns between processes: every shared file's data
pickles, and comes back equal (columns, spectra, cell and provenance with its checksum)."""

from __future__ import annotations

import hashlib
import pickle

import numpy as np
import pytest
from shared_data import EXTERNAL, real_files

import anodelab
from anodelab.core import Record, SpectrumSeries
from anodelab.core.cycles import CycleTable


@pytest.mark.parametrize("path", real_files(), ids=lambda p: p.relative_to(EXTERNAL).as_posix())
def test_what_every_shared_file_reads_as_pickles(path):
    data = anodelab.read(path)
    back = pickle.loads(pickle.dumps(data))
    assert type(back) is type(data)
    assert back.provenance == data.provenance
    assert back.provenance.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    if isinstance(data, (Record, CycleTable)):
        assert back.column_names == data.column_names and back.cell == data.cell
        for name in data.column_names:
            np.testing.assert_array_equal(back[name], data[name], err_msg=name)
            assert not back[name].flags.writeable
    else:
        assert isinstance(data, SpectrumSeries) and len(back) == len(data)
        for made, loaded in zip(data, back):
            np.testing.assert_array_equal(loaded.frequency_Hz, made.frequency_Hz)
            np.testing.assert_array_equal(loaded.Z_ohm, made.Z_ohm)
            assert loaded.context == made.context
