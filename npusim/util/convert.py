"""gem5's ``m5.util.convert``: quantities written with units, in gem5's
return units (bytes, seconds, Hz, bytes per second). The parsing is
npusim's own (``npusim.units``), so a script and a parameter read "32kB" or
"2GHz" the same way."""

from __future__ import annotations

from .. import units


def toMemorySize(value) -> int:  # noqa: N802  (gem5's names)
    """"32kB" -> 32768 (kB, MB, GB are binary in memory sizes, as in gem5)."""
    return units.to_bytes(value)


def toLatency(value) -> float:  # noqa: N802
    """"30ns" -> 3e-08 seconds."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        raise units.UnitError(f"{value!r}: a latency needs a unit (e.g. '30ns')")
    return units.to_ticks(value) / units.TICKS_PER_SECOND


def toFrequency(value) -> float:  # noqa: N802
    """"2GHz" -> 2e9 Hz."""
    return units.to_hz(value)


def toMemoryBandwidth(value) -> float:  # noqa: N802
    """"12.8GiB/s" -> bytes per second."""
    return units.to_bytes_per_second(value)
