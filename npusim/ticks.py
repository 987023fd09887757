"""gem5's ``m5.ticks``: conversions between seconds and ticks.

npusim's tick is fixed at one picosecond (gem5's default global frequency,
1 THz), so ``setGlobalFrequency`` accepts only that."""

from __future__ import annotations

import decimal
import math

from . import units


def frequency() -> int:
    """Ticks per second."""
    return units.TICKS_PER_SECOND


def setGlobalFrequency(ticks_per_second) -> None:  # noqa: N802  (gem5's name)
    """Accepted only for 1 THz ("1THz", "1ps" or 10**12): npusim's C++ side counts picoseconds."""
    try:
        if isinstance(ticks_per_second, str) and not ticks_per_second.strip().endswith("Hz"):
            hz = units.TICKS_PER_SECOND / units.to_ticks(ticks_per_second)
        else:
            hz = units.to_hz(ticks_per_second)
    except (units.UnitError, ZeroDivisionError) as err:
        raise ValueError(f"ticks.setGlobalFrequency: {err}") from None
    if hz != units.TICKS_PER_SECOND:
        raise ValueError(f"ticks.setGlobalFrequency({ticks_per_second!r}): npusim's tick is fixed at "
                         "1 ps (1THz, gem5's default)")


def fromSeconds(seconds) -> int:  # noqa: N802
    """Seconds -> ticks, rounded to the nearest tick (halves up)."""
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
        raise TypeError(f"ticks.fromSeconds: {seconds!r} is not a number of seconds")
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f"ticks.fromSeconds: {seconds!r} is not a non-negative, finite time")
    # Decimal: 1e-9 * 1e12 is 999.9999999999999 in binary floating point
    ticks = (decimal.Decimal(repr(float(seconds))) * units.TICKS_PER_SECOND).to_integral_value(
        decimal.ROUND_HALF_UP)
    return int(ticks)


def toSeconds(ticks: int) -> float:  # noqa: N802
    """Ticks -> seconds."""
    return ticks / units.TICKS_PER_SECOND
