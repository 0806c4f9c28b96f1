"""The named SQL files: every statement gpu-reclaim runs, read through gpu_reclaim.core.warehouse."""
