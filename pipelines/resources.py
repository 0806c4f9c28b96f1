"""The Dagster resources live beside the assets that take them (assets/resources.py), so that assets import
nothing from the wiring above them; this name stays for the definitions, the runner and the CLI."""

from gpu_reclaim.assets.resources import OutputsResource, SettingsResource, WarehouseResource

__all__ = ["OutputsResource", "SettingsResource", "WarehouseResource"]
