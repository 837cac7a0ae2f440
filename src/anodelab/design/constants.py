"""The tabulated numbers of cell design, each with its source.

- :data:`FARADAY_C_MOL`: CODATA 2018 (exact in the 2019 SI: e x N_A), from :mod:`anodelab.core.constants`.
- :data:`ATOMIC_WEIGHTS`: IUPAC/CIAAW standard atomic weights 2021 abridged to five significant
  figures (Prohaska et al., Pure Appl. Chem. 94, 573 (2022)); for the elements given as an interval
  (H, Li, B, C, N, O, Mg, Si, S, Cl, Br, Tl) the conventional value, as NIST's "Atomic Weights and
  Isotopic Compositions" lists them. Elements without a standard atomic weight (Tc, Pm, Po onwards
  except Th, Pa, U) are absent: a formula naming one is refused.
- :data:`MOBILE_IONS`: the charge each ion carries; :data:`METAL_DENSITIES_G_CM3`: densities of the
  metals that plate, near room temperature, with their source in the table.
- :data:`CONVERSION_ANIONS`: the charge of the anions that a conversion reaction turns into a binary
  salt of the mobile ion (ZnO + 2 Li -> Zn + Li2O), from their usual oxidation state.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import NamedTuple

#: coulombs in one mAh (1e-3 A x 3600 s)
C_PER_MAH = 3.6

#: standard atomic weights (IUPAC 2021, abridged; conventional values for interval elements), g/mol
ATOMIC_WEIGHTS: MappingProxyType[str, float] = MappingProxyType({
    "H": 1.0080, "He": 4.0026, "Li": 6.94, "Be": 9.0122, "B": 10.81, "C": 12.011, "N": 14.007,
    "O": 15.999, "F": 18.998, "Ne": 20.180, "Na": 22.990, "Mg": 24.305, "Al": 26.982, "Si": 28.085,
    "P": 30.974, "S": 32.06, "Cl": 35.45, "Ar": 39.95, "K": 39.098, "Ca": 40.078, "Sc": 44.956,
    "Ti": 47.867, "V": 50.942, "Cr": 51.996, "Mn": 54.938, "Fe": 55.845, "Co": 58.933, "Ni": 58.693,
    "Cu": 63.546, "Zn": 65.38, "Ga": 69.723, "Ge": 72.630, "As": 74.922, "Se": 78.971, "Br": 79.904,
    "Kr": 83.798, "Rb": 85.468, "Sr": 87.62, "Y": 88.906, "Zr": 91.224, "Nb": 92.906, "Mo": 95.95,
    "Ru": 101.07, "Rh": 102.91, "Pd": 106.42, "Ag": 107.87, "Cd": 112.41, "In": 114.82, "Sn": 118.71,
    "Sb": 121.76, "Te": 127.60, "I": 126.90, "Xe": 131.29, "Cs": 132.91, "Ba": 137.33, "La": 138.91,
    "Ce": 140.12, "Pr": 140.91, "Nd": 144.24, "Sm": 150.36, "Eu": 151.96, "Gd": 157.25, "Tb": 158.93,
    "Dy": 162.50, "Ho": 164.93, "Er": 167.26, "Tm": 168.93, "Yb": 173.05, "Lu": 174.97, "Hf": 178.49,
    "Ta": 180.95, "W": 183.84, "Re": 186.21, "Os": 190.23, "Ir": 192.22, "Pt": 195.08, "Au": 196.97,
    "Hg": 200.59, "Tl": 204.38, "Pb": 207.2, "Bi": 208.98, "Th": 232.04, "Pa": 231.04, "U": 238.03,
})

#: charge number of each mobile (shuttled or plated) ion
MOBILE_IONS: MappingProxyType[str, int] = MappingProxyType(
    {"Li": 1, "Na": 1, "K": 1, "Mg": 2, "Ca": 2, "Zn": 2, "Al": 3})

#: charge number (magnitude) of the anions a conversion reaction leaves as a salt of the mobile ion
CONVERSION_ANIONS: MappingProxyType[str, int] = MappingProxyType(
    {"O": 2, "S": 2, "Se": 2, "Te": 2, "F": 1, "Cl": 1, "Br": 1, "I": 1, "N": 3, "P": 3})


class Density(NamedTuple):
    """A density, g/cm3, and where it comes from."""

    g_cm3: float
    source: str


_CRC = "CRC Handbook of Chemistry and Physics, 97th ed. (2016), Physical Constants of Inorganic Compounds"
#: densities of the metals that plate, solid, near room temperature (20-25 degC)
METAL_DENSITIES_G_CM3: MappingProxyType[str, Density] = MappingProxyType({
    "Li": Density(0.534, f"{_CRC} (20 degC)"),
    "Na": Density(0.968, "Sodium-NaK Engineering Handbook vol. 1 (Foust, 1972), solid at 20 degC; CRC gives 0.97"),
    "K": Density(0.89, _CRC),
    "Mg": Density(1.74, _CRC),
    "Ca": Density(1.54, _CRC),
    "Zn": Density(7.14, _CRC),
    "Al": Density(2.70, _CRC),
})
