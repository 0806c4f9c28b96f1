"""End to end against a real VictoriaMetrics: a pod annotated with a malformed `gpu-reclaim/snooze-until` and a
malformed `tickets.acknowledged` date in the config each give a data-quality row, shown in the overview's
data-quality table and its summary.json, while the tickets stay active (issue 14, "Acknowledge and snooze").

Its own LocalVictoriaMetrics (not the session one, which other tests fill with demo days)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from gpu_reclaim.pipelines.cli_common import resources as cli_resources
from gpu_reclaim.pipelines.definitions import DAILY_ASSETS, WEEKLY_ASSETS
from gpu_reclaim.pipelines.runner import run_pipeline

from tests.private_servers import server_with_lines
from tests.sql.helpers import DAY, DayFixture

pytestmark = pytest.mark.e2e

MINUTES = list(range(0, 360))  # six hours, idle to the end of the data
ANNOTATION = "annotation_gpu_reclaim_snooze_until"


def series() -> list[bytes]:
    """Two idle pods on one node, one of them snoozed with a date that is not one."""
    day = DayFixture()
    for index, pod in enumerate(("train-bad-date", "train-plain")):
        day.running_pod(f"u-{pod}", pod, MINUTES, gpus=1, namespace="team-a")
        day.gpu("DCGM_FI_DEV_GPU_UTIL", [0.0] * len(MINUTES), MINUTES, gpu=str(index), UUID=f"GPU-{index}",
                namespace="team-a", pod=pod)  # fmt: skip
    day.series({"__name__": "kube_pod_annotations", "namespace": "team-a", "pod": "train-bad-date",
                "uid": "u-train-bad-date", ANNOTATION: "2026-13-45"}, [1.0] * len(MINUTES), MINUTES)  # fmt: skip
    return [*day.dcgm, *day.kube_state]


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    workdir = tmp_path_factory.mktemp("snooze")
    with server_with_lines(series()) as server:
        config = workdir / "config.toml"
        config.write_text('step_seconds = 60\n[tickets.acknowledged]\n"some-ticket" = "next friday"\n', "utf-8")
        resources = cli_resources(config, server.url, workdir / "run.duckdb", workdir / "out", lock_timeout=60)
        run_pipeline(DAILY_ASSETS, WEEKLY_ASSETS, resources, [DAY])  # type: ignore[arg-type]
    yield workdir / "out"


def test_malformed_snooze_dates_reach_the_overviews_data_quality_table(run: Path) -> None:
    overview = json.loads((run / "reports" / "summary.json").read_text("utf-8"))
    rows = {(row["stage"], row["rule"], row["metric"]): row["affected"] for row in overview["data_quality"]}
    assert rows[("ticket_labels", "snooze_date_malformed", ANNOTATION)] == 1  # one pod, one day
    assert rows[("tickets", "snooze_date_malformed", "tickets.acknowledged")] == 1
    page = (run / "reports" / "index.html").read_text("utf-8")
    table = page[page.index('<table id="data-quality-table"') : page.index("</table>", page.index("data-quality"))]
    assert len(re.findall(r"<td>snooze_date_malformed</td>", table)) == 2
    # the tickets stay active: the malformed date acknowledges nothing
    tickets = [json.loads(line) for line in (run / "tickets.jsonl").read_text("utf-8").splitlines()]
    bad = [t for t in tickets if t["workload"].endswith("train-bad-date")]
    assert bad and not any(t["acknowledged"] for t in bad)
