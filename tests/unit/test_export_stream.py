"""The export body checked block by block (core/exportstream.py): the fast path keeps every byte, and every fault
the line-by-line checks caught is still caught, with the same message, wherever the chunks are cut."""

from __future__ import annotations

import json

import pytest
from gpu_reclaim.core.errors import SourceError
from gpu_reclaim.core.exportstream import ExportChecker


def line(name: str, values: list[str], stamps: list[int], **labels: str) -> bytes:
    metric = json.dumps({"__name__": name, **labels}, separators=(",", ":"))
    return f'{{"metric":{metric},"values":[{",".join(values)}],"timestamps":[{",".join(map(str, stamps))}]}}'.encode()


BODY = (
    b"\n".join(
        line("DCGM_FI_DEV_GPU_UTIL", [str(v) for v in range(50)], [1_000 * v for v in range(50)], UUID=f"GPU-{g}")
        for g in range(40)
    )
    + b"\n"
)


def run(body: bytes, chunk: int) -> tuple[bytes, ExportChecker]:
    checker = ExportChecker()
    out = b"".join(checker.feed(body[k : k + chunk]) for k in range(0, len(body), chunk)) + checker.finish()
    return out, checker


@pytest.mark.parametrize("chunk", [1, 7, 100, 1000, 1 << 20])
def test_a_clean_body_passes_unchanged_whatever_the_chunks(chunk: int) -> None:
    out, checker = run(BODY, chunk)
    assert out == BODY
    assert checker.lines == 40


def test_a_last_line_without_newline_is_kept() -> None:
    out, checker = run(BODY.rstrip(b"\n"), 1000)
    assert out == BODY and checker.lines == 40


def test_bare_infinities_are_quoted_and_blank_lines_dropped() -> None:
    bad = line("DCGM_FI_DEV_GPU_UTIL", ["+Inf", "-Inf", "1"], [1, 2, 3], UUID="GPU-x")
    out, checker = run(BODY + b"\n" + bad + b"\n", 333)
    assert checker.lines == 41
    rows = [json.loads(text) for text in out.splitlines()]
    assert rows[-1]["values"] == ["inf", "-inf", 1]
    assert out.startswith(BODY)


def test_inf_inside_a_label_value_is_left_alone() -> None:
    labelled = line("DCGM_FI_DEV_GPU_UTIL", ["1"], [1], pod="Inference-NaN-0")
    out, _ = run(labelled + b"\n", 1 << 20)
    assert json.loads(out)["metric"]["pod"] == "Inference-NaN-0"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (BODY + b"<html>proxy error</html>\n", "not a VictoriaMetrics export line"),
        (BODY[:-40], "cut short"),
        (BODY + b"\n" + line("m", ["+Inf", "2"], [1]) + b"\n", "values and timestamps differ"),
        (BODY + b'{"metric":{"__name__":"m"},"values":[NaN]}\n', "no timestamps array"),
    ],
    ids=["garbage", "cut-inside-a-line", "arrays-differ-on-the-line-path", "no-timestamps-on-the-line-path"],
)
@pytest.mark.parametrize("chunk", [64, 1 << 20])
def test_faults_raise_the_line_checks_message(body: bytes, message: str, chunk: int) -> None:
    with pytest.raises(SourceError, match=message):
        run(body, chunk)


def test_well_framed_lines_with_bad_arrays_pass_here_for_the_sql_check() -> None:
    """The fast path checks framing only: the arrays are checked where DuckDB parses them
    (tests/sql/test_ingest_sql.py)."""
    differ = line("m", ["1", "2"], [1])
    out, checker = run(BODY + differ + b"\n", 1 << 20)
    assert out.endswith(differ + b"\n") and checker.lines == 41
