"""A functional (untimed) model of the reference L1D -> L2 pair, used to
explain the writeback differences in docs/trace_replay_validation.md.

It replays a kernel's L1D trace through two LRU set-associative caches
(L1D 32 KiB 8-way write-allocate write-back; L2 256 KiB 16-way, mostly
inclusive: fills and L1D writebacks allocate) and counts misses and
writebacks, starting either cold (as npusim's replay does) or with the
state each kernel's initialisation code leaves behind at ROI begin in gem5
(read off kernel.c: the last arrays written before roi_begin() are dirty in
L1D and L2). It also models gem5's dirty hand-over: an L2 hit on a dirty line
answers the L1D with the line Modified, so the L1D copy becomes dirty and the
L2 copy clean. A clean L1D victim's CleanEvict notice makes its L2 copy the
most recently used, as gem5's tag lookup does.

    .venv/bin/python benchmarks/warm_state_model.py [kernels...]
"""

from __future__ import annotations

import argparse
import sys
from collections import OrderedDict

from npusim.analysis.reference import load_reference

LINE = 64


class LRUCache:
    def __init__(self, size: int, assoc: int):
        self.nsets = size // LINE // assoc
        self.assoc = assoc
        self.sets = [OrderedDict() for _ in range(self.nsets)]

    def set_of(self, blk: int) -> OrderedDict:
        return self.sets[blk % self.nsets]

    def insert(self, blk: int, dirty: bool):
        s = self.set_of(blk)
        victim = s.popitem(last=False) if len(s) >= self.assoc else None
        s[blk] = dirty
        return victim


def replay(packets, warm_l1=(), warm_l2=(), handover=True) -> dict:
    l1, l2 = LRUCache(32 * 1024, 8), LRUCache(256 * 1024, 16)
    for blk in warm_l2:
        l2.insert(blk, True)
    for blk in warm_l1:
        l1.insert(blk, True)
    c = dict(l1d_misses=0, l2_misses=0, l1d_writebacks=0, l2_writebacks=0)

    def writeback_to_l2(blk):
        s = l2.set_of(blk)
        if blk in s:
            s.move_to_end(blk)
            s[blk] = True
            return
        victim = l2.insert(blk, True)
        if victim and victim[1]:
            c["l2_writebacks"] += 1

    for blk, cmd in zip((packets["addr"] // LINE).tolist(), packets["cmd"].tolist()):
        write = cmd == 4
        s1 = l1.set_of(blk)
        if blk in s1:
            s1.move_to_end(blk)
            s1[blk] = s1[blk] or write
            continue
        c["l1d_misses"] += 1
        dirty_from_l2 = False
        s2 = l2.set_of(blk)
        if blk in s2:
            s2.move_to_end(blk)
            if handover and s2[blk]:
                dirty_from_l2, s2[blk] = True, False
        else:
            c["l2_misses"] += 1
            victim = l2.insert(blk, False)
            if victim and victim[1]:
                c["l2_writebacks"] += 1
        victim = l1.insert(blk, write or dirty_from_l2)
        if victim and victim[1]:
            c["l1d_writebacks"] += 1
            writeback_to_l2(victim[0])
        elif victim:
            # The clean victim's CleanEvict notice refreshes its L2 copy.
            s = l2.set_of(victim[0])
            if victim[0] in s:
                s.move_to_end(victim[0])
    return c


def blocks(start: int, end: int) -> list[int]:
    return list(range(start // LINE, end // LINE))


def warm_state(kernel: str, ref):
    """(L1D lines, L2 lines) dirty at ROI begin, oldest first, from kernel.c.
    Physical ranges are those the trace and pages.csv show."""
    if kernel == "stream_sum":
        a = blocks(0x71000, 0x171000)            # a[] written by the init loop
        return a[-512:], a[-4096:]
    if kernel == "spmv_csr":
        col, val = blocks(0x93000, 0x193000), blocks(0x194000, 0x294000)
        inter = [b for pair in zip(col, val) for b in pair]   # col[j], val[j] written together, last
        return inter[-512:], inter[-4096:]
    if kernel == "embedding_bag":
        table, idx = blocks(0x71000, 0x471000), blocks(0x474000, 0x494000)
        seq = table[-2048:] + idx                # table init, then the idx loop
        return idx[-512:], seq[-4096:]
    return (), ()


def main(argv) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("kernels", nargs="*", default=["stream_sum", "spmv_csr", "embedding_bag"],
                    help="reference kernels (default: all three)")
    kernels = ap.parse_args(argv).kernels
    print("| kernel | start state | L1D misses | L2 misses | L1D writebacks | L2 writebacks |")
    print("|---|---|---:|---:|---:|---:|")
    for k in kernels:
        ref = load_reference(k)
        pk = ref.requests
        l1, l2 = warm_state(k, ref)
        for label, res in (("cold (npusim replay)", replay(pk)),
                           ("warm, as gem5 at ROI begin", replay(pk, l1, l2))):
            print(f"| {k} | {label} | {res['l1d_misses']:,} | {res['l2_misses']:,} | "
                  f"{res['l1d_writebacks']:,} | {res['l2_writebacks']:,} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
