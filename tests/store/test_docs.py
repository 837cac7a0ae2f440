"""The example queries of docs/store.md run on a store, and the tables it documents are the store's."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

from store.fakes import entry

DOC = Path(__file__).parents[2] / "docs" / "store.md"


def test_every_example_query_runs(db):
    run = db.begin_run("0.1.0", {})
    for seed in range(4):
        db.write_file(run, replace(entry(seed), group="ZnI2@LLZTO" if seed % 2 else "bare LLZTO"))
    queries = re.findall(r"```sql\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.DOTALL)
    assert len(queries) >= 7
    for sql in queries:
        if "<name>" in sql:  # the Parquet example: run on a real file name
            name = db.query("SELECT timeseries FROM files LIMIT 1").fetchall()[0][0]
            sql = sql.replace("OUT/timeseries/<name>.parquet", str(db.folder / name))
        db.query(sql).fetchall()
    ice = db.query(next(sql for sql in queries if "material = 'Si-ZnO'" in sql)).fetchall()
    assert [row[1] for row in ice] == [f"cells/cell_{seed}.mpr" for seed in range(4)]


def test_every_table_and_view_is_documented(db):
    text = DOC.read_text(encoding="utf-8")
    names = [row[0] for row in db.query("SELECT table_name FROM duckdb_tables() UNION ALL "
                                        "SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()]
    assert [name for name in names if f"`{name}`" not in text] == []
    for table in ("files", "results", "metrics", "experiments", "runs"):
        columns = [row[0] for row in db.query(f"DESCRIBE {table}").fetchall()]
        assert [column for column in columns if f"`{column}`" not in text] == [], table
