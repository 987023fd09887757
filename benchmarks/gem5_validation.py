"""npusim's prefetchers against real gem5.

For every reference kernel (../shared/reference/gem5/<kernel>/) and every
gem5 run of it (stats/<prefetcher>-<level>.txt), replays the kernel's L1D
trace with configs/examples/trace_replay.py -- the same hierarchy, built from
gem5's config.json by configs/examples/reference_system.py, with the same
prefetcher (gem5's defaults) at the same level -- and compares npusim's stats
with gem5's, side by side with the relative error:

    L1D demand misses, L2 demand misses, pfIssued, pfUseful, accuracy, coverage

then ranks the prefetchers of each kernel by L2 demand misses in both
simulators and says whether the rankings agree.

Where gem5's implementation departs from the paper, npusim's default follows
the paper and a Bool parameter named ``gem5_*`` (``gem5_compat``,
``gem5_tag_bug``) reproduces gem5. Such a prefetcher runs twice: ``default``
(gem5's other defaults, the paper's behaviour) and ``gem5`` (every ``gem5_*``
parameter True). The target -- L2 demand misses within 10% of gem5, same
ranking -- is judged on the ``gem5`` configuration where there is one and on
``default`` otherwise; the ``default`` rows show how far the paper's
behaviour is from gem5's.

    .venv/bin/python benchmarks/gem5_validation.py                 # everything, 2 processes
    .venv/bin/python benchmarks/gem5_validation.py --kernels spmv_csr --prefetchers none,stride --levels l2
    .venv/bin/python benchmarks/gem5_validation.py --max-packets 20000 --outdir /tmp/v   # quick
    .venv/bin/python benchmarks/gem5_validation.py --report-only --markdown table.md
    .venv/bin/python benchmarks/gem5_validation.py --warm-start   # the set-up replayed before each ROI

--warm-start replays each kernel's set-up (alloc_region's memset and
mark_pages, the init loops, rebuilt from kernel.c by
configs/examples/warm_start.py) before the ROI, blocking, each store the
median ROI think time of the kernel after the previous response, and resets
the statistics at roi_begin(), as gem5 did: its prefetchers and caches ran
through the set-up too. The compared stats are the ROI's only either way.
Warm and cold runs are separate rows of results.jsonl (column ``start``) and
separate folders (``-warm``), so both can share an --outdir; the report
covers the mode asked for.

Every run is a fresh process (one simulation per process); --jobs of them at
a time. Each finished run appends one row to <outdir>/results.jsonl at once
(JSON Lines, npusim.sweep's ResultsTable: a row is a JSON object of the
columns() below), so an interrupted sweep loses only the runs in flight: a
rerun skips the (kernel, prefetcher, level, config, max_packets, start) runs
whose last row there is ok (--force redoes them). npusim's stats.txt of each run stays in <outdir>/<kernel>/<pf>-<level>/
for a per-stat comparison (scripts/compare_stats.py).

"L2 demand misses" is gem5's system.l2.demandMisses::total. With a
prefetcher at L1D it includes the L1D prefetcher's requests (gem5 sends an
L1 prefetch miss down as ReadSharedReq, a demand command at L2), and in gem5
it includes the few L1I misses of the ROI (::cpu.inst), which the L1D trace
cannot replay. With --max-packets the gem5 figures are still those of the
whole region of interest: the errors then mean nothing.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
TRACE_REPLAY = ROOT / "configs" / "examples" / "trace_replay.py"
sys.path.insert(0, str(ROOT / "configs" / "examples"))
from reference_system import PREFETCHERS  # noqa: E402  (short gem5 run names -> npusim classes)
from npusim.argtypes import job_count, whole_number  # noqa: E402
from npusim.sweep import RESULTS, ResultsTable, run_all  # noqa: E402

KERNELS = ("stream_sum", "spmv_csr", "embedding_bag")
LEVELS = ("l2", "l1d")

# (key, label, stat name with {pf} = the prefetcher's stat group); the same
# names in npusim and gem5.
METRICS = [
    ("l1d_demand_misses", "L1D demand misses", "system.cpu.dcache.demandMisses::total"),
    ("l2_demand_misses", "L2 demand misses", "system.l2.demandMisses::total"),
    ("pfIssued", "pfIssued", "{pf}.pfIssued"),
    ("pfUseful", "pfUseful", "{pf}.pfUseful"),
    ("accuracy", "accuracy", "{pf}.accuracy"),
    ("coverage", "coverage", "{pf}.coverage"),
]
# Recorded in the results (both simulators) to explain differences.
EXTRA = [
    ("l2_demand_misses_data", "system.l2.demandMisses::cpu.data"),
    ("l1d_demand_accesses", "system.cpu.dcache.demandAccesses::total"),
    ("l2_demand_accesses", "system.l2.demandAccesses::total"),
    ("l2_writebacks", "system.l2.writebacks::total"),
    ("sim_ticks", "simTicks"),
    ("dram_reads", "system.mem_ctrl.readReqs"),
    ("dram_writes", "system.mem_ctrl.writeReqs"),
    ("pfIdentified", "{pf}.pfIdentified"),
    ("pfUnused", "{pf}.pfUnused"),
    ("pfLate", "{pf}.pfLate"),
    ("pfHitInCache", "{pf}.pfHitInCache"),
    ("pfHitInMSHR", "{pf}.pfHitInMSHR"),
    ("pfBufferHit", "{pf}.pfBufferHit"),
    ("pfRemovedDemand", "{pf}.pfRemovedDemand"),
    ("pfRemovedFull", "{pf}.pfRemovedFull"),
    ("pfSpanPage", "{pf}.pfSpanPage"),
]
KEY = ("kernel", "prefetcher", "level", "config", "max_packets", "start")
CONFIGS = ("default", "gem5")
STARTS = ("cold", "warm")   # the ROI replayed alone / after the kernel's set-up (--warm-start)
TARGET = 0.10        # the target: L2 demand misses within 10% of gem5
TIE = 0.02           # ranking: gem5 values closer than this (relative) are ties


def columns() -> list[str]:
    cols = list(KEY) + ["status", "host_seconds", "peak_rss_mib", "commit"]
    for key, _, _ in METRICS:
        cols += [f"npusim_{key}", f"gem5_{key}", f"err_{key}"]
    for key, _ in EXTRA:
        cols += [f"npusim_{key}", f"gem5_{key}"]
    return cols


def pf_group(level: str) -> str:
    return "system.cpu.dcache.prefetcher" if level == "l1d" else "system.l2.prefetcher"


def rel_err(ours, theirs):
    """(ours - theirs) / theirs; 0 when both are 0 or both NaN (0/0 accuracy)."""
    if ours is None or theirs is None:
        return None
    if math.isnan(ours) and math.isnan(theirs):
        return 0.0
    if math.isnan(ours) or math.isnan(theirs):
        return math.nan
    if theirs == 0:
        return 0.0 if ours == 0 else math.inf
    return (ours - theirs) / theirs


def figures(stats_path, prefetcher: str, level: str) -> dict:
    """The compared stats of one stats.txt (last dump), None where absent."""
    from npusim.analysis.stats_reader import read_stats
    row = read_stats(stats_path).iloc[-1]
    out = {}
    for key, stat in [(k, s) for k, _, s in METRICS] + EXTRA:
        if "{pf}" in stat and prefetcher == "none":
            out[key] = None
            continue
        v = row.get(stat.format(pf=pf_group(level)))
        out[key] = None if v is None else float(v)
    return out


def git_commit() -> str:
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                              text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "--", "src", "src_ext",
                                "npusim", "configs"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
        return head + ("+dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        # an exported tree (git archive) records its commit in SNAPSHOT
        snap = ROOT / "SNAPSHOT"
        return snap.read_text().strip() if snap.exists() else "unknown"


def compat_params(prefetcher: str) -> dict:
    """The prefetcher's ``gem5_*`` Bool parameters, all True ({} if none)."""
    if prefetcher == "none":
        return {}
    from npusim.objects import all_classes
    cls = all_classes().get(PREFETCHERS.get(prefetcher, prefetcher))
    if cls is None:
        return {}
    return {name: True for name, desc in cls._params.items()
            if name.startswith("gem5_") and getattr(desc, "type_name", "") == "Bool"}


# The child process: declares the gem5-configuration subclass (a plain
# default override, the gem5 preset idiom) and runs the npusim command.
_CHILD = ("import json, sys\n"
          "from npusim.objects import all_classes\n"
          "for name, (base, params) in json.loads(sys.argv[1]).items():\n"
          "    type(name, (all_classes()[base],), dict(params, __module__='gem5_validation'))\n"
          "from npusim.cli import main\n"
          "sys.exit(main(sys.argv[2:]))\n")


def run_dir(outdir: Path, kernel: str, prefetcher: str, level: str, config: str, max_packets: int,
            start: str = "cold") -> Path:
    return outdir / kernel / (f"{prefetcher}-{level}" + ("" if config == "default" else f"-{config}")
                              + (f"-{max_packets}" if max_packets else "") + ("" if start == "cold" else f"-{start}"))


def replay(kernel, prefetcher, level, config, max_packets, start, outdir: Path, reference_root=None) -> dict:
    """One run of trace_replay.py in a fresh process; its stats.txt path, host
    time and peak RSS (its log is <run dir>/log.txt)."""
    d = run_dir(outdir, kernel, prefetcher, level, config, max_packets, start)
    d.mkdir(parents=True, exist_ok=True)
    stats = d / "stats.txt"
    if stats.exists():
        stats.unlink()
    classes, pf_arg = {}, prefetcher
    if config == "gem5":
        base = PREFETCHERS.get(prefetcher, prefetcher)
        pf_arg = f"{base}_gem5"
        classes[pf_arg] = (base, compat_params(prefetcher))
    cmd = [sys.executable, "-c", _CHILD, json.dumps(classes),
           "-d", str(d), str(TRACE_REPLAY), "--kernel", kernel, "--prefetcher", pf_arg, "--level", level]
    if max_packets:
        cmd += ["--max-requests", str(max_packets)]
    if start == "warm":
        cmd += ["--warm-start"]
    if reference_root:
        cmd += ["--reference-root", str(reference_root)]
    t0 = time.perf_counter()
    with open(d / "log.txt", "w") as log:
        log.write(" ".join(cmd) + "\n")
        log.flush()
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
    host = time.perf_counter() - t0
    if proc.returncode != 0 or not stats.exists():
        tail = (d / "log.txt").read_text().strip().splitlines()[-1:] or ["no output"]
        raise RuntimeError(f"exit {proc.returncode}: {tail[0][:300]} (log: {d / 'log.txt'})")
    return {"stats": stats, "host_seconds": host, "peak_rss_mib": usage.ru_maxrss / 1024}


def run_one(kernel, prefetcher, level, config, max_packets, start, outdir: Path, reference_root, commit) -> dict:
    """One run's row: every one of columns(), None where it has no value."""
    from npusim.analysis.reference import load_reference
    row = dict.fromkeys(columns())
    row.update(kernel=kernel, prefetcher=prefetcher, level=level, config=config, max_packets=max_packets,
               start=start, commit=commit)
    try:
        r = replay(kernel, prefetcher, level, config, max_packets, start, outdir, reference_root)
    except Exception as e:  # noqa: BLE001 - recorded in the table, retried on the next sweep
        row["status"] = f"error: {e}"
        return row
    row.update(status="ok", host_seconds=round(r["host_seconds"], 2), peak_rss_mib=round(r["peak_rss_mib"], 1))
    ours = figures(r["stats"], prefetcher, level)
    theirs = figures(load_reference(kernel, root=reference_root).stats_path(prefetcher, level), prefetcher, level)
    for key, _, _ in METRICS:
        row[f"npusim_{key}"], row[f"gem5_{key}"] = ours[key], theirs[key]
        row[f"err_{key}"] = rel_err(ours[key], theirs[key])
    for key, _ in EXTRA:
        row[f"npusim_{key}"], row[f"gem5_{key}"] = ours[key], theirs[key]
    return row


# --- the results table --------------------------------------------------------------

def results_table(outdir: Path) -> ResultsTable:
    """<outdir>/results.jsonl, a run's key being its KEY columns (a planned_runs() tuple)."""
    return ResultsTable(Path(outdir) / RESULTS, key=KEY)


# --- report ---------------------------------------------------------------------------

def fmt_value(v, key="") -> str:
    if v is None or v == "":
        return "–"
    if isinstance(v, float) and math.isnan(v):
        return "nan"
    if key in ("accuracy", "coverage"):
        return f"{v:.4f}"
    return f"{int(round(v)):,}"


def fmt_err(e) -> str:
    if e is None or e == "":
        return "–"
    if math.isnan(e):
        return "nan"
    if math.isinf(e):
        return "+inf" if e > 0 else "-inf"
    return f"{e * 100:+.1f}%"


def _table(header: list[str], rows: list[list[str]], align: list[str]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(header)]
    def line(cells):
        return "| " + " | ".join(c.ljust(w) if a == "l" else c.rjust(w)
                                 for c, w, a in zip(cells, widths, align)) + " |"
    sep = "|" + "|".join(("-" * (w + 1) + ":") if a == "r" else ("-" * (w + 2)) for w, a in zip(widths, align)) + "|"
    return "\n".join([line(header), sep] + [line(r) for r in rows])


def run_table(rows: list[dict]) -> str:
    header = ["prefetcher", "level", "config"]
    align = ["l", "l", "l"]
    for _, label, _ in METRICS:
        header += [f"{label} npusim", "gem5", "err"]
        align += ["r", "r", "r"]
    body = []
    for r in rows:
        cells = [r["prefetcher"], r["level"], r.get("config") or "default"]
        if r["status"] != "ok":
            body.append(cells + [r["status"][:60]] + [""] * (len(header) - 4))
            continue
        for key, _, _ in METRICS:
            cells += [fmt_value(r[f"npusim_{key}"], key), fmt_value(r[f"gem5_{key}"], key),
                      fmt_err(r[f"err_{key}"])]
        body.append(cells)
    return _table(header, body, align)


def _sign(a: float, b: float, tie: float) -> int:
    """-1 if a is clearly below b, +1 if clearly above, 0 within the tie band."""
    if abs(a - b) <= tie * max(abs(a), abs(b)):
        return 0
    return -1 if a < b else 1


def ranking(rows: list[dict], tie: float = TIE) -> dict:
    """Prefetchers ordered by L2 demand misses (fewest first) in each
    simulator, and the pairs that gem5 separates by more than `tie` which
    npusim orders the other way or not at all (discordant)."""
    ok = [r for r in rows if r["status"] == "ok"]
    names = [r["prefetcher"] for r in ok]
    ours = {r["prefetcher"]: r["npusim_l2_demand_misses"] for r in ok}
    theirs = {r["prefetcher"]: r["gem5_l2_demand_misses"] for r in ok}
    discordant, concordant, tau_n, tau_d1, tau_d2 = [], 0, 0, 0, 0
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            g = _sign(theirs[a], theirs[b], tie)
            n = _sign(ours[a], ours[b], 0.0)
            if g != 0:
                if g == n:
                    concordant += 1
                else:
                    discordant.append((a, b) if g < 0 else (b, a))   # gem5: first < second
            # Kendall tau-b on the raw values
            gs = (theirs[a] > theirs[b]) - (theirs[a] < theirs[b])
            ns = (ours[a] > ours[b]) - (ours[a] < ours[b])
            tau_n += gs * ns
            tau_d1 += gs != 0
            tau_d2 += ns != 0
    tau = tau_n / math.sqrt(tau_d1 * tau_d2) if tau_d1 and tau_d2 else math.nan
    return {"gem5": sorted(names, key=lambda p: (theirs[p], p)), "npusim": sorted(names, key=lambda p: (ours[p], p)),
            "gem5_values": theirs, "npusim_values": ours, "discordant": discordant, "concordant": concordant,
            "match": not discordant, "kendall_tau_b": tau}


def _order(names, values) -> str:
    """a (12) < b (15) = c (15) ... with exact ties shown as '='."""
    out = []
    for i, p in enumerate(names):
        if i:
            out.append(" = " if values[p] == values[names[i - 1]] else " < ")
        out.append(f"{p} ({fmt_value(values[p])})")
    return "".join(out)


def judged(rows: list[dict]) -> list[dict]:
    """One row per (kernel, prefetcher, level): the gem5 configuration where
    the prefetcher has one, else the default."""
    best = {}
    for r in rows:
        k = (r["kernel"], r["prefetcher"], r["level"])
        if k not in best or (r.get("config") == "gem5" and r["status"] == "ok"):
            best[k] = r
    return list(best.values())


def _ranking_lines(rk: dict, level: str, what: str) -> list[str]:
    verdict = "**match**" if rk["match"] else "**mismatch**"
    tau = rk["kendall_tau_b"]
    tau = "n/a: a simulator ties every run" if math.isnan(tau) else f"{tau:.2f}"
    out = [f"Ranking by L2 demand misses, prefetchers at {level.upper()} (with none), {what}, fewest first: "
           f"{verdict} (Kendall tau-b {tau})", "",
           f"- gem5:   {_order(rk['gem5'], rk['gem5_values'])}",
           f"- npusim: {_order(rk['npusim'], rk['npusim_values'])}"]
    if rk["discordant"]:
        pairs = ", ".join(f"{a} < {b}" for a, b in rk["discordant"])
        out.append(f"- gem5 orders these pairs (by more than {TIE:.0%}) and npusim does not: {pairs}")
    out.append("")
    return out


def report(results: dict[tuple, dict], kernels, selected: set[tuple], max_packets: int,
           start: str = "cold") -> tuple[str, dict]:
    """The per-kernel tables, rankings and a summary, as Markdown."""
    out = [("Warm start: each kernel's set-up replayed before the ROI, statistics reset at roi_begin()."
            if start == "warm" else "Cold start: the ROI replayed alone.") + "\n"]
    summary = {"runs": 0, "within": 0, "errors": 0, "rank": {}, "default_runs": 0, "default_within": 0,
               "rank_default": {}, "outside": []}
    if max_packets:
        out.append(f"(first {max_packets} trace packets only: the gem5 figures are of the whole ROI, so the "
                   "errors below mean nothing)\n")
    order = {p: i for i, p in enumerate(["none"] + sorted(PREFETCHERS))}
    for kernel in kernels:
        rows = [results[k] for k in sorted(selected) if k[0] == kernel and k in results]
        if not rows:
            continue
        rows.sort(key=lambda r: (LEVELS.index(r["level"]) if r["level"] in LEVELS else 9,
                                 order.get(r["prefetcher"], 99), r.get("config") != "default"))
        out.append(f"### {kernel}\n")
        out.append(run_table(rows) + "\n")
        summary["errors"] += sum(r["status"] != "ok" for r in rows)
        jrows = judged(rows)
        for r in jrows:
            if r["status"] != "ok":
                continue
            summary["runs"] += 1
            e = r["err_l2_demand_misses"]
            ok = e is not None and abs(e) <= TARGET
            summary["within"] += ok
            if not ok:
                summary["outside"].append(f"{kernel} {r['prefetcher']}-{r['level']} ({r.get('config')}, "
                                          f"{fmt_err(e)})")
        for r in rows:
            if r["status"] == "ok" and r.get("config", "default") == "default":
                summary["default_runs"] += 1
                e = r["err_l2_demand_misses"]
                summary["default_within"] += e is not None and abs(e) <= TARGET
        has_gem5_config = any(r.get("config") == "gem5" for r in rows)
        for level in LEVELS:
            for what, group_rows, key in (
                    ("gem5 configurations", jrows, "rank"),
                    ("default configurations", [r for r in rows if r.get("config", "default") == "default"],
                     "rank_default")):
                group = [r for r in group_rows if r["level"] == level or r["prefetcher"] == "none"]
                if not [r for r in group if r["prefetcher"] != "none"]:
                    continue
                if key == "rank_default" and not has_gem5_config:
                    continue
                rk = ranking(group)
                summary[key][(kernel, level)] = rk
                out += _ranking_lines(rk, level, what)
    n_rank = len(summary["rank"])
    n_match = sum(rk["match"] for rk in summary["rank"].values())
    out.append(f"**Summary** ({start} start; gem5 configurations where a prefetcher has one): {summary['within']} of "
               f"{summary['runs']} runs have L2 demand misses within {TARGET:.0%} of gem5; rankings match for "
               f"{n_match} of {n_rank} (kernel, level) groups"
               + (f"; {summary['errors']} runs failed" if summary["errors"] else "") + ".")
    if summary["outside"]:
        out.append("\nOutside the target: " + "; ".join(summary["outside"]) + ".")
    if summary["rank_default"]:
        d_match = sum(rk["match"] for rk in summary["rank_default"].values())
        out.append(f"\nDefault configurations (the papers' behaviour): {summary['default_within']} of "
                   f"{summary['default_runs']} runs within {TARGET:.0%}; rankings match for {d_match} of "
                   f"{len(summary['rank_default'])} groups.")
    return "\n".join(out), summary


# --- main ----------------------------------------------------------------------------

def planned_runs(kernels, prefetchers, levels, configs, max_packets, reference_root, start="cold") -> list[tuple]:
    from npusim.analysis.reference import load_reference
    runs = []
    for kernel in kernels:
        for pf, level in load_reference(kernel, root=reference_root).runs:
            if (prefetchers is None or pf in prefetchers) and level in levels:
                for config in configs:
                    if config == "default" or compat_params(pf):
                        runs.append((kernel, pf, level, config, max_packets, start))
    return runs


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kernels", default=",".join(KERNELS), help="comma-separated reference kernels")
    parser.add_argument("--prefetchers", default=None,
                        help="comma-separated gem5 run names (none,stride,tagged,...); default: every run")
    parser.add_argument("--levels", default="l2,l1d", help="comma-separated: l2, l1d")
    parser.add_argument("--configs", default="default,gem5",
                        help="default (paper behaviour) and/or gem5 (gem5_* parameters True, where a prefetcher "
                             "has them)")
    parser.add_argument("--max-packets", type=whole_number(0), default=0,
                        help="replay only the first N trace packets (0: all)")
    parser.add_argument("--warm-start", action="store_true",
                        help="replay each kernel's set-up before its ROI and reset the statistics at roi_begin() "
                             "(configs/examples/warm_start.py); the report covers the warm runs")
    parser.add_argument("--jobs", type=job_count, default=2, help="simulations at a time (one process each)")
    parser.add_argument("--outdir", default=str(ROOT / "m5out" / "gem5_validation"),
                        help=f"{RESULTS} and one folder of npusim output per run")
    parser.add_argument("--reference-root", default=None, help="reference kernels folder (default: shared)")
    parser.add_argument("--force", action="store_true", help=f"rerun runs already in {RESULTS}")
    parser.add_argument("--report-only", action="store_true", help=f"run nothing; report from {RESULTS}")
    parser.add_argument("--markdown", help="also write the report to this file")
    args = parser.parse_args(argv)

    kernels = [k for k in args.kernels.split(",") if k]
    from npusim.analysis.reference import ReferenceDataError, load_reference
    for k in kernels:
        try:
            load_reference(k, root=args.reference_root)
        except ReferenceDataError as err:
            parser.error(f"--kernels: {err}")
    prefetchers = None if args.prefetchers is None else {p for p in args.prefetchers.split(",") if p}
    levels = [lv for lv in args.levels.split(",") if lv]
    for lv in levels:
        if lv not in LEVELS:
            parser.error(f"--levels: {lv!r} is not one of {', '.join(LEVELS)}")
    configs = [c for c in args.configs.split(",") if c]
    for c in configs:
        if c not in CONFIGS:
            parser.error(f"--configs: {c!r} is not one of {', '.join(CONFIGS)}")
    outdir = Path(args.outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    table = results_table(outdir)

    start = "warm" if args.warm_start else "cold"
    runs = planned_runs(kernels, prefetchers, levels, configs, args.max_packets, args.reference_root, start)
    if not runs:
        parser.error("no gem5 run matches the selection")
    todo = [] if args.report_only else table.pending(runs, args.force)
    if todo:
        commit = git_commit()
        print(f"{len(todo)} runs to do ({len(runs) - len(todo)} already in {table.path}), {args.jobs} at a time",
              file=sys.stderr)
        t0 = time.perf_counter()

        def show(i, n, row):
            e = row.get("err_l2_demand_misses")
            print(f"[{i}/{n} {time.perf_counter() - t0:7.1f}s] {row['kernel']} {row['prefetcher']}-"
                  f"{row['level']} ({row['config']}, {row['start']}): {row['status']}" +
                  (f", {row['host_seconds']:.1f}s, L2 demand misses {fmt_err(e)}" if row["status"] == "ok"
                   else ""), file=sys.stderr)

        try:   # threads: each run is its own process
            run_all(run_one, [(*run, outdir, args.reference_root, commit) for run in todo], table,
                    jobs=args.jobs, progress=show)
        except KeyboardInterrupt:
            print(f"interrupted: finished runs are in {table.path}", file=sys.stderr)
            raise
    results = table.latest()
    text, summary = report(results, kernels, set(runs), args.max_packets, start)
    print(text)
    if args.markdown:
        Path(args.markdown).write_text(text + "\n")
    return 1 if summary["errors"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
