"""The results store: every number of a study, with its unit, uncertainty and provenance, in DuckDB.

>>> from anodelab import store
>>> with store.open("out/anodelab.duckdb", read_only=True) as db:
...     db.query("SELECT path, value FROM metric_table WHERE name = 'ice'").df()

The pipeline (:mod:`anodelab.study`) writes it; the report and ``anodelab query`` read it. The
schema and example queries are in docs/store.md.
"""

from anodelab.store.db import Store, open
from anodelab.store.entry import AnalysisEntry, FileEntry
from anodelab.store.schema import SCHEMA_VERSION

__all__ = ["SCHEMA_VERSION", "AnalysisEntry", "FileEntry", "Store", "open"]
