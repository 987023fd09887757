"""Analysis of npusim's (and gem5's) output: stats.txt/stats.json -> pandas."""

from .stats_reader import read_stats, read_stats_descriptions, read_stats_json  # noqa: F401

__all__ = ["read_stats", "read_stats_descriptions", "read_stats_json"]
