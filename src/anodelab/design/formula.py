"""Chemical formulas: a small parser and the molar mass.

Grammar: element symbols (``Li``, ``Si``) each followed by an optional amount (whole or decimal,
``Li15Si4``, ``Si0.6C0.4``); groups in parentheses or brackets with an amount (``(LiF)0.5``,
``Ca3(PO4)2``); adducts joined by ``·`` or ``*`` with an optional leading count (``CuSO4·5H2O``).
Amounts must be > 0. Element symbols are those of :data:`~anodelab.design.constants.ATOMIC_WEIGHTS`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from anodelab.core.errors import ValidationError
from anodelab.design.constants import ATOMIC_WEIGHTS

#: longest formula text accepted, characters
MAX_FORMULA_CHARS = 500
#: deepest nesting of parentheses accepted
MAX_DEPTH = 16

_TOKEN = re.compile(r"([A-Z][a-z]?)|(\d+(?:\.\d*)?|\.\d+)|([(\[])|([)\]])")
_CLOSE = {"(": ")", "[": "]"}


@dataclass(frozen=True)
class Formula(Mapping[str, float]):
    """Element -> amount per formula unit (in order of first appearance); ``text`` as written."""

    amounts: Mapping[str, float]
    text: str = ""

    def __getitem__(self, element: str) -> float:
        return self.amounts[element]

    def __iter__(self) -> Iterator[str]:
        return iter(self.amounts)

    def __len__(self) -> int:
        return len(self.amounts)

    @property
    def molar_mass_g_mol(self) -> float:
        """Sum of amount x standard atomic weight, g/mol."""
        return math.fsum(n * ATOMIC_WEIGHTS[element] for element, n in self.amounts.items())

    def scaled(self, factor: float) -> Formula:
        """Every amount times ``factor``."""
        return formula_of({element: n * factor for element, n in self.amounts.items()})

    def __str__(self) -> str:
        return self.text or "".join(element + ("" if n == 1 else f"{n:.6g}") for element, n in self.amounts.items())


def formula_of(amounts: Mapping[str, float]) -> Formula:
    """A :class:`Formula` from element amounts (amounts <= 0 dropped; unknown elements refused)."""
    kept = {}
    for element, n in amounts.items():
        if element not in ATOMIC_WEIGHTS:
            raise ValidationError("formula", f"unknown element {element!r}")
        if n > 0:
            kept[element] = float(n)
    return Formula(MappingProxyType(kept))


def parse_formula(text: str, field: str = "formula") -> Formula:
    """Parse ``text`` (see the module docstring); errors name ``field`` and the offending position."""
    if not isinstance(text, str):
        raise ValidationError(field, f"expected a chemical formula as text, got {type(text).__name__}")
    stripped = text.strip()
    if not stripped:
        raise ValidationError(field, "empty formula")
    if len(stripped) > MAX_FORMULA_CHARS:
        raise ValidationError(field, f"formula longer than {MAX_FORMULA_CHARS} characters")
    total: dict[str, float] = {}
    for part in re.split(r"[·*]", stripped):
        count_match = re.match(r"\s*(\d+(?:\.\d*)?|\.\d+)?", part)
        count = float(count_match.group(1)) if count_match and count_match.group(1) else 1.0
        body = part[count_match.end() if count_match else 0:].strip()
        if not body or count <= 0:
            raise ValidationError(field, f"{text!r}: an adduct needs a formula and a count > 0")
        for element, n in _parse_group(body, text, field).items():
            total[element] = total.get(element, 0.0) + count * n
    return Formula(MappingProxyType(total), stripped)


def _parse_group(body: str, text: str, field: str) -> dict[str, float]:
    """Element amounts of one adduct (no ``·``), by a stack of open groups."""
    stack: list[tuple[dict[str, float], str]] = [({}, "")]
    position = 0
    pending: dict[str, float] | None = None  # the element or group just read: what the next amount multiplies

    def flush(amount: float = 1.0) -> None:
        if pending is not None:
            _merge(stack[-1][0], {e: n * amount for e, n in pending.items()})

    while position < len(body):
        match = _TOKEN.match(body, position)
        if match is None:
            hint = " (element symbols start with a capital letter: Si, not si)" if body[position].islower() else ""
            raise ValidationError(field, f"{text!r}: unexpected {body[position]!r} at position {position}{hint}")
        element, number, opening, closing = match.groups()
        position = match.end()
        if element is not None:
            if element not in ATOMIC_WEIGHTS:
                raise ValidationError(field, f"{text!r}: unknown element {element!r}")
            flush()
            pending = {element: 1.0}
        elif number is not None:
            amount = float(number)
            if pending is None:
                raise ValidationError(field, f"{text!r}: amount {number} follows no element or group")
            if amount <= 0:
                raise ValidationError(field, f"{text!r}: amount {number} must be > 0")
            flush(amount)
            pending = None
        elif opening is not None:
            flush()
            pending = None
            if len(stack) > MAX_DEPTH:
                raise ValidationError(field, f"{text!r}: groups nested deeper than {MAX_DEPTH}")
            stack.append(({}, _CLOSE[opening]))
        else:
            flush()
            group, expected = stack.pop() if len(stack) > 1 else ({}, "")
            if closing != expected or not group:
                raise ValidationError(field, f"{text!r}: unmatched or empty group at position {position - 1}")
            pending = group
    flush()
    if len(stack) > 1:
        raise ValidationError(field, f"{text!r}: {stack[-1][1]!r} missing")
    if not stack[0][0]:
        raise ValidationError(field, f"{text!r}: no element")
    return stack[0][0]


def _merge(into: dict[str, float], amounts: Mapping[str, float]) -> None:
    for element, n in amounts.items():
        into[element] = into.get(element, 0.0) + n


def molar_mass_g_mol(formula: str | Formula) -> float:
    """Molar mass of a formula (text or parsed), g/mol."""
    return (formula if isinstance(formula, Formula) else parse_formula(formula)).molar_mass_g_mol
