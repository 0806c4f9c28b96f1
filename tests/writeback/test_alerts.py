"""grafana/alerts.yml evaluated by Debian's real vmalert against the session's VictoriaMetrics, notifying a local
Alertmanager-compatible endpoint: each alert fires when the written scores say so, and only then.

vmalert runs live (its groups at a 1 s interval instead of 5 m; the expressions untouched). The rules look back
over windows (3 days, 26 hours) because the scores are written once a day at the hours they describe; the demo's
days are the three before today, so a live evaluation sees them. (`vmalert -replay` would evaluate past ranges, but
it writes the ALERTS series to -remoteWrite.url and notifies no one, so it cannot test the notifier.)
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from gpu_reclaim.core.warehouse import Warehouse
from gpu_reclaim.core.writeback import write_back
from gpu_reclaim.core.writeback_series import STAGES

from tests.writeback.conftest import (
    CLUSTER,
    GRAFANA,
    AlertSink,
    Written,
    copy_db,
    fast_rules,
    run_vmalert,
    stop_vmalert,
)

pytestmark = pytest.mark.e2e

EFFICIENCY = "GpuReclaimWorkspaceLowEfficiency"
STALE = "GpuReclaimPipelineStale"
BLOCKED = "GpuReclaimPendingPodsBlockedByFragmentation"


def _best_daily_efficiency(written: Written) -> dict[str, float]:
    """Per Workspace present on all three days: its highest daily efficiency (the alert fires below it)."""
    with duckdb.connect(str(written.db), read_only=True) as con:
        rows = con.execute(
            "SELECT workspace, max(efficiency) FROM workspace_usage_daily WHERE efficiency IS NOT NULL "
            "GROUP BY workspace HAVING count(DISTINCT day) = 3 ORDER BY 2"
        ).fetchall()
    return {str(workspace): float(best) for workspace, best in rows}


def _write_days(written: Written, tmp_path: Path, threshold: float | None = None) -> None:
    """Write the three days back again, with another configured efficiency threshold when given."""
    settings = written.settings()
    if threshold is not None:
        config = settings.write_back.model_copy(update={"efficiency_threshold": threshold})
        settings = settings.model_copy(update={"write_back": config})
    db = copy_db(written, tmp_path)
    for day in written.days:
        assert not write_back(Warehouse(db), settings, day).failed


@pytest.fixture
def restore_written(written: Written, tmp_path: Path) -> Iterator[None]:
    """For a test that writes the demo's days back with another threshold: written back as configured after it."""
    yield
    _write_days(written, tmp_path)


def _evaluate(tmp_path: Path, written: Written, sink: AlertSink) -> None:
    vmalert = run_vmalert(fast_rules(tmp_path), written.url, sink.url, tmp_path)
    stop_vmalert(vmalert)


@pytest.mark.usefixtures("restore_written")
def test_the_efficiency_alert_fires_for_the_worst_workspace_only(
    written: Written, alert_sink: AlertSink, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    best = _best_daily_efficiency(written)
    assert len(best) >= 2, best
    (worst, worst_best), (_, second_best) = list(best.items())[:2]
    assert worst_best < second_best
    _write_days(written, tmp_path, (worst_best + second_best) / 2)
    _evaluate(tmp_path, written, alert_sink)
    fired = alert_sink.firing(EFFICIENCY)
    assert {(alert["labels"]["cluster"], alert["labels"]["workspace"]) for alert in fired} == {(CLUSTER, worst)}
    alert = fired[0]
    assert alert["labels"]["severity"] == "warning"
    assert worst in alert["annotations"]["summary"]
    assert alert["annotations"]["summary"].startswith(f"Workspace {worst} used at most {worst_best * 100:.4g}%")
    with capsys.disabled():
        print("\nwebhook payload of the efficiency alert:\n" + json.dumps(alert_sink.payloads[0], indent=2))


@pytest.mark.usefixtures("restore_written")
def test_no_efficiency_alert_above_the_threshold_and_the_fragmentation_alert_for_blocked_groups_only(
    written: Written, alert_sink: AlertSink, tmp_path: Path
) -> None:
    best = _best_daily_efficiency(written)
    _write_days(written, tmp_path, min(best.values()) * 0.9)
    _evaluate(tmp_path, written, alert_sink)
    assert alert_sink.firing(EFFICIENCY) == []
    # and the fragmentation alert fires exactly for the groups whose pods the scores counted as blocked by
    # fragmentation in the rule's 2-day window
    since = (datetime.now(UTC) - timedelta(days=2)).replace(tzinfo=None)
    with duckdb.connect(str(written.db), read_only=True) as con:
        blocked = con.execute(
            "SELECT DISTINCT machine_group FROM pending_demand "
            "WHERE blocked_by_fragmentation > 0 AND date_trunc('hour', snapshot_ts) > $since",
            {"since": since},
        ).fetchall()
    fired = {alert["labels"]["machine_group"] for alert in alert_sink.firing(BLOCKED)}
    assert fired == {str(group) for (group,) in blocked}


def test_the_staleness_alert_fires_when_the_last_write_back_is_older_than_26_hours(
    written: Written, alert_sink: AlertSink, tmp_path: Path
) -> None:
    """A second cluster whose last write-back was 27 hours ago fires for each stage; the demo's, written minutes
    ago, does not."""
    settings = written.settings()
    stale_settings = settings.model_copy(
        update={"write_back": settings.write_back.model_copy(update={"cluster": "stale"})}
    )
    db = copy_db(written, tmp_path)
    result = write_back(Warehouse(db), stale_settings, written.days[-1], now=datetime.now(UTC) - timedelta(hours=27))
    assert not result.failed
    _evaluate(tmp_path, written, alert_sink)
    fired = alert_sink.firing(STALE)
    assert {(alert["labels"]["cluster"], alert["labels"]["stage"]) for alert in fired} == {
        ("stale", stage) for stage in STAGES
    }
    assert all(alert["labels"]["severity"] == "critical" for alert in fired)
    assert re.search(r"has not written its scores for 1d (2h 59m|3h 0m)", fired[0]["annotations"]["summary"])


def test_the_rules_file_is_valid_for_vmalert() -> None:
    import subprocess

    binary = shutil.which("vmalert")
    assert binary
    run = subprocess.run(
        [binary, f"-rule={GRAFANA / 'alerts.yml'}", "-dryRun"], capture_output=True, text=True, timeout=60, check=False
    )
    assert run.returncode == 0 and "fatal" not in run.stdout + run.stderr, run.stdout + run.stderr
