"""Structures of the seed papers' atomistic studies, built with ``ase.build``: plain functions returning ASE ``Atoms``.

- :func:`bulk`: Si (diamond), Li15Si4 (Cu15Si4 type), ZnO (wurtzite), LiF (rocksalt), Li3N (P6/mmm),
  Ag and Cu (fcc), Zn (hcp), Li and Na (bcc), at the experimental lattice constants of
  :data:`EXPERIMENTAL` (each with its source) or a :class:`Lattice` of your own, such as a model's
  :func:`model_lattice`;
- slabs: :func:`si_slab` (Si(111) 1x1 and Si(100) 1x1, bulk-terminated, optionally H-passivated
  underneath), :func:`zno_slab` ((0001), polar, and (10-10)), :func:`metal_slab` (Ag/Cu (100), (111);
  Zn (0001), (10-10), (10-11), the papers' "Zn(101)"; Li/Na (100), (110));
- :func:`interstitial` and :func:`interstitial_hop`: Td, Hex and bond-centre sites of a diamond lattice,
  found from the bonds, so any diamond supercell works; :func:`vacancy_hop`;
- :func:`adsorb`: an atom over a top, bridge, hollow, fcc or hcp site of any slab, the sites found from
  the top layer's geometry (:func:`surface_sites`);
- :func:`match_supercells` and :func:`heterointerface`: the smallest-strain coincident supercells of two
  slabs within an atom budget, one side strained onto the other, the strain of each side reported;
- :func:`tilt_grain_boundary`: a mirror-symmetric tilt bicrystal (LiF Sigma5 (310)[001] and Li3N
  Sigma7 (1 2 -3 0)[0001] by :func:`lif_grain_boundary` and :func:`li3n_grain_boundary`).

Lengths in angstrom (``_A``). Slabs have their surface normal along z, vacuum on both sides, and
``FixAtoms`` on their ``fixed_layers`` lowest atomic planes.
"""

from __future__ import annotations

from anodelab.sim.atomistic.structures.boundaries import (
    li3n_grain_boundary,
    lif_grain_boundary,
    tilt_grain_boundary,
)
from anodelab.sim.atomistic.structures.bulk import (
    EXPERIMENTAL,
    LI15SI4_SITES,
    ZNO_U,
    Lattice,
    bulk,
    model_lattice,
)
from anodelab.sim.atomistic.structures.interfaces import (
    SupercellMatch,
    heterointerface,
    match_supercells,
)
from anodelab.sim.atomistic.structures.sites import (
    Site,
    SurfaceSite,
    adsorb,
    adsorbate_hop,
    interstitial,
    interstitial_hop,
    interstitial_sites,
    surface_sites,
    vacancy_hop,
    void_hop,
    void_sites,
)
from anodelab.sim.atomistic.structures.slabs import (
    SI_H_BOND_A,
    atomic_planes,
    metal_slab,
    si_slab,
    zno_slab,
)

__all__ = [
    "EXPERIMENTAL",
    "LI15SI4_SITES",
    "SI_H_BOND_A",
    "ZNO_U",
    "Lattice",
    "Site",
    "SupercellMatch",
    "SurfaceSite",
    "adsorb",
    "adsorbate_hop",
    "atomic_planes",
    "bulk",
    "heterointerface",
    "interstitial",
    "interstitial_hop",
    "interstitial_sites",
    "li3n_grain_boundary",
    "lif_grain_boundary",
    "match_supercells",
    "metal_slab",
    "model_lattice",
    "si_slab",
    "surface_sites",
    "tilt_grain_boundary",
    "vacancy_hop",
    "void_hop",
    "void_sites",
    "zno_slab",
]
