"""The warm start of a gem5 reference replay: the kernel's set-up, replayed
before its region of interest (ROI) as the core issued it.

gem5 ran each reference kernel from its first instruction with the
prefetcher attached and reset its statistics at ``roi_begin()``; its traces
hold the ROI only. What the program stored before the ROI is known from its
source (``kernel.c``, ``common.h``, ``args.txt``), where it stored it from
``pages.csv`` and the ROI trace. :func:`setup_stores` rebuilds that stream,
store by store, in program order:

- ``alloc_region(bytes)`` (common.h), once per array in allocation order:
  ``memset(p, 0, bytes)`` -- a call to the C library's memset with a
  run-time size; glibc's (RISC-V has no assembly memset, so the generic
  ``string/memset.c``) stores 8-byte words (``op_t``), eight per loop
  iteration, then the words left, then single bytes (p is page-aligned) --
  then ``mark_pages()``: a 1-byte store at the start of every page;
- the kernel's init loops, one store of the element's size per element
  (``a[i] = ...`` is a 4-byte store; spmv's ``col[j] = ...; val[j] = ...``
  interleaves two streams).

Each store carries a PC of its own static store instruction (memset's
eight unrolled stores, its word loop, its byte loop, mark_pages, each loop's
store); the binary is not in the reference data, so the PC values are
made up (``SETUP_PC``), distinct from the ROI's.

Where the arrays are: ``pages.csv`` gives the physical page behind every
virtual page of the dumped arrays; an array the kernel does not dump is
located from the ROI trace (the accesses of its element size and command
that fall in no array located before it), taken to be physically contiguous
from its lowest page -- as every dumped array of at least a page is except
spmv's row_ptr, whose last page was touched earlier -- and checked: every
such ROI access must fall inside it.

Pace (the rule, fixed before any result was seen): the replay is blocking,
one store in flight as in gem5's TimingSimpleCPU, and every set-up store,
and roi_begin() after the last one, comes ``pace(ref)`` ticks after the
previous response, where ``pace`` is the median think time of the kernel's
own ROI trace -- the same core running a loop of a few instructions per
access. Statistics are reset at that roi_begin(); the ROI's first request
follows it at its recorded distance, and the rest of the ROI replays exactly
as without the warm start.

Not reproduced (the trace does not have them): instruction fetches, stack
and global accesses (e.g. the PRNG state), malloc's and stdio's own accesses
(the allocation log, dump_region's fwrite), the time the system calls
between set-up phases took, and the real pace of each loop.
"""

from __future__ import annotations

import csv
import os

import numpy as np

import npusim
from npusim.objects.requestors import REPLAY_DTYPE

PAGE = 4096
OP_T = 8              # glibc's op_t on RV64: memset's word

WRITE = 4             # gem5 MemCmd WriteReq
READ = 1

# Made-up PCs of the set-up's static store instructions (see module doc).
SETUP_PC = {
    "memset": [0x20000 + 4 * k for k in range(8)],   # memset's 8 unrolled op_t stores
    "memset_word": 0x20020,                           # memset's op_t loop (< 64 bytes left)
    "memset_byte": 0x20024,                           # memset's byte loop (< 8 bytes left)
    "mark_pages": 0x20100,
    "init": [0x20200 + 4 * k for k in range(8)],      # the kernel's init-loop stores, in source order
}


class Region:
    """An array: its size and the physical page behind each of its virtual pages."""

    def __init__(self, name: str, nbytes: int, pages):
        self.name, self.nbytes = name, int(nbytes)
        self.pages = np.asarray(pages, dtype=np.uint64)
        need = (self.nbytes + PAGE - 1) // PAGE
        if len(self.pages) != need:
            raise ValueError(f"{name}: {len(self.pages)} physical pages for {self.nbytes} bytes (need {need})")

    def phys(self, offsets) -> np.ndarray:
        """Physical addresses of byte offsets into the array."""
        off = np.asarray(offsets, dtype=np.uint64)
        return self.pages[off // PAGE] + off % PAGE

    def contains(self, addrs) -> np.ndarray:
        a = np.asarray(addrs, dtype=np.uint64)
        return np.isin(a // PAGE * PAGE, self.pages)


def _stores(addr, size, pc) -> np.ndarray:
    n = len(addr)
    out = np.zeros(n, dtype=REPLAY_DTYPE)
    out["addr"] = addr
    out["size"] = size
    out["pc"] = pc
    out["has_pc"] = 1
    out["cmd"] = WRITE
    return out


def memset_stores(r: Region) -> np.ndarray:
    """glibc's generic memset(p, 0, nbytes) on a page-aligned p."""
    words = r.nbytes // OP_T
    unrolled = r.nbytes // (8 * OP_T) * 8
    off = np.arange(words, dtype=np.uint64) * OP_T
    pc = np.empty(words, dtype=np.uint64)
    pc[:unrolled] = np.asarray(SETUP_PC["memset"], dtype=np.uint64)[np.arange(unrolled) % 8]
    pc[unrolled:] = SETUP_PC["memset_word"]
    tail = np.arange(words * OP_T, r.nbytes, dtype=np.uint64)
    return np.concatenate([_stores(r.phys(off), OP_T, pc),
                           _stores(r.phys(tail), 1, SETUP_PC["memset_byte"])])


def mark_pages_stores(r: Region) -> np.ndarray:
    off = np.arange(0, r.nbytes, PAGE, dtype=np.uint64)
    return _stores(r.phys(off), 1, SETUP_PC["mark_pages"])


def loop_stores(*streams) -> np.ndarray:
    """One iteration per element, storing to each (region, element size,
    count, pc) stream in turn (several streams: interleaved, same count)."""
    parts = []
    for region, esize, count, pc in streams:
        off = np.arange(count, dtype=np.uint64) * esize
        parts.append(_stores(region.phys(off), esize, pc))
    if len(parts) == 1:
        return parts[0]
    n = len(parts[0])
    if any(len(p) != n for p in parts):
        raise ValueError("interleaved streams need the same count")
    out = np.empty(n * len(parts), dtype=REPLAY_DTYPE)
    for i, p in enumerate(parts):
        out[i::len(parts)] = p
    return out


def _dumped_pages(ref) -> dict[str, list[int]]:
    path = ref.path / "pages.csv"
    out: dict[str, list[int]] = {}
    if not path.exists():
        return out
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            out.setdefault(row["region"], []).append(int(row["physical"], 16))
    return out


def locate(ref, name: str, nbytes: int, esize: int, cmd: int, known: list[Region]) -> Region:
    """An array the kernel does not dump, from the ROI accesses of its element
    size and command outside the arrays in ``known``: contiguous physical
    pages from the lowest one, which must hold every such access."""
    q = ref.requests
    sel = (q["cmd"] == cmd) & (q["size"] == esize)
    addrs = q["addr"][sel].astype(np.uint64)
    for r in known:
        addrs = addrs[~r.contains(addrs)]
    if len(addrs) == 0:
        raise ValueError(f"{ref.name}: no ROI access locates {name}")
    base = int(addrs.min()) // PAGE * PAGE
    npages = (nbytes + PAGE - 1) // PAGE
    if int(addrs.max()) >= base + npages * PAGE:
        raise ValueError(f"{ref.name}: the ROI accesses taken for {name} span more than its {npages} pages "
                         f"({base:#x} .. {int(addrs.max()):#x})")
    return Region(name, nbytes, [base + PAGE * i for i in range(npages)])


def _args(ref, defaults: list[int]) -> list[int]:
    given = [int(a) for a in ref.args[1:]]
    return given + defaults[len(given):]


def kernel_setup(ref) -> list[tuple[str, np.ndarray]]:
    """The kernel's set-up as (phase, stores) in program order."""
    dumped = {k: v for k, v in _dumped_pages(ref).items()}
    init = SETUP_PC["init"]

    def alloc(regions):
        phases = []
        for r in regions:
            phases.append((f"memset({r.name})", memset_stores(r)))
            phases.append((f"mark_pages({r.name})", mark_pages_stores(r)))
        return phases

    if ref.name == "stream_sum":
        (n,) = _args(ref, [1048576])
        a = locate(ref, "a", n * 4, 4, READ, [])
        return alloc([a]) + [("a[i] = i & 3", loop_stores((a, 4, n, init[0])))]
    if ref.name == "spmv_csr":
        rows, per_row, cols = _args(ref, [65536, 8, 262144])
        nnz = rows * per_row
        row_ptr = Region("row_ptr", (rows + 1) * 4, dumped["row_ptr"])
        col = Region("col", nnz * 4, dumped["col_idx"])
        x = Region("x", cols * 4, dumped["x"])
        val = locate(ref, "val", nnz * 4, 4, READ, [row_ptr, col, x])
        y = locate(ref, "y", rows * 4, 4, WRITE, [])
        return alloc([row_ptr, col, val, x, y]) + [
            ("x[c] = ...", loop_stores((x, 4, cols, init[0]))),
            ("row_ptr[r] = ...", loop_stores((row_ptr, 4, rows + 1, init[1]))),
            ("col[j] = ...; val[j] = ...", loop_stores((col, 4, nnz, init[2]), (val, 4, nnz, init[3]))),
        ]
    if ref.name == "embedding_bag":
        table_rows, dim, bags, per_bag = _args(ref, [131072, 16, 4096, 16])
        lookups = bags * per_bag
        idx = Region("idx", lookups * 4, dumped["indices"])
        out = locate(ref, "out", bags * dim * 4, 4, WRITE, [])
        table = locate(ref, "table", table_rows * dim * 4, 4, READ, [idx, out])
        return alloc([table, idx, out]) + [
            ("table[i] = ...", loop_stores((table, 4, table_rows * dim, init[0]))),
            ("idx[i] = ...", loop_stores((idx, 4, lookups, init[1]))),
        ]
    raise ValueError(f"no set-up known for kernel {ref.name!r} (configs/examples/warm_start.py)")


def setup_stores(ref) -> np.ndarray:
    """Every store of the kernel's set-up, in program order (REPLAY_DTYPE,
    tick = the ROI's begin tick)."""
    out = np.concatenate([s for _, s in kernel_setup(ref)])
    out["tick"] = ref.roi_begin
    return out


def pace(ref) -> int:
    """Ticks between a set-up response and the next store: the median think
    time of the kernel's ROI trace (the rule; see the module doc)."""
    return int(np.median(np.asarray(ref.think)))


def warm_trace(ref, requests: np.ndarray, think: np.ndarray, setup_think: int | None = None):
    """(trace, think times, number of set-up stores) for a TraceReplayer with
    ``trace_start = ref.roi_begin``: the set-up, then ``requests`` (the ROI,
    REPLAY_DTYPE) with their ``think``. The ROI's first request comes
    ``setup_think`` (default :func:`pace`) after the last set-up response --
    the time to roi_begin() -- plus its own distance from roi_begin()."""
    setup = setup_stores(ref)
    p = pace(ref) if setup_think is None else int(setup_think)
    gap = p + int(requests["tick"][0]) - ref.roi_begin
    trace = np.concatenate([setup, requests])
    times = np.concatenate([np.full(len(setup) - 1, p, np.int64), [gap], np.asarray(think, np.int64)])
    return trace, times, len(setup), p


def _cpu_stats(cpu) -> dict:
    return {row[0]: row[1] for row in cpu.getCxx().stats_rows()}


def run_setup(cpu, setup_think: np.ndarray, n_setup: int, to_roi: int, first_issue: int = 0) -> int:
    """Simulates a blocking TraceReplayer ``cpu`` through its first
    ``n_setup`` requests and resets the statistics ``to_roi`` ticks after the
    last one's response (roi_begin()), before its next request; returns the
    reset tick.

    The last set-up response tick is exact, from the replayer's stats:
    first issue + every latency + every think time (thinkTicks). The
    simulation advances in steps that cannot pass the reset tick: with c
    responses in, the rest of the set-up needs at least the think times
    after responses c .. n_setup - 2, then ``to_roi``."""
    think = np.asarray(setup_think, dtype=np.int64)[:n_setup - 1]
    after = np.concatenate([np.cumsum(think[::-1])[::-1], [0]])   # after[c] = sum(think[c:])
    while True:
        s = _cpu_stats(cpu)
        done = int(s["totalReads"] + s["totalWrites"])
        if done >= n_setup:
            break
        npusim.simulate(int(after[done]) + to_roi)
    if int(s["numPackets"]) != n_setup:
        raise RuntimeError(f"warm start: {int(s['numPackets'])} requests sent when the set-up ended "
                           f"(expected {n_setup})")
    last = first_issue + int(s["totalReadLatency"] + s["totalWriteLatency"] + s["thinkTicks"])
    reset_at = last + to_roi
    if reset_at < npusim.curTick():
        raise RuntimeError(f"warm start: passed the reset tick {reset_at} (now {npusim.curTick()})")
    npusim.simulate(reset_at - npusim.curTick())
    if int(_cpu_stats(cpu)["numPackets"]) != n_setup:
        raise RuntimeError("warm start: an ROI request went out before the statistics reset")
    npusim.stats.reset()
    return reset_at


def describe(ref) -> str:
    """One line per set-up phase (for logs and docs)."""
    lines = []
    for phase, s in kernel_setup(ref):
        sizes = ",".join(str(int(v)) for v in np.unique(s["size"]))
        lines.append(f"{phase}: {len(s)} stores of {sizes} B, {int(s['addr'].min()):#x}..{int(s['addr'].max()):#x}")
    return "\n".join(lines)


if __name__ == "__main__":   # prints each kernel's reconstructed set-up
    import argparse
    from npusim.analysis.reference import load_reference
    parser = argparse.ArgumentParser(description="Print each reference kernel's reconstructed set-up.")
    parser.add_argument("kernels", nargs="*", default=["stream_sum", "spmv_csr", "embedding_bag"],
                        help="reference kernel names or folders (default: the three of the validation)")
    parser.add_argument("--reference-root", default=os.environ.get("NPUSIM_REFERENCE"),
                        help="folder of the reference kernels (default: $NPUSIM_REFERENCE or shared)")
    args = parser.parse_args()
    for k in args.kernels:
        try:
            r = load_reference(k, root=args.reference_root)
            text = f"{k}: pace {pace(r)} ticks, {len(setup_stores(r))} stores\n{describe(r)}\n"
        except ValueError as err:   # (ReferenceDataError too) no such kernel, no set-up known for it
            parser.error(f"kernel {k}: {err}")
        print(text)
