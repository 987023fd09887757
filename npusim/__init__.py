"""npusim: a cycle-level simulator of NPU memory systems in the gem5 idiom.

Config scripts use it as they use gem5's m5 module::

    import npusim
    from npusim.objects import *
    root = Root(full_system=False, system=system)
    npusim.instantiate()
    event = npusim.simulate()
    print(event.getCause(), npusim.curTick())
"""

from . import _core
from ._core import SimulationError
from .params import ParamError
from .simulation import (MaxTick, ExitEvent, curTick, functional_read, functional_write, getMaxTick,
                         getTicksUntilMax, instantiate, reset, setMaxTick, simulate)
from . import debug, options, stats, ticks, util
from . import objects as _objects  # noqa: F401  (declares every SimObject type)

__all__ = ["instantiate", "simulate", "curTick", "stats", "ticks", "options", "util", "MaxTick", "ExitEvent", "SimulationError",
           "ParamError", "functional_read", "functional_write", "reset", "setMaxTick", "getMaxTick",
           "getTicksUntilMax", "disableAllListeners"]


def disableAllListeners() -> None:  # noqa: N802  (gem5's name)
    """gem5's: turns off the remote-debugger listeners; npusim has none, so nothing to do."""


# gem5 m5 functions npusim does not have, and why: a script calling one learns
# that, instead of a bare AttributeError.
_NO_CHECKPOINTS = "npusim has no checkpoints; rebuild the configuration and run it again (or warm up with a trace)"
_NO_CPUS = "npusim has no CPU models (TrafficGen, TraceReplayer and NPU drive the memory system)"
_MISSING = {
    "checkpoint": _NO_CHECKPOINTS, "restoreCheckpoint": _NO_CHECKPOINTS,
    "drain": "npusim has no drain: simulate() returns with the memory system as it is, and the next "
             "simulate() resumes it",
    "memWriteback": "npusim has no memWriteback (dirty lines stay in the caches)",
    "memInvalidate": "npusim has no memInvalidate",
    "switchCpus": _NO_CPUS, "fork": "npusim cannot fork a running simulation",
    "defines": "npusim is not built per ISA: there is no m5.defines.buildEnv",
    "internal": "npusim has no m5.internal; m5.stats.periodicStatDump is npusim.stats.periodicStatDump",
}


def __getattr__(name: str):
    if name in _MISSING:
        raise AttributeError(f"npusim.{name}: {_MISSING[name]}")
    raise AttributeError(f"module 'npusim' has no attribute {name!r}")
