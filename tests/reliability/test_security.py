"""Hostile input never runs as code and credentials never leak: PromQL label values are escaped (checked against the
real server), and a planted bearer token and sink token appear in no output, database byte or log line. (That SQL
values are bound is test_sql_scan.py.)"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import duckdb
import pytest
from gpu_reclaim.core.config import Settings, VictoriaMetricsConfig
from gpu_reclaim.core.victoria import VictoriaMetricsClient, escape_label_value, series_json_line, series_selector

from tests.cli import run_cli
from tests.reliability.conftest import DAY_TABLES, START, Demo, run_days, write_config
from tests.reliability.proxy import FaultProxy

REPO = Path(__file__).resolve().parents[2]

HOSTILE_VALUES = [
    'a"b', "a\\b", "a\nb", "a\\", '"}', '\\"', ".*", "a|b", 'x",v="a', "a\tb", "a\rb", "'a'", "`a`",
    "ü€😀", "a\u2028b", '{__name__="kube_pod_labels"}', "a\\nb", "a\\x41", "$(rm -rf /)", "a b", "",
]  # fmt: skip
DECOYS = ["a", "b", "ab", "a\\\\b", "x", "anb", "aAb"]


# -- PromQL: every label value is escaped, checked against the real server -----------------------------------------


@pytest.mark.e2e
def test_hostile_label_values_select_exactly_their_series(demo: Demo, tmp_path: Path) -> None:
    metric = "reliability_hostile_labels"
    stamp = int((START + timedelta(hours=1)).timestamp() * 1000)
    values = [v for v in HOSTILE_VALUES if v] + DECOYS
    lines = [series_json_line({"__name__": metric, "v": value}, [float(i)], [stamp]) for i, value in enumerate(values)]
    with VictoriaMetricsClient(VictoriaMetricsConfig(url=demo.url)) as client:
        client.import_jsonl(lines)
        prometheus = client.prometheus()
        for index, value in enumerate(values):
            selector = series_selector(metric, {"v": value})
            out = tmp_path / f"{index}.jsonl"
            client.export_jsonl([selector], START, START + timedelta(hours=2), out)
            exported = [json.loads(line) for line in out.read_bytes().splitlines()]
            assert [row["metric"]["v"] for row in exported] == [value], (value, selector)
            assert exported[0]["values"] == [float(index)]
            # the same selector through the PromQL query API
            result = prometheus.custom_query(f"count({selector})", params={"time": stamp / 1000})
            assert [float(r["value"][1]) for r in result] == [1.0], (value, selector)


def test_escape_covers_what_ends_or_bends_a_string() -> None:
    for value in HOSTILE_VALUES:
        escaped = escape_label_value(value)
        assert "\n" not in escaped
        assert re.fullmatch(r'(?:[^"\\]|\\.)*', escaped, re.S), value  # no bare quote, no dangling backslash


@pytest.mark.parametrize("key", ['a"b', "a}", "", "1a", "a-b", "a b", "a=b", "a\nb", "é"])
def test_label_names_are_checked_never_escaped(key: str) -> None:
    with pytest.raises(ValueError, match="not a valid label name"):
        series_selector("m", {key: "v"})


# -- credentials: a planted token reaches the server and nothing else ----------------------------------------------

VM_TOKEN = "planted-vm-token-6f1d2c9e8b7a"
SINK_TOKEN = "planted-sink-token-0a9b8c7d6e5f"


class _Hook(BaseHTTPRequestHandler):
    received: ClassVar[list[str]] = []

    def log_message(self, format: str, *args: object) -> None:
        return

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        _Hook.received.append(self.headers.get("Authorization", ""))
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")


@pytest.fixture(scope="module")
def token_run(demo: Demo, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """`gpu-reclaim run` over a full week through a proxy that requires the planted bearer token, with an enabled
    webhook sink that requires the planted sink token."""
    workdir = tmp_path_factory.mktemp("token-run")
    hook = ThreadingHTTPServer(("127.0.0.1", 0), _Hook)
    threading.Thread(target=hook.serve_forever, daemon=True).start()
    config = write_config(
        workdir / "config.toml",
        '[[recommendations.sinks]]\nname = "hook"\nkind = "webhook"\nenabled = true\n'
        f'url = "http://127.0.0.1:{hook.server_address[1]}/hook"\ntoken_env = "GPU_RECLAIM_TEST_SINK_TOKEN"\n'
        "retries = 0\n",
    )
    env = {**os.environ, "GPU_RECLAIM_VM_BEARER_TOKEN": VM_TOKEN, "GPU_RECLAIM_TEST_SINK_TOKEN": SINK_TOKEN}
    last = START.date() + timedelta(days=6)
    try:
        with FaultProxy(demo.url) as proxy:
            proxy.require_token(VM_TOKEN)
            without = run_cli("run", "--vm-url", proxy.url, "--start", str(START.date()), "--end", str(last),
                              "--db", str(workdir / "no.duckdb"), "--out", str(workdir / "no-out"),
                              "--config", str(config))  # fmt: skip
            done = run_cli("run", "--vm-url", proxy.url, "--start", str(START.date()), "--end", str(last),
                           "--db", str(workdir / "w.duckdb"), "--out", str(workdir / "out"),
                           "--config", str(config), env=env, timeout=1200)  # fmt: skip
            seen = proxy.seen
        yield {"without": without, "done": done, "seen": seen, "workdir": workdir, "hook": list(_Hook.received)}
    finally:
        hook.shutdown()
        hook.server_close()


@pytest.mark.e2e
@pytest.mark.slow
def test_the_proxy_really_requires_the_token(token_run: dict[str, Any]) -> None:
    without = token_run["without"]
    assert without.returncode != 0
    assert "401" in without.stderr and len(without.stderr.strip().splitlines()) == 1
    done = token_run["done"]
    assert done.returncode == 0, done.stderr[-3000:]
    assert all(seen.headers.get("Authorization") == f"Bearer {VM_TOKEN}" for seen in token_run["seen"][1:])
    assert f"Bearer {SINK_TOKEN}" in token_run["hook"]  # the sink was really called with its token


@pytest.mark.e2e
@pytest.mark.slow
def test_tokens_appear_in_no_output(token_run: dict[str, Any]) -> None:
    workdir: Path = token_run["workdir"]
    files = [path for path in workdir.rglob("*") if path.is_file()]
    assert any(path.suffix == ".duckdb" for path in files) and any(path.name == "index.html" for path in files)
    assert any(path.name == "tickets.jsonl" for path in files)
    for token in (VM_TOKEN, SINK_TOKEN):
        for path in files:  # the DuckDB file's bytes, the WAL if any, reports, tickets, configs
            assert token.encode() not in path.read_bytes(), path
        for stream in ("stdout", "stderr"):
            assert token not in getattr(token_run["done"], stream)
            assert token not in getattr(token_run["without"], stream)
    with duckdb.connect(str(workdir / "w.duckdb"), read_only=True) as con:
        for table in (*DAY_TABLES, "recommendations", "ticket_history", "ticket_deliveries"):
            for row in con.execute(f"SELECT * FROM {table}").fetchall():  # names from the constant above
                assert VM_TOKEN not in repr(row) and SINK_TOKEN not in repr(row)


@pytest.mark.e2e
def test_tokens_appear_in_no_log_record(
    demo: Demo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """In process, with every logger at DEBUG (httpx, httpcore, urllib3, dagster, ours) and a retried failure."""
    monkeypatch.setenv("GPU_RECLAIM_VM_BEARER_TOKEN", VM_TOKEN)
    caplog.set_level(logging.DEBUG)
    config = write_config(tmp_path / "c.toml", "[victoria_metrics]\nretries = 2\nbackoff_seconds = 0.05\n")
    with FaultProxy(demo.url) as proxy:
        proxy.require_token(VM_TOKEN)
        proxy.arm("status", fail_times=1, status_code=503)
        run_days(proxy.url, config, tmp_path / "w.duckdb", tmp_path / "out", [START.date()])
        assert any(seen.faulted for seen in proxy.seen)
    text = caplog.text + "\n".join(repr(record.__dict__) for record in caplog.records)
    assert "retrying" in text
    assert VM_TOKEN not in text
    settings = Settings(victoria_metrics=VictoriaMetricsConfig(url=demo.url))
    with VictoriaMetricsClient(settings.victoria_metrics) as client:
        assert VM_TOKEN not in repr(client) and VM_TOKEN not in repr(settings) and VM_TOKEN not in str(vars(settings))


# -- reports: a Workspace's pages name nothing of another Workspace -------------------------------------------------


@pytest.mark.e2e
@pytest.mark.slow
def test_every_workspace_report_is_isolated(token_run: dict[str, Any]) -> None:
    workdir: Path = token_run["workdir"]
    reports = workdir / "out" / "reports"
    with duckdb.connect(str(workdir / "w.duckdb"), read_only=True) as con:
        owned = con.execute(
            "SELECT workspace, list(DISTINCT namespace), list(DISTINCT project) FROM project_usage_daily "
            "GROUP BY workspace"
        ).fetchall()
        workloads = con.execute(
            "SELECT DISTINCT n.workspace, p.owner_name FROM pods p JOIN namespaces n USING (day, namespace) "
            "WHERE p.owner_name IS NOT NULL"
        ).fetchall()
    names: dict[str, set[str]] = {ws: {*namespaces, *projects} for ws, namespaces, projects in owned}
    for ws, workload in workloads:
        names.setdefault(ws, set()).add(workload)
    folders = {path.parent for path in reports.glob("*/summary.json")}
    assert len(folders) >= 3
    checked = 0
    for folder in folders:
        summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
        workspace = summary["workspace"]
        text = "\n".join(
            path.read_text(encoding="utf-8") for path in folder.rglob("*") if path.suffix in (".html", ".json")
        )
        mine = names.get(workspace, set())
        for other, theirs in names.items():
            if other == workspace:
                continue
            for name in theirs - mine:
                if name and len(name) >= 5:  # short names are substrings of ordinary words
                    assert not re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text), (workspace, other, name)
                    checked += 1
    assert checked > 20


@pytest.mark.e2e
@pytest.mark.parametrize("path", ["/api/v1/export", "/api/v1/query"])
def test_a_server_that_echoes_the_token_does_not_make_us_repeat_it(
    demo: Demo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, path: str
) -> None:
    """Some servers and proxies quote the request's headers in their error pages: the token is redacted from every
    message built from a server's answer (found by this suite: it was copied into the error line)."""
    from gpu_reclaim.core.extract import DayWindow, dcgm_selectors, export_day
    from gpu_reclaim.core.victoria import SourceError

    monkeypatch.setenv("GPU_RECLAIM_VM_BEARER_TOKEN", VM_TOKEN)
    caplog.set_level(logging.DEBUG)
    echo = f"bad request; headers: Authorization: Bearer {VM_TOKEN}".encode()
    with FaultProxy(demo.url) as proxy:
        proxy.arm("status", status_code=500, status_body=echo, fault_paths=(path,))
        config = VictoriaMetricsConfig(url=proxy.url, retries=1, backoff_seconds=0.01)
        with VictoriaMetricsClient(config) as client, pytest.raises(SourceError) as raised:
            if path == "/api/v1/query":
                client.check()
            else:
                export_day(client, dcgm_selectors(Settings()), DayWindow(START.date()), tmp_path / "d.jsonl")
    assert "[redacted]" in str(raised.value) or path == "/api/v1/query"
    assert VM_TOKEN not in str(raised.value)
    assert VM_TOKEN not in caplog.text
