"""Ensembles over models and rankings, with EMT and EMT scaled by a known factor: every energy of the
second model is ``factor`` times EMT's, so the mean is (1 + factor) / 2 and the spread |factor - 1|
times EMT's value."""

from __future__ import annotations

import json

import numpy as np
import pytest

pytest.importorskip("ase")

from ase.build import add_adsorbate, fcc100

from anodelab.cli.strict_json import dumps
from anodelab.core.errors import ValidationError
from anodelab.sim.atomistic import binding_energy, ensemble, neb, rank


def _binding(cases, metal: str, factor: float):
    surface = fcc100(metal, size=(2, 2, 2), vacuum=6.0)
    adsorbed = surface.copy()
    add_adsorbate(adsorbed, metal, 1.8, "hollow")
    return ensemble(binding_energy, surface, adsorbed, metal, models=["emt", cases.ScaledEMT(factor)], relax=False)


def test_mean_std_and_spread_of_a_scaled_model(cases):
    result = _binding(cases, "Cu", 1.1)
    single = result.results[0].binding_energy_atom_eV
    values, unit = result.values()["binding_energy_atom"]
    assert unit == "eV" and np.allclose(values, [single, 1.1 * single], rtol=1e-12)
    stats = result.stats("binding_energy_atom")
    assert stats["mean"] == pytest.approx(1.05 * single, rel=1e-12)
    assert stats["spread"] == pytest.approx(0.1 * abs(single), rel=1e-12)
    assert stats["std"] == pytest.approx(0.1 * abs(single) / np.sqrt(2), rel=1e-12)
    assert result.model_names == ("emt", "ScaledEMT")
    assert result.primary().name == "binding_energy_atom"
    payload = json.loads(dumps(result.to_dict()))
    assert payload["stats"]["binding_energy_atom"]["spread"] == pytest.approx(stats["spread"])
    assert payload["parameters"]["models"] == ["emt", "ScaledEMT"]
    assert "spread" in result.headline()
    table = result.tables()["models"]
    assert len({len(column) for column in table.values()}) == 1 and "binding_energy_atom_eV" in table


def test_closest_model_to_dft(cases):
    result = _binding(cases, "Cu", 1.1)
    single = result.results[0].binding_energy_atom_eV
    import dataclasses

    with_dft = dataclasses.replace(result, dft_eV=1.09 * single)
    name, delta = with_dft.closest_to_dft()
    assert name == "ScaledEMT" and delta == pytest.approx(0.01 * single, rel=1e-9)
    assert with_dft.delta_vs_dft() == pytest.approx(-0.04 * single, rel=1e-9)


def test_ranking_resolved_only_beyond_the_spread(cases):
    # Cu and Au adatoms bind differently under EMT; factor 1.02 keeps the spread below the gap,
    # factor 2 (models disagreeing by a factor of two) puts the gap inside the spread
    for factor, resolved in ((1.02, True), (2.0, False)):
        ranking = rank({"Cu": _binding(cases, "Cu", factor), "Au": _binding(cases, "Au", factor)})
        means = dict(zip(ranking.labels, ranking.means, strict=True))
        assert ranking.labels == tuple(sorted(means, key=means.get))
        assert ranking.resolved == (resolved,)
        assert ranking.models_agree == (True,)  # both models order them the same way: still unresolved at 2
        gap = ranking.gaps[0]
        assert gap == pytest.approx(abs(means["Cu"] - means["Au"]))
        assert ("unresolved" in ranking.headline()) is not resolved
        assert len({len(c) for c in ranking.tables()["ranking"].values()}) == 1


def test_ensemble_of_neb_barriers(cases):
    initial, final = cases.au_on_al100()
    result = ensemble(neb, initial, final, models=["emt", cases.ScaledEMT(0.9)], n_images=1)
    barrier = result.values()["barrier"][0]
    assert barrier[1] == pytest.approx(0.9 * barrier[0], rel=5e-3)  # both relaxed to one fmax: not exactly 0.9
    assert result.task == "neb" and result.parameters["n_images"] == 1


def test_bad_ensembles_raise(cases):
    surface = fcc100("Cu", size=(1, 1, 2), vacuum=6.0)
    with pytest.raises(ValidationError, match="two different models"):
        ensemble(binding_energy, surface, surface, "Cu", models=["emt"])
    with pytest.raises(ValidationError, match="two different models"):
        ensemble(binding_energy, surface, surface, "Cu", models=["emt", "emt"])
    with pytest.raises(ValidationError, match="two candidates"):
        rank({"Cu": _binding(cases, "Cu", 1.1)})
