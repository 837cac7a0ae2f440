"""The impedance systems of the papers: their cells and equivalent circuits, the presets of the virtual
impedance analyser (:mod:`anodelab.sim.virtual.impedance`).

``si-sulfide``: Si anode in a sulfide half-cell (paper 000); ``si-c-liquid``: Si/C in a liquid
electrolyte (paper 003); ``li-llzto``: Li|LLZTO|Li (paper 001); ``na-symmetric``: Na|Na on a coated
substrate (paper 004); and the blocking-electrode conductivity cell of paper 002.
"""

from __future__ import annotations

from anodelab.core.cell import CellInfo, Electrode, Electrolyte
from anodelab.core.errors import ValidationError
from anodelab.models.circuits import ZARC, Circuit, R, Series, W

SYSTEMS = ("si-sulfide", "si-c-liquid", "li-llzto", "na-symmetric")


def si_sulfide_cell(temperature_C: float = 25.0) -> CellInfo:
    """Si-ZnO composite | Li6PS5Cl (800 um pellet, 10 mm) | Li-In half-cell of paper 000."""
    return CellInfo(
        cell_type="anode-half",
        working_electrode=Electrode(
            material="Si-ZnO", mass_mg=1.5, active_fraction=0.98, area_cm2=0.785, thickness_um=22.0
        ),
        counter_electrode=Electrode(material="Li-In", area_cm2=0.785),
        electrolyte=Electrolyte(kind="Li6PS5Cl", thickness_um=800.0, area_cm2=0.785),
        temperature_C=temperature_C,
        pressure_MPa=50.0,
        notes="virtual Si-ZnO | Li6PS5Cl | Li-In half-cell",
    )


def si_c_liquid_cell(temperature_C: float = 25.0) -> CellInfo:
    """Si/C | localized high-concentration electrolyte | Li half-cell of paper 003 (12 mm electrode)."""
    return CellInfo(
        cell_type="anode-half",
        working_electrode=Electrode(material="Si/C", mass_mg=3.39, area_cm2=1.13),
        counter_electrode=Electrode(material="Li"),
        electrolyte=Electrolyte(kind="LHCE"),
        temperature_C=temperature_C,
        notes="virtual Si/C | LHCE | Li half-cell",
    )


def li_llzto_cell(temperature_C: float = 25.0) -> CellInfo:
    """Symmetric Li | buffer-coated LLZTO (1 mm pellet) | Li cell of paper 001."""
    return CellInfo(
        cell_type="symmetric",
        working_electrode=Electrode(material="Li", area_cm2=0.5),
        counter_electrode=Electrode(material="Li", area_cm2=0.5),
        electrolyte=Electrolyte(kind="LLZTO", thickness_um=1000.0, area_cm2=0.5),
        temperature_C=temperature_C,
        notes="virtual Li | ZnI2@LLZTO | Li symmetric cell",
    )


def na_symmetric_cell(temperature_C: float = 25.0) -> CellInfo:
    """Symmetric Zn@Ag-Na | ether electrolyte | Zn@Ag-Na cell of paper 004 (12 mm electrodes)."""
    return CellInfo(
        cell_type="symmetric",
        working_electrode=Electrode(material="Zn@Ag-Na", area_cm2=1.13),
        counter_electrode=Electrode(material="Zn@Ag-Na", area_cm2=1.13),
        electrolyte=Electrolyte(kind="NaPF6 in diglyme", thickness_um=25.0, area_cm2=1.13),
        temperature_C=temperature_C,
        notes="virtual Zn@Ag-Na | NaPF6-diglyme | Zn@Ag-Na symmetric cell",
    )


def blocking_cell(thickness_um: float, area_cm2: float, temperature_C: float = 25.0) -> CellInfo:
    """Stainless steel | PVDF-HFP/LATP polymer electrolyte | stainless steel (paper 002)."""
    return CellInfo(
        cell_type="blocking",
        working_electrode=Electrode(material="stainless steel", area_cm2=area_cm2),
        counter_electrode=Electrode(material="stainless steel", area_cm2=area_cm2),
        electrolyte=Electrolyte(kind="PVDF-HFP/LATP", thickness_um=thickness_um, area_cm2=area_cm2),
        temperature_C=temperature_C,
        notes="virtual SS | PVDF-HFP/LATP | SS blocking cell",
    )


def si_sulfide_circuit(
    *,
    R_bulk_ohm: float = 20.0,
    R_SSE_ohm: float = 15.0,
    tau_SSE_s: float = 3e-6,
    n_SSE: float = 0.9,
    R_SEI_ohm: float = 40.0,
    tau_SEI_s: float = 3e-4,
    n_SEI: float = 0.85,
    R_ct_ohm: float = 60.0,
    tau_ct_s: float = 1e-2,
    n_ct: float = 0.8,
    sigma_W_ohm_s_half: float = 30.0,
) -> Series:
    """``R_bulk - (R_SSE||CPE) - (R_SEI||CPE) - (R_ct||CPE) - W`` with paper 000's tau windows.

    SSE grain boundaries 1e-6..1e-5 s, SEI 1e-4..1e-3 s, charge transfer 1e-3..1e-1 s; each arc a
    :class:`ZARC` (R, tau, n); a semi-infinite Warburg for solid-state diffusion.
    """
    return Series(
        R(R_bulk_ohm),
        ZARC(R_SSE_ohm, tau_SSE_s, n_SSE),
        ZARC(R_SEI_ohm, tau_SEI_s, n_SEI),
        ZARC(R_ct_ohm, tau_ct_s, n_ct),
        W(sigma_W_ohm_s_half),
    )


def symmetric_cell_circuit(
    *, R_bulk_ohm: float, R_interface_ohm: float, tau_interface_s: float, n_interface: float = 0.9
) -> Series:
    """``R_bulk - (R_interface||CPE)``: electrolyte bulk plus both electrode interfaces as one arc."""
    return Series(*symmetric_elements(R_bulk_ohm, R_interface_ohm, tau_interface_s, n_interface))


def symmetric_elements(
    R_bulk_ohm: float, R_interface_ohm: float, tau_interface_s: float, n_interface: float
) -> tuple[R, ZARC]:
    """The bulk resistor and the interface arc of :func:`symmetric_cell_circuit`."""
    return R(R_bulk_ohm), ZARC(R_interface_ohm, tau_interface_s, n_interface)


#: the symmetric-cell presets: R_bulk_ohm, R_interface_ohm, tau_interface_s, n_interface
SYMMETRIC_PRESETS = {
    "li-llzto": (250.0, 48.0, 2e-4, 0.9),  # ASR 12 ohm cm2 per interface on 0.5 cm2: 2 x 12 / 0.5 = 48 ohm
    "na-symmetric": (3.0, 4.0, 1e-4, 0.9),
}


def preset(system: str, temperature_C: float) -> tuple[Circuit, CellInfo]:
    """The circuit and cell of one of :data:`SYSTEMS` at ``temperature_C``."""
    if system == "si-sulfide":
        return si_sulfide_circuit(), si_sulfide_cell(temperature_C)
    if system == "si-c-liquid":  # paper 003 (Fig. S20): R_ob 1e-5..1e-3 s, R_SEI 1e-3..1e-2 s, R_ct 1e-2..1e-1 s
        arcs = (ZARC(6.0, 1e-4, 0.9), ZARC(12.0, 3e-3, 0.85), ZARC(25.0, 3e-2, 0.8))
        return Series(R(3.0), *arcs, W(8.0)), si_c_liquid_cell(temperature_C)
    if system in SYMMETRIC_PRESETS:
        cell = li_llzto_cell if system == "li-llzto" else na_symmetric_cell
        return Series(*symmetric_elements(*SYMMETRIC_PRESETS[system])), cell(temperature_C)
    raise ValidationError("system", f"unknown system {system!r}; expected one of {', '.join(SYSTEMS)}")
