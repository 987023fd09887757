"""instantiate(), simulate(), curTick(): turning a Python object tree into a
running C++ simulation."""

from __future__ import annotations

import json
import numbers
import os
import warnings

from . import _core
from .objects.base import InvalidValue, ParentProxy, Root, SimObject
from .params import ParamError
from .stats_file import parse_stats_file
from .units import MAX_BYTES, MAX_TICKS

MaxTick = 2**64 - 1

_state = {"root": None, "objects": [], "outdir": "m5out", "instantiated": False, "max_tick": MaxTick, "failed": None,
          "files": {"stats": "stats.txt", "config_ini": "config.ini", "config_json": "config.json"}}


def set_outdir(path: str):
    _state["outdir"] = path


def outdir() -> str:
    return _state["outdir"]


def set_output_files(stats: str | None = None, config_ini: str | None = None, config_json: str | None = None):
    """The names of the output files, as gem5's --stats-file, --dump-config
    and --json-config: relative to the output directory unless absolute; an
    empty name for a configuration file writes none. The stats file may be
    a gem5 stats URL (npusim.stats_file)."""
    for key, name in (("stats", stats), ("config_ini", config_ini), ("config_json", config_json)):
        if name is not None:
            if key == "stats":
                parse_stats_file(name)   # (a ValueError saying what is wrong)
            _state["files"][key] = name


def output_files_named(labels: dict[str, str] | None = None) -> list[tuple[str, str]]:
    """(label, path) of every output file written: the stats file, its JSON
    twin and the configuration files, labelled by `labels` (key -> label)
    where given, e.g. the command line's option names."""
    from .stats import json_twin
    labels = labels or {}
    stats = output_path("stats")
    out = [(labels.get("stats", "the stats file"), stats),
           (labels.get("stats_json", "the stats file's JSON twin"), json_twin(stats))]
    for key in ("config_ini", "config_json"):
        if path := output_path(key):
            out.append((labels.get(key, key), path))
    return out


def shared_output_file(outputs: list[tuple[str, str]]) -> str | None:
    """Why two of `outputs` ((label, path) pairs) would overwrite each other,
    or None: one of the two would be silently lost."""
    seen = {}
    for what, path in outputs:
        key = os.path.realpath(path)
        if key in seen:
            return f"{what} and {seen[key]} both name {path!r}; give each output its own file"
        seen[key] = what
    return None


def output_file(key: str) -> str:
    """The name given for output file `key` ("stats", "config_ini",
    "config_json"), as on the command line: relative to the output directory
    unless absolute; empty if it is not written."""
    return _state["files"][key]


def output_path(key: str) -> str | None:
    """Where output file `key` ("stats", "config_ini", "config_json") goes, or None if not written."""
    name = parse_stats_file(output_file(key)).path if key == "stats" else output_file(key)
    return os.path.join(_state["outdir"], name) if name else None


class ExitEvent:
    """What ended a simulate() call (gem5's GlobalSimLoopExitEvent)."""

    def __init__(self, cause: str, code: int, tick: int):
        self.cause, self.code, self.tick = cause, code, tick

    def getCause(self) -> str:
        return self.cause

    def getCode(self) -> int:
        return self.code

    def __repr__(self):
        return f"ExitEvent({self.cause!r} @ {self.tick})"


def _resolve(root: Root) -> list[SimObject]:
    """Fills defaults, resolves Parent proxies, clones SimObject defaults and
    checks the tree; returns every object in tree order."""
    for obj in root.descendants():
        # What an earlier instantiate() filled in (defaults, Parent/Self
        # proxies) is filled in again: the tree may have changed since.
        for name, given in obj._auto.items():
            if given is None:
                obj._values.pop(name, None)
            else:
                obj._values[name] = given
        obj._auto.clear()
    objs = list(root.descendants())
    for obj in objs:
        cls = type(obj)
        if cls.abstract:
            raise ParamError(f"{obj.path()}: {cls.__name__} is abstract and cannot be instantiated")
        if cls.type is None:
            raise ParamError(f"{obj.path()}: {cls.__name__} declares no C++ type")
        for name, desc in cls._params.items():
            if name in obj._values:
                value = obj._values[name]
                if isinstance(value, InvalidValue):
                    if value.why:
                        raise ParamError(f"{obj.path()}.{name}: {value.why}")
                    desc.convert(value.raw, obj.path())  # raises, naming the full path
            elif desc.has_default():
                value = desc.default
                if isinstance(value, SimObject):
                    objs.extend(obj._own_default(name, value).descendants())
                    continue
                value = desc.convert(value, obj.path())  # defaults are checked and converted like set values
                obj._auto[name] = None
            else:
                raise ParamError(f"{obj.path()}.{name}: required parameter is not set ({desc.type_name}: {desc.doc})")
            if isinstance(value, ParentProxy):
                obj._auto.setdefault(name, value)
                value = desc.convert(value.resolve(obj, name), obj.path())
            obj._values[name] = value
    for obj in objs:
        for name, desc in type(obj)._params.items():
            values = obj._values[name] if desc.vector else [obj._values[name]]
            for v in values:
                if isinstance(v, SimObject) and v._parent is None:
                    raise ParamError(f"{obj.path()}.{name}: refers to a {type(v).__name__} that is not part "
                                     f"of the object tree (assign it to some object first)")
    for obj in objs:
        _check_cycle_latencies(obj)
    return list(root.descendants())


def _check_cycle_latencies(obj):
    """C++ turns a Cycles parameter into ticks (cycles x clock period); a count
    so large that the product wraps around 64 bits would silently become a
    short latency."""
    domain = obj._values.get("clk_domain")
    period = domain._values.get("clock") if isinstance(domain, SimObject) else None
    if not period:
        return
    for name, desc in type(obj)._params.items():
        value = obj._values[name]
        if desc.ptype.name == "Cycles" and not desc.vector and value is not None and value * period > MAX_TICKS:
            raise ParamError(f"{obj.path()}.{name}: {value} cycles of {period} ticks is too long "
                             f"(at most {MAX_TICKS // period} cycles at this clock)")


def _check_ports(objs):
    for obj in objs:
        for name, desc in type(obj)._ports.items():
            if desc.is_vector or desc.optional:
                continue
            if not obj._is_port_connected(name):
                raise ParamError(f"{obj.path()}.{name}: port is not connected ({desc.kind}: {desc.doc})")


def _creation_order(objs):
    """Objects referenced by a parameter are created before their users."""
    order, state = [], {}

    def visit(obj, chain):
        mark = state.get(id(obj))
        if mark == "done":
            return
        if mark == "active":
            cycle = " -> ".join(o.path() for o in chain + [obj])
            raise ParamError(f"parameter references form a cycle: {cycle}")
        state[id(obj)] = "active"
        for name, desc in type(obj)._params.items():
            values = obj._values[name] if desc.vector else [obj._values[name]]
            for v in values:
                if isinstance(v, SimObject):
                    visit(v, chain + [obj])
        state[id(obj)] = "done"
        order.append(obj)

    for obj in objs:
        visit(obj, [])
    return order


# Parameter types that size host tables (a latency's ticks are large numbers
# too, but allocate nothing).
_SIZING_TYPES = {"Unsigned", "UInt64", "Int", "MemorySize"}


def _out_of_memory(obj, stage="build") -> str:
    """The message for an object that ran out of host memory: its largest
    size or count parameter, its own or a parameter object's (a DRAM
    interface's buffers are allocated by its controller), is nearly always
    the culprit."""
    sizes = {}
    for owner, prefix in [(obj, "")] + [(v, f"{k}.") for k, v in obj._values.items() if isinstance(v, SimObject)]:
        for name, desc in type(owner)._params.items():
            value = owner._values.get(name)
            if desc.ptype.name in _SIZING_TYPES and isinstance(value, int) and not isinstance(value, bool):
                sizes[prefix + name] = value
    hint = ""
    if sizes:
        name = max(sizes, key=sizes.get)
        hint = f"; its largest size or count is {name}={sizes[name]}"
    return (f"{obj.path()}: not enough host memory to {stage} this {type(obj).__name__}{hint} "
            f"(is a size or entry count far too large?)")


def _cxx_params(obj):
    out = {}
    for name, desc in type(obj)._params.items():
        value = obj._values[name]
        if desc.vector:
            items = [v._live_cxx() if isinstance(v, SimObject) else desc.ptype.to_cxx(v) for v in value]
            # Vectors of pairs (address ranges) reach C++ flattened: [s0, e0, s1, e1, ...].
            out[name] = [x for item in items for x in item] if items and isinstance(items[0], list) else items
        elif isinstance(value, SimObject):
            out[name] = value._live_cxx()
        else:
            out[name] = desc.to_cxx(value)
    return out


def _port_peers(obj, name) -> list[str]:
    """The full names of the ports connected to `obj`'s port `name`, in the
    order of that port's indices (as gem5 lists a vector port's peers)."""
    peers = []
    for (local, idx, peer, pidx) in obj._connections:
        if local.name == name:
            peers.append((idx, peer.full_name() + (f"[{pidx}]" if pidx >= 0 else "")))
    for other in _state["objects"]:
        for (local, idx, peer, pidx) in other._connections:
            if peer.owner is obj and peer.name == name:
                peers.append((pidx, local.full_name() + (f"[{idx}]" if idx >= 0 else "")))
    return [full_name for _, full_name in sorted(peers, key=lambda p: p[0])]


def _config_dict(obj):
    """One object of config.json, in gem5's form: name, path, parameters,
    connected ports ({"role": "GEM5 REQUESTOR"/"GEM5 RESPONDER", "peer": one
    port's name, or a list for a vector port, "is_source": "True"/"False"})
    and children inline."""
    cls = type(obj)
    path = obj.path()
    # (gem5 gives the root no name)
    name = None if isinstance(obj, Root) else path.rsplit(".", 1)[-1]
    # gem5's "type" is the declared type, which presets and user subclasses
    # inherit (DDR4_2400_8x8 is a DRAMInterface), not the Python class name
    entry = {"type": cls.type, "cxx_class": _core.cxx_class(cls.type) or None, "name": name, "path": path}
    for name, desc in cls._params.items():
        entry[name] = desc.to_config(obj._values[name])
    for name, port in cls._ports.items():
        peers = _port_peers(obj, name)
        if peers:
            entry[name] = {"role": "GEM5 REQUESTOR" if port.is_request else "GEM5 RESPONDER",
                           "peer": peers if port.is_vector else peers[0],
                           "is_source": str(port.is_request)}
    for child in obj.children():
        entry[child._name] = _config_dict(child)
    return entry


def _ini_value(value) -> str:
    """A config.json value as gem5's config.ini writes it: booleans in
    lower case, vectors space-separated."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return " ".join(_ini_value(v) for v in value)
    return "" if value is None else str(value)


def _config_ini(obj, out: list[str]) -> None:
    """gem5's config.ini: one [path] section per object, depth first with
    children in name order; type, children, params and ports (their peers)
    each sorted by name."""
    cls = type(obj)
    out.append(f"[{obj.path()}]")
    out.append(f"type={cls.type}")
    children = sorted(obj.children(), key=lambda c: c._name)
    if children:
        out.append("children=" + " ".join(c._name for c in children))
    for name in sorted(cls._params):
        desc = cls._params[name]
        value = obj._values[name]
        if value is None:
            continue
        out.append(f"{name}={_ini_value(desc.to_config(value))}")
    for name in sorted(cls._ports):
        peers = _port_peers(obj, name)
        if peers:
            out.append(f"{name}={' '.join(peers)}")
    out.append("")
    for child in children:
        _config_ini(child, out)


def instantiate(outdir: str | None = None):
    """Builds the C++ objects for the tree under the Root, binds ports, writes
    config.json and runs init()/startup()."""
    root = Root.getInstance()
    if root is None:
        raise ParamError("no Root object: create one with Root(full_system=False, system=...)")
    if outdir is not None:
        set_outdir(outdir)
    if clash := shared_output_file(output_files_named()):   # (names set through the API; the CLI checked its own)
        raise ParamError(f"output files: {clash} (npusim.simulation.set_output_files)")
    from . import stats
    if _state["instantiated"]:
        # A new simulation: the previous one's objects and per-run settings go, as with reset().
        _forget_objects()
        _state["max_tick"] = MaxTick
    if _state["instantiated"] or _core.events_pending() or _core.packets_created():
        _teardown()
    _state.update(instantiated=False, failed=None)
    try:
        _build(root)
    except BaseException:
        # Leave nothing half built: the tree stays editable, to be fixed and instantiated again.
        _teardown()
        _forget_objects()
        _state.update(root=None, objects=[], instantiated=False)
        stats.end(drop_pending=False)   # a periodicStatDump() asked for before starts at the next attempt
        raise


_teardowns = 0   # C++ simulations torn down so far (each frees its objects)


def _teardown():
    global _teardowns
    _core.reset_simulation()
    _teardowns += 1


class CxxHandle:
    """What SimObject.getCxx() gives: the C++ object, usable while its
    simulation exists; once reset() or another instantiate() has freed it,
    any use raises instead of reaching freed memory. Its ports (get_port)
    are guarded the same way."""

    __slots__ = ("_target", "_made_in", "_what")

    def __init__(self, target, what: str):
        self._target, self._made_in, self._what = target, _teardowns, what

    def _live(self):
        if self._made_in != _teardowns:
            raise RuntimeError(f"{self._what}: this C++ handle outlived its simulation (npusim.reset() or another "
                               "instantiate() freed the object); take a new one with getCxx()")
        return self._target

    def __getattr__(self, name):
        value = getattr(self._live(), name)
        if not callable(value):
            return value

        def call(*args, **kwargs):
            result = getattr(self._live(), name)(*args, **kwargs)
            return CxxHandle(result, f"{self._what} port {args[0] if args else ''}") if name == "get_port" else result
        return call

    def __repr__(self):
        return f"<C++ handle of {self._what}>"


def _forget_objects():
    """The Python objects of the torn-down simulation no longer reach C++
    (their handles would point at freed objects)."""
    for obj in _state["objects"]:
        object.__setattr__(obj, "_cxx", None)


def _build(root):
    objs = _resolve(root)
    _state["objects"] = objs   # (what a failure below must detach)
    _check_ports(objs)
    order = _creation_order(objs)
    for obj in order:
        try:
            obj._cxx = _core.create(type(obj).type, obj.path(), _cxx_params(obj))
        except MemoryError:
            raise ParamError(_out_of_memory(obj)) from None
    for obj in objs:
        for (local, idx, peer, pidx) in obj._connections:
            _core.bind_ports(obj._live_cxx().get_port(local.name, idx), peer.owner._live_cxx().get_port(peer.name, pidx))
    _state.update(root=root, instantiated=True)
    os.makedirs(_state["outdir"], exist_ok=True)
    if path := output_path("config_json"):
        with open(path, "w") as f:
            json.dump(_config_dict(root), f, indent=2)
    if path := output_path("config_ini"):
        ini: list[str] = []
        _config_ini(root, ini)
        with open(path, "w") as f:
            f.write("\n".join(ini))
    for obj in order:
        try:
            obj._live_cxx().init()
        except MemoryError:   # tables sized at init() (a prefetcher's)
            raise ParamError(_out_of_memory(obj, "initialise")) from None
    for obj in objs:
        hook = getattr(obj, "after_init", None)   # e.g. functional memory loads
        if hook:
            hook()
    for obj in order:
        obj._live_cxx().startup()
    from . import stats
    stats.begin(objs)


def simulate(max_ticks: int = MaxTick) -> ExitEvent:
    """Runs until an exit event, or for at most `max_ticks` more ticks."""
    if not _state["instantiated"]:
        raise RuntimeError("simulate() called before instantiate()")
    if _state["failed"]:
        raise RuntimeError(f"simulate(): an earlier simulate() of this simulation failed ({_state['failed']}); it "
                           "cannot go on from a half-handled event. stats.dump() still shows where it stopped; "
                           "npusim.reset() and build the configuration again to run another")
    if isinstance(max_ticks, bool) or not isinstance(max_ticks, numbers.Integral):
        raise TypeError(f"simulate(): max_ticks must be an integer number of ticks, not {max_ticks!r}")
    if max_ticks < 0:
        raise ValueError("simulate(): max_ticks must be non-negative")
    max_ticks = int(max_ticks)
    now = _core.cur_tick()
    limit = MaxTick if max_ticks >= MaxTick - now else now + max_ticks
    if _state["max_tick"] > now:   # setMaxTick(): no run goes past it
        limit = min(limit, _state["max_tick"])
    from . import stats
    while True:
        # With periodic stat dumps, run up to each dump tick in turn (events
        # at that tick included), dump, and go on.
        due = stats.next_periodic_dump()
        if due is None or due > limit:
            return _exit_event(*_run_until(limit))
        cause, code, tick = _run_until(due)
        if tick == due:
            stats.periodic_dump_due()
        if cause != _core.LIMIT_CAUSE or tick == limit:
            return _exit_event(cause, code, tick)


def _run_until(tick: int):
    try:
        return _core.simulate(tick)
    except Exception as err:
        _state["failed"] = f"{type(err).__name__}: {err}"
        raise


def _exit_event(cause: str, code: int, tick: int) -> ExitEvent:
    # Nothing left to happen while packets are still out means some request
    # will never be answered: say so rather than end as if all were done.
    if cause == "event queue empty" and (stuck := _core.packets_live()):
        warnings.warn(f"the event queue ran dry at tick {tick} with {stuck} packet(s) still in flight: a request "
                      "was never answered (a deadlock, or a loop in the memory system's wiring?)",
                      RuntimeWarning, stacklevel=3)
    return ExitEvent(cause, code, tick)


def curTick() -> int:
    return _core.cur_tick()


def setMaxTick(tick: int) -> None:  # noqa: N802  (gem5's names)
    """gem5's m5.setMaxTick: simulate() ends at this absolute tick, with cause
    "simulate() limit reached"; a tick not in the future is warned about and ignored."""
    if isinstance(tick, bool) or not isinstance(tick, numbers.Integral) or not 0 <= tick <= MaxTick:
        raise ValueError(f"setMaxTick(): the tick must be an integer in [0, MaxTick], not {tick!r}")
    if tick <= _core.cur_tick():
        warnings.warn("setMaxTick(): max tick scheduled for the past; it will not be triggered",
                      RuntimeWarning, stacklevel=2)
    _state["max_tick"] = int(tick)


def getMaxTick() -> int:  # noqa: N802
    return _state["max_tick"]


def getTicksUntilMax() -> int:  # noqa: N802
    return max(_state["max_tick"] - _core.cur_tick(), 0)


def objects() -> list[SimObject]:
    return list(_state["objects"])


def _functional_args(what, obj, port, **ints):
    """Checks a functional access's integers, naming the call and the port."""
    if not isinstance(obj, SimObject):
        raise TypeError(f"{what}(): the first argument must be a SimObject, not {obj!r}")
    where = f"{what}({obj.path()}.{port})"
    for name, value in ints.items():
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or not 0 <= value <= MAX_BYTES:
            raise ValueError(f"{where}: {name} must be an integer in [0, 2**63), not {value!r}")
    return where


def functional_write(obj: SimObject, port: str, addr: int, data: bytes, requestor: int = 0):
    """Writes `data` at `addr` through `obj`'s request port, functionally."""
    where = _functional_args("functional_write", obj, port, addr=addr, requestor=requestor)
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"{where}: data must be bytes, not {type(data).__name__}")
    _core.functional_write(obj._live_cxx().get_port(port), addr, bytes(data), requestor)


def functional_read(obj: SimObject, port: str, addr: int, size: int, requestor: int = 0) -> bytes:
    where = _functional_args("functional_read", obj, port, addr=addr, size=size, requestor=requestor)
    try:
        return _core.functional_read(obj._live_cxx().get_port(port), addr, size, requestor)
    except MemoryError:
        raise ValueError(f"{where}: not enough host memory to read {size} bytes") from None


def reset():
    """Tears down the C++ simulation (objects, events, packets) and forgets
    the tree, its max tick and periodic dumps. The output directory and file
    names and the debug flags, file and window are the process's and stay."""
    _teardown()
    _forget_objects()
    _state.update(root=None, objects=[], instantiated=False, max_tick=MaxTick, failed=None)
    if Root._instance is not None:
        for child in Root._instance.children():   # free to go under the next Root
            object.__setattr__(child, "_parent", None)
    Root._instance = None
    from . import stats
    stats.end()
