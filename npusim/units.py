"""Parsing of gem5-style quantities ("256KiB", "30ns", "2GHz", "12.8GiB/s")
into base units: bytes, ticks (picoseconds), Hz, bytes per second."""

from __future__ import annotations

import math
import re

TICKS_PER_SECOND = 10**12

# C++ holds sizes and addresses in 64-bit integers that cross the pybind11
# boundary as int64; durations are kept two bits lower so that a few of them
# added to the current tick cannot wrap around (2**62 ps is about 53 days).
MAX_BYTES = 2**63 - 1
MAX_TICKS = 2**62

_NUMBER = r"([-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)"

# gem5 treats kB/MB/GB in memory sizes as binary multiples.
_SIZE_UNITS = {
    "": 1, "B": 1,
    "KiB": 2**10, "MiB": 2**20, "GiB": 2**30, "TiB": 2**40,
    "kB": 2**10, "KB": 2**10, "MB": 2**20, "GB": 2**30, "TB": 2**40,
    "k": 2**10, "K": 2**10, "M": 2**20, "G": 2**30,
}
_TIME_UNITS = {"s": 1.0, "ms": 1e-3, "us": 1e-6, "ns": 1e-9, "ps": 1e-12, "t": None}
_FREQ_UNITS = {"Hz": 1.0, "kHz": 1e3, "MHz": 1e6, "GHz": 1e9, "THz": 1e12}
_BW_UNITS = {
    "B/s": 1, "KiB/s": 2**10, "MiB/s": 2**20, "GiB/s": 2**30,
    "kB/s": 1e3, "KB/s": 1e3, "MB/s": 1e6, "GB/s": 1e9, "TB/s": 1e12,
}


class UnitError(ValueError):
    """A value that does not parse as the quantity the parameter needs."""


def _split(text: str, what: str) -> tuple[float, str]:
    m = re.fullmatch(_NUMBER + r"\s*([A-Za-z/]*)", text.strip())
    if not m:
        raise UnitError(f"cannot read {text!r} as {what}")
    return float(m.group(1)), m.group(2)


def _at_most(value: int, limit: int, what: str, text) -> int:
    if value > limit:
        raise UnitError(f"{what} {text!r} is too large (at most {limit})")
    return value


def to_bytes(value) -> int:
    if isinstance(value, bool):
        raise UnitError(f"{value!r} is not a memory size")
    if isinstance(value, int):
        if value < 0:
            raise UnitError(f"memory size {value} is negative")
        return _at_most(value, MAX_BYTES, "memory size", value)
    if isinstance(value, str):
        num, unit = _split(value, "a memory size")
        if unit not in _SIZE_UNITS:
            raise UnitError(f"unknown memory-size unit {unit!r} in {value!r} (use B, KiB, MiB, GiB, kB, MB, GB)")
        size = num * _SIZE_UNITS[unit]
        if not math.isfinite(size) or size != int(size) or size < 0:
            raise UnitError(f"{value!r} is not a whole, non-negative number of bytes")
        return _at_most(int(size), MAX_BYTES, "memory size", value)
    raise UnitError(f"{value!r} is not a memory size")


def to_ticks(value) -> int:
    """A latency: "30ns" -> 30000 ticks. Plain integers are ticks."""
    if isinstance(value, bool):
        raise UnitError(f"{value!r} is not a latency")
    if isinstance(value, int):
        if value < 0:
            raise UnitError(f"latency {value} is negative")
        return _at_most(value, MAX_TICKS, "latency", value)
    if isinstance(value, str):
        num, unit = _split(value, "a latency")
        if unit not in _TIME_UNITS:
            raise UnitError(f"unknown time unit {unit!r} in {value!r} (use s, ms, us, ns, ps)")
        if unit == "t":
            ticks = num
        else:
            ticks = num * _TIME_UNITS[unit] * TICKS_PER_SECOND
        if ticks < 0:
            raise UnitError(f"latency {value!r} is negative")
        if not ticks <= MAX_TICKS:
            raise UnitError(f"latency {value!r} is too large (at most {MAX_TICKS} ticks)")
        return int(round(ticks))
    raise UnitError(f"{value!r} is not a latency (write e.g. '30ns')")


def to_hz(value) -> float:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        num, unit = _split(value, "a frequency")
        if unit not in _FREQ_UNITS:
            raise UnitError(f"unknown frequency unit {unit!r} in {value!r} (use Hz, kHz, MHz, GHz)")
        if num <= 0:
            raise UnitError(f"frequency {value!r} must be positive")
        return num * _FREQ_UNITS[unit]
    raise UnitError(f"{value!r} is not a frequency")


def clock_period_ticks(value) -> int:
    """A clock given as a frequency ("2GHz") or a period ("500ps") -> ticks."""
    if isinstance(value, str) and re.search(r"Hz$", value.strip()):
        hz = to_hz(value)
        period = TICKS_PER_SECOND / hz
        if not 1 <= round(period) <= MAX_TICKS:
            raise UnitError(f"clock {value!r} is a period of {period:g} ticks; it must round to "
                            f"1..{MAX_TICKS} ticks (1 tick = 1 ps)")
        return int(round(period))
    try:
        ticks = to_ticks(value)
    except UnitError:
        raise UnitError(f"cannot read {value!r} as a clock (a frequency like '2GHz' or a period like '500ps')") from None
    if ticks <= 0:
        raise UnitError(f"clock period {value!r} must be positive")
    return ticks


def to_bytes_per_second(value) -> float:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        bps = float(value)
    elif isinstance(value, str):
        m = re.fullmatch(_NUMBER + r"\s*([A-Za-z]*/s)", value.strip())
        if not m or m.group(2) not in _BW_UNITS:
            raise UnitError(f"cannot read {value!r} as a bandwidth (write e.g. '12.8GiB/s')")
        bps = float(m.group(1)) * _BW_UNITS[m.group(2)]
    else:
        raise UnitError(f"{value!r} is not a bandwidth")
    # 0 is the documented "no limit"; a negative or NaN one would silently be read as that too.
    if not bps >= 0:
        raise UnitError(f"bandwidth {value!r} must be a non-negative number (0 means no limit)")
    return bps
