"""The calculator slot: a named potential (or any ASE calculator) as a :class:`Model` that makes calculators.

Named models are those whose weights ship inside their wheel, so they run offline:

- SevenNet (the ``sevenn`` wheel): ``sevennet-0`` (SevenNet-0, 11Jul2024, the default),
  ``sevennet-0-22may2024``, ``sevennet-l3i5`` and ``sevennet-mf-0`` (multi-fidelity; its modal, ``PBE`` by
  default or ``R2SCAN``, chosen as ``sevennet-mf-0:R2SCAN``);
- CHGNet (the ``chgnet`` wheel): ``chgnet`` (0.3.0), ``chgnet-0.3.0``, ``chgnet-0.2.0``, ``chgnet-r2scan``;
- ``emt``: ASE's effective-medium theory (Al, Cu, Ag, Au, Ni, Pd, Pt; H, C, N, O roughly): the tests' model.

Every checkpoint is loaded from its file in the installed wheel by path, never by a name the package
could resolve by download (SevenNet fetches some of its newer models from GitHub: those are not
offered), with the Hugging Face hub set offline. torch, sevenn and chgnet are imported only when such
a model is asked for (OpenMP's threads then wait passively unless ``OMP_WAIT_POLICY`` says otherwise).
Any ASE calculator may be passed instead (a local MACE model, a DFT code), as an instance (shared by
every structure) or a class (an instance per structure): its name is its class, its version ``user``.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.metadata
import io
import os
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from anodelab.core.errors import (
    AnodelabError,
    MissingExtraError,
    ReadError,
    ValidationError,
)

if TYPE_CHECKING:
    from typing import TypeAlias

    import numpy as np
    from ase import Atoms
    from ase.calculators.calculator import BaseCalculator
    from numpy.typing import NDArray

    #: what the ``calculator`` argument of every task takes: a name, a :class:`Model` or an ASE calculator
    ModelLike: TypeAlias = "str | Model | BaseCalculator | type[BaseCalculator]"

DEFAULT_MODEL = "sevennet-0"
TORCH_PIN = "torch==2.13.0"
#: SevenNet models in the wheel: name -> (checkpoint folder/file under sevenn/pretrained_potentials, modals)
SEVENNET = {
    "sevennet-0": ("SevenNet_0__11Jul2024/checkpoint_sevennet_0.pth", ()),
    "sevennet-0-22may2024": ("SevenNet_0__22May2024/checkpoint_sevennet_0.pth", ()),
    "sevennet-l3i5": ("SevenNet_l3i5/checkpoint_l3i5.pth", ()),
    "sevennet-mf-0": ("SevenNet_MF_0/checkpoint_sevennet_mf_0.pth", ("PBE", "R2SCAN")),
}
#: CHGNet models in the wheel: name -> the version CHGNet.load knows
CHGNET = {"chgnet": "0.3.0", "chgnet-0.3.0": "0.3.0", "chgnet-0.2.0": "0.2.0", "chgnet-r2scan": "r2scan"}
ALIASES = {"7net-0": "sevennet-0", "sevennet": "sevennet-0", "7net-l3i5": "sevennet-l3i5", "7net-mf-0": "sevennet-mf-0"}
#: environment that keeps model libraries off the network (set before any of them is imported)
OFFLINE_ENV = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}
#: set (unless already set) before torch loads: OpenMP threads that wait passively, not spinning, which on a
#: busy machine cost several times the CPU of a model call
THREAD_ENV = {"OMP_WAIT_POLICY": "PASSIVE"}


class MissingModelError(MissingExtraError):
    """A model's package (torch, sevenn, chgnet) is not installed: says how to install the extra."""

    def __init__(self, package: str, model: str) -> None:
        AnodelabError.__init__(self, f"model {model!r} needs the '{package}' package: pip install {TORCH_PIN} && "
                               "pip install 'anodelab[atomistic]'")


@dataclass(frozen=True)
class Model:
    """A potential: ``name``, ``version`` (package version and checkpoint file), ``source`` (where the
    weights come from) and the factory of its ASE calculators. ``shared``: one calculator instance
    serves every structure (ML models, a user's instance); otherwise each structure gets its own.
    ``batch``, where the model has one: energies and forces of several structures in one evaluation
    (what a NEB band needs each step; the same numbers as one by one, faster)."""

    name: str
    version: str
    source: str
    factory: Callable[[], BaseCalculator] = field(repr=False, compare=False)
    shared: bool = False
    batch: Callable[[Sequence[Atoms]], list[tuple[float, NDArray[np.float64]]]] | None = field(
        default=None, repr=False, compare=False)
    elements: frozenset[str] | None = field(default=None, repr=False, compare=False)

    def calculator(self) -> BaseCalculator:
        """A calculator of this model (the one shared instance, or a new one)."""
        return self.factory()

    def attach(self, atoms: Atoms) -> Atoms:
        """``atoms`` with a calculator of this model set (in place; returned for chaining); refused where the
        model has no parameters for an element of it (``elements``, where the model says)."""
        if self.elements is not None:
            missing = sorted(set(atoms.get_chemical_symbols()) - self.elements)
            if missing:
                raise ValidationError("model", f"{self.name} has no parameters for {', '.join(missing)} "
                                               f"({atoms.get_chemical_formula()}); it covers {', '.join(sorted(self.elements))}")
        atoms.calc = self.calculator()
        return atoms

    def to_dict(self) -> dict[str, str]:
        return {"name": self.name, "version": self.version, "source": self.source}


def require_ase() -> None:
    """Raise :class:`MissingExtraError` unless ASE (the ``atomistic`` extra) is installed."""
    try:
        importlib.metadata.version("ase")
    except importlib.metadata.PackageNotFoundError:
        raise MissingExtraError("ase", "atomistic", "atomistic simulation") from None


def available_models() -> tuple[str, ...]:
    """The names :func:`get_model` accepts (the packages need not be installed)."""
    return ("emt", *SEVENNET, *CHGNET)


def get_model(name: str | Model | BaseCalculator | type[BaseCalculator] = DEFAULT_MODEL, device: str = "cpu") -> Model:
    """The :class:`Model` of ``name`` (see the module docstring; ``name:modal`` for a multi-fidelity
    SevenNet), a :class:`Model` unchanged, or an ASE calculator (an instance, or a class to make one per
    structure) wrapped as a user model."""
    if isinstance(name, Model):
        return name
    require_ase()
    if not isinstance(name, str):
        return _user_model(name)
    key, _, modal = name.strip().partition(":")
    key = ALIASES.get(key.lower(), key.lower())
    if key == "emt":
        return _emt()
    if key in SEVENNET:
        return _sevennet(key, modal or None, device)
    if key in CHGNET:
        if modal:
            raise ValidationError("model", f"{key} has no modal, got {name!r}")
        return _chgnet(key, device)
    raise ValidationError("model", f"unknown model {name!r}; expected one of {', '.join(available_models())} "
                                   "or an ASE calculator instance")


def _user_model(calc: Any) -> Model:
    """A user's ASE calculator: an instance (shared by every structure) or a class (one instance each)."""
    from ase.calculators.calculator import BaseCalculator

    if isinstance(calc, type) and issubclass(calc, BaseCalculator):
        return Model(calc.__name__, "user", f"{calc.__module__}.{calc.__qualname__}()", calc, shared=False)
    if not isinstance(calc, BaseCalculator):
        raise ValidationError("model", f"expected a model name or an ASE calculator, got {type(calc).__name__}")
    cls = type(calc)
    return Model(cls.__name__, "user", f"{cls.__module__}.{cls.__qualname__} instance", lambda: calc, shared=True)


def _emt() -> Model:
    from ase.calculators.emt import EMT, parameters

    return Model("emt", f"ase {importlib.metadata.version('ase')}", "ase.calculators.emt.EMT (built-in parameters)",
                 EMT, shared=False, elements=frozenset(parameters))


def _require(package: str, model: str) -> None:
    """Set the offline and thread environment, and check that ``package`` and torch are installed."""
    for env, value in {**OFFLINE_ENV, **THREAD_ENV}.items():
        os.environ.setdefault(env, value)
    for needed in ("torch", package):
        try:
            importlib.metadata.version(needed)
        except importlib.metadata.PackageNotFoundError:
            raise MissingModelError(needed, model) from None


def _sevennet(key: str, modal: str | None, device: str) -> Model:
    relative, modals = SEVENNET[key]
    if modals:
        modal = modals[0] if modal is None else _pick(modal, modals, key)
    elif modal:
        raise ValidationError("model", f"{key} has no modal, got {key}:{modal}")
    _require("sevenn", key)
    path = _package_dir("sevenn") / "pretrained_potentials" / relative
    if not path.is_file():
        raise ReadError(path, f"the checkpoint of {key} is missing", expected="the file the sevenn wheel ships")
    name = f"{key}:{modal}" if modal else key
    version = f"sevenn {importlib.metadata.version('sevenn')}, {relative}"
    return Model(name, version, str(path), functools.partial(_load_sevennet, str(path), modal, device), shared=True,
                 batch=functools.partial(_sevennet_batch, str(path), modal, device))


def _chgnet(key: str, device: str) -> Model:
    _require("chgnet", key)
    version = CHGNET[key]
    folder = _package_dir("chgnet") / "pretrained" / version
    files = sorted(folder.glob("*.pth.tar"))
    if not files:
        raise ReadError(folder, f"the checkpoint of {key} is missing", expected="the *.pth.tar the chgnet wheel ships")
    return Model(key, f"chgnet {importlib.metadata.version('chgnet')}, {version}/{files[0].name}", str(files[0]),
                 functools.partial(_load_chgnet, version, device), shared=True)


def _pick(modal: str, modals: tuple[str, ...], key: str) -> str:
    for known in modals:
        if modal.upper() == known:
            return known
    raise ValidationError("model", f"{key} has modals {', '.join(modals)}, got {modal!r}")


def _package_dir(package: str) -> Path:
    import importlib.util

    spec = importlib.util.find_spec(package)
    if spec is None or spec.origin is None:
        raise MissingModelError(package, package)
    return Path(spec.origin).parent


@functools.cache
def _load_sevennet(path: str, modal: str | None, device: str) -> BaseCalculator:
    """The SevenNet calculator of a checkpoint file (loaded once per process: it is stateless, so shared)."""
    from sevenn.calculator import SevenNetCalculator

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="No tensor product accelerator")
        calc: BaseCalculator = SevenNetCalculator(model=path, device=device, modal=modal)
    return calc


@functools.cache
def _load_chgnet(version: str, device: str) -> BaseCalculator:
    """The CHGNet calculator of a bundled version (loaded once; its constructor's chatter kept off stdout)."""
    from chgnet.model.dynamics import CHGNetCalculator
    from chgnet.model.model import CHGNet

    with contextlib.redirect_stdout(io.StringIO()):
        model = CHGNet.load(model_name=version, use_device=device, verbose=False)
        calc: BaseCalculator = CHGNetCalculator(model, use_device=device, on_isolated_atoms="ignore")
    return calc


def _sevennet_batch(path: str, modal: str | None, device: str,
                    structures: Sequence[Atoms]) -> list[tuple[float, NDArray[np.float64]]]:
    """(energy, forces) of each structure from one batched SevenNet evaluation (as sevenn's own batched
    interface builds it: the calculator's graphs, collated)."""
    import numpy as np
    import sevenn._keys as KEY
    from sevenn.atom_graph_data import AtomGraphData
    from sevenn.train.dataload import unlabeled_atoms_to_graph
    from torch_geometric.loader.dataloader import Collater

    calc: Any = _load_sevennet(path, modal, device)
    graphs = []
    for atoms in structures:
        graph = AtomGraphData.from_numpy_dict(unlabeled_atoms_to_graph(atoms, calc.cutoff, with_shift=False))
        if modal:
            graph[KEY.DATA_MODALITY] = modal
        graphs.append(graph)
    batch = Collater([], follow_batch=None, exclude_keys=None)(graphs)
    batch.to(calc.device)
    calc.model.set_is_batch_data(True)
    try:
        output = calc.model(batch)
    finally:
        calc.model.set_is_batch_data(False)
    energies = output[KEY.PRED_TOTAL_ENERGY].detach().cpu().numpy().reshape(-1)
    forces = output[KEY.PRED_FORCE].detach().cpu().numpy()
    bounds = np.cumsum([0, *(len(atoms) for atoms in structures)])
    return [(float(energies[i]), np.asarray(forces[bounds[i]:bounds[i + 1]], dtype=np.float64))
            for i in range(len(structures))]
