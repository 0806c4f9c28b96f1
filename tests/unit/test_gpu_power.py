"""The per-model power table (`[[gpu_power]]`): defaults for every model of the weights table, matching, and
one-line errors naming the dotted key."""

from __future__ import annotations

from pathlib import Path

import pytest
from gpu_reclaim.core.config import ConfigError, Settings, load_config
from gpu_reclaim.core.gpu_power import gpu_model_power


@pytest.mark.parametrize(
    ("model", "match", "idle_w", "max_w"),
    [
        ("NVIDIA H100 80GB HBM3", "H100", 70.0, 700.0),
        ("NVIDIA-H100-80GB-HBM3", "H100", 70.0, 700.0),
        ("NVIDIA H100 PCIe", "H100 PCIe", 50.0, 350.0),
        ("NVIDIA H200", "H200", 75.0, 700.0),
        ("NVIDIA A100-SXM4-80GB", "A100", 55.0, 400.0),
        ("NVIDIA A100 80GB PCIe", "A100 PCIe", 40.0, 300.0),
        ("NVIDIA-A100-PCIe-40GB", "A100 PCIe", 40.0, 300.0),
        ("NVIDIA L40S", "L40S", 35.0, 350.0),
        ("NVIDIA L40", "L40", 30.0, 300.0),
        ("NVIDIA A10G", "A10", 20.0, 150.0),
        ("NVIDIA A10", "A10", 20.0, 150.0),
        ("Tesla V100-PCIE-32GB", "V100 PCIe", 25.0, 250.0),
        ("Tesla V100-SXM2-32GB", "V100", 40.0, 300.0),
        ("Tesla T4", "T4", 10.0, 70.0),
        ("Tesla P100-PCIE-16GB", "P100", 25.0, 250.0),
        ("NVIDIA GB10", "GB10", 5.0, 140.0),
    ],
)
def test_defaults_match_the_model_names_dcgm_and_the_node_labels_use(
    model: str, match: str, idle_w: float, max_w: float
) -> None:
    entry = gpu_model_power(Settings().gpu_power, model)
    assert entry is not None and (entry.match, entry.idle_w, entry.max_w) == (match, idle_w, max_w)
    assert "datasheet" in entry.source


def test_every_model_of_the_weights_table_has_a_power_entry() -> None:
    settings = Settings()
    for weight in settings.gpu_models:
        assert gpu_model_power(settings.gpu_power, f"NVIDIA {weight.match}") is not None, weight.match


def test_an_unknown_model_has_no_entry() -> None:
    assert gpu_model_power(Settings().gpu_power, "NVIDIA B200") is None
    assert gpu_model_power(Settings().gpu_power, None) is None


def test_a_configured_table_replaces_the_defaults(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text("[[gpu_power]]\nmatch = 'B200'\nidle_w = 160\nmax_w = 1000\n", encoding="utf-8")
    table = load_config(path).gpu_power
    entry = gpu_model_power(table, "NVIDIA B200")
    assert entry is not None and (entry.idle_w, entry.max_w) == (160.0, 1000.0)
    assert gpu_model_power(table, "NVIDIA H100 80GB HBM3") is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[[gpu_power]]\nmatch = 'X'\nidle_w = 100\nmax_w = 50\n", "'gpu_power.0.max_w': Value error, must be greater"),
        ("[[gpu_power]]\nmatch = 'X'\nidle_w = 0\nmax_w = 50\n", "'gpu_power.0.idle_w'"),
        ("[[gpu_power]]\nmatch = ''\nidle_w = 10\nmax_w = 50\n", "'gpu_power.0.match'"),
        ("[[gpu_power]]\nmatch = 'X'\nidle_w = 10\n", "'gpu_power.0.max_w'"),
        ("[[gpu_power]]\nmatch = 'X'\nidle_w = 10\nmax_w = 50\nidle = 3\n", "unknown key 'gpu_power.0.idle'"),
        ("[recommendations.fake_busy]\nsm_active_max = 1.5\n", "'recommendations.fake_busy.sm_active_max'"),
        ("[recommendations.fake_busy]\npower_max_w = 150\n", "unknown key 'recommendations.fake_busy.power_max_w'"),
        ("[recommendations.wedged_collective]\nmin_minutes = 0\n", "'recommendations.wedged_collective.min_minutes'"),
    ],
)
def test_bad_power_or_fake_busy_config_is_one_line_naming_the_key(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "c.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert message in str(caught.value) and "\n" not in str(caught.value)
