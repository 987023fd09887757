"""Analysis of npusim's (and gem5's) output: stats.txt/stats.json and debug
traces -> pandas."""

from .stats_reader import read_stats, read_stats_descriptions, read_stats_json  # noqa: F401
from .trace_reader import read_trace  # noqa: F401

__all__ = ["read_stats", "read_stats_descriptions", "read_stats_json", "read_trace"]
