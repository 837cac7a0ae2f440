"""The store's tables and views (documented for users in docs/store.md), and its version check."""

from __future__ import annotations

from pathlib import Path

import duckdb

from anodelab.core.errors import ReadError

#: bumped whenever a table or view changes shape; a store of another version is refused
SCHEMA_VERSION = 1

TABLES = """
CREATE SEQUENCE run_ids START 1;
CREATE SEQUENCE file_ids START 1;
CREATE SEQUENCE result_ids START 1;
CREATE TABLE meta (schema_version INTEGER NOT NULL);
CREATE TABLE runs (
    run_id BIGINT PRIMARY KEY DEFAULT nextval('run_ids'),
    anodelab_version VARCHAR NOT NULL,
    parameters JSON,
    started TIMESTAMP NOT NULL,          -- UTC
    finished TIMESTAMP,                  -- UTC; NULL while running, or for a run that was killed
    summary JSON
);
CREATE TABLE files (
    file_id BIGINT PRIMARY KEY DEFAULT nextval('file_ids'),
    study VARCHAR NOT NULL,              -- the study folder, absolute POSIX path
    path VARCHAR NOT NULL,               -- POSIX path inside the study
    key VARCHAR NOT NULL,                -- the pipeline's content key (file, settings, analysis versions)
    sha256 VARCHAR,
    size BIGINT,                         -- bytes
    format VARCHAR,
    reader VARCHAR,
    error VARCHAR,                       -- why the file could not be read (then it has no results)
    notes JSON,                          -- what the reader dropped or repaired
    run_id BIGINT NOT NULL,              -- the run that stored this version of the file
    timeseries VARCHAR,                  -- a Record's Parquet file, relative to the database folder
    UNIQUE (study, path)
);
CREATE TABLE run_files (run_id BIGINT NOT NULL, file_id BIGINT NOT NULL, PRIMARY KEY (run_id, file_id));
CREATE TABLE experiments (
    file_id BIGINT PRIMARY KEY,
    kind VARCHAR,                        -- anodelab.core.experiment.ExperimentKind value
    confidence DOUBLE,                   -- 0..1
    reason VARCHAR,
    source VARCHAR,                      -- 'data' or 'study'
    cell JSON,
    cell_type VARCHAR,
    sample VARCHAR,
    "group" VARCHAR
);
CREATE TABLE results (
    result_id BIGINT PRIMARY KEY DEFAULT nextval('result_ids'),
    file_id BIGINT NOT NULL,
    analysis VARCHAR NOT NULL,
    kind VARCHAR,
    version INTEGER,
    parameters JSON,
    warnings JSON,
    provenance JSON,
    content JSON,
    error VARCHAR,                       -- why the analysis failed (then it has no metrics)
    not_applicable VARCHAR,              -- why it does not apply to this file's data (then no metrics either)
    seconds DOUBLE
);
CREATE TABLE metrics (
    result_id BIGINT NOT NULL,
    file_id BIGINT NOT NULL,
    analysis VARCHAR NOT NULL,
    name VARCHAR NOT NULL,
    value DOUBLE,                        -- NULL for NaN or an infinity
    stderr DOUBLE,                       -- NULL when unknown
    unit VARCHAR NOT NULL,
    index_name VARCHAR,
    "index" BIGINT,
    definition VARCHAR
);
CREATE TABLE cycles (result_id BIGINT NOT NULL, cycle BIGINT NOT NULL, name VARCHAR NOT NULL, value DOUBLE,
                     text VARCHAR);
CREATE TABLE drt_curves (result_id BIGINT NOT NULL, spectrum BIGINT, tau_s DOUBLE, gamma_ohm DOUBLE,
                         gamma_lower_ohm DOUBLE, gamma_upper_ohm DOUBLE);
CREATE TABLE result_tables (result_id BIGINT NOT NULL, "table" VARCHAR NOT NULL, "row" BIGINT NOT NULL,
                            name VARCHAR NOT NULL, value DOUBLE, text VARCHAR);
CREATE TABLE spectra (
    file_id BIGINT NOT NULL,
    spectrum BIGINT NOT NULL,            -- position in the file's series, from 0
    frequency_Hz DOUBLE NOT NULL,
    z_real_ohm DOUBLE NOT NULL,
    z_imag_ohm DOUBLE NOT NULL,          -- < 0 for a capacitive response
    time_s DOUBLE,
    temperature_C DOUBLE,
    voltage_V DOUBLE,
    current_mA DOUBLE,
    cycle BIGINT
);
CREATE TABLE data_cycles (file_id BIGINT NOT NULL, cycle BIGINT NOT NULL, name VARCHAR NOT NULL, value DOUBLE,
                          text VARCHAR);
"""

VIEWS = """
CREATE VIEW experiment_table AS
SELECT f.study, f.path, e.kind, e.confidence, e.reason, e.source, e.cell_type,
       e.cell ->> '$.working_electrode.material' AS material, e.sample, e."group",
       f.format, f.reader, f.sha256, f.error, f.file_id
FROM files f LEFT JOIN experiments e USING (file_id);

CREATE VIEW metric_table AS
SELECT f.study, f.path, e.kind, e.sample, e."group", m.analysis, m.name, m.value, m.stderr, m.unit,
       m.index_name, m."index", e.cell_type, e.cell ->> '$.working_electrode.material' AS material,
       m.definition, r.version, m.file_id, m.result_id
FROM metrics m JOIN files f USING (file_id) JOIN results r USING (result_id)
LEFT JOIN experiments e ON e.file_id = m.file_id;

CREATE VIEW group_table AS
SELECT study, "group", analysis, name, unit, index_name, "index", count(value) AS n,
       avg(value) AS mean, stddev_samp(value) AS sd
FROM metric_table WHERE "group" IS NOT NULL
GROUP BY study, "group", analysis, name, unit, index_name, "index";

CREATE VIEW failures AS
SELECT study, path, NULL::VARCHAR AS analysis, error FROM files WHERE error IS NOT NULL
UNION ALL
SELECT f.study, f.path, r.analysis, r.error FROM results r JOIN files f USING (file_id) WHERE r.error IS NOT NULL;
"""


def create(connection: duckdb.DuckDBPyConnection) -> None:
    """Create every table and view of :data:`SCHEMA_VERSION` in one transaction."""
    connection.execute("BEGIN")
    try:
        connection.execute(TABLES + VIEWS)
        connection.execute("INSERT INTO meta VALUES (?)", [SCHEMA_VERSION])
        connection.execute("COMMIT")
    except BaseException:
        connection.execute("ROLLBACK")
        raise


def is_empty(connection: duckdb.DuckDBPyConnection) -> bool:
    """True for a database with no tables or views of its own (a new file)."""
    tables = connection.execute("SELECT count(*) FROM duckdb_tables() WHERE NOT internal").fetchall()
    views = connection.execute("SELECT count(*) FROM duckdb_views() WHERE NOT internal").fetchall()
    return bool(tables[0][0] == 0 and views[0][0] == 0)


def check(connection: duckdb.DuckDBPyConnection, path: Path) -> None:
    """Refuse a database that is not an anodelab store of :data:`SCHEMA_VERSION`."""
    has_meta = connection.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE NOT internal AND table_name = 'meta'").fetchall()
    if has_meta[0][0] == 0:
        raise ReadError(path, "is a DuckDB database but not an anodelab results store (it has no meta table)",
                        expected="a database written by anodelab.store")
    versions = [row[0] for row in connection.execute("SELECT schema_version FROM meta").fetchall()]
    if len(versions) != 1:
        raise ReadError(path, f"has {len(versions)} schema versions in its meta table; a store has one")
    version = versions[0]
    if isinstance(version, int) and version > SCHEMA_VERSION:
        raise ReadError(path, f"was written by a newer anodelab (store schema version {version}; this anodelab "
                        f"reads version {SCHEMA_VERSION}): upgrade anodelab to read it")
    if version != SCHEMA_VERSION:
        raise ReadError(path, f"has an unknown store schema version {version!r}",
                        expected=f"schema version {SCHEMA_VERSION}")
