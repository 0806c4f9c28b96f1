import json

import pytest
from gpu_reclaim.core.victoria import SourceError, escape_label_value, sanitize_line, series_selector


@pytest.mark.parametrize(
    ("value", "escaped"),
    [
        ("plain", "plain"),
        ('a"b', 'a\\"b'),
        ("back\\slash", "back\\\\slash"),
        ("line\nbreak", "line\\nbreak"),
        ('"}) or vector(1) #', '\\"}) or vector(1) #'),
    ],
)
def test_label_values_are_escaped_for_promql(value: str, escaped: str) -> None:
    assert escape_label_value(value) == escaped


def test_selector_escapes_values_and_rejects_bad_names() -> None:
    assert series_selector("kube_pod_labels", {"namespace": 'x"y'}) == '{__name__="kube_pod_labels",namespace="x\\"y"}'
    with pytest.raises(ValueError, match="label name"):
        series_selector("m", {'bad"name': "v"})
    with pytest.raises(ValueError, match="label name"):
        series_selector("m", {"": "v"})


def test_sanitize_quotes_non_json_numbers_only_after_the_labels() -> None:
    line = b'{"metric":{"__name__":"x","pod":"+Inf NaN"},"values":[+Inf,-Inf,1,NaN],"timestamps":[1,2,3,4]}'
    parsed = json.loads(sanitize_line(line))
    assert parsed["metric"]["pod"] == "+Inf NaN"
    assert parsed["values"] == ["inf", "-inf", 1, "nan"]


def test_sanitize_leaves_clean_lines_untouched_and_rejects_garbage() -> None:
    line = b'{"metric":{"__name__":"x"},"values":[1,2],"timestamps":[1,2]}'
    assert sanitize_line(line) is line
    with pytest.raises(SourceError):
        sanitize_line(b"<html>proxy error</html>")
