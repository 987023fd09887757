"""The memory system of the gem5 reference runs, built from gem5's own
config.json (via npusim.analysis.reference), for any requestor:

    requestor -> L1D -> L2XBar -> L2 -> SystemXBar -> MemCtrl(DDR4_2400_8x8)

Used by trace_replay.py and benchmarks/mem_throughput.py. Parameters that
gem5's dump has and npusim's declarations lack are reported, not dropped
silently: build_hierarchy() returns them."""

from __future__ import annotations

from npusim.objects import AddrRange, SrcClockDomain, System, VoltageDomain, all_classes

# The figures of gem5-system.md, for use without the reference folder.
DEFAULT_HIERARCHY = {
    "cache_line_size": 64,
    "frequency_hz": 2e9,
    "voltage": [1.0],
    "l1d": dict(size=32768, assoc=8, tag_latency=2, data_latency=2, response_latency=2, mshrs=16,
                tgts_per_mshr=20, write_buffers=8, clusivity="mostly_incl", writeback_clean=False),
    "l2": dict(size=262144, assoc=16, tag_latency=12, data_latency=12, response_latency=12, mshrs=32,
               tgts_per_mshr=12, write_buffers=8, clusivity="mostly_incl", writeback_clean=False),
    "l2bus": dict(width=32, frontend_latency=1, forward_latency=0, response_latency=1),
    "membus": dict(width=16, frontend_latency=3, forward_latency=4, response_latency=2),
    "memory": {"dram": {"model": "DDR4_2400_8x8"}},
    "mem_range": (0, 2 << 30),
}

# gem5 prefetcher names by the short names of the reference runs
PREFETCHERS = {
    "stride": "StridePrefetcher", "tagged": "TaggedPrefetcher", "ampm": "AMPMPrefetcher",
    "bop": "BOPPrefetcher", "dcpt": "DCPTPrefetcher", "spp": "SignaturePathPrefetcher",
    "isb": "IrregularStreamBufferPrefetcher", "slimampm": "SlimAMPMPrefetcher", "sbooe": "SBOOEPrefetcher",
    "stems": "STeMSPrefetcher", "imp": "IndirectMemoryPrefetcher",
}

# gem5 parameters with no effect on a replay here (descriptive or unmodelled)
_IGNORED = {"path", "type", "clock", "tags", "indexing_policy", "block_size", "prefetcher", "replacement_policy",
            "snoop_response_latency", "point_of_unification", "max_outstanding_snoops",
            "max_routing_table_size", "use_default_range"}


def _declared(cls_name: str):
    cls = all_classes().get(cls_name)
    if cls is None:
        raise RuntimeError(f"npusim has no SimObject named {cls_name} (needed for the reference system)")
    return cls


def prefetcher_class(name: str):
    """The prefetcher a --prefetcher name means: a short name of PREFETCHERS
    or a class name; anything else is a ValueError saying what to give."""
    cls = all_classes().get(PREFETCHERS.get(name, name))
    if cls is None or cls.abstract or not issubclass(cls, all_classes()["BasePrefetcher"]):
        raise ValueError(f"--prefetcher {name}: not a prefetcher; give none, one of "
                         f"{', '.join(sorted(PREFETCHERS))} or a prefetcher class name")
    return cls


def _kwargs(cls, params: dict, what: str, skipped: list):
    out = {}
    for key, value in params.items():
        if key in _IGNORED:
            continue
        if key == "snoop_filter" and key in cls._params:
            # gem5's config.json gives the filter as an object (or null)
            sf = _declared("SnoopFilter")
            out[key] = sf(**{k: v for k, v in value.items() if k in sf._params}) if isinstance(value, dict) else None
            continue
        if key in cls._params:
            out[key] = value
        else:
            skipped.append(f"{what}.{key}={value!r}")
    return out


def hierarchy_from_reference(ref) -> dict:
    """DEFAULT_HIERARCHY's shape filled from a ReferenceRun's config.json."""
    h = ref.hierarchy
    missing = [part for part in ("cache_line_size", "frequency_hz", "l1d", "l2", "l2bus", "membus", "memory")
               if not h.get(part)]
    if missing:
        from npusim.analysis.reference import ReferenceDataError   # (pandas: only when a folder is bad)
        raise ReferenceDataError(f"{ref.file('config.json')}: no {', '.join(missing)} in gem5's configuration "
                                 f"(expected system.cpu.dcache, system.l2, system.l2bus, system.membus, a memory "
                                 f"controller and clocks)")
    domain = ref.config.get("system", {}).get("clk_domain") or {}
    voltage = (domain.get("voltage_domain") or {}).get("voltage") or DEFAULT_HIERARCHY["voltage"]
    out = {"cache_line_size": h["cache_line_size"], "frequency_hz": h["frequency_hz"], "voltage": list(voltage),
           "l1d": dict(h["l1d"]), "l2": dict(h["l2"]), "l2bus": dict(h["l2bus"]), "membus": dict(h["membus"]),
           "memory": h["memory"]}
    ranges = ref.config.get("system", {}).get("mem_ranges") or []
    if ranges:
        r = ranges[0]
        start, end = (int(x) for x in (r.split(":") if isinstance(r, str) else r))
        out["mem_range"] = (start, end)
    else:
        out["mem_range"] = DEFAULT_HIERARCHY["mem_range"]
    return out


def make_system(hierarchy: dict) -> System:
    ghz = hierarchy["frequency_hz"] / 1e9
    voltage = VoltageDomain(voltage=hierarchy.get("voltage", DEFAULT_HIERARCHY["voltage"]))
    system = System(clk_domain=SrcClockDomain(clock=f"{ghz:g}GHz", voltage_domain=voltage))
    system.cache_line_size = hierarchy["cache_line_size"]
    system.mem_ranges = [mem_range(hierarchy)]
    return system


def mem_range(hierarchy: dict) -> AddrRange:
    return AddrRange(*hierarchy.get("mem_range", DEFAULT_HIERARCHY["mem_range"]))


def build_hierarchy(system: System, cpu, hierarchy: dict = None, prefetcher: str = "none",
                    level: str = "l2") -> list[str]:
    """Puts ``cpu`` (already ``system.cpu``) in front of the reference
    hierarchy; returns the gem5 parameters npusim's objects do not take."""
    h = hierarchy or DEFAULT_HIERARCHY
    if level not in ("l1d", "l2"):
        raise ValueError(f"build_hierarchy(level={level!r}): the prefetcher goes at 'l1d' or 'l2'")
    Cache, L2XBar, SystemXBar, MemCtrl = (_declared(n) for n in ("Cache", "L2XBar", "SystemXBar", "MemCtrl"))
    skipped: list[str] = []

    line = {"cache_line_size": h["cache_line_size"]} if "cache_line_size" in Cache._params else {}
    cpu.dcache = Cache(**line, **_kwargs(Cache, h["l1d"], "l1d", skipped))
    cpu.port = cpu.dcache.cpu_side
    system.l2bus = L2XBar(**_kwargs(L2XBar, h["l2bus"], "l2bus", skipped))
    cpu.dcache.mem_side = system.l2bus.cpu_side_ports
    system.l2 = Cache(**line, **_kwargs(Cache, h["l2"], "l2", skipped))
    system.l2.cpu_side = system.l2bus.mem_side_ports
    system.membus = SystemXBar(**_kwargs(SystemXBar, h["membus"], "membus", skipped))
    system.l2.mem_side = system.membus.cpu_side_ports

    mem = h.get("memory") or {}
    model = mem.get("dram", {}).get("model") or "DDR4_2400_8x8"
    ctrl = {k: v for k, v in (mem.get("ctrl") or {}).items() if not k.startswith("qos") and v is not None}
    system.mem_ctrl = MemCtrl(**_kwargs(MemCtrl, ctrl, "mem_ctrl", skipped))
    system.mem_ctrl.dram = _declared(model)(range=mem_range(h))
    system.mem_ctrl.port = system.membus.mem_side_ports

    if prefetcher and prefetcher != "none":
        cls = prefetcher_class(prefetcher)
        target = cpu.dcache if level == "l1d" else system.l2
        target.prefetcher = cls()
    return skipped
