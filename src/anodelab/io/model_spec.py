"""Read a model specification (``*.sim.toml``, see :mod:`anodelab.core.model_spec`)."""

from __future__ import annotations

from pathlib import Path

from anodelab._version import __version__
from anodelab.core.cell import read_toml
from anodelab.core.errors import MetadataError, ReadError
from anodelab.core.model_spec import SIMULATIONS, ModelSpec
from anodelab.core.record import Provenance
from anodelab.io.checksum import sha256_of

FORMAT = "anodelab-sim-toml"


def read_model_spec(path: str | Path) -> ModelSpec:
    """The :class:`ModelSpec` of ``path``: a TOML table whose ``simulation`` names a model of
    :data:`~anodelab.core.model_spec.SIMULATIONS`; the model checks the other keys when it runs."""
    path = Path(path)
    before = sha256_of(path) if path.is_file() else None
    try:
        table = read_toml(path, "model specification (.sim.toml)")
    except MetadataError as error:
        problem = str(error).split(f"{path}: ", 1)[-1]  # read_toml names the file too
        raise ReadError(path, problem, expected="a TOML model specification") from None
    if before is None or sha256_of(path) != before:
        raise ReadError(path, "changed while it was being read; read it again", expected="a TOML model specification")
    simulation = table.pop("simulation", None)
    if simulation not in SIMULATIONS:
        raise ReadError(path, f"simulation = {simulation!r} names no model",
                        expected=f"simulation = one of {', '.join(map(repr, SIMULATIONS))}")
    provenance = Provenance(path=path.as_posix(), sha256=before, format=FORMAT, reader="anodelab.io.model_spec",
                            reader_version=__version__, techniques=(f"simulation: {simulation}",))
    return ModelSpec(simulation, table, path.resolve().parent.as_posix(), provenance)
