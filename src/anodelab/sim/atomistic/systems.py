"""The seed papers' atomistic systems by name, with the papers' DFT numbers: :data:`SYSTEMS`.

Each :class:`NamedSystem` says its task, builds its structures when asked (:mod:`.structures`) and
carries the literature value of its headline number with where it comes from. The papers' own cells
are mostly not reproducible from their text (a 7x7-reconstructed Si(111), a reconstructed Si/ZnO
interface, SEI grains described only in a figure of the supplement): the descriptions say what is
built instead, and where a system is a stand-in rather than the paper's structure.

``bind`` systems compare with the paper's number against the isolated atom (seed 004 writes "the
binding energy between the Na atom and Ag (100)", and -2.44 eV is more than twice Na's cohesive
energy of 1.11 eV, so it cannot be referred to bulk Na); the bulk reference is built too, so both are
reported.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Literal

import numpy as np

from anodelab.core.errors import ValidationError
from anodelab.sim.atomistic import structures as st

if TYPE_CHECKING:
    from ase import Atoms

SEED_000 = "seed 000 (Si-ZnO composite anode, all-solid-state; VASP PBE, 520 eV, 9x9x1 k)"
SEED_003 = "seed 003 (pulse-activated multilayer SEI on Si/C; Fig. 4b,c)"
SEED_004 = "seed 004 (Ag-coated Zn foil for Na plating; Fig. 1c)"


@dataclass(frozen=True)
class NamedSystem:
    """A named atomistic system: its task, how to build its structures and the literature DFT value."""

    name: str                                    # CLI name, e.g. "li-si-td-hex"
    task: Literal["neb", "bind", "surface", "interface"]
    description: str
    structures: Callable[[], dict[str, Atoms]]   # neb: initial, final; bind: surface, adsorbed (+ bulk: the adsorbate metal's bulk); surface: bulk, slab; interface: a, b, ab
    adsorbate: str | None = None                 # bind: the adsorbate's chemical symbol
    dft_eV: float | None = None                  # literature DFT value of the headline number
    dft_reference: str | None = None             # where it comes from
    strain: float | None = None                  # interface: the strain applied to match
    from_host: Callable[[Atoms], dict[str, Atoms]] | None = None  # structures() gives a host, relaxed first, these from it


# ------------------------------------------------------------------------------------------ builders


def li_si_td_hex() -> dict[str, Atoms]:
    """Li at a Td site of a 64-atom c-Si supercell (2x2x2 conventional cells) and at the next Td site."""
    initial, final = st.interstitial_hop(st.bulk("Si", cubic=True).repeat(2), "Li", "Td")
    return {"initial": initial, "final": final}


def li_si111_surface() -> dict[str, Atoms]:
    """Li adatom hop H3 -> T4 on Si(111)-(1x1), 2x2 cell, four bilayers, H underneath, lowest bilayer fixed."""
    slab = st.si_slab("111", size=(2, 2), layers=8, passivate_bottom=True, fixed_layers=3)
    initial, final = st.adsorbate_hop(slab, "Li", "fcc", "hcp", height_A=1.6)
    return {"initial": initial, "final": final}


def _si_zno_parts() -> tuple[dict[str, Atoms], st.SupercellMatch]:
    si = st.si_slab("111", size=(1, 1), layers=6)
    zno = st.zno_slab("0001", size=(1, 1), layers=4)
    return st.heterointerface(si, zno, max_atoms=60, gap_A=2.2, strained="b")


def si_zno_interface() -> dict[str, Atoms]:
    """Si(111) (sqrt3 x sqrt3 R30, six planes) under ZnO(0001) (2x2, four double layers, O face down), ZnO
    strained onto Si."""
    parts, _ = _si_zno_parts()
    return parts


def li_si_zno_interface() -> dict[str, Atoms]:
    """Li hopping between the two largest neighbouring voids of the Si/ZnO interface gap (mid-plane)."""
    parts, _ = _si_zno_parts()
    ab = parts["ab"]
    n_si = len(parts["a"])
    z = ab.positions[:, 2]
    initial, final = st.void_hop(ab, "Li", z_A=float(z[:n_si].max() + z[n_si:].min()) / 2)
    return {"initial": initial, "final": final}


def boundary_vacancy_hop(bicrystal: Atoms, symbol: str = "Li") -> dict[str, Atoms]:
    """A vacancy hop across the mid-cell boundary plane: the ``symbol`` atom nearest the plane below it
    leaves its site empty, and the nearest ``symbol`` atom above the plane (minimum image) hops into it."""
    from ase.geometry import get_distances

    plane_z = bicrystal.cell[2, 2] / 2
    candidates = np.array([i for i, s in enumerate(bicrystal.get_chemical_symbols()) if s == symbol])
    z = bicrystal.positions[candidates, 2]
    below, above = candidates[z < plane_z], candidates[z >= plane_z]
    if not (below.size and above.size):
        raise ValidationError("bicrystal", f"needs {symbol} atoms on both sides of the plane z = {plane_z:.3f} A")
    vacancy = int(below[np.argmax(bicrystal.positions[below, 2])])
    _, dist = get_distances(bicrystal.positions[vacancy], bicrystal.positions[above], cell=bicrystal.cell, pbc=True)
    hopping = int(above[int(np.argmin(dist[0]))])
    initial, final = st.vacancy_hop(bicrystal, vacancy, hopping)
    return {"initial": initial, "final": final}


def lif_gb() -> dict[str, Atoms]:
    """A LiF Sigma5 (310)[001] tilt boundary (6 surface layers a grain, 1x2 in-plane), as the host."""
    return {"host": st.lif_grain_boundary(layers=6, size=(1, 2))}


def li3n_gb() -> dict[str, Atoms]:
    """A Li3N Sigma7 (1 2 -3 0)[0001] tilt boundary (4 surface layers a grain, 1x2), as the host."""
    return {"host": st.li3n_grain_boundary(layers=4, size=(1, 2))}


def na_ag100() -> dict[str, Atoms]:
    """Na over the fourfold hollow of Ag(100), 3x3, four layers (lowest two fixed); bcc Na for the bulk reference."""
    surface = st.metal_slab("Ag", "100", size=(3, 3), layers=4, fixed_layers=2)
    return {"surface": surface, "adsorbed": st.adsorb(surface, "Na", "hollow", height_A=2.4), "bulk": st.bulk("Na")}


def na_zn101() -> dict[str, Atoms]:
    """Na over the hollow of Zn(10-11), 2x3, four surface layers (lowest fixed); bcc Na for the bulk reference."""
    surface = st.metal_slab("Zn", "10-11", size=(2, 3), layers=4, fixed_layers=2)
    return {"surface": surface, "adsorbed": st.adsorb(surface, "Na", "hollow", height_A=2.4), "bulk": st.bulk("Na")}


def _surface(material: str, slab: Callable[[], Atoms]) -> Callable[[], dict[str, Atoms]]:
    def build() -> dict[str, Atoms]:
        return {"bulk": st.bulk(material), "slab": slab()}

    build.__doc__ = f"Bulk {material} and a two-sided slab of it."
    return build


# --------------------------------------------------------------------------------------------- systems

#: the strain ZnO(0001) 2x2 takes on Si(111) sqrt3 x sqrt3 R30: sqrt(3) a_Si / sqrt(2) / (2 a_ZnO) - 1
SI_ZNO_STRAIN = math.sqrt(3) * st.EXPERIMENTAL["Si"].a_A / math.sqrt(2) / (2 * st.EXPERIMENTAL["ZnO"].a_A) - 1

_UNRESOLVED_SLAB = "no literature number: the paper computes these slabs but prints no surface energy"

SYSTEMS: Mapping[str, NamedSystem] = MappingProxyType({system.name: system for system in (
    NamedSystem(
        "li-si-td-hex", "neb",
        "Li interstitial in crystalline Si, Td -> Hex -> Td: 65-atom climbing-image NEB (64 Si at the "
        "experimental a = 5.431 A, cell fixed; Li from one Td site to the next across the hexagonal ring).",
        li_si_td_hex, dft_eV=0.58,
        dft_reference="DFT (PBE) Td -> Hex -> Td barrier of Li in c-Si, 0.58 eV, as issue 17 quotes it "
                      "(e.g. Wan, Zhang, Cui & Wang, J. Phys.: Condens. Matter 22, 415501 (2010))"),
    NamedSystem(
        "li-si111-surface", "neb",
        "Li adatom hop H3 -> T4 on Si(111): the bulk-terminated (1x1) surface, 2x2 cell, four bilayers, "
        "H-passivated underneath with the lowest bilayer fixed. The paper used the 7x7 DAS reconstruction "
        "(hundreds of atoms), so this is a stand-in for its surface paths.",
        li_si111_surface, dft_eV=1.0,
        dft_reference=f"{SEED_000}: Li paths on Si(111)-(7x7) 'relatively close, approximately 1 eV' (Fig. 5d, S16)"),
    NamedSystem(
        "li-si-zno-interface", "neb",
        "Li hop along the Si(111)/ZnO(0001) interface: Si sqrt3 x sqrt3 R30 (six planes) under ZnO 2x2 (four "
        "Zn-O double layers, O face towards Si, strained +2.3 % onto Si), Li between the two largest neighbouring voids of the 2.2 A gap. "
        "The paper's interface reconstructs (Zn-O bonds break, Si-O bonds form, opening a channel): this "
        "unreconstructed cell is a stand-in. The paper's path across the channels: about 1.1 eV.",
        li_si_zno_interface, dft_eV=0.5,
        dft_reference=f"{SEED_000}: Li along the Si/ZnO interface channel about 0.5 eV, across it about 1.1 eV "
                      "(Fig. 5e-h)"),
    NamedSystem(
        "li-lif-gb", "neb",
        "Li vacancy hop across a LiF Sigma5 (310)[001] symmetric tilt boundary (the Li nearest its plane on one side "
        "into the nearest Li site on the other) "
        "(mirror bicrystal relaxed with the model, cell fixed, before the vacancy is made). Stand-in for the "
        "paper's coarse-grained SEI without the pulse formation ('w/o consSEI'), whose cell is only in its "
        "supplement (Fig. S18).",
        lif_gb, from_host=boundary_vacancy_hop, dft_eV=1.078,
        dft_reference=f"{SEED_003}: Li+ diffusion barrier 1.078 eV 'w/o consSEI' (the paper's model, not this one)"),
    NamedSystem(
        "li-li3n-gb", "neb",
        "Li vacancy hop across a Li3N Sigma7 (1 2 -3 0)[0001] symmetric tilt boundary (the Li nearest its plane on one "
        "side into the nearest Li site on the other) "
        "(mirror bicrystal relaxed with the model, cell fixed, before the vacancy is made). Stand-in for the "
        "paper's fine-grained SEI with more Li3N|LiF grain-boundary contact ('consSEI-100th').",
        li3n_gb, from_host=boundary_vacancy_hop, dft_eV=0.235,
        dft_reference=f"{SEED_003}: Li+ diffusion barrier 0.235 eV 'consSEI-100th' (the paper's model, not this one)"),
    NamedSystem(
        "na-ag100", "bind",
        "Na atom over the fourfold hollow of Ag(100) (3x3, four layers). Reference state of the paper: the "
        "isolated Na atom (see the module docstring); the bcc Na reference is reported too.",
        na_ag100, adsorbate="Na", dft_eV=-2.44,
        dft_reference=f"{SEED_004}: binding energy of a Na atom on Ag(100), -2.44 eV (reference: isolated atom)"),
    NamedSystem(
        "na-zn101", "bind",
        "Na atom over the hollow of Zn(10-11), the papers' 'Zn(101)' (2x3, four surface layers). Reference "
        "state of the paper: the isolated Na atom; the bcc Na reference is reported too. Seed 004's ranking "
        "Ag(100) < Zn(101) rests on a 0.04 eV gap.",
        na_zn101, adsorbate="Na", dft_eV=-2.40,
        dft_reference=f"{SEED_004}: binding energy of a Na atom on Zn(101), -2.40 eV (reference: isolated atom)"),
    NamedSystem(
        "si-zno-interface", "interface",
        "Si(111)/ZnO(0001) interface energy E_ab - E_a - E_b per in-plane area (eV/A2): Si sqrt3 x sqrt3 R30 "
        "under ZnO 2x2, ZnO strained onto Si; unreconstructed (the paper's most stable of four structures "
        "reconstructs).",
        si_zno_interface, dft_eV=-0.43, strain=SI_ZNO_STRAIN,
        dft_reference=f"{SEED_000}: interface energy -0.43 'eV A^-2' as printed (Fig. 5a; E_tot - E_slabA - E_slabB)"),
    NamedSystem("si111-surface", "surface", "Si(111)-(1x1) bulk-terminated, 12 planes, both faces free.",
                _surface("Si", lambda: st.si_slab("111", size=(1, 1), layers=12)),
                dft_reference=f"{SEED_000}: {_UNRESOLVED_SLAB}"),
    NamedSystem("si100-surface", "surface", "Si(100)-(1x1) bulk-terminated (unreconstructed), 12 planes.",
                _surface("Si", lambda: st.si_slab("100", size=(1, 1), layers=12)),
                dft_reference=f"{SEED_000}: {_UNRESOLVED_SLAB}"),
    NamedSystem("zno1010-surface", "surface", "ZnO(10-10), the non-polar face, four Zn-O double layers.",
                _surface("ZnO", lambda: st.zno_slab("10-10", size=(1, 1), layers=4)),
                dft_reference=f"{SEED_000}: {_UNRESOLVED_SLAB}"),
    NamedSystem("ag100-surface", "surface", "Ag(100), 1x1, seven layers.",
                _surface("Ag", lambda: st.metal_slab("Ag", "100", size=(1, 1), layers=7)),
                dft_reference=f"{SEED_004}: no surface energy in the paper"),
    NamedSystem("zn0001-surface", "surface", "Zn(0001), 1x1, eight layers.",
                _surface("Zn", lambda: st.metal_slab("Zn", "0001", size=(1, 1), layers=8)),
                dft_reference=f"{SEED_004}: no surface energy in the paper"),
)})
