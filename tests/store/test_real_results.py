"""Results of real analyses (cycle summary, circuit fit) go into the store as they are."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from store.fakes import STUDY, record

from anodelab.core.spectrum import Spectrum, SpectrumSeries
from anodelab.cycling.summary import cycle_summary
from anodelab.impedance.fit import fit_circuit
from anodelab.store import AnalysisEntry, FileEntry


def stored_or_nan(value):
    return math.nan if value is None else value


def test_cycle_summary(db):
    data = record(8)
    summary = cycle_summary(data)
    db.write_file(db.begin_run("0.1.0", {}), FileEntry(STUDY, "cell.mpr", "k", sha256=data.provenance.sha256,
                                                        data=data, analyses=(AnalysisEntry("cycle_summary", summary),)))
    rows = db.query('SELECT name, value, stderr, unit, index_name, "index" FROM metrics ORDER BY rowid').fetchall()
    assert rows == [(m.name, m.value, m.stderr, m.unit, m.index_name, m.index) for m in summary.metrics()]
    table = summary.tables()["cycles"]
    for column, values in table.items():
        if column == "cycle":
            continue
        stored = db.query("SELECT cycle, value FROM cycles WHERE name = ? ORDER BY cycle", [column]).fetchall()
        assert [row[0] for row in stored] == list(table["cycle"])
        assert np.array_equal([stored_or_nan(row[1]) for row in stored], values.astype(float), equal_nan=True)
    kind, version, parameters, provenance = db.query("SELECT kind, version, parameters, provenance FROM results"
                                                     ).fetchall()[0]
    assert (kind, version) == (summary.kind, summary.version)
    assert json.loads(parameters) == json.loads(json.dumps(dict(summary.parameters)))
    assert json.loads(provenance)["sha256"] == data.provenance.sha256


def test_circuit_fit_of_a_known_circuit(db):
    frequency_Hz = np.logspace(5, -1, 40)
    R0_ohm, R1_ohm, C1_F = 10.0, 100.0, 1e-6
    impedance = R0_ohm + R1_ohm / (1 + 1j * 2 * np.pi * frequency_Hz * R1_ohm * C1_F)
    series = SpectrumSeries.of([Spectrum.from_arrays(frequency_Hz, impedance)])
    fit = fit_circuit(series[0], "R0-p(R1,C1)")
    db.write_file(db.begin_run("0.1.0", {}), FileEntry(STUDY, "eis.mpr", "k", data=series,
                                                        analyses=(AnalysisEntry("eis_fit", fit),)))
    values = dict(db.query("SELECT name, value FROM metrics WHERE unit IN ('ohm', 'F')").fetchall())
    assert values["R0"] == pytest.approx(R0_ohm, rel=1e-9)
    assert values["R1"] == pytest.approx(R1_ohm, rel=1e-9)
    assert values["C1"] == pytest.approx(C1_F, rel=1e-9)
    assert values == {m.name: m.value for m in fit.metrics() if m.unit in ("ohm", "F")}
    (table,) = fit.tables()
    stored = db.query('SELECT value FROM result_tables WHERE "table" = ? AND name = \'Z_real_ohm\' ORDER BY "row"',
                      [table]).fetchall()
    assert [row[0] for row in stored] == list(fit.tables()[table]["Z_real_ohm"])
    assert db.query("SELECT count(*) FROM spectra").fetchall() == [(40,)]
