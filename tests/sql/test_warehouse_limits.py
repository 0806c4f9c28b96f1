"""`[warehouse] memory_limit` and `threads` reach DuckDB on every connection the pipeline opens (the Dagster
resource, the CLI's rebuild and upgrade paths all build the warehouse with `Warehouse.configured`)."""

from __future__ import annotations

from pathlib import Path

import pytest
from gpu_reclaim.core.config import WarehouseConfig, load_config
from gpu_reclaim.core.warehouse import Warehouse
from gpu_reclaim.pipelines.resources import WarehouseResource


def duckdb_limits(warehouse: Warehouse, read_only: bool = False) -> tuple[str, int]:
    with warehouse.connect(read_only=read_only) as con:
        row = con.execute("SELECT current_setting('memory_limit'), current_setting('threads')").fetchone()
    assert row is not None
    return str(row[0]), int(row[1])


@pytest.mark.parametrize(
    ("text", "memory_limit"),
    [("1GB", "953.6 MiB"), ("2GiB", "2.0 GiB"), ("512mb", "488.2 MiB"), (" 3 GB ", "2.7 GiB")],
)
def test_the_configured_memory_limit_is_duckdbs(tmp_path: Path, text: str, memory_limit: str) -> None:
    config = WarehouseConfig(memory_limit=text, threads=1)
    assert duckdb_limits(Warehouse.configured(tmp_path / "w.duckdb", 5.0, config)) == (memory_limit, 1)


def test_the_resource_reads_the_warehouse_table_of_its_config_file(tmp_path: Path) -> None:
    config_file = tmp_path / "gpu-reclaim.toml"
    config_file.write_text("[warehouse]\nmemory_limit = '1.5GiB'\nthreads = 1\nbackup_before_migrate = false\n")
    resource = WarehouseResource(database=str(tmp_path / "w.duckdb"), config_path=str(config_file))
    warehouse = resource.warehouse()
    assert warehouse.backup_before_migrate is False
    assert duckdb_limits(warehouse) == ("1.5 GiB", 1)
    assert duckdb_limits(warehouse, read_only=True) == ("1.5 GiB", 1)


def test_without_a_config_file_duckdb_gets_the_defaults(tmp_path: Path) -> None:
    defaults = load_config(None).warehouse
    assert (defaults.memory_limit, defaults.threads, defaults.backup_before_migrate) == ("1GB", 0, True)
    warehouse = WarehouseResource(database=str(tmp_path / "w.duckdb")).warehouse()
    memory_limit, threads = duckdb_limits(warehouse)
    assert memory_limit == "953.6 MiB"  # 1 GB, not DuckDB's own 80 % of the machine
    assert threads >= 1  # 0 leaves DuckDB's default: every core
