"""Writing the reports: safe unique folder names, atomic writes, empty windows and databases, the chart JSON that
cannot close a script, the change from the previous window as text."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import duckdb
import pytest
from gpu_reclaim.core.config import Settings
from gpu_reclaim.core.warehouse import prepare_connection
from gpu_reclaim.reports.build import atomic_write, build_reports, default_window, slugify
from gpu_reclaim.reports.charts import figure_json, quota_chart
from gpu_reclaim.reports.models import ProjectReport
from gpu_reclaim.reports.render import change

from tests.unit.report_fixture import (
    WINDOW_END,
    WINDOW_START,
)


@pytest.mark.parametrize(
    "name", ["alpha-ws", "Bravo Team", "..", ".", "", "../../etc", "plotly.min.js", "index.html", "a/b", "ü"]
)
def test_slugs_are_safe_path_segments(name: str) -> None:
    slug = slugify(name)
    assert re.fullmatch(r"[a-z0-9_-]+", slug)
    assert slug not in {"index.html", "plotly.min.js"}


def test_slugs_are_unique() -> None:
    names = ["Team A", "team-a", "team a", "TEAM-A", "team_a"]
    assert len({slugify(name) for name in names}) == len(names)


def test_atomic_write_leaves_no_temp_file(tmp_path: Path) -> None:
    target = tmp_path / "x" / "summary.json"
    assert atomic_write(target, "{}") == 2
    assert atomic_write(target, '{"a": 1}') == 8
    assert target.read_text() == '{"a": 1}'
    assert [path.name for path in target.parent.iterdir()] == ["summary.json"]


def test_empty_window_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="empty"):
        build_reports(duckdb.connect(), Settings(), WINDOW_END, WINDOW_START, tmp_path)


def test_empty_database_gives_an_emptyoverview_files(tmp_path: Path) -> None:
    con = duckdb.connect()
    prepare_connection(con)
    index = build_reports(con, Settings(), WINDOW_START, WINDOW_END, tmp_path)
    assert index.workspaces == []
    assert "No Workspace held GPUs" in index.overview_html.read_text(encoding="utf-8")


def test_default_window_is_settings_days() -> None:
    assert default_window(Settings(), WINDOW_END) == (WINDOW_START, WINDOW_END)


def test_chart_json_cannot_close_a_script() -> None:
    project = ProjectReport(
        project="</script><script>alert(3)</script>",
        namespace="ns",
        allocated_gpu_hours=1,
        used_gpu_hours=1,
        idle_gpu_hours=0,
        low_use_gpu_hours=0,
        no_data_gpu_hours=0,
        efficiency=1,
        allocated_h100_equivalent_hours=1,
        idle_h100_equivalent_hours=0,
        gpu_hours_recoverable_per_week=0,
        peak_allocated_gpus=1,
        p95_allocated_gpus=1,
    )
    text = quota_chart([project])
    assert "<" not in text and ">" not in text
    assert "alert(3)" in json.dumps(json.loads(text))
    assert figure_json.__doc__


@pytest.mark.parametrize(
    ("current", "previous", "higher_is", "kind", "expected"),
    [
        (10.0, 8.0, "worse", "hours", ("▲ +2 (+25.0%)", "worse")),
        (6.0, 8.0, "worse", "hours", ("▼ -2 (-25.0%)", "better")),
        (1.0, 0.0, "better", "hours", ("▲ +1 (new)", "better")),
        (14885.0, 3764.5, "neutral", "hours", ("▲ +11,121 (+295.4%)", "same")),
        (0.5, 0.25, "better", "ratio", ("▲ +25.0 pp", "better")),
        (3.0, 3.0, "neutral", "hours", ("no change", "same")),
        (3.02, 3.0, "worse", "hours", ("no change", "same")),  # below what the page shows
        (None, 3.0, "neutral", "ratio", ("no comparison", "none")),
        (552.0, None, "worse", "hours", ("no previous data", "none")),  # the previous window holds no data
    ],
)
def test_change_from_previous_window(
    current: float | None, previous: float | None, higher_is: Any, kind: Any, expected: tuple[str, str]
) -> None:
    result = change(current, previous, higher_is, kind)
    assert (result.text, result.direction) == expected
