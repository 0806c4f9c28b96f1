"""Data vendored with gpu-reclaim: the public Alibaba GPU trace (alibaba-gpu-v2023/, CC BY 4.0, see its LICENSE.md)."""
