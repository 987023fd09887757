"""A whole NPU system running one workload of the suite, gem5 style:

    NPU --dma_port--> [NPU cache] --> L2XBar --> [L2 (+prefetcher)] --> SystemXBar --> memory

    npusim configs/npu_system.py --workload spmm --sparsity 0.9
    npusim -d out/ configs/npu_system.py --workload gemm --dataflow OS --mem-type HBM_2000_4H_1x64
    npusim configs/npu_system.py --workload gnn --size small --wl N=512 --l2-prefetcher stride

The workload's memory image is written into memory functionally, the NPU
runs the program to its halt, the output region is read back functionally
(through the caches) and compared with the workload's expected (numpy)
result: PASS or FAIL is printed, and a mismatch fails the process (exit
code 1). Statistics go to OUTDIR/stats.txt as for any npusim run.
build_system() and run_workload() are importable for scripts and tests.
"""

from __future__ import annotations

import argparse
import inspect
import sys

import npusim
from npusim import workloads
from npusim.argtypes import quantity, whole_number
from npusim.isa import NPUConfig
from npusim.objects import (NPU, L2XBar, Root, Scratchpad, SimpleMemory, SrcClockDomain, System, SystemXBar,
                            all_classes)
from npusim.units import clock_period_ticks, to_bytes, to_bytes_per_second, to_ticks

MEM_TYPES = ("DDR4_2400_8x8", "LPDDR5_6400_1x16_BG_BL32", "HBM_2000_4H_1x64", "SimpleMemory")

# gem5 prefetcher class names by the short names used elsewhere in npusim
PREFETCHER_ALIASES = {
    "nextline": "NextLinePrefetcher", "stride": "StridePrefetcher", "tagged": "TaggedPrefetcher",
    "ampm": "AMPMPrefetcher", "bop": "BOPPrefetcher", "dcpt": "DCPTPrefetcher",
    "spp": "SignaturePathPrefetcher", "isb": "IrregularStreamBufferPrefetcher", "imp": "IndirectMemoryPrefetcher",
    "slimampm": "SlimAMPMPrefetcher", "sbooe": "SBOOEPrefetcher", "stems": "STeMSPrefetcher",
}


def make_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="npu_system.py", description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    w = ap.add_argument_group("workload")
    w.add_argument("--workload", default="spmm", help="one of: " + ", ".join(workloads.names()))
    w.add_argument("--size", default="default", choices=("default", "small"), help="workload size preset")
    w.add_argument("--sparsity", type=float, default=None, help="sparsity (workloads that have one)")
    w.add_argument("--seed", type=int, default=0)
    w.add_argument("--wl", action="append", default=[], metavar="KEY=VALUE",
                   help="workload size knob, e.g. --wl M=256 --wl N=64 (see `python -m npusim.workloads show NAME`)")
    n = ap.add_argument_group("NPU")
    n.add_argument("--npu-clock", type=clock, default="1GHz")
    n.add_argument("--dim", type=int, default=16)
    n.add_argument("--dataflow", default="WS", choices=("WS", "OS"))
    n.add_argument("--dma-inflight", type=whole_number(1), default=32, help="dma_max_inflight")
    n.add_argument("--no-overlap-preload", action="store_true", help="overlap_preload=False (SCALE-Sim timing)")
    n.add_argument("--spad-size", default="256KiB")
    n.add_argument("--spad-banks", type=whole_number(1), default=4)
    n.add_argument("--acc-size", default="64KiB")
    n.add_argument("--npu-cache-size", type=size, default="0", help="NPU-side cache between the DMA and the L2 bus; 0 = none")
    n.add_argument("--npu-cache-assoc", type=whole_number(1), default=4)
    m = ap.add_argument_group("memory system")
    m.add_argument("--sys-clock", type=clock, default="2GHz", help="clock of the caches and crossbars")
    m.add_argument("--l2-size", type=size, default="256KiB", help="0 = no L2")
    m.add_argument("--l2-assoc", type=whole_number(1), default=16)
    m.add_argument("--l2-mshrs", type=whole_number(1), default=32)
    m.add_argument("--l2-prefetcher", default=None, metavar="NAME",
                   help="a prefetcher class (e.g. NextLinePrefetcher) or short name (" +
                        ", ".join(sorted(PREFETCHER_ALIASES)) + ")")
    m.add_argument("--mem-type", default="DDR4_2400_8x8", choices=MEM_TYPES)
    m.add_argument("--mem-size", type=size, default="2GiB")
    m.add_argument("--mem-latency", type=quantity(to_ticks), default="30ns", help="SimpleMemory latency")
    m.add_argument("--mem-bandwidth", type=quantity(to_bytes_per_second), default="12.8GiB/s", help="SimpleMemory bandwidth")
    r = ap.add_argument_group("run")
    r.add_argument("--max-ticks", type=whole_number(0), default=None, help="stop after this many ticks")
    r.add_argument("--quiet", action="store_true")
    return ap


size = quantity(to_bytes)
clock = quantity(clock_period_ticks)


def parse_value(text: str):
    """A command-line value: int, float, true/false, a comma-separated tuple
    of those, or the string itself."""
    for conv in (int, float):
        try:
            return conv(text)
        except ValueError:
            pass
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    if "," in text:
        return tuple(parse_value(t) for t in text.split(","))
    return text


def parse_assignments(items, option: str) -> dict:
    """{key: parse_value(value)} from the KEY=VALUE strings of a repeated
    option (`option` names it in the error)."""
    out = {}
    for item in items:
        if "=" not in item:
            raise SystemExit(f"{option} expects KEY=VALUE, got {item!r}")
        key, value = item.split("=", 1)
        out[key] = parse_value(value)
    return out


def build_workload(args):
    """The Workload for the command line (geometry from the NPU options);
    a workload or geometry that cannot be built exits naming the options."""
    try:
        entry = workloads.entry(args.workload)
    except KeyError as err:
        raise SystemExit(f"npu_system.py: --workload: {err.args[0]}") from None
    kwargs = parse_assignments(args.wl, "--wl")
    accepted = inspect.signature(entry.factory).parameters
    if args.sparsity is not None:
        if "sparsity" in accepted:
            kwargs["sparsity"] = args.sparsity
        else:
            print(f"npu_system: note: workload {args.workload} is dense; --sparsity ignored", file=sys.stderr)
    if "seed" in accepted:
        kwargs["seed"] = args.seed
    for key in kwargs:
        if key not in accepted:
            raise SystemExit(f"npu_system.py: workload {args.workload} has no parameter {key!r} "
                             f"(it takes {', '.join(accepted)})")
    try:
        kwargs["config"] = NPUConfig(dim=args.dim, spad_bytes=to_bytes(args.spad_size),
                                     acc_bytes=to_bytes(args.acc_size))
    except ValueError as err:
        raise SystemExit(f"npu_system.py: NPU geometry --dim {args.dim} --spad-size {args.spad_size} "
                         f"--acc-size {args.acc_size}: {err}") from None
    try:
        return workloads.get(args.workload, size=args.size, **kwargs)
    except (ValueError, TypeError) as err:   # a bad shape, a scratchpad too small for it, ...
        text = str(err) if str(err).startswith("workload ") else f"workload {args.workload}: {err}"
        raise SystemExit(f"npu_system.py: {text}") from None


def check_fits(args, workload) -> None:
    """Exits if the workload's arrays reach past --mem-size."""
    end = max([a + len(d) for a, d in workload.memory] + [a + n for a, n in workload.regions.values()] +
              [workload.output.address + workload.output.nbytes])
    if end > to_bytes(args.mem_size):
        raise SystemExit(f"npu_system.py: --mem-size {args.mem_size}: the workload's arrays reach address "
                         f"{end:#x} ({end} bytes); give a larger --mem-size or a smaller workload")


def _prefetcher(name: str):
    classes = all_classes()
    cls_name = PREFETCHER_ALIASES.get(name.lower(), name)
    cls = classes.get(cls_name)
    if cls is None or cls.abstract:
        known = sorted(c for c, k in classes.items() if c.endswith("Prefetcher") and not k.abstract)
        raise SystemExit(f"npu_system.py: no prefetcher {name!r}; available: {', '.join(known)}")
    return cls()


def _memory(args, system):
    rng = f"0:{args.mem_size}"
    if args.mem_type == "SimpleMemory":
        return SimpleMemory(range=rng, latency=args.mem_latency, bandwidth=args.mem_bandwidth)
    ctrl_cls, dram_cls = all_classes()["MemCtrl"], all_classes()[args.mem_type]
    return ctrl_cls(dram=dram_cls(range=rng))


def build_system(args, workload, npu_side=None) -> System:
    """Builds the object tree (not yet instantiated); returns the System.
    `npu_side`, a (name, cache) pair, puts that cache (an NSB, say) between
    the NPU and the L2 bus as system.<name>, in place of the
    --npu-cache-size cache. Prefetchers other than --l2-prefetcher are
    attached by the caller."""
    Cache = all_classes()["Cache"]
    system = System(clk_domain=SrcClockDomain(clock=args.sys_clock), mem_ranges=[f"0:{args.mem_size}"])
    system.npu = NPU(dim=args.dim, dataflow=args.dataflow, dma_max_inflight=args.dma_inflight,
                     overlap_preload=not args.no_overlap_preload,
                     scratchpad=Scratchpad(size=args.spad_size, banks=args.spad_banks),
                     accumulator=Scratchpad(size=args.acc_size, banks=2),
                     clk_domain=SrcClockDomain(clock=args.npu_clock))
    system.npu.program = workload.program
    system.l2bus = L2XBar()
    system.membus = SystemXBar()
    if npu_side is None and to_bytes(args.npu_cache_size):
        npu_side = ("npu_cache", Cache(size=args.npu_cache_size, assoc=args.npu_cache_assoc, tag_latency=2,
                                       data_latency=2, response_latency=2, mshrs=max(16, args.dma_inflight),
                                       tgts_per_mshr=16))
    if npu_side is not None:
        name, cache = npu_side
        setattr(system, name, cache)
        system.npu.dma_port = cache.cpu_side
        cache.mem_side = system.l2bus.cpu_side_ports
    else:
        system.npu.dma_port = system.l2bus.cpu_side_ports
    if to_bytes(args.l2_size):
        system.l2 = Cache(size=args.l2_size, assoc=args.l2_assoc, tag_latency=12, data_latency=12,
                          response_latency=12, mshrs=args.l2_mshrs, tgts_per_mshr=12)
        if args.l2_prefetcher:
            system.l2.prefetcher = _prefetcher(args.l2_prefetcher)
        system.l2bus.mem_side_ports = system.l2.cpu_side
        system.l2.mem_side = system.membus.cpu_side_ports
    else:
        system.l2bus.mem_side_ports = system.membus.cpu_side_ports
    system.mem_ctrl = _memory(args, system)
    system.membus.mem_side_ports = system.mem_ctrl.port
    return system


def load_memory(system, workload):
    for addr, data in workload.memory:
        npusim.functional_write(system.npu, "dma_port", addr, data)


def read_back(system):
    return lambda addr, nbytes: npusim.functional_read(system.npu, "dma_port", addr, nbytes)


def run_workload(args, workload=None):
    """Builds, loads, runs and checks; returns (system, exit_event, CheckResult)."""
    workload = workload or build_workload(args)
    check_fits(args, workload)
    system = build_system(args, workload)
    Root(full_system=False, system=system)
    npusim.instantiate()
    load_memory(system, workload)
    ev = npusim.simulate() if args.max_ticks is None else npusim.simulate(args.max_ticks)
    check = workload.check(read_back(system))
    return system, ev, check


def main(argv=None) -> int:
    args = make_parser().parse_args(argv)
    workload = build_workload(args)
    if not args.quiet:
        print(f"npu_system: {workload.summary()}")
    system, ev, check = run_workload(args, workload)
    from npusim.testing import stats_dict
    s = stats_dict(system.npu)
    if not args.quiet:
        print(f"npu_system: exit at tick {ev.tick}: {ev.getCause()}")
        print(f"npu_system: {s['numCycles']:.0f} NPU cycles, array utilization {s['arrayUtilization']:.4f}, "
              f"memory stalls {s['stallCycles::memory'] / max(s['numCycles'], 1):.3f} of cycles, "
              f"{s['dmaReadReqs']:.0f} DMA reads, {s['dmaWriteReqs']:.0f} DMA writes")
    finished = ev.getCause() == f"{system.npu.path()} finished"
    if check.ok and finished:
        print(f"PASS: {check.message}")
        return 0
    if not finished:
        print(f"FAIL: the NPU did not finish ({ev.getCause()}); {check.message}")
    else:
        print(f"FAIL: {check.message}")
    npusim.stats.dump()   # the CLI dumps only after a successful script
    return 1


if __name__ == "__main__":
    sys.exit(main())
