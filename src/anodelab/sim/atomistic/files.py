"""Structure files: :func:`read_structure` (any format ASE reads)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from anodelab.core.errors import ReadError

if TYPE_CHECKING:
    from ase import Atoms

EXPECTED = "a structure file ASE reads (POSCAR, CIF, extxyz, traj...)"


def read_structure(path: str | Path) -> Atoms:
    """The structure in ``path`` (the last frame of a trajectory), by ASE's readers; a file ASE cannot
    read is a :class:`ReadError` naming it."""
    from ase import Atoms
    from ase.io import read

    path = Path(path)
    if not path.is_file():
        raise ReadError(path, "no such file", expected=EXPECTED)
    try:
        atoms = read(path)
    except Exception as error:  # noqa: BLE001 -- any reader failure is the file's fault: one line naming it
        raise ReadError(path, f"ASE could not read it ({type(error).__name__}: {str(error)[:200]})",
                        expected=EXPECTED) from None
    if not isinstance(atoms, Atoms) or len(atoms) == 0:
        raise ReadError(path, "holds no atoms", expected=EXPECTED)
    return atoms
