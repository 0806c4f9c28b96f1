"""Faults between the export and VictoriaMetrics: every fault is retried, then either recovers completely or fails
clearly; a refusal as too large is split by selector, then by time, and the result is complete. (The pipeline's faults
are in test_faults_pipeline.py, interrupts in test_interrupts.py.)"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from gpu_reclaim.core.config import Settings, VictoriaMetricsConfig
from gpu_reclaim.core.extract import DayWindow, dcgm_selectors, export_day
from gpu_reclaim.core.victoria import FatalSourceError, SourceError, TooManySeriesError, VictoriaMetricsClient
from gpu_reclaim.core.vmserver import LocalVictoriaMetrics

from tests.reliability.conftest import (
    FIRST_DAYS,
    START,
    Demo,
    samples_of,
    settings_for,
)
from tests.reliability.proxy import FaultProxy

pytestmark = pytest.mark.e2e

DAY = FIRST_DAYS[1]


def export_lines(settings: Settings, path: Path, selectors: list[str] | None = None) -> list[bytes]:
    with VictoriaMetricsClient(settings.victoria_metrics) as client:
        export_day(client, selectors or dcgm_selectors(settings), DayWindow(DAY), path)
    return sorted(path.read_bytes().splitlines())


@pytest.fixture(scope="module")
def clean_export(demo: Demo, tmp_path_factory: pytest.TempPathFactory) -> list[bytes]:
    lines = export_lines(settings_for(demo.url), tmp_path_factory.mktemp("clean") / "dcgm.jsonl")
    assert len(lines) > 100
    return lines


# -- the export: every fault is retried, then either recovers completely or fails clearly --------------------------

RECOVERABLE = [
    ("refuse", {}),
    ("status", {"status_code": 503}),
    ("status", {"status_code": 500}),
    ("cut", {"cut_after_bytes": 300_000}),
    ("cut", {"cut_after_bytes": 300_000, "cut_at_line_boundary": False}),
    ("short_length", {}),
    ("truncated_line", {"cut_after_bytes": 300_000}),
    ("garbage", {}),
    ("delay", {"delay_seconds": 600}),
]


@pytest.mark.parametrize(("mode", "options"), RECOVERABLE, ids=[f"{m}-{i}" for i, (m, _) in enumerate(RECOVERABLE)])
def test_fault_then_recovery_gives_the_complete_export(
    proxy: FaultProxy, clean_export: list[bytes], tmp_path: Path, mode: str, options: dict[str, Any]
) -> None:
    """Two faulted answers, then the real one: the result equals an export without faults, line for line."""
    proxy.arm(mode, fail_times=2, **options)
    lines = export_lines(settings_for(proxy.url, timeout_seconds=1.0), tmp_path / "dcgm.jsonl")
    assert lines == clean_export
    assert [seen.faulted for seen in proxy.exports_seen()] == [mode, mode, None]


@pytest.mark.timeout(120)  # a hang past the configured limits fails here instead of blocking the suite
@pytest.mark.parametrize(("mode", "options"), RECOVERABLE, ids=[f"{m}-{i}" for i, (m, _) in enumerate(RECOVERABLE)])
def test_persistent_fault_fails_after_bounded_retries(
    proxy: FaultProxy, tmp_path: Path, mode: str, options: dict[str, Any]
) -> None:
    proxy.arm(mode, **options)
    destination = tmp_path / "dcgm.jsonl"
    with pytest.raises(SourceError) as raised:
        export_lines(settings_for(proxy.url, retries=2, timeout_seconds=1.0), destination)
    message = str(raised.value)
    assert proxy.url in message and "after 3 attempts" in message and "check" in message
    assert "\n" not in message
    assert len(proxy.exports_seen()) == 3
    assert not destination.exists() or destination.read_bytes() == b""


@pytest.mark.timeout(120)
def test_a_server_that_trickles_is_cut_off_at_the_export_deadline(proxy: FaultProxy, tmp_path: Path) -> None:
    """Bytes keep coming, so no read times out: the per-export deadline ends it, then the retries."""
    proxy.arm("trickle", delay_seconds=0.5)
    with pytest.raises(SourceError, match="export_deadline_seconds"):
        export_lines(settings_for(proxy.url, retries=1, export_deadline_seconds=1.0), tmp_path / "d.jsonl")
    assert len(proxy.exports_seen()) == 2


def test_a_cut_at_a_line_boundary_without_framing_is_refused(proxy: FaultProxy, tmp_path: Path) -> None:
    """An HTTP/1.0-style body (no chunks, no length) cut between two lines looks complete: it is refused outright
    (found by this suite: before, 11 of 200 series were kept as if they were the whole answer)."""
    proxy.arm("cut_unframed", cut_after_bytes=300_000)
    with pytest.raises(FatalSourceError, match="chunked framing or a Content-Length"):
        export_lines(settings_for(proxy.url), tmp_path / "d.jsonl")
    assert len(proxy.exports_seen()) == 1  # not worth retrying


def test_refused_credentials_fail_at_once(proxy: FaultProxy, tmp_path: Path) -> None:
    proxy.arm("status", status_code=401, status_body=b"Unauthorized")
    with pytest.raises(FatalSourceError, match="credentials"):
        export_lines(settings_for(proxy.url), tmp_path / "d.jsonl")
    assert len(proxy.exports_seen()) == 1


def test_backoff_doubles_and_is_capped() -> None:
    from gpu_reclaim.core.retry import MAX_BACKOFF_SECONDS, RetryPolicy

    assert MAX_BACKOFF_SECONDS == 60.0
    # the worst case a config can ask for stays bounded: 10 retries of at most 60 s each
    config = VictoriaMetricsConfig(retries=10, backoff_seconds=60)
    policy = RetryPolicy(config.retries, config.backoff_seconds)
    waits: list[float] = []
    with pytest.raises(OSError):
        for attempt in policy.retrying(lambda error: isinstance(error, OSError), sleep=waits.append):
            with attempt:
                raise OSError("refused")
    assert waits == [60.0] * 10 and sum(waits) == 600
    doubling = RetryPolicy(5, 1.0)
    waits.clear()
    with pytest.raises(OSError):
        for attempt in doubling.retrying(lambda error: isinstance(error, OSError), sleep=waits.append):
            with attempt:
                raise OSError("refused")
    assert waits == [1.0, 2.0, 4.0, 8.0, 16.0] == [doubling.wait_before_retry(n) for n in range(1, 6)]


# -- too large: split by selector, then by time, and the result is complete ----------------------------------------


def test_refused_as_too_large_is_split_and_complete(
    proxy: FaultProxy, clean_export: list[bytes], tmp_path: Path
) -> None:
    proxy.arm("too_large", max_selectors=1, max_span_seconds=6 * 3600)
    lines = export_lines(settings_for(proxy.url), tmp_path / "dcgm.jsonl")
    exports = proxy.exports_seen()
    passed = [seen for seen in exports if seen.faulted is None]
    assert all(len(seen.form["match[]"]) == 1 for seen in passed)
    assert len(passed) >= len(dcgm_selectors(settings_for(proxy.url))) * 4
    # time splits cut series into pieces: compare samples, not lines
    assert samples_of(lines) == samples_of(clean_export)


@pytest.fixture(scope="module")
def limited_vm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LocalVictoriaMetrics, list[bytes]]]:
    """A real server with tight -search.* limits, holding a small hand-made day (24 GPUs, 8 metrics, 300 s)."""
    from gpu_reclaim.core.victoria import series_json_line

    settings = settings_for("http://unused")
    start_ms = int(START.timestamp() * 1000) + 86_400_000
    lines = []
    for gpu in range(24):
        for metric in settings.metrics.dcgm().values():
            labels = {"__name__": metric, "Hostname": f"node-{gpu // 8}", "gpu": str(gpu % 8), "UUID": f"GPU-{gpu}"}
            stamps = [start_ms + 300_000 * i + 15_000 for i in range(288)]
            lines.append(series_json_line(labels, [float((gpu + i) % 100) for i in range(288)], stamps))
    with LocalVictoriaMetrics(extra_args=("-search.maxSamplesPerQuery=20000", "-search.maxExportSeries=30")) as vm:
        with VictoriaMetricsClient(VictoriaMetricsConfig(url=vm.url)) as client:
            client.import_jsonl(lines)
        yield vm, sorted(lines)


def test_the_real_servers_limits_are_recognised_and_split(
    limited_vm: tuple[LocalVictoriaMetrics, list[bytes]], tmp_path: Path
) -> None:
    """VictoriaMetrics 1.79 answers HTTP 400 (not 422) for -search.maxSamplesPerQuery / maxExportSeries; before this
    suite that was retried as a transient failure and then failed the day. Now it is split until it passes."""
    vm, imported = limited_vm
    lines = export_lines(settings_for(vm.url), tmp_path / "dcgm.jsonl")
    assert samples_of(lines) == samples_of(imported)


def test_a_limit_no_split_can_meet_is_one_clear_error(
    limited_vm: tuple[LocalVictoriaMetrics, list[bytes]], tmp_path: Path
) -> None:
    vm, _ = limited_vm
    with pytest.raises(TooManySeriesError) as raised:
        export_lines(settings_for(vm.url), tmp_path / "d.jsonl", selectors=['{__name__=~"DCGM_.*"}'])
    assert vm.url in str(raised.value)
    assert "exceeds 30" in str(raised.value) and "remoteAddr" not in str(raised.value)
