"""Progress of long commands on stderr: a live bar on a terminal, plain periodic lines elsewhere.

On a terminal the bar is redrawn in place (``\\r``) at most every ``REDRAW_S``; when stderr is not
a terminal (a CI log, a file) one line is printed at the first item, then at most every
``LINE_EVERY_S`` seconds, and at the last, so a log shows that a run is alive without a line per
file. Silent with ``--quiet``; commands never show it with ``--json`` (stdout must hold the JSON
alone, and a log reader must not find bars between its lines).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO

REDRAW_S = 0.1
LINE_EVERY_S = 10.0
BAR_WIDTH = 24


class Progress:
    """``progress(done, total, label)``: call after each item (see the module docstring)."""

    def __init__(self, what: str, stream: TextIO | None = None, *,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.what = what
        self.stream = stream if stream is not None else sys.stderr
        self.live = bool(getattr(self.stream, "isatty", lambda: False)())
        self._clock = clock
        self._last: float | None = None
        self._width = 0

    def __call__(self, done: int, total: int, label: str) -> None:
        now = self._clock()
        last = done >= total
        interval = REDRAW_S if self.live else LINE_EVERY_S
        if not last and self._last is not None and now - self._last < interval:
            return
        self._last = now
        if self.live:
            filled = BAR_WIDTH * done // max(total, 1)
            text = f"anodelab: {self.what} [{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {done}/{total} {label}"
            self.stream.write("\r" + text.ljust(self._width) + ("\n" if last else ""))
            self._width = 0 if last else len(text)
        else:
            self.stream.write(f"anodelab: {self.what} {done}/{total} ({100 * done // max(total, 1)} %) {label}\n")
        self.stream.flush()
