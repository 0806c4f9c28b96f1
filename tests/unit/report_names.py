"""The names, days and telltale strings of the weekly reports' fixture (tests/unit/report_fixture.py)."""

from __future__ import annotations

from datetime import date

WINDOW_START = date(2026, 1, 5)  # a Monday
WINDOW_END = date(2026, 1, 12)
LAST_DAY = date(2026, 1, 11)  # the evaluation dated the window's last day evaluates the window
BEFORE_START = date(2026, 1, 4)  # the last day of the previous window
HOSTILE = "<script>alert(1)</script>"
HOSTILE_WORKLOAD = "Job/<img src=x onerror=alert(2)>"
WORKSPACE_A = "alpha-ws"
WORKSPACE_B = "Bravo Team"
# Every name and a distinctive figure of Workspace B: none may appear in Workspace A's outputs.
B_STRINGS = ("Bravo Team", "bravo", "Bravo", "777.777", "333.333", "444.444", "mg-bravo-only", "555.5")
HOSTILE_GROUP = "mg-<script>alert(5)</script>"
# The cluster-level findings and tables: shown on the overview only, never in a Workspace's outputs.
CLUSTER_STRINGS = ("defragment", "MachineGroup/", "node-a", "alert(5)", "1,344.000", "1344.0", "unplaced")

PROJECT_COLUMNS = (
    "day, workspace, project, namespace, pods, allocated_gpu_hours, used_gpu_hours, idle_gpu_hours, "
    "low_use_gpu_hours, no_data_gpu_hours, efficiency, allocated_h100_equivalent_hours, "
    "idle_h100_equivalent_hours, allocated_cost, idle_cost"
)
