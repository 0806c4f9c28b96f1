"""A deterministic (seeded) simulated GPU cluster for the demo, the tests and the benchmark.

The package's modules, in the order data flows: `scenario` (window, step, scale), `model` (the dataclasses),
`layout` (`build_cluster`), `signals` (per-GPU values), `series` (import lines), `truth`, `load`; `hangs`, `owners`
and `shared_gpus` add the planted hangs, owner labels and MIG/time-sliced groups.

`build_cluster` lays out Machine Groups, nodes, namespaces (Projects in Workspaces), workloads and pods with
their timelines (pure, no I/O). `iter_import_lines` turns that into VictoriaMetrics `/api/v1/import` JSON
lines shaped as dcgm-exporter and kube-state-metrics produce them (CONTRACT.md), made per series with numpy.
`ground_truth` gives the figures the pipeline must reproduce, computed from the very (rounded) values written.
`load_demo` imports a scenario into a server and writes the truth JSON next to it.

Timing conventions (what the pipeline must know):
- Steps are `start + i * step_seconds`. DCGM samples are stamped `step_seconds // 20` seconds after the step,
  kube-state-metrics samples `step_seconds // 8` seconds after it (both < step/4): bucket with floor(ts/step).
- A pod is Running on the steps [run_start, run_end); its GPUs' DCGM series name it on exactly those steps
  (except during its "no data" gap, where its GPUs have no DCGM sample at all).
- Pods that start inside the window are Pending (node already bound) for 2 steps first; Job pods stay
  `Succeeded` for 5 steps after they end. Pending and Succeeded steps are not allocation.
- Ratios are rounded to 4 decimals, GPU_UTIL and power to 1, framebuffer to whole MiB. Generated activity
  never sits exactly on the 0.01 / 0.10 thresholds (GR_ENGINE_ACTIVE) or 1.0 / 10.0 (GPU_UTIL without
  profiling metrics), so `<` comparisons cannot flip on how a threshold is spelled.
"""

from __future__ import annotations

try:
    import numpy  # noqa: F401  (the modules below need it)
except ModuleNotFoundError as error:  # numpy comes with the `demo` extra only
    raise ModuleNotFoundError("the demo needs numpy: pip install 'gpu-reclaim[demo]'") from error

from gpu_reclaim.scenarios.demo.layout import build_cluster
from gpu_reclaim.scenarios.demo.load import LoadStats, existing_gpu_requests, load_demo, running_gpu_requests
from gpu_reclaim.scenarios.demo.model import DemoCluster
from gpu_reclaim.scenarios.demo.scenario import DemoScenario, default_demo_start
from gpu_reclaim.scenarios.demo.series import iter_import_lines
from gpu_reclaim.scenarios.demo.truth import ground_truth, scenario_summary

__all__ = [
    "DemoCluster",
    "DemoScenario",
    "LoadStats",
    "build_cluster",
    "default_demo_start",
    "existing_gpu_requests",
    "ground_truth",
    "iter_import_lines",
    "load_demo",
    "running_gpu_requests",
    "scenario_summary",
]
