"""What DuckDB may use of the machine: the defaults of `[warehouse] memory_limit` and `threads`.

Shared by the config model (core/config.py) and the warehouse (core/warehouse.py), which imports no config.
"""

from __future__ import annotations

# DuckDB's own default is 80% of the machine's memory, and a day's aggregation takes what it is given. With a
# limit it spills to a temp file beside the database instead: peak memory stays flat as the fleet grows.
# 1 GB keeps a day of ~1,000-2,000 GPUs at 60 s in memory and the process under ~1.5 GiB; past it DuckDB spills
DEFAULT_MEMORY_LIMIT = "1GB"
# a size DuckDB's SET memory_limit accepts: a number and a unit, decimal (KB … TB) or binary (KiB … TiB), any case
MEMORY_LIMIT_PATTERN = r"(?i)\s*\d+(\.\d+)?\s*([KMGT]i?B|B)\s*"
