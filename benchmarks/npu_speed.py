"""Simulation speed of the NPU: simulated NPU cycles and memory requests per
host second, for a dense GEMM and for SpMM at 90% sparsity.

Each case runs in one of three systems: "ddr4" is configs/npu_system.py's
default (NPU 16x16 at 1 GHz -> L2XBar -> L2 256 KiB -> SystemXBar ->
DDR4_2400_8x8, caches and crossbars at 2 GHz); "simple" is the same without
the L2 and with a SimpleMemory (30 ns, 12.8 GiB/s) for the DRAM; "direct" is
the NPU wired straight to a SimpleMemory (50 ns, no bandwidth limit): the
NPU model's own cost. Every run is a fresh subprocess; only simulate() is
timed (building the workload, instantiation and the functional memory load
are not).

    .venv/bin/python benchmarks/npu_speed.py                 # the table of benchmarks/npu_results.md
    .venv/bin/python benchmarks/npu_speed.py --repeat 5 --json out.json

"requests" are the demand requests the NPU sent on its port (DMA lines and
scalar loads); "events" counts every event the kernel serviced (NPU, caches,
crossbars, DRAM).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

CASES = {
    # name: (workload, knobs); sized for about a second of simulation
    "gemm": ("gemm", ["--wl", "M=256", "--wl", "N=256", "--wl", "K=256"]),
    "gemm-db": ("gemm", None),      # the software-pipelined dense GEMM of benchmarks/npu_table.py, 512^3
    "spmm90": ("spmm", ["--sparsity", "0.9", "--wl", "M=1024", "--wl", "K=1024", "--wl", "N=64"]),
}


def worker(case: str, memory: str) -> dict:
    import importlib.util

    import npusim
    from npusim import _core
    from npusim.testing import stats_dict

    spec = importlib.util.spec_from_file_location("npu_system", os.path.join(ROOT, "configs", "npu_system.py"))
    cfg = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(cfg)
    workload, knobs = CASES[case]
    argv = ["--workload", workload, "--quiet"] + (knobs or [])
    if memory == "simple":
        argv += ["--mem-type", "SimpleMemory", "--l2-size", "0"]
    args = cfg.make_parser().parse_args(argv)
    if knobs is None:
        sys.path.insert(0, HERE)
        from npu_table import double_buffered_gemm
        w = double_buffered_gemm(512, 512, 512)
    else:
        w = cfg.build_workload(args)
    from npusim.objects import NPU, Root, SimpleMemory, SrcClockDomain, System
    if memory == "direct":
        system = System(clk_domain=SrcClockDomain(clock="2GHz"))
        system.npu = NPU(clk_domain=SrcClockDomain(clock="1GHz"))
        system.npu.program = w.program
        system.mem_ctrl = SimpleMemory(range="0:2GiB", latency="50ns", bandwidth="0GiB/s")
        system.npu.dma_port = system.mem_ctrl.port
    else:
        system = cfg.build_system(args, w)
    Root(full_system=False, system=system)
    outdir = tempfile.mkdtemp(prefix="npusim_npu_speed_")  # config.json only; removed below
    npusim.instantiate(outdir)
    cfg.load_memory(system, w)
    req0, ev0 = _core.demand_requests(), _core.events_processed()
    t0 = time.perf_counter()
    ev = npusim.simulate()
    host = time.perf_counter() - t0
    if ev.getCause() != "system.npu finished":
        raise RuntimeError(f"{case}: run ended early: {ev.getCause()}")
    check = w.check(cfg.read_back(system))
    if not check.ok:
        raise RuntimeError(f"{case}: wrong result: {check.message}")
    s = stats_dict(system.npu)
    shutil.rmtree(outdir, ignore_errors=True)
    return {
        "case": case, "memory": memory, "host_seconds": host,
        "npu_cycles": s["numCycles"], "requests": _core.demand_requests() - req0,
        "events": _core.events_processed() - ev0, "array_utilization": s["arrayUtilization"],
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def run_one(case: str, memory: str) -> dict:
    # one BLAS thread: numpy's idle worker threads would otherwise compete
    # with the simulation for the CPUs
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    out = subprocess.run([sys.executable, __file__, "--worker", case, memory], capture_output=True, text=True,
                         cwd=ROOT, env=env)
    if out.returncode:
        raise RuntimeError(out.stderr)
    return json.loads(out.stdout.strip().splitlines()[-1])


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} CPUs, Python {platform.python_version()}, {platform.system()} {platform.release()}"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--worker", nargs=2, metavar=("CASE", "MEMORY"), help=argparse.SUPPRESS)
    ap.add_argument("--cases", default=",".join(CASES))
    ap.add_argument("--memories", default="ddr4,simple,direct")
    ap.add_argument("--repeat", type=int, default=3, help="runs per case; the median host time is reported")
    ap.add_argument("--json", help="write the raw figures here")
    args = ap.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(*args.worker)))
        return 0
    for case in args.cases.split(","):
        if case not in CASES:
            ap.error(f"--cases: {case!r} is not one of {', '.join(CASES)}")
    for memory in args.memories.split(","):
        if memory not in ("ddr4", "simple", "direct"):
            ap.error(f"--memories: {memory!r} is not ddr4, simple or direct")
    if args.repeat < 1:
        ap.error(f"--repeat must be at least 1, got {args.repeat}")
    rows = []
    print(f"machine: {machine()}")
    print()
    print("| case | memory | NPU cycles | requests | host s (median) | Mcycles/s | requests/s | events/s | "
          "peak RSS MiB |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for case in args.cases.split(","):
        for memory in args.memories.split(","):
            runs = [run_one(case, memory) for _ in range(args.repeat)]
            host = statistics.median(r["host_seconds"] for r in runs)
            r = dict(runs[0], host_seconds=host, host_runs=[x["host_seconds"] for x in runs])
            rows.append(r)
            print(f"| {case} | {memory} | {r['npu_cycles']:.0f} | {r['requests']} | {host:.3f} | "
                  f"{r['npu_cycles'] / host / 1e6:.2f} | {r['requests'] / host:,.0f} | {r['events'] / host:,.0f} | "
                  f"{r['peak_rss_mib']:.0f} |", flush=True)
    print()
    print("fastest of the runs (least disturbed by other load on the machine):")
    for r in rows:
        best = min(r["host_runs"])
        print(f"  {r['case']:8} {r['memory']:7} {r['npu_cycles'] / best / 1e6:6.2f} Mcycles/s "
              f"{r['requests'] / best:12,.0f} requests/s")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"machine": machine(), "rows": rows}, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
