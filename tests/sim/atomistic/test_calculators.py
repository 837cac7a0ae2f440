"""The calculator slot: names, user calculators, offline checkpoint paths, the missing-extra message.

No ML model is loaded here (the suite runs without torch): the SevenNet/CHGNet checks only build the
model's description, in a subprocess that proves torch stays unimported."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import subprocess
import sys

import pytest

pytest.importorskip("ase")

from ase.calculators.emt import EMT

from anodelab.core.errors import MissingExtraError, ValidationError
from anodelab.sim.atomistic import Model, available_models, get_model
from anodelab.sim.atomistic.calculators import CHGNET, SEVENNET


def test_emt_gives_a_new_calculator_per_structure():
    model = get_model("emt")
    assert model.name == "emt" and model.version == f"ase {importlib.metadata.version('ase')}"
    assert not model.shared
    assert isinstance(model.calculator(), EMT) and model.calculator() is not model.calculator()
    assert get_model(model) is model
    assert get_model(" EMT ").name == "emt"


def test_a_calculator_class_makes_one_instance_per_structure():
    model = get_model(EMT)
    assert model.name == "EMT" and model.version == "user" and not model.shared
    first, second = model.calculator(), model.calculator()
    assert isinstance(first, EMT) and first is not second


def test_user_calculator_is_shared_and_named_by_its_class():
    mine = EMT()
    model = get_model(mine)
    assert (model.name, model.version) == ("EMT", "user")
    assert model.shared and model.calculator() is mine
    assert "ase.calculators.emt.EMT" in model.source
    with pytest.raises(ValidationError, match="ASE calculator"):
        get_model(42)  # type: ignore[arg-type]


def test_unknown_names_and_modals_raise():
    with pytest.raises(ValidationError, match="unknown model 'mace'"):
        get_model("mace")
    with pytest.raises(ValidationError, match="has no modal"):
        get_model("sevennet-0:PBE")
    with pytest.raises(ValidationError, match="has no modal"):
        get_model("chgnet:PBE")
    assert set(available_models()) == {"emt", *SEVENNET, *CHGNET}


def test_missing_model_package_names_the_pinned_install(monkeypatch):
    real = importlib.metadata.version

    def version(package: str) -> str:
        if package in ("torch", "sevenn", "chgnet"):
            raise importlib.metadata.PackageNotFoundError(package)
        return real(package)

    monkeypatch.setattr(importlib.metadata, "version", version)
    for name in ("sevennet-0", "chgnet"):
        with pytest.raises(MissingExtraError) as caught:
            get_model(name)
        assert "pip install torch==2.13.0 && pip install 'anodelab[atomistic]'" in str(caught.value)


@pytest.mark.skipif(importlib.util.find_spec("sevenn") is None or importlib.util.find_spec("chgnet") is None,
                    reason="sevenn and chgnet not installed")
def test_bundled_checkpoints_are_found_without_importing_torch():
    code = """
import sys, pathlib
from anodelab.sim.atomistic import get_model
assert "ase" not in sys.modules, "importing the package imported ase"
for name in ("sevennet-0", "sevennet-l3i5", "sevennet-mf-0", "sevennet-mf-0:r2scan", "chgnet", "chgnet-r2scan"):
    model = get_model(name)
    assert pathlib.Path(model.source).is_file(), model.source
    print(model.name, "|", model.version)
assert "torch" not in sys.modules and "sevenn" not in sys.modules and "chgnet" not in sys.modules
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    lines = dict(line.split(" | ") for line in done.stdout.splitlines())
    assert lines["sevennet-0"].endswith("SevenNet_0__11Jul2024/checkpoint_sevennet_0.pth")
    assert "sevennet-mf-0:PBE" in lines and "sevennet-mf-0:R2SCAN" in lines
    assert lines["chgnet"].startswith(f"chgnet {importlib.metadata.version('chgnet')}, 0.3.0/")


def test_model_describes_itself():
    model = get_model("emt")
    assert isinstance(model, Model)
    assert model.to_dict() == {"name": "emt", "version": model.version, "source": model.source}
