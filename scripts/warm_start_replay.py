"""Replays a gem5 reference kernel like configs/examples/trace_replay.py, but
first replays the kernel's initialisation, so that caches and prefetchers
start the region of interest (ROI) in the state gem5's did.

Superseded by ``trace_replay.py --warm-start`` (configs/examples/warm_start.py),
which the validation uses (``gem5_validation.py --warm-start``): that one
replays the set-up store by store at the sizes the C code stores (memset's
8-byte words, mark_pages' bytes, the init loops' elements) with PCs, paced by
the median ROI think time, and resets the statistics exactly at roi_begin().
This script is kept because docs/validation.md and the prefetcher pages quote
figures from it: one line-sized write per line, 5 ns apart, without PCs.

    .venv/bin/npusim -d /tmp/warm scripts/warm_start_replay.py \\
        --kernel stream_sum --prefetcher spp --level l2 [--no-warmup]

An experiment, not part of the validation: the reference traces hold the ROI
only, while gem5 ran the whole program with the prefetcher attached and
reset its statistics at the ROI. What the kernels did before the ROI is
known from their sources (kernel.c, common.h): alloc_region() memsets each
array (page order = physical allocation order) and stores to the first byte
of each page (mark_pages), then the kernel's init loops write the arrays.
This script rebuilds that as line-sized writes, one per line in program
order (repeated stores to a line add nothing at line granularity), replays
them with a short think time, waits, resets the statistics and replays the
ROI trace as trace_replay.py does. simTicks is not comparable (the warm-up
gap is counted); miss and prefetch counts are.

Where the arrays are: pages.csv maps the dumped arrays' virtual pages to
physical ones; the arrays the kernels do not dump (stream_sum's a, spmv's
val and y, embedding_bag's table and out) are physically contiguous in the
ROI trace, and their bases below come from it (per-PC address ranges).
"""

import argparse
import csv
import os
import sys

import numpy as np

import npusim
from npusim.argtypes import literal_or_text
from npusim.analysis.reference import ReferenceDataError, load_reference
from npusim.objects import Root, TraceReplayer
from npusim.objects.requestors import REPLAY_DTYPE, replay_records

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "configs", "examples"))
from reference_system import (build_hierarchy, hierarchy_from_reference, make_system,  # noqa: E402
                              prefetcher_class)

PAGE = 4096
LINE = 64


def contiguous(base, pages):
    return [base + PAGE * i for i in range(pages)]


def lines_of(pages, nbytes=None):
    out = [pg + off for pg in pages for off in range(0, PAGE, LINE)]
    return out if nbytes is None else out[:(nbytes + LINE - 1) // LINE]


def mapped(ref_dir, region):
    with open(os.path.join(ref_dir, "pages.csv")) as f:
        return [int(r["physical"], 16) for r in csv.DictReader(f) if r["region"] == region]


WARM_KERNELS = ("stream_sum", "spmv_csr", "embedding_bag")   # the kernels init_writes() knows


def init_writes(kernel, ref_dir, requests):
    """The line addresses the kernel wrote before its ROI, in program order."""
    w = []

    def alloc(pages, nbytes):   # memset, then mark_pages
        w.extend(lines_of(pages, nbytes))
        w.extend(pages)

    if kernel == "stream_sum":   # a[n] (n = 262144 floats): the lines the ROI reads
        a = list(dict.fromkeys(int(x) for x in requests["addr"] // LINE * LINE))
        pages = list(dict.fromkeys(x // PAGE * PAGE for x in a))
        w.extend(a)
        w.extend(pages)
        w.extend(a)                                       # a[i] = i & 3
    elif kernel == "spmv_csr":   # rows 32768, 8 per row, cols 262144
        row_ptr, col, x = mapped(ref_dir, "row_ptr"), mapped(ref_dir, "col_idx"), mapped(ref_dir, "x")
        val, y = contiguous(0x194000, 256), contiguous(0x396000, 32)
        sizes = {"row_ptr": 32769 * 4, "col": 262144 * 4, "val": 262144 * 4, "x": 262144 * 4, "y": 32768 * 4}
        for name, pages in (("row_ptr", row_ptr), ("col", col), ("val", val), ("x", x), ("y", y)):
            alloc(pages, sizes[name])
        w.extend(lines_of(x))                             # x[c] = ...
        w.extend(lines_of(row_ptr, sizes["row_ptr"]))     # row_ptr[r] = ...
        for c, v in zip(lines_of(col), lines_of(val)):    # col[j] = ...; val[j] = ...
            w.extend((c, v))
    elif kernel == "embedding_bag":   # 65536 rows x 16 floats, 2048 bags x 16
        table, idx, out = contiguous(0x71000, 1024), mapped(ref_dir, "indices"), contiguous(0x495000, 32)
        for pages in (table, idx, out):
            alloc(pages, None)
        w.extend(lines_of(table))                         # table[i] = ...
        w.extend(lines_of(idx))                           # idx[i] = ...
    else:
        raise SystemExit(f"no initialisation known for {kernel}")
    return w


parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument("--kernel", required=True)
parser.add_argument("--prefetcher", default="none")
parser.add_argument("--level", choices=["l2", "l1d"], default="l2")
parser.add_argument("--reference-root", default=None)
parser.add_argument("--no-warmup", action="store_true", help="replay the ROI only (as trace_replay.py)")
parser.add_argument("--set", action="append", default=[], metavar="PARAM=VALUE",
                    help="prefetcher parameter (a Python literal, or else the text itself), may repeat")
args = parser.parse_args()

if args.prefetcher != "none":
    try:
        prefetcher_class(args.prefetcher)
    except ValueError as err:
        parser.error(str(err))
settings = []
for kv in args.set:
    if args.prefetcher == "none":
        parser.error(f"--set {kv}: there is no prefetcher to set (give --prefetcher)")
    key, eq, text = kv.partition("=")
    if not eq or not key:
        parser.error(f"--set {kv!r}: expected PARAM=VALUE")
    settings.append((kv, key, literal_or_text(text)))
try:
    ref = load_reference(args.kernel, root=args.reference_root)
    ref.roi
except ReferenceDataError as err:
    parser.error(f"--kernel {args.kernel}: {err}")
if not args.no_warmup and ref.name not in WARM_KERNELS:
    parser.error(f"--kernel {args.kernel}: no initialisation known for {ref.name} (known: "
                 f"{', '.join(WARM_KERNELS)}); give --no-warmup to replay the ROI only")
ref_dir = str(ref.path)
requests = replay_records(ref.requests)
think = np.asarray(ref.think, dtype=np.int64)
roi_begin, roi_end = ref.roi
tail = max(roi_end - int(ref.responses["tick"][-1]), 0)

warm = [] if args.no_warmup else init_writes(ref.name, ref_dir, ref.requests)
THINK = 5_000                           # 5 ns between warm-up writes
RESET_AT = len(warm) * 1_000_000        # statistics reset: 1 us per warm-up write (each takes < 0.3 us)
GAP = RESET_AT + 1_000_000_000          # from the last warm-up response to the first ROI request
if warm:
    w = np.zeros(len(warm), dtype=REPLAY_DTYPE)
    w["addr"], w["size"], w["cmd"], w["tick"] = warm, 8, 4, roi_begin   # 4 = WriteReq
    requests = np.concatenate([w, requests])
    think = np.concatenate([np.full(len(warm) - 1, THINK, np.int64), [GAP], think])

h = hierarchy_from_reference(ref)
system = make_system(h)
system.cpu = TraceReplayer(trace=requests, think_times=think, trace_start=roi_begin, tail=tail,
                           line_size=h["cache_line_size"])
build_hierarchy(system, system.cpu, h, prefetcher=args.prefetcher, level=args.level)
if settings:
    pf = (system.l2 if args.level == "l2" else system.cpu.dcache).prefetcher
    for kv, key, value in settings:
        try:
            setattr(pf, key, value)
        except AttributeError as err:
            parser.error(f"--set {kv}: {err}")
system.cpu.load_memory(ref.memory_image)
Root(full_system=False, system=system)
npusim.instantiate()
if warm:
    npusim.simulate(RESET_AT)
    npusim.stats.reset()
event = npusim.simulate()
print(f"Exiting @ tick {npusim.curTick()} because {event.getCause()}; {len(warm)} warm-up writes before the ROI")
