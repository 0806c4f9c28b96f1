"""SQL values are bound and SQL text is never assembled from strings: a scan of the source that fails on new
string-built SQL, checked to find what it must (the SQL half of test_security.py)."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from tests.reliability.conftest import START

REPO = Path(__file__).resolve().parents[2]


# -- SQL: values are bound; SQL text is never assembled from strings ------------------------------------------------

SQL_WORDS = re.compile(
    r"\b(SELECT|INSERT|DELETE|UPDATE|CREATE|DROP|ALTER|ATTACH|COPY|PRAGMA|SET|FROM|WHERE|VALUES|INSTALL|LOAD)\b"
)
SQL_CALLS = {"execute", "executemany", "sql", "query", "from_query", "run_sql"}
# (file, enclosing function, source of the expression): identifiers from code, never from data
ALLOWED = {
    ("core/warehouse.py", "_prepare", "f'SET threads = {int(self.threads)}'"),
    ("assets/stages.py", "_count_day", "f'SELECT count(*) FROM {table} WHERE day = $day'"),
}


def _string_built_sql(path: Path) -> Iterator[tuple[str, str, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    parents: dict[ast.AST, ast.AST] = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}

    def function_of(node: ast.AST) -> str:
        while node in parents:
            node = parents[node]
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                return node.name
        return "<module>"

    def literal(node: ast.AST) -> str:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        if isinstance(node, ast.JoinedStr):
            return "".join(literal(v) for v in node.values)
        if isinstance(node, ast.BinOp):
            return literal(node.left) + literal(node.right)
        return ""

    for node in ast.walk(tree):
        text = ""
        if isinstance(node, ast.JoinedStr | ast.BinOp) and not (
            isinstance(node, ast.BinOp) and not isinstance(node.op, ast.Add | ast.Mod)
        ):
            text = literal(node)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format":
            text = literal(node.func.value)
        if text and SQL_WORDS.search(text):
            yield str(path.relative_to(REPO)), function_of(node), ast.unparse(node)
        # a SQL-running call whose text is built in place (run_sql takes a file name, not SQL)
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in SQL_CALLS - {"run_sql"}
            and node.args
            and isinstance(node.args[0], ast.BinOp | ast.JoinedStr)
        ):
            yield str(path.relative_to(REPO)), function_of(node), ast.unparse(node.args[0])


def test_no_sql_is_built_from_strings() -> None:
    found = set()
    for folder in ("core", "pipelines", "assets", "scoring", "store", "delivery", "reports"):
        for path in sorted((REPO / folder).rglob("*.py")):
            found |= set(_string_built_sql(path))
    violations = sorted(found - ALLOWED)
    assert not violations, "SQL built from strings (bind values as $parameters in a sql/*.sql file):\n" + "\n".join(
        f"{file}:{function}: {source}" for file, function, source in violations
    )


def test_the_scan_finds_what_it_must() -> None:
    """The scanner itself: each way of building SQL from strings is reported."""
    sample = REPO / "tests" / "reliability" / "_scan_sample.py"
    sample.write_text(
        "def f(con, name):\n"
        "    con.execute(f\"SELECT * FROM t WHERE name = '{name}'\")\n"
        "    con.execute(\"DELETE FROM t WHERE name = '%s'\" % name)\n"
        "    q = \"UPDATE t SET a = '{}'\".format(name)\n"
        "    con.sql('SELECT 1 ' + name)\n",
        encoding="utf-8",
    )
    try:
        found = list(_string_built_sql(sample))
    finally:
        sample.unlink()
    assert len({source for _, _, source in found}) >= 4


def test_whitelisted_identifiers_are_checked() -> None:
    from gpu_reclaim.assets.stages import _count_day

    with duckdb.connect() as con, pytest.raises(ValueError, match="not a partitioned table"):
        _count_day(con, "gpu_samples; DROP TABLE pods", START.date())
