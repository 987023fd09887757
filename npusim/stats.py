"""stats.dump() / stats.reset(): gem5's stats.txt layout and a stats.json twin."""

from __future__ import annotations

import json
import math
import numbers
import resource
import time

from . import _core

_HEADER = "---------- Begin Simulation Statistics ----------"
_FOOTER = "---------- End Simulation Statistics   ----------"

_state = {"objects": [], "reset_tick": 0, "reset_host": 0.0, "reset_requests": 0,
          "dump_count": 0, "active": False, "txt": None, "json": None, "json_tail": None,
          "period": 0, "next_dump": None, "pending_period": 0, "text_options": {}}

_JSON_CLOSE = "\n]}\n"


def json_twin(txt_path: str) -> str:
    """stats.json sits beside the text file and shares its name."""
    return (txt_path[:-4] if txt_path.endswith(".txt") else txt_path) + ".json"


def begin(objects):
    from .simulation import output_file, output_path
    from .stats_file import parse_stats_file
    txt = output_path("stats")
    text = parse_stats_file(output_file("stats"))
    json_path = json_twin(txt)
    _state.update(objects=objects, reset_tick=_core.cur_tick(), reset_host=time.perf_counter(),
                  reset_requests=_core.demand_requests(), dump_count=0, active=True,
                  txt=txt, json=json_path, json_tail=None, period=0, next_dump=None,
                  text_options={"descriptions": text.desc, "spaces": text.spaces})
    if period := _state["pending_period"]:   # asked for before instantiate(), as gem5 allows
        _state.update(period=period, next_dump=_core.cur_tick() + period, pending_period=0)
    # Both files start empty of dumps, so that a run that never dumps leaves
    # no earlier run's numbers in either.
    open(_state["txt"], "w").close()
    with open(json_path, "w") as f:
        f.write('{"dumps": []}\n')


def end(drop_pending: bool = True):
    """Stops statistics for the simulation torn down; a periodicStatDump()
    asked for before instantiate() is kept for the next unless dropped."""
    _state.update(objects=[], dump_count=0, active=False, period=0, next_dump=None)
    if drop_pending:
        _state["pending_period"] = 0


def active() -> bool:
    """Whether an instantiated simulation is writing statistics (between begin() and end())."""
    return _state["active"]


def _format_value(value: float, precision: int) -> str:
    """gem5's ValueToString: integral values without decimals, others with 6."""
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    if precision < 0:
        precision = 0 if value == round(value) else 6
    return f"{value:.{precision}f}"


def _format_row(name, value, pdf, cdf, precision, desc, unit, descriptions=True, spaces=True) -> str:
    """One line as gem5's text output writes it; without `spaces` nothing is
    padded and empty pdf/cdf columns are left out; without `descriptions`
    neither the description nor the unit is written."""
    pdf_s = "" if math.isnan(pdf) else f"{pdf * 100:.2f}%"
    cdf_s = "" if math.isnan(cdf) else f"{cdf * 100:.2f}%"
    if spaces:
        line = f"{name:<40} {_format_value(value, precision):>12} {pdf_s:>10} {cdf_s:>10}"
    else:
        line = f"{name} {_format_value(value, precision)}" + "".join(f" {s}" for s in (pdf_s, cdf_s) if s)
    if descriptions:
        if desc:
            line += f" # {desc}"
        line += f" ({unit})"
    return line


def _root_rows():
    now = _core.cur_tick()
    sim_ticks = now - _state["reset_tick"]
    host = max(time.perf_counter() - _state["reset_host"], 1e-9)
    requests = _core.demand_requests() - _state["reset_requests"]
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    insts = sum(obj._live_cxx().instructions_simulated() for obj in _state["objects"])
    tick_unit = "(Tick/Second)"
    return [
        ("simSeconds", sim_ticks / 1e12, math.nan, math.nan, -1, "Number of seconds simulated", "Second"),
        ("simTicks", sim_ticks, math.nan, math.nan, -1, "Number of ticks simulated", "Tick"),
        ("finalTick", now, math.nan, math.nan, -1,
         "Number of ticks from beginning of simulation (restored from checkpoints and never reset)", "Tick"),
        ("simFreq", 10**12, math.nan, math.nan, -1, "The number of ticks per simulated second", tick_unit),
        ("hostSeconds", round(host, 2), math.nan, math.nan, 2, "Real time elapsed on the host", "Second"),
        ("hostTickRate", round(sim_ticks / host), math.nan, math.nan, -1,
         "The number of ticks simulated per host second (ticks/s)", tick_unit),
        ("hostMemory", rss, math.nan, math.nan, -1, "Peak host memory used (resident set)", "Byte"),
        # gem5's instruction counts: the processors' (NPUs'), 0 without any;
        # an NPU has no micro-ops, so ops are its instructions
        ("simInsts", insts, math.nan, math.nan, -1, "Number of instructions simulated", "Count"),
        ("simOps", insts, math.nan, math.nan, -1, "Number of ops (including micro ops) simulated", "Count"),
        ("hostInstRate", round(insts / host), math.nan, math.nan, -1, "Simulator instruction rate (inst/s)",
         "(Count/Second)"),
        ("hostOpRate", round(insts / host), math.nan, math.nan, -1,
         "Simulator op (including micro ops) rate (op/s)", "(Count/Second)"),
        ("simRequests", requests, math.nan, math.nan, -1, "npusim: number of demand requests issued by requestors",
         "Count"),
        ("hostRequestRate", round(requests / host), math.nan, math.nan, -1,
         "npusim: demand requests simulated per host second", "(Count/Second)"),
    ]


HOST_STATS = ("hostSeconds", "hostTickRate", "hostMemory", "hostInstRate", "hostOpRate", "hostRequestRate")


def collect() -> list[tuple]:
    """All rows of one dump, root stats first, then objects in tree order."""
    rows = _root_rows()
    for obj in _state["objects"]:
        prefix = obj.path()
        if prefix == "root":
            continue
        for (name, value, pdf, cdf, precision, desc, unit) in obj._live_cxx().stats_rows():
            rows.append((f"{prefix}.{name}", value, pdf, cdf, precision, desc, unit))
    return rows


def dump():
    """Appends one Begin/End block to stats.txt and one dump to stats.json,
    and returns the dump's values (stat name -> number; gem5's returns None)."""
    if not _state["active"]:
        raise RuntimeError("stats.dump() called before instantiate()")
    rows = collect()
    with open(_state["txt"], "a") as f:
        f.write("\n" + _HEADER + "\n")
        for row in rows:
            f.write(_format_row(*row, **_state["text_options"]) + "\n")
        f.write("\n" + _FOOTER + "\n\n")
    values = {}
    for (name, value, *_rest) in rows:
        values[name] = int(value) if value == value and not math.isinf(value) and value == int(value) else value
    _state["dump_count"] += 1
    _append_json(values)
    return values


def _append_json(values: dict) -> None:
    """Adds one dump to stats.json, which stays a complete document
    ({"dumps": [...]}) after every dump. Only the new dump is written (over
    the closing bracket), so many periodic dumps cost linear time."""
    text = json.dumps(values, indent=1)
    if _state["json_tail"] is None:
        with open(_state["json"], "w") as f:
            f.write('{"dumps": [\n' + text)
            _state["json_tail"] = f.tell()
            f.write(_JSON_CLOSE)
    else:
        with open(_state["json"], "r+") as f:
            f.seek(_state["json_tail"])
            f.write(",\n" + text)
            _state["json_tail"] = f.tell()
            f.write(_JSON_CLOSE)


def periodicStatDump(period: int) -> None:
    """Dumps the stats every `period` ticks from now on, as gem5's
    m5.stats.periodicStatDump (no reset between dumps, so each dump is
    cumulative; read_stats() gives one row per dump). 0 stops it. A dump due
    at the same tick as an exit happens first, as gem5's stat event
    outranks its exit event. Called before instantiate(), as gem5 allows,
    the dumps start at instantiate()."""
    if isinstance(period, bool) or not isinstance(period, numbers.Integral) or period < 0:
        raise ValueError(f"stats.periodicStatDump(): period must be a whole number of ticks >= 0, not {period!r}")
    period = int(period)
    if not _state["active"]:
        _state["pending_period"] = period
        return
    _state.update(period=period, next_dump=_core.cur_tick() + period if period else None)


def next_periodic_dump():
    """The tick of the next periodic dump, or None."""
    return _state["next_dump"] if _state["active"] else None


def periodic_dump_due() -> None:
    """Called by simulate() when time has reached the next periodic dump."""
    dump()
    _state["next_dump"] += _state["period"]


def reset():
    """Zeroes every stat; simTicks and host stats count from now."""
    if not _state["active"]:
        raise RuntimeError("stats.reset() called before instantiate()")
    for obj in _state["objects"]:
        if obj.path() != "root":
            obj._live_cxx().reset_stats()
    _state.update(reset_tick=_core.cur_tick(), reset_host=time.perf_counter(),
                  reset_requests=_core.demand_requests())


def dumped() -> int:
    return _state["dump_count"]
