"""Impedance spectra: one (:class:`Spectrum`) or many (:class:`SpectrumSeries`).

Frequencies are in Hz, sorted from high to low (the order instruments sweep); impedance is
complex, in ohm, with the physical sign: ``Z.imag < 0`` for a capacitive response. Readers whose
files store ``-Im(Z)`` flip it.

Each spectrum carries its context (time, voltage, cycle, temperature, and free-form extras) so
in-situ series (during lithiation) and variable-temperature series can be analysed in order.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from anodelab.core.cell import CellInfo
from anodelab.core.cycles import CycleTable
from anodelab.core.errors import NotApplicableError, ValidationError
from anodelab.core.record import Provenance, Record, source_summary

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class SpectrumContext:
    """Conditions under which one spectrum was taken. All optional.

    For the spectra of a record (:attr:`Record.spectra <anodelab.core.record.Record.spectra>`), ``time_s``
    is on the record's clock and ``cycle`` and ``extras["step"]`` are the record's at that time.
    """

    time_s: float | None = None
    voltage_V: float | None = None
    current_mA: float | None = None
    cycle: int | None = None
    temperature_C: float | None = None
    extras: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "time_s": self.time_s,
            "voltage_V": self.voltage_V,
            "current_mA": self.current_mA,
            "cycle": self.cycle,
            "temperature_C": self.temperature_C,
        }
        out.update(self.extras)
        return out


@dataclass(frozen=True, repr=False)
class Spectrum:
    """One impedance spectrum. Build with :meth:`from_arrays` (validates and sorts)."""

    frequency_Hz: NDArray[np.float64]
    Z_ohm: NDArray[np.complex128]
    context: SpectrumContext = field(default_factory=SpectrumContext)
    cell: CellInfo | None = None
    provenance: Provenance = field(default_factory=Provenance)

    @classmethod
    def from_arrays(
        cls,
        frequency_Hz: Any,
        Z_ohm: Any = None,
        *,
        Z_real_ohm: Any = None,
        Z_imag_ohm: Any = None,
        context: SpectrumContext | None = None,
        cell: CellInfo | None = None,
        provenance: Provenance | None = None,
    ) -> Spectrum:
        """Validate and sort (high to low frequency). Give complex ``Z_ohm`` or real and imaginary parts."""
        where = (provenance.path if provenance and provenance.path else "spectrum") + ": "
        frequency = np.asarray(frequency_Hz, dtype=np.float64).ravel()
        if Z_ohm is None:
            if Z_real_ohm is None or Z_imag_ohm is None:
                raise ValidationError(where + "Z_ohm", "give Z_ohm or both Z_real_ohm and Z_imag_ohm")
            impedance = np.asarray(Z_real_ohm, dtype=np.float64) + 1j * np.asarray(Z_imag_ohm, dtype=np.float64)
        else:
            impedance = np.asarray(Z_ohm, dtype=np.complex128)
        impedance = impedance.ravel()
        if frequency.size != impedance.size:
            raise ValidationError(
                where + "Z_ohm", f"has {impedance.size} points, frequency_Hz has {frequency.size}"
            )
        if frequency.size == 0:
            raise ValidationError(where + "frequency_Hz", "a spectrum needs at least one point")
        if not np.all(np.isfinite(frequency)) or np.any(frequency <= 0):
            raise ValidationError(where + "frequency_Hz", "frequencies must be finite and > 0 Hz")
        if not np.all(np.isfinite(impedance)):
            raise ValidationError(where + "Z_ohm", "impedance contains NaN or infinite values")
        order = np.argsort(-frequency, kind="stable")
        frequency, impedance = frequency[order], impedance[order]
        if np.any(np.diff(frequency) == 0):
            duplicate = frequency[:-1][np.diff(frequency) == 0][0]
            raise ValidationError(where + "frequency_Hz", f"frequency {duplicate:g} Hz appears twice")
        frequency.flags.writeable = False
        impedance.flags.writeable = False
        return cls(frequency, impedance, context or SpectrumContext(), cell, provenance or Provenance())

    def __len__(self) -> int:
        return int(self.frequency_Hz.size)

    @property
    def omega_rad_s(self) -> NDArray[np.float64]:
        return 2.0 * np.pi * self.frequency_Hz

    @property
    def Z_real_ohm(self) -> NDArray[np.float64]:
        return self.Z_ohm.real

    @property
    def Z_imag_ohm(self) -> NDArray[np.float64]:
        return self.Z_ohm.imag

    @property
    def Z_mod_ohm(self) -> NDArray[np.float64]:
        return np.abs(self.Z_ohm)

    @property
    def phase_deg(self) -> NDArray[np.float64]:
        return np.degrees(np.angle(self.Z_ohm))

    def to_pandas(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame(
            {
                "frequency_Hz": self.frequency_Hz,
                "Z_real_ohm": self.Z_real_ohm,
                "Z_imag_ohm": self.Z_imag_ohm,
            }
        )

    def __repr__(self) -> str:
        return (
            f"<Spectrum {len(self)} points, {self.frequency_Hz[-1]:.3g}-{self.frequency_Hz[0]:.3g} Hz, "
            f"|Z| {self.Z_mod_ohm.min():.3g}-{self.Z_mod_ohm.max():.3g} ohm>"
        )


@dataclass(frozen=True, repr=False)
class SpectrumSeries(Sequence[Spectrum]):
    """An ordered series of spectra (in-situ, vs temperature, or simply several in one file)."""

    spectra: tuple[Spectrum, ...]
    cell: CellInfo | None = None
    provenance: Provenance = field(default_factory=Provenance)

    def __post_init__(self) -> None:
        if not self.spectra:
            raise ValidationError((self.provenance.path or "series") + ": spectra", "a series needs at least one spectrum")

    @classmethod
    def of(
        cls, spectra: Sequence[Spectrum], *, cell: CellInfo | None = None, provenance: Provenance | None = None
    ) -> SpectrumSeries:
        return cls(tuple(spectra), cell, provenance or Provenance())

    def __len__(self) -> int:
        return len(self.spectra)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return SpectrumSeries(self.spectra[index], self.cell, self.provenance)
        return self.spectra[index]

    def __iter__(self) -> Iterator[Spectrum]:
        return iter(self.spectra)

    @property
    def contexts(self) -> list[SpectrumContext]:
        return [spectrum.context for spectrum in self.spectra]

    @property
    def same_grid(self) -> bool:
        """True when every spectrum has the same frequencies (to 1e-9 relative)."""
        first = self.spectra[0].frequency_Hz
        return all(
            s.frequency_Hz.size == first.size and np.allclose(s.frequency_Hz, first, rtol=1e-9, atol=0)
            for s in self.spectra[1:]
        )

    def context_table(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame([c.to_dict() for c in self.contexts])

    def to_pandas(self) -> pd.DataFrame:
        """Long table: one row per point with a ``spectrum`` index column."""
        import pandas as pd

        frames = []
        for index, spectrum in enumerate(self.spectra):
            frame = spectrum.to_pandas()
            frame.insert(0, "spectrum", index)
            frames.append(frame)
        return pd.concat(frames, ignore_index=True)

    def summary(self) -> dict[str, Any]:
        """Headline facts (what ``anodelab read --json`` prints)."""
        frequency = np.concatenate([s.frequency_Hz for s in self.spectra])
        Z = np.concatenate([s.Z_ohm for s in self.spectra])
        times = [c.time_s for c in self.contexts if c.time_s is not None]
        voltages = [c.voltage_V for c in self.contexts if c.voltage_V is not None]
        currents = [c.current_mA for c in self.contexts if c.current_mA is not None]
        return {
            "kind": "spectra",
            "format": self.provenance.format,
            "rows": int(frequency.size),
            "duration_s": float(max(times) - min(times)) if len(times) > 1 else None,
            "voltage_V_min": float(min(voltages)) if voltages else None,
            "voltage_V_max": float(max(voltages)) if voltages else None,
            "current_mA_min": float(min(currents)) if currents else None,
            "current_mA_max": float(max(currents)) if currents else None,
            "cycles": len({c.cycle for c in self.contexts if c.cycle is not None}),
            "spectra": len(self),
            "frequency_Hz_min": float(frequency.min()),
            "frequency_Hz_max": float(frequency.max()),
            "Z_real_ohm_min": float(Z.real.min()),
            "Z_real_ohm_max": float(Z.real.max()),
            **source_summary(self.cell, self.provenance),
        }

    def __repr__(self) -> str:
        source = Path(self.provenance.path).name if self.provenance.path else "in memory"
        return f"<SpectrumSeries {source}: {len(self)} spectra, {sum(len(s) for s in self.spectra)} points>"



#: the impedances an analysis accepts (ohm): below 1 nOhm or above 1 POhm no instrument measures, and
#: the numerics (squares, products of |Z|) are safe inside
IMPEDANCE_RANGE_OHM = (1e-9, 1e15)


def check_impedance_range(spectrum: Spectrum, field: str) -> None:
    """Refuse a spectrum with a point whose |Z| lies outside :data:`IMPEDANCE_RANGE_OHM` (zero included):
    a unit mistake or a damaged file, on which fits and tests divide by zero or overflow."""
    with np.errstate(over="ignore"):  # |Z| beyond the float range is inf, and refused
        modulus = np.abs(spectrum.Z_ohm)
    low, high = IMPEDANCE_RANGE_OHM
    outside = np.flatnonzero((modulus < low) | (modulus > high))
    if outside.size:
        index = int(outside[0])
        where = f"{spectrum.provenance.path}: " if spectrum.provenance.path else ""
        raise ValidationError(
            field,
            f"{where}|Z| = {modulus[index]:.3g} ohm at {spectrum.frequency_Hz[index]:.6g} Hz ({outside.size} of "
            f"{modulus.size} points) is outside {low:g}..{high:g} ohm, the range of measured impedances",
        )


# -- what the impedance and DRT analyses accept ---------------------------------------------------------


def require_spectrum(data: object, analysis: str) -> Spectrum:
    """``data`` itself if it is a :class:`Spectrum`; else :class:`NotApplicableError` saying what it holds."""
    if isinstance(data, Spectrum):
        return data
    raise _not_applicable(data, analysis, "one impedance spectrum (a Spectrum)")


def require_spectra(data: object, analysis: str) -> SpectrumSeries:
    """``data`` as a :class:`SpectrumSeries`: a series itself, or a non-empty list or tuple of :class:`Spectrum`
    put in one; else :class:`NotApplicableError` saying what it holds."""
    if isinstance(data, SpectrumSeries):
        return data
    if isinstance(data, (list, tuple)) and data and all(isinstance(item, Spectrum) for item in data):
        return SpectrumSeries.of(data)
    raise _not_applicable(data, analysis, "impedance spectra (a SpectrumSeries, or a list of Spectrum)")


def _not_applicable(data: object, analysis: str, needs: str) -> NotApplicableError:
    """The error for ``analysis`` given ``data``: the source file, what it needs, what the data hold."""
    if isinstance(data, (list, tuple)):
        other = next((item for item in data if not isinstance(item, Spectrum)), None)
        if other is not None:
            error = _not_applicable(other, analysis, needs)
            return NotApplicableError(f"{error} (in a {type(data).__name__} of {len(data)} items)")
        held = f"an empty {type(data).__name__}" if not data else f"a {type(data).__name__} of {len(data)} spectra"
        return NotApplicableError(f"{analysis} needs {needs}; this holds {held}")
    provenance = getattr(data, "provenance", None)
    source = f"{provenance.path}: " if isinstance(provenance, Provenance) and provenance.path else ""
    columns = ""
    if isinstance(data, (Record, CycleTable)):
        columns = ", ".join(data.column_names[:8]) + (", ..." if len(data.column_names) > 8 else "")
    if isinstance(data, Record):
        techniques = "/".join(data.provenance.techniques)
        held = (f"a {techniques + ' ' if techniques else ''}time series (Record, {len(data)} rows: {columns}), not "
                "impedance spectra; anodelab.cycling analyses it")
        if data.spectra is not None:
            held += f"; the {len(data.spectra)} spectra measured during it are its .spectra"
    elif isinstance(data, CycleTable):
        held = f"a per-cycle summary table (CycleTable, {len(data)} cycles: {columns}), not impedance spectra"
    elif isinstance(data, SpectrumSeries):
        held = f"a SpectrumSeries of {len(data)} spectra; give one of them (series[i]) or use the series analysis"
    else:
        held = f"a {type(data).__name__}"
    return NotApplicableError(f"{source}{analysis} needs {needs}; this holds {held}")
