"""What Grafana's file provisioning needs from every dashboard (Grafana itself cannot be installed here), and that
no dashboard query or alert rule names a metric the write-back does not produce."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from gpu_reclaim.core.config import MetricNames
from gpu_reclaim.core.writeback_series import metric_names

from tests.writeback.conftest import GRAFANA

DASHBOARDS = sorted((GRAFANA / "dashboards").glob("*.json"))
_METRIC = re.compile(r"\bgpu_reclaim_[A-Za-z0-9_]+")
_VARIABLE = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)")
_BUILTIN = {"__interval", "__rate_interval", "__range", "__range_s", "__from", "__to"}


def _load(path: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


def test_the_three_dashboards_exist() -> None:
    assert {path.name for path in DASHBOARDS} == {
        "gpu-reclaim-overview.json",
        "gpu-reclaim-workspace.json",
        "gpu-reclaim-fragmentation.json",
    }


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda path: path.name)
def test_a_dashboard_has_what_provisioning_requires(path: Path) -> None:
    dashboard = _load(path)
    assert re.fullmatch(r"[a-z0-9-]{1,40}", dashboard["uid"])
    assert dashboard["title"].strip()
    assert isinstance(dashboard["schemaVersion"], int) and dashboard["schemaVersion"] >= 30
    assert "id" not in dashboard or dashboard["id"] is None  # a provisioned dashboard must not pin a database id
    variables = {variable["name"]: variable for variable in dashboard["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource" and variables["datasource"]["query"] == "prometheus"
    assert "report_base_url" in variables
    panels = dashboard["panels"]
    assert panels
    ids = [panel["id"] for panel in panels]
    assert len(set(ids)) == len(ids)
    for panel in panels:
        grid = panel["gridPos"]
        assert {"x", "y", "w", "h"} <= grid.keys() and grid["x"] >= 0 and grid["x"] + grid["w"] <= 24
        assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
        assert panel["targets"], panel["title"]
        for target in panel["targets"]:
            assert target["expr"].strip() and target["refId"]
            assert target["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
            used = set(_VARIABLE.findall(target["expr"])) - _BUILTIN
            assert used <= variables.keys(), (panel["title"], used - variables.keys())
        for link in panel.get("links", []):
            assert link["url"].startswith("${report_base_url}/")


def test_no_two_dashboards_share_a_uid() -> None:
    uids = [_load(path)["uid"] for path in DASHBOARDS]
    assert len(set(uids)) == len(uids)


def _queries() -> list[tuple[str, str]]:
    found = []
    for path in DASHBOARDS:
        dashboard = _load(path)
        for panel in dashboard["panels"]:
            found += [(f"{path.name}: {panel['title']}", target["expr"]) for target in panel["targets"]]
        for variable in dashboard["templating"]["list"]:
            if variable["type"] == "query":
                found.append((f"{path.name}: ${variable['name']}", variable["query"]["query"]))
    rules = yaml.safe_load((GRAFANA / "alerts.yml").read_text(encoding="utf-8"))
    found += [(rule["alert"], rule["expr"]) for group in rules["groups"] for rule in group["rules"]]
    return found


LIVE_ALERTS = ("GpuReclaimBusyLookingIdleGpu",)


def test_no_query_names_a_metric_the_write_back_does_not_produce() -> None:
    produced = metric_names()
    named = set()
    for where, expr in _queries():
        metrics = set(_METRIC.findall(expr))
        if where in LIVE_ALERTS:  # on the raw dcgm-exporter series, none of the write-back's
            assert not metrics and set(re.findall(r"\bDCGM_FI_[A-Z_]+", expr)) <= set(MetricNames().dcgm().values())
            continue
        assert metrics, f"{where} names no gpu_reclaim_* metric"
        assert metrics <= produced, f"{where} names {sorted(metrics - produced)}"
        named |= metrics
    unused = produced - named
    assert not unused, f"written but shown nowhere: {sorted(unused)}"


def test_provisioning_files() -> None:
    provider = yaml.safe_load((GRAFANA / "provisioning" / "dashboards.yaml").read_text(encoding="utf-8"))
    assert provider["apiVersion"] == 1 and provider["providers"][0]["type"] == "file"
    assert provider["providers"][0]["options"]["path"]
    datasources = yaml.safe_load((GRAFANA / "provisioning" / "datasources.yaml").read_text(encoding="utf-8"))
    assert datasources["datasources"][0]["type"] == "prometheus"


def test_alert_rules_are_prometheus_rule_format() -> None:
    rules = yaml.safe_load((GRAFANA / "alerts.yml").read_text(encoding="utf-8"))
    names = {rule["alert"] for group in rules["groups"] for rule in group["rules"]}
    assert names == {
        "GpuReclaimWorkspaceLowEfficiency",
        "GpuReclaimPendingPodsBlockedByFragmentation",
        "GpuReclaimPipelineStale",
        "GpuReclaimPipelineAbsent",
        *LIVE_ALERTS,
    }
    for group in rules["groups"]:
        for rule in group["rules"]:
            assert rule.keys() <= {"alert", "expr", "for", "labels", "annotations"}
            assert rule["labels"]["severity"] in {"warning", "critical"} and rule["annotations"]["summary"]
