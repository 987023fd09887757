"""SimObject declarations and instances, gem5 style.

A class body declares Params and Ports; `type = "Name"` names the C++ class
registered with NPUSIM_REGISTER_SIMOBJECT (subclasses that only change
defaults, like DRAM presets, inherit it). Instances form a tree by
assignment: ``system.l2 = Cache()`` makes ``system.l2`` a child."""

from __future__ import annotations

import copy
from typing import Any

from ..params import ParamDesc, ParamError, Param, VectorParam
from ..ports import PortDesc, PortRef, RequestPort, ResponsePort  # noqa: F401  (re-exported)

_classes: dict[str, type] = {}


def simobject_class(name: str) -> type:
    try:
        return _classes[name]
    except KeyError:
        raise ParamError(f"no SimObject type named {name!r} is declared") from None


def all_classes() -> dict[str, type]:
    return dict(_classes)


class ParentProxy:
    """``Parent.clk_domain``: the nearest ancestor's value of that attribute."""

    def __init__(self, attr: str):
        self.attr = attr

    def resolve(self, obj: "SimObject", param: str):
        node = obj._parent
        while node is not None:
            value = node._lookup(self.attr)
            if value is not None and not isinstance(value, ParentProxy):
                return value
            node = node._parent
        raise ParamError(f"{obj.path()}.{param}: no ancestor has a {self.attr!r} to inherit (Parent.{self.attr})")

    def __repr__(self):
        return f"Parent.{self.attr}"


class _ParentFactory:
    def __getattr__(self, attr):
        if attr.startswith("_"):
            raise AttributeError(attr)
        return ParentProxy(attr)


Parent = _ParentFactory()


class _SelfProxy(ParentProxy):
    """``Self.tRCD``: another parameter of the same object (gem5's Self)."""

    def resolve(self, obj, param, _chain=()):
        desc = type(obj)._params.get(self.attr)
        if desc is None:
            raise ParamError(f"{obj.path()}.{param}: {type(obj).__name__} has no parameter {self.attr!r} "
                             f"to take the value of (Self.{self.attr})")
        chain = _chain + (param,)
        if self.attr in chain:
            loop = " -> ".join(f"Self.{p}" for p in chain[1:] + (self.attr,))
            raise ParamError(f"{obj.path()}.{chain[0]}: Self references form a cycle ({loop})")
        value = obj._values.get(self.attr, desc.default)
        if isinstance(value, _SelfProxy):
            value = value.resolve(obj, self.attr, chain)
        elif isinstance(value, ParentProxy):
            value = value.resolve(obj, self.attr)
        return desc.convert(value, obj.path())

    def __repr__(self):
        return f"Self.{self.attr}"


class _SelfFactory:
    def __getattr__(self, attr):
        if attr.startswith("_"):
            raise AttributeError(attr)
        return _SelfProxy(attr)


Self = _SelfFactory()


class InvalidValue:
    """A parameter value that failed its check before the object had a path;
    `why` is the reason when a subclass's own conversion found it."""

    def __init__(self, raw, why=None):
        self.raw, self.why = raw, why


class _ParamInt(int):
    """A parameter's value as npusim reads it (ticks, bytes, ...), with
    gem5's ``.value`` (in gem5's unit: seconds for a latency or clock)."""


class _ParamFloat(float):
    __doc__ = _ParamInt.__doc__


class _ParamStr(str):
    __doc__ = _ParamInt.__doc__


# gem5's ParamValue.value where it differs from what npusim stores (ticks)
_GEM5_VALUE = {"Latency": lambda t: t / 10**12, "Clock": lambda t: t / 10**12,
               "Frequency": lambda t: 10**12 / t if t else 0.0}


def _with_gem5_value(desc, value):
    """Lets scripts read ``obj.param.value`` as in gem5 (configs/dram/sweep.py:
    ``dram.banks_per_rank.value``, ``dram.tBURST.value * 1e12``): `value`
    with the attribute added, in gem5's unit (seconds for a latency)."""
    if desc.vector or isinstance(value, bool):
        return value
    for base, wrapper in ((int, _ParamInt), (float, _ParamFloat), (str, _ParamStr)):
        if isinstance(value, base):
            wrapped = wrapper(base(value))
            in_gem5_units = _GEM5_VALUE.get(desc.ptype.name)
            wrapped.value = in_gem5_units(value) if in_gem5_units and isinstance(value, (int, float)) else value
            return wrapped
    return value


class MetaSimObject(type):
    def __new__(mcls, name, bases, namespace):
        params: dict[str, ParamDesc] = {}
        ports: dict[str, PortDesc] = {}
        for base in reversed(bases):
            params.update(getattr(base, "_params", {}))
            ports.update(getattr(base, "_ports", {}))
        body = {}
        for key, value in namespace.items():
            if isinstance(value, ParamDesc):
                value.name = key
                params[key] = value
            elif isinstance(value, PortDesc):
                value.name = key
                ports[key] = value
            elif key in params and not callable(value):
                # gem5 idiom: a subclass overrides an inherited param's
                # default with a plain value (``tCK = "0.833ns"``).
                desc = copy.copy(params[key])
                desc.default = value
                params[key] = desc
            else:
                body[key] = value
        body.setdefault("abstract", False)
        cls = super().__new__(mcls, name, bases, body)
        cls._params = params
        cls._ports = ports
        cls._declares_type = "type" in namespace
        if name in _classes and _classes[name].__module__ != cls.__module__:
            raise TypeError(f"SimObject class {name} declared twice "
                            f"({_classes[name].__module__} and {cls.__module__})")
        _classes[name] = cls
        return cls

    def __getattr__(cls, name):
        # gem5 reads a parameter's default from the class too, converted
        # (MemConfig.py: intf.device_rowbuffer_size.value * intf.devices_per_rank.value)
        params = cls.__dict__.get("_params", {})
        if name.startswith("_") or name not in params:
            raise AttributeError(f"type object {cls.__name__!r} has no attribute {name!r}")
        desc = params[name]
        if not desc.has_default():
            return None
        value = desc.default
        if isinstance(value, (ParentProxy, SimObject)):
            return value   # a proxy resolves, and a SimObject is copied, per object
        return _with_gem5_value(desc, desc.convert(value, cls.__name__))


class SimObject(metaclass=MetaSimObject):
    """Base of every simulation object."""

    abstract = True
    type = None

    def __init__(self, **kwargs):
        object.__setattr__(self, "_values", {})
        object.__setattr__(self, "_children", {})
        object.__setattr__(self, "_parent", None)
        object.__setattr__(self, "_name", None)
        object.__setattr__(self, "_connections", [])   # (local PortRef, idx, peer PortRef, peer idx)
        object.__setattr__(self, "_vector_counts", {})
        object.__setattr__(self, "_cxx", None)
        # param name -> what instantiate() filled in for: a proxy, or None for the default
        object.__setattr__(self, "_auto", {})
        # port name -> the port that connected to it (for error messages)
        object.__setattr__(self, "_connected_as_peer", {})
        for key, value in kwargs.items():
            setattr(self, key, value)

    # --- naming -----------------------------------------------------------
    def path(self) -> str:
        if self._parent is None:
            return self._name or f"{type(self).__name__}()"
        parent = self._parent
        if isinstance(parent, Root):
            return self._name
        return f"{parent.path()}.{self._name}"

    def _rooted(self) -> bool:
        node = self
        while node._parent is not None:
            node = node._parent
        return isinstance(node, Root)

    def _own_default(self, name: str, template: "SimObject") -> "SimObject":
        """This object's own copy of a SimObject-valued default, made a child,
        as gem5 clones class-level SimObjects per instance (handing out the
        shared template let `npu0.scratchpad.size = ...` change every NPU's)."""
        value = template.clone()
        self._values[name] = value
        self._adopt(name, value)
        return value

    def _adopt(self, name: str, child: "SimObject", reference_ok=True):
        if child._parent is not None and (child._parent is not self or child._name != name):
            if reference_ok:
                return  # already placed elsewhere in the tree: a reference, not a child
            raise ParamError(f"{self.path()}.{name}: this {type(child).__name__} is already {child.path()}; a SimObject "
                             "has one place in the tree (make another, or refer to it from a parameter)")
        old = self._children.get(name)
        if old is not None and old is not child and (wired := old._wired_port()):
            raise ParamError(f"{self.path()}.{name}: cannot replace this {type(old).__name__}: its port {wired} is "
                             "already connected (replace an object before connecting its ports)")
        object.__setattr__(child, "_parent", self)
        object.__setattr__(child, "_name", name)
        self._children[name] = child

    # --- attribute protocol ----------------------------------------------
    def __setattr__(self, name: str, value: Any):
        if name.startswith("_"):
            object.__setattr__(self, name, value)
            return
        cls = type(self)
        if self._cxx is not None:
            raise ParamError(f"{self.path()}.{name}: cannot be changed after instantiate() (the C++ objects are "
                             "built; set it before, or build the configuration again after npusim.reset())")
        if name in cls._ports:
            self._connect(name, value)
            return
        if name in cls._params:
            desc = cls._params[name]
            self._auto.pop(name, None)   # set now: not to be filled in again at instantiate()
            try:
                converted = desc.convert(value, self.path())
            except ParamError:
                if self._rooted():
                    raise
                # Not yet under a Root, so the object's path is unknown: report
                # at instantiate(), where the message can name system.x.y.
                self._values[name] = InvalidValue(value)
                return
            self._values[name] = converted
            for i, v in enumerate(converted if desc.vector else [converted]):
                if isinstance(v, SimObject):
                    self._adopt(name if not desc.vector or len(converted) == 1 else f"{name}{i}", v)
            return
        if isinstance(value, SimObject):
            self._adopt(name, value, reference_ok=False)
            return
        if isinstance(value, (list, tuple)) and value and all(isinstance(v, SimObject) for v in value):
            for i, v in enumerate(value):
                self._adopt(f"{name}{i}" if len(value) > 1 else name, v, reference_ok=False)
            object.__setattr__(self, name, list(value))
            return
        raise AttributeError(f"{self.path()}: {cls.__name__} has no parameter or port named {name!r}")

    def _reject(self, name: str, raw, why: str):
        """Reports a value a subclass could not convert, the way failed param
        checks are reported: now if the object's path is known, else at
        instantiate(), naming the full path."""
        if self._rooted():
            raise ParamError(f"{self.path()}.{name}: {why}")
        self._values[name] = InvalidValue(raw, why)

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)
        cls = type(self)
        if name in cls._ports:
            return PortRef(self, cls._ports[name])
        if name in cls._params:
            desc = cls._params[name]
            if name in self._values:
                value = self._values[name]
            elif not desc.has_default():
                return None
            else:
                # A default reads converted, as a value that was set does
                # (gem5 converts both: Cache().size reads 32768, not "32KiB").
                value = desc.default
                if isinstance(value, _SelfProxy):
                    value = value.resolve(self, name)
                elif isinstance(value, SimObject):
                    value = self._own_default(name, value)
                elif not isinstance(value, ParentProxy):
                    value = desc.convert(value, self.path())
            return _with_gem5_value(desc, value)
        if name in self._children:
            return self._children[name]
        raise AttributeError(f"{self.path()}: {cls.__name__} has no parameter, port or child named {name!r}")

    def _lookup(self, name: str):
        if name in type(self)._params or name in self._children:
            return getattr(self, name)
        return None

    # --- ports ------------------------------------------------------------
    def _port_index(self, desc: PortDesc) -> int:
        if not desc.is_vector:
            return -1
        n = self._vector_counts.get(desc.name, 0)
        self._vector_counts[desc.name] = n + 1
        return n

    def _connect(self, name: str, peer):
        desc = type(self)._ports[name]
        if not isinstance(peer, PortRef):
            raise ParamError(f"{self.path()}.{name}: a port can only be connected to another port, "
                             f"not to {type(peer).__name__}")
        if desc.is_request == peer.desc.is_request:
            kind = "request" if desc.is_request else "response"
            raise ParamError(f"cannot connect {self.path()}.{name} to {peer.full_name()}: both are {kind} ports")
        local = PortRef(self, desc)
        for port, other in ((local, peer), (peer, local)):
            existing = port.owner._peer_of(port.name)
            if existing is not None and not type(port.owner)._ports[port.name].is_vector:
                raise ParamError(f"{port.full_name()}: port is already connected to {existing.full_name()}, "
                                 f"cannot also connect {other.full_name()} (a port has one peer; a crossbar "
                                 "shares one between several)")
        self._connections.append((local, self._port_index(desc), peer, peer.owner._port_index(peer.desc)))
        peer.owner._connected_as_peer[peer.name] = local

    def _peer_of(self, name: str):
        """The port connected to this object's port `name` (the first, for a vector port), or None."""
        for local, _, peer, _ in self._connections:
            if local.name == name:
                return peer
        return self._connected_as_peer.get(name)

    def _is_port_connected(self, name: str) -> bool:
        return self._peer_of(name) is not None

    def _wired_port(self):
        """The full name of a connected port of this object or a descendant, or None."""
        for obj in self.descendants():
            for name in type(obj)._ports:
                if obj._is_port_connected(name):
                    return f"{obj.path()}.{name}"
        return None

    # --- tree -------------------------------------------------------------
    def children(self) -> list["SimObject"]:
        """Children sorted by name, as gem5 orders them."""
        return [self._children[k] for k in sorted(self._children)]

    def descendants(self):
        yield self
        for child in self.children():
            yield from child.descendants()

    def param_values(self) -> dict[str, Any]:
        """Every declared parameter with its current (converted) value."""
        return {name: getattr(self, name) for name in type(self)._params}

    def clone(self) -> "SimObject":
        """A fresh, unattached copy with the same parameter values."""
        twin = type(self)()
        for key, value in self._values.items():
            if key in self._auto:   # as set, not as an instantiate() filled it in
                if self._auto[key] is None:
                    continue
                value = self._auto[key]
            twin._values[key] = copy.copy(value)
        return twin

    def __repr__(self):
        return f"<{type(self).__name__} {self.path()}>"

    # --- after instantiate -------------------------------------------------
    def getCxx(self):
        """The C++ object (gem5's getCCObject), guarded: a handle kept past
        npusim.reset() raises when used instead of reaching freed memory."""
        from ..simulation import CxxHandle
        return CxxHandle(self._live_cxx(), self.path())

    def _live_cxx(self):
        """The raw C++ object, for npusim's own calls within one simulation."""
        if self._cxx is None:
            raise RuntimeError(f"{self.path()} is not instantiated (call npusim.instantiate(); npusim.reset(), or "
                               "instantiating another tree, tears its simulation down)")
        return self._cxx


class VoltageDomain(SimObject):
    """gem5's voltage domain. npusim models no power: the voltage changes
    nothing and is only reported (``voltage`` in stats.txt, as gem5 does)."""

    type = "VoltageDomain"
    voltage = VectorParam.Voltage(["1V"], "Operational voltage(s); the first is the one reported")


class SrcClockDomain(SimObject):
    type = "SrcClockDomain"
    # gem5 declares one period per performance level and writes a list; npusim has one
    clock = Param.Clock("1GHz", "Clock period of the domain (a frequency or a period)",
                        written_as=lambda period: [period])
    voltage_domain = Param.VoltageDomain(None, "Voltage domain (gem5's; no effect on timing)")


class ClockedObject(SimObject):
    abstract = True
    clk_domain = Param.SrcClockDomain(Parent.clk_domain, "Clock domain this object runs in")


class System(SimObject):
    type = "System"
    clk_domain = Param.SrcClockDomain(Parent.clk_domain, "Default clock domain of the system")
    cache_line_size = Param.Unsigned(64, "Cache line size in bytes")
    mem_ranges = VectorParam.AddrRange([], "Physical memory ranges of the system")
    mem_mode = Param.Enum(["timing"], "timing", "Memory access mode; npusim simulates gem5's timing mode only")
    system_port = RequestPort("System port (gem5's; npusim sends nothing on it)", optional=True)


class Root(SimObject):
    """The top of the object tree; its children are named without a prefix."""

    type = "Root"
    full_system = Param.Bool(False, "npusim has no full-system mode; kept for gem5 scripts")
    sim_quantum = Param.Tick(0, "Unused (single event queue); kept for gem5 scripts")
    _instance = None

    def __init__(self, **kwargs):
        old = Root._instance
        if old is not None:
            if old._cxx is None:   # the first would be dropped without a word
                raise ParamError("root: a Root already exists and is not instantiated yet; there is one per "
                                 "simulation, as in gem5 (put every system under it, or discard it with npusim.reset())")
            for child in old.children():   # a finished run's tree may go under the new Root
                object.__setattr__(child, "_parent", None)
        super().__init__(**kwargs)
        object.__setattr__(self, "_name", "root")
        Root._instance = self

    def path(self):
        return "root"

    @classmethod
    def getInstance(cls):
        return cls._instance
