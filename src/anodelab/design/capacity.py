"""Theoretical capacity from a host composition and the phase it ends as, and of mixtures.

Convention: capacity per gram of host, the material as made (unlithiated, or the metal itself):
``C = n F / (3.6 M_host)`` mAh/g, with ``n`` the electrons per formula unit of host to reach the end
phase (the mobile ions gained, or given up by a cathode, times their charge) and F the Faraday
constant (CODATA 2018). So Si -> Li15Si4 is 3.75 Li per Si, 3579 mAh/g per g of Si; graphite -> LiC6
is 372 mAh/g per g of C; LiFePO4 -> FePO4 is 170 mAh/g per g of LiFePO4. A plating metal alone (``Li``, ``Na``, ``Zn``) gives its stripping capacity per gram of metal.

End phases are written as formulas joined by ``+`` (``LiZn + Li2O``); the amount of each is solved
from the host's framework elements (everything but the mobile ion), so the phases must hold them
exactly. A host element that no end phase holds and that forms a salt with the ion (O, S, F, N, ...:
:data:`~anodelab.design.constants.CONVERSION_ANIONS`) ends as that binary salt (conversion):
ZnO -> LiZn gives ZnO + 3 Li -> LiZn + Li2O, 3 Li per ZnO. The mobile ion is the element of
:data:`~anodelab.design.constants.MOBILE_IONS` that the end phases hold and the host does not
(else the only one they hold, else the only one the host holds and they do not), unless ``ion``
names it.

A mixture is ``HOST:FRACTION, ...`` by mass of the active material (``Si:0.884, ZnO:0.116``, the
Si-ZnO composite of seed 000); its capacity is the mass-weighted sum of its components' and, as a
check, that of the overall formula per 100 g taken to all the components' end phases together.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np

from anodelab.core.constants import FARADAY_C_MOL
from anodelab.core.errors import ValidationError
from anodelab.core.result import Quantity
from anodelab.design.constants import (
    ATOMIC_WEIGHTS,
    C_PER_MAH,
    CONVERSION_ANIONS,
    MOBILE_IONS,
)
from anodelab.design.formula import Formula, formula_of, parse_formula

#: names accepted in place of a formula
NAMES: Mapping[str, str] = {"graphite": "C"}


class EndPhases(NamedTuple):
    """The end phases known for a host, the default first, and where they come from."""

    phases: tuple[str, ...]
    source: str


#: end phases used when none is given (Li as the mobile ion)
END_PHASES: Mapping[str, EndPhases] = {
    "Si": EndPhases(("Li15Si4", "Li22Si5"), (
        "Li15Si4: room-temperature end phase (Obrovac & Christensen, Electrochem. Solid-State Lett. 7, A93 "
        "(2004)); Li22Si5: 415 degC phase (Wen & Huggins, J. Solid State Chem. 37, 271 (1981))")),
    "C": EndPhases(("LiC6",), "stage-1 graphite intercalation compound (372 mAh/g)"),
    "Sn": EndPhases(("Li22Sn5", "Li17Sn4"), (
        "Li22Sn5 (Winter & Besenhard, Electrochim. Acta 45, 31 (1999)); Li17Sn4 (Lupu, Mao & Poettgen, "
        "Inorg. Chem. 42, 3765 (2003))")),
    "Ge": EndPhases(("Li15Ge4",), "room-temperature end phase (1384 mAh/g)"),
    "Sb": EndPhases(("Li3Sb",), "660 mAh/g"),
    "Bi": EndPhases(("Li3Bi",), "385 mAh/g"),
    "P": EndPhases(("Li3P",), "2596 mAh/g"),
    "ZnO": EndPhases(("LiZn + Li2O",), (
        "conversion ZnO + 2 Li -> Zn + Li2O, then alloying Zn + Li -> LiZn (seed 000): 3 Li per ZnO, 988 mAh/g "
        "(the 978 mAh/g often quoted does not follow from 3 Li)")),
    "SnO2": EndPhases(("Li22Sn5 + Li2O",), (
        "conversion to Sn + 2 Li2O, then alloying to Li22Sn5 (Courtney & Dahn, J. Electrochem. Soc. 144, 2045 (1997))")),
    "Li4Ti5O12": EndPhases(("Li7Ti5O12",), "spinel -> rock salt, 3 Li per formula unit (175 mAh/g)"),
}

_RELATIVE_TOL = 1e-9


@dataclass(frozen=True)
class Capacity:
    """Theoretical capacity of one host reaching its end phase (see the module docstring)."""

    host: str
    end_phase: str
    ion: str
    ion_charge: int
    ions_per_host: float
    electrons_per_host: float
    host_molar_mass_g_mol: float
    capacity_mAh_g: float
    end_phase_capacity_mAh_g: float
    convention: str
    notes: tuple[str, ...] = ()
    stripping: bool = False  # a plating metal's own stripping capacity (no end phase)
    gives_up_ion: bool = False  # the host gives the ion up to reach its end phase (a cathode: LiFePO4 -> FePO4)

    @property
    def quantity(self) -> Quantity:
        return Quantity(self.capacity_mAh_g, None, "mAh/g")

    def to_dict(self) -> dict[str, Any]:
        return {
            "host": self.host, "end_phase": self.end_phase, "ion": self.ion, "ion_charge": self.ion_charge,
            "ions_per_host": self.ions_per_host, "electrons_per_host": self.electrons_per_host,
            "host_molar_mass_g_mol": self.host_molar_mass_g_mol, "capacity_mAh_g": self.capacity_mAh_g,
            "end_phase_capacity_mAh_g": self.end_phase_capacity_mAh_g, "convention": self.convention,
            "notes": list(self.notes), "stripping": self.stripping, "gives_up_ion": self.gives_up_ion,
        }


@dataclass(frozen=True)
class MixtureCapacity:
    """Theoretical capacity of a mixture by mass: ``capacity_mAh_g = sum(w_i C_i)`` per g of mixture;
    ``formula_capacity_mAh_g`` the same from the overall formula (None when its end phases do not
    balance it: two components sharing a framework element with different end phases)."""

    composition: str
    components: tuple[Capacity, ...]
    mass_fractions: tuple[float, ...]
    capacity_mAh_g: float
    overall_formula: str
    overall_end_phase: str
    formula_capacity_mAh_g: float | None
    notes: tuple[str, ...] = field(default=())

    @property
    def quantity(self) -> Quantity:
        return Quantity(self.capacity_mAh_g, None, "mAh/g")

    @property
    def end_phase(self) -> str:
        """All the components' end phases together."""
        return self.overall_end_phase

    @property
    def convention(self) -> str:
        return "per g of the mixture: sum over components of mass fraction x the component's capacity per g of its host"

    def to_dict(self) -> dict[str, Any]:
        return {
            "composition": self.composition,
            "capacity_mAh_g": self.capacity_mAh_g,
            "components": [{**c.to_dict(), "mass_fraction": w, "contribution_mAh_g": w * c.capacity_mAh_g}
                           for c, w in zip(self.components, self.mass_fractions)],
            "overall_formula": self.overall_formula,
            "overall_end_phase": self.overall_end_phase,
            "formula_capacity_mAh_g": self.formula_capacity_mAh_g,
            "convention": self.convention,
            "notes": list(self.notes),
        }


def specific_capacity_mAh_g(electrons: float, molar_mass_g_mol: float) -> float:
    """``n F / (3.6 M)``: mAh per g of a material taking ``electrons`` per formula unit of molar mass M."""
    return electrons * FARADAY_C_MOL / (C_PER_MAH * molar_mass_g_mol)


def theoretical_capacity(host: str | Formula, end_phase: str | None = None, *, ion: str | None = None) -> Capacity:
    """Capacity per g of ``host`` (a formula or ``graphite``) reaching ``end_phase`` (formulas joined by
    ``+``; default: :data:`END_PHASES`, or the stripping capacity of a plating metal)."""
    host_formula = _host(host)
    host = str(host).strip()
    if end_phase is None:
        default = _default_end_phase(host_formula)
        if default is None:
            return _stripping(host, host_formula, ion)
        end_phase = default
    phases = _phases(end_phase)
    mobile = _mobile_ion(host_formula, phases, ion, host, end_phase)
    phases, notes = _complete(host_formula, phases, mobile)
    coefficients = _balance(host_formula, phases, mobile, host, end_phase)
    gained = math.fsum(c * p.get(mobile, 0.0) for c, p in zip(coefficients, phases)) - host_formula.get(mobile, 0.0)
    if not abs(gained) > _RELATIVE_TOL:
        raise ValidationError("end_phase", f"{end_phase!r} holds as much {mobile} as {host!r}: nothing exchanged")
    exchanged = abs(gained)  # > 0 taken up (an anode), < 0 given up (a cathode: LiFePO4 -> FePO4)
    charge = MOBILE_IONS[mobile]
    electrons = exchanged * charge
    mass = host_formula.molar_mass_g_mol
    end_text = " + ".join(str(p) for p in phases)
    verb = "taken up" if gained > 0 else "given up"
    return Capacity(
        host=host, end_phase=end_text, ion=mobile, ion_charge=charge, ions_per_host=exchanged,
        electrons_per_host=electrons, host_molar_mass_g_mol=mass,
        capacity_mAh_g=specific_capacity_mAh_g(electrons, mass),
        end_phase_capacity_mAh_g=specific_capacity_mAh_g(electrons, mass + gained * ATOMIC_WEIGHTS[mobile]),
        convention=(f"per g of host {host} (as made): n F / (3.6 M_host), n = {electrons:.6g} electrons per "
                    f"formula unit ({exchanged:.6g} {mobile} {verb}) to reach {end_text}"),
        notes=notes, gives_up_ion=gained < 0,
    )


def parse_mixture(text: str, field: str = "composition") -> tuple[tuple[str, float], ...]:
    """``HOST:FRACTION, ...`` (fractions by mass, or percentages with ``%``) -> ((host, fraction), ...).
    The fractions must sum to 1 (within 1e-6); a lone formula without ``:`` is the whole (fraction 1)."""
    if not isinstance(text, str) or not text.strip():
        raise ValidationError(field, "expected a formula or HOST:FRACTION, ... as text")
    if ":" not in text:
        return ((text.strip(), 1.0),)
    parts = []
    for item in text.split(","):
        host, sep, fraction_text = item.partition(":")
        if not sep or not host.strip():
            raise ValidationError(field, f"{text!r}: expected HOST:FRACTION, got {item.strip()!r}")
        fraction_text = fraction_text.strip()
        scale = 100.0 if fraction_text.endswith("%") else 1.0
        try:
            fraction = float(fraction_text.rstrip("%")) / scale
        except ValueError:
            raise ValidationError(field, f"{text!r}: fraction of {host.strip()!r} is not a number: {fraction_text!r}") from None
        if not (0.0 < fraction <= 1.0):
            raise ValidationError(field, f"{text!r}: fraction of {host.strip()!r} must lie in (0, 1], got {fraction!r}")
        parts.append((host.strip(), fraction))
    hosts = [host for host, _ in parts]
    if len(set(hosts)) < len(hosts):
        raise ValidationError(field, f"{text!r}: a component is listed twice")
    total = math.fsum(fraction for _, fraction in parts)
    if abs(total - 1.0) > 1e-6:
        raise ValidationError(field, f"{text!r}: mass fractions sum to {total:.6g}, not 1")
    return tuple(parts)


def composite_formula(components: Sequence[tuple[str, float]], basis_g: float = 100.0) -> Formula:
    """The overall formula of ``basis_g`` grams of a mixture ((host, mass fraction), ...): moles of
    each element, so its molar mass is ``basis_g``."""
    amounts: dict[str, float] = {}
    for host, fraction in components:
        formula = _host(host)
        moles = basis_g * fraction / formula.molar_mass_g_mol
        for element, n in formula.items():
            amounts[element] = amounts.get(element, 0.0) + moles * n
    return formula_of(amounts)


def mixture_capacity(composition: str, end_phases: str | Mapping[str, str] | None = None,
                     *, ion: str | None = None) -> MixtureCapacity:
    """Capacity of a mixture (:func:`parse_mixture` text) per g of it. ``end_phases``: ``HOST:PHASE, ...``
    or a mapping host -> phase (default per host: :data:`END_PHASES`)."""
    parts = parse_mixture(composition)
    chosen = _end_phase_map(end_phases, [host for host, _ in parts])
    capacities = tuple(theoretical_capacity(host, chosen.get(host), ion=ion) for host, _ in parts)
    ions = {c.ion for c in capacities}
    if len(ions) > 1:
        raise ValidationError("end_phase", f"components store different ions ({', '.join(sorted(ions))})")
    if len({c.gives_up_ion for c in capacities}) > 1:
        raise ValidationError("end_phase", "some components take the ion up and others give it up; a mixture's "
                                           "capacity adds components that do the same")
    fractions = tuple(fraction for _, fraction in parts)
    weighted = math.fsum(w * c.capacity_mAh_g for w, c in zip(fractions, capacities))
    overall = composite_formula(parts)
    overall_end = " + ".join(dict.fromkeys(p for c in capacities if not c.stripping for p in c.end_phase.split(" + ")))
    notes = tuple(f"{c.host}: {note}" for c in capacities for note in c.notes)
    formula_value: float | None = None
    if not any(c.stripping for c in capacities):
        try:
            formula_value = theoretical_capacity(overall, overall_end, ion=capacities[0].ion).capacity_mAh_g
        except ValidationError as error:
            notes += (f"the overall formula does not balance with {overall_end!r} ({error})",)
    return MixtureCapacity(composition.strip(), capacities, fractions, weighted, str(overall), overall_end,
                           formula_value, notes)


def capacity_of(composition: str, end_phase: str | None = None, *, ion: str | None = None) -> Capacity | MixtureCapacity:
    """A formula (``Si``) or a mixture (``Si:0.884, ZnO:0.116``), to its theoretical capacity."""
    if ":" in composition:
        return mixture_capacity(composition, end_phase, ion=ion)
    return theoretical_capacity(composition, end_phase, ion=ion)


def _host(text: str | Formula) -> Formula:
    if isinstance(text, Formula):
        return text
    if not isinstance(text, str):
        raise ValidationError("host", f"expected a formula as text, got {type(text).__name__}")
    name = NAMES.get(text.strip().lower())
    return parse_formula(name if name is not None else text, "host")


def _proportions(formula: Mapping[str, float]) -> dict[str, float]:
    total = math.fsum(formula.values())
    return {element: n / total for element, n in formula.items()}


def _default_end_phase(host: Formula) -> str | None:
    mine = _proportions(host)
    for text, known in END_PHASES.items():
        theirs = _proportions(parse_formula(text))
        if mine.keys() == theirs.keys() and all(math.isclose(mine[e], theirs[e], rel_tol=1e-9) for e in mine):
            return known.phases[0]
    if len(host) == 1 and next(iter(host)) in MOBILE_IONS:
        return None
    raise ValidationError("end_phase", f"no default end phase for {str(host)!r}; give one (e.g. --to Li15Si4), "
                          f"defaults exist for {', '.join(END_PHASES)}, and the metals {', '.join(MOBILE_IONS)}")


def _stripping(text: str, host: Formula, ion: str | None) -> Capacity:
    metal = next(iter(host))
    if ion is not None and ion != metal:
        raise ValidationError("ion", f"{text!r} strips as {metal}, not {ion}; give an end phase to store {ion}")
    charge = MOBILE_IONS[metal]
    value = specific_capacity_mAh_g(charge, ATOMIC_WEIGHTS[metal])
    return Capacity(
        host=text, end_phase=f"{metal} (stripped)", ion=metal, ion_charge=charge, ions_per_host=1.0,
        electrons_per_host=float(charge), host_molar_mass_g_mol=ATOMIC_WEIGHTS[metal], capacity_mAh_g=value,
        end_phase_capacity_mAh_g=value,
        convention=f"stripping capacity per g of {metal} metal: z F / (3.6 M), z = {charge}", stripping=True,
    )


def _phases(text: str) -> list[Formula]:
    if not isinstance(text, str) or not text.strip():
        raise ValidationError("end_phase", "expected formulas joined by '+' as text")
    return [parse_formula(part, "end_phase") for part in text.split("+")]


def _mobile_ion(host: Formula, phases: Sequence[Formula], ion: str | None, host_text: str, end_text: str) -> str:
    if ion is not None:
        if ion not in MOBILE_IONS:
            raise ValidationError("ion", f"unknown mobile ion {ion!r}; expected one of {', '.join(MOBILE_IONS)}")
        return ion
    held = [e for e in dict.fromkeys(e for p in phases for e in p) if e in MOBILE_IONS]
    new = [e for e in held if e not in host]
    if len(new) == 1 or (not new and len(held) == 1):
        return (new or held)[0]
    lost = [e for e in host if e in MOBILE_IONS and e not in held]  # all extracted: LiFePO4 -> FePO4
    if not held and len(lost) == 1:
        return lost[0]
    raise ValidationError("ion", f"cannot tell the mobile ion of {host_text!r} -> {end_text!r} "
                          f"(candidates: {', '.join(new or held) or 'none'}); name it (--ion)")


def _complete(host: Formula, phases: list[Formula], ion: str) -> tuple[list[Formula], tuple[str, ...]]:
    """The end phases plus the binary salt of each host anion no phase holds (conversion)."""
    held = {e for p in phases for e in p}
    notes = []
    for element in host:
        if element == ion or element in held:
            continue
        if element not in CONVERSION_ANIONS:
            raise ValidationError("end_phase", f"no end phase holds the {element} of {str(host)!r}; "
                                  f"add the phase that does (formulas joined by '+')")
        z_ion, z_anion = MOBILE_IONS[ion], CONVERSION_ANIONS[element]
        g = math.gcd(z_ion, z_anion)
        a, b = z_anion // g, z_ion // g
        salt = parse_formula(f"{ion}{a if a > 1 else ''}{element}{b if b > 1 else ''}")
        phases = [*phases, salt]
        notes.append(f"{element} ends as {salt} (conversion: {element} taken as {element}{z_anion if z_anion > 1 else ''}-)")
    return phases, tuple(notes)


def _balance(host: Formula, phases: Sequence[Formula], ion: str, host_text: str, end_text: str) -> list[float]:
    """Amounts of each phase per formula unit of host that hold the host's framework exactly."""
    framework = [e for e in dict.fromkeys([*host, *(e for p in phases for e in p)]) if e != ion]
    for phase in phases:
        if not any(e in phase for e in framework):
            raise ValidationError("end_phase", f"{str(phase)!r} holds only the mobile ion {ion}; leave it out")
    A = np.array([[p.get(e, 0.0) for p in phases] for e in framework])
    h = np.array([host.get(e, 0.0) for e in framework])
    if np.linalg.matrix_rank(A) < len(phases):
        raise ValidationError("end_phase", f"{end_text!r}: the phases' amounts are not fixed by the framework of "
                              f"{host_text!r} (phases not independent)")
    c, *_ = np.linalg.lstsq(A, h, rcond=None)
    scale = float(np.max(np.abs(h)))
    if np.max(np.abs(A @ c - h)) > _RELATIVE_TOL * scale:
        worst = framework[int(np.argmax(np.abs(A @ c - h)))]
        raise ValidationError("end_phase", f"{end_text!r} cannot hold the framework of {host_text!r} in its "
                              f"proportions ({worst} does not balance)")
    if np.any(c <= _RELATIVE_TOL * scale):
        raise ValidationError("end_phase", f"{end_text!r}: a phase would form in a zero or negative amount from {host_text!r}")
    return [float(x) for x in c]


def _end_phase_map(end_phases: str | Mapping[str, str] | None, hosts: Sequence[str]) -> dict[str, str]:
    if end_phases is None:
        return {}
    if isinstance(end_phases, Mapping):
        chosen = {str(k).strip(): str(v).strip() for k, v in end_phases.items()}
    elif ":" not in end_phases:
        if len(hosts) > 1:
            raise ValidationError("end_phase", f"{end_phases!r}: a mixture needs HOST:PHASE, ... (hosts {', '.join(hosts)})")
        chosen = {hosts[0]: end_phases.strip()}
    else:
        chosen = {}
        for item in end_phases.split(","):
            host, _, phase = item.partition(":")
            if not phase.strip():
                raise ValidationError("end_phase", f"{end_phases!r}: expected HOST:PHASE, got {item.strip()!r}")
            chosen[host.strip()] = phase.strip()
    unknown = sorted(set(chosen) - set(hosts))
    if unknown:
        raise ValidationError("end_phase", f"{unknown[0]!r} is not a component (components: {', '.join(hosts)})")
    return chosen
