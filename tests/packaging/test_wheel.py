"""The wheel as a user gets it: built and installed by deploy/install.sh into a fresh virtualenv outside the
checkout, run from a folder outside it with nothing of the source tree on sys.path.

It must carry every SQL file, template and data file, put nothing but `gpu_reclaim` at the top of site-packages,
and keep working beside a user's own top-level `assets` and `reports` packages.
"""

from __future__ import annotations

import json
import subprocess
import zipfile
from pathlib import Path

import duckdb
import pytest

from tests.installed import DEMO_DAYS, REPO, DemoMetrics, InstalledPackage, iso_days

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

# The repository folder of each subpackage (pyproject's package-dir) and the non-Python files it must ship.
PACKAGE_DIRS = {
    "gpu_reclaim": "gpu_reclaim",
    "gpu_reclaim/core": "core",
    "gpu_reclaim/scoring": "scoring",
    "gpu_reclaim/assets": "assets",
    "gpu_reclaim/reports": "reports",
    "gpu_reclaim/pipelines": "pipelines",
    "gpu_reclaim/scenarios": "scenarios",
    "gpu_reclaim/sql": "sql",
}
DATA_SUFFIXES = {".sql", ".html", ".css", ".js", ".yaml", ".md", ".csv", ".typed"}
GENERIC_NAMES = ("assets", "reports", "pipelines", "scoring", "scenarios", "core", "sql", "bench", "tests")


def run(
    package: InstalledPackage, args: list[str], cwd: Path, env: dict[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        args, capture_output=True, text=True, cwd=cwd, env=package.env(env), timeout=timeout, check=False
    )
    assert done.returncode == 0, f"{args[0]} failed ({done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


def source_files() -> set[str]:
    """Every file the wheel must carry, as its path inside the wheel, from the repository's folders."""
    expected: set[str] = set()
    for inside, folder in PACKAGE_DIRS.items():
        for path in (REPO / folder).rglob("*"):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix in {".py", *DATA_SUFFIXES}:
                expected.add(f"{inside}/{path.relative_to(REPO / folder).as_posix()}")
    return expected


def test_wheel_carries_every_module_and_data_file_under_one_top_level_name(installed_package: InstalledPackage) -> None:
    with zipfile.ZipFile(installed_package.wheel) as wheel:
        names = set(wheel.namelist())
        dist_info = next(name.split("/")[0] for name in names if name.endswith(".dist-info/RECORD"))
        record = wheel.read(f"{dist_info}/RECORD").decode()
        top_level = wheel.read(f"{dist_info}/top_level.txt").decode().split()
        metadata = wheel.read(f"{dist_info}/METADATA").decode()
    expected = source_files()
    assert {name for name in expected if name.endswith(".sql")}, "no SQL file found in the repository"
    assert expected - names == set(), f"missing from the wheel: {sorted(expected - names)[:20]}"
    for required in (
        "gpu_reclaim/sql/migrations/0001_baseline_v0_1_0.sql",
        "gpu_reclaim/reports/templates/report.css",
        "gpu_reclaim/scenarios/data/alibaba-gpu-v2023/openb_node_list_gpu_node.csv",
        "gpu_reclaim/scenarios/data/alibaba-gpu-v2023/LICENSE.md",
    ):
        assert required in names
    recorded = {line.split(",")[0] for line in record.splitlines() if line}
    assert {path.split("/")[0] for path in recorded} == {"gpu_reclaim", dist_info}
    assert top_level == ["gpu_reclaim"]
    assert not any(name.startswith(("tests/", "bench/")) for name in names)
    # the demo's numpy is an extra, not a dependency of the pipeline
    requires = [line for line in metadata.splitlines() if line.startswith("Requires-Dist: numpy")]
    assert requires and all('extra == "' in line for line in requires), requires


def test_installed_package_imports_from_the_venv_only(installed_package: InstalledPackage, tmp_path: Path) -> None:
    probe = (
        "import json, sys, importlib.util, gpu_reclaim, gpu_reclaim.sql\n"
        "from importlib import resources\n"
        "from gpu_reclaim.scenarios.alibaba_replay import DEFAULT_DATA_DIR, NODE_FILE, load_nodes\n"
        "print(json.dumps({'file': gpu_reclaim.__file__, 'path': sys.path,\n"
        "  'sql': str(resources.files('gpu_reclaim.sql') / 'migrations' / '0001_baseline_v0_1_0.sql'),\n"
        "  'trace_nodes': len(load_nodes(DEFAULT_DATA_DIR / NODE_FILE)), 'trace_dir': str(DEFAULT_DATA_DIR),\n"
        f"  'generic': [n for n in {list(GENERIC_NAMES)!r} if importlib.util.find_spec(n)]}}))\n"
    )
    found = json.loads(run(installed_package, [str(installed_package.bin("python")), "-c", probe], tmp_path).stdout)
    venv = installed_package.venv.resolve()
    assert Path(found["file"]).resolve().is_relative_to(venv)
    assert Path(found["sql"]).resolve().is_relative_to(venv) and Path(found["sql"]).is_file()
    assert Path(found["trace_dir"]).resolve().is_relative_to(venv) and found["trace_nodes"] == 1213
    assert [entry for entry in found["path"] if entry and Path(entry).resolve().is_relative_to(REPO)] == []
    assert found["generic"] == [], "generic top-level modules are importable from the venv"


def test_user_assets_and_reports_packages_keep_working_beside_it(
    installed_package: InstalledPackage, tmp_path: Path
) -> None:
    user_code = tmp_path / "user_code"
    for name in ("assets", "reports"):
        (user_code / name).mkdir(parents=True)
        (user_code / name / "__init__.py").write_text(f"OWNER = 'user {name}'\n", encoding="utf-8")
    probe = (
        "import assets, reports\n"
        "from gpu_reclaim.pipelines.definitions import defs\n"
        "import gpu_reclaim.assets.ingest, gpu_reclaim.reports.build\n"
        "import assets as again, reports as again_reports\n"
        "print(assets.OWNER, reports.OWNER, again.OWNER, again_reports.OWNER)\n"
        "print(gpu_reclaim.assets.ingest.__name__, gpu_reclaim.reports.build.__name__)\n"
        "print(sorted(key.to_user_string() for key in defs.resolve_asset_graph().get_all_asset_keys()))\n"
    )
    done = run(
        installed_package,
        [str(installed_package.bin("python")), "-c", probe],
        tmp_path,
        env={"PYTHONPATH": str(user_code)},
    )
    owners, modules, asset_keys = done.stdout.strip().splitlines()
    assert owners == "user assets user reports user assets user reports"
    assert modules == "gpu_reclaim.assets.ingest gpu_reclaim.reports.build"
    assert "dcgm_gpu_samples" in asset_keys and "workspace_reports" in asset_keys


def test_installed_cli_runs_the_demo_and_a_run_against_victoria_metrics(
    installed_package: InstalledPackage, demo_metrics: DemoMetrics, tmp_path: Path
) -> None:
    cli = str(installed_package.bin("gpu-reclaim"))
    demo_out = tmp_path / "demo"
    done = run(installed_package, [cli, "demo", "--out", str(demo_out), "--days", "1", "--step", "300"], tmp_path)
    assert "demo done" in done.stdout + done.stderr
    assert (demo_out / "tickets.jsonl").stat().st_size > 0
    first, last = iso_days()
    db, out = tmp_path / "run" / "gpu_reclaim.duckdb", tmp_path / "run" / "out"
    args = ["--vm-url", demo_metrics.url, "--start", first, "--end", last, "--db", str(db), "--out", str(out)]
    run(installed_package, [cli, "run", *args, "--config", str(demo_metrics.config)], tmp_path)
    with duckdb.connect(str(db), read_only=True) as con:
        days = {row[0] for row in con.execute("SELECT DISTINCT day FROM pod_usage_daily").fetchall()}
        samples = con.execute("SELECT count(*) FROM gpu_samples").fetchone()
    assert days == set(DEMO_DAYS) and samples is not None and samples[0] > 0
    tickets = [json.loads(line) for line in (out / "tickets.jsonl").read_text(encoding="utf-8").splitlines()]
    assert tickets and all(ticket["id"] for ticket in tickets)
    # the report templates and their SQL, from site-packages, over the week the two days open
    build = (
        "import sys, duckdb\nfrom datetime import date, timedelta\nfrom pathlib import Path\n"
        "from gpu_reclaim.core.config import load_config\nfrom gpu_reclaim.reports.build import build_reports\n"
        "start = date.fromisoformat(sys.argv[2])\n"
        "with duckdb.connect(sys.argv[1], read_only=True) as con:\n"
        "    index = build_reports(con, load_config(None), start, start + timedelta(days=7), Path(sys.argv[3]))\n"
        "print(index.overview_html, len(index.workspaces))\n"
    )
    reports = tmp_path / "reports"
    python = str(installed_package.bin("python"))
    done = run(installed_package, [python, "-c", build, str(db), first, str(reports)], tmp_path)
    overview, workspaces = done.stdout.split()
    html = Path(overview).read_text(encoding="utf-8")
    assert int(workspaces) > 0 and "<html" in html.lower() and "</html>" in html.lower()
    assert all((reports / name).stat().st_size > 0 for name in ("index.html",))
