"""Simulations in a study: ``*.sim.toml`` files are read, run, cached and stored like data files."""

from __future__ import annotations

import math

import pytest

from anodelab import store
from anodelab.core.errors import ReadError
from anodelab.core.experiment import ExperimentKind
from anodelab.core.model_spec import ModelSpec
from anodelab.io.model_spec import read_model_spec
from anodelab.sim.models import interface_model
from anodelab.study.pipeline import analyze, discover

pytest.importorskip("skfem")

#: uniform contact, primary distribution: R_eff is L / kappa exactly (50 um / 5e-4 S/cm = 10 ohm cm2)
UNIFORM = """\
simulation = "interface"
geometry = "strips"
contact_fraction = 1.0
period_um = 10.0
thickness_um = 50.0
kappa_S_cm = 5e-4
kinetics = "none"
current_mA_cm2 = 0.5
elements = 800
"""
#: one equipotential disk spot on a thick electrolyte: near the half-space 1 / (4 kappa a)
SPOT = """\
simulation = "interface"
geometry = "disk"
radius_um = 2.0
cell_radius_um = 40.0
thickness_um = 40.0
kappa_S_cm = 1e-3
kinetics = "none"
elements = 6000
"""


def _metrics(database, path):
    with store.open(database, read_only=True) as db:
        rows = db.query("SELECT m.analysis, m.name, m.value FROM metrics m JOIN files f USING (file_id) "
                        "WHERE f.path = ?", [path]).fetchall()
    return {(analysis, name): value for analysis, name, value in rows}


def test_read_model_spec_keeps_the_parameters_and_hashes_the_file(tmp_path):
    path = tmp_path / "uniform.sim.toml"
    path.write_text(UNIFORM)
    spec = read_model_spec(path)
    assert isinstance(spec, ModelSpec) and spec.simulation == "interface"
    assert spec.parameters["thickness_um"] == 50.0 and "simulation" not in spec.parameters
    assert spec.folder == tmp_path.resolve().as_posix()
    import hashlib

    assert spec.provenance.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("text, expected", [
    ('simulation = "fem"\n', "names no model"),
    ('geometry = "disk"\n', "names no model"),
    ("simulation = [\n", "not valid TOML"),
])
def test_a_bad_spec_is_refused_naming_the_file(tmp_path, text, expected):
    path = tmp_path / "bad.sim.toml"
    path.write_text(text)
    with pytest.raises(ReadError, match=expected) as caught:
        read_model_spec(path)
    assert str(path) in str(caught.value)


def test_the_uniform_case_stores_the_1d_resistance(tmp_path):
    study = tmp_path / "study"
    (study / "models").mkdir(parents=True)
    (study / "models" / "uniform.sim.toml").write_text(UNIFORM)
    (study / "models" / "spot.sim.toml").write_text(SPOT)
    (study / "models" / "notes.toml").write_text("x = 1\n")  # other TOML files are still not data
    found, skipped = discover(study)
    assert found == ["models/spot.sim.toml", "models/uniform.sim.toml"]
    assert ("models/notes.toml", ".toml files are not instrument data") in skipped
    run = analyze(study, figures=False, report=False)
    assert sorted(run.analysed) == found
    metrics = _metrics(run.database, "models/uniform.sim.toml")
    assert metrics["interface_fem", "R_eff"] == pytest.approx(50e-4 / 5e-4, rel=1e-9)
    assert metrics["interface_fem", "R_constriction"] == pytest.approx(0.0, abs=1e-8)
    spot = _metrics(run.database, "models/spot.sim.toml")["interface_fem", "R_constriction_spot"]
    half_space_ohm = 1.0 / (4.0 * 1e-3 * 2e-4)
    assert spot == pytest.approx(half_space_ohm, rel=0.08)  # a finite cell: within a few % of the half-space
    with store.open(run.database, read_only=True) as db:
        kind, reason = db.query("SELECT e.kind, e.reason FROM experiments e JOIN files f USING (file_id) "
                                "WHERE f.path = 'models/uniform.sim.toml'").fetchall()[0]
        tables = db.query("SELECT DISTINCT t.\"table\" FROM result_tables t JOIN results r USING (result_id) "
                          "JOIN files f USING (file_id) WHERE f.path = 'models/uniform.sim.toml'").fetchall()
    assert kind == ExperimentKind.SIMULATION.value and "simulation = 'interface'" in reason
    assert {"interface", "field"} <= {row[0] for row in tables}
    again = analyze(study, figures=False, report=False)
    assert sorted(again.cached) == found and not again.analysed  # unchanged specs are not solved again
    (study / "models" / "uniform.sim.toml").write_text(UNIFORM.replace("kappa_S_cm = 5e-4", "kappa_S_cm = 1e-3"))
    changed = analyze(study, figures=False, report=False)
    assert changed.analysed == ("models/uniform.sim.toml",)
    assert _metrics(changed.database, "models/uniform.sim.toml")["interface_fem", "R_eff"] == pytest.approx(5.0, rel=1e-9)


def test_a_spec_the_model_refuses_is_recorded_and_the_rest_go_on(tmp_path):
    study = tmp_path / "study"
    study.mkdir()
    (study / "good.sim.toml").write_text(UNIFORM)
    (study / "typo.sim.toml").write_text(UNIFORM.replace("thickness_um", "thicknes_um"))
    (study / "broken.sim.toml").write_text('simulation = "interface"\ngeometry = [\n')
    run = analyze(study, figures=False, report=False)
    with store.open(run.database, read_only=True) as db:
        files = dict(db.query("SELECT path, error FROM files").fetchall())
        typo = db.query("SELECT r.error FROM results r JOIN files f USING (file_id) WHERE f.path = 'typo.sim.toml' "
                        "AND r.analysis = 'interface_fem'").fetchall()[0][0]
    assert files["good.sim.toml"] is None
    assert "broken.sim.toml" in files["broken.sim.toml"] and "TOML" in files["broken.sim.toml"]
    assert typo is not None and "thicknes_um" in typo
    assert math.isclose(_metrics(run.database, "good.sim.toml")["interface_fem", "R_eff"], 10.0, rel_tol=1e-9)


def test_the_analysis_stamps_the_spec_and_its_file(tmp_path):
    path = tmp_path / "uniform.sim.toml"
    path.write_text(UNIFORM)
    result = interface_model(read_model_spec(path))
    assert result.provenance is not None and result.provenance.path == path.as_posix()
    assert result.parameters["simulation"] == "interface" and result.parameters["kappa_S_cm"] == 5e-4


def test_a_neb_between_structure_files_runs_in_the_study_with_emt(tmp_path):
    """ASE's NEB tutorial (Au hopping between hollows of Al(100), EMT) as a study's model: the
    published EMT barrier, 0.35 eV (ASE 3.29 runs the tutorial's script to 0.374 eV)."""
    pytest.importorskip("ase")
    from ase.build import add_adsorbate, fcc100
    from ase.constraints import FixAtoms
    from ase.io import write

    slab = fcc100("Al", size=(2, 2, 3))
    add_adsorbate(slab, "Au", 1.7, "hollow")
    slab.center(axis=2, vacuum=4.0)
    slab.set_constraint(FixAtoms(mask=[atom.tag > 1 for atom in slab]))
    final = slab.copy()
    final[-1].x += slab.get_cell()[0, 0] / 2
    study = tmp_path / "study"
    (study / "dft").mkdir(parents=True)
    write(study / "dft" / "hollow_a.traj", slab)
    write(study / "dft" / "hollow_b.traj", final)
    (study / "dft" / "au_al100.sim.toml").write_text(
        'simulation = "neb"\ninitial = "hollow_a.traj"\nfinal = "hollow_b.traj"\nmodel = "emt"\nn_images = 3\n')
    run = analyze(study, figures=False, report=False)
    assert run.analysed == ("dft/au_al100.sim.toml",)  # the structures are the spec's inputs, not data files
    metrics = _metrics(run.database, "dft/au_al100.sim.toml")
    assert metrics["neb", "barrier"] == pytest.approx(0.35, abs=0.03)
    assert metrics["neb", "converged"] == 1.0
    with store.open(run.database, read_only=True) as db:
        parameters, provenance = db.query("SELECT parameters, provenance FROM results WHERE analysis = 'neb'").fetchall()[0]
    import json

    parameters, provenance = json.loads(parameters), json.loads(provenance)
    assert parameters["model"] == "emt" and parameters["initial"] == "hollow_a.traj" and parameters["n_images"] == 3
    assert provenance["path"].endswith("dft/au_al100.sim.toml") and provenance["instrument"].startswith("emt (ase ")
