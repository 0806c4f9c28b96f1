"""Dagster resources: the validated settings, the metrics source, the DuckDB warehouse and the output folder."""

from pathlib import Path

from dagster import ConfigurableResource
from gpu_reclaim.core.config import Settings, load_config
from gpu_reclaim.core.victoria import VictoriaMetricsClient
from gpu_reclaim.core.warehouse import Warehouse
from pydantic import Field


class SettingsResource(ConfigurableResource):
    """gpu-reclaim's settings: a TOML/YAML file (optional) validated once; `vm_url` overrides its URL."""

    config_path: str | None = Field(default=None, description="TOML or YAML config file; defaults apply without it.")
    vm_url: str | None = Field(default=None, description="VictoriaMetrics/Prometheus URL; overrides the config file.")
    write_back: bool | None = Field(default=None, description="Overrides [write_back] enabled (CLI --write-back).")

    def load(self) -> Settings:
        settings = load_config(Path(self.config_path) if self.config_path else None)
        if self.vm_url:
            vm = settings.victoria_metrics.model_copy(update={"url": self.vm_url})
            settings = settings.model_copy(update={"victoria_metrics": vm})
        if self.write_back is not None:
            write_back = settings.write_back.model_copy(update={"enabled": self.write_back})
            settings = settings.model_copy(update={"write_back": write_back})
        return settings

    def client(self) -> VictoriaMetricsClient:
        settings = self.load()
        return VictoriaMetricsClient(settings.victoria_metrics, step_seconds=settings.step_seconds)


class WarehouseResource(ConfigurableResource):
    """The DuckDB file every stage writes; opening waits for another writer up to `lock_timeout_seconds`. Its
    `[warehouse]` settings (memory_limit, threads, backup_before_migrate) come from the same config file as the
    settings resource's."""

    database: str = Field("data/gpu_reclaim.duckdb", description="Path of the DuckDB database file.")
    lock_timeout_seconds: float = Field(default=120.0, gt=0, description="How long to wait for another writer.")
    config_path: str | None = Field(default=None, description="TOML or YAML config file with a [warehouse] table.")

    def warehouse(self) -> Warehouse:
        config = load_config(Path(self.config_path) if self.config_path else None).warehouse
        return Warehouse.configured(self.database, self.lock_timeout_seconds, config)


class OutputsResource(ConfigurableResource):
    """Where reports and the ticket feed are written."""

    out_dir: str = Field("out", description="Folder for reports/ and tickets.jsonl.")

    def path(self) -> Path:
        return Path(self.out_dir)
