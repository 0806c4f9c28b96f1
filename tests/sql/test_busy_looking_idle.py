"""The busy-looking-idle step (sql/create_macros.sql `busy_looking_idle`) as a pure function: the published hang
signatures are caught, real work of every shape is not, and a missing figure gives "unknown" (NULL), never a
guess. Then the one definition in use: the usage tables and the rules count the same steps."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pytest
from gpu_reclaim.assets.stages import compute_usage
from gpu_reclaim.core.gpu_power import default_gpu_power, gpu_model_power
from gpu_reclaim.core.rule_settings import FakeBusySettings, RecommendationSettings
from gpu_reclaim.core.warehouse import prepare_connection, read_sql
from gpu_reclaim.store.recommendations import fetch_frame

from tests.unit.test_rules_builder import START, Cluster, at, by_rule, evaluate, settings

A100 = "NVIDIA A100-SXM4-80GB"
GB10 = "NVIDIA GB10"
H100 = "NVIDIA H100 80GB HBM3"
T4 = "Tesla T4"
JUDGE = "SELECT busy_looking_idle($activity, $sm, $tensor, $dram, $power, $idle, $max, $a, $p, $s, $h)"


@dataclass(frozen=True)
class Step:
    activity: float | None
    sm: float | None
    tensor: float | None
    dram: float | None
    power: float | None
    model: str | None = A100


def judge(step: Step, fake_busy: FakeBusySettings | None = None) -> bool | None:
    rules = fake_busy or FakeBusySettings()
    entry = gpu_model_power(default_gpu_power(), step.model)
    con = duckdb.connect()
    con.execute(read_sql("create_macros.sql"))
    row = con.execute(
        JUDGE,
        {
            "activity": step.activity,
            "sm": step.sm,
            "tensor": step.tensor,
            "dram": step.dram,
            "power": step.power,
            "idle": entry.idle_w if entry else None,
            "max": entry.max_w if entry else None,
            "a": rules.activity_min,
            "p": rules.profiling_max,
            "s": rules.sm_active_max,
            "h": rules.power_headroom,
        },
    ).fetchone()
    assert row is not None
    return None if row[0] is None else bool(row[0])


# A100 power limit: 55 + 0.15 × (400 − 55) = 106.75 W; H100: 70 + 0.15 × 630 = 164.5 W; GB10: 5 + 0.15 × 135 =
# 25.25 W; T4: 10 + 0.15 × 60 = 19 W.
@pytest.mark.parametrize(
    ("step", "expected"),
    [
        # published signatures of real hangs
        pytest.param(Step(1.0, 0.2, 0.0, 0.001, 70.0), True, id="A100 NCCL hang: util 100 %, ~70 W (nccl#968)"),
        pytest.param(Step(0.96, 0.15, 0.0, 0.004, 20.0, GB10), True, id="GB10-class: ~96 %, ~20 W"),
        pytest.param(Step(1.0, 0.3, 0.01, 0.01, 140.0, H100), True, id="H100 rank spinning in a collective"),
        pytest.param(Step(1.0, 0.12, 0.0, 0.0, 15.0, T4), True, id="T4 spinning under its own idle band"),
        pytest.param(Step(0.98, 0.01, 0.0, 0.0003, 65.0), True, id="synthetic busy loop (the old demo)"),
        pytest.param(Step(0.8, 0.35, 0.0199, 0.0199, 106.7), True, id="every condition at its bound"),
        # real work, or not busy-looking
        pytest.param(Step(0.95, 0.3, 0.01, 0.7, 250.0), False, id="memory-bound job (DRAM high)"),
        pytest.param(Step(0.9, 0.25, 0.01, 0.5, 95.0), False, id="memory-bound job at low power"),
        pytest.param(Step(0.15, 0.08, 0.05, 0.04, 80.0), False, id="inference server at low load"),
        pytest.param(Step(0.35, 0.1, 0.0, 0.01, 60.0), False, id="inference server idling between requests"),
        pytest.param(Step(0.97, 0.8, 0.45, 0.3, 350.0), False, id="healthy training step (tensor high)"),
        pytest.param(Step(0.9, 0.3, 0.3, 0.01, 100.0), False, id="tensor work at low power"),
        pytest.param(Step(0.99, 0.6, 0.0, 0.0, 90.0), False, id="SM busy above the spin ceiling (FP32 kernel)"),
        pytest.param(Step(1.0, 0.2, 0.0, 0.0, 150.0), False, id="A100 above its power limit"),
        pytest.param(Step(1.0, 0.2, 0.0, 0.0, 22.0, T4), False, id="T4 above its power limit"),
        pytest.param(Step(0.0, 0.0, 0.0, 0.0, 55.0), False, id="idle GPU"),
        pytest.param(Step(0.79, 0.2, 0.0, 0.0, 70.0), False, id="activity just under 0.8"),
        pytest.param(Step(1.0, 0.2, 0.02, 0.0, 70.0), False, id="tensor at the bound"),
        # insufficient data: never a guess
        pytest.param(Step(1.0, None, None, None, 70.0), None, id="no profiling metrics, looks busy"),
        pytest.param(Step(1.0, 0.2, 0.0, None, 70.0), None, id="no DRAM_ACTIVE"),
        pytest.param(Step(1.0, 0.2, 0.0, 0.0, None), None, id="no power"),
        pytest.param(Step(1.0, 0.2, 0.0, 0.0, 70.0, None), None, id="no power limits (model unknown, no samples)"),
        pytest.param(Step(None, 0.2, 0.0, 0.0, 70.0), None, id="no activity"),
        # ... unless a known condition already fails
        pytest.param(Step(0.2, None, None, None, 70.0), False, id="no profiling, not busy-looking"),
        pytest.param(Step(1.0, None, None, None, 300.0), False, id="no profiling, power far above idle"),
        pytest.param(Step(1.0, None, 0.4, None, 70.0), False, id="some profiling shows tensor work"),
    ],
)
def test_busy_looking_idle_step(step: Step, expected: bool | None) -> None:
    assert judge(step) is expected


def test_the_thresholds_are_the_settings() -> None:
    hang = Step(1.0, 0.3, 0.0, 0.0, 70.0)
    assert judge(hang) is True
    assert judge(hang, FakeBusySettings(sm_active_max=0.25)) is False
    assert judge(hang, FakeBusySettings(power_headroom=0.04)) is False  # 55 + 0.04 × 345 = 68.8 W
    assert judge(Step(0.85, 0.3, 0.0, 0.0, 70.0), FakeBusySettings(activity_min=0.9)) is False
    assert judge(Step(1.0, 0.3, 0.03, 0.0, 70.0), FakeBusySettings(profiling_max=0.05)) is True


def test_usage_and_rules_use_the_one_macro() -> None:
    for name in ("stage_held_gpu_steps.sql", "rules_create_gpu_steps.sql"):
        assert "busy_looking_idle(" in read_sql(name), name


def hang_cluster() -> Cluster:
    """One 2-GPU A100 pod: 3 h of hang, then 1 h of real training; a T4 pod of an unknown model name."""
    cluster = Cluster.one_node("ml")
    cluster.pod("ml", "trainer-0", "Job/trainer", category="training", gpus=2, end_h=4)
    for index in range(2):
        cluster.gpu(
            "ml",
            "trainer-0",
            f"GPU-{index}",
            end_h=4,
            activity=lambda h: 1.0 if h < 3 else 0.95,
            gpu_util=100.0,
            sm=lambda h: 0.2 if h < 3 else 0.8,
            tensor=lambda h: 0.0 if h < 3 else 0.5,
            dram=lambda h: 0.001 if h < 3 else 0.3,
            power_w=lambda h: 70.0 if h < 3 else 330.0,
            gpu_model=A100,
            gpu_index=index,
        )
    return cluster


def test_the_usage_tables_and_the_rule_count_the_same_steps() -> None:
    cluster = hang_cluster()
    con = cluster.load()
    compute_usage(con, settings(), START.date())
    usage = fetch_frame(con, "preview_workspace_usage_daily.sql", {"day": START.date(), "limit": 5})
    gpu_rows = con.execute(
        "SELECT gpu_uuid, busy_looking_idle_gpu_hours, used_gpu_hours, power_source, idle_power_w, max_power_w "
        "FROM pod_gpu_usage_daily ORDER BY gpu_uuid"
    ).fetchall()
    assert gpu_rows == [(f"GPU-{index}", 3.0, pytest.approx(0.95), "table", 55.0, 400.0) for index in range(2)]
    pod = con.execute("SELECT allocated_gpu_hours, used_gpu_hours, busy_looking_idle_gpu_hours FROM pod_usage_daily")
    assert pod.fetchall() == [(8.0, pytest.approx(1.9), 6.0)]
    workspace = con.execute(
        "SELECT used_gpu_hours, busy_looking_idle_gpu_hours, efficiency FROM workspace_usage_daily"
    ).fetchall()
    assert workspace == [(pytest.approx(1.9), 6.0, pytest.approx(1.9 / 8))]
    assert usage.height == 1
    unsuppressed = RecommendationSettings(suppressed_by={})
    findings = evaluate(cluster, hours=4, rules=unsuppressed)
    [finding] = by_rule(findings, "fake_busy")
    assert finding.evidence["fake_busy_gpu_hours"] == 6.0
    # both GPUs spin from the first step with no odd one out: a busy loop (fake_busy's), not a wedge
    assert by_rule(findings, "wedged_collective") == []
    assert finding.evidence["power_source"] == ["table"]
    assert finding.evidence["power_limit_w"] == [106.8, 106.8]


def test_an_unknown_model_takes_its_idle_power_from_its_own_low_percentile() -> None:
    cluster = Cluster()
    cluster.training_job(end_h=10)
    # 1 h of hang at 120 W, then 9 h of training at 700 W: p05 of its power = 120 W, peak 700 W
    # (limit 120 + 0.15 × 580 = 207 W): the hang is found without a table entry
    cluster.gpu(
        "ml",
        "p-0",
        "GPU-x",
        end_h=10,
        activity=1.0,
        sm=lambda h: 0.2 if h < 1 else 0.8,
        tensor=lambda h: 0.0 if h < 1 else 0.5,
        dram=lambda h: 0.0 if h < 1 else 0.3,
        power_w=lambda h: 120.0 if h < 1 else 700.0,
        gpu_model="NVIDIA B200",
    )
    con = cluster.load()
    compute_usage(con, settings(), START.date())
    assert con.execute(
        "SELECT busy_looking_idle_gpu_hours, power_source, idle_power_w, max_power_w FROM pod_gpu_usage_daily"
    ).fetchall() == [(1.0, "observed_p05", 120.0, 700.0)]


def test_without_profiling_the_usage_counts_nothing_and_the_rule_says_insufficient_data() -> None:
    cluster = Cluster()
    cluster.training_job(end_h=3)
    cluster.gpu("ml", "p-0", "GPU-v", end_h=3, gpu_util=100.0, power_w=30.0, gpu_model="Tesla V100-PCIE-32GB")
    con = cluster.load()
    compute_usage(con, settings(), START.date())
    assert con.execute("SELECT used_gpu_hours, busy_looking_idle_gpu_hours FROM pod_gpu_usage_daily").fetchall() == [
        (3.0, 0.0)
    ]
    [record] = by_rule(evaluate(cluster, hours=3), "fake_busy")
    assert record.insufficient_data and not record.ticketable


def test_prepare_connection_defines_the_macro() -> None:
    con = duckdb.connect()
    prepare_connection(con)
    row = con.execute("SELECT busy_looking_idle(1.0, 0.2, 0.0, 0.0, 70.0, 55.0, 400.0, 0.8, 0.02, 0.35, 0.15)")
    assert row.fetchone() == (True,)
    assert at(1) > START
