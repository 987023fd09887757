"""Helpers for tests: a clean simulation per test, and stat lookups."""

from __future__ import annotations

import contextlib

from . import _core
from .simulation import reset


@contextlib.contextmanager
def fresh_sim():
    """Resets the C++ kernel before and after the block."""
    reset()
    try:
        yield
    finally:
        reset()


def stats_dict(obj) -> dict[str, float]:
    """An instantiated object's current stats, by name relative to it."""
    return {row[0]: row[1] for row in obj._live_cxx().stats_rows()}


def packets_live() -> int:
    return _core.packets_live()
