"""Check and clean VictoriaMetrics' JSON-lines export block by block, without a Python loop over its lines.

The export body arrives in chunks; each block of whole lines (up to the chunk's last newline) is checked for
framing with four C-level scans, whatever its line count: it starts with `{"metric":{`, ends with `]}` + newline,
and every newline inside it sits in `]}` + newline + `{"metric":{` (a label value is a JSON string: a raw newline
never occurs inside a line). A cut or garbage body fails here, inside the export's retries.

What needs the parsed arrays is checked in SQL, where DuckDB parses them anyway (check_stage_*.sql): that each
line has as many values as timestamps, and the sample count. Measured on a day of 1,064 GPUs (201 MB, 8,148
lines): these scans take 0.4 s of CPU; the per-line checks they replace took 0.6 s, and picking the arrays out in
Python (regex or split) 0.25-0.3 s more.

A block that does not pass (a blank line, a bare `+Inf`/`-Inf`/`NaN` token to quote, or a fault) goes through
`check_line`, one line at a time, which raises the precise error for the first bad line or quotes the tokens.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from gpu_reclaim.core.errors import SourceError
from gpu_reclaim.core.series import LINE_START, TIMESTAMPS_MARK, VALUES_MARK, excerpt, sanitize_line

_BOUNDARY = b']}\n{"metric":{'
_LINE_END = b"]}\n"


def check_line(line: bytes) -> tuple[bytes, int]:
    """One export line (without its newline) checked and made valid JSON, and its sample count."""
    if not line.startswith(LINE_START):
        raise SourceError(f"not a VictoriaMetrics export line: {excerpt(line)}")
    if not line.endswith(b"]}"):
        raise SourceError("the export stream was cut short (incomplete series line)")
    clean = sanitize_line(line)
    values_at, stamps_at = clean.find(VALUES_MARK), clean.rfind(TIMESTAMPS_MARK)
    if stamps_at < values_at:
        raise SourceError(f"malformed export line (no timestamps array): {excerpt(line)}")
    stamps = clean.count(b",", stamps_at + len(TIMESTAMPS_MARK)) + 1
    if clean.count(b",", values_at + len(VALUES_MARK), stamps_at) + 1 != stamps:
        raise SourceError(f"malformed export line (values and timestamps differ): {excerpt(line)}")
    return clean, stamps


def _fast_block(block: bytes) -> int | None:
    """The line count of a block of whole, well-framed lines that needs no change; None: go line by line."""
    lines = block.count(b"\n")
    if not (block.startswith(LINE_START) and block.endswith(_LINE_END)) or block.count(_BOUNDARY) != lines - 1:
        return None
    if b"Inf" in block or b"NaN" in block:  # a bare token to quote, or only a label value: the line path decides
        return None
    return lines


@dataclass
class ExportChecker:
    """Feed the body's chunks in order; each call returns the clean bytes to write (whole lines only). It counts
    lines; the samples are counted by the stage, in SQL."""

    lines: int = 0
    _pending: bytes = field(default=b"", repr=False)

    def feed(self, chunk: bytes) -> bytes:
        data = self._pending + chunk if self._pending else chunk
        cut = data.rfind(b"\n") + 1
        self._pending = data[cut:]
        return self._block(data[:cut]) if cut else b""

    def finish(self) -> bytes:
        """The last line when the body did not end with a newline (it must still be whole)."""
        pending, self._pending = self._pending, b""
        return self._block(pending + b"\n") if pending.strip() else b""

    def _block(self, block: bytes) -> bytes:
        fast = _fast_block(block)
        if fast is not None:
            self.lines += fast
            return block
        out: list[bytes] = []
        for line in block.split(b"\n")[:-1]:
            if not line.strip():
                continue
            clean, _ = check_line(line)
            out.append(clean)
            self.lines += 1
        return b"".join(part + b"\n" for part in out)
