"""Everything that makes data instead of reading it. Depends on :mod:`anodelab.core` and :mod:`anodelab.models` only."""
