"""Circuit strings -> :mod:`anodelab.models.circuits` trees, and parameter vectors <-> circuits.

Two syntaxes, parsed by a small recursive-descent parser (never ``eval``):

- **impedance.py style**: ``R0-p(R1,CPE1)-W1``; ``-`` joins elements in series, ``p(a,b,...)``
  in parallel, each element is a code from the table below followed by an optional number (its
  label; elements without a number are numbered depth-first by position). Labels must be unique.
- **Boukamp CDC**: ``R(RQ)(RQ)W``; letters in sequence are in series, ``(...)`` holds elements in
  parallel and ``[...]`` elements in series (``R(Q[RW])`` is a Randles cell). Codes: R, C, L,
  Q (CPE), W (semi-infinite Warburg), O (finite-space Warburg, ``Wo``), T (finite-length Warburg,
  ``Ws``), G (Gerischer); the multi-letter codes ``CPE``, ``Zarc``, ``Wo``, ``Ws`` are accepted too.
  Elements are numbered depth-first (``R0-p(R1,CPE2)-...``).

=======  ============================  =========================================
code     parameters (name suffix: unit) impedance (see models.circuits)
=======  ============================  =========================================
R        ``R0``: ohm                   ``R``
C        ``C0``: F                     ``1 / (j w C)``
L        ``L0``: H                     ``j w L``
CPE      ``_Q``: S s^n, ``_n``: 1      ``1 / (Q (j w)^n)``
Zarc     ``_R``: ohm, ``_tau``: s, ``_n``  ``R / (1 + (j w tau)^n)``
W        ``W0``: ohm s^-1/2            ``sigma (1 - j) / sqrt(w)``
Ws, Wo   ``_R``: ohm, ``_tau``: s      finite-length / finite-space Warburg
G        ``_R``: ohm, ``_tau``: s      Gerischer ``R / sqrt(1 + j w tau)``
=======  ============================  =========================================

An inductive loop is ``p(R1,L1)``. One-parameter elements name their parameter by the label alone
(``R0``, ``C1``, ``W2``); the others append a suffix (``CPE1_Q``, ``CPE1_n``, ``Zarc2_tau``).

Parsing takes time linear in the length of the string; groups may nest :data:`MAX_NESTING` deep.
"""

from __future__ import annotations

import math
import reprlib
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from anodelab.core.errors import ValidationError
from anodelab.models import circuits as mc

#: element code -> class
ELEMENTS: dict[str, type[mc.Element]] = {
    "R": mc.R,
    "C": mc.C,
    "L": mc.L,
    "CPE": mc.CPE,
    "Zarc": mc.ZARC,
    "W": mc.W,
    "Ws": mc.Ws,
    "Wo": mc.Wo,
    "G": mc.G,
}
#: Boukamp CDC letter -> element code
CDC_CODES = {"R": "R", "C": "C", "L": "L", "Q": "CPE", "W": "W", "O": "Wo", "T": "Ws", "G": "G"}

#: field name of each element parameter -> (suffix in the parameter name, unit)
_FIELD = {
    "R_ohm": ("R", "ohm"),
    "C_F": ("C", "F"),
    "L_H": ("L", "H"),
    "Q_S_s_n": ("Q", "S s^n"),
    "n": ("n", ""),
    "tau_s": ("tau", "s"),
    "sigma_ohm_s_half": ("sigma", "ohm s^-1/2"),
}
_CODES_LONGEST_FIRST = sorted(ELEMENTS, key=len, reverse=True)
#: deepest nesting of p(...), (...) or [...] accepted (real circuits nest two or three deep); it also
#: bounds the recursion of everything that walks a circuit tree
MAX_NESTING = 32


@dataclass(frozen=True)
class Leaf:
    """One element of a parsed circuit: its code and label (``CPE`` and ``CPE1``)."""

    code: str
    label: str

    @property
    def cls(self) -> type[mc.Element]:
        return ELEMENTS[self.code]

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in fields(self.cls))

    @property
    def parameter_names(self) -> tuple[str, ...]:
        names = self.field_names
        if len(names) == 1:
            return (self.label,)
        return tuple(f"{self.label}_{_FIELD[name][0]}" for name in names)

    @property
    def units(self) -> tuple[str, ...]:
        return tuple(_FIELD[name][1] for name in self.field_names)


@dataclass(frozen=True)
class Node:
    """A series (``kind="s"``) or parallel (``kind="p"``) group of nodes and leaves."""

    kind: str
    children: tuple[Node | Leaf, ...]


def _shown(text: str, position: int | None = None) -> str:
    """``text`` quoted, or the 60 characters around ``position`` of a long one."""
    if len(text) <= 80:
        return repr(text)
    start = max(0, min(len(text) - 60, (position or 0) - 30))
    return f"{'...' if start else ''}{text[start:start + 60]!r}... ({len(text)} characters)"


def _fail(text: str, position: int, problem: str) -> ValidationError:
    return ValidationError("circuit", f"{problem} at position {position} of {_shown(text, position)}")


class _Parser:
    def __init__(self, text: str, cdc: bool) -> None:
        self.text = text.replace(" ", "")
        self.pos = 0
        self.cdc = cdc
        self.depth = 0

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def enter(self) -> None:
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise _fail(self.text, self.pos, f"groups nested more than {MAX_NESTING} deep")

    def code(self) -> str:
        for code in _CODES_LONGEST_FIRST:
            if self.text.startswith(code, self.pos):
                self.pos += len(code)
                return code
        char = self.peek()
        if self.cdc and char in CDC_CODES:
            self.pos += 1
            return CDC_CODES[char]
        shown = self.text[self.pos : self.pos + 6] or "end of string"
        raise _fail(
            self.text, self.pos,
            f"expected an element ({', '.join(ELEMENTS)}"
            + (", or CDC letters " + "".join(CDC_CODES) if self.cdc else "")
            + f"), found {shown!r}",
        )

    # impedance.py syntax
    def series(self) -> Node | Leaf:
        parts = [self.term()]
        while self.peek() == "-":
            self.pos += 1
            parts.append(self.term())
        return parts[0] if len(parts) == 1 else Node("s", tuple(parts))

    def term(self) -> Node | Leaf:
        if self.text.startswith("p(", self.pos):
            start = self.pos
            self.pos += 2
            self.enter()
            parts = [self.series()]
            while self.peek() == ",":
                self.pos += 1
                parts.append(self.series())
            if self.peek() != ")":
                raise _fail(self.text, self.pos, "expected ',' or ')' to close p( opened at " + str(start))
            self.pos += 1
            self.depth -= 1
            if len(parts) < 2:
                raise _fail(self.text, start, "p(...) needs at least two branches")
            return Node("p", tuple(parts))
        code = self.code()
        digits_start = self.pos
        while self.peek().isdigit() or self.peek() == "_":
            self.pos += 1
        return Leaf(code, code + self.text[digits_start : self.pos] if self.pos > digits_start else "")

    # Boukamp CDC
    def group(self, kind: str, closing: str) -> Node | Leaf:
        start = self.pos
        parts: list[Node | Leaf] = []
        while self.peek() not in (closing, ""):
            char = self.peek()
            if char in "([":
                self.pos += 1
                self.enter()
                parts.append(self.group("p" if char == "(" else "s", ")" if char == "(" else "]"))
                self.depth -= 1
            elif char in ")]":
                raise _fail(self.text, self.pos, f"unbalanced {char!r}")
            else:
                parts.append(Leaf(self.code(), ""))
        if closing:
            if self.peek() != closing:
                raise _fail(self.text, start, f"missing {closing!r}")
            self.pos += 1
        if not parts:
            raise _fail(self.text, start, "empty group")
        if len(parts) == 1:
            return parts[0]
        return Node(kind, tuple(parts))


def _is_cdc(text: str) -> bool:
    return not any(char in text for char in "-,0123456789_") and not text.startswith("p(")


def _number(tree: Node | Leaf, text: str) -> Node | Leaf:
    """Give unnumbered leaves their depth-first index; check labels are unique."""
    counter = iter(range(10**9))

    def walk(node: Node | Leaf) -> Node | Leaf:
        if isinstance(node, Leaf):
            index = next(counter)
            return node if node.label else Leaf(node.code, f"{node.code}{index}")
        return Node(node.kind, tuple(walk(child) for child in node.children))

    numbered = walk(tree)
    duplicates = sorted(label for label, count in Counter(leaf.label for leaf in _leaves(numbered)).items() if count > 1)
    if duplicates:
        shown = ", ".join(duplicates[:5]) + (f" and {len(duplicates) - 5} more" if len(duplicates) > 5 else "")
        raise ValidationError("circuit", f"element label(s) {shown} appear more than once in {_shown(text)}")
    return numbered


def _leaves(node: Node | Leaf) -> list[Leaf]:
    """The leaves of ``node``, depth first."""
    leaves: list[Leaf] = []
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, Leaf):
            leaves.append(item)
        else:
            stack.extend(reversed(item.children))
    return leaves


def _to_string(node: Node | Leaf) -> str:
    if isinstance(node, Leaf):
        return node.label
    parts = [_to_string(child) for child in node.children]
    return "-".join(parts) if node.kind == "s" else "p(" + ",".join(parts) + ")"


@dataclass(frozen=True)
class CircuitModel:
    """A parsed circuit: its structure, parameter names and units; evaluates parameter vectors."""

    tree: Node | Leaf

    @property
    def string(self) -> str:
        """The circuit in impedance.py syntax with its labels."""
        return _to_string(self.tree)

    @property
    def leaves(self) -> tuple[Leaf, ...]:
        return tuple(_leaves(self.tree))

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(name for leaf in self.leaves for name in leaf.parameter_names)

    @property
    def units(self) -> tuple[str, ...]:
        return tuple(unit for leaf in self.leaves for unit in leaf.units)

    def __len__(self) -> int:
        return len(self.names)

    def vector(self, parameters: Mapping[str, float]) -> NDArray[np.float64]:
        """Parameter name -> value mapping to a vector in :attr:`names` order (every name required)."""
        missing = [name for name in self.names if name not in parameters]
        unknown = [name for name in parameters if name not in self.names]
        if missing or unknown:
            raise ValidationError(
                "parameters",
                f"circuit {self.string} has parameters {', '.join(self.names)}"
                + (f"; missing {', '.join(missing)}" if missing else "")
                + (f"; unknown {', '.join(unknown)}" if unknown else ""),
            )
        return np.array([float(parameters[name]) for name in self.names])

    def impedance(self, values: ArrayLike, frequency_Hz: ArrayLike) -> NDArray[np.complex128]:
        """Impedance (ohm) of the circuit with parameter vector ``values`` (in :attr:`names` order)."""
        vector = np.asarray(values, dtype=np.float64)
        if vector.shape != (len(self),):
            raise ValidationError("values", f"expected {len(self)} values ({', '.join(self.names)}), got shape {vector.shape}")
        omega = mc.angular_frequency(frequency_Hz)
        position = [0]

        def walk(node: Node | Leaf) -> Any:
            if isinstance(node, Leaf):
                count = len(node.field_names)
                element: Any = node.cls
                Z, _ = element._impedance_and_gradient(omega, *vector[position[0] : position[0] + count])
                position[0] += count
                return Z
            branches = [walk(child) for child in node.children]
            if node.kind == "s":
                return sum(branches)
            with np.errstate(divide="ignore", invalid="ignore"):
                return 1.0 / sum(1.0 / branch for branch in branches)

        return np.broadcast_to(walk(self.tree), omega.shape).astype(np.complex128)

    def build(self, values: ArrayLike | Mapping[str, float]) -> mc.Circuit:
        """The :mod:`anodelab.models.circuits` tree with these parameter values (validated by the elements)."""
        vector = self.vector(values) if isinstance(values, Mapping) else np.asarray(values, dtype=np.float64)
        position = [0]

        def walk(node: Node | Leaf) -> mc.Circuit:
            if isinstance(node, Leaf):
                count = len(node.field_names)
                element = node.cls(*(float(v) for v in vector[position[0] : position[0] + count]))
                position[0] += count
                return element
            children = [walk(child) for child in node.children]
            return (mc.Series if node.kind == "s" else mc.Parallel)(*children)

        return walk(self.tree)


def parse_circuit(text: str, *, syntax: str = "auto") -> CircuitModel:
    """Parse ``text`` (``syntax``: ``"auto"``, ``"impedancepy"`` or ``"cdc"``) into a :class:`CircuitModel`.

    ``auto`` reads strings with ``-``, ``,``, digits or a leading ``p(`` as impedance.py syntax, others as CDC.
    """
    if not isinstance(text, str) or not text.strip():
        raise ValidationError("circuit", f"expected a non-empty circuit string, got {reprlib.repr(text)}")
    if syntax not in ("auto", "impedancepy", "cdc"):
        raise ValidationError("syntax", f"expected 'auto', 'impedancepy' or 'cdc', got {syntax!r}")
    cdc = _is_cdc(text.replace(" ", "")) if syntax == "auto" else syntax == "cdc"
    parser = _Parser(text, cdc)
    tree = parser.group("s", "") if cdc else parser.series()
    if parser.pos != len(parser.text):
        raise _fail(parser.text, parser.pos, f"unexpected {parser.text[parser.pos:parser.pos + 6]!r}")
    return CircuitModel(_number(tree, text))


def model_of(circuit: mc.Circuit) -> tuple[CircuitModel, dict[str, float]]:
    """The :class:`CircuitModel` of an existing circuit (labels numbered depth-first) and its parameter values."""

    def walk(node: Any) -> Node | Leaf:
        if isinstance(node, (mc.Series, mc.Parallel)):
            return Node("s" if isinstance(node, mc.Series) else "p", tuple(walk(child) for child in node.elements))
        if type(node) not in ELEMENTS.values():
            raise ValidationError("circuit", f"{node!r} is not a circuit element")
        return Leaf(type(node).code, "")

    model = CircuitModel(_number(walk(circuit), "circuit"))
    values = [value for leaf in circuit.leaves() for value in leaf.parameters.values()]
    return model, dict(zip(model.names, values, strict=True))


def as_model(circuit: str | CircuitModel | mc.Circuit) -> tuple[CircuitModel, dict[str, float] | None]:
    """Accept a string, a model or a circuit with values; return the model and the values if any."""
    if isinstance(circuit, CircuitModel):
        return circuit, None
    if isinstance(circuit, str):
        return parse_circuit(circuit), None
    if isinstance(circuit, (mc.Series, mc.Parallel, *ELEMENTS.values())):
        return model_of(circuit)
    raise ValidationError("circuit", f"expected a circuit string, CircuitModel or circuit, got {circuit!r}")


def parameter_kind(name: str, unit: str) -> str:
    """``"n"`` for CPE/ZARC exponents, else the unit (used to choose default bounds and starts)."""
    return "n" if name.endswith("_n") and unit == "" else unit


def is_finite_positive(values: Sequence[float]) -> bool:
    return all(math.isfinite(v) and v > 0 for v in values)
