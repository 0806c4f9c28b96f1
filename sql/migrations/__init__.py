"""Numbered schema migrations NNNN_<name>.sql, applied in order by gpu_reclaim.core.migrations."""
