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

import numbers
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
    elif not hasattr(names, "__iter__") or not all(isinstance(n, str) for n in names):
        raise TypeError(f"--debug-flags: give flag names (a list of str or 'A,B'), not {names!r}")
    _core.set_debug_flags([n.strip() for n in names])


def set_window(start: int = 0, end: int | None = None) -> None:
    """Trace points print only for ticks in [start, end)."""
    for what, value in (("start", start), ("end", end)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, numbers.Integral)
                                  or not 0 <= value <= MaxTick):
            raise ValueError(f"debug window {what} (--debug-{what}) must be a whole number of ticks in [0, 2**64), "
                             f"not {value!r}")
    _core.set_debug_window(int(start), MaxTick if end is None else int(end))


def set_file(path: str | os.PathLike | None) -> None:
    """Writes trace lines to `path` (None or "cout": stdout)."""
    name = "" if path is None or os.fspath(path) == "cout" else os.fspath(path)
    # gem5 writes these to stderr and gzipped; npusim's trace goes uncompressed to stdout or a file
    if os.path.basename(name) == "cerr":   # the CLI puts a relative name under -d
        raise ValueError("--debug-file 'cerr': npusim traces to stdout ('cout') or to a file, not to stderr")
    if name.endswith(".gz"):
        raise ValueError(f"--debug-file {name!r}: npusim does not compress traces; give a name without .gz")
    _core.set_debug_output(name)
