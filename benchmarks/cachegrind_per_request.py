"""Host cost of one simulated request, from cachegrind's models.

Runs the mem_throughput benchmark case (TrafficGen through L1D/L2/DDR4, or
SimpleMemory) under valgrind's cachegrind at two sizes and prints the
difference per request, so that Python start-up and instantiation cancel
out: instructions, branches, simulated mispredictions, first-level
instruction and data misses. Useful where the machine exposes no
performance counters (perf stat on this VM says "not supported").

    .venv/bin/python benchmarks/cachegrind_per_request.py                 # random, full hierarchy
    .venv/bin/python benchmarks/cachegrind_per_request.py --pattern linear --memory simple

Needs valgrind on PATH; takes a few minutes (cachegrind runs ~50x slower).
The simulated cache figures shift by a few per request with code layout;
instruction and branch counts are stable.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess

import mem_throughput  # (this folder)
FIELDS = {"I   refs": "instructions", "I1  misses": "I1 misses", "D1  misses": "D1 misses",
          "LLd misses": "LL data misses", "Branches": "branches", "Mispredicts": "mispredictions"}


def summary(pattern: str, memory: str, n: int) -> dict[str, int]:
    out = subprocess.run(["valgrind", "--tool=cachegrind", "--cache-sim=yes", "--branch-sim=yes",
                          "--cachegrind-out-file=/dev/null", *mem_throughput.worker_command(pattern, n, memory=memory)],
                         capture_output=True, text=True, env=mem_throughput.worker_env(PYTHONHASHSEED="0"))
    if out.returncode != 0:
        raise SystemExit(f"cachegrind run failed:\n{out.stderr[-2000:]}")
    figures = {}
    for line in out.stderr.splitlines():
        m = re.match(r"==\d+== ([^:]+):\s+([\d,]+)", line)
        if m and m.group(1).strip() in {k.strip() for k in FIELDS}:
            key = next(k for k in FIELDS if k.strip() == m.group(1).strip())
            figures[FIELDS[key]] = int(m.group(2).replace(",", ""))
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pattern", default="random", choices=["random", "linear"])
    parser.add_argument("--memory", default="hierarchy", choices=["hierarchy", "simple"])
    parser.add_argument("--sizes", default="20000,120000", help="two request counts; the difference is reported")
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        parser.error("valgrind is not installed")
    small, large = (int(float(x)) for x in args.sizes.split(","))
    if large <= small:
        parser.error("--sizes: the second count must be larger than the first")
    a, b = summary(args.pattern, args.memory, small), summary(args.pattern, args.memory, large)
    print(f"per request ({args.pattern}, {args.memory}; difference of {large:,} and {small:,} requests):")
    for name in FIELDS.values():
        if name in a and name in b:
            print(f"  {name:<16} {(b[name] - a[name]) / (large - small):10.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
