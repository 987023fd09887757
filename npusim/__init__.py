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
from .simulation import (MaxTick, ExitEvent, curTick, functional_read, functional_write, instantiate, reset,
                         simulate)
from . import debug, options, stats, ticks, util
from . import objects as _objects  # noqa: F401  (declares every SimObject type)

__all__ = ["instantiate", "simulate", "curTick", "stats", "ticks", "options", "util", "MaxTick", "ExitEvent", "SimulationError",
           "ParamError", "functional_read", "functional_write", "reset"]
