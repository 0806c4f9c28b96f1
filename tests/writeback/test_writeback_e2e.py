"""End to end against the session's real VictoriaMetrics: the demo's days written back, every dashboard panel's
query answered, a panel's value equal to DuckDB's figure, and re-runs that leave one run's values."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import httpx
import pytest
from gpu_reclaim.core.warehouse import Warehouse
from gpu_reclaim.core.writeback import write_back
from gpu_reclaim.core.writeback_series import LAST_SUCCESS, STAGE_METRICS

from tests.writeback.conftest import (
    CLUSTER,
    GRAFANA,
    Written,
    copy_db,
    export,
    midnight,
    query,
    query_range,
    run_days,
    series_count,
)

pytestmark = pytest.mark.e2e

_LABEL_VALUES = re.compile(r"^label_values\((?P<selector>.+),\s*(?P<label>[A-Za-z_][A-Za-z0-9_]*)\)$")


def _dashboards() -> dict[str, dict[str, Any]]:
    return {path.name: json.loads(path.read_text()) for path in sorted((GRAFANA / "dashboards").glob("*.json"))}


def _fill(expr: str, values: dict[str, str]) -> str:
    for name, value in values.items():
        expr = expr.replace(f"${{{name}}}", value).replace(f"${name}", value)
    assert "$" not in expr, f"a template variable left unfilled in {expr}"
    return expr


def _variables(written: Written) -> dict[str, str]:
    """Template variable values of the demo: its cluster, its worst Workspace and its largest Machine Group."""
    with duckdb.connect(str(written.db), read_only=True) as con:
        workspace = con.execute(
            "SELECT workspace FROM workspace_usage_daily GROUP BY workspace ORDER BY avg(efficiency) LIMIT 1"
        ).fetchone()
        group = con.execute(
            "SELECT machine_group FROM nodes GROUP BY machine_group ORDER BY sum(gpu_allocatable) DESC LIMIT 1"
        ).fetchone()
    assert workspace and group
    return {"cluster": CLUSTER, "workspace": str(workspace[0]), "machine_group": str(group[0])}


def test_every_panel_query_returns_data(written: Written) -> None:
    values = _variables(written)
    # a range past now: the write-back's last-success samples are seconds old, later than the last hourly step
    start, end = midnight(written.days[0]), datetime.now(UTC) + timedelta(hours=2)
    checked = 0
    for name, dashboard in _dashboards().items():
        for variable in dashboard["templating"]["list"]:
            if variable["type"] != "query":
                continue
            match = _LABEL_VALUES.match(variable["query"]["query"])
            assert match, (name, variable["name"])
            params = {"match[]": _fill(match["selector"], values), "start": f"{start.timestamp():.0f}"}
            response = httpx.get(f"{written.url}/api/v1/label/{match['label']}/values", params=params, timeout=30)
            assert response.json()["data"], (name, variable["name"], "no values")
        for panel in dashboard["panels"]:
            for target in panel["targets"]:
                result = query_range(written.url, _fill(target["expr"], values), start, end)
                points = [float(value) for series in result for _, value in series["values"]]
                assert points, f"{name}: panel '{panel['title']}' target {target['refId']} returned no data"
                checked += 1
    assert checked >= 25


def test_a_panel_value_for_one_hour_equals_the_duckdb_figure(written: Written) -> None:
    overview = _dashboards()["gpu-reclaim-overview.json"]
    panel = next(p for p in overview["panels"] if p["title"] == "Allocated, used and idle GPUs")
    day = written.days[1]
    hour = midnight(day) + timedelta(hours=14)
    with duckdb.connect(str(written.db), read_only=True) as con:
        row = con.execute(
            "SELECT sum(allocated_gpu_hours), sum(used_gpu_hours), sum(idle_gpu_hours) FROM project_usage_hourly "
            "WHERE hour = $hour",
            {"hour": hour.replace(tzinfo=None)},
        ).fetchone()
    assert row and row[0] > 0
    for target, expected in zip(panel["targets"], row, strict=True):
        result = query(written.url, _fill(target["expr"], {"cluster": CLUSTER}), hour)
        assert len(result) == 1, (target["expr"], result)
        assert float(result[0]["value"][1]) == pytest.approx(expected, rel=1e-9), target["legendFormat"]


def test_the_workspace_daily_efficiency_equals_the_reports_figure(written: Written) -> None:
    with duckdb.connect(str(written.db), read_only=True) as con:
        rows = con.execute(
            "SELECT day, workspace, efficiency FROM workspace_usage_daily WHERE day = $day", {"day": written.days[0]}
        ).fetchall()
    at = midnight(written.days[0]) + timedelta(hours=9)
    result = query(written.url, f'gpu_reclaim_workspace_daily_efficiency{{cluster="{CLUSTER}"}}', at)
    got = {series["metric"]["workspace"]: float(series["value"][1]) for series in result}
    assert got == pytest.approx({workspace: efficiency for _, workspace, efficiency in rows}, rel=1e-12)
    assert {series["metric"]["day"] for series in result} == {written.days[0].isoformat()}


def _day_export(written: Written, stage: str) -> dict[str, list[tuple[int, float]]]:
    day = written.days[1]
    names = "|".join(STAGE_METRICS[stage])
    lines = export(
        written.url,
        f'{{__name__=~"{names}",cluster="{CLUSTER}",day="{day.isoformat()}"}}',
        midnight(day) - timedelta(days=1),
        midnight(day) + timedelta(days=2),
    )
    return {
        json.dumps(line["metric"], sort_keys=True): list(zip(line["timestamps"], line["values"], strict=True))
        for line in lines
    }


def test_a_rerun_with_changed_values_leaves_only_the_new_values(written: Written, tmp_path: Path) -> None:
    """Day 2 written again from a database whose allocations doubled: the server holds the new values, one sample
    per hour; then the pipeline re-run of that day from the source brings back the first run's values exactly."""
    day = written.days[1]
    before = _day_export(written, "usage")
    assert before and all(len({stamp for stamp, _ in points}) == len(points) for points in before.values())
    db = copy_db(written, tmp_path)
    with duckdb.connect(str(db)) as con:
        con.execute("UPDATE pod_steps SET gpus_requested = gpus_requested * 2 WHERE day = $day", {"day": day})
    result = write_back(Warehouse(db), written.settings(), day)
    assert not result.failed and result.written
    changed = _day_export(written, "usage")
    allocated = {key: points for key, points in changed.items() if '"gpu_reclaim_allocated_gpus"' in key}
    assert allocated.keys() == {key for key in before if '"gpu_reclaim_allocated_gpus"' in key}
    for key, points in allocated.items():
        assert [stamp for stamp, _ in points] == [stamp for stamp, _ in before[key]], "one sample per hour"
        assert [value for _, value in points] == pytest.approx([2 * value for _, value in before[key]])
    at = midnight(day) + timedelta(hours=14)
    doubled = float(query(written.url, f'sum(gpu_reclaim_allocated_gpus{{cluster="{CLUSTER}"}})', at)[0]["value"][1])
    # the pipeline re-run of the day, from the unchanged source, into the real database: the first run's values
    summary = run_days(written.url, written.config, written.db, written.out, [day])
    assert not [w for w in summary.warnings if "write-back" in w]
    assert _day_export(written, "usage") == before
    again = float(query(written.url, f'sum(gpu_reclaim_allocated_gpus{{cluster="{CLUSTER}"}})', at)[0]["value"][1])
    assert again == pytest.approx(doubled / 2)


def test_a_rerun_leaves_the_same_values_and_series(written: Written) -> None:
    start, end = midnight(written.days[0]), midnight(written.days[-1]) + timedelta(days=1)
    selector = f'{{__name__=~"gpu_reclaim_.+",cluster="{CLUSTER}",day!=""}}'
    exported = {stage: _day_export(written, stage) for stage in STAGE_METRICS}
    count = series_count(written.url, selector, start, end)
    result = write_back(Warehouse(written.db), written.settings(), written.days[1])
    assert not result.failed
    assert {stage: _day_export(written, stage) for stage in STAGE_METRICS} == exported
    assert series_count(written.url, selector, start, end) == count


def test_cardinality_of_the_demo(written: Written, capsys: pytest.CaptureFixture[str]) -> None:
    """Every series the write-back built is on the server, and no other: counted per metric and day."""
    start, end = midnight(written.days[0]), midnight(written.days[-1]) + timedelta(days=1)
    response = httpx.get(
        f"{written.url}/api/v1/series",
        params={"match[]": f'{{__name__=~"gpu_reclaim_.+",cluster="{CLUSTER}"}}', "start": f"{start.timestamp():.0f}"},
        timeout=30,
    )
    series = response.json()["data"]
    per_metric: dict[str, int] = {}
    for labels in series:
        per_metric[labels["__name__"]] = per_metric.get(labels["__name__"], 0) + 1
    assert per_metric.keys() == {name for names in STAGE_METRICS.values() for name in names} | {LAST_SUCCESS}
    assert per_metric[LAST_SUCCESS] == len(STAGE_METRICS)
    day_series = [labels for labels in series if "day" in labels]
    assert {labels["day"] for labels in day_series} == {day.isoformat() for day in written.days}
    with capsys.disabled():
        print(f"\nwrite-back series of the demo ({len(written.days)} days, cluster {CLUSTER}): {len(series)} in all")
        for name, count in sorted(per_metric.items()):
            print(f"  {name}: {count}")
    del end


def test_the_prometheus_text_format_imports_the_same_samples(written: Written, tmp_path: Path) -> None:
    """format = "prometheus" (/api/v1/import/prometheus) leaves the same series and values as the JSON lines."""
    settings = written.settings()
    config = settings.write_back.model_copy(update={"format": "prometheus", "cluster": "prom"})
    day = written.days[1]
    result = write_back(Warehouse(copy_db(written, tmp_path)), settings.model_copy(update={"write_back": config}), day)
    assert not result.failed
    start, end = midnight(day), midnight(day) + timedelta(days=1)

    def samples(cluster: str) -> dict[str, list[tuple[int, float]]]:
        lines = export(written.url, f'{{__name__=~"gpu_reclaim_.+",cluster="{cluster}",day="{day}"}}', start, end)
        return {
            json.dumps({**line["metric"], "cluster": ""}, sort_keys=True): sorted(
                zip(line["timestamps"], line["values"], strict=True)
            )
            for line in lines
        }

    json_samples, text_samples = samples(CLUSTER), samples("prom")
    assert text_samples.keys() == json_samples.keys() and len(text_samples) == result.series
    for key, points in text_samples.items():
        assert points == [(stamp, pytest.approx(value, rel=1e-15)) for stamp, value in json_samples[key]]
