"""Registry of workloads by command-line name."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Dict, List

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
        _REGISTRY[name] = Entry(name, fn, doc or (fn.__doc__ or "").strip().split("\n")[0],
                                {"default": {}, "small": dict(small or {})})
        return fn
    return deco


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
