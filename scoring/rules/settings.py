"""The rules' settings live on the ground floor (core/rule_settings.py), so that config imports nothing from
scoring; this name stays for callers that import them from here."""

from gpu_reclaim.core.rule_settings import RecommendationSettings, SinkSettings

__all__ = ["RecommendationSettings", "SinkSettings"]
