"""`[victoria_metrics] matchers`: parsed and checked at config load (one line naming the key), rendered in one
canonical form, and carried by every DCGM and kube-state-metrics selector of a run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from gpu_reclaim.core.config import ConfigError, Settings, load_config, settings_from_mapping
from gpu_reclaim.core.extract import dcgm_selectors, kube_state_selectors
from gpu_reclaim.core.matchers import LabelMatcher, canonical_matchers, parse_matcher, parse_matchers


def vm(matchers: Any) -> dict[str, Any]:
    return {"victoria_metrics": {"matchers": matchers}}


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ('cluster="prod-eu"', LabelMatcher("cluster", "=", "prod-eu")),
        (' cluster = "prod-eu" ', LabelMatcher("cluster", "=", "prod-eu")),
        ('cluster=~"prod-.*"', LabelMatcher("cluster", "=~", "prod-.*")),
        ('region!="test"', LabelMatcher("region", "!=", "test")),
        ('env!~"dev|ci"', LabelMatcher("env", "!~", "dev|ci")),
        ('team="a\\"b"', LabelMatcher("team", "=", 'a"b')),
        ('path="c:\\\\x"', LabelMatcher("path", "=", "c:\\x")),
        ('cluster=""', LabelMatcher("cluster", "=", "")),  # PromQL: the label is absent
    ],
)
def test_matcher_strings(text: str, parsed: LabelMatcher) -> None:
    assert parse_matcher(text) == parsed
    assert parse_matcher(parsed.render()) == parsed  # the canonical form reads back the same


def test_table_and_list_forms_render_the_same() -> None:
    assert canonical_matchers({"cluster": "prod-eu", "region": 'eu"1'}) == ['cluster="prod-eu"', 'region="eu\\"1"']
    assert canonical_matchers([' cluster = "prod-eu"', 'env=~"a|b"']) == ['cluster="prod-eu"', 'env=~"a|b"']
    assert parse_matchers(None) == () and canonical_matchers([]) == [] and canonical_matchers({}) == []


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ("cluster=prod-eu", "expected a table"),
        (["cluster=prod-eu"], "item 0: 'cluster=prod-eu' is not a label matcher"),
        (['cluster="a"', "cluster~'b'"], "item 1"),
        (['cluster="a'], "is not a label matcher"),
        (['1cluster="a"'], "is not a label matcher"),
        (['__name__="up"'], "__name__ cannot be limited"),
        (['cluster=~"prod-("'], "is not a regular expression"),
        (['cluster=~"(?!test).*"'], "RE2"),
        ([7], "item 0: a matcher is a string"),
        ({"bad-name": "x"}, "is not a label name"),
        ({"cluster": 3}, "label values must be strings"),
        ({"__name__": "up"}, "__name__ cannot be limited"),
    ],
)
def test_bad_matchers_are_refused_in_one_line_naming_the_key(raw: Any, fragment: str) -> None:
    with pytest.raises(ConfigError) as raised:
        settings_from_mapping(vm(raw), "c.toml")
    message = str(raised.value)
    assert message.startswith("c.toml: invalid value for 'victoria_metrics.matchers'"), message
    assert fragment in message and "\n" not in message, message


def test_toml_table_and_yaml_list(tmp_path: Path) -> None:
    toml = tmp_path / "c.toml"
    toml.write_text('[victoria_metrics]\nmatchers = { cluster = "prod-eu" }\n', encoding="utf-8")
    yaml = tmp_path / "c.yaml"
    yaml.write_text("victoria_metrics:\n  matchers:\n    - 'cluster=\"prod-eu\"'\n", encoding="utf-8")
    assert load_config(toml).victoria_metrics.matchers == load_config(yaml).victoria_metrics.matchers
    assert load_config(toml).victoria_metrics.matchers == ['cluster="prod-eu"']
    assert Settings().victoria_metrics.matchers == []


def test_every_selector_carries_the_matchers() -> None:
    settings = settings_from_mapping(vm(['cluster="prod-eu"', 'region=~"eu-.*"']))
    selectors = dcgm_selectors(settings) + kube_state_selectors(settings)
    assert len(selectors) == 8 + 9
    names = [*settings.metrics.dcgm().values()]
    assert selectors[0] == f'{{__name__="{names[0]}",cluster="prod-eu",region=~"eu-.*"}}'
    assert all(s.endswith(',cluster="prod-eu",region=~"eu-.*"}') for s in selectors), selectors
    # without matchers the selectors are the metric names alone
    assert all(s.count("=") == 1 for s in dcgm_selectors(Settings()) + kube_state_selectors(Settings()))
