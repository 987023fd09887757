"""Where the host instructions of one simulated request go, by component.

Builds the module with debug information (RelWithDebInfo, into
build/prof, incremental), runs the mem_throughput case (TrafficGen, 16 in
flight, all-miss through L1D/L2XBar/L2/SystemXBar/DDR4) under valgrind's
callgrind counting `simulate()` only, and groups every instruction by the
source file its line comes from (so code inlined from the event queue into
a cache counts as event queue):

    .venv/bin/python benchmarks/callgrind_breakdown.py                  # random, 20,000 requests
    .venv/bin/python benchmarks/callgrind_breakdown.py --pattern linear --keep /tmp/linear.cg

Instruction counts are repeatable (the same binary and inputs give the same
total), unlike wall time on a shared machine. Takes a few minutes.
"""

from __future__ import annotations

import argparse
import collections
import os
import re
import shutil
import subprocess
import sys
import tempfile

import mem_throughput  # (this folder)

ROOT = mem_throughput.ROOT
PROF_DIR = os.path.join(ROOT, "build", "prof")

# (component, pattern matched against the source file's path), first match wins
COMPONENTS = [
    ("DRAM controller and interface", r"/mem/dram/"),
    ("caches (tags, MSHRs, write buffer, replacement)", r"/mem/cache/"),
    ("crossbars", r"xbar"),
    ("snoop filters", r"snoop_filter"),
    ("event queue and simulate loop", r"eventq|simulate\.cc|clocked_object"),
    ("ports and packet queues", r"port\.hh|packet_queue|ring\.hh"),
    ("packets (pool, route stack)", r"packet\.hh|packet\.cc"),
    ("requestor (TrafficGen)", r"/cpu/"),
    ("stats", r"stats"),
    ("C++ library, compiler intrinsics (inlined)", r"/usr/|^\?\?\?$|sysdeps"),
]


def build_profiling_module() -> str:
    py = sys.executable
    if not os.path.exists(os.path.join(PROF_DIR, "build.ninja")):
        import pybind11
        subprocess.run([os.path.join(os.path.dirname(py), "cmake"), "-S", ROOT, "-B", PROF_DIR, "-G", "Ninja",
                        "-DCMAKE_BUILD_TYPE=RelWithDebInfo", f"-DPython_EXECUTABLE={py}",
                        f"-Dpybind11_DIR={pybind11.get_cmake_dir()}",
                        f"-DCMAKE_MAKE_PROGRAM={os.path.join(os.path.dirname(py), 'ninja')}"],
                       check=True, stdout=subprocess.DEVNULL)
    subprocess.run([os.path.join(os.path.dirname(py), "cmake"), "--build", PROF_DIR, "-j", "2"], check=True,
                   stdout=subprocess.DEVNULL)
    return next(os.path.join(PROF_DIR, f) for f in os.listdir(PROF_DIR) if f.startswith("_core") and f.endswith(".so"))


def run_callgrind(module: str, pattern: str, n: int, out_file: str) -> int:
    """Runs the case with `module` in place of the built one; returns the events processed."""
    with tempfile.TemporaryDirectory() as pkg:
        shutil.copytree(os.path.join(ROOT, "npusim"), os.path.join(pkg, "npusim"),
                        ignore=shutil.ignore_patterns("_core*.so", "__pycache__"))
        shutil.copy(module, os.path.join(pkg, "npusim"))
        env = mem_throughput.worker_env(PYTHONPATH=pkg)
        out = subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out_file}",
                              "--toggle-collect=npusim::simulate*", *mem_throughput.worker_command(pattern, n)],
                             capture_output=True, text=True, env=env)
    if out.returncode != 0:
        raise SystemExit(f"callgrind run failed:\n{out.stderr[-2000:]}")
    return int(re.search(r'"events": (\d+)', out.stdout).group(1))


def by_component(cg_file: str) -> tuple[collections.Counter, int]:
    text = subprocess.run(["callgrind_annotate", "--threshold=100", "--auto=no", cg_file], capture_output=True, text=True,
                          check=True).stdout
    totals, whole = collections.Counter(), 0
    for line in text.splitlines():
        m = re.match(r"^\s*([\d,]+) \(\s*[\d.]+%\)\s+(.+?):(.*)$", line)
        if not m or "PROGRAM TOTALS" in line:
            continue
        count = int(m.group(1).replace(",", ""))
        path = m.group(2)
        whole += count
        name = next((c for c, pat in COMPONENTS if re.search(pat, path)), "other")
        totals[name] += count
    return totals, whole


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pattern", choices=["random", "linear"], default="random")
    ap.add_argument("--requests", type=int, default=20000)
    ap.add_argument("--module", help="a _core*.so built with debug information (default: build one)")
    ap.add_argument("--keep", metavar="FILE", help="keep the callgrind output here")
    args = ap.parse_args()
    if not shutil.which("valgrind"):
        raise SystemExit("valgrind is not on PATH (apt-get install valgrind)")
    module = args.module or build_profiling_module()
    cg_file = args.keep or tempfile.mktemp(suffix=".cg")
    events = run_callgrind(module, args.pattern, args.requests, cg_file)
    totals, whole = by_component(cg_file)
    if not args.keep:
        os.unlink(cg_file)
    n = args.requests
    print(f"{args.pattern}, {n:,} requests: {whole / n:,.0f} instructions and {events / n:.2f} events per request\n")
    print("| component | instructions per request | share |\n|---|---:|---:|")
    for name, count in totals.most_common():
        print(f"| {name} | {count / n:,.0f} | {100 * count / whole:.1f}% |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
