"""The .mpr fast path on a synthetic file spanning several copy blocks: every column as written, the
derived current by the documented rule (a plain loop here), and the checksum of the bytes parsed."""

from __future__ import annotations

import hashlib
import struct

import numpy as np
import pytest

import anodelab
from anodelab.core.record import pending_sha256
from anodelab.io import biologic_mpr
from anodelab.io.biologic_mpr import read_mpr
from anodelab.io.checksum import BufferSha256

# flags byte (mode, ox/red, error, Ns changes), Ns, time/s, Ewe/V, dq/mA.h, (Q-Qo)/mA.h: 31-byte rows
IDS = [1, 2, 3, 31, 131, 4, 6, 7, 13]
ROW = np.dtype([("flags", "u1"), ("Ns", "<u2"), ("time", "<f8"), ("Ewe", "<f4"), ("dq", "<f8"), ("QQo", "<f8")])


def _module(name: str, payload: bytes, version: int) -> bytes:
    return b"MODULE" + struct.pack("<10s25sII8s", name.encode().ljust(10), name.encode().ljust(25),
                                   len(payload), version, b"01/01/24") + payload


def _mpr(rows: np.ndarray, ids: list[int] = IDS) -> bytes:
    head = struct.pack("<IB", rows.size, len(ids)) + struct.pack(f"<{len(ids)}H", *ids)
    settings = bytes([0x04]) + b"\x00" * 63  # GCPL
    return (biologic_mpr._MPR_MAGIC + _module("VMP Set", settings, 0)
            + _module("VMP data", head.ljust(405, b"\x00") + rows.tobytes(), 2))


def _rows(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    rows = np.zeros(n, dtype=ROW)
    rows["Ns"] = np.cumsum(rng.random(n) < 0.002)
    flags = rng.integers(0, 16, n).astype(np.uint8)  # mode, ox/red, error bits
    flags[rng.random(n) < 0.001] |= 0x20  # "Ns changes" on rows where Ns stays: steps of their own
    rows["flags"] = flags
    rows["time"] = 100.0 + np.cumsum(np.where(rng.random(n) < 0.01, 0.0, rng.uniform(0.5, 2.0, n)))
    rows["Ewe"] = rng.uniform(2.0, 4.0, n)
    rows["dq"] = rng.normal(0.0, 1e-3, n)
    rows["QQo"] = np.cumsum(rows["dq"])
    return rows


def _current_by_the_rule(time: np.ndarray, dq: np.ndarray, step: np.ndarray) -> np.ndarray:
    """dq/dt; a row that starts a step or has no time step takes the next row's of its step, else
    the previous row's of its step, else keeps its own (0 without a time step)."""
    n = time.size
    dt = np.r_[0.0, np.diff(time)]
    own = [dq[i] * 3600.0 / dt[i] if dt[i] > 0 else 0.0 for i in range(n)]
    valid = [i > 0 and dt[i] > 0 and step[i] == step[i - 1] for i in range(n)]
    current = list(own)
    for i in (i for i in range(n) if not valid[i]):
        following = next((j for j in range(i + 1, n) if valid[j]), None)
        preceding = next((j for j in range(i - 1, -1, -1) if valid[j]), None)
        if following is not None and step[following] == step[i]:
            current[i] = own[following]
        elif preceding is not None and step[preceding] == step[i]:
            current[i] = own[preceding]
    return np.asarray(current)


@pytest.mark.parametrize("n", [1, 2, 20_000])  # 20,000 rows of 31 bytes: several copy blocks
def test_columns_current_and_checksum_of_a_multi_block_mpr(tmp_path, n):
    rows = _rows(n, seed=n)
    path = tmp_path / "blocks.mpr"
    path.write_bytes(_mpr(rows))
    assert rows.nbytes > 2 * biologic_mpr._UNPACK_BYTES or n < 3
    record = anodelab.read(path)
    assert isinstance(pending_sha256(record.provenance), BufferSha256)  # hashed when first asked for
    assert record.provenance.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert read_mpr(path).provenance.sha256 == record.provenance.sha256  # the reader's own digest

    np.testing.assert_array_equal(record["time_s"], rows["time"] - rows["time"][0])
    np.testing.assert_array_equal(record["voltage_V"], rows["Ewe"].astype(np.float64))
    np.testing.assert_array_equal(record["sequence"], rows["Ns"])
    np.testing.assert_array_equal(record["dq_mAh"], rows["dq"])
    np.testing.assert_array_equal(record["Q_minus_Qo_mAh"], rows["QQo"])
    np.testing.assert_array_equal(record["control_mode"], rows["flags"] & 0x03)
    np.testing.assert_array_equal(record["ox_red"], (rows["flags"] & 0x04) >> 2)
    np.testing.assert_array_equal(record["error_flag"], (rows["flags"] & 0x08) >> 3)

    new_step = np.r_[True, (rows["Ns"][1:] != rows["Ns"][:-1]) | (rows["flags"][1:] & 0x20 != 0)]
    step = np.cumsum(new_step)
    np.testing.assert_array_equal(record["step"], step)
    np.testing.assert_array_equal(record["current_mA"], _current_by_the_rule(rows["time"], rows["dq"], step))
    first = np.flatnonzero(new_step)[step - 1]
    np.testing.assert_array_equal(record["capacity_mAh"], np.abs(rows["QQo"] - rows["QQo"][first]))


@pytest.mark.parametrize(("counter", "fmt", "scale"), [(178, "<f4", 1 / 3.6), (None, None, None)])
def test_capacity_from_a_coulomb_counter_or_the_running_sum_of_dq_keeps_the_file_values(tmp_path, counter, fmt, scale):
    """The counter capacity_mAh comes from ((Q-Qo)/C, in coulombs; else the running sum of dq/mA.h) is
    converted in the reader's own copy of it: the instrument columns kept beside still hold the file's values."""
    base = _rows(20_000, seed=3)
    fields = [("flags", "u1"), ("Ns", "<u2"), ("time", "<f8"), ("Ewe", "<f4"), ("dq", "<f8")]
    rows = np.zeros(base.size, dtype=fields + ([("Q", fmt)] if counter else []))
    for name, _ in fields:
        rows[name] = base[name]
    if counter:
        rows["Q"] = base["QQo"] * 3.6  # coulombs
    path = tmp_path / "counter.mpr"
    path.write_bytes(_mpr(rows, IDS[:-1] + ([counter] if counter else [])))
    record = anodelab.read(path)
    new_step = np.r_[True, (rows["Ns"][1:] != rows["Ns"][:-1]) | (rows["flags"][1:] & 0x20 != 0)]
    first = np.flatnonzero(new_step)[np.cumsum(new_step) - 1]
    charge_mAh = rows["Q"].astype(np.float64) * scale if counter else np.cumsum(rows["dq"])
    np.testing.assert_array_equal(record["capacity_mAh"], np.abs(charge_mAh - charge_mAh[first]))
    np.testing.assert_array_equal(record["dq_mAh"], rows["dq"])
    if counter:
        np.testing.assert_array_equal(record["Q_minus_Qo_coulomb"], rows["Q"])
