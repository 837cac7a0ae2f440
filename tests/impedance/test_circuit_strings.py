"""Circuit-string parser: round trips against models.circuits, and clear errors."""

from __future__ import annotations

import numpy as np
import pytest

from anodelab.core.errors import ValidationError
from anodelab.impedance.circuit_strings import model_of, parse_circuit
from anodelab.models.circuits import CPE, ZARC, C, G, L, Parallel, R, Series, W, Wo, Ws
from anodelab.sim.virtual.impedance import si_sulfide_circuit

FREQUENCY = np.logspace(6, -2, 41)


@pytest.mark.parametrize(
    ("text", "canonical", "names"),
    [
        ("R0-p(R1,CPE1)-W1", "R0-p(R1,CPE1)-W1", ("R0", "R1", "CPE1_Q", "CPE1_n", "W1")),
        ("R(RQ)(RQ)W", "R0-p(R1,CPE2)-p(R3,CPE4)-W5", None),
        ("R(Q[RW])", "R0-p(CPE1,R2-W3)", None),
        ("p(R1,C1)-CPE2", "p(R1,C1)-CPE2", ("R1", "C1", "CPE2_Q", "CPE2_n")),
        ("R0-Zarc1", "R0-Zarc1", ("R0", "Zarc1_R", "Zarc1_tau", "Zarc1_n")),
        ("L0-R0-p(R1,L1)-G2-Ws3-Wo4", "L0-R0-p(R1,L1)-G2-Ws3-Wo4", None),
        ("R(RQ)O", "R0-p(R1,CPE2)-Wo3", None),
        ("R-p(R,C)", "R0-p(R1,C2)", None),
    ],
)
def test_parse_canonical_string(text, canonical, names):
    model = parse_circuit(text)
    assert model.string == canonical
    assert parse_circuit(model.string).string == canonical  # round trip
    if names is not None:
        assert model.names == names


def test_units_follow_the_element_table():
    model = parse_circuit("L0-R0-p(R1,CPE1)-Zarc2-W3")
    assert dict(zip(model.names, model.units, strict=True)) == {
        "L0": "H", "R0": "ohm", "R1": "ohm", "CPE1_Q": "S s^n", "CPE1_n": "",
        "Zarc2_R": "ohm", "Zarc2_tau": "s", "Zarc2_n": "", "W3": "ohm s^-1/2",
    }


def test_cdc_and_impedancepy_strings_give_the_same_impedance():
    values = [10.0, 50.0, 1e-5, 0.85, 30.0]
    a = parse_circuit("R0-p(R1,CPE1)-W1")
    b = parse_circuit("R(RQ)W")
    assert np.allclose(a.impedance(values, FREQUENCY), b.impedance(values, FREQUENCY), rtol=1e-14)


@pytest.mark.parametrize(
    "circuit",
    [
        si_sulfide_circuit(),
        Series(L(1e-7), R(5.0), Parallel(R(20.0), CPE(1e-5, 0.8)), Parallel(R(3.0), L(1e-3)), Ws(10.0, 2.0)),
        Series(Parallel(R(100.0), C(1e-9)), Parallel(CPE(1e-4, 0.9), Series(R(40.0), W(12.0))), Wo(8.0, 5.0), G(3.0, 1e-3)),
        ZARC(10.0, 1e-3, 0.7),
    ],
)
def test_model_reproduces_models_circuits_impedance(circuit):
    model, values = model_of(circuit)
    assert model.string == circuit.circuit_string
    Z = model.impedance(model.vector(values), FREQUENCY)
    assert np.allclose(Z, circuit.impedance(FREQUENCY), rtol=1e-12, atol=0)
    # build() gives back an equal models.circuits tree
    assert model.build(values) == circuit


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "non-empty"),
        ("R0-p(R1,CPE1", "close p("),
        ("R0-X1", "expected an element"),
        ("R0-p(R1)", "at least two branches"),
        ("R0-R0", "appear twice"),
        ("R(RQ", "missing ')'"),
        ("RQ)", "unbalanced"),
        ("R0-", "expected an element"),
        ("R0-p(R1,C1)x", "unexpected"),
    ],
)
def test_bad_strings_raise_validation_error(text, fragment):
    with pytest.raises(ValidationError, match="circuit") as info:
        parse_circuit(text)
    assert fragment in str(info.value)


def test_vector_names_missing_and_unknown_parameters():
    model = parse_circuit("R0-p(R1,C1)")
    with pytest.raises(ValidationError, match="missing C1; unknown C2"):
        model.vector({"R0": 1.0, "R1": 2.0, "C2": 1e-6})
