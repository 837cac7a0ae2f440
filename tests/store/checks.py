"""The consistency rules every store must keep, as counts of the rows that break them."""

from __future__ import annotations

from anodelab import store

#: (child table, child column, parent table, parent column): every child row's parent must exist
REFERENCES = (
    ("metrics", "result_id", "results", "result_id"),
    ("metrics", "file_id", "files", "file_id"),
    ("results", "file_id", "files", "file_id"),
    ("experiments", "file_id", "files", "file_id"),
    ("cycles", "result_id", "results", "result_id"),
    ("drt_curves", "result_id", "results", "result_id"),
    ("result_tables", "result_id", "results", "result_id"),
    ("spectra", "file_id", "files", "file_id"),
    ("data_cycles", "file_id", "files", "file_id"),
    ("run_files", "file_id", "files", "file_id"),
    ("run_files", "run_id", "runs", "run_id"),
    ("files", "run_id", "runs", "run_id"),
)


def orphans(db: store.Store) -> dict[str, int]:
    """Rows whose parent row is missing, and other broken links, counted per rule (all 0 when consistent)."""
    counts = {}
    for child, column, parent, key in REFERENCES:
        sql = f"SELECT count(*) FROM {child} c WHERE NOT EXISTS (SELECT 1 FROM {parent} p WHERE p.{key} = c.{column})"
        counts[f"{child}.{column}"] = db.query(sql).fetchall()[0][0]
    counts["metrics of another file than their result"] = db.query(
        "SELECT count(*) FROM metrics m JOIN results r USING (result_id) WHERE m.file_id <> r.file_id").fetchall()[0][0]
    counts["metrics of failed results"] = db.query(
        "SELECT count(*) FROM metrics m JOIN results r USING (result_id) WHERE r.error IS NOT NULL").fetchall()[0][0]
    counts["results of unreadable files"] = db.query(
        "SELECT count(*) FROM results r JOIN files f USING (file_id) WHERE f.error IS NOT NULL").fetchall()[0][0]
    counts["files without an experiment row"] = db.query(
        "SELECT count(*) FROM files f WHERE NOT EXISTS (SELECT 1 FROM experiments e WHERE e.file_id = f.file_id)"
    ).fetchall()[0][0]
    series = [row[0] for row in db.query("SELECT timeseries FROM files WHERE timeseries IS NOT NULL").fetchall()]
    counts["missing Parquet files"] = sum(not (db.folder / name).is_file() for name in series)
    return counts


def table_counts(db: store.Store, file_id: int) -> dict[str, int]:
    """Rows of each per-file table that hang on ``file_id``."""
    by_result = "result_id IN (SELECT result_id FROM results WHERE file_id = ?)"
    return {
        "results": db.query("SELECT count(*) FROM results WHERE file_id = ?", [file_id]).fetchall()[0][0],
        "metrics": db.query("SELECT count(*) FROM metrics WHERE file_id = ?", [file_id]).fetchall()[0][0],
        **{table: db.query(f"SELECT count(*) FROM {table} WHERE {by_result}", [file_id]).fetchall()[0][0]
           for table in ("cycles", "drt_curves", "result_tables")},
    }
