"""The workload table of docs/npu.md: every workload of the suite at its
default size on configs/npu_system.py's default system (NPU 16x16 WS at
1 GHz, no NPU cache, L2XBar, L2 256 KiB 16-way, SystemXBar, DDR4_2400_8x8),
plus gemm-db, a double-buffered dense GEMM defined here.

    .venv/bin/python benchmarks/npu_table.py                       # Markdown table
    .venv/bin/python benchmarks/npu_table.py --dataflow OS --args "--mem-type HBM_2000_4H_1x64"

Columns: NPU cycles; array utilization (MACs / (DIM^2 * cycles)); the
fraction of cycles the execute units stalled on memory
(stallCycles::memory / numCycles); the L2 demand miss rate; DRAM bytes
(read + written by the memory controller); and whether the output matched
numpy.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shlex
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def double_buffered_gemm(M: int = 128, N: int = 128, K: int = 128, seed: int = 0, config=None, block: int = 128):
    """Dense C = A . B written the way a tuned NPU kernel is: the output is
    computed in blocks of up to block x block that stay in the accumulator;
    for each K step of DIM the A and B panels of the block are moved in
    (rotating buffers, so the next step's loads overlap this step's tiles),
    and every B tile is used for all the block's rows while it is stationary
    (WS folds of T = block rows). M, N, K must be multiples of DIM."""
    from npusim.isa import NPUConfig, Program, validate
    from npusim.workloads.base import Allocator, OutputSpec, Workload, rng_for, summation_tolerance

    cfg = NPUConfig.coerce(config)
    D, rb = cfg.dim, cfg.row_bytes
    if M % D or N % D or K % D:
        raise ValueError(f"double_buffered_gemm: M, N, K must be multiples of DIM={D}")
    bm, bn = min(block, M), min(block, N)
    if M % bm or N % bn:
        raise ValueError("double_buffered_gemm: M and N must be multiples of the block")
    if bm * bn * 4 > cfg.acc_bytes:
        raise ValueError("double_buffered_gemm: the output block does not fit in the accumulator")
    rng = rng_for(seed, 60)
    a = rng.standard_normal((M, K)).astype(np.float32)
    b = rng.standard_normal((K, N)).astype(np.float32)
    c = a.astype(np.float64) @ b.astype(np.float64)
    mag = np.abs(a.astype(np.float64)) @ np.abs(b.astype(np.float64))
    al = Allocator()
    a_a, a_b, a_c = al.place("A", a), al.place("B", b), al.reserve("C", M * N * 4)
    bank = cfg.spad_bytes // 4
    nbuf = 3                                             # buffers per operand (see below)
    a_buf = [i * bm * rb for i in range(nbuf)]                       # A panels (bm rows of D), bank 0
    b_buf = [bank + i * (bn // D) * D * rb for i in range(nbuf)]     # B tiles of the panel, bank 1
    if b_buf[-1] + (bn // D) * D * rb > 2 * bank or a_buf[-1] + bm * rb > bank:
        raise ValueError("double_buffered_gemm: the panels do not fit in two scratchpad banks")
    p = Program(name="gemm-db")
    ra, rbb, rc = 1, 2, 3
    steps = [(bi, bj, kk) for bi in range(M // bm) for bj in range(N // bn) for kk in range(K // D)]

    def loads(t):
        bi, bj, kk = steps[t]
        pa, pb = a_buf[t % nbuf], b_buf[t % nbuf]
        # B tiles first: they are short, so the load queue (8 entries) has a
        # free slot for the long A panel soon and the front end moves on.
        p.li(rbb, a_b + (kk * D * N + bj * bn) * 4)
        for jt in range(bn // D):
            p.mvin(rbb, jt * D * 4, pb + jt * D * rb, D, rb, N * 4)      # B[kk rows, tile jt]
        p.li(ra, a_a + (bi * bm * K + kk * D) * 4)
        p.mvin(ra, 0, pa, bm, rb, K * 4)                                # A[block rows, kk cols]

    # Software pipelined: the loads of step t + 1 are issued before the
    # tiles of step t, so they overlap them. Three buffers per operand: the
    # loads of step t + 1 then never wait for the tiles of step t - 1 (which
    # may still be in the array when the front end reaches those loads).
    loads(0)
    for t, (bi, bj, kk) in enumerate(steps):
        if t + 1 < len(steps):
            loads(t + 1)
        pa, pb = a_buf[t % nbuf], b_buf[t % nbuf]
        for jt in range(bn // D):
            for it in range(bm // D):
                p.matmul(pa + it * D * rb, pb + jt * D * rb, (jt * bm + it * D) * rb, D, D, D, 1 if kk else 0)
        if kk == K // D - 1:
            p.li(rc, a_c + (bi * bm * N + bj * bn) * 4)
            for jt in range(bn // D):
                p.mvout_acc(rc, jt * D * 4, jt * bm * rb, bm, rb, N * 4)
    p.halt()
    validate(p, cfg)
    return Workload(name="gemm-db", program=p, memory=al.memory, output=OutputSpec(a_c, np.dtype(np.float32), (M, N)),
                    expected=c.astype(np.float32), tolerance=summation_tolerance(mag, K),
                    params=dict(M=M, N=N, K=K, seed=seed), config=cfg, regions=dict(al.regions),
                    info=dict(matmuls=(M // D) * (N // D) * (K // D), gathered_rows=0))


def load_config():
    spec = importlib.util.spec_from_file_location("npu_system", os.path.join(ROOT, "configs", "npu_system.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def measure(cfg, name: str, extra: list) -> dict:
    import npusim
    from npusim.testing import stats_dict

    npusim.reset()
    args = cfg.make_parser().parse_args(["--workload", "gemm" if name == "gemm-db" else name, "--quiet"] + extra)
    if name == "gemm-db":
        w = double_buffered_gemm(256, 256, 256, config=cfg.build_workload(args).config)
    else:
        w = cfg.build_workload(args)
    system, ev, check = cfg.run_workload(args, w)
    s = stats_dict(system.npu)
    row = dict(workload=name, cycles=s["numCycles"], util=s["arrayUtilization"],
               mem_stall=s["stallCycles::memory"] / s["numCycles"], ok=check.ok and ev.getCause().endswith("finished"),
               dma_bytes=s["dmaBytesRead"] + s["dmaBytesWritten"], instructions=s["instructions::total"])
    l2 = getattr(system, "l2", None)
    if l2 is not None and "l2" in system._children:
        ls = stats_dict(l2)
        row["l2_miss_rate"] = ls.get("demandMissRate::total", float("nan"))
    else:
        row["l2_miss_rate"] = float("nan")
    mem = system.mem_ctrl
    if "dram" in mem._children:
        ds = stats_dict(mem.dram)
        row["dram_bytes"] = ds["dramBytesRead"] + ds["dramBytesWritten"]
    else:
        ms = stats_dict(mem)
        row["dram_bytes"] = ms.get("bytesRead::total", 0) + ms.get("bytesWritten::total", 0)
    return row


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--workloads", default=None, help="comma-separated (default: all + gemm-db)")
    ap.add_argument("--dataflow", default="WS")
    ap.add_argument("--args", default="", help="more npu_system.py options, quoted")
    opts = ap.parse_args(argv)
    sys.path.insert(0, ROOT)
    from npusim import workloads
    cfg = load_config()
    names = opts.workloads.split(",") if opts.workloads else workloads.names() + ["gemm-db"]
    extra = ["--dataflow", opts.dataflow] + shlex.split(opts.args)
    print("| workload | NPU cycles | array util. | memory-stall fraction | L2 miss rate | DRAM bytes | DMA bytes | "
          "check |")
    print("|---|---:|---:|---:|---:|---:|---:|---|")
    for name in names:
        r = measure(cfg, name, extra)
        print(f"| {name} | {r['cycles']:.0f} | {r['util']:.3f} | {r['mem_stall']:.2f} | {r['l2_miss_rate']:.3f} | "
              f"{r['dram_bytes']:.0f} | {r['dma_bytes']:.0f} | {'PASS' if r['ok'] else 'FAIL'} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
