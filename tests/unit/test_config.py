from pathlib import Path

import pytest
from gpu_reclaim.core.config import ConfigError, Settings, h100_equivalent_weight, load_config


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_without_a_file() -> None:
    settings = load_config(None)
    assert settings.step_seconds == 60
    assert settings.usage.idle_activity_threshold == 0.01
    assert settings.metrics.gpu_util == "DCGM_FI_DEV_GPU_UTIL"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("stepseconds = 30\n", "unknown key 'stepseconds'"),
        ("[usage]\nidle_activity_threshold = 2\n", "'usage.idle_activity_threshold'"),
        ("step_seconds = 'fast'\n", "'step_seconds'"),
        ("[victoria_metrics]\nretries = -1\n", "'victoria_metrics.retries'"),
        (
            "[usage]\nidle_activity_threshold = 0.2\nlow_use_activity_threshold = 0.1\n",
            "low_use_activity_threshold",
        ),
        ("[[gpu_models]]\nmatch = 'H100'\n", "'gpu_models.0.h100_equivalent'"),
        ("[warehouse]\nmemory_limit = 'lots'\n", "'warehouse.memory_limit': Value error, 'lots' is not a size: write"),
        ("[warehouse]\nmemory_limit = '2 parsecs'\n", "'warehouse.memory_limit'"),
        ("[warehouse]\nmemory_limit = 2\n", "'warehouse.memory_limit'"),
        ("[warehouse]\nthreads = -1\n", "'warehouse.threads'"),
        ("[recommendations.idle_allocation]\nactivity_max = 2\n", "'recommendations.idle_allocation.activity_max'"),
        ("[recommendations.fake_busy]\nmin_hour = 1\n", "unknown key 'recommendations.fake_busy.min_hour'"),
        ("[recommendations]\nfake_busy_min_hours = 1\n", "unknown key 'recommendations.fake_busy_min_hours'"),
        (
            "[recommendations.severity]\nmedium_hours_per_week = 200\nhigh_hours_per_week = 100\n",
            "'recommendations.severity': Value error, high_hours_per_week must be >= medium_hours_per_week",
        ),
    ],
)
def test_bad_config_is_one_line_naming_the_key(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, "c.toml", text))
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_yaml_and_toml_agree(tmp_path: Path) -> None:
    toml = load_config(write(tmp_path, "c.toml", "step_seconds = 30\n[labels]\nworkspace = 'label_team'\n"))
    yaml = load_config(write(tmp_path, "c.yaml", "step_seconds: 30\nlabels:\n  workspace: label_team\n"))
    assert toml == yaml
    assert toml.labels.workspace == "label_team"


def test_unparseable_and_missing_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot parse"):
        load_config(write(tmp_path, "c.toml", "step_seconds = = 3\n"))
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "absent.toml")


@pytest.mark.parametrize(
    ("model", "weight"),
    [
        ("NVIDIA-H100-80GB-HBM3", 1.0),
        ("NVIDIA-A100-SXM4-80GB", 0.32),
        ("Tesla-V100-PCIE-32GB", 0.13),
        ("NVIDIA A10", 0.13),
        ("some-new-gpu", Settings().default_h100_equivalent),
        (None, Settings().default_h100_equivalent),
    ],
)
def test_h100_equivalent_weights(model: str | None, weight: float) -> None:
    assert h100_equivalent_weight(Settings(), model) == weight


def test_h100_is_worth_more_than_a100_and_v100() -> None:
    settings = Settings()
    assert (
        h100_equivalent_weight(settings, "H100")
        > h100_equivalent_weight(settings, "A100")
        > (h100_equivalent_weight(settings, "V100"))
    )
