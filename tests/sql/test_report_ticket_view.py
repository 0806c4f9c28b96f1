"""The view report_ticket_findings (sql/create_views.sql) on a small DuckDB: one give-back value per ticket
whatever its rule (GPUs, H100-equivalent GPU-hours per week, money), and the ticket fields every report reads."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

import duckdb
import pytest
from gpu_reclaim.core.warehouse import prepare_connection

DAY = date(2026, 11, 29)
START, END = datetime(2026, 11, 23), datetime(2026, 11, 30)  # a 7-day window: 168 hours
HALF_END = datetime(2026, 11, 26, 12)  # a 3.5-day window: 84 hours


@pytest.fixture
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect()
    prepare_connection(connection)
    connection.execute(
        "INSERT INTO gpu_model_weights VALUES ('NVIDIA-H100', 1.0, 4.0), ('NVIDIA-A100', 0.32, 2.0), "
        "('Tesla-V100', 0.13, NULL)"
    )
    yield connection
    connection.close()


def finding(
    con: duckdb.DuckDBPyConnection,
    finding_id: str,
    rule: str,
    ticket: dict[str, Any],
    *,
    namespace: str = "team-a",
    workspace: str = "ws",
    gpu_model: str | None = None,
    gpus: float = 0.0,
    weekly: float = 0.0,
    window_end: datetime = END,
) -> None:
    body = {"window_start": START.isoformat() + "Z", "window_end": window_end.isoformat() + "Z", **ticket}
    con.execute(
        "INSERT INTO recommendations VALUES (?, ?, ?, 'high', ?, 'p', ?, 'w', false, ?, 8, ?, 0, ?, ?, ?, ?, '')",
        [DAY, finding_id, rule, workspace, namespace, gpu_model, gpus, weekly, START, window_end, json.dumps(body)],
    )


def used_gpus(
    con: duckdb.DuckDBPyConnection, namespace: str, model: str, weight: float, price: float, hours: float
) -> None:
    """A day of a Project's pod on `model`, so the quota cut is weighted by the GPUs the Project held."""
    con.execute(
        "INSERT INTO pod_usage_daily (day, uid, namespace, pod, workspace, project, workload, owner_kind, owner_name, "
        "provisioning_type, category, purpose, reclaim_exempt, machine_group, gpu_model, gpus_requested, "
        "running_hours, allocated_gpu_hours, observed_gpu_hours, used_gpu_hours, idle_gpu_hours, low_use_gpu_hours, "
        "no_data_gpu_hours, h100_equivalent, price_per_gpu_hour) VALUES (?, ?, ?, 'pod', 'ws', 'p', 'Job/x', 'Job', "
        "'x', 'shared', 'training', 'batch', false, 'mg', ?, 1, ?, ?, ?, 0, 0, 0, 0, ?, ?)",
        [date(2026, 11, 24), f"u-{namespace}-{model}", namespace, model, hours, hours, hours, weight, price],
    )


def values(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[Any, ...]]:
    rows = con.execute(
        "SELECT finding_id, give_back_gpus, round(give_back_h100_hours_per_week, 3), "
        "round(give_back_cost_per_week, 3) FROM report_ticket_findings"
    ).fetchall()
    return {row[0]: tuple(row[1:]) for row in rows}


def test_every_rule_gets_one_give_back_value(con: duckdb.DuckDBPyConnection) -> None:
    # a reclaim-now ticket: its own recoverable H100-equivalent hours and money from the evidence
    finding(con, "idle", "idle_allocation", {"kind": "reclaim", "evidence": {
        "h100_equivalent_hours_recoverable_per_week": 155.52, "cost_recoverable_per_week": 972.0}},
        gpu_model="NVIDIA-A100", gpus=6, weekly=486.0)  # fmt: skip
    # a quota cut of 3696 headroom GPU-hours over 168 h: a Project that held A100s 3 h and H100s 1 h weighs 0.49
    used_gpus(con, "team-a", "NVIDIA-A100", 0.32, 2.0, 3.0)
    used_gpus(con, "team-a", "NVIDIA-H100", 1.0, 4.0, 1.0)
    finding(con, "quota", "quota_reclaim", {"kind": "reclaim", "quota_headroom_gpu_hours": 3696.0}, gpus=21)
    # the same headroom over a window of 84 h is twice as much per week; a Project that held nothing weighs 1.0
    finding(con, "quota-half", "quota_reclaim", {"kind": "reclaim", "quota_headroom_gpu_hours": 84.0},
            namespace="team-idle", gpus=1, window_end=HALF_END)  # fmt: skip
    # a defrag that frees one node of 8 V100s: 8 GPUs x 168 h x 0.13; no price for V100
    finding(con, "defrag", "defragment", {"kind": "reclaim", "gpus_freed": 8.0, "whole_nodes_freed": 1},
            namespace="", workspace="cluster", gpu_model="Tesla-V100")  # fmt: skip
    # a defrag ticket written before gpus_freed: its reclaimable GPUs
    finding(con, "defrag-old", "defragment", {}, namespace="", workspace="cluster", gpu_model="NVIDIA-H100", gpus=8)
    # a waste report gives nothing back now
    finding(con, "ended", "idle_allocation", {"kind": "waste_report", "wasted_gpu_hours": 472.0},
            gpu_model="NVIDIA-H100", weekly=472.0)  # fmt: skip
    weight = (3 * 0.32 + 1 * 1.0) / 4
    price = (3 * 2.0 + 1 * 4.0) / 4  # the Project's priced GPU-hours
    assert values(con) == {
        "idle": (6.0, 155.52, 972.0),
        "quota": (21.0, round(3696.0 * weight, 3), round(3696.0 * price, 3)),
        "quota-half": (1.0, 168.0, None),
        "defrag": (8.0, round(8 * 168 * 0.13, 3), None),
        "defrag-old": (8.0, 1344.0, 5376.0),
        "ended": (0.0, 0.0, None),
    }


def test_the_view_reads_the_ticket_fields(con: duckdb.DuckDBPyConnection) -> None:
    finding(con, "idle", "idle_allocation", {
        "kind": "reclaim", "owner": "alice", "owner_channel": "#a", "acknowledged": True,
        "acknowledged_until": "2026-12-15", "change": "kubectl -n team-a delete job/x", "action": "Release",
        "summary": "idles", "evidence": {"mean_activity": 0.004}, "insufficient_data": False})  # fmt: skip
    finding(con, "old", "idle_allocation", {"action": "Release"})  # written before issue 14's fields
    finding(con, "defrag", "defragment", {"kind": "reclaim"}, namespace="", workspace="cluster")
    rows = {
        row[0]: row[1:]
        for row in con.execute(
            "SELECT finding_id, kind, finding_kind, owner, owner_channel, acknowledged, acknowledged_until, change, "
            "action, summary, evidence_json, cluster_level, insufficient_data FROM report_ticket_findings"
        ).fetchall()
    }
    assert rows["idle"] == ("reclaim", "reclaim", "alice", "#a", True, date(2026, 12, 15),
                            "kubectl -n team-a delete job/x", "Release", "idles", '{"mean_activity":0.004}', False,
                            False)  # fmt: skip
    assert rows["old"] == (None, "reclaim", None, None, None, None, None, "Release", None, None, False, False)
    assert rows["defrag"][-2] is True  # workspace 'cluster', no namespace: the overview's
