"""rate_table's refusals and warnings, on virtual rate tests whose blocks are known."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from anodelab.core.errors import NotApplicableError, ValidationError
from anodelab.core.record import Record
from anodelab.cycling import rate_table
from anodelab.sim.virtual import rate_test


@pytest.mark.parametrize("rtol", [0, 1, -0.1, 1.5, "0.05", None])
def test_an_rtol_outside_0_1_is_refused(rtol):
    ex = rate_test(current_densities_A_g=(0.1, 0.2), cycles_per_block=2)
    with pytest.raises(ValidationError, match="rtol"):
        rate_table(ex.data, ex.cell, rtol=rtol)


def test_a_record_without_current_is_not_applicable():
    ex = rate_test(current_densities_A_g=(0.1, 0.2), cycles_per_block=2)
    columns = {name: ex.data[name] for name in ex.data.column_names if name != "current_mA"}
    with pytest.raises(NotApplicableError, match="needs the current of each cycle"):
        rate_table(Record.from_columns(columns), ex.cell)


def test_a_record_of_one_opening_half_cycle_has_no_complete_cycle():
    ex = rate_test(current_densities_A_g=(0.1, 0.2), cycles_per_block=2)
    record = ex.data
    first = record["state"][0]
    opening_end = int(np.argmax(record["state"] != first))  # the first row of the closing half-cycle
    with pytest.raises(NotApplicableError, match="no complete cycle"):
        rate_table(record.take(np.arange(len(record)) < opening_end), ex.cell)


def test_a_cut_last_cycle_is_left_out_of_its_block_and_named():
    ex = rate_test()
    record = ex.data
    last = np.flatnonzero(record["cycle"] == ex.truth["n_cycles"])
    closing = last[record["state"][last] == record["state"][last[-1]]]
    table = rate_table(record.take(np.arange(len(record)) < closing[closing.size // 2]), ex.cell)
    expected = [(b["first_cycle"], b["last_cycle"]) for b in ex.truth["blocks"]]
    expected[-1] = (expected[-1][0], expected[-1][1] - 1)
    assert [(b["first_cycle"], b["last_cycle"]) for b in table.blocks] == expected
    assert table.blocks[-1]["n_cycles"] == ex.truth["cycles_per_block"] - 1
    assert table.warnings == (f"incomplete cycles left out of the blocks: {ex.truth['n_cycles']}",)


def test_without_an_active_mass_the_blocks_are_absolute_and_a_warning_says_so():
    ex = rate_test(current_densities_A_g=(0.1, 0.5), cycles_per_block=2)
    electrode = dataclasses.replace(ex.cell.working_electrode, mass_mg=None)
    table = rate_table(ex.data, dataclasses.replace(ex.cell, working_electrode=electrode))
    assert [b["current_mA"] for b in table.blocks] == pytest.approx([b["current_mA"] for b in ex.truth["blocks"]],
                                                                    rel=1e-9)
    assert not any(key.endswith(("_A_g", "_mAh_g")) for block in table.blocks for key in block)
    assert table.blocks[0]["current_mA_cm2"] == pytest.approx(ex.truth["blocks"][0]["current_mA"] / ex.truth["area_cm2"],
                                                              rel=1e-9)
    no_mass = "no active mass (working_electrode.mass_mg): specific capacities and current densities are absent"
    assert table.warnings == (no_mass,)


def test_one_current_is_one_block_without_recovery():
    ex = rate_test(current_densities_A_g=(0.2,), cycles_per_block=4)
    table = rate_table(ex.data, ex.cell)
    (block,) = table.blocks
    assert (block["first_cycle"], block["last_cycle"], block["n_cycles"]) == (1, 4, 4)
    assert block["current_A_g"] == pytest.approx(0.2, rel=1e-9)
    assert (block["retention"], block["recovery"]) == (1.0, False)
    assert table.warnings == ("one current only: the record holds no rate steps",)
