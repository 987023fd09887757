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


def anyToLatency(value) -> float:  # noqa: N802
    """A period or a frequency -> seconds ("1ns" and "1GHz" -> 1e-09)."""
    if isinstance(value, str) and value.strip().endswith("Hz"):
        return 1.0 / units.to_hz(value)
    return toLatency(value)


def anyToFrequency(value) -> float:  # noqa: N802
    """A frequency or a period -> Hz ("1GHz" and "1ns" -> 1e9)."""
    if isinstance(value, str) and not value.strip().endswith("Hz"):
        return units.TICKS_PER_SECOND / units.to_ticks(value)
    return toFrequency(value)


def toVoltage(value) -> float:  # noqa: N802
    """"900mV" -> 0.9 volts."""
    from ..params import param_type
    try:
        return param_type("Voltage").convert(value)
    except units.UnitError as err:
        raise ValueError(str(err)) from None


def toBool(value) -> bool:  # noqa: N802
    """gem5's spellings: true/t/yes/y/1 and false/f/no/n/0, any case."""
    text = str(value).strip().lower()
    if text in ("true", "t", "yes", "y", "1"):
        return True
    if text in ("false", "f", "no", "n", "0"):
        return False
    raise ValueError(f"cannot convert {value!r} to a bool")


def toInteger(value) -> int:  # noqa: N802
    """"42" or "0x2a" -> 42; a value with a fraction is an error."""
    text = str(value).strip()
    try:
        return int(text, 0)
    except ValueError:
        number = float(text)
        if not number.is_integer():
            raise ValueError(f"cannot convert {value!r} to an integer") from None
        return int(number)
