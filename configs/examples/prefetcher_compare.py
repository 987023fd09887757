"""Every prefetcher on one access stream: one table, one plot.

    npusim -d m5out/pfcmp configs/examples/prefetcher_compare.py --trace spmv_csr --level l2
    npusim -d m5out/pfcmp configs/examples/prefetcher_compare.py --pattern strided --stride 256 --level l1d
    npusim -d m5out/pfcmp configs/examples/prefetcher_compare.py --pattern indirect --requests 40000

The stream is a gem5 reference kernel's L1D trace (``--trace KERNEL``,
replayed blocking with gem5's think times, memory holding the kernel's
arrays) or a generated pattern (``--pattern``):

  linear, random, strided   TrafficGen (blocking, one PC on every request)
  indirect                  for i: load B[i] (PC 0x1000), load A[B[i]] (PC 0x1004),
                            B random indices held in memory (what IMP and NVR learn)
  interleaved               three strided streams (+1, +3, -2 lines) from three PCs, interleaved

in front of the gem5 reference hierarchy (configs/examples/reference_system.py:
L1D 32 KiB, L2 256 KiB, DDR4-2400). Each prefetcher -- every concrete
prefetcher npusim declares and has built (``--prefetchers`` to choose), and
``none`` -- is attached with its defaults to L1D or L2 (``--level``) and run
in its own process (``--jobs`` at a time). MultiPrefetcher gets the
sub-prefetchers of ``--multi``.

Written to the output directory: ``prefetcher_compare.csv`` (one row per
prefetcher), ``prefetcher_compare.png`` and ``runs/<prefetcher>/stats.txt``.
Columns:

  l1d_demand_misses, l2_demand_misses   gem5's demandMisses::total (at L2 this
                                        includes an L1D prefetcher's requests)
  miss_reduction                        1 - misses / none's misses, at the prefetcher's level
  pfIssued, pfUseful, accuracy, coverage  gem5's stats of the prefetcher
  pfLate_share                          gem5's pfLate / pfIssued (prefetches that found
                                        their line already in the cache, an MSHR or the
                                        write buffer when they left the queue)
  useful, late, evictedUnused, droppedAtIssue, residentAtEnd, inFlight
                                        npusim's balanced pfOutcome, as shares of pfIssued
                                        (they sum to 1)
  timeliness                            useful / (useful + late): of the prefetches a
                                        demand wanted, the share that arrived in time
  dram_read_bytes, dram_write_bytes, dram_traffic_vs_none
  sim_ticks, speedup                    none's simTicks / simTicks
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import csv
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

from npusim.argtypes import job_count, whole_number

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from reference_system import (DEFAULT_HIERARCHY, build_hierarchy, hierarchy_from_reference,  # noqa: E402
                              make_system)

PATTERNS = ("linear", "random", "strided", "indirect", "interleaved")
OUTCOMES = ("useful", "late", "evictedUnused", "droppedAtIssue", "residentAtEnd", "inFlight")
COLUMNS = (["prefetcher", "level", "status", "l1d_demand_misses", "l2_demand_misses", "miss_reduction",
            "pfIssued", "pfUseful", "accuracy", "coverage", "pfLate", "pfLate_share"] + list(OUTCOMES)
           + ["timeliness", "dram_read_bytes", "dram_write_bytes", "dram_traffic_vs_none", "sim_ticks", "speedup",
              "host_seconds"])


def usable_prefetcher(name: str) -> bool:
    """A concrete prefetcher declaration with a built C++ type that works
    with its defaults alone (none with a parameter that has no default:
    NVR, for one, needs the NPU it watches)."""
    from npusim import _core
    from npusim.objects import all_classes
    from npusim.objects.prefetch import BasePrefetcher
    cls = all_classes().get(name)
    return (isinstance(cls, type) and issubclass(cls, BasePrefetcher) and not cls.abstract
            and cls.type in set(_core.registered_types())
            and all(desc.has_default() for desc in cls._params.values()))


def all_prefetchers() -> list[str]:
    """The usable prefetchers, test doubles left out."""
    from npusim.objects import all_classes
    return sorted(name for name in all_classes() if usable_prefetcher(name) and not name.startswith("CacheTest"))


def _footprint(text: str) -> str:
    """argparse type: a memory size of at least one cache line, kept as text."""
    from npusim.units import UnitError, to_bytes
    line = DEFAULT_HIERARCHY["cache_line_size"]
    try:
        size = to_bytes(text)
    except UnitError as err:
        raise argparse.ArgumentTypeError(str(err)) from None
    if size < line:
        raise argparse.ArgumentTypeError(f"{text!r} is less than one {line}-byte cache line")
    return text


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    src = p.add_mutually_exclusive_group()
    src.add_argument("--trace", metavar="KERNEL", help="a gem5 reference kernel (stream_sum, spmv_csr, ...)")
    src.add_argument("--pattern", choices=PATTERNS, help="a generated access stream")
    p.add_argument("--level", choices=["l1d", "l2"], default="l2", help="cache the prefetchers are attached to")
    p.add_argument("--prefetchers", help="comma-separated class names (default: all, and none)")
    p.add_argument("--multi", default="StridePrefetcher,TaggedPrefetcher",
                   help="sub-prefetchers of MultiPrefetcher")
    p.add_argument("--jobs", type=job_count, default=2, help="simulations at a time (one process each)")
    p.add_argument("--outdir", help="output directory (default: the npusim -d directory)")
    p.add_argument("--max-requests", type=whole_number(0), default=0, help="--trace: replay only the first N requests")
    p.add_argument("--reference-root", help="folder of the reference kernels (default: shared)")
    p.add_argument("--requests", type=whole_number(1), default=50000, help="--pattern: requests to issue")
    p.add_argument("--footprint", type=_footprint, default="16MiB", help="--pattern: bytes the stream covers (A for indirect)")
    p.add_argument("--stride", type=whole_number(1), default=256, help="--pattern strided: bytes between requests")
    p.add_argument("--think", type=whole_number(0), default=4, help="--pattern indirect/interleaved: cycles between a "
                                                         "response and the next request")
    p.add_argument("--seed", type=whole_number(0), default=1)
    p.add_argument("--one", help=argparse.SUPPRESS)           # child process: run this prefetcher only
    args = p.parse_args(argv)
    if not args.trace and not args.pattern:
        args.pattern = "strided"
    if args.one:   # the parent checked the rest
        return args
    for option, text in (("--prefetchers", args.prefetchers or ""), ("--multi", args.multi)):
        if bad := [n for n in text.split(",") if n and n != "none" * (option == "--prefetchers")
                   and not usable_prefetcher(n)]:
            p.error(f"{option}: {', '.join(bad)}: not a prefetcher that runs with its defaults; "
                    f"available: {', '.join(all_prefetchers())}")
    if args.pattern:
        # the stream's highest address: TrafficGen's from 0x1000_0000, the trace patterns' A from 0x2000_0000
        base = 0x1000_0000 if args.pattern in ("linear", "random", "strided") else 0x2000_0000
        room = DEFAULT_HIERARCHY["mem_range"][1] - base
        if args.pattern == "interleaved":   # its third stream reads down from base + footprint
            room -= DEFAULT_HIERARCHY["cache_line_size"]
        if _bytes(args.footprint) > room:
            p.error(f"--footprint {args.footprint}: the {args.pattern} stream starts at {base:#x} and "
                    f"memory ends at {DEFAULT_HIERARCHY['mem_range'][1]:#x}; at most {room} bytes fit")
    if args.trace:
        from npusim.analysis.reference import ReferenceDataError, load_reference
        try:
            load_reference(args.trace, root=args.reference_root).roi
        except ReferenceDataError as err:
            p.error(f"--trace {args.trace}: {err}")
    if args.outdir:
        try:
            os.makedirs(args.outdir, exist_ok=True)
        except OSError as err:
            p.error(f"--outdir {args.outdir!r}: cannot use it as the output directory ({err.strerror})")
    return args


def stream_args(args) -> list[str]:
    """The stream options, for the child processes."""
    out = ["--level", args.level, "--multi", args.multi, "--seed", str(args.seed)]
    if args.trace:
        out += ["--trace", args.trace, "--max-requests", str(args.max_requests)]
        if args.reference_root:
            out += ["--reference-root", args.reference_root]
    else:
        out += ["--pattern", args.pattern, "--requests", str(args.requests), "--footprint", args.footprint,
                "--stride", str(args.stride), "--think", str(args.think)]
    return out


# --- one simulation (child process) -------------------------------------------------------

def synthetic_trace(pattern: str, n: int, footprint: int, seed: int):
    """(packets, memory regions) of the generated trace patterns, addresses
    inside DEFAULT_HIERARCHY's memory range."""
    from npusim.traces.gem5_trace import PACKET_DTYPE
    rng = np.random.default_rng(seed)
    pk = np.zeros(n, dtype=PACKET_DTYPE)
    pk["cmd"], pk["size"] = 1, 4
    regions = []
    if pattern == "indirect":
        b_base, a_base = 0x1000_0000, 0x2000_0000
        m = (n + 1) // 2
        idx = rng.integers(0, footprint // 8, size=m, dtype=np.int64).astype("<u4")
        regions.append((b_base, idx.tobytes()))
        pk["addr"][0::2] = b_base + 4 * np.arange(len(pk[0::2]), dtype=np.uint64)
        pk["pc"][0::2] = 0x1000
        pk["addr"][1::2] = a_base + 8 * idx[:len(pk[1::2])].astype(np.uint64)
        pk["pc"][1::2] = 0x1004
        pk["size"][1::2] = 8
    elif pattern == "interleaved":
        bases = (0x1000_0000, 0x1800_0000, 0x2000_0000 + footprint)
        strides = (64, 192, -128)
        for s, (base, stride) in enumerate(zip(bases, strides)):
            k = len(pk[s::3])
            pk["addr"][s::3] = (np.int64(base) + stride * np.arange(k, dtype=np.int64)).astype(np.uint64)
            pk["pc"][s::3] = 0x2000 + 4 * s
    else:
        raise ValueError(pattern)
    pk["tick"] = np.arange(n, dtype=np.uint64)
    return pk, regions


def make_prefetcher(name: str, multi: str):
    from npusim.objects import all_classes
    classes = all_classes()
    if name not in classes:
        raise SystemExit(f"prefetcher_compare: no SimObject named {name}")
    if name == "MultiPrefetcher":
        return classes[name](prefetchers=[classes[s]() for s in multi.split(",") if s])
    return classes[name]()


def simulate_one(args) -> None:
    import npusim
    from npusim.objects import Root, TraceReplayer, TrafficGen

    line = DEFAULT_HIERARCHY["cache_line_size"]
    if args.trace:
        from npusim.analysis.reference import load_reference
        ref = load_reference(args.trace, root=args.reference_root)
        requests, think = ref.requests, ref.think
        if args.max_requests:
            requests, think = requests[:args.max_requests], think[:max(args.max_requests - 1, 0)]
        hierarchy = hierarchy_from_reference(ref)
        system = make_system(hierarchy)
        system.cpu = TraceReplayer(trace=requests, think_times=think, trace_start=ref.roi[0],
                                   line_size=hierarchy["cache_line_size"])
        system.cpu.load_memory(ref.memory_image)
    else:
        hierarchy = DEFAULT_HIERARCHY
        system = make_system(hierarchy)
        footprint = _bytes(args.footprint)
        if args.pattern in ("linear", "random", "strided"):
            start = 0x1000_0000
            system.cpu = TrafficGen(pattern=args.pattern, start_addr=start, end_addr=start + footprint,
                                    block_size=line, stride=args.stride if args.pattern == "strided" else 0,
                                    num_requests=args.requests, max_outstanding=1, seed=args.seed, pc=0x1000)
        else:
            packets, regions = synthetic_trace(args.pattern, args.requests, footprint, args.seed)
            think = np.full(max(len(packets) - 1, 0), args.think * 500, dtype="<i8")   # 2 GHz: 500 ticks/cycle
            system.cpu = TraceReplayer(trace=packets, think_times=think, line_size=line)
            system.cpu.load_memory(regions)
    build_hierarchy(system, system.cpu, hierarchy, prefetcher="none")
    if args.one != "none":
        target = system.cpu.dcache if args.level == "l1d" else system.l2
        target.prefetcher = make_prefetcher(args.one, args.multi)
    Root(full_system=False, system=system)
    npusim.instantiate()
    event = npusim.simulate()
    print(f"Exiting @ tick {npusim.curTick()} because {event.getCause()}")


def _bytes(text: str) -> int:
    from npusim.units import to_bytes
    return int(to_bytes(text))


# --- the sweep (parent process) -----------------------------------------------------------

def _child(name: str, rundir: Path, args) -> tuple[str, Path, str]:
    rundir.mkdir(parents=True, exist_ok=True)
    (rundir / "stats.txt").unlink(missing_ok=True)
    cmd = [sys.executable, "-c", "import sys; from npusim.cli import main; sys.exit(main())", "-d", str(rundir),
           str(Path(__file__).resolve()), "--one", name] + stream_args(args)
    with open(rundir / "log.txt", "w") as log:
        rc = subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT).returncode
    if rc != 0 or not (rundir / "stats.txt").exists():
        last = (rundir / "log.txt").read_text().strip().splitlines()[-1:] or ["no output"]
        return name, rundir, f"error: {last[0][:200]}"
    return name, rundir, "ok"


def metrics(stats_path: Path, level: str, prefetcher: str) -> dict:
    from npusim.analysis.stats_reader import read_stats
    s = read_stats(stats_path).iloc[-1]

    def get(name, default=math.nan):
        v = s.get(name)
        return default if v is None else float(v)

    pf = "system.cpu.dcache.prefetcher" if level == "l1d" else "system.l2.prefetcher"
    row = {"l1d_demand_misses": get("system.cpu.dcache.demandMisses::total"),
           "l2_demand_misses": get("system.l2.demandMisses::total"),
           "dram_read_bytes": get("system.mem_ctrl.bytesReadSys"),
           "dram_write_bytes": get("system.mem_ctrl.bytesWrittenSys"),
           "sim_ticks": get("simTicks"), "host_seconds": get("hostSeconds")}
    if prefetcher == "none":
        return row
    issued = get(f"{pf}.pfIssued", 0.0)
    row.update(pfIssued=issued, pfUseful=get(f"{pf}.pfUseful", 0.0), accuracy=get(f"{pf}.accuracy"),
               coverage=get(f"{pf}.coverage"), pfLate=get(f"{pf}.pfLate", 0.0))
    row["pfLate_share"] = row["pfLate"] / issued if issued else math.nan
    for o in OUTCOMES:
        row[o] = get(f"{pf}.pfOutcome::{o}", math.nan) / issued if issued else math.nan
    wanted = row["useful"] + row["late"]
    row["timeliness"] = row["useful"] / wanted if wanted else math.nan
    return row


def table(rows: list[dict], level: str) -> list[dict]:
    """Adds the columns relative to the run without a prefetcher."""
    base = next((r for r in rows if r["prefetcher"] == "none" and r["status"] == "ok"), None)
    key = "l1d_demand_misses" if level == "l1d" else "l2_demand_misses"
    for r in rows:
        if base is None or r["status"] != "ok":
            continue
        r["miss_reduction"] = 1 - r[key] / base[key] if base[key] else math.nan
        traffic, base_traffic = (r["dram_read_bytes"] + r["dram_write_bytes"],
                                 base["dram_read_bytes"] + base["dram_write_bytes"])
        r["dram_traffic_vs_none"] = traffic / base_traffic if base_traffic else math.nan
        r["speedup"] = base["sim_ticks"] / r["sim_ticks"] if r["sim_ticks"] else math.nan
    return rows


def _cell(v):
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    if isinstance(v, float) and v.is_integer() and abs(v) < 2**53:
        return int(v)
    return v


def write_csv(path: Path, rows: list[dict]) -> None:
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=COLUMNS, extrasaction="ignore")
        w.writeheader()
        for r in rows:
            w.writerow({k: _cell(r.get(k)) for k in COLUMNS})


def plot(path: Path, rows: list[dict], title: str, level: str) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ok = [r for r in rows if r["status"] == "ok"]
    names = [r["prefetcher"].replace("Prefetcher", "") or r["prefetcher"] for r in ok]
    x = np.arange(len(ok))
    val = lambda key: np.array([r.get(key, math.nan) if r.get(key) is not None else math.nan for r in ok],  # noqa: E731
                               dtype=float)
    fig, axes = plt.subplots(2, 2, figsize=(max(10, 0.75 * len(ok) + 4), 8), constrained_layout=True)
    fig.suptitle(title)

    ax = axes[0, 0]
    key = "l1d_demand_misses" if level == "l1d" else "l2_demand_misses"
    ax.bar(x - 0.2, val("l1d_demand_misses"), 0.4, label="L1D demand misses")
    ax.bar(x + 0.2, val("l2_demand_misses"), 0.4, label="L2 demand misses")
    ax.set_title(f"Demand misses (prefetcher at {level.upper()}; ranked by {key})")
    ax.legend(fontsize=8)

    ax = axes[0, 1]
    ax.bar(x - 0.2, val("accuracy"), 0.4, label="accuracy")
    ax.bar(x + 0.2, val("coverage"), 0.4, label="coverage")
    ax.set_ylim(0, 1)
    ax.set_title("Accuracy and coverage (gem5 definitions)")
    ax.legend(fontsize=8)

    ax = axes[1, 0]
    bottom = np.zeros(len(ok))
    for o in OUTCOMES:
        v = np.nan_to_num(val(o))
        ax.bar(x, v, 0.6, bottom=bottom, label=o)
        bottom += v
    ax.set_ylim(0, 1)
    ax.set_title("Timeliness: pfOutcome as a share of pfIssued")
    ax.legend(fontsize=7, ncol=3)

    ax = axes[1, 1]
    ax.bar(x, val("dram_traffic_vs_none"), 0.6)
    ax.axhline(1.0, color="k", lw=0.8)
    ax.set_title("DRAM traffic (read + write bytes) relative to none")

    for ax in axes.flat:
        ax.set_xticks(x, names, rotation=45, ha="right", fontsize=8)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def fmt(v, kind="count") -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "–"
    if kind == "pct":
        return f"{v * 100:.1f}%"
    if kind == "ratio":
        return f"{v:.3f}"
    return f"{int(round(v)):,}"


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.one:
        simulate_one(args)
        return 0
    import npusim.simulation
    outdir = Path(args.outdir or npusim.simulation.outdir())
    outdir.mkdir(parents=True, exist_ok=True)
    names = ["none"] + (args.prefetchers.split(",") if args.prefetchers else all_prefetchers())
    names = list(dict.fromkeys(n for n in names if n))
    results = {}
    with cf.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        futs = [pool.submit(_child, n, outdir / "runs" / n, args) for n in names]
        for fut in cf.as_completed(futs):
            name, rundir, status = fut.result()
            row = {"prefetcher": name, "level": args.level, "status": status}
            if status == "ok":
                row.update(metrics(rundir / "stats.txt", args.level, name))
            results[name] = row
            print(f"  {name}: {status}", file=sys.stderr)
    rows = table([results[n] for n in names], args.level)
    key = "l1d_demand_misses" if args.level == "l1d" else "l2_demand_misses"
    rows.sort(key=lambda r: (r["status"] != "ok", r.get(key, math.inf), r["prefetcher"]))
    write_csv(outdir / "prefetcher_compare.csv", rows)
    stream = f"trace {args.trace}" if args.trace else f"pattern {args.pattern}"
    plot(outdir / "prefetcher_compare.png", rows, f"Prefetchers at {args.level.upper()} on {stream}", args.level)

    cols = [("prefetcher", "prefetcher", None), ("L1D miss", "l1d_demand_misses", "count"),
            ("L2 miss", "l2_demand_misses", "count"), ("reduction", "miss_reduction", "pct"),
            ("pfIssued", "pfIssued", "count"), ("accuracy", "accuracy", "pct"), ("coverage", "coverage", "pct"),
            ("pfLate", "pfLate_share", "pct"), ("timely", "timeliness", "pct"),
            ("useful", "useful", "pct"), ("late", "late", "pct"), ("unused", "evictedUnused", "pct"),
            ("DRAM x none", "dram_traffic_vs_none", "ratio"), ("speedup", "speedup", "ratio")]
    lines = [[h for h, _, _ in cols]]
    for r in rows:
        if r["status"] == "ok":
            lines.append([r["prefetcher"]] + [fmt(r.get(k), kind) for _, k, kind in cols[1:]])
    widths = [max(len(line[i]) for line in lines) for i in range(len(cols))]
    print(f"Prefetchers at {args.level.upper()} on {stream}, fewest {key} first")
    for line in lines:
        print("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(line, widths))))
    for r in rows:
        if r["status"] != "ok":
            print(f"{r['prefetcher']}: {r['status']} (log: {outdir / 'runs' / r['prefetcher'] / 'log.txt'})")
    print(f"wrote {outdir / 'prefetcher_compare.csv'} and {outdir / 'prefetcher_compare.png'}")
    return 0 if all(r["status"] == "ok" for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
