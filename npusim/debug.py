"""Debug tracing, as gem5's ``--debug-flags``.

Components declare named flags in C++ (``NPUSIM_DEBUG_FLAG``); an enabled
flag's trace points print ``tick: object: message`` lines::

    npusim --debug-flags=Cache,DRAM --debug-start=1000000 configs/examples/traffic_gen.py
    npusim --debug-help                       # every flag and what it traces

or from a script, before ``simulate()``::

    npusim.debug.set_flags(["Cache"])
    npusim.debug.set_file("trace.out")        # default: stdout
"""

from __future__ import annotations

import os

from . import _core
from .simulation import MaxTick


def flags() -> dict[str, str]:
    """Every debug flag and its description, by name."""
    return dict(_core.debug_flags())


def set_flags(names) -> None:
    """Enables exactly these flags (a list, or gem5's comma-separated string);
    an unknown name raises npusim.SimulationError listing the known ones."""
    if isinstance(names, str):
        names = [n for n in names.split(",") if n.strip()]
    _core.set_debug_flags([n.strip() for n in names])


def set_window(start: int = 0, end: int | None = None) -> None:
    """Trace points print only for ticks in [start, end)."""
    for what, value in (("start", start), ("end", end)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
            raise ValueError(f"debug window {what} must be a non-negative whole number of ticks, not {value!r}")
    _core.set_debug_window(start, MaxTick if end is None else end)


def set_file(path: str | os.PathLike | None) -> None:
    """Writes trace lines to `path` (None or "cout": stdout)."""
    _core.set_debug_output("" if path is None or os.fspath(path) == "cout" else os.fspath(path))
