"""Malformed snooze dates counted in data_quality (issue 14): a pod annotation `gpu-reclaim/snooze-until` that is
not YYYY-MM-DD (sql/insert_snooze_data_quality.sql, at ingest) and a config `tickets.acknowledged` date that is not
(store/snooze_quality.py, at evaluation); the overview's data-quality query lists both."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import duckdb
from gpu_reclaim.core.config import Settings
from gpu_reclaim.core.warehouse import fetch_records
from gpu_reclaim.store.snooze_quality import malformed_snooze_dates, record_config_snooze_quality

from tests.sql.helpers import DAY, STEP, DayFixture

MINUTES = list(range(0, 60))
ANNOTATION = "annotation_gpu_reclaim_snooze_until"
# pod -> its annotation: two malformed (a month 13, a word), one padded but valid, one valid; the last pod has none
SNOOZES = {"p-month13": "2026-13-01", "p-word": "next week", "p-padded": " 2026-12-15 ", "p-good": "2026-12-15"}


def day_with_snoozes() -> DayFixture:
    day = DayFixture()
    for index, pod in enumerate([*SNOOZES, "p-none"]):
        ident = {"namespace": "team-a", "pod": pod, "uid": f"u-{pod}"}
        day.running_pod(ident["uid"], pod, MINUTES, gpus=1, namespace="team-a")
        day.gpu("DCGM_FI_DEV_GPU_UTIL", [0.0] * len(MINUTES), MINUTES, gpu=str(index), UUID=f"GPU-{index}",
                namespace="team-a", pod=pod)  # fmt: skip
        if pod in SNOOZES:
            day.series({"__name__": "kube_pod_annotations", **ident, ANNOTATION: SNOOZES[pod]}, [1.0], [0])
    return day


def quality(con: duckdb.DuckDBPyConnection) -> list[tuple[object, ...]]:
    return con.execute(
        "SELECT day, stage, rule, metric, affected FROM data_quality WHERE rule = 'snooze_date_malformed' ORDER BY ALL"
    ).fetchall()


def test_a_malformed_snooze_annotation_is_counted_per_day(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    settings = Settings(step_seconds=STEP)
    day_with_snoozes().load(con, settings, tmp_path)
    assert quality(con) == [(DAY, "ticket_labels", "snooze_date_malformed", ANNOTATION, 2)]
    # the day loaded again replaces its count, never adds to it
    day_with_snoozes().load(con, settings, tmp_path)
    assert quality(con) == [(DAY, "ticket_labels", "snooze_date_malformed", ANNOTATION, 2)]


def test_a_day_of_valid_snoozes_writes_no_row(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    day = DayFixture()
    day.running_pod("u-1", "p-1", MINUTES, gpus=1, namespace="team-a")
    day.series({"__name__": "kube_pod_annotations", "namespace": "team-a", "pod": "p-1", "uid": "u-1",
                ANNOTATION: "2026-12-15"}, [1.0], [0])  # fmt: skip
    day.load(con, Settings(step_seconds=STEP), tmp_path)
    assert quality(con) == []


def test_malformed_config_dates_are_counted_on_the_evaluation_day(con: duckdb.DuckDBPyConnection) -> None:
    acknowledged = {"idle-1": "2026-12-15", "idle-2": "15/12/2026", "idle-3": "2026-02-30"}
    assert malformed_snooze_dates(acknowledged) == 2
    assert record_config_snooze_quality(con, acknowledged, DAY) == 2
    assert record_config_snooze_quality(con, acknowledged, DAY) == 2  # replaced, not added
    assert quality(con) == [(DAY, "tickets", "snooze_date_malformed", "tickets.acknowledged", 2)]
    record_config_snooze_quality(con, {"idle-1": "2026-12-15"}, DAY)  # fixed: the day's row goes away
    assert quality(con) == []


def test_the_overview_lists_both_counts(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    day_with_snoozes().load(con, Settings(step_seconds=STEP), tmp_path)
    record_config_snooze_quality(con, {"idle-2": "soon"}, DAY)
    params = {"window_start": DAY, "window_end": DAY + timedelta(days=1)}
    rows = fetch_records(con, "report_overview_data_quality.sql", params)
    assert {(row["stage"], row["rule"], row["metric"], row["affected"]) for row in rows} >= {
        ("ticket_labels", "snooze_date_malformed", ANNOTATION, 2),
        ("tickets", "snooze_date_malformed", "tickets.acknowledged", 1),
    }
