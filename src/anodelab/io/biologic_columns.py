"""BioLogic EC-Lab column names: the .mpr column IDs with the names and formats EC-Lab's text export gives
them, and which of those names the conversion (:mod:`anodelab.io.biologic`) reads for each canonical column.
"""

from __future__ import annotations

from typing import Any

from numpy.typing import NDArray

Columns = dict[str, NDArray[Any]]

# --------------------------------------------------------------------------------------------
# Column IDs of the .mpr data module -> (EC-Lab column name, numpy format).
# From galvani's and yadg's tables; where they disagree the choice was checked on real files:
#   441 is "<Ece>/V" (galvani: "<Ecv>/V"): cp.mpr's columns line up one-to-one with cp.mpt's export.
#   473-503 are the PEIS harmonics / THD / NSD / NSR columns, all float32 (yadg): the PEIS file's
#   module length (220 bytes per row for 53 columns) only fits these widths.
# --------------------------------------------------------------------------------------------
_FLAG_COLUMNS: dict[int, tuple[str, int]] = {
    1: ("mode", 0x03),
    2: ("ox/red", 0x04),
    3: ("error", 0x08),
    21: ("control changes", 0x10),
    31: ("Ns changes", 0x20),
    65: ("counter inc.", 0x80),
}

_DATA_COLUMNS: dict[int, tuple[str, str]] = {
    4: ("time/s", "<f8"), 5: ("control/V/mA", "<f4"), 6: ("Ewe/V", "<f4"), 7: ("dq/mA.h", "<f8"),
    8: ("I/mA", "<f4"), 9: ("Ece/V", "<f4"), 11: ("<I>/mA", "<f8"), 13: ("(Q-Qo)/mA.h", "<f8"),
    16: ("Analog IN 1/V", "<f4"), 17: ("Analog IN 2/V", "<f4"), 19: ("control/V", "<f4"),
    20: ("control/mA", "<f4"), 23: ("dQ/mA.h", "<f8"), 24: ("cycle number", "<f8"),
    26: ("Rapp/Ohm", "<f4"), 27: ("Ewe-Ece/V", "<f4"), 32: ("freq/Hz", "<f4"), 33: ("|Ewe|/V", "<f4"),
    34: ("|I|/A", "<f4"), 35: ("Phase(Z)/deg", "<f4"), 36: ("|Z|/Ohm", "<f4"), 37: ("Re(Z)/Ohm", "<f4"),
    38: ("-Im(Z)/Ohm", "<f4"), 39: ("I Range", "<u2"), 69: ("R/Ohm", "<f4"), 70: ("P/W", "<f4"),
    74: ("|Energy|/W.h", "<f8"), 75: ("Analog OUT/V", "<f4"), 76: ("<I>/mA", "<f4"),
    77: ("<Ewe>/V", "<f4"), 78: ("Cs-2/µF-2", "<f4"), 96: ("|Ece|/V", "<f4"),
    98: ("Phase(Zce)/deg", "<f4"), 99: ("|Zce|/Ohm", "<f4"), 100: ("Re(Zce)/Ohm", "<f4"),
    101: ("-Im(Zce)/Ohm", "<f4"), 123: ("Energy charge/W.h", "<f8"), 124: ("Energy discharge/W.h", "<f8"),
    125: ("Capacitance charge/µF", "<f8"), 126: ("Capacitance discharge/µF", "<f8"), 131: ("Ns", "<u2"),
    163: ("|Estack|/V", "<f4"), 168: ("Rcmp/Ohm", "<f4"), 169: ("Cs/µF", "<f4"), 172: ("Cp/µF", "<f4"),
    173: ("Cp-2/µF-2", "<f4"), 174: ("<Ewe>/V", "<f4"), 178: ("(Q-Qo)/C", "<f4"), 179: ("dQ/C", "<f4"),
    182: ("step time/s", "<f8"), 211: ("Q charge/discharge/mA.h", "<f8"), 212: ("half cycle", "<u4"),
    213: ("z cycle", "<u4"), 217: ("THD Ewe/%", "<f4"), 218: ("THD I/%", "<f4"), 220: ("NSD Ewe/%", "<f4"),
    221: ("NSD I/%", "<f4"), 223: ("NSR Ewe/%", "<f4"), 224: ("NSR I/%", "<f4"), 242: ("|E2|/V", "<f4"),
    249: ("Rdc/Ohm", "<f4"), 253: ("Acir/Dcir Control", "<u1"), 271: ("Phase(Z1)/deg", "<f4"),
    272: ("Phase(Z2)/deg", "<f4"), 295: ("I Range", "<u2"), 301: ("|Z1|/Ohm", "<f4"), 302: ("|Z2|/Ohm", "<f4"),
    326: ("P/W", "<f4"), 331: ("Re(Z1)/Ohm", "<f4"), 332: ("Re(Z2)/Ohm", "<f4"), 361: ("-Im(Z1)/Ohm", "<f4"),
    362: ("-Im(Z2)/Ohm", "<f4"), 379: ("Energy charge/W.h", "<f8"), 391: ("<E1>/V", "<f4"),
    392: ("<E2>/V", "<f4"), 422: ("Phase(Zstack)/deg", "<f4"), 423: ("|Zstack|/Ohm", "<f4"),
    424: ("Re(Zstack)/Ohm", "<f4"), 425: ("-Im(Zstack)/Ohm", "<f4"), 426: ("<Estack>/V", "<f4"),
    430: ("Phase(Zwe-ce)/deg", "<f4"), 431: ("|Zwe-ce|/Ohm", "<f4"), 432: ("Re(Zwe-ce)/Ohm", "<f4"),
    433: ("-Im(Zwe-ce)/Ohm", "<f4"), 434: ("(Q-Qo)/C", "<f4"), 435: ("dQ/C", "<f4"),
    438: ("step time/s", "<f8"), 441: ("<Ece>/V", "<f4"), 462: ("Temperature/°C", "<f4"),
    467: ("Q charge/discharge/mA.h", "<f8"), 468: ("half cycle", "<u4"), 469: ("z cycle", "<u4"),
    471: ("<Ece>/V", "<f4"), 505: ("Rdc/Ohm", "<f4"), 509: ("Acir/Dcir Control", "<u1"),
}
_DATA_COLUMNS.update({i: (f"{q} {s}/%", "<f4") for i, (q, s) in zip(
    range(473, 482), [(q, s) for q in ("THD", "NSD", "NSR") for s in ("Ewe", "I", "Ece")])})
# 230-240: harmonics as galvani names them (241 is |I h7| in galvani, |E1| in yadg: left unknown).
_DATA_COLUMNS.update({230 + k: (f"|Ewe h{k + 2}|/V", "<f4") for k in range(6)})
_DATA_COLUMNS.update({236 + k: (f"|I h{k + 2}|/A", "<f4") for k in range(5)})
_DATA_COLUMNS.update({486 + k: (f"|Ewe h{k + 2}|/V", "<f4") for k in range(6)})
_DATA_COLUMNS.update({492 + k: (f"|I h{k + 2}|/A", "<f4") for k in range(6)})
_DATA_COLUMNS.update({498 + k: (f"|Ece h{k + 2}|/V", "<f4") for k in range(6)})

# galvani reads 498-502 as float64 cycling totals (from EC-Lab 11.50 GCPL/MB test files). Both
# meanings are kept; the one whose row width matches the data module's length is used.
_ALTERNATIVE_COLUMNS: dict[int, tuple[str, str]] = {
    498: ("Q charge/mA.h", "<f8"), 499: ("Q discharge/mA.h", "<f8"), 500: ("step time/s", "<f8"),
    501: ("Efficiency/%", "<f8"), 502: ("Capacity/mA.h", "<f8"),
}

_VOLTAGE = ("Ewe/V", "<Ewe>/V", "Ecell/V", "<Ecell>/V")
_CURRENT = ("I/mA", "<I>/mA")
_TEMPERATURE = ("Temperature/°C", "T/°C")
_CHARGE_COUNTERS = (("(Q-Qo)/mA.h", 1.0), ("(Q-Qo)/C", 1 / 3.6), ("dQ/mA.h", 1.0), ("dQ/C", 1 / 3.6),
                    ("Q charge/discharge/mA.h", 1.0))


# Markers used to build steps; not kept as columns.
_STEP_MARKERS = ("control changes", "Ns changes", "counter inc.")
