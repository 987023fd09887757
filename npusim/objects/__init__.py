"""Every SimObject declaration. Each module in this folder is imported
automatically, so a new type needs only its own module (no central list);
``from npusim.objects import *`` brings all of them in, as gem5's m5.objects.

gem5 types npusim does not have (CPUs, workloads, PyTrafficGen, ...) are
there too, under their names, as stand-ins that refuse to be created with
a message saying so and what to use instead; any other missing name is an
AttributeError naming the nearest types npusim has."""

import difflib
import importlib
import pkgutil

from .base import ClockedObject, Parent, Root, Self, SimObject, SrcClockDomain, System, all_classes  # noqa: F401
from ..params import AddrRange, Param, ParamError, VectorParam  # noqa: F401

for _mod in sorted(m.name for m in pkgutil.iter_modules(__path__)):
    if _mod != "base":
        importlib.import_module(f"{__name__}.{_mod}")

globals().update(all_classes())

_NO_CPU = ("npusim has no CPU models: put a TrafficGen (pattern='linear'|'random'|'strided'), a TraceReplayer "
           "or an NPU where the CPU was, connected by its `port` (no icache_port/dcache_port)")
_NO_WORKLOAD = "npusim runs no programs: the requestor (TrafficGen, TraceReplayer, NPU) is the workload"
_ISAS = ("", "X86", "Arm", "Riscv", "Power", "Sparc", "Mips")
_CPUS = ("BaseCPU", "AtomicSimpleCPU", "TimingSimpleCPU", "NonCachingSimpleCPU", "MinorCPU", "O3CPU",
         "DerivO3CPU", "KvmCPU", "TraceCPU", "BaseSimpleCPU")
_MISSING = {isa + cpu: _NO_CPU for isa in _ISAS for cpu in _CPUS}
_MISSING.update({name: _NO_WORKLOAD for name in ("Process", "SEWorkload", "KernelWorkload", "RiscvLinux",
                                                  "X86FsLinux", "ArmFsLinux")})
_MISSING.update({
    "PyTrafficGen": "npusim's TrafficGen takes its traffic as parameters (pattern, start_addr, end_addr, "
                    "block_size, min_period, max_period, read_percent, num_requests), not through "
                    "createLinear()/createRandom()/start(); one pattern per TrafficGen",
    "BaseTrafficGen": "use TrafficGen (parameters: pattern, start_addr, end_addr, block_size, ...)",
    "GUPSGen": "use TrafficGen(pattern='random', read_percent=...)",
    "MemTest": "npusim has no MemTest; TrafficGen(verify_data=True, read_percent=...) checks read data against "
               "its own writes (stat dataMismatches)",
    "MemChecker": "npusim has no MemChecker; TrafficGen(verify_data=True) checks read data",
    "MemCheckerMonitor": "npusim has no MemChecker; TrafficGen(verify_data=True) checks read data",
    "CommMonitor": "npusim has no CommMonitor; connect the requestor directly: its stats (latencyDist, "
                   "readBW, ...) and the crossbar's (pktCount, transDist) give what the monitor would",
    "CoherentXBar": "npusim has no coherence protocol; use SystemXBar, L2XBar or "
                    "NoncoherentXBar(snoop_filter=SnoopFilter()), which models gem5's snoop filter latency",
    "DRAMCtrl": "gem5 split DRAMCtrl into MemCtrl(dram=<DRAM interface>), which npusim has",
    "DRAMSim2": "npusim has no external DRAM simulators; use MemCtrl(dram=DDR4_2400_8x8()) or another interface",
    "DRAMsim3": "npusim has no external DRAM simulators; use MemCtrl(dram=DDR4_2400_8x8()) or another interface",
    "NVMInterface": "npusim has no NVM interface; MemCtrl takes DRAM interfaces only",
    "HeteroMemCtrl": "npusim has no HeteroMemCtrl; MemCtrl takes one DRAM interface",
    "RubySystem": "npusim has no Ruby; it models gem5's classic caches (Cache, crossbars)",
    "Bridge": "npusim has no Bridge; connect both sides to one crossbar",
    "IOCache": "use a Cache",
})
_MISSING.update({name: "npusim's Cache has set-associative tags built in (size, assoc, replacement_policy); it "
                       "takes no tags object" for name in ("BaseSetAssoc", "FALRU", "SectorTags", "CompressedTags")})


def _stand_in(name: str, why: str) -> type:
    def refuse(cls, *args, **kwargs):
        raise ParamError(f"{name}: {why}")
    return type(name, (), {"__new__": refuse, "__doc__": f"Not in npusim: {why}.", "__module__": __name__})


globals().update({name: _stand_in(name, why) for name, why in _MISSING.items()})


def similar_names(name: str, limit: int = 5) -> list[str]:
    """SimObject type names a mistyped ``name`` may have meant: those that
    contain it (any case), then the closest spellings (difflib)."""
    classes = sorted(all_classes())
    found = [c for c in classes if name.lower() in c.lower()]
    lower = {c.lower(): c for c in classes}
    found += [lower[c] for c in difflib.get_close_matches(name.lower(), lower, n=3, cutoff=0.6)]
    return list(dict.fromkeys(found))[:limit]


def not_in_npusim(name: str) -> str | None:
    """Why a gem5 type npusim does not have is missing, and what to use."""
    return _MISSING.get(name)


def __getattr__(name: str):
    if name.startswith("__"):
        raise AttributeError(name)
    near = similar_names(name)
    hint = f" (nearest: {', '.join(near)})" if near else ""
    raise AttributeError(f"npusim.objects has no SimObject type {name!r}{hint}; `npusim --list-objects` lists them all")


__all__ = sorted(all_classes()) + sorted(_MISSING) + ["Parent", "Self", "AddrRange"]
