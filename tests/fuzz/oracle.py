"""Read damaged copies in a child process bounded in time and memory, and judge what came back.

Outcome classes (the columns of benchmarks/fuzz_readers.py); the capitalised ones are defects:

``refused``         an AnodelabError that names the file
``identical``       the original's numbers
``noted``           read, with a note in provenance.notes that the original's read did not have
``faithful``        read as the damaged bytes stand, where no reader could see the damage, or with the
                    changed unit honoured (rows removed or repeated are invisible only where no declared
                    count and no point index shows them: see fuzz.mutations.index_blind for the rule,
                    e.g. rows inside a block sharing one Rec#, as Maccor's FRA rows do)
``REFUSED-VALID``   a copy whose data are intact (line ends, BOM, final newline) refused
``TRACEBACK``       any other exception, or an AnodelabError that does not name the file
``HANG``            still reading after the time limit
``MEMORY``          MemoryError, or the child killed at its address-space cap
``CRASH``           the child died otherwise (a signal)
``SILENT-GARBAGE``  read, without a note, differently from the original in a way the mutation does not
                    explain: rows lost or added, NaN/inf in time/voltage/current/impedance/capacity, a unit
                    ignored, a data-intact copy read to other numbers, an impedance file read as a time series

A per-cycle summary (a CycleTable, kind ``cycles``) must keep its cycle column strictly increasing and its
capacities finite; rows removed from inside it are ``faithful`` when what is left is the original's rows at
the cycles left, so that the removal shows as a gap in the cycle numbers.
"""

from __future__ import annotations

import multiprocessing
import os
import re
import resource
import signal
import traceback
from pathlib import Path
from typing import Any

import numpy as np

from fuzz.mutations import Expect

DEFECTS = ("REFUSED-VALID", "TRACEBACK", "HANG", "MEMORY", "CRASH", "SILENT-GARBAGE")
CLASSES = ("refused", "identical", "noted", "faithful", *DEFECTS)
RECORD_COLUMNS = ("time_s", "voltage_V", "current_mA", "capacity_mAh")
CYCLE_COLUMNS = ("cycle", "charge_capacity_mAh", "discharge_capacity_mAh")
CHECKED = ("time_s", "voltage_V", "current_mA", "frequency_Hz", "Z_real_ohm", "Z_imag_ohm", "charge_capacity_mAh",
           "discharge_capacity_mAh")
_PRELOAD = ("pandas", "polars", "fastnda", "python_calamine", "access_parser", "openpyxl")


class _Deadline(BaseException):
    """Raised by SIGALRM in the child; a BaseException so that readers' ``except Exception`` let it through."""


def summarize(data: Any) -> dict[str, Any]:
    """What the oracle needs from a read: kind, row count, notes and the checked columns."""
    from anodelab.core.cycles import CycleTable
    from anodelab.core.record import Record

    if isinstance(data, CycleTable):
        arrays = {name: np.array(data.columns[name]) for name in CYCLE_COLUMNS if name in data.columns}
        return {"outcome": "data", "kind": "cycles", "rows": len(data), "arrays": arrays,
                "notes": list(data.provenance.notes), "format": data.provenance.format}
    if isinstance(data, Record):
        arrays = {name: np.array(data.columns[name]) for name in RECORD_COLUMNS if name in data.columns}
        if data.spectra is not None:  # impedance measured during the record: its points count too
            arrays["spectra_points"] = np.array([len(s.frequency_Hz) for s in data.spectra])
        return {"outcome": "data", "kind": "record", "rows": len(data), "arrays": arrays,
                "notes": list(data.provenance.notes), "format": data.provenance.format}
    spectra = list(data.spectra)
    impedance = np.concatenate([s.Z_ohm for s in spectra]) if spectra else np.zeros(0, complex)
    arrays = {"frequency_Hz": np.concatenate([s.frequency_Hz for s in spectra]) if spectra else np.zeros(0),
              "Z_real_ohm": impedance.real.copy(), "Z_imag_ohm": impedance.imag.copy(),
              "points": np.array([len(s.frequency_Hz) for s in spectra])}
    return {"outcome": "data", "kind": "spectra", "rows": int(arrays["frequency_Hz"].size), "arrays": arrays,
            "notes": list(data.provenance.notes), "format": data.provenance.format}


def _where(error: BaseException) -> str:
    frames = traceback.extract_tb(error.__traceback__)[-3:]
    return " <- ".join(f"{Path(f.filename).name}:{f.lineno} {f.name}" for f in reversed(frames))


def _vm_bytes() -> int:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


def _serve(connection: Any, seconds: float, memory_bytes: int) -> None:
    """Child: read each path sent, reply with a summary or what went wrong; None ends it."""
    import warnings

    os.environ.setdefault("POLARS_MAX_THREADS", "1")
    import anodelab
    from anodelab.core.errors import AnodelabError

    for name in _PRELOAD:
        try:
            __import__(name)
        except ImportError:
            pass
    hard = resource.getrlimit(resource.RLIMIT_AS)[1]

    def expire(signum: int, frame: Any) -> None:
        raise _Deadline

    signal.signal(signal.SIGALRM, expire)
    connection.send("ready")
    while (path := connection.recv()) is not None:
        reply: dict[str, Any]
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                # what this read may add to the address space held now (which grows from read to read)
                limit = _vm_bytes() + memory_bytes
                resource.setrlimit(resource.RLIMIT_AS, (limit if hard == resource.RLIM_INFINITY else min(limit, hard), hard))
                signal.setitimer(signal.ITIMER_REAL, seconds)
                try:
                    data = anodelab.read(path)
                finally:
                    signal.setitimer(signal.ITIMER_REAL, 0)
                reply = summarize(data)
            except _Deadline as error:
                reply = {"outcome": "hang", "message": f"still reading after {seconds} s", "where": _where(error)}
            except MemoryError as error:
                reply = {"outcome": "memory", "message": "MemoryError at the address-space cap",
                         "where": _where(error)}
            except AnodelabError as error:
                reply = {"outcome": "error", "type": type(error).__name__, "message": str(error)[:600]}
            except Exception as error:  # noqa: BLE001 - any other type is the defect being looked for
                reply = {"outcome": "exception", "type": type(error).__name__, "message": str(error)[:600],
                         "where": _where(error)}
        reply["warnings"] = sorted({f"{w.category.__name__}: {str(w.message)[:120]}" for w in caught})
        connection.send(reply)


class Reader:
    """A child process that reads files with ``anodelab.read``, ``seconds`` per read (SIGALRM in the child,
    and a kill from here if that does not return) and ``memory_bytes`` of address space above what it
    holds when the read starts (RLIMIT_AS); restarted after a hang or a crash."""

    def __init__(self, seconds: float = 20.0, memory_bytes: int = 3 << 29) -> None:
        self.seconds = seconds
        self.memory_bytes = memory_bytes
        self._process: Any = None
        self._connection: Any = None

    def _start(self) -> None:
        context = multiprocessing.get_context("spawn")
        self._connection, child = context.Pipe()
        self._process = context.Process(target=_serve, args=(child, self.seconds, self.memory_bytes), daemon=True)
        self._process.start()
        child.close()
        if not self._connection.poll(300) or self._connection.recv() != "ready":
            raise RuntimeError("the fuzz reader process did not start")

    def read(self, path: Path) -> dict[str, Any]:
        if self._process is None or not self._process.is_alive():
            self._start()
        self._connection.send(str(path))
        hung = not self._connection.poll(self.seconds + 30)
        if hung:
            self._process.kill()
        else:
            try:
                reply: dict[str, Any] = self._connection.recv()
                return reply
            except EOFError:  # the child died while reading
                pass
        self._process.join(10)
        code = self._process.exitcode
        self._process = None
        if hung:
            return {"outcome": "hang", "message": f"did not return within {self.seconds + 30} s; killed"}
        if code in (-signal.SIGABRT, -signal.SIGKILL):
            return {"outcome": "memory", "message": f"reader process died with signal {-code} (allocation failure)"}
        return {"outcome": "crash", "message": f"reader process died (exit code {code})"}

    def close(self) -> None:
        if self._process is not None and self._process.is_alive():
            self._connection.send(None)
            self._process.join(10)
            if self._process.is_alive():
                self._process.kill()
        self._process = None


def _nonfinite(arrays: dict[str, np.ndarray]) -> dict[str, int]:
    return {name: int(np.count_nonzero(~np.isfinite(arrays[name]))) for name in CHECKED if name in arrays}


def _same(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> bool:
    return a.keys() == b.keys() and all(np.array_equal(a[k], b[k], equal_nan=True) for k in a)


def _rows_differing(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> int:
    """How many rows differ between two reads of the same shape (any row: spectra are sorted by frequency,
    so the file's last row can be any row of the arrays); a different shape or spectrum split counts as all."""
    if a.keys() != b.keys() or any(a[k].shape != b[k].shape for k in a) or (
            "points" in a and not np.array_equal(a["points"], b["points"])):
        return max([v.size for v in a.values()] + [2])
    differ = np.zeros(max([a[k].size for k in a if k != "points"] + [0]), dtype=bool)
    for name in a.keys() - {"points"}:
        x, y = a[name].astype(np.float64), b[name].astype(np.float64)
        differ |= ~((x == y) | (np.isnan(x) & np.isnan(y)))
    return int(differ.sum())


def _difference(base: dict[str, Any], got: dict[str, Any]) -> str:
    parts = [f"rows {base['rows']} -> {got['rows']}"] if got["rows"] != base["rows"] else []
    for name, values in base["arrays"].items():
        other = got["arrays"].get(name)
        if other is None:
            parts.append(f"{name} missing")
        elif other.shape == values.shape and not np.array_equal(other, values, equal_nan=True):
            parts.append(f"{name} differs at {int(np.count_nonzero(~np.isclose(other, values, equal_nan=True)))} rows")
    return "; ".join(parts) or "columns differ"


def _shape(note: str) -> str:
    """A note with its numbers blanked: the same note about other counts is not a new note."""
    return re.sub(r"\d+(\.\d+)?", "#", note)


def _cycle_table(base: dict[str, np.ndarray], got: dict[str, np.ndarray]) -> tuple[str, str] | None:
    """The verdict on a cycle table read differently from the original, when its cycle column decides it:
    not strictly increasing (garbage), or rows missing that show as gaps in it (faithful); None otherwise."""
    cycle = got.get("cycle")
    if cycle is None or (np.diff(cycle) <= 0).any():
        return "SILENT-GARBAGE", "the cycle column of a cycle table is missing or does not increase row by row"
    rows = np.flatnonzero(np.isin(base["cycle"], cycle))
    if (rows.size == cycle.size < base["cycle"].size and got.keys() == base.keys()
            and all(np.array_equal(got[name], base[name][rows], equal_nan=True) for name in base)):
        gaps = np.setdiff1d(base["cycle"], cycle)
        if gaps.max() < cycle.max():
            return "faithful", (f"{gaps.size} row(s) removed show as gaps in the cycle numbers "
                                f"(cycles {', '.join(str(int(c)) for c in gaps[:5])})")
    return None


def judge(expect: Expect, copy: Path, base: dict[str, Any], got: dict[str, Any]) -> tuple[str, str]:
    """The outcome class of one damaged copy's read, and why."""
    outcome = got["outcome"]
    if outcome == "error":
        if str(copy) not in got["message"]:
            return "TRACEBACK", f"{got['type']} does not name the file: {got['message']}"
        return ("REFUSED-VALID" if expect.same == "strict" else "refused"), f"{got['type']}: {got['message']}"
    if outcome != "data":
        label = {"exception": "TRACEBACK", "hang": "HANG", "memory": "MEMORY", "crash": "CRASH"}[outcome]
        detail = f"{got.get('type', '')}: {got['message']}".lstrip(": ")
        return label, detail + (f" at {got['where']}" if got.get("where") else "")
    known = {_shape(note) for note in base["notes"]}
    noted = [note for note in got["notes"] if _shape(note) not in known]
    note = f"note: {noted[0][:200]}" if noted else ""
    if got["kind"] != base["kind"]:
        return ("noted", note) if noted else ("SILENT-GARBAGE", f"a {base['kind']} file read as a {got['kind']}")
    if _same(base["arrays"], got["arrays"]):
        if expect.scale and not noted:
            return "SILENT-GARBAGE", f"unit of {expect.scale[0]} changed, the numbers read are the original's"
        return "identical", ""
    more = {k: v for k, v in _nonfinite(got["arrays"]).items() if v > _nonfinite(base["arrays"]).get(k, 0)}
    if noted:
        return "noted", note
    if more:
        return "SILENT-GARBAGE", "non-finite values accepted without a note: " + ", ".join(
            f"{k} ({v} rows)" for k, v in more.items())
    if got["kind"] == "cycles" and (verdict := _cycle_table(base["arrays"], got["arrays"])):
        return verdict
    delta = got["rows"] - base["rows"]
    difference = _difference(base, got)
    if expect.same:
        return "SILENT-GARBAGE", f"data-intact copy read to other numbers: {difference}"
    if expect.scale:
        name, factor = expect.scale
        values, reference = got["arrays"].get(name), base["arrays"][name] * factor
        if values is not None and values.shape == reference.shape and np.allclose(values, reference, rtol=1e-9):
            return "faithful", f"{name} scaled by {factor:g} as the changed unit says"
        return "SILENT-GARBAGE", f"unit of {name} changed (x{factor:g} expected): {difference}"
    if delta:
        if not expect.detectable and (expect.rows_delta <= delta < 0 or 0 < delta <= expect.rows_delta):
            return "faithful", f"rows {base['rows']} -> {got['rows']}, which nothing in the file shows"
        lost = f"{-delta} rows lost" if delta < 0 else f"{delta} rows added"
        shows = " (a point index or declared count shows it)" if delta == expect.rows_delta else ""
        return "SILENT-GARBAGE", f"{lost} without a note{shows}: {difference}"
    if expect.values_may_change:
        return "faithful", f"values changed where nothing shows it: {difference}"
    if expect.last_row_may_change and _rows_differing(base["arrays"], got["arrays"]) <= 1:
        return "faithful", "the cut last row still looks complete"
    return "SILENT-GARBAGE", f"read without a note but not as the original: {difference}"
