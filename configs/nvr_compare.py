"""NVR against no prefetching, gem5's prefetchers, and a bigger L2, on one
sparse workload (issue 5, docs/nvr.md):

    npusim configs/nvr_compare.py --workload spmm [--sparsity 0.9 --seed 0 --jobs 2]

Systems (one row of the results each, run in parallel processes):

    none           NPU -> L2XBar -> L2 (256 KiB) -> SystemXBar -> DRAM
    <Prefetcher>   the same with that gem5 prefetcher at the L2 (and, with
                   --npu-cache-size, rows "<Prefetcher>@npu_cache" with it at
                   an NPU-side cache of that size)
    nvr            NVR as the L2's prefetcher; its port on the L2 bus
    nvr+nsb        NPU -> NSB (16 KiB) -> L2XBar -> ...; NVR fills the NSB,
                   its port on the L2 bus
    l2+16KiB       no prefetcher, the L2 grown by 16 KiB (17 ways)

Columns: cycles (NPU), speedup (over none), l2_demand_misses (all
requestors, gem5's demandMisses::total), npu_l2_misses (the NPU's own
demand misses in the L2: requests that went to DRAM), npu_first_level_misses
(the NPU's demand misses in the first cache it reaches: NSB or L2),
dram_reads, dram_bytes; for the prefetcher of the row, from the balanced
pfOutcome: accuracy = (useful + late) / issued, coverage = (useful + late) /
(useful + late + demandMshrMisses), late_share = late / (useful + late),
timeliness = 1 - late_share; gem5's own accuracy/coverage are kept too.

Every run checks the workload's result against numpy (a FAIL is reported
in the `check` column and fails the process). Rows are appended to
OUTDIR/nvr_compare_<workload>.jsonl (JSON Lines, npusim.sweep's
ResultsTable) as runs finish, so an interrupted sweep keeps its rows and a
rerun skips the configurations already there (--fresh starts over).
Figures: OUTDIR/nvr_compare_<workload>.png.

The executor is pluggable (npusim.sweep's run_all): local processes by
default; a cluster engine's concurrent.futures-compatible executor (Dask's
``Client.get_executor()``, Ray's ``ray.util`` pools) can be passed to
run_sweep() instead. build_system(), run_config() and run_sweep() are
importable for scripts (scripts/nvr_suite.py) and tests.
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import inspect
import math
import os
import sys
import time

from npusim.argtypes import job_count, whole_number
from npusim.sweep import ResultsTable, run_all

# Compare-sized workloads: gathered tables larger than the L2, each run a
# second or two, so that `make demo` takes a few minutes on 2 cores.
WORKLOAD_SIZES = {
    "spmm": dict(M=128, K=4096, N=32, sparsity=0.98),
    "spmv": dict(M=1024, K=65536, sparsity=0.995),
    "sddmm": dict(M=256, N=4096, d=32, sparsity=0.99),
    "embedding_bag": dict(),
    "gnn": dict(nodes=8192, features=32),
    "moe": dict(),
    "sparse_attention": dict(),
    "pointcloud": dict(points=8192, k=16, channels=32),
}
DEFAULT_WORKLOAD = "spmm"
EXCLUDED_PREFETCHERS = {"MultiPrefetcher", "NVR"}


def gem5_prefetchers() -> list[str]:
    """Class names of the built, concrete gem5-named prefetchers."""
    from npusim import _core
    from npusim.objects import all_classes
    from npusim.objects.prefetch import BasePrefetcher
    built = set(_core.registered_types())
    return sorted(n for n, c in all_classes().items()
                  if issubclass(c, BasePrefetcher) and not c.abstract and c.type in built
                  and n not in EXCLUDED_PREFETCHERS and not n.startswith("CacheTest"))


def config_names(args) -> list[str]:
    names = ["none"] + gem5_prefetchers()
    if args.npu_cache_size and args.npu_cache_size != "0":
        names += [f"{p}@npu_cache" for p in gem5_prefetchers()]
    names += ["nvr", "nvr+nsb", "l2+16KiB"]
    if args.configs:
        wanted = args.configs.split(",")
        unknown = [w for w in wanted if w not in names]
        if unknown:
            raise SystemExit(f"nvr_compare.py: unknown configuration(s) {unknown}; known: {', '.join(names)}")
        names = [n for n in names if n in wanted]
    return names


def make_parser() -> argparse.ArgumentParser:
    ns = _npu_system()   # its argparse types: sizes, clocks and counts are checked when parsed
    ap = argparse.ArgumentParser(prog="nvr_compare.py", description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    ap.add_argument("--workload", default=DEFAULT_WORKLOAD)
    ap.add_argument("--sparsity", type=float, default=None)
    ap.add_argument("--seed", type=whole_number(0), default=0)
    ap.add_argument("--size", default="compare", choices=("compare", "default", "small"),
                    help="compare: the sizes in WORKLOAD_SIZES (tables larger than the L2); default/small: the "
                         "workload's presets")
    ap.add_argument("--wl", action="append", default=[], metavar="KEY=VALUE", help="workload parameter override")
    ap.add_argument("--jobs", type=job_count, default=os.cpu_count() or 1, help="parallel processes")
    # npusim.sweep's EXECUTORS but "thread": a run simulates in its worker, and a process holds one simulation
    ap.add_argument("--executor", default="process", choices=("process", "serial"), help="how runs are fanned out")
    ap.add_argument("--configs", default=None, help="comma-separated subset of configurations")
    ap.add_argument("--fresh", action="store_true", help="start the results file over")
    ap.add_argument("--no-figures", action="store_true")
    ap.add_argument("--quiet", action="store_true")
    s = ap.add_argument_group("system")
    s.add_argument("--npu-clock", type=ns.clock, default="1GHz")
    s.add_argument("--sys-clock", type=ns.clock, default="2GHz")
    s.add_argument("--l2-size", type=ns.size, default="256KiB")
    s.add_argument("--l2-assoc", type=whole_number(1), default=16)
    s.add_argument("--l2-mshrs", type=whole_number(1), default=32)
    s.add_argument("--dma-inflight", type=whole_number(1), default=16)
    s.add_argument("--mem-type", default="DDR4_2400_8x8", choices=ns.MEM_TYPES)
    s.add_argument("--nsb-size", type=ns.size, default="16KiB")
    s.add_argument("--npu-cache-size", type=ns.size, default="0", help="also run each prefetcher at an NPU cache of this size")
    s.add_argument("--nvr", action="append", default=[], metavar="KEY=VALUE", help="NVR parameter override")
    return ap


def _npu_system():
    """configs/npu_system.py, which builds the systems and parses the
    KEY=VALUE options (imported on first use: it loads npusim)."""
    here = os.path.dirname(os.path.abspath(__file__))
    if here not in sys.path:
        sys.path.insert(0, here)
    import npu_system
    return npu_system


def workload_kwargs(args) -> dict:
    from npusim import workloads
    entry = workloads.entry(args.workload)
    accepted = inspect.signature(entry.factory).parameters
    kw = dict(WORKLOAD_SIZES.get(args.workload, {})) if args.size == "compare" else {}
    kw.update(_npu_system().parse_assignments(args.wl, "--wl"))
    if args.sparsity is not None:
        kw["sparsity"] = args.sparsity
    if "seed" in accepted:
        kw["seed"] = args.seed
    return {k: v for k, v in kw.items() if k in accepted}


def check_workload_options(args) -> None:
    """Exits on an unknown --workload, a --wl key no workload takes (a key
    only other workloads take is left out, for scripts/nvr_suite.py's
    suite-wide --wl) and --sparsity for a workload without one."""
    from npusim import workloads
    try:
        accepted = inspect.signature(workloads.entry(args.workload).factory).parameters
    except KeyError as err:
        raise SystemExit(f"nvr_compare.py: --workload: {err.args[0]}") from None
    known = {k for n in workloads.names() for k in inspect.signature(workloads.entry(n).factory).parameters}
    for key in _npu_system().parse_assignments(args.wl, "--wl"):
        if key not in known:
            raise SystemExit(f"nvr_compare.py: --wl {key}=...: no workload has a parameter {key!r} "
                             f"({args.workload} takes {', '.join(accepted)})")
    if args.sparsity is not None and "sparsity" not in accepted:
        raise SystemExit(f"nvr_compare.py: --sparsity: workload {args.workload} has no sparsity")


def check_nvr_options(args) -> None:
    """Exits on an --nvr that is not KEY=VALUE or names no NVR parameter
    (was an ERROR row for each NVR configuration)."""
    from npusim.objects import NVR
    for key in _npu_system().parse_assignments(args.nvr, "--nvr"):
        if key not in NVR._params or key == "npu":
            raise SystemExit(f"nvr_compare.py: --nvr {key}=...: NVR has no parameter {key!r} "
                             f"(it has {', '.join(k for k in NVR._params if k != 'npu')})")


def preset(args) -> str:
    """The workload preset under --size (compare's sizes override the default one)."""
    return "small" if args.size == "small" else "default"


def build_workload(args):
    from npusim import workloads
    return workloads.get(args.workload, size=preset(args), **workload_kwargs(args))


# ---------------------------------------------------------------------------
# One system.

def build_system(args, workload, config: str):
    """The object tree for one configuration (not instantiated): the
    system of configs/npu_system.py with this sweep's system options, the
    configuration's L2 size or NSB, and its prefetcher."""
    from npusim.objects import NSB, NVR, all_classes
    from npusim.units import to_bytes
    npu_system = _npu_system()
    sysargs = npu_system.make_parser().parse_args([])
    for name in ("npu_clock", "sys_clock", "l2_size", "l2_assoc", "l2_mshrs", "dma_inflight", "mem_type"):
        setattr(sysargs, name, getattr(args, name))
    if config == "l2+16KiB":
        # 16 KiB more as one more way per set keeps the set count a power of 2.
        total = to_bytes(args.l2_size) + 16 * 1024
        sets = to_bytes(args.l2_size) // 64 // args.l2_assoc
        if total % (64 * sets):
            raise SystemExit(f"nvr_compare.py: --configs l2+16KiB: cannot grow --l2-size {args.l2_size} "
                             f"(--l2-assoc {args.l2_assoc}) by 16 KiB in whole ways")
        sysargs.l2_size, sysargs.l2_assoc = f"{total}B", total // (64 * sets)
    pf_name, at_npu_cache = config, False
    if config.endswith("@npu_cache"):
        pf_name, at_npu_cache = config[: -len("@npu_cache")], True
        sysargs.npu_cache_size, sysargs.npu_cache_assoc = args.npu_cache_size, 4
    npu_side = ("nsb", NSB(size=args.nsb_size)) if config == "nvr+nsb" else None
    system = npu_system.build_system(sysargs, workload, npu_side)
    nvr_params = npu_system.parse_assignments(args.nvr, "--nvr")
    if config == "nvr+nsb":
        system.nsb.prefetcher = NVR(npu=system.npu, **nvr_params)
        system.nsb.prefetcher.port = system.l2bus.cpu_side_ports
    elif config == "nvr":
        system.l2.prefetcher = NVR(npu=system.npu, **{"fill_index_lines": False, **nvr_params})
        system.l2.prefetcher.port = system.l2bus.cpu_side_ports
    elif at_npu_cache:
        system.npu_cache.prefetcher = all_classes()[pf_name]()
    elif config not in ("none", "l2+16KiB"):
        system.l2.prefetcher = all_classes()[pf_name]()
    return system


def _g(stats, name, default=0.0):
    v = stats.get(name, default)
    return default if v is None or (isinstance(v, float) and math.isnan(v)) else v


def summarize(config: str, stats: dict, check_ok: bool, check_msg: str, finished: bool) -> dict:
    """One results row from the full stats of a run."""
    pf = None
    for path in ("system.nsb.prefetcher", "system.npu_cache.prefetcher", "system.l2.prefetcher"):
        if f"{path}.pfIssued" in stats:
            pf = path
            break
    first = "system.nsb" if "system.nsb.demandMisses::total" in stats else (
        "system.npu_cache" if "system.npu_cache.demandMisses::total" in stats else "system.l2")
    row = dict(config=config, cycles=_g(stats, "system.npu.numCycles"),
               l2_demand_misses=_g(stats, "system.l2.demandMisses::total"),
               npu_l2_misses=_g(stats, "system.l2.demandMisses::npu.dma"),
               npu_first_level_misses=_g(stats, f"{first}.demandMisses::npu.dma"),
               dram_reads=_g(stats, "system.mem_ctrl.readReqs"),
               dram_bytes=_g(stats, "system.mem_ctrl.bytesReadSys") + _g(stats, "system.mem_ctrl.bytesWrittenSys"),
               memory_stall_share=_g(stats, "system.npu.stallCycles::memory") / max(_g(stats, "system.npu.numCycles"), 1))
    if pf:
        issued = _g(stats, f"{pf}.pfIssued")
        useful = _g(stats, f"{pf}.pfOutcome::useful")
        late = _g(stats, f"{pf}.pfOutcome::late")
        dmm = _g(stats, f"{pf}.demandMshrMisses")
        row.update(pf_issued=issued, pf_useful=useful, pf_late=late,
                   pf_useless=_g(stats, f"{pf}.pfOutcome::evictedUnused") + _g(stats, f"{pf}.pfOutcome::droppedAtIssue"),
                   accuracy=(useful + late) / issued if issued else 0.0,
                   coverage=(useful + late) / (useful + late + dmm) if (useful + late + dmm) else 0.0,
                   pf_demand_mshr_misses=dmm,
                   late_share=late / (useful + late) if (useful + late) else 0.0,
                   gem5_accuracy=_g(stats, f"{pf}.accuracy"), gem5_coverage=_g(stats, f"{pf}.coverage"))
    else:
        row.update(pf_issued=0, pf_useful=0, pf_late=0, pf_useless=0, pf_demand_mshr_misses=0, accuracy=0.0,
                   coverage=0.0, late_share=0.0,
                   gem5_accuracy=0.0, gem5_coverage=0.0)
    if pf and f"{pf}.chainsDetected" in stats:
        row.update(chains=_g(stats, f"{pf}.chainsDetected"), index_loads=_g(stats, f"{pf}.indexLoads"),
                   index_load_misses=_g(stats, f"{pf}.indexLoadMisses"))
    row.update(check="PASS" if (check_ok and finished) else "FAIL", check_message=check_msg,
               host_seconds=_g(stats, "hostSeconds"))
    return row


def run_config(args, config: str, outdir: str) -> dict:
    """Builds, runs and checks one configuration in this process; returns its row."""
    import npusim
    from npusim import stats as npustats
    from npusim.objects import Root
    from npusim.simulation import reset, set_outdir
    reset()
    workload = build_workload(args)
    system = build_system(args, workload, config)
    Root(full_system=False, system=system)
    safe = config.replace("@", "_at_").replace("+", "_")
    set_outdir(os.path.join(outdir, f"{args.workload}", safe))
    t0 = time.perf_counter()
    npusim.instantiate()
    for addr, data in workload.memory:
        npusim.functional_write(system.npu, "dma_port", addr, data)
    ev = npusim.simulate()
    finished = ev.getCause() == f"{system.npu.path()} finished"
    check = workload.check(lambda a, n: npusim.functional_read(system.npu, "dma_port", a, n))
    values = npustats.dump()
    row = summarize(config, values, check.ok, check.message, finished)
    row["wall_seconds"] = round(time.perf_counter() - t0, 3)
    reset()
    return row


#: the system options every configuration's result depends on
SYSTEM_OPTIONS = ("npu_clock", "sys_clock", "l2_size", "l2_assoc", "l2_mshrs", "dma_inflight", "mem_type")


def workload_params(args, config: str) -> str:
    """What a configuration's row depends on, as one string: the workload's
    parameters (its size preset included) and the system options that
    configuration uses. Rows of other parameters share the file; a rerun
    reuses only rows of the same string."""
    from npusim import workloads
    values = workloads.entry(args.workload).presets[preset(args)]
    parts = [f"{k}={v}" for k, v in sorted({**values, **workload_kwargs(args)}.items())]
    options = SYSTEM_OPTIONS + (("nsb_size",) if config == "nvr+nsb" else ()) + \
        (("npu_cache_size",) if config.endswith("@npu_cache") else ())
    parts += [f"--{o.replace('_', '-')}={getattr(args, o)}" for o in options]
    if config.startswith("nvr"):
        parts += [f"--nvr={kv}" for kv in args.nvr]
    return ";".join(parts)


def _worker(argv: list[str], config: str, outdir: str) -> dict:
    args = make_parser().parse_args(argv)
    head = dict(workload=args.workload, params=workload_params(args, config))
    try:
        return head | run_config(args, config, outdir)
    except Exception as exc:  # one broken configuration must not sink the sweep
        return head | dict(config=config, check="ERROR", check_message=f"{type(exc).__name__}: {exc}")


# ---------------------------------------------------------------------------
# The sweep.

def results_table(outdir: str, workload: str) -> ResultsTable:
    # a FAIL is a result (the check ran); an ERROR (an exception) is tried again
    return ResultsTable(os.path.join(outdir, f"nvr_compare_{workload}.jsonl"), key=("params", "config"),
                        finished=lambda row: row.get("check") in ("PASS", "FAIL"))


def run_sweep(argv: list[str], outdir: str, executor: cf.Executor | None = None, progress: bool = True) -> list[dict]:
    """Runs every configuration not yet in the results file; returns all
    rows of this workload/parameter set (with speedup filled in)."""
    args = make_parser().parse_args(argv)
    check_workload_options(args)
    check_nvr_options(args)
    os.makedirs(outdir, exist_ok=True)
    table = results_table(outdir, args.workload)
    if args.fresh and os.path.exists(table.path):
        os.remove(table.path)
    wanted = [(workload_params(args, c), c) for c in config_names(args)]
    todo = table.pending(wanted)
    bar = None
    if progress and todo:
        from tqdm import tqdm
        bar = tqdm(total=len(todo), desc=f"nvr_compare {args.workload}", unit="run", file=sys.stderr)

    def tick(i, n, row):
        if bar:
            bar.set_postfix_str(f"{row['config']}: {row.get('check')}")
            bar.update(1)

    try:
        run_all(_worker, [(argv, c, outdir) for _, c in todo], table, executor=executor or args.executor,
                jobs=args.jobs, progress=tick)
    finally:
        if bar:
            bar.close()
    return finish_rows([r for r in table.rows() if table.key(r) in set(wanted)])


def _f(r, k):
    try:
        return float(r.get(k) or 0)
    except ValueError:
        return 0.0


def finish_rows(rows: list[dict]) -> list[dict]:
    """Latest row per configuration, speedup over `none` and timeliness filled in."""
    latest = {}
    for r in rows:
        latest[r["config"]] = r
    rows = list(latest.values())
    base = latest.get("none")
    for r in rows:
        c = _f(r, "cycles")
        r["speedup"] = _f(base, "cycles") / c if base and c else ""
        u, l_ = _f(r, "pf_useful"), _f(r, "pf_late")
        r["timeliness"] = u / (u + l_) if (u + l_) else ""
    order = {n: i for i, n in enumerate(["none"])}
    rows.sort(key=lambda r: (order.get(r["config"], 1), r["config"].startswith(("nvr", "l2+")), r["config"]))
    return rows


def best_general(rows: list[dict]) -> dict | None:
    """The general-purpose prefetcher with the fewest cycles."""
    gp = [r for r in rows if r["config"] not in ("none", "nvr", "nvr+nsb", "l2+16KiB")
          and r.get("check") == "PASS" and _f(r, "cycles") > 0]
    # ties (prefetchers that never issue run exactly as `none`) go to the fewer misses
    return min(gp, key=lambda r: (_f(r, "cycles"), _f(r, "npu_l2_misses"))) if gp else None


def print_table(rows: list[dict], out=sys.stdout):
    best = best_general(rows)
    cols = [("config", 30, "s"), ("cycles", 10, ".0f"), ("speedup", 8, ".2f"), ("npu_first_level_misses", 10, ".0f"),
            ("l2_demand_misses", 10, ".0f"), ("dram_reads", 10, ".0f"), ("accuracy", 8, ".3f"),
            ("coverage", 8, ".3f"), ("late_share", 8, ".3f"), ("check", 5, "s")]
    heads = {"npu_first_level_misses": "npu_miss", "l2_demand_misses": "l2_miss", "dram_reads": "dram_rd",
             "late_share": "late"}
    print("  ".join(f"{heads.get(c, c):>{w}}" if f != "s" else f"{heads.get(c, c):<{w}}" for c, w, f in cols), file=out)
    for r in rows:
        cells = []
        for c, w, f in cols:
            v = r.get(c, "")
            if f == "s" or v in ("", None):
                cells.append(f"{str(v):<{w}}" if f == "s" else f"{'':>{w}}")
            else:
                cells.append(f"{float(v):>{w}{f}}")
        print("  ".join(cells), file=out)
    if best:
        print(f"best general-purpose prefetcher (fewest cycles): {best['config']}", file=out)


def plot(rows: list[dict], path: str, title: str):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    ok = [r for r in rows if r.get("check") == "PASS"]
    if not ok:
        return
    names = [r["config"] for r in ok]
    best = best_general(ok)
    colors = ["tab:red" if n.startswith("nvr") else "tab:green" if n == "l2+16KiB" else
              "tab:gray" if n == "none" else "tab:blue" for n in names]
    fig, axes = plt.subplots(2, 3, figsize=(18, 9))
    x = range(len(names))

    def bars(ax, key, label, norm=None):
        vals = [_f(r, key) for r in ok]
        if norm:
            vals = [v / norm if norm else 0 for v in vals]
        ax.bar(x, vals, color=colors)
        ax.set_xticks(list(x))
        ax.set_xticklabels(names, rotation=70, ha="right", fontsize=7)
        ax.set_ylabel(label)
        return vals

    ax = axes[0][0]
    bars(ax, "speedup", "speedup over none")
    ax2 = ax.twinx()
    ax2.plot(list(x), [_f(r, "cycles") for r in ok], "k.", label="cycles")
    ax2.set_ylabel("NPU cycles")
    ax.set_title("cycles and speedup")
    ax = axes[0][1]
    bnorm_l2 = _f(best, "npu_l2_misses") if best else 0
    bnorm_dr = _f(best, "dram_reads") if best else 0
    w = 0.4
    ax.bar([i - w / 2 for i in x], [_f(r, "npu_l2_misses") / bnorm_l2 if bnorm_l2 else 0 for r in ok], w,
           label="NPU misses in the L2")
    ax.bar([i + w / 2 for i in x], [_f(r, "dram_reads") / bnorm_dr if bnorm_dr else 0 for r in ok], w,
           label="DRAM reads")
    ax.set_xticks(list(x))
    ax.set_xticklabels(names, rotation=70, ha="right", fontsize=7)
    ax.axhline(1.0, color="k", lw=0.5)
    ax.legend(fontsize=7)
    ax.set_title(f"misses normalised to {best['config'] if best else '-'}")
    bars(axes[0][2], "accuracy", "accuracy (useful+late)/issued")
    axes[0][2].set_title("accuracy")
    bars(axes[1][0], "coverage", "coverage")
    axes[1][0].set_title("coverage")
    bars(axes[1][1], "late_share", "late / (useful + late)")
    axes[1][1].set_title("timeliness (late share, lower is better)")
    bars(axes[1][2], "dram_bytes", "DRAM bytes")
    axes[1][2].set_title("DRAM traffic")
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = make_parser().parse_args(argv)
    from npusim.simulation import outdir as current_outdir
    outdir = current_outdir()
    check_workload_options(args)
    try:
        wl = build_workload(args)
    except (ValueError, TypeError) as err:
        raise SystemExit(f"nvr_compare.py: {err}") from None
    if not args.quiet:
        print(f"nvr_compare: {wl.summary()}")
        print(f"nvr_compare: {len(config_names(args))} configurations, {args.jobs} jobs, results in "
              f"{results_table(outdir, args.workload).path}")
    rows = run_sweep(argv, outdir, progress=not args.quiet)
    print_table(rows)
    if not args.no_figures:
        png = os.path.join(outdir, f"nvr_compare_{args.workload}.png")
        plot(rows, png, wl.summary()[:140])
        if not args.quiet:
            print(f"nvr_compare: figures in {png}")
    bad = [r["config"] for r in rows if r.get("check") != "PASS"]
    if bad:
        print(f"nvr_compare: FAILED or broken configurations: {', '.join(bad)}", file=sys.stderr)
        for r in rows:
            if r.get("check") != "PASS":
                print(f"  {r['config']}: {r.get('check_message')}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
