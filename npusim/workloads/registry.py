"""Registry of workloads by command-line name."""

from __future__ import annotations

import functools
import inspect
import math
import numbers
from dataclasses import dataclass, field
from typing import Callable, Dict, List

import numpy as np

_REGISTRY: Dict[str, "Entry"] = {}


@dataclass
class Entry:
    name: str
    factory: Callable
    doc: str
    presets: Dict[str, dict] = field(default_factory=dict)


def register(name: str, doc: str = "", small: dict = None):
    """Decorator: register a workload factory under ``name``.

    ``small`` is the keyword set of the "small" preset (seconds-fast tests);
    "default" is the factory's own defaults.
    """
    def deco(fn):
        if name in _REGISTRY:
            raise ValueError(f"workload {name!r} registered twice")
        checked = _checked(name, fn)
        _REGISTRY[name] = Entry(name, checked, doc or (fn.__doc__ or "").strip().split("\n")[0],
                                {"default": {}, "small": dict(small or {})})
        return checked
    return deco


#: int parameters that may be 0 (every other shape parameter must be >= 1)
_MAY_BE_ZERO = {"seed", "window"}
#: float parameters with a range: name -> (lowest, highest, whether the lowest is allowed, range text)
_FLOAT_RANGES = {"sparsity": (0.0, 1.0, True, "in [0, 1)"), "avg_degree": (0.0, math.inf, False, "> 0"),
                 "exponent": (1.0, math.inf, False, "> 1")}


def _check_argument(workload: str, key: str, value, kind: str) -> None:
    where = f"workload {workload}: parameter {key}={value!r}"
    if kind == "int":
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
            raise TypeError(f"{where} must be an integer")
        lowest = 0 if key in _MAY_BE_ZERO else 1
        if value < lowest:
            raise ValueError(f"{where} must be >= {lowest}")
    elif kind == "float":
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
            raise TypeError(f"{where} must be a number")
        lo, hi, lo_ok, text = _FLOAT_RANGES.get(key, (-math.inf, math.inf, True, "finite"))
        if not (lo <= value < hi and (lo_ok or value > lo)):
            raise ValueError(f"{where} must be {text}")
    elif kind == "bool" and not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{where} must be True or False")
    elif kind == "str" and not isinstance(value, str):
        raise TypeError(f"{where} must be a string")


def _checked(workload: str, fn: Callable) -> Callable:
    """``fn`` with its arguments checked against their annotations (shapes
    are integers >= 1, flags booleans, ...), host memory exhaustion reported
    as a ValueError naming the arguments, and a workload whose expected
    output is all zeros refused: a run that wrote nothing would pass its check."""
    signature = inspect.signature(fn)

    @functools.wraps(fn)
    def build(*args, **kwargs):
        try:
            bound = signature.bind(*args, **kwargs)
        except TypeError as err:
            raise TypeError(f"workload {workload}: {err}") from None
        for key, value in bound.arguments.items():
            param = signature.parameters[key]
            if not (value is None and param.default is None):
                _check_argument(workload, key, value, param.annotation)
        shown = ", ".join(f"{k}={v!r}" for k, v in bound.arguments.items() if k != "config")
        try:
            wl = fn(*args, **kwargs)
        except MemoryError as err:
            raise ValueError(f"workload {workload}({shown}) does not fit in host memory ({err})") from None
        if not np.any(wl.expected):
            raise ValueError(f"workload {workload}({shown}): the expected output is all zeros, so the check "
                             f"could not tell a correct run from one that wrote nothing; use a denser or "
                             f"larger instance")
        return wl
    return build


def names() -> List[str]:
    """Names of all registered workloads (sorted)."""
    _load()
    return sorted(_REGISTRY)


def entry(name: str) -> Entry:
    _load()
    try:
        return _REGISTRY[name]
    except KeyError:
        raise KeyError(f"unknown workload {name!r}; known: {', '.join(sorted(_REGISTRY))}") from None


def get(name: str, size: str = "default", **kwargs):
    """Build workload ``name``; ``size`` picks a preset ("default" or
    "small"), keyword arguments override it (shape, sparsity, seed, ...)."""
    e = entry(name)
    if size not in e.presets:
        raise KeyError(f"unknown size {size!r} for {name}; presets: {', '.join(e.presets)}")
    kw = dict(e.presets[size])
    kw.update(kwargs)
    return e.factory(**kw)


def _load():
    # importing the kernel modules registers them
    from . import attention, dense, embedding, gnn, moe, pointcloud, sparse_linear  # noqa: F401
