"""The v0.1.0 fixture (tests/fixtures/v0.1.0): a DuckDB file gpu-reclaim 0.1.0 wrote from the demo week, its ticket
feed, and MANIFEST.json (origin, row counts and sums per table). Each test gets its own decompressed copy."""

from __future__ import annotations

import gzip
import hashlib
import json
import shutil
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pytest
from gpu_reclaim.core.migrations import known_migrations

from tests.migrations.fingerprint import fingerprint

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "v0.1.0"
LATEST = len(known_migrations())


# Columns that later migrations add to v0.1.0's tables (each migration's own test checks their values on the old
# rows); OldRelease.fingerprint leaves them out, so it still proves every old column of every old row unchanged.
ADDED_COLUMNS: dict[str, set[str]] = {
    "gpu_samples": {"gpu_instance_id", "mig_profile", "vgpu"},  # 0006
    "pod_steps": {"gpu_sharing", "mig_profile"},  # 0006
    "nodes": {"gpu_sharing", "mig_strategy", "gpu_replicas", "gpu_devices_allocatable"},  # 0006
    "pod_gpu_usage_daily": {"gpu_instance_id", "mig_profile", "gpu_fraction", "usage_estimated"},  # 0006
    "pod_gpu_usage_hourly": {"gpu_instance_id", "gpu_fraction", "usage_estimated"},  # 0006
    "pod_usage_daily": {"gpu_sharing", "mig_profile", "usage_estimated"},  # 0006
    "project_usage_daily": {"usage_estimated", "estimated_used_gpu_hours"},  # 0006
}
# 0009: `cluster` on every table of v0.1.0 but gpu_model_weights (README "Several clusters in one VictoriaMetrics")
CLUSTER_TABLES = (
    "gpu_samples", "pod_steps", "pods", "namespaces", "nodes", "quota_steps", "data_quality", "pod_gpu_usage_daily",
    "pod_usage_daily", "project_usage_daily", "workspace_usage_daily", "pod_gpu_usage_hourly", "project_usage_hourly",
    "machine_group_usage_hourly", "recommendations", "ticket_history", "node_fragmentation",
    "machine_group_fragmentation", "cluster_fragmentation", "typical_pod_classes", "pending_demand", "defrag_plans",
    "defrag_moves",
)  # fmt: skip
for _table in CLUSTER_TABLES:
    ADDED_COLUMNS.setdefault(_table, set()).add("cluster")


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def manifest() -> dict[str, Any]:
    return dict(json.loads((FIXTURE / "MANIFEST.json").read_text(encoding="utf-8")))


@dataclass(frozen=True)
class OldRelease:
    """A copy of the v0.1.0 database and its out/ folder (with the v0.1.0 tickets.jsonl)."""

    db: Path
    out: Path
    manifest: dict[str, Any]

    @property
    def first_day(self) -> date:
        return date.fromisoformat(self.manifest["demo_days"][0])

    @property
    def last_day(self) -> date:
        return date.fromisoformat(self.manifest["demo_days"][1])

    @property
    def old_tables(self) -> list[str]:
        return sorted(self.manifest["tables"])

    def fingerprint(self, path: Path | None = None) -> dict[str, dict[str, Any]]:
        """The fingerprint of v0.1.0's tables and columns (columns later migrations add are left out: their own
        tests check them)."""
        with duckdb.connect(str(path or self.db), read_only=True) as con:
            found = fingerprint(con, self.old_tables)
        for table, print_ in found.items():
            old_columns = self.manifest["tables"].get(table, {}).get("columns", {})
            print_["columns"] = {name: value for name, value in print_["columns"].items() if name in old_columns}
        return found


@pytest.fixture(scope="session")
def v010_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture decompressed once per session (never written: tests copy it)."""
    target = tmp_path_factory.mktemp("v010") / "gpu_reclaim.duckdb"
    with gzip.open(FIXTURE / "gpu_reclaim.duckdb.gz", "rb") as source, target.open("wb") as sink:
        shutil.copyfileobj(source, sink, length=16 << 20)
    assert sha256(target) == manifest()["database"]["sha256"], "the fixture does not match its MANIFEST"
    return target


@pytest.fixture
def old_release(v010_database: Path, tmp_path: Path) -> OldRelease:
    db = tmp_path / "gpu_reclaim.duckdb"
    shutil.copyfile(v010_database, db)
    out = tmp_path / "out"
    out.mkdir()
    shutil.copyfile(FIXTURE / "tickets.jsonl", out / "tickets.jsonl")
    return OldRelease(db=db, out=out, manifest=manifest())


def read_rows(db: Path, query: str, params: dict[str, Any] | None = None) -> list[tuple[Any, ...]]:
    """The rows of one query on the file, opened read-only."""
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(query, params or {}).fetchall()


def recorded(db: Path) -> list[tuple[Any, ...]]:
    return read_rows(db, "SELECT version, name, gpu_reclaim_version, how FROM schema_migrations ORDER BY 1")


def has_table(db: Path, table: str) -> bool:
    return bool(read_rows(db, "SELECT table_name FROM duckdb_tables() WHERE table_name = $t", {"t": table}))
