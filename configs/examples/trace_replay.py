"""Replay a gem5 reference kernel's L1D trace through the reference memory
system and write gem5-comparable stats.

    npusim -d m5out/spmv configs/examples/trace_replay.py --kernel spmv_csr [--prefetcher none|stride|...] [--level l2|l1d]

The system (L1D, L2XBar, L2, SystemXBar, MemCtrl + DDR4_2400_8x8, clock) is
built from the kernel's gem5 config.json. The core is a TraceReplayer named
system.cpu, so the L1D is system.cpu.dcache and every per-requestor stat is
::cpu.data, as in gem5's stats. The replay is blocking (one access in
flight, as TimingSimpleCPU), each request issued its recorded think time
after the previous response; the first request comes as long after the
start as it came after gem5's ROI began, and the run ends as long after the
last response as gem5's ROI did, so simTicks compares with gem5's ROI
simTicks. Memory holds the kernel's arrays at the traced physical addresses.

With --warm-start the kernel's set-up (alloc_region's memset and
mark_pages, the init loops; rebuilt by warm_start.py) is replayed first,
blocking, each store the median ROI think time after the previous response;
the statistics are reset at the point that stands for roi_begin(), and the
ROI then replays as without it, so every stat is the ROI's alone, as in
gem5's stats.txt.
"""

import argparse
import os
import sys

import npusim
from npusim.argtypes import whole_number
from npusim.analysis.reference import ReferenceDataError, load_reference
from npusim.traces.gem5_trace import TraceError
from npusim.traces.memory_image import MemoryImageError
from npusim.objects import Root, TraceReplayer
from npusim.objects.requestors import replay_records

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reference_system import (PREFETCHERS, build_hierarchy, hierarchy_from_reference, make_system,  # noqa: E402
                              prefetcher_class)
import warm_start  # noqa: E402

parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument("--kernel", required=True, help="reference kernel folder name (stream_sum, spmv_csr, ...)")
parser.add_argument("--prefetcher", default="none", help="none or one of: " + ", ".join(sorted(PREFETCHERS)))
parser.add_argument("--level", choices=["l2", "l1d"], default="l2", help="cache the prefetcher is attached to")
parser.add_argument("--reference-root", default=None, help="folder of the reference kernels (default: shared)")
parser.add_argument("--max-requests", type=whole_number(0), default=0, help="replay only the first N requests (0 = all)")
parser.add_argument("--mode", choices=["blocking", "window"], default="blocking")
parser.add_argument("--window", type=whole_number(1), default=16, help="max_outstanding in window mode")
parser.add_argument("--no-memory-image", action="store_true", help="leave memory zero-filled")
parser.add_argument("--warm-start", action="store_true",
                    help="replay the kernel's set-up (memset, mark_pages, init loops) before the ROI, reset the "
                         "statistics at roi_begin(), then replay the ROI (see warm_start.py)")
parser.add_argument("--setup-think", type=whole_number(0), default=None,
                    help="diagnostic, with --warm-start: ticks between set-up stores instead of the rule (the "
                         "median ROI think time); not used by the validation")
parser.add_argument("--xbar-width", type=whole_number(0), default=0,
                    help="diagnostic: override both crossbars' width in bytes (a huge width removes the "
                         "data-serialization delay; see docs/trace_replay_validation.md)")
args = parser.parse_args()
if args.prefetcher != "none":
    try:
        prefetcher_class(args.prefetcher)
    except ValueError as err:
        parser.error(str(err))

try:   # a missing or malformed reference folder: its message, not a traceback
    ref = load_reference(args.kernel, root=args.reference_root)
    requests = ref.requests
    responses = ref.responses
    think = ref.think
    roi_begin, roi_end = ref.roi
    hierarchy = hierarchy_from_reference(ref)
    memory_image = None if args.no_memory_image else ref.memory_image
except (ReferenceDataError, TraceError, MemoryImageError) as err:
    parser.error(f"--kernel {args.kernel}: {err}")
if args.max_requests:
    requests, responses, think = requests[:args.max_requests], responses[:args.max_requests], \
        think[:max(args.max_requests - 1, 0)]
last_response = int(responses["tick"][-1])
tail = max(roi_end - last_response, 0) if not args.max_requests else 0

if args.xbar_width:
    hierarchy["l2bus"]["width"] = hierarchy["membus"]["width"] = args.xbar_width
if args.warm_start and args.mode != "blocking":
    parser.error("--warm-start replays blocking (one access in flight)")
if args.setup_think is not None and not args.warm_start:
    parser.error("--setup-think needs --warm-start")
n_setup = 0
if args.warm_start:
    try:
        requests, think, n_setup, setup_think = warm_start.warm_trace(ref, replay_records(requests), think,
                                                                      args.setup_think)
    except ValueError as err:   # a kernel without a known set-up, a folder its set-up does not fit
        parser.error(f"--warm-start: --kernel {args.kernel}: {err}")

system = make_system(hierarchy)
system.cpu = TraceReplayer(trace=requests, think_times=think, trace_start=roi_begin, tail=tail, mode=args.mode,
                           max_outstanding=args.window, line_size=hierarchy["cache_line_size"])
skipped = build_hierarchy(system, system.cpu, hierarchy, prefetcher=args.prefetcher, level=args.level)
if memory_image is not None:
    system.cpu.load_memory(memory_image)

root = Root(full_system=False, system=system)
npusim.instantiate()
if n_setup:
    reset_at = warm_start.run_setup(system.cpu, think, n_setup, setup_think)
    if memory_image is not None:
        system.cpu.load_memory(memory_image)   # the set-up stored zeros; the ROI reads the arrays' values
    print(f"warm start: {n_setup} set-up stores, {setup_think} ticks after each response; statistics reset "
          f"at tick {reset_at} (roi_begin)")
event = npusim.simulate()
print(f"Exiting @ tick {npusim.curTick()} because {event.getCause()}")
print(f"replayed {len(requests) - n_setup} requests of {args.kernel}; gem5 ROI simTicks {roi_end - roi_begin}")
if skipped:
    print("gem5 parameters without an npusim counterpart: " + ", ".join(skipped))
