"""Parameter declarations: ``Param.MemorySize("256KiB", "doc")``.

Values are checked and converted to base units when they are assigned, so a
wrong type or unit fails at the line of the config script that made it, with
the object and parameter named."""

from __future__ import annotations

import math
import numbers
from typing import Any

from . import units


class ParamError(ValueError):
    """A parameter value that cannot be used; the message names object and parameter."""


class AddrRange:
    """A half-open physical address range [start, end)."""

    # gem5's keywords for interleaved ranges (MemConfig's multi-channel set-up)
    _INTERLEAVING = ("intlvHighBit", "xorHighBit", "intlvBits", "intlvMatch", "masks")

    def __init__(self, start=0, end=None, size=None, **gem5_only):
        if unknown := [k for k in gem5_only if k not in self._INTERLEAVING]:
            raise TypeError(f"AddrRange() got an unexpected keyword argument {unknown[0]!r}")
        if gem5_only:
            raise units.UnitError(f"AddrRange({', '.join(gem5_only)}=...): npusim has no interleaved address "
                                  "ranges; give each memory controller a contiguous range of its own")
        if isinstance(start, str) and end is None and size is None:
            if ":" in start:
                start, end = start.split(":", 1)
            else:  # gem5's AddrRange("512MB"): a size from address 0
                start, size = 0, start
        if end is not None and size is not None:
            raise units.UnitError(f"AddrRange({start!r}, end={end!r}, size={size!r}): give an end or a size, not both")
        self.start = _addr(start)
        if size is not None:
            self.end = self.start + units.to_bytes(size)
        elif end is not None:
            self.end = _addr(end)
        else:
            raise units.UnitError("an AddrRange needs an end or a size")
        if self.end <= self.start:
            raise units.UnitError(f"empty address range [{self.start:#x}, {self.end:#x})")
        if self.end > units.MAX_BYTES:
            raise units.UnitError(f"address range [{self.start:#x}, {self.end:#x}) ends beyond the 63-bit address space")

    def size(self) -> int:
        return self.end - self.start

    def intersects(self, other: "AddrRange") -> bool:
        return self.start < other.end and other.start < self.end

    def __eq__(self, other):
        return isinstance(other, AddrRange) and (self.start, self.end) == (other.start, other.end)

    def __hash__(self):
        return hash((self.start, self.end))

    def __repr__(self):
        return f"AddrRange({self.start:#x}, {self.end:#x})"


def _addr(value) -> int:
    if isinstance(value, bool):
        raise units.UnitError(f"{value!r} is not an address")
    if isinstance(value, numbers.Integral):
        addr = int(value)
    elif isinstance(value, str):
        text = value.strip()
        try:
            addr = int(text, 0)
        except ValueError:
            return units.to_bytes(text)
    else:
        raise units.UnitError(f"{value!r} is not an address")
    if addr < 0:
        raise units.UnitError(f"address {value!r} is negative")
    if addr > units.MAX_BYTES:   # C++ receives addresses as int64
        raise units.UnitError(f"address {value!r} is beyond the 63-bit address space")
    return addr


class ParamType:
    """How one kind of parameter is checked, converted and shown."""

    name = "?"

    def convert(self, value) -> Any:
        raise NotImplementedError

    def to_cxx(self, value) -> Any:
        return value

    def to_config(self, value) -> Any:
        return value


class _Simple(ParamType):
    def __init__(self, name, fn, cxx=None):
        self.name, self.fn, self.cxx = name, fn, cxx

    def convert(self, value):
        return self.fn(value)

    def to_cxx(self, value):
        return self.cxx(value) if self.cxx else value


def _int_in(lo, hi, what):
    def check(value):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            if isinstance(value, str):
                try:
                    value = int(value, 0)
                except ValueError:
                    raise units.UnitError(f"{value!r} is not {what}") from None
            elif isinstance(value, float) and value.is_integer():
                value = int(value)
            else:
                raise units.UnitError(f"{value!r} is not {what}")
        value = int(value)
        if not lo <= value <= hi:
            raise units.UnitError(f"{value} is out of range for {what} [{lo}, {hi}]")
        return value
    return check


def _float(value):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        if isinstance(value, str):
            try:
                value = float(value)
            except ValueError:
                raise units.UnitError(f"{value!r} is not a number") from None
        else:
            raise units.UnitError(f"{value!r} is not a number")
    # NaN compares false with every threshold and would pass C++ range checks unnoticed.
    if not math.isfinite(value):
        raise units.UnitError(f"{value!r} is not a finite number")
    return float(value)


def _bool(value):
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false", "1", "0", "yes", "no"):
        return value.lower() in ("true", "1", "yes")
    if isinstance(value, numbers.Integral) and value in (0, 1):
        return bool(value)
    raise units.UnitError(f"{value!r} is not a boolean")


def _string(value):
    if not isinstance(value, str):
        raise units.UnitError(f"{value!r} is not a string")
    return value


def _percent(value):
    v = _float(value)
    if not 0.0 <= v <= 100.0:
        raise units.UnitError(f"{v} is not a percentage in [0, 100]")
    return v


def _electrical(unit: str, what: str, example: str):
    """A Voltage or Current converter: '1.2V', '900mV', '48mA', '0.5uA' (the
    metric prefixes n, u, m, k, M); a number (not a string) is in volts or
    amperes. Zero is allowed (gem5's DRAM currents and voltages default to
    0, meaning not given); a negative value is not."""
    prefixes = (("n", 1e-9), ("u", 1e-6), ("m", 1e-3), ("k", 1e3), ("M", 1e6), ("", 1.0))

    def checked(v, shown):
        if not (math.isfinite(v) and v >= 0):
            raise units.UnitError(f"{shown} is not a {what}: it must be finite and not negative")
        return v

    def convert(value):
        if not isinstance(value, str):
            return checked(_float(value), repr(value))
        text = value.strip()
        for prefix, scale in prefixes:
            number = text[:-len(prefix + unit)].strip()
            if text.endswith(prefix + unit) and number:
                try:
                    magnitude = float(number)
                except ValueError:
                    break
                return checked(magnitude * scale, repr(value))
        raise units.UnitError(f"{value!r} is not a {what} (write e.g. {example})")
    return convert


_voltage = _electrical("V", "voltage", "'1.2V' or '900mV'")
_current = _electrical("A", "current", "'48mA' or '0.048A'")


def _cycles(value):
    if isinstance(value, str):
        raise units.UnitError(f"{value!r} is not a cycle count (give an integer number of cycles)")
    return _int_in(0, 2**63 - 1, "a cycle count")(value)


def _blob(value):
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    try:
        import numpy as np
        if isinstance(value, np.ndarray):
            return np.ascontiguousarray(value).tobytes()
    except ImportError:  # pragma: no cover
        pass
    raise units.UnitError(f"a value of type {type(value).__name__} is not binary data (bytes or a numpy array)")


def _addr_range(value):
    if isinstance(value, AddrRange):
        return value
    if isinstance(value, tuple) and len(value) == 2:
        return AddrRange(value[0], value[1])
    if isinstance(value, str):
        if ":" in value:
            return AddrRange(value)
        return AddrRange(0, size=value)
    raise units.UnitError(f"{value!r} is not an address range (write 'start:end', a size, or AddrRange(...))")


class Enum(ParamType):
    def __init__(self, values):
        self.values = tuple(values)
        self.name = "Enum(" + "|".join(self.values) + ")"

    def convert(self, value):
        if value not in self.values:
            raise units.UnitError(f"{value!r} is not one of {', '.join(self.values)}")
        return value


class SimObjectType(ParamType):
    """A reference to another SimObject, by declared class name."""

    def __init__(self, class_name):
        self.name = class_name

    def target_class(self):
        from .objects.base import simobject_class
        return simobject_class(self.name)

    def convert(self, value):
        from .objects.base import SimObject, ParentProxy
        if value is None or isinstance(value, ParentProxy):
            return value
        if not isinstance(value, SimObject):
            raise units.UnitError(f"{value!r} is not a SimObject (expected {self.name})")
        target = self.target_class()
        if not isinstance(value, target):
            raise units.UnitError(f"a {type(value).__name__} is not a {self.name}")
        return value

    def to_config(self, value):
        return None if value is None else value.path()


_TYPES = {
    "Int": _Simple("Int", _int_in(-2**63, 2**63 - 1, "an integer")),
    "Int64": _Simple("Int64", _int_in(-2**63, 2**63 - 1, "an integer")),
    "Unsigned": _Simple("Unsigned", _int_in(0, 2**32 - 1, "an unsigned 32-bit integer")),
    "UInt32": _Simple("UInt32", _int_in(0, 2**32 - 1, "an unsigned 32-bit integer")),
    "UInt64": _Simple("UInt64", _int_in(0, 2**63 - 1, "an unsigned integer")),
    "UInt8": _Simple("UInt8", _int_in(0, 255, "an unsigned 8-bit integer")),
    "UInt16": _Simple("UInt16", _int_in(0, 65535, "an unsigned 16-bit integer")),
    "Float": _Simple("Float", _float),
    "Bool": _Simple("Bool", _bool),
    "String": _Simple("String", _string),
    "Percent": _Simple("Percent", _percent),
    "Voltage": _Simple("Voltage", _voltage),
    "Current": _Simple("Current", _current),
    "MemorySize": _Simple("MemorySize", units.to_bytes),
    "Latency": _Simple("Latency", units.to_ticks),
    "Tick": _Simple("Tick", units.to_ticks),
    "Cycles": _Simple("Cycles", _cycles),
    "Clock": _Simple("Clock", units.clock_period_ticks),
    "Frequency": _Simple("Frequency", units.clock_period_ticks),
    # Bandwidth reaches C++ as ticks per byte, the form timing code needs.
    "MemoryBandwidth": _Simple("MemoryBandwidth", units.to_bytes_per_second,
                               cxx=lambda bps: units.TICKS_PER_SECOND / bps if bps > 0 else 0.0),
    "Addr": _Simple("Addr", _addr),
    "AddrRange": _Simple("AddrRange", _addr_range, cxx=lambda r: [r.start, r.end]),
    "Blob": _Simple("Blob", _blob),
}
_TYPES["AddrRange"].to_config = lambda r: f"{r.start}:{r.end}"   # (gem5's config.json form)
# gem5's AllMemory range as its config files write it (no npusim AddrRange:
# npusim's addresses stop at 2^63)
ALL_MEMORY_WRITTEN = f"0:{2**64 - 1}"
_TYPES["Blob"].to_config = lambda b: f"<{len(b)} bytes>"


def param_type(name: str) -> ParamType:
    if name in _TYPES:
        return _TYPES[name]
    return SimObjectType(name)


_NO_DEFAULT = object()


class ParamDesc:
    """One declared parameter of a SimObject class."""

    def __init__(self, ptype: ParamType, args, vector=False, written_as=None):
        """`written_as`, if given, turns the value config.json and config.ini
        show into the form gem5 writes for its own declaration of the
        parameter, where that differs from npusim's (output only: the
        simulator still reads the value as declared)."""
        if len(args) == 1:
            default, doc = _NO_DEFAULT, args[0]
        elif len(args) == 2:
            default, doc = args
        else:
            raise TypeError("a Param takes (default, doc) or (doc)")
        self.ptype, self.default, self.doc, self.vector = ptype, default, doc, vector
        self.written_as = written_as
        self.name = None  # set by the metaclass

    @property
    def type_name(self):
        return f"VectorParam.{self.ptype.name}" if self.vector else self.ptype.name

    def has_default(self):
        return self.default is not _NO_DEFAULT

    def convert(self, value, owner: str):
        """Checks `value`; raises ParamError naming `owner`.`name`."""
        from .objects.base import ParentProxy
        try:
            if isinstance(value, ParentProxy):
                return value
            if self.vector:
                if value is None:
                    return []
                if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
                    value = [value]
                return [self.ptype.convert(v) for v in value]
            if value is None:  # an optional parameter left unset: C++ sees no value (Params::has() is false)
                self._check_may_be_none()
                return None
            return self.ptype.convert(value)
        except units.UnitError as err:
            raise ParamError(f"{owner}.{self.name}: {err} (parameter type {self.type_name})") from None

    def _check_may_be_none(self):
        # None reaches C++ as "no value", where a fallback of its own (which
        # need not be the default declared here) would silently apply.
        if isinstance(self.ptype, SimObjectType) or (self.has_default() and self.default is None):
            return
        if not self.has_default():
            raise units.UnitError("None is not a value; this parameter is required")
        raise units.UnitError(f"None is not a value (the default is {self.default!r}; "
                              "leave the parameter unset to keep it)")

    def to_cxx(self, value):
        if self.vector:
            return [self.ptype.to_cxx(v) for v in value]
        return None if value is None else self.ptype.to_cxx(value)

    def to_config(self, value):
        if self.vector:
            shown = [self.ptype.to_config(v) for v in value]
        else:
            shown = None if value is None else self.ptype.to_config(value)
        return self.written_as(shown) if self.written_as else shown


class _ParamFactory:
    def __init__(self, vector):
        self._vector = vector

    def __getattr__(self, type_name):
        if type_name.startswith("_"):
            raise AttributeError(type_name)

        def make(*args, written_as=None):
            return ParamDesc(param_type(type_name), args, vector=self._vector, written_as=written_as)
        return make

    def Enum(self, values, *args, written_as=None):
        return ParamDesc(Enum(values), args, vector=self._vector, written_as=written_as)


Param = _ParamFactory(vector=False)
VectorParam = _ParamFactory(vector=True)
