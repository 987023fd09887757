"""Replays each gem5 reference kernel (no prefetcher) with
configs/examples/trace_replay.py and compares npusim's stats with gem5's
``stats/none-l2.txt``: L1D and L2 demand misses, simTicks, the traffic
that explains differences (writebacks, DRAM reads/writes, L2 accesses) and
the crossbars' eviction notices, snoops and snoop-filter counts, and the
DRAM ranks' energy.

    .venv/bin/python benchmarks/validate_trace_replay.py [--kernels stream_sum,spmv_csr,embedding_bag] [--outdir /tmp/npusim_validate]

Prints a Markdown table per kernel (the figures of docs/trace_replay_validation.md).
With --all-stats 0.05 it also compares every stat of the memory system that
both files print (a distribution's buckets left out) and lists those more
than 5% apart.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

# (label, npusim stat, gem5 stat); None = same name
ROWS = [
    ("L1D demand accesses", "system.cpu.dcache.demandAccesses::total", None),
    ("L1D demand misses", "system.cpu.dcache.demandMisses::total", None),
    ("L2 demand misses (total)", "system.l2.demandMisses::total", None),
    ("L2 demand misses (cpu.data)", "system.l2.demandMisses::cpu.data", None),
    ("simTicks", "simTicks", None),
    ("L2 demand accesses (total)", "system.l2.demandAccesses::total", None),
    ("L1D writebacks", "system.cpu.dcache.writebacks::total", None),
    ("L2 writebacks", "system.l2.writebacks::total", None),
    ("L1D avg demand miss latency", "system.cpu.dcache.demandAvgMissLatency::total", None),
    ("L2 avg demand miss latency", "system.l2.demandAvgMissLatency::total", None),
    ("DRAM read requests", "system.mem_ctrl.readReqs", None),
    ("DRAM write requests", "system.mem_ctrl.writeReqs", None),
    # the crossbars' eviction traffic and snoop filters
    ("l2bus CleanEvict", "system.l2bus.transDist::CleanEvict", None),
    ("l2bus snoops", "system.l2bus.snoops", None),
    ("l2bus snoop filter requests", "system.l2bus.snoop_filter.totRequests", None),
    ("l2bus snoop filter single-holder hits", "system.l2bus.snoop_filter.hitSingleRequests", None),
    ("l2bus snoop filter snoops", "system.l2bus.snoop_filter.totSnoops", None),
    ("l2bus snoopFanout samples", "system.l2bus.snoopFanout::samples", None),
    ("membus CleanEvict", "system.membus.transDist::CleanEvict", None),
    ("membus snoop filter requests", "system.membus.snoop_filter.totRequests", None),
    ("membus snoop filter single-holder hits", "system.membus.snoop_filter.hitSingleRequests", None),
    # the DRAM ranks' energy (DRAMPower's model) and time with a bank open
    ("DRAM rank0 total energy (pJ)", "system.mem_ctrl.dram.rank0.totalEnergy", None),
    ("DRAM rank1 total energy (pJ)", "system.mem_ctrl.dram.rank1.totalEnergy", None),
    ("DRAM rank0 ACT state time", "system.mem_ctrl.dram.rank0.pwrStateTime::ACT", None),
    ("DRAM rank1 ACT state time", "system.mem_ctrl.dram.rank1.pwrStateTime::ACT", None),
]

MEMORY_SYSTEM = re.compile(r"^system\.(cpu\.dcache|l2|l2bus|membus|mem_ctrl)\.")
BUCKET = re.compile(r"::-?\d")


def differing_stats(ours, gem5, threshold: float) -> tuple[int, list]:
    """(how many memory-system stats both print, [(name, npusim, gem5,
    relative error)] for those more than `threshold` apart)."""
    compared, far = 0, []
    for name, b in gem5.items():
        if not MEMORY_SYSTEM.match(name) or BUCKET.search(name) or name not in ours.index:
            continue
        a, b = float(ours[name]), float(b)
        if math.isnan(a) and math.isnan(b):
            continue
        compared += 1
        err = (a - b) / abs(b) if b else (0.0 if a == 0 else math.inf)
        if not abs(err) <= threshold:
            far.append((name, a, b, err))
    return compared, far


def run_kernel(kernel: str, outdir: str, extra: list[str]) -> tuple[str, float]:
    d = os.path.join(outdir, kernel)
    cmd = [sys.executable, "-m", "npusim.cli", "-d", d,
           os.path.join(ROOT, "configs", "examples", "trace_replay.py"), "--kernel", kernel] + extra
    t = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True, env=os.environ.copy())
    dt = time.perf_counter() - t
    if out.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{out.stdout}\n{out.stderr}")
    sys.stderr.write(out.stdout)
    return os.path.join(d, "stats.txt"), dt


def fmt(v) -> str:
    if v is None:
        return "0 (not printed)"
    if isinstance(v, float) and math.isnan(v):
        return "–"
    if isinstance(v, float) and not v.is_integer():
        return f"{v:,.1f}"
    return f"{int(v):,}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kernels", default="stream_sum,spmv_csr,embedding_bag")
    parser.add_argument("--outdir", default="/tmp/npusim_validate")
    parser.add_argument("--json", help="write the compared figures here")
    parser.add_argument("--all-stats", type=float, metavar="THRESHOLD",
                        help="also list every memory-system stat more than THRESHOLD (relative) from gem5's")
    parser.add_argument("extra", nargs=argparse.REMAINDER,
                        help="more arguments for trace_replay.py (after --), e.g. -- --xbar-width 1048576")
    args = parser.parse_args()

    from npusim.analysis.reference import load_reference
    from npusim.analysis.stats_reader import read_stats

    report = {}
    if args.extra and args.extra[0] == "--":
        args.extra = args.extra[1:]
    for kernel in args.kernels.split(","):
        stats_path, host = run_kernel(kernel, args.outdir, args.extra)
        ours = read_stats(stats_path).iloc[-1]
        ref = load_reference(kernel)
        gem5 = read_stats(ref.stats_path("none", "l2")).iloc[-1]
        rows = []
        for label, name, gname in ROWS:
            a = ours.get(name)
            b = gem5.get(gname or name)
            a = None if a is None else float(a)
            b = None if b is None else float(b)
            # a stat missing from npusim's dump is a zero left out (gem5's nozero flag)
            err = ((a or 0.0) - b) / b if b not in (None, 0) else None
            rows.append((label, a, b, err))
        report[kernel] = {"rows": rows, "host_seconds": host}
        print(f"\n### {kernel} (replay took {host:.1f} s on the host)\n")
        print("| stat | npusim | gem5 | relative error |")
        print("|---|---:|---:|---:|")
        for label, a, b, err in rows:
            e = "–" if err is None or math.isnan(err) else f"{err * 100:+.2f}%"
            print(f"| {label} | {fmt(a)} | {fmt(b)} | {e} |")
        if args.all_stats is not None:
            compared, far = differing_stats(ours, gem5, args.all_stats)
            print(f"\n{compared} memory-system stats in both files; {len(far)} more than "
                  f"{args.all_stats:.0%} from gem5's:\n")
            for name, a, b, err in far:
                print(f"- `{name}`: npusim {a:.6g}, gem5 {b:.6g} ({err * 100:+.1f}%)")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(report, fh, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
