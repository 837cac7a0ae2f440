"""Circuit-string parser: round trips against models.circuits, and clear errors."""

from __future__ import annotations

import numpy as np
import pytest

from anodelab.core.errors import ValidationError
from anodelab.impedance.circuit_strings import MAX_NESTING, model_of, parse_circuit
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
        ("R0-R0", "appear more than once"),
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


@pytest.mark.parametrize("text", ["p(R," * 500 + "R" + ")" * 500, "(" * 500 + "R" + ")" * 500,
                                  "[R" * 500 + "]" * 500])
def test_nesting_deeper_than_the_limit_is_refused(text):
    with pytest.raises(ValidationError, match=f"nested more than {MAX_NESTING} deep") as info:
        parse_circuit(text)
    assert len(str(info.value)) < 300  # the message shows an excerpt, not the whole string


def test_nesting_up_to_the_limit_parses_and_evaluates():
    text = "p(R,C-" * (MAX_NESTING - 1) + "p(R,C)" + ")" * (MAX_NESTING - 1)
    model = parse_circuit(text)
    assert len(model) == 2 * MAX_NESTING
    values = np.full(len(model), 1.0)
    # a ladder of R || (C in series with the rest): at DC every capacitor blocks, so Z -> R of the first rung
    assert model.impedance(values, [1e-9])[0] == pytest.approx(1.0, rel=1e-6)


def test_long_strings_parse_and_errors_in_them_stay_short():
    # 100 kB strings: the parser is linear in the length (it used to take minutes on these)
    model = parse_circuit("R-" * 50_000 + "R")
    assert len(model) == 50_001 and model.names[-1] == "R50000"
    assert len(parse_circuit("R" * 100_000)) == 100_000
    with pytest.raises(ValidationError, match="appear more than once") as info:
        parse_circuit("R0-" * 30_000 + "R0")
    assert len(str(info.value)) < 300
    with pytest.raises(ValidationError, match="expected an element") as info:
        parse_circuit("R0-p(R1,C1)-" + "X" * 100_000)
    assert "position 12" in str(info.value) and len(str(info.value)) < 300
