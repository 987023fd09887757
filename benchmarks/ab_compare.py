"""Is build B faster than build A? Interleaved pairs of mem_throughput runs.

This machine's speed drifts by tens of percent within minutes (a VM beside
other tenants), so two builds timed one after the other say little. This
alternates them, run by run (A B, then B A, ...), and reports each pair's
speed ratio and their median. Each side is a directory holding a built
`npusim/` package (a checkout after `make build`, or a copy of one):

    cp -r npusim /tmp/before            # the module before a change
    # ... change, make build ...
    .venv/bin/python benchmarks/ab_compare.py /tmp/before . --pairs 10

It also checks that both sides simulate the same thing (equal simulated
ticks and event counts); a change meant to be a pure speed-up must not
alter results.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys

import mem_throughput  # (this folder)


def one_run(package_dir: str, pattern: str, n: int, window: int, memory: str) -> dict:
    """One mem_throughput worker run with the npusim package found in package_dir."""
    cmd = mem_throughput.worker_command(pattern, n, window, memory)
    out = subprocess.run(cmd, capture_output=True, text=True, env=mem_throughput.worker_env(PYTHONPATH=package_dir),
                         cwd="/")
    if out.returncode != 0:
        raise SystemExit(f"run with {package_dir} failed:\n{out.stderr[-2000:]}")
    fig = json.loads(out.stdout.strip().splitlines()[-1])
    if not fig["core_module"].startswith(package_dir + os.sep):
        raise SystemExit(f"the run meant for {package_dir} imported {fig['core_module']}")
    return fig


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("a", help="directory holding build A's npusim/ package")
    parser.add_argument("b", help="directory holding build B's npusim/ package")
    parser.add_argument("--pairs", type=int, default=8)
    parser.add_argument("--pattern", default="random", choices=["random", "linear"])
    parser.add_argument("--requests", type=float, default=1e6)
    parser.add_argument("--window", type=int, default=16)
    parser.add_argument("--memory", default="hierarchy", choices=["hierarchy", "simple"])
    args = parser.parse_args()
    for option, value in (("--pairs", args.pairs), ("--requests", args.requests), ("--window", args.window)):
        if not value >= 1:
            parser.error(f"{option} must be at least 1, got {value}")
    dirs = [os.path.abspath(d) for d in (args.a, args.b)]
    for d in dirs:
        if not os.path.isdir(os.path.join(d, "npusim")):
            parser.error(f"{d}: no npusim/ package here")
    if args.pairs < 1:
        parser.error("--pairs must be at least 1")

    ratios = []
    for i in range(args.pairs):
        order = (0, 1) if i % 2 == 0 else (1, 0)  # alternate who goes first: drift cancels
        runs = {}
        for side in order:
            runs[side] = one_run(dirs[side], args.pattern, int(args.requests), args.window, args.memory)
        a, b = runs[0], runs[1]
        if (a["sim_ticks"], a["events"]) != (b["sim_ticks"], b["events"]):
            print(f"warning: the builds simulate differently ({a['sim_ticks']} vs {b['sim_ticks']} ticks, "
                  f"{a['events']} vs {b['events']} events)", file=sys.stderr)
        ra, rb = a["requests_per_cpu_second"] / 1e6, b["requests_per_cpu_second"] / 1e6
        ratios.append(rb / ra)
        print(f"pair {i + 1:2}: A {ra:6.3f}  B {rb:6.3f} M requests per CPU s   B/A {rb / ra:5.3f}", flush=True)
    print(f"B/A median {statistics.median(ratios):.3f} over {len(ratios)} pairs "
          f"(range {min(ratios):.3f}-{max(ratios):.3f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
