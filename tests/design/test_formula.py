"""The formula parser against formulas written out by hand, and its refusals."""

from __future__ import annotations

import pytest

from anodelab.core.errors import ValidationError
from anodelab.design import molar_mass_g_mol, parse_formula

# IUPAC 2021 standard atomic weights (abridged; conventional value for Li, H, C, O, Si), g/mol
LI, SI, C, O, H, F, ZN = 6.94, 28.085, 12.011, 15.999, 1.0080, 18.998, 65.38


@pytest.mark.parametrize(("text", "amounts"), [
    ("Li15Si4", {"Li": 15, "Si": 4}),
    ("Li22Si5", {"Li": 22, "Si": 5}),
    ("LiC6", {"Li": 1, "C": 6}),
    ("Na", {"Na": 1}),
    ("ZnO", {"Zn": 1, "O": 1}),
    ("LiZn", {"Li": 1, "Zn": 1}),
    ("Si0.6C0.4", {"Si": 0.6, "C": 0.4}),
    ("(LiF)0.5", {"Li": 0.5, "F": 0.5}),
    ("Ca3(PO4)2", {"Ca": 3, "P": 2, "O": 8}),
    ("LiNi0.8Co0.1Mn0.1O2", {"Li": 1, "Ni": 0.8, "Co": 0.1, "Mn": 0.1, "O": 2}),
    ("Li5.5PS4.5Cl1.5", {"Li": 5.5, "P": 1, "S": 4.5, "Cl": 1.5}),
    ("[Si(ZnO)2]3", {"Si": 3, "Zn": 6, "O": 6}),
    ("CuSO4·5H2O", {"Cu": 1, "S": 1, "O": 9, "H": 10}),
    ("LiOH*H2O", {"Li": 1, "O": 2, "H": 3}),
    ("CH3COOH", {"C": 2, "H": 4, "O": 2}),  # a repeated element adds up
    ("  Si  ", {"Si": 1}),
])
def test_parsed_amounts(text, amounts):
    formula = parse_formula(text)
    assert dict(formula) == pytest.approx(amounts)
    assert set(formula) == set(amounts)


@pytest.mark.parametrize(("text", "mass"), [
    ("Li15Si4", 15 * LI + 4 * SI),
    ("H2O", 2 * H + O),
    ("Si0.6C0.4", 0.6 * SI + 0.4 * C),
    ("(LiF)0.5", 0.5 * (LI + F)),
    ("ZnO", ZN + O),
])
def test_molar_mass_from_the_atomic_weights(text, mass):
    assert molar_mass_g_mol(text) == pytest.approx(mass, rel=1e-12)


@pytest.mark.parametrize(("text", "problem"), [
    ("", "empty"),
    ("Xx2", "unknown element 'Xx'"),
    ("si", "unexpected 's'"),
    ("Si((", "missing"),
    ("Li)", "unmatched"),
    ("()", "unmatched or empty"),
    ("(2Si)", "follows no element"),
    ("2", "needs a formula"),
    ("Si0", "must be > 0"),
    ("Si-1", "unexpected '-'"),
    ("Tc", "unknown element 'Tc'"),  # no standard atomic weight
    ("(" * 40 + "Si" + ")" * 40, "nested deeper"),
    ("Si" * 300, "longer than"),
])
def test_bad_formulas_are_refused_with_the_reason(text, problem):
    with pytest.raises(ValidationError, match="formula") as info:
        parse_formula(text)
    assert problem in str(info.value)


def test_not_text_is_refused():
    with pytest.raises(ValidationError, match="as text"):
        parse_formula(12)  # type: ignore[arg-type]


def test_decimal_amounts_are_exact_and_lowercase_gets_a_hint():
    # an amount multiplied in, not added as (amount - 1): Mn0.1 was 0.09999999999999998
    nmc = parse_formula("LiNi0.8Mn0.1Co0.1O2")
    assert nmc["Mn"] == 0.1 and nmc["Co"] == 0.1 and nmc["Ni"] == 0.8
    assert parse_formula("((CH3)3)2")["H"] == 18.0
    with pytest.raises(ValidationError, match="capital letter"):
        parse_formula("si")
