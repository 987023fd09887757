"""Every SimObject declaration. Each module in this folder is imported
automatically, so a new type needs only its own module (no central list);
``from npusim.objects import *`` brings all of them in, as gem5's m5.objects."""

import importlib
import pkgutil

from .base import ClockedObject, Parent, Root, Self, SimObject, SrcClockDomain, System, all_classes  # noqa: F401
from ..params import AddrRange, Param, VectorParam  # noqa: F401

for _mod in sorted(m.name for m in pkgutil.iter_modules(__path__)):
    if _mod != "base":
        importlib.import_module(f"{__name__}.{_mod}")

globals().update(all_classes())
__all__ = sorted(all_classes()) + ["Parent", "Self", "AddrRange"]
