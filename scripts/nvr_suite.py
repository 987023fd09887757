"""Runs configs/nvr_compare.py over the whole sparse workload suite and
prints the tables that docs/nvr.md quotes: per workload, the cycles of
none / the best general-purpose prefetcher / nvr / nvr+nsb / l2+16KiB, and
the paper's four claims, measured (geometric means over the suite).

    python scripts/nvr_suite.py [-o OUTDIR] [--jobs 2] [--workloads spmm,gnn]
    python scripts/nvr_suite.py --pipeline -o m5out/nvr_suite_pipelined   # software-pipelined kernels
    python scripts/nvr_suite.py --wl KEY=VALUE --compare-args "--mem-type HBM_2000_4H_1x64 --configs none,nvr"
    python scripts/nvr_suite.py --breakdown    # + read / write-allocate misses, DRAM bandwidth vs peak

Each workload's rows are in OUTDIR/nvr_compare_<workload>.jsonl (resumable,
as for nvr_compare.py) with its figure; the summary goes to
OUTDIR/nvr_suite.md.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import os
import shlex
import sys

from npusim.argtypes import job_count

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SUITE = ["spmm", "spmv", "sddmm", "embedding_bag", "gnn", "moe", "sparse_attention", "pointcloud"]


def _compare():
    spec = importlib.util.spec_from_file_location("nvr_compare", os.path.join(ROOT, "configs", "nvr_compare.py"))
    mod = importlib.util.module_from_spec(spec)
    sys.modules["nvr_compare"] = mod   # worker processes find _worker by module name
    spec.loader.exec_module(mod)
    return mod


def gmean(xs):
    xs = [x for x in xs if x and x > 0]
    return math.exp(sum(math.log(x) for x in xs) / len(xs)) if xs else float("nan")


def f(r, k):
    try:
        return float(r.get(k) or 0)
    except (TypeError, ValueError):
        return 0.0


def budget_table(out):
    from npusim.objects import NVR
    from npusim.objects.nvr import area_model
    nvr = NVR()
    b = nvr.hardware_budget()
    print("| structure | entries | bytes/entry | bytes | fields |", file=out)
    print("|---|---:|---:|---:|---|", file=out)
    for name, (n, per, tot, fields) in b.items():
        print(f"| {name} | {n} | {per} | {tot} | {fields} |", file=out)
    a = area_model(b, lanes=int(nvr.lanes), nsb_bytes=16 * 1024)
    print(f"| **total state** | | | **{a['nvr_storage_bytes']}** | |", file=out)
    print("", file=out)
    return a


def _stats(outdir, workload, config):
    path = os.path.join(outdir, workload, config.replace("@", "_at_").replace("+", "_"), "stats.json")
    if not os.path.exists(path):
        return None
    with open(path) as fh:
        return json.load(fh)["dumps"][-1]


READS = ("ReadReq", "ReadSharedReq", "ReadCleanReq")
WRITES = ("ReadExReq", "WriteReq", "WriteLineReq", "UpgradeReq")


def _npu_misses(st, cmds):
    return sum(float(st.get(f"system.l2.{c}.misses::npu.dma") or 0) for c in cmds)


def _dram_share(st):
    """(DRAM bytes moved, their share of the run at the memory's peak bandwidth)."""
    moved = float(st.get("system.mem_ctrl.bytesReadSys") or 0) + float(st.get("system.mem_ctrl.bytesWrittenSys") or 0)
    peak = float(st.get("system.mem_ctrl.dram.peakBW") or 0) * 1024 * 1024     # MiB/s -> B/s
    secs = float(st.get("simSeconds") or 0)
    return moved, (moved / peak / secs if peak and secs else float("nan"))


def breakdown(outdir, per, compare, out):
    """Per workload: the NPU's demand misses in the L2 split into reads
    (gathers, indices, inputs: what NVR prefetches) and write-allocate fills
    of its stores (ReadExReq from the NSB, WriteReq at the L2), for nvr+nsb
    and the best general-purpose prefetcher; and the DRAM bandwidth each run
    drew as a share of the memory's peak, with the speedup over `none` that
    nvr+nsb would reach if it moved the same bytes at the peak."""
    print("| workload | NPU L2 read misses nvr+nsb / best GP (ratio) | write-allocate fills nvr+nsb / best GP | "
          "DRAM bandwidth, share of peak: none / nvr+nsb / best GP | speedup bound at peak bandwidth |", file=out)
    print("|---|---:|---:|---:|---:|", file=out)
    ratios = []
    for w, rows in per.items():
        best = compare.best_general(list(rows.values()))
        st = {c: _stats(outdir, w, c) for c in ("none", "nvr+nsb", best["config"] if best else "")}
        if not best or any(v is None for v in st.values()):
            print(f"| {w} | no stats | | | |", file=out)
            continue
        sn, sb, s0 = st["nvr+nsb"], st[best["config"]], st["none"]
        rn, rb = _npu_misses(sn, READS), _npu_misses(sb, READS)
        ratios.append(rn / max(rb, 1))
        share = {c: _dram_share(v)[1] for c, v in st.items()}
        bound = f(rows["none"], "cycles") / (f(rows["nvr+nsb"], "cycles") * share["nvr+nsb"])
        print(f"| {w} | {rn:.0f} / {rb:.0f} ({rn / max(rb, 1):.3f}) | {_npu_misses(sn, WRITES):.0f} / "
              f"{_npu_misses(sb, WRITES):.0f} | {share['none']:.2f} / {share['nvr+nsb']:.2f} / "
              f"{share[best['config']]:.2f} | {bound:.2f}x |", file=out)
    print(f"\nread misses, nvr+nsb vs best GP: geomean ratio {gmean(ratios):.3f} "
          f"({100 * (1 - gmean(ratios)):.0f}% fewer)", file=out)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-o", "--outdir", default="m5out/nvr_suite")
    ap.add_argument("--jobs", type=job_count, default=os.cpu_count() or 1)
    ap.add_argument("--workloads", default=",".join(SUITE))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--fresh", action="store_true")
    ap.add_argument("--pipeline", action="store_true",
                    help="the software-pipelined, double-buffered kernels (each workload's pipeline=True)")
    ap.add_argument("--wl", action="append", default=[], metavar="KEY=VALUE",
                    help="workload parameter for every workload that takes it (repeatable)")
    ap.add_argument("--compare-args", default="",
                    help="further options for configs/nvr_compare.py (system knobs, --configs, --nvr KEY=VALUE)")
    ap.add_argument("--breakdown", action="store_true",
                    help="also tabulate, from each run's stats.json: the NPU's L2 misses split into reads and "
                         "write-allocate fills, and DRAM bandwidth against the memory's peak")
    opts = ap.parse_args(argv)
    if opts.seed < 0:
        ap.error(f"argument --seed: must be >= 0, got {opts.seed}")
    extra = [a for kv in opts.wl + (["pipeline=True"] if opts.pipeline else []) for a in ("--wl", kv)]
    try:
        extra += shlex.split(opts.compare_args)
    except ValueError as err:
        ap.error(f"--compare-args {opts.compare_args!r}: {err}")
    names = opts.workloads.split(",")
    if "" in names:
        ap.error(f"--workloads {opts.workloads!r}: an empty workload name")
    try:
        os.makedirs(opts.outdir, exist_ok=True)
    except OSError as err:
        ap.error(f"--outdir {opts.outdir!r}: cannot use it as the output directory ({err.strerror})")
    compare = _compare()
    from npusim.simulation import set_outdir
    set_outdir(opts.outdir)
    # Every workload's options are checked before the first sweep runs (a bad one was found only after the
    # workloads before it had run; a bad workload parameter was an ERROR row per configuration).
    built = {}
    for w in names:
        args_w = compare.make_parser().parse_args(["--workload", w, "--seed", str(opts.seed)] + extra)
        compare.check_workload_options(args_w)
        compare.check_nvr_options(args_w)
        try:
            built[w] = compare.build_workload(args_w)
        except (ValueError, TypeError) as err:
            ap.error(f"--workloads {w}: {err}")
    per = {}
    for w in names:
        argv_w = ["--workload", w, "--seed", str(opts.seed), "--jobs", str(opts.jobs)] + extra + \
            (["--fresh"] if opts.fresh else [])
        rows = compare.run_sweep(argv_w, opts.outdir)
        wl = built[w]
        compare.plot(rows, os.path.join(opts.outdir, f"nvr_compare_{w}.png"), wl.summary()[:140])
        per[w] = {r["config"]: r for r in rows}
        print(f"== {w}")
        compare.print_table(rows)

    lines = []
    out = type("W", (), {"write": lambda self, s: lines.append(s)})()
    print("| workload | none cycles | best general-purpose (cycles) | nvr | nvr+nsb | l2+16KiB | "
          "NPU L2 misses nvr / nvr+nsb / best GP | DRAM reads nvr+nsb / best GP | nvr+nsb accuracy | coverage | "
          "late share | checks |", file=out)
    print("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|", file=out)
    claims = dict(miss=[], miss_nvr=[], speed=[], speed_nvr=[], nsb_gain=[], l2_gain=[], speed_gp=[])
    for w, rows in per.items():
        none, nvr, nsb, l2 = rows.get("none"), rows.get("nvr"), rows.get("nvr+nsb"), rows.get("l2+16KiB")
        best = compare.best_general(list(rows.values()))
        checks = "all PASS" if all(r.get("check") == "PASS" for r in rows.values()) else \
            "FAIL: " + ",".join(c for c, r in rows.items() if r.get("check") != "PASS")
        if not (none and nvr and nsb and l2 and best):
            print(f"| {w} | incomplete | | | | | | | | | | {checks} |", file=out)
            continue
        # The NPU's demand requests that miss every on-chip level (its L2
        # demand misses): the same measure whatever the hierarchy.
        mr = f(nsb, "npu_l2_misses") / max(f(best, "npu_l2_misses"), 1)
        mr_nvr = f(nvr, "npu_l2_misses") / max(f(best, "npu_l2_misses"), 1)
        dr = f(nsb, "dram_reads") / max(f(best, "dram_reads"), 1)
        claims["miss"].append(mr)
        claims["miss_nvr"].append(mr_nvr)
        claims["speed"].append(f(none, "cycles") / f(nsb, "cycles"))
        claims["speed_nvr"].append(f(none, "cycles") / f(nvr, "cycles"))
        claims["speed_gp"].append(f(none, "cycles") / f(best, "cycles"))
        claims["nsb_gain"].append(f(nvr, "cycles") / f(nsb, "cycles") - 1)   # adding the NSB to NVR
        claims["l2_gain"].append(f(none, "cycles") / f(l2, "cycles") - 1)   # 16 KiB more L2
        print(f"| {w} | {f(none, 'cycles'):.0f} | {best['config']} ({f(best, 'cycles'):.0f}) | {f(nvr, 'cycles'):.0f} "
              f"| {f(nsb, 'cycles'):.0f} | {f(l2, 'cycles'):.0f} | {mr_nvr:.3f} / {mr:.3f} | {dr:.3f} | {f(nsb, 'accuracy'):.3f} "
              f"| {f(nsb, 'coverage'):.3f} | {f(nsb, 'late_share'):.3f} | {checks} |", file=out)
    print("", file=out)
    g = {k: gmean(v) if k not in ("nsb_gain", "l2_gain") else (sum(v) / len(v) if v else float("nan"))
         for k, v in claims.items()}
    print("| claim | paper | measured here (suite) |", file=out)
    print("|---|---|---|", file=out)
    print(f"| cache misses vs best general-purpose prefetcher | ~90% fewer | nvr+nsb: {100 * (1 - g['miss']):.0f}% "
          f"fewer NPU demand misses in the L2 (geomean ratio {g['miss']:.3f}); nvr: {100 * (1 - g['miss_nvr']):.0f}% "
          f"fewer (ratio {g['miss_nvr']:.3f}) |",
          file=out)
    print(f"| speedup over no prefetching | ~4x | nvr+nsb {g['speed']:.2f}x, nvr {g['speed_nvr']:.2f}x "
          f"(best GP {g['speed_gp']:.2f}x) (geomean) |", file=out)
    a = budget_table(type("N", (), {"write": lambda self, s: None})())
    print(f"| hardware overhead | <5% | {100 * a['overhead']:.2f}% of the NPU's area proxy "
          f"({100 * a['overhead_with_nsb']:.2f}% with the 16 KiB NSB) |", file=out)
    ratio = g["nsb_gain"] / g["l2_gain"] if g["l2_gain"] and g["l2_gain"] > 0 else float("inf")
    print(f"| 16 KiB NSB with NVR vs 16 KiB more L2 | ~5x the benefit | NSB adds {100 * g['nsb_gain']:.1f}% "
          f"over nvr; +16 KiB L2 adds {100 * g['l2_gain']:.1f}% over none (mean); ratio {ratio:.1f}x |", file=out)
    if opts.breakdown:
        print("", file=out)
        breakdown(opts.outdir, per, compare, out)
    text = "".join(lines)
    print(text)
    with open(os.path.join(opts.outdir, "nvr_suite.md"), "w") as fh:
        fh.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
