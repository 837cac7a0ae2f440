"""Theoretical capacities against the published values and the textbook formula n F / (3.6 M),
computed here from the atomic weights (never from the code under test)."""

from __future__ import annotations

import pytest

from anodelab.core.errors import ValidationError
from anodelab.design import (
    capacity_of,
    composite_formula,
    mixture_capacity,
    parse_mixture,
    theoretical_capacity,
)

F = 96485.33212  # C/mol, CODATA 2018
# IUPAC 2021 standard atomic weights, abridged (conventional values for Li, C, O, Si), g/mol
M = {"Li": 6.94, "Na": 22.990, "Si": 28.085, "C": 12.011, "O": 15.999, "Zn": 65.38, "Sn": 118.71,
     "Ti": 47.867, "Mg": 24.305, "Bi": 208.98, "F": 18.998}


def textbook(n_electrons: float, molar_mass_g_mol: float) -> float:
    """mAh/g of a host of molar mass M taking n electrons per formula unit."""
    return n_electrons * F / (3.6 * molar_mass_g_mol)


@pytest.mark.parametrize(("host", "to", "published", "tolerance", "n", "mass"), [
    # seed 000 (and Obrovac & Christensen 2004): Si -> Li15Si4, 3579 mAh/g per g of Si
    ("Si", "Li15Si4", 3579, 0.5, 15 / 4, M["Si"]),
    # seed 003 (Wen & Huggins 1981): Si -> Li22Si5, "4200 mAh/g" (4199 to four figures)
    ("Si", "Li22Si5", 4200, 1.5, 22 / 5, M["Si"]),
    # graphite -> LiC6, 372 mAh/g (e.g. Winter et al., Adv. Mater. 10, 725 (1998))
    ("graphite", None, 372, 0.5, 1 / 6, M["C"]),
    ("C", "LiC6", 372, 0.5, 1 / 6, M["C"]),
    # seed 000: Li metal 3860 mAh/g (3862 to four figures with Li = 6.94)
    ("Li", None, 3860, 2.5, 1, M["Li"]),
    # issue 15: Na metal 1166 mAh/g (seed 004 rounds it down to 1165)
    ("Na", None, 1166, 0.5, 1, M["Na"]),
    # Zn metal, two electrons: 820 mAh/g
    ("Zn", None, 820, 0.5, 2, M["Zn"]),
    # Winter & Besenhard 1999: Sn -> Li22Sn5 994 mAh/g; Lupu et al. 2003: Li17Sn4 960 mAh/g
    ("Sn", "Li22Sn5", 994, 1.0, 22 / 5, M["Sn"]),
    ("Sn", "Li17Sn4", 960, 1.0, 17 / 4, M["Sn"]),
    # Li4Ti5O12 -> Li7Ti5O12: 175 mAh/g
    ("Li4Ti5O12", None, 175, 0.5, 3, 4 * M["Li"] + 5 * M["Ti"] + 12 * M["O"]),
])
def test_published_capacities(host, to, published, tolerance, n, mass):
    result = theoretical_capacity(host, to)
    assert result.capacity_mAh_g == pytest.approx(textbook(n, mass), rel=1e-12)
    assert abs(result.capacity_mAh_g - published) <= tolerance
    assert result.electrons_per_host == pytest.approx(n, rel=1e-12)


def test_zno_conversion_then_alloying():
    # ZnO + 2 Li -> Zn + Li2O, Zn + Li -> LiZn: 3 Li per ZnO
    expected = textbook(3, M["Zn"] + M["O"])
    for to in ("LiZn", "LiZn + Li2O", "Li2O + LiZn", None):
        result = theoretical_capacity("ZnO", to)
        assert result.capacity_mAh_g == pytest.approx(expected, rel=1e-12)
        assert result.ion == "Li" and result.ions_per_host == pytest.approx(3)
    # conversion alone (to Zn metal + Li2O): 2 Li; "Zn" names no ion, so it is given
    conversion = theoretical_capacity("ZnO", "Zn", ion="Li")
    assert conversion.capacity_mAh_g == pytest.approx(textbook(2, M["Zn"] + M["O"]), rel=1e-12)
    assert theoretical_capacity("ZnO", "Zn + Li2O").capacity_mAh_g == conversion.capacity_mAh_g
    assert "Li2O" in theoretical_capacity("ZnO", "LiZn").notes[0]


def test_any_formula_counts_the_ion_against_the_host():
    # Si/C 60:40 by atoms to Li15Si4 + LiC6: 0.6 x 3.75 + 0.4 / 6 Li per formula unit
    n = 0.6 * 3.75 + 0.4 / 6
    result = theoretical_capacity("Si0.6C0.4", "Li15Si4 + LiC6")
    assert result.capacity_mAh_g == pytest.approx(textbook(n, 0.6 * M["Si"] + 0.4 * M["C"]), rel=1e-12)
    # a host that already holds Li: only the gain counts; inert LiF stays LiF
    assert theoretical_capacity("(LiF)0.5Si", "Li15Si4").capacity_mAh_g == pytest.approx(
        textbook(3.75, 0.5 * (M["Li"] + M["F"]) + M["Si"]), rel=1e-12)
    # a two-electron ion: Bi -> Mg3Bi2 is 1.5 Mg = 3 electrons per Bi
    magnesium = theoretical_capacity("Bi", "Mg3Bi2")
    assert magnesium.ion == "Mg" and magnesium.capacity_mAh_g == pytest.approx(textbook(3, M["Bi"]), rel=1e-12)
    # Na into Sn
    assert theoretical_capacity("Sn", "Na15Sn4").capacity_mAh_g == pytest.approx(textbook(3.75, M["Sn"]), rel=1e-12)
    # per g of the end phase: the same charge over host + ions
    si = theoretical_capacity("Si", "Li15Si4")
    assert si.end_phase_capacity_mAh_g == pytest.approx(textbook(3.75, M["Si"] + 3.75 * M["Li"]), rel=1e-12)
    assert "per g of host Si" in si.convention


@pytest.mark.parametrize(("host", "to", "published", "n", "mass"), [
    # cathodes give up the ion: per g of the lithiated host as made
    # LiFePO4 -> FePO4, 170 mAh/g (Padhi, Nanjundaswamy & Goodenough, J. Electrochem. Soc. 144, 1188 (1997))
    ("LiFePO4", "FePO4", 170, 1, M["Li"] + 55.845 + 30.974 + 4 * M["O"]),
    # LiCoO2 -> CoO2, 274 mAh/g (Mizushima et al., Mater. Res. Bull. 15, 783 (1980)); half of it to Li0.5CoO2
    ("LiCoO2", "CoO2", 274, 1, M["Li"] + 58.933 + 2 * M["O"]),
    ("LiCoO2", "Li0.5CoO2", 137, 0.5, M["Li"] + 58.933 + 2 * M["O"]),
    # NMC811, ~275 mAh/g for all its Li
    ("LiNi0.8Mn0.1Co0.1O2", "Ni0.8Mn0.1Co0.1O2", 275.5, 1,
     M["Li"] + 0.8 * 58.693 + 0.1 * 54.938 + 0.1 * 58.933 + 2 * M["O"]),
    # Na3V2(PO4)3 -> NaV2(PO4)3, 2 Na: 118 mAh/g (Jian et al., Adv. Energy Mater. 3, 156 (2013))
    ("Na3V2(PO4)3", "NaV2(PO4)3", 117.6, 2, 3 * M["Na"] + 2 * 50.942 + 3 * (30.974 + 4 * M["O"])),
])
def test_cathodes_give_up_the_ion(host, to, published, n, mass):
    result = theoretical_capacity(host, to)
    assert result.capacity_mAh_g == pytest.approx(textbook(n, mass), rel=1e-9)
    assert abs(result.capacity_mAh_g - published) <= 0.5
    assert result.ions_per_host == pytest.approx(n) and result.ion in ("Li", "Na") and result.gives_up_ion


def test_two_cathodes_mix():
    # 50:50 LiFePO4 / LiCoO2 by mass, computed both ways
    both = mixture_capacity("LiFePO4:0.5, LiCoO2:0.5", "LiFePO4:FePO4, LiCoO2:CoO2")
    lfp, lco = M["Li"] + 55.845 + 30.974 + 4 * M["O"], M["Li"] + 58.933 + 2 * M["O"]
    assert both.capacity_mAh_g == pytest.approx(0.5 * textbook(1, lfp) + 0.5 * textbook(1, lco), rel=1e-9)
    assert both.formula_capacity_mAh_g == pytest.approx(both.capacity_mAh_g, rel=1e-9)


def test_seed_000_si_zno_composite_two_ways():
    # seed 000: ZnO ~11.6 wt% of Si-ZnO4, the rest Si; Si -> Li15Si4, ZnO -> LiZn + Li2O
    expected = 0.884 * textbook(3.75, M["Si"]) + 0.116 * textbook(3, M["Zn"] + M["O"])
    mixture = mixture_capacity("Si:0.884, ZnO:0.116")
    assert mixture.capacity_mAh_g == pytest.approx(expected, rel=1e-12)
    assert mixture.formula_capacity_mAh_g == pytest.approx(expected, rel=1e-12)
    # the second way by hand: the overall formula per 100 g and its end phases, through the public API
    overall = composite_formula(parse_mixture("Si:0.884, ZnO:0.116"))
    assert overall["Si"] == pytest.approx(88.4 / M["Si"]) and overall["O"] == pytest.approx(11.6 / (M["Zn"] + M["O"]))
    assert overall.molar_mass_g_mol == pytest.approx(100.0, rel=1e-12)
    direct = theoretical_capacity(overall, "Li15Si4 + LiZn + Li2O")
    assert direct.capacity_mAh_g == pytest.approx(expected, rel=1e-12)
    # per-component end phases; percentages
    hot = mixture_capacity("Si:88.4%, ZnO:11.6%", "Si:Li22Si5, ZnO:LiZn")
    assert hot.capacity_mAh_g == pytest.approx(0.884 * textbook(4.4, M["Si"]) + 0.116 * textbook(3, M["Zn"] + M["O"]))
    assert hot.formula_capacity_mAh_g == pytest.approx(hot.capacity_mAh_g, rel=1e-12)
    assert capacity_of("Si:0.884, ZnO:0.116").capacity_mAh_g == mixture.capacity_mAh_g
    contributions = [c["contribution_mAh_g"] for c in mixture.to_dict()["components"]]
    assert sum(contributions) == pytest.approx(expected)


def test_to_dict_fields():
    out = theoretical_capacity("Si", "Li15Si4").to_dict()
    assert out["capacity_mAh_g"] == pytest.approx(textbook(3.75, M["Si"]))
    assert {"host", "end_phase", "ion", "electrons_per_host", "host_molar_mass_g_mol", "convention"} <= set(out)
    assert theoretical_capacity("Si").quantity.unit == "mAh/g"


@pytest.mark.parametrize(("call", "field", "problem"), [
    (lambda: theoretical_capacity("Fe2O3"), "end_phase", "no default end phase"),
    (lambda: theoretical_capacity("Si", "Li15Ge4"), "end_phase", "no end phase holds the Si"),
    (lambda: theoretical_capacity("Si", "Si"), "ion", "cannot tell the mobile ion"),
    (lambda: theoretical_capacity("Si", "Li15Si4 + Li"), "end_phase", "holds only the mobile ion"),
    (lambda: theoretical_capacity("Si", "Li15Si4 + Li22Si5"), "end_phase", "not independent"),
    (lambda: theoretical_capacity("SiC", "Li15Si4 + LiC6 + Li15Si4C"), "end_phase", "not independent"),
    (lambda: theoretical_capacity("LiC6", "LiC6"), "end_phase", "holds as much Li"),
    (lambda: theoretical_capacity("Si", "Li15Si4", ion="Cs"), "ion", "unknown mobile ion"),
    (lambda: theoretical_capacity("Li", ion="Na"), "ion", "strips as Li"),
    (lambda: parse_mixture("Si:0.8, ZnO:0.1"), "composition", "sum to 0.9"),
    (lambda: parse_mixture("Si:0.5, Si:0.5"), "composition", "twice"),
    (lambda: parse_mixture("Si:abc"), "composition", "not a number"),
    (lambda: parse_mixture("Si:1.5"), "composition", "(0, 1]"),
    (lambda: mixture_capacity("Si:0.5, C:0.5", "Ge:Li15Ge4"), "end_phase", "not a component"),
    (lambda: mixture_capacity("Si:0.5, C:0.5", "Li15Si4"), "end_phase", "needs HOST:PHASE"),
    (lambda: mixture_capacity("Si:0.5, Sn:0.5", "Sn:Na15Sn4"), "end_phase", "different ions"),
    # a cathode and an anode material: their capacities do not add (the sum was 190 mAh/g, the formula 116)
    (lambda: mixture_capacity("LiFePO4:0.9, C:0.1", "LiFePO4:FePO4"), "end_phase", "others give it up"),
])
def test_refusals_name_the_field(call, field, problem):
    with pytest.raises(ValidationError) as info:
        call()
    assert info.value.field == field
    assert problem in str(info.value)
