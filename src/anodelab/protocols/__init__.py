"""Protocols as instrument-neutral schedules: built from parameters, exported as a step table, JSON
and PyBaMM experiment strings, simulated on a virtual cell, and recovered from a measured record.

::

    s = ccd_staircase(start_mA_cm2=0.1, step_mA_cm2=0.1, stop_mA_cm2=1.0)
    print(to_text(s)); to_json(s); to_pybamm(s)        # pybamm.Experiment(to_pybamm(s))
    record = simulate(s, MetalCell(ccd_mA_cm2=0.5))    # the trace a user will see
    compare(s, recover(record)).matches                # True: the record ran the schedule
"""

from anodelab.protocols.builders import (
    BUILDERS,
    aurbach_ce,
    ccd_staircase,
    gitt,
    pulse_cv_formation,
    rate_test,
)
from anodelab.protocols.compare import Comparison, Difference, compare
from anodelab.protocols.export import (
    from_dict,
    from_json,
    to_dataframe,
    to_dict,
    to_json,
    to_pybamm,
    to_text,
)
from anodelab.protocols.recover import recover
from anodelab.protocols.schedule import (
    CC,
    CCCV,
    CV,
    Loop,
    Other,
    PulseTrain,
    Rest,
    Schedule,
)
from anodelab.protocols.simulate import (
    controls,
    default_cell,
    simulate,
    simulate_pybamm,
)
from anodelab.sim.virtual.cells import HostCell, MetalCell

__all__ = [
    "BUILDERS",
    "CC",
    "CCCV",
    "CV",
    "Comparison",
    "Difference",
    "HostCell",
    "Loop",
    "MetalCell",
    "Other",
    "PulseTrain",
    "Rest",
    "Schedule",
    "aurbach_ce",
    "ccd_staircase",
    "compare",
    "controls",
    "default_cell",
    "from_dict",
    "from_json",
    "gitt",
    "pulse_cv_formation",
    "rate_test",
    "recover",
    "simulate",
    "simulate_pybamm",
    "to_dataframe",
    "to_dict",
    "to_json",
    "to_pybamm",
    "to_text",
]
