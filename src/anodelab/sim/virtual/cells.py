"""Virtual cells that keep their state from one step to the next and respond to what the instrument
controls: a constant current, a constant voltage, or a rest (no current). :func:`run_controls` runs a
sequence of :class:`Control` on a cell and returns the Record an instrument would have written.

:class:`HostCell`: a dense host film (amorphous Si by default, the GITT cell of
:mod:`anodelab.sim.virtual.gitt`) on a blocking current collector, vs Li. The ion diffuses in the film
(diffusivity ``D``, thickness ``L``); the potential is local equilibrium at the film surface plus an
ohmic drop, ``V = E(u_s) + I R``, with ``u`` the lithiation fraction (0..1 of ``x_max``). The film's
concentration is carried exactly as its mean plus the Fourier modes of the planar diffusion problem
(Crank 1975 eq. 2.43, the series of :mod:`anodelab.models.diffusion`): with ``g = -I / (3600 Q)`` the
lithiation rate (1/s, ``Q`` the host's capacity, mAh) and ``tau_D = L^2 / D``::

    du_mean/dt = g,   dz_n/dt = -lambda_n z_n + 2 g,   lambda_n = n^2 pi^2 / tau_D   (n = 1 .. n_modes)
    u_s = u_mean + sum_n z_n + g tau_D (1/3 - (2 / pi^2) sum_{n <= n_modes} 1 / n^2)

(the last term carries the modes left out at their steady state, so the response to a constant current
is the series' own to within ``exp(-lambda_N t)``). Beyond its composition range the host blocks:
``E(u) = ocv(clip(u, 0, 1)) - wall_V (u - clip(u, 0, 1))`` (a steep rise above the empty host's
potential, a capacitive region: a pristine electrode starts there, ``HostCell.at_voltage``). A constant
current or a rest has a closed-form voltage (run by :func:`~anodelab.sim.virtual.protocol.run_protocol`,
cut-offs solved exactly). A constant-voltage hold is solved step by step: over each sub-interval the
current ramps linearly (the modes advance exactly under the ramp) to the value that makes ``E(u_s) + I R``
the held voltage at its end (second order in the sub-interval); the first sample interval is refined
geometrically, the others split into ``cv_substeps``.

:class:`MetalCell`: Li (or Na) metal cells, ohmic, current density ``j = |I| / area``:

- symmetric (``substrate=None``): ``V = sign(I) j ASR`` (the whole cell's area-specific resistance);
- plating on a ``substrate`` (Cu): plating ``V = -j ASR``; of the charge plated a fraction ``ce`` stays
  strippable (the rest is lost to SEI and dead metal); stripping ``V = j ASR + 0.1 exp(-r / delta)``
  with ``r`` the strippable metal left (mAh) and ``delta = 1e-4 mAh/cm2 x area``, so the voltage shoots
  up as the metal runs out; at rest ``V = 0`` with metal on the substrate, ``bare_ocv_V`` without;
- a hard short (``ccd_mA_cm2``): ``short_delay_s`` into the first step whose ``j`` reaches the CCD the
  cell becomes ``V = I R_short`` for good (a row is recorded at that instant).

A metal cell is ohmic: it has no constant-voltage response worth simulating (a CV hold would draw a
constant current), and refuses one.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal, Protocol

import numpy as np

from anodelab.core.cell import CellInfo, Electrode, Electrolyte
from anodelab.core.constants import FARADAY_C_MOL
from anodelab.core.errors import ValidationError
from anodelab.core.record import Record
from anodelab.sim.virtual.gitt import (
    SI_MOLAR_VOLUME_CM3_MOL,
    SI_X_MAX,
    amorphous_si_ocv_V,
    gitt_cell,
)
from anodelab.sim.virtual.protocol import (
    FloatArray,
    ProtocolRun,
    Step,
    StepRun,
    count,
    finite,
    fraction,
    non_negative,
    positive,
    run_protocol,
    to_record,
)

Mode = Literal["CC", "CV", "rest"]
MODES: tuple[Mode, ...] = ("CC", "CV", "rest")
_BLOCK_ROWS = 2048  # rows evaluated at once against all the modes
_FIRST_INTERVAL_POINTS = 24  # geometric sub-steps in a CV hold's first sample interval
_MAX_CV_SUBSTEPS = 200_000
_PROBE = 1e-7  # lithiation-fraction step of the numerical slope of E(u)


@dataclass(frozen=True)
class Control:
    """One step as the instrument runs it: ``mode`` CC (``current_mA``, signed), CV (``voltage_V``) or rest,
    sampled every ``dt_s``, ending at the first of its cut-offs (time into the step, charge passed in it,
    the voltage reaching ``cutoff_V`` in the direction the current drives it, |I| falling to
    ``cutoff_current_mA`` in a CV hold)."""

    mode: Mode
    dt_s: float
    current_mA: float = 0.0
    voltage_V: float = 0.0
    duration_s: float | None = None
    capacity_mAh: float | None = None
    cutoff_V: float | None = None
    cutoff_current_mA: float | None = None

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValidationError("mode", f"must be one of {', '.join(MODES)}, got {self.mode!r}")
        positive("dt_s", self.dt_s)
        finite("current_mA", self.current_mA)
        finite("voltage_V", self.voltage_V)
        for name in ("duration_s", "capacity_mAh", "cutoff_current_mA"):
            if getattr(self, name) is not None:
                positive(name, getattr(self, name))
        if self.cutoff_V is not None:
            finite("cutoff_V", self.cutoff_V)
        if self.mode == "CV" and self.duration_s is None and self.capacity_mAh is None and self.cutoff_current_mA is None:
            raise ValidationError("CV", "a constant-voltage hold needs a duration, capacity or current cut-off")


@dataclass(frozen=True)
class Segment:
    """The rows of one control (``time_s``, ``voltage_V``, ``current_mA``, ``capacity_mAh`` within the
    step) and the cut-off that ended it (``duration``, ``capacity``, ``voltage`` or ``current``)."""

    columns: dict[str, FloatArray]
    ended_by: str


class VirtualCell(Protocol):
    """A cell :func:`run_controls` can drive: its description, a fresh state, and one control applied."""

    def info(self) -> CellInfo: ...

    def initial_state(self) -> Any: ...

    def apply(self, state: Any, control: Control, start_s: float) -> tuple[Segment, Any]: ...


def run_controls(
    cell: VirtualCell, controls: Sequence[Control], *, noise_V: float = 0.0, seed: int = 0, technique: str = "GCPL"
) -> tuple[Record, tuple[str, ...]]:
    """Run ``controls`` one after another on ``cell`` from t = 0: the Record (steps numbered 1, 2, ... per
    control, Gaussian voltage noise ``noise_V`` on the rows of every control but a CV hold, whose voltage
    the instrument holds) and the cut-off that ended each control."""
    if not controls:
        raise ValidationError("controls", "need at least one control")
    non_negative("noise_V", noise_V)
    state = cell.initial_state()
    parts: list[Segment] = []
    runs: list[StepRun] = []
    start_s, first_row = 0.0, 0
    for control in controls:
        segment, state = cell.apply(state, control, start_s)
        time = segment.columns["time_s"]
        rows = time.size
        runs.append(StepRun(start_s, float(time[-1]), float(segment.columns["capacity_mAh"][-1]), segment.ended_by,
                            slice(first_row, first_row + rows)))
        parts.append(segment)
        start_s, first_row = float(time[-1]), first_row + rows
    names = ("time_s", "voltage_V", "current_mA", "capacity_mAh")
    columns = {name: np.concatenate([part.columns[name] for part in parts]) for name in names}
    columns["step"] = np.repeat(np.arange(1, len(parts) + 1, dtype=np.int32),
                                [part.columns["time_s"].size for part in parts])
    # a potentiostat holds the voltage it controls: a CV hold records its set point, the other steps the noise
    scale_V = np.full(first_row, float(noise_V))
    for control, run in zip(controls, runs):
        if control.mode == "CV":
            scale_V[run.rows] = 0.0
    record = to_record(ProtocolRun(columns, tuple(runs)), cell=cell.info(), rng=np.random.default_rng(seed),
                       noise_V=lambda time_s: scale_V, technique=technique, generator="cells.run_controls")
    return record, tuple(part.ended_by for part in parts)


# -- host film --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _HostState:
    u_mean: float
    modes: FloatArray  # z_n


@dataclass(frozen=True)
class HostCell:
    """A host film vs Li (see the module docstring); ``soc_start`` the uniform lithiation fraction at t = 0
    (below 0: the blocking region above the empty host's potential)."""

    D_cm2_s: float = 1e-12
    thickness_um: float = 0.5
    area_cm2: float = 1.13
    molar_volume_cm3_mol: float = SI_MOLAR_VOLUME_CM3_MOL
    x_max: float = SI_X_MAX
    R_ohm: float = 5.0
    soc_start: float = 0.0
    ocv_V: Callable[[FloatArray], FloatArray] = field(default=amorphous_si_ocv_V, compare=False)
    wall_V: float = 50.0
    n_modes: int = 400
    cv_substeps: int = 2

    def __post_init__(self) -> None:
        for name in ("D_cm2_s", "thickness_um", "area_cm2", "molar_volume_cm3_mol", "x_max", "wall_V"):
            positive(name, getattr(self, name))
        non_negative("R_ohm", self.R_ohm)
        finite("soc_start", self.soc_start)
        count("n_modes", self.n_modes)
        count("cv_substeps", self.cv_substeps)
        if not callable(self.ocv_V):
            raise ValidationError("ocv_V", "must map the lithiation fraction (array) to volts")

    @classmethod
    def at_voltage(cls, open_circuit_V: float, **parameters: Any) -> HostCell:
        """The cell with its uniform starting state at open circuit ``open_circuit_V`` (e.g. a pristine
        electrode at 2.9 V, in the blocking region above the host's range)."""
        probe = cls(**parameters)
        target = finite("open_circuit_V", open_circuit_V)
        low, high = -1.0, 2.0
        if not probe.potential_V(np.array([high]))[0] <= target <= probe.potential_V(np.array([low]))[0]:
            raise ValidationError("open_circuit_V", f"{target} V is outside the cell's potential range")
        from scipy.optimize import brentq

        soc = float(brentq(lambda u: float(probe.potential_V(np.array([u]))[0]) - target, low, high, xtol=1e-14))
        return cls(**{**parameters, "soc_start": soc})

    @property
    def capacity_mAh(self) -> float:
        """The host's full capacity (``x_max`` Li per host atom), mAh."""
        moles = self.area_cm2 * self.thickness_um * 1e-4 / self.molar_volume_cm3_mol
        return self.x_max * moles * FARADAY_C_MOL / 3.6

    @property
    def diffusion_time_s(self) -> float:
        """``L^2 / D``, s."""
        return (self.thickness_um * 1e-4) ** 2 / self.D_cm2_s

    def info(self) -> CellInfo:
        return gitt_cell(self.area_cm2, self.thickness_um)

    def initial_state(self) -> _HostState:
        return _HostState(self.soc_start, np.zeros(self.n_modes))

    def potential_V(self, u: FloatArray) -> FloatArray:
        """Equilibrium potential at the lithiation fraction ``u``, with the blocking walls outside [0, 1]."""
        inside = np.clip(u, 0.0, 1.0)
        return np.asarray(self.ocv_V(inside), dtype=np.float64) - self.wall_V * (u - inside)

    def apply(self, state: _HostState, control: Control, start_s: float) -> tuple[Segment, _HostState]:
        if control.mode == "CV":
            return self._hold(state, control, start_s)
        current = control.current_mA if control.mode == "CC" else 0.0
        if control.mode == "CC" and current == 0.0:
            raise ValidationError("current_mA", "a constant-current step needs a current; use a rest for none")
        rate = self._rate(current)
        ir_V = current * 1e-3 * self.R_ohm

        def voltage(elapsed: FloatArray, charge: FloatArray, time: FloatArray) -> FloatArray:
            return self.potential_V(self._surface(state, rate, elapsed)) + ir_V

        step = Step(current, voltage, dt_s=control.dt_s, duration_s=control.duration_s,
                    capacity_mAh=control.capacity_mAh if current else None,
                    voltage_limit_V=control.cutoff_V if current else None)
        run = run_protocol([step], start_s=start_s)
        segment = _segment(run)
        return segment, self._advance(state, rate, run.steps[0].end_s - start_s)

    # the modes -----------------------------------------------------------------------------------------

    @cached_property
    def _decay(self) -> FloatArray:
        n = np.arange(1, self.n_modes + 1, dtype=np.float64)
        return n * n * math.pi**2 / self.diffusion_time_s

    @cached_property
    def _tail_s(self) -> float:
        """The steady-state share of the modes left out, over the rate: tau_D (1/3 - 2/pi^2 sum 1/n^2)."""
        n = np.arange(1, self.n_modes + 1, dtype=np.float64)
        return self.diffusion_time_s * (1.0 / 3.0 - 2.0 / math.pi**2 * float(np.sum(1.0 / (n * n))))

    def _rate(self, current_mA: float) -> float:
        """Lithiation rate g (1/s) at ``current_mA`` (house sign: negative lithiates)."""
        return -current_mA / (3600.0 * self.capacity_mAh)

    def _surface(self, state: _HostState, rate: float, elapsed: FloatArray) -> FloatArray:
        """Surface lithiation fraction at ``elapsed`` s into a step at the constant ``rate``."""
        decay, tail = self._decay, self._tail_s
        out = np.empty(elapsed.size)
        for begin in range(0, elapsed.size, _BLOCK_ROWS):
            e = elapsed[begin:begin + _BLOCK_ROWS, None]
            kept = np.exp(-decay * e)
            modes = state.modes * kept + 2.0 * rate * (1.0 - kept) / decay
            out[begin:begin + _BLOCK_ROWS] = state.u_mean + rate * e[:, 0] + modes.sum(axis=1) + rate * tail
        return out

    def _advance(self, state: _HostState, rate: float, elapsed_s: float) -> _HostState:
        decay = self._decay
        kept = np.exp(-decay * elapsed_s)
        return _HostState(state.u_mean + rate * elapsed_s, state.modes * kept + 2.0 * rate * (1.0 - kept) / decay)

    # the constant-voltage hold ---------------------------------------------------------------------

    def _substep(self, state: _HostState, h: float, voltage_V: float, start_mA: float,
                 guess_mA: float) -> tuple[float, _HostState]:
        """The current at the end of the next ``h`` s, the current ramping linearly from ``start_mA``, that
        leaves ``E(u_s) + I R = voltage_V`` there (``h = 0``: the current the hold starts with)."""
        decay = self._decay
        x = decay * h
        kept = np.exp(-x)
        rise = -np.expm1(-x) / decay  # integral of exp(-lambda s) over the sub-interval
        ramp = (x + np.expm1(-x)) / (decay * decay * h) if h > 0 else np.zeros(decay.size)  # ... times s / h
        rate_start = self._rate(start_mA)
        free_modes = state.modes * kept + 2.0 * rate_start * (rise - ramp)
        free_mean = state.u_mean + 0.5 * rate_start * h
        per_rate = 0.5 * h + 2.0 * float(np.sum(ramp)) + self._tail_s  # u_s rises by this per unit end rate
        free = free_mean + float(np.sum(free_modes))
        per_mA = per_rate / (3600.0 * self.capacity_mAh)  # u_s falls by this per mA of end current
        resistance = self.R_ohm * 1e-3
        probe = np.array([-_PROBE, 0.0, _PROBE])

        def excess(current: float) -> tuple[float, float]:  # value and slope, increasing in the current
            potential = self.potential_V(free - per_mA * current + probe)
            slope = -per_mA * (potential[2] - potential[0]) / (2.0 * _PROBE) + resistance
            return float(potential[1]) + current * resistance - voltage_V, float(slope)

        current = _increasing_root(excess, guess_mA, scale=1e-3 * self.capacity_mAh)
        rate_end = self._rate(current)
        return current, _HostState(free_mean + 0.5 * rate_end * h, free_modes + 2.0 * rate_end * ramp)

    def _hold(self, state: _HostState, control: Control, start_s: float) -> tuple[Segment, _HostState]:
        """A CV hold marched over sub-intervals; rows at its start, every ``dt_s`` and at its cut-off. The
        charge is the trapezoid of the current, as the march assumes it."""
        current, _ = self._substep(state, 0.0, control.voltage_V, 0.0, 0.0)
        times, currents, charges = [0.0], [current], [0.0]
        elapsed = charge = 0.0
        ended_by = ""
        for index, (end, sample) in enumerate(_hold_grid(control.dt_s, control.duration_s, self.cv_substeps)):
            if index > _MAX_CV_SUBSTEPS:
                raise ValidationError("CV", f"the hold at {control.voltage_V} V reached no cut-off in "
                                            f"{_MAX_CV_SUBSTEPS} sub-steps")
            h = end - elapsed
            new_current, new_state = self._substep(state, h, control.voltage_V, current, current)
            new_charge = charge + _trapezoid_mAh(current, new_current, h)
            ended_by = _hold_cutoff(control, end, new_current, new_charge)
            if ended_by in ("current", "capacity"):
                h = self._hold_end(state, h, control, current, charge)
                new_current, new_state = self._substep(state, h, control.voltage_V, current, current)
                new_charge = charge + _trapezoid_mAh(current, new_current, h)
                end = elapsed + h
            if ended_by or sample:
                times.append(end)
                currents.append(new_current)
                charges.append(new_charge)
            state, current, charge, elapsed = new_state, new_current, new_charge, end
            if ended_by:
                break
        time = start_s + np.asarray(times)
        columns = {"time_s": time, "voltage_V": np.full(time.size, float(control.voltage_V)),
                   "current_mA": np.asarray(currents), "capacity_mAh": np.asarray(charges)}
        return Segment(columns, ended_by), state

    def _hold_end(self, state: _HostState, h: float, control: Control, start_mA: float, charge: float) -> float:
        """The length of the last sub-interval, ending where the current or capacity cut-off is reached
        (bisection: the earliest point past it)."""
        low, high = 0.0, h
        for _ in range(60):
            middle = 0.5 * (low + high)
            current, _ = self._substep(state, middle, control.voltage_V, start_mA, start_mA)
            passed = _hold_cutoff(control, math.nan, current, charge + _trapezoid_mAh(start_mA, current, middle))
            low, high = (low, middle) if passed else (middle, high)
        return high


def _trapezoid_mAh(start_mA: float, end_mA: float, h: float) -> float:
    """Charge (mAh, >= 0) of a current ramping from ``start_mA`` to ``end_mA`` over ``h`` s (|I| where it keeps
    one sign; the two triangles where it crosses zero)."""
    if start_mA * end_mA >= 0:
        return 0.5 * (abs(start_mA) + abs(end_mA)) * h / 3600.0
    return 0.5 * (start_mA * start_mA + end_mA * end_mA) / (abs(start_mA) + abs(end_mA)) * h / 3600.0


def _hold_grid(dt_s: float, duration_s: float | None, substeps: int) -> Iterator[tuple[float, bool]]:
    """Sub-interval ends of a hold (time into it) and whether each is a sample time (every ``dt_s``, and the
    duration): the first sample interval geometric from 1e-4 of it, the others in ``substeps`` parts."""
    first = dt_s if duration_s is None else min(dt_s, duration_s)
    points = first * np.geomspace(1e-4, 1.0, _FIRST_INTERVAL_POINTS)
    for k, end in enumerate(points):
        yield (first if k == points.size - 1 else float(end)), k == points.size - 1
    start = first
    for k in itertools.count(2):
        if duration_s is not None and start >= duration_s:
            return
        stop = k * dt_s if duration_s is None else min(k * dt_s, duration_s)
        for part in range(1, substeps + 1):
            yield (stop if part == substeps else start + (stop - start) * part / substeps), part == substeps
        start = stop


def _hold_cutoff(control: Control, elapsed: float, current_mA: float, charge_mAh: float) -> str:
    """The first cut-off a hold has reached at this point ('' for none)."""
    if control.cutoff_current_mA is not None and abs(current_mA) <= control.cutoff_current_mA:
        return "current"
    if control.capacity_mAh is not None and charge_mAh >= control.capacity_mAh:
        return "capacity"
    if control.duration_s is not None and elapsed >= control.duration_s:
        return "duration"
    return ""


def _increasing_root(function: Callable[[float], tuple[float, float]], guess: float, *, scale: float) -> float:
    """The root of an increasing function (given with its slope): Newton's method kept inside the bracket
    it has found, bisecting where a step would leave it, growing the bracket until it has both sides."""
    x, low, high = guess, -math.inf, math.inf
    for _ in range(200):
        value, slope = function(x)
        if abs(value) <= 1e-13:
            return x
        if value > 0:
            high = x
        else:
            low = x
        step = value / slope if slope > 0 else math.inf
        following = x - step
        if not low < following < high:
            if math.isfinite(low) and math.isfinite(high):
                following = 0.5 * (low + high)
            else:
                following = x - scale if value > 0 else x + scale
                scale *= 4.0
        if abs(following - x) <= 4 * np.finfo(float).eps * max(1.0, abs(x)):
            return following
        x = following
    raise ValidationError("CV", "found no current that holds the voltage")


# -- metal cells -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _MetalState:
    strippable_mAh: float  # inf for a symmetric cell
    short_s: float | None


@dataclass(frozen=True)
class MetalCell:
    """A Li or Na metal cell, symmetric (``substrate=None``) or plating on a substrate (see the module
    docstring); ``ccd_mA_cm2=None`` never shorts."""

    metal: str = "Li"
    substrate: str | None = None
    area_cm2: float = 0.785
    asr_ohm_cm2: float = 20.0
    ce: float = 0.99
    ccd_mA_cm2: float | None = None
    short_delay_s: float = 600.0
    short_resistance_ohm: float = 2.0
    bare_ocv_V: float = 2.5
    electrolyte: str = "LLZTO"

    def __post_init__(self) -> None:
        if self.metal not in ("Li", "Na"):
            raise ValidationError("metal", f"must be Li or Na, got {self.metal!r}")
        positive("area_cm2", self.area_cm2)
        positive("asr_ohm_cm2", self.asr_ohm_cm2)
        fraction("ce", self.ce)
        if self.ccd_mA_cm2 is not None:
            positive("ccd_mA_cm2", self.ccd_mA_cm2)
        positive("short_delay_s", self.short_delay_s)
        non_negative("short_resistance_ohm", self.short_resistance_ohm)
        finite("bare_ocv_V", self.bare_ocv_V)

    def info(self) -> CellInfo:
        symmetric = self.substrate is None
        working = self.metal if symmetric else self.substrate
        cell_type = "symmetric" if symmetric else "plating"
        return CellInfo(
            cell_type,
            working_electrode=Electrode(working, area_cm2=self.area_cm2),
            counter_electrode=Electrode(self.metal, area_cm2=self.area_cm2),
            electrolyte=Electrolyte(self.electrolyte, area_cm2=self.area_cm2),
            temperature_C=25.0,
            notes=f"virtual {working} | {self.electrolyte} | {self.metal} {cell_type} cell",
        )

    def initial_state(self) -> _MetalState:
        return _MetalState(math.inf if self.substrate is None else 0.0, None)

    def apply(self, state: _MetalState, control: Control, start_s: float) -> tuple[Segment, _MetalState]:
        if control.mode == "CV":
            raise ValidationError("CV", "a metal cell is ohmic: a constant-voltage hold would draw a constant current; "
                                        "simulate holds on a HostCell")
        current = control.current_mA if control.mode == "CC" else 0.0
        if control.mode == "CC" and current == 0.0:
            raise ValidationError("current_mA", "a constant-current step needs a current; use a rest for none")
        density = abs(current) / self.area_cm2
        short_s = state.short_s
        if (short_s is None and self.ccd_mA_cm2 is not None and current != 0.0
                and density >= self.ccd_mA_cm2 * (1.0 - 1e-9)):
            short_s = start_s + self.short_delay_s
        healthy = self._healthy(current, state.strippable_mAh)
        if short_s is None:
            voltage = healthy
        else:
            shorted = current * self.short_resistance_ohm * 1e-3
            at = short_s

            def voltage(e: FloatArray, q: FloatArray, t: FloatArray) -> FloatArray:
                return np.where(t >= at, shorted, healthy(e, q, t))
        step = Step(current, voltage, dt_s=control.dt_s, duration_s=control.duration_s,
                    capacity_mAh=control.capacity_mAh if current else None,
                    voltage_limit_V=control.cutoff_V if current else None)
        run = run_protocol([step], start_s=start_s, record_at_s=() if short_s is None else (short_s,))
        passed = run.steps[0].charge_mAh
        left = state.strippable_mAh
        if current < 0:
            left += self.ce * passed
        elif current > 0:
            left = max(left - passed, 0.0)
        return _segment(run), _MetalState(left, short_s)

    def _healthy(self, current_mA: float, strippable_mAh: float) -> Callable[[FloatArray, FloatArray, FloatArray],
                                                                               FloatArray]:
        eta_V = abs(current_mA) / self.area_cm2 * self.asr_ohm_cm2 * 1e-3
        if current_mA < 0:
            return lambda e, q, t: np.full(e.shape, -eta_V)
        if current_mA == 0:
            rest_V = 0.0 if strippable_mAh > 0 else self.bare_ocv_V
            return lambda e, q, t: np.full(e.shape, rest_V)
        if math.isinf(strippable_mAh):
            return lambda e, q, t: np.full(e.shape, eta_V)
        delta = 1e-4 * self.area_cm2
        return lambda e, q, t: eta_V + 0.1 * np.exp(np.minimum((q - strippable_mAh) / delta, 50.0))


def _segment(run: ProtocolRun) -> Segment:
    """The one step of ``run`` with its charge column (the trapezoid of |I| dt, as a reader integrates it)."""
    columns = run.columns
    time, current = columns["time_s"], columns["current_mA"]
    charge = np.zeros(time.size)
    charge[1:] = np.cumsum(0.5 * (np.abs(current[1:]) + np.abs(current[:-1])) * np.diff(time) / 3600.0)
    step = run.steps[0]
    if step.ended_by == "capacity":
        charge[-1] = step.charge_mAh
    return Segment({"time_s": time, "voltage_V": columns["voltage_V"], "current_mA": current,
                    "capacity_mAh": charge}, step.ended_by)
