"""The foundation: validated settings, the DuckDB warehouse, and the VictoriaMetrics source client.

Nothing here imports from the floors above (scoring, assets, reports, pipelines)."""
