"""Row counts and sums of every table of a DuckDB file, to prove that an upgrade kept every row.

Per table: the row count; per column its non-NULL count and a sum: the exact sum (DECIMAL(38, 10), so the order of
rows does not matter) of a numeric column, or the summed text length of any other column (dates, strings, lists
and JSON as text). Built with DuckDB's expression API, so no SQL is assembled from strings.

`python -m tests.migrations.fingerprint DB` prints the fingerprint of DB as JSON (how MANIFEST.json was made).
"""

from __future__ import annotations

import json
import sys
from typing import Any

import duckdb
from duckdb import ColumnExpression, ConstantExpression, FunctionExpression

NUMERIC = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT"}
NUMERIC |= {"FLOAT", "DOUBLE"}
EXACT = duckdb.sqltype("DECIMAL(38, 10)")


def table_fingerprint(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, Any]:
    relation = con.table(table)
    expressions = [FunctionExpression("count", ConstantExpression(1))]
    kinds = []
    for name, column_type in zip(relation.columns, relation.types, strict=True):
        column = ColumnExpression(name)
        numeric = str(column_type) in NUMERIC
        value = column.cast(EXACT) if numeric else FunctionExpression("length", column.cast(duckdb.sqltype("VARCHAR")))
        expressions += [FunctionExpression("count", column), FunctionExpression("sum", value)]
        kinds.append((name, str(column_type), "sum" if numeric else "text_length_sum"))
    row = relation.aggregate(expressions).fetchall()[0]
    columns = {
        name: {"type": column_type, "non_null": int(row[1 + 2 * index]), measure: str(row[2 + 2 * index] or 0)}
        for index, (name, column_type, measure) in enumerate(kinds)
    }
    return {"rows": int(row[0]), "columns": columns}


def fingerprint(con: duckdb.DuckDBPyConnection, tables: list[str]) -> dict[str, dict[str, Any]]:
    return {table: table_fingerprint(con, table) for table in sorted(tables)}


def main(path: str) -> None:
    con = duckdb.connect(path, read_only=True)
    try:
        names = [row[0] for row in con.execute("SELECT table_name FROM duckdb_tables() ORDER BY 1").fetchall()]
        json.dump(fingerprint(con, names), sys.stdout, indent=1, sort_keys=True)
    finally:
        con.close()


if __name__ == "__main__":
    main(sys.argv[1])
