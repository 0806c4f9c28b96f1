"""The benchmark's printed sections: the side-by-side paths, the long window and the scaling rows (pure)."""

from __future__ import annotations

from bench.figures import min_day_seconds, scaling_figures, table
from bench.scenario import ScenarioResult


def _rate(samples: float, seconds: float) -> str:
    return f"{samples / seconds / 1e6:,.2f} M/s" if seconds > 0 else "-"


def _gib(n: float) -> str:
    return f"{n / 2**30:.2f} GiB"


def _mib(n: float) -> str:
    return f"{n / 2**20:,.0f} MiB"


def report_paths(r: ScenarioResult) -> str:
    """The side-by-side paths of the main scenario (fastest run of each)."""
    c, n, i, e = r.ceiling, r.naive, r.ingest, r.e2e
    samples = r.load["samples"]
    dcgm_samples = i["dcgm_samples"]
    csv_total = c["csv_file_s"] + c["duckdb_read_csv_s"]
    rows = [
        ["VictoriaMetrics export JSON → /dev/null (all series)", f"{c['json_s']:.1f}s", _rate(samples, c["json_s"]),
         "", _mib(c["json_bytes"])],
        ["VictoriaMetrics export JSON → /dev/null (DCGM)", f"{c['json_dcgm_s']:.1f}s",
         _rate(dcgm_samples, c["json_dcgm_s"]), "", _mib(c["json_dcgm_bytes"])],
        ["VictoriaMetrics export CSV → /dev/null (DCGM, day 1)", f"{c['csv_s']:.1f}s", _rate(c["csv_rows"], c["csv_s"]),
         "", _mib(c["csv_bytes"])],
        ["CSV export → file + DuckDB read_csv (DCGM, day 1)", f"{csv_total:.1f}s", _rate(c["csv_rows"], csv_total),
         "", f"read_csv {c['duckdb_read_csv_s']:.1f}s"],
        ["pipeline ingest, all days (DCGM + kube-state)", f"{i['seconds']:.1f}s", _rate(i["samples"], i["seconds"]),
         _gib(i["peak_rss"]), f"{i['samples']:,} samples"],
        ["  of which DCGM", f"{i['dcgm_seconds']:.1f}s", _rate(dcgm_samples, i["dcgm_seconds"]), "", ""],
        ["  of which kube-state", f"{i['ksm_seconds']:.1f}s", _rate(i["ksm_samples"], i["ksm_seconds"]), "", ""],
        [f"naive: custom_query_range → polars ({n['metrics']} metrics, 1 day)", f"{n['seconds']:.1f}s",
         _rate(n["samples"], n["seconds"]), "", f"{n['samples']:,} samples"],
        [f"pipeline end to end ({r.days} days + reports)", f"{e['seconds']:.1f}s", _rate(samples, e["seconds"]),
         _gib(e["peak_rss"]), f"DuckDB {_mib(e['db_bytes'])}"],
    ]  # fmt: skip
    first_day = i["days"][0]
    days = min_day_seconds(r.runs["e2e"])
    lines = [
        f"Scenario: {r.gpus:,} GPUs on {r.nodes} nodes × {r.days} days at 60 s (simulator scale {r.scale}); "
        f"{r.load['series']:,} series, {samples:,} samples (loaded in {r.load['seconds']:.0f}s, not timed); "
        f"fastest of {r.repeat} run(s)",
        "",
        table(["path", "wall", "samples/s", "peak RSS", "note"], rows),
        "",
        f"ingest day 1: first {first_day['dcgm_s'] + first_day['ksm_s']:.1f}s, re-run {i['rerun_first_day_s']:.1f}s; "
        f"last day's daily assets: first {days[-1]:.1f}s, re-run {e['rerun_last_day_s']:.1f}s",
        "daily assets per day (min of runs): " + ", ".join(f"{d:.1f}" for d in days) + " s",
        "peak RSS after each day: "
        + " / ".join(f"{s['hwm_at_start'] / 2**30:.2f}" for s in e["steps"][1:])
        + f" / {e['peak_rss_run'] / 2**30:.2f} GiB",
    ]
    return "\n".join(lines)


def report_long_window(r: ScenarioResult) -> str:
    days = min_day_seconds(r.runs["e2e"])
    return (
        f"Long window: {r.gpus:,} GPUs × {r.days} days, report.window_days = {r.window_days}, end to end "
        f"{r.e2e['seconds']:.1f}s (fastest of {r.repeat}), peak RSS {_gib(r.e2e['peak_rss'])}, "
        f"DuckDB {_mib(r.e2e['db_bytes'])}\n  daily assets per day: " + ", ".join(f"{d:.1f}" for d in days) + " s"
    )


def report_scaling(results: list[ScenarioResult]) -> str:
    rows = []
    factors = scaling_figures([r.__dict__ for r in results])
    for k, r in enumerate(results):
        e2e = r.e2e
        rows.append(
            [
                f"{r.gpus:,}",
                str(r.scale),
                str(r.days),
                f"{r.load['samples']:,}",
                f"{e2e['seconds']:.1f}s",
                _rate(r.load["samples"], e2e["seconds"]),
                _gib(max(run["peak_rss"] for run in r.runs["e2e"])),
                _mib(e2e["db_bytes"]),
                "" if k == 0 else f"{factors[k - 1]['shown']} ({'met' if factors[k - 1]['met'] else 'MISSED'})",
            ]
        )
    return "Scaling (end to end, child process, fastest run):\n" + table(
        ["GPUs", "scale", "days", "samples", "wall", "samples/s", "peak RSS", "DuckDB", "time per doubling"], rows
    )
