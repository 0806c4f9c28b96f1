"""core.series.byte_batches: the import batching of the VictoriaMetrics client and the write-back."""

from gpu_reclaim.core.series import byte_batches


def test_a_batch_closes_once_it_reaches_the_size_newlines_counted() -> None:
    lines = [b"aaa", b"bb", b"c", b"dddd", b"e"]
    assert list(byte_batches(lines, 7)) == [[b"aaa", b"bb"], [b"c", b"dddd"], [b"e"]]  # 4 + 3 = 7, 2 + 5 = 7


def test_every_line_once_in_order_and_no_empty_batch() -> None:
    lines = [bytes([65 + i % 26]) * (i % 7) for i in range(100)]
    batches = list(byte_batches(lines, 40))
    assert [line for batch in batches for line in batch] == lines
    assert all(batches) and list(byte_batches([], 40)) == []
