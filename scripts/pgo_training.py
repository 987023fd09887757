"""Training runs for the profile-guided build (`make fast`).

    .venv/bin/python scripts/pgo_training.py build/fast

Runs a short, varied set of simulations with the instrumented module that
`make fast` has just built in BUILD_DIR, so that GCC learns which branches
and calls are hot. The set covers every part of the simulator a researcher
uses, not one benchmark: TrafficGen through the cache hierarchy (random,
linear, reads and writes, the three DRAM presets), the gem5 trace replays
with prefetchers of both kinds, NPU workloads and NVR. Each run is a fresh
process; the profile counters add up across them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# (label, arguments): a config script run as `npusim -d OUT ...`, or a
# benchmark script run by Python. About 30 s in all on one core.
NPUSIM = "npusim"
RUNS = [
    ("hierarchy_random", ["benchmarks/mem_throughput.py", "--worker", "random", "30000"]),
    ("hierarchy_linear", ["benchmarks/mem_throughput.py", "--worker", "linear", "30000"]),
    ("simple_memory", [NPUSIM, "configs/examples/traffic_gen.py", "--pattern", "random", "--requests", "30000",
                       "--window", "16", "--read-percent", "70"]),
    ("replay_stride", [NPUSIM, "configs/examples/trace_replay.py", "--kernel", "spmv_csr", "--prefetcher", "stride"]),
    ("replay_spp", [NPUSIM, "configs/examples/trace_replay.py", "--kernel", "embedding_bag", "--prefetcher", "spp"]),
    ("replay_tagged", [NPUSIM, "configs/examples/trace_replay.py", "--kernel", "stream_sum", "--prefetcher",
                       "tagged", "--level", "l1d"]),
    ("npu_spmm_hbm", [NPUSIM, "configs/npu_system.py", "--workload", "spmm", "--size", "small", "--mem-type",
                      "HBM_2000_4H_1x64"]),
    ("npu_gemm_lpddr5", [NPUSIM, "configs/npu_system.py", "--workload", "gemm", "--size", "small", "--mem-type",
                         "LPDDR5_6400_1x16_BG_BL32"]),
    ("nvr", [NPUSIM, "configs/nvr_compare.py", "--workload", "spmm", "--size", "small", "--configs", "nvr,nvr+nsb",
             "--jobs", "1", "--no-figures", "--quiet", "--fresh"]),
]


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    build = Path(argv[0]).resolve()
    modules = list(build.glob("_core*.so"))
    if len(modules) != 1:
        print(f"pgo_training.py: no instrumented _core module in {build}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="npusim_pgo_") as tmp:
        # a copy of the package around the instrumented module, ahead of the
        # installed one on sys.path
        pkg = Path(tmp) / "pkg"
        shutil.copytree(ROOT / "npusim", pkg / "npusim", ignore=shutil.ignore_patterns("_core*.so", "__pycache__"))
        shutil.copy2(modules[0], pkg / "npusim" / modules[0].name)
        env = dict(os.environ, PYTHONPATH=str(pkg), OPENBLAS_NUM_THREADS="1")
        for label, args in RUNS:
            if args[0] == NPUSIM:
                cli = "import sys; from npusim.cli import main; raise SystemExit(main(sys.argv[1:]))"
                cmd = [sys.executable, "-c", cli, "-d", str(Path(tmp) / label), *args[1:]]
            else:
                cmd = [sys.executable, *args]
            done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
            if done.returncode != 0:
                print(f"pgo_training.py: training run {label} failed:\n{done.stderr[-2000:]}", file=sys.stderr)
                return 1
            print(f"  trained: {label}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
