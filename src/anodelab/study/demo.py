"""The demo study: the five papers' experiments made by the virtual lab, written as a folder a user
could have produced, then analysed as a user's study is (:func:`anodelab.study.pipeline.analyze`).

Output layout (one subfolder per paper; a ``cell.toml`` and the ground truth beside every file)::

    anodelab-demo/
      .anodelab-demo                    marker: the folder is the demo's; the files it wrote, with checksums
      study.toml                        the study: each paper's preset (DRT windows, circuits), samples, groups
      000_si_zno_solid_state/
        si_zno_half_cell.mpt            BioLogic EC-Lab text export (or a generic .csv)
        si_zno_half_cell.cell.toml      the cell, picked up by anodelab.read
        si_zno_half_cell.truth.json     the parameters that made the data and the answers they imply
      ...
      anodelab-results/                 written by ``analyze``: the DuckDB store, Parquet time series, figures

The analysis is not told what each file is: it detects the experiment kind from the data, and the
truth beside each file (its generator's kind and parameters) is there to check it against.

Run again into the same folder, the demo deletes only what it wrote itself: a file listed in the
marker, inside one of its paper folders (no symlink followed), whose SHA-256 is still the one it
wrote. Anything else where it would write (a file changed since, a user's file) stops it before it
writes. Nor does it write into ``$HOME``: matplotlib's font cache goes to a temporary folder (see
:func:`_matplotlib_outside_home`).
"""

from __future__ import annotations

import json
import os
import stat
import sys
import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np

from anodelab._version import __version__
from anodelab.core.cell import CellInfo, Electrode, Electrolyte
from anodelab.core.errors import ValidationError
from anodelab.core.model_spec import SUFFIX as MODEL_SUFFIX
from anodelab.io.checksum import sha256_of
from anodelab.sim.virtual import (
    alloy_half_cell,
    blocking_cell_spectrum,
    ccd_staircase,
    cyclic_voltammogram,
    eis_spectrum,
    first_plating,
    full_cell,
    gitt,
    insitu_eis_series,
    linear_sweep,
    plating_ce,
    polarization_curve,
    rate_test,
    symmetric_cycling,
    temperature_eis_series,
)
from anodelab.sim.virtual.experiment import VirtualExperiment
from anodelab.sim.virtual.writers import write_experiment
from anodelab.study.pipeline import StudyRun, analyze, group_table, headline_table

MARKER = ".anodelab-demo"
DEFAULT_FOLDER = "anodelab-demo"
#: a marker lists a few dozen files; a larger one is not read
MAX_MARKER_BYTES = 1 << 20


@dataclass(frozen=True)
class _Planned:
    """One experiment of the demo: where it goes, how it is made and in which format; ``cell``
    replaces the preset cell of a generator that takes none when that preset belongs to another paper."""

    paper: str
    name: str
    make: Callable[..., VirtualExperiment]
    format: str = "mpt"
    parameters: Mapping[str, Any] = field(default_factory=dict)
    cell: CellInfo | None = None


#: paper 000: Si-ZnO composite anode in sulfide all-solid-state cells
_SI_ZNO = "000_si_zno_solid_state"
#: paper 001: LiI/ZnLi_x buffer layer on garnet LLZTO, Li metal
_LLZTO = "001_llzto_li_metal"
#: paper 002: carbon-interconnected micro-Si (MSi/C) film, PVDF-HFP/LATP polymer electrolyte
_SI_FILM = "002_msi_c_polymer_electrolyte"
#: paper 003: pulse electrochemical activation of a multilayer SEI on Si/C
_SI_C = "003_si_c_pulse_sei"
#: paper 004: Ag-coated Zn foil for Na metal plating
_NA = "004_na_on_zn_ag"

_MSI_C_CELL = CellInfo(
    "anode-half", working_electrode=Electrode(material="MSi/C film", area_cm2=1.13),
    counter_electrode=Electrode(material="Li"), electrolyte=Electrolyte(kind="PVDF-HFP/LATP", area_cm2=1.13),
    temperature_C=25.0, notes="virtual MSi/C | PVDF-HFP/LATP | Li half-cell",
)
_SI_C_CELL = CellInfo(
    "anode-half", working_electrode=Electrode(material="Si/C", mass_mg=3.39, area_cm2=1.13),
    counter_electrode=Electrode(material="Li"), electrolyte=Electrolyte(kind="LHCE"),
    temperature_C=25.0, notes="virtual Si/C | LHCE | Li half-cell",
)

PLAN: tuple[_Planned, ...] = (
    _Planned(_SI_ZNO, "si_zno_half_cell", alloy_half_cell),
    _Planned(_SI_ZNO, "si_zno_ncm811_full_cell", full_cell, "csv"),
    _Planned(_SI_ZNO, "si_zno_rate_test", rate_test),
    _Planned(_SI_ZNO, "si_zno_insitu_eis", insitu_eis_series),
    _Planned(_LLZTO, "li_llzto_eis", eis_spectrum, "mpt", {"system": "li-llzto"}),
    _Planned(_LLZTO, "li_llzto_eis_temperature", temperature_eis_series, "mpt",
             {"system": "li-llzto", "temperatures_C": (25.0, 40.0, 55.0, 70.0), "Ea_kJ_mol": 40.0}),
    _Planned(_LLZTO, "li_llzto_ccd", ccd_staircase, "csv"),
    _Planned(_LLZTO, "li_llzto_symmetric", symmetric_cycling),
    _Planned(_SI_FILM, "polymer_electrolyte_conductivity", blocking_cell_spectrum, "mpt",
             {"temperatures_C": (25.0, 35.0, 45.0, 55.0, 65.0)}),
    _Planned(_SI_FILM, "msi_c_cv", cyclic_voltammogram, "mpt", {"cell": _MSI_C_CELL}),
    _Planned(_SI_FILM, "msi_c_insitu_eis", insitu_eis_series, "csv", cell=_MSI_C_CELL),
    _Planned(_SI_C, "si_c_lsv", linear_sweep, "csv", cell=_SI_C_CELL),
    _Planned(_SI_C, "si_c_gitt", gitt, "mpt", {"soc_per_pulse": 0.005}),  # small pulses: a linear OCV over each
    _Planned(_SI_C, "si_c_eis", eis_spectrum, "csv", {"system": "si-c-liquid", "cell": _SI_C_CELL}),
    _Planned(_NA, "na_nucleation_cu", first_plating, "mpt",
             {"substrate": "Cu", "tip_overpotential_V": 0.045, "plateau_overpotential_V": 0.015}),
    _Planned(_NA, "na_nucleation_zn", first_plating),
    _Planned(_NA, "na_nucleation_zn_ag", first_plating, "mpt",
             {"substrate": "Zn@Ag", "tip_overpotential_V": 0.015, "plateau_overpotential_V": 0.010}),
    _Planned(_NA, "na_plating_ce", plating_ce, "csv"),
    _Planned(_NA, "na_tafel", polarization_curve),
    _Planned(_NA, "na_symmetric", symmetric_cycling, "csv",
             {"metal": "Na", "electrolyte": "1.0 M NaPF6 in diglyme", "current_density_mA_cm2": 1.0,
              "areal_capacity_mAh_cm2": 1.0, "overpotential_V": 0.010, "short_time_s": None}),
)


#: the models of the study (``*.sim.toml``, see :mod:`anodelab.core.model_spec`): paper, name, the file
MODELS: tuple[tuple[str, str, str], ...] = (
    (_LLZTO, "li_llzto_point_contacts", """\
# Li on bare LLZTO touches it through point contacts: one 5 um spot per 25 um (4 % contact)
simulation = "interface"
geometry = "disk"
radius_um = 5.0
cell_radius_um = 25.0
thickness_um = 50.0
kappa_S_cm = 5e-4
kinetics = "bv"
i0_mA_cm2 = 1.0
current_mA_cm2 = 0.5
elements = 6000
"""),
    (_LLZTO, "li_llzto_lii_interlayer", """\
# the same contact under a 1 um mixed-conducting LiI/ZnLi_x layer that wets the whole surface
simulation = "interface"
geometry = "disk"
radius_um = 5.0
cell_radius_um = 25.0
thickness_um = 50.0
kappa_S_cm = 5e-4
interlayer_thickness_um = 1.0
interlayer_kappa_S_cm = 1e-4
interlayer_sigma_S_cm = 1e-2
kinetics = "bv"
i0_mA_cm2 = 1.0
current_mA_cm2 = 0.5
elements = 6000
"""),
    (_LLZTO, "li_llzto_contact_sweep", """\
# effective resistance against the contact fraction of periodic 2-D contacts, 10 um period
simulation = "interface"
geometry = "strips"
period_um = 10.0
thickness_um = 50.0
kappa_S_cm = 5e-4
kinetics = "linear"
i0_mA_cm2 = 1.0
current_mA_cm2 = 0.5
elements = 3000
sweep = "contact_fraction"
values = [0.05, 0.1, 0.2, 0.4, 0.7, 1.0]
"""),
)

#: the study file the demo writes: each paper's folder gets its paper's preset, each file its sample
STUDY_TOML = """\
# The demo study: paper-specific analysis options are presets chosen per folder, never defaults.
[study]
name = "anodelab demo: the five papers' experiments, virtual"

[[files]]
glob = "000_si_zno_solid_state/**"
preset = "si_zno"

[[files]]
glob = "003_si_c_pulse_sei/**"
preset = "si_c_pulse"

[[files]]
glob = "004_na_on_zn_ag/na_nucleation_*"
group = "Na nucleation"
"""


@dataclass(frozen=True, repr=False)
class DemoResult:
    """What the demo wrote and what ``analyze`` made of it: the folder, the data files, each file's
    true experiment kind (the generator's, never shown to the analysis), the study run, and the
    model specifications (``*.sim.toml``) it ran beside the data."""

    folder: Path
    files: tuple[Path, ...]
    kinds: tuple[str, ...]
    run: StudyRun
    models: tuple[Path, ...] = ()

    @property
    def database(self) -> Path:
        return self.run.database

    def rows(self) -> list[dict[str, Any]]:
        """Per file: detected kind and reason, sample, group, headline metrics (from the store)."""
        return headline_table(self.run.database, self.run.run_id)

    def to_dict(self) -> dict[str, Any]:
        rows = {row["path"]: row for row in self.rows()}
        files = []
        for path, kind in zip(self.files, self.kinds):
            relative = path.relative_to(self.folder).as_posix()
            files.append({"path": relative, "true_kind": kind, **rows.get(relative, {})})
        models = [rows.get(path.relative_to(self.folder).as_posix(), {}) for path in self.models]
        return {"folder": str(self.folder), "database": str(self.run.database), "files": files, "models": models,
                "groups": group_table(list(rows.values()))}

    def __repr__(self) -> str:
        return f"<DemoResult {self.folder}: {len(self.files)} files, {len(self.models)} models>"


def run_demo(out: str | Path | None = None, seed: int = 0, *, jobs: int = 1, figures: bool = True) -> DemoResult:
    """Generate the demo study into ``out`` (default ``./anodelab-demo``), then analyse it as a user's
    study (:func:`anodelab.study.pipeline.analyze`, results in ``out/anodelab-results``; ``figures``:
    draw the static figures too).

    The same ``seed`` gives byte-identical files. ``out`` must be new, empty, or a previous demo
    folder (recognised by its marker file; the files that demo wrote are replaced, see the module
    docstring). Any other non-empty folder, an empty name, or a path under a file is refused with a
    :class:`ValidationError` naming it.
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValidationError("seed", f"must be an integer >= 0, got {seed!r}")
    if isinstance(out, str) and not out.strip():
        raise ValidationError("out", "empty folder name; give a folder (default ./anodelab-demo)")
    folder = Path(out) if out is not None else Path.cwd() / DEFAULT_FOLDER
    _prepare(folder)
    written: dict[str, str] = {}  # relative path -> sha256 of what the demo wrote
    _write_marker(folder, seed, written)  # the folder is the demo's from now on

    def record(path: Path) -> None:
        written[path.relative_to(folder).as_posix()] = sha256_of(path)

    try:
        files, kinds, models = [], [], []
        for planned, experiment in zip(PLAN, experiments(seed)):
            path = write_experiment(experiment, folder / planned.paper, format=planned.format)
            for made in (path, path.with_name(f"{planned.name}.cell.toml"), path.with_name(f"{planned.name}.truth.json")):
                record(made)
            files.append(path)
            kinds.append(experiment.kind)
        for paper, name, text in MODELS:
            path = folder / paper / f"{name}{MODEL_SUFFIX}"
            path.write_text(text, encoding="utf-8")
            record(path)
            models.append(path)
        (folder / "study.toml").write_text(STUDY_TOML, encoding="utf-8")
        record(folder / "study.toml")
    finally:
        _write_marker(folder, seed, written)
    with _matplotlib_outside_home():
        run = analyze(folder, jobs=jobs, figures=figures)
    return DemoResult(folder, tuple(files), tuple(kinds), run, tuple(models))


def _is_regular(path: Path) -> bool:
    """A regular file, not a symlink to one."""
    try:
        return stat.S_ISREG(path.lstat().st_mode)
    except OSError:
        return False


def _write_marker(folder: Path, seed: int, written: Mapping[str, str]) -> None:
    marker = {"made_by": "anodelab demo", "anodelab_version": __version__, "seed": int(seed),
              "files": dict(written)}
    (folder / MARKER).write_text(json.dumps(marker, indent=2) + "\n", encoding="utf-8")


@contextmanager
def _matplotlib_outside_home() -> Iterator[None]:
    """matplotlib, imported for the first time, makes a config folder and writes a font cache under
    ``$HOME``. Unless the user chose where (``MPLCONFIGDIR``) or matplotlib is imported already, the
    demo imports it with ``MPLCONFIGDIR`` in a temporary folder, removed when the demo ends: nothing
    lands in ``$HOME``, and the figures do not depend on a user's matplotlibrc (the seed alone decides
    the bytes). The cost is indexing the fonts on each such run (about 0.5 s here)."""
    if os.environ.get("MPLCONFIGDIR") or "matplotlib" in sys.modules:
        yield
        return
    with tempfile.TemporaryDirectory(prefix="anodelab-matplotlib-") as temporary:
        os.environ["MPLCONFIGDIR"] = temporary
        try:
            import matplotlib.font_manager  # noqa: F401 -- fixes matplotlib's folders and writes its font cache
        finally:
            del os.environ["MPLCONFIGDIR"]
        yield


def experiments(seed: int = 0) -> Iterator[VirtualExperiment]:
    """The experiments of :data:`PLAN`, in order, each with its own reproducible seed drawn from ``seed``."""
    for index, planned in enumerate(PLAN):
        child = int(np.random.SeedSequence([int(seed), index]).generate_state(1)[0])
        experiment = planned.make(**planned.parameters, seed=child, name=planned.name)
        yield experiment if planned.cell is None else replace(experiment, cell=planned.cell)


def _prepare(folder: Path) -> None:
    """Make ``folder``, or clear what a previous demo wrote there; refuse anyone else's folder and,
    before deleting anything, anything else in the way of the files the demo writes."""
    existing = next((path for path in (folder, *folder.parents) if path.exists()), None)
    if existing is not None and not existing.is_dir():
        where = "exists and" if existing == folder else f"is under {existing}, which"
        raise ValidationError("out", f"{folder} {where} is not a folder")
    marker = folder / MARKER
    if marker.is_file():
        ours = _previous_files(folder, marker)
    elif folder.is_dir() and any(folder.iterdir()):
        raise ValidationError("out", f"{folder} is not empty and was not made by `anodelab demo` (no {MARKER} "
                              "file in it); give a new or empty folder")
    else:
        ours = set()
    for paper_name, name in [(p.paper, p.name) for p in PLAN] + [(paper, name) for paper, name, _ in MODELS]:
        paper = folder / paper_name
        if paper.is_symlink() or (paper.exists() and not paper.is_dir()):
            raise ValidationError("out", f"{paper} is in the way of the demo's folder of that name; move it away")
        for path in paper.iterdir() if paper.is_dir() else ():
            if path.name.startswith(name + ".") and path not in ours:
                raise ValidationError("out", f"{path} was not written by the demo, or was changed since: the demo "
                                      "would replace it; move it away or give another folder")
    study = folder / "study.toml"
    if (study.exists() or study.is_symlink()) and study not in ours:
        raise ValidationError("out", f"{study} was not written by the demo, or was changed since: the demo would "
                              "replace it; move it away or give another folder")
    for path in ours:
        path.unlink()
    for paper in {path.parent for path in ours} - {folder}:
        if not any(paper.iterdir()):
            paper.rmdir()
    folder.mkdir(parents=True, exist_ok=True)


def _previous_files(folder: Path, marker: Path) -> set[Path]:
    """The files a previous demo wrote, as its marker lists them, that may be deleted: a regular file in
    one of the demo's paper folders (no symlink on the way) whose SHA-256 is still the one recorded."""
    try:
        if marker.stat().st_size > MAX_MARKER_BYTES:
            raise ValueError(f"larger than {MAX_MARKER_BYTES >> 20} MiB")
        listed = json.loads(marker.read_text(encoding="utf-8"))["files"]
        if not isinstance(listed, dict):
            raise TypeError("'files' is not a table of checksums")
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ValidationError("out", f"{marker} is not a demo marker ({error}); remove it or give another "
                              "folder") from None
    papers = {planned.paper for planned in PLAN}
    ours = set()
    for relative, checksum in listed.items():
        parts = PurePosixPath(str(relative)).parts
        if parts == ("study.toml",):
            if _is_regular(folder / "study.toml") and sha256_of(folder / "study.toml") == checksum:
                ours.add(folder / "study.toml")
            continue
        if len(parts) != 2 or parts[0] not in papers or parts[1] in (".", "..") or "\\" in parts[1]:
            continue
        paper, path = folder / parts[0], folder / parts[0] / parts[1]
        if not paper.is_symlink() and _is_regular(path) and sha256_of(path) == checksum:
            ours.add(path)
    return ours
