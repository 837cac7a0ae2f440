"""The change point of a run of flags: where a sequence turns from mostly unflagged to mostly flagged."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray


def change_point(flags: NDArray[np.bool_]) -> int:
    """The split ``k`` (``flags[k:]`` after it) that leaves the fewest flags before it plus the fewest
    unflagged after it; the first such split where several tie."""
    cost = np.r_[0, np.cumsum(flags)] + np.r_[np.cumsum((~flags)[::-1])[::-1], 0]
    return int(np.argmin(cost[:-1]))
