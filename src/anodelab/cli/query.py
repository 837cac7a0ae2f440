"""``anodelab query "SQL"``: ask the results store a question (read-only)."""

from __future__ import annotations

import argparse
import csv
import sys

from anodelab.cli.strict_json import dumps

HELP = "run one read-only SQL SELECT on a results store (tables: runs, files, experiments, results, metrics, ...)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("sql", help='the query, e.g. "SELECT path, value FROM metric_table WHERE name = \'ice\'"')
    parser.add_argument("--db", metavar="FILE", default="anodelab-results/anodelab.duckdb",
                        help="the store (default: ./anodelab-results/anodelab.duckdb)")
    output = parser.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="rows as a JSON array of objects")
    output.add_argument("--csv", action="store_true", help="rows as CSV with a header line")


def run(args: argparse.Namespace) -> int:
    from anodelab.core.result import plain
    from anodelab.store import open as open_store

    _check_read_only(args.sql)
    with open_store(args.db, read_only=True) as db:
        relation = db.query(args.sql)
        columns = list(relation.columns) if relation is not None else []
        rows = relation.fetchall() if relation is not None else []
    if args.json:
        print(dumps(plain([dict(zip(columns, row)) for row in rows])))
    elif args.csv:
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows(rows)
    else:
        texts = [[_text(value) for value in row] for row in rows]
        widths = [max([len(name)] + [len(row[k]) for row in texts]) for k, name in enumerate(columns)]
        print("  ".join(name.ljust(w) for name, w in zip(columns, widths)).rstrip())
        for row in texts:
            print("  ".join(value.ljust(w) for value, w in zip(row, widths)).rstrip())
        print(f"({len(rows)} rows)")
    return 0


def _check_read_only(sql: str) -> None:
    """One SELECT (or EXPLAIN) statement: a store opened read-only still lets COPY ... TO, EXPORT or
    ATTACH write files, so anything else is refused."""
    import duckdb

    from anodelab.core.errors import ValidationError

    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as error:
        raise ValidationError("query", f"not valid SQL: {' '.join(str(error).split())}") from None
    kinds = [statement.type for statement in statements]
    if len(kinds) != 1 or kinds[0] not in (duckdb.StatementType.SELECT, duckdb.StatementType.EXPLAIN):
        named = ", ".join(kind.name for kind in kinds) or "none"
        raise ValidationError("query", f"anodelab query runs one SELECT statement and writes nothing; got {named}")


def _text(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return "" if value is None else str(value)
