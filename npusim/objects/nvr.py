"""NVR, NPU vector runahead (src_ext/nvr/), and the NSB it fills.

NVR is the prefetcher of a cache on the NPU's path and a listener of the
NPU: it learns index streams, indirect chains and loop bounds from the NPU's
issued instructions, reads future index values through its own port, and
hands line prefetches to the cache it is attached to (docs/nvr.md)::

    system.nsb = NSB()                                  # 16 KiB NPU-side cache
    system.npu.dma_port = system.nsb.cpu_side
    system.nsb.mem_side = system.l2bus.cpu_side_ports
    system.nsb.prefetcher = NVR(npu=system.npu)         # prefetches fill the NSB
    system.nsb.prefetcher.port = system.l2bus.cpu_side_ports   # its index loads

Without an NSB, attach it to the L2 instead (``system.l2.prefetcher =
NVR(npu=system.npu)``, port on the L2 bus as above).
"""

from __future__ import annotations

from .cache import Cache
from .prefetch import BasePrefetcher
from ..params import Param
from ..ports import RequestPort


class NVR(BasePrefetcher):
    """NPU vector runahead prefetcher (Wang et al., DAC 2025; after Decoupled
    Vector Runahead, Naithani et al., MICRO 2023)."""

    type = "NVR"
    npu = Param.NPU("The NPU whose instruction stream NVR watches")
    port = RequestPort("NVR's own port into the memory hierarchy: the runahead engine's index loads")

    rpt_entries = Param.Unsigned(16, "Stride detector: reference-prediction table entries (keyed by load PC)")
    taint_entries = Param.Unsigned(8, "Indirect detector: scratchpad index-buffer ranges tracked (taint)")
    chain_entries = Param.Unsigned(8, "Indirect detector: index-load -> gather chains tracked")
    loop_entries = Param.Unsigned(8, "Loop-bound detector: backward branches tracked")
    num_regs = Param.Unsigned(32, "Scalar registers of the NPU (one taint tag each)")
    confidence_threshold = Param.Unsigned(2, "Stride/stream confidence (2-bit counter) needed to trust an index load")
    chain_confirm = Param.Unsigned(2, "Observations of the same index-load -> gather link needed to detect a chain")

    lanes = Param.Unsigned(16, "Runahead lanes: index elements turned into addresses per NPU cycle")
    distance = Param.Unsigned(64, "Initial runahead distance, in index elements (gathered rows) ahead of the NPU")
    min_distance = Param.Unsigned(16, "Smallest distance the lateness feedback may set")
    max_distance = Param.Unsigned(1024, "Largest distance the lateness feedback may set")
    adapt_interval = Param.Unsigned(64, "Feedback events (timely + late + evicted) between distance adjustments")
    late_threshold = Param.Float(0.10, "Late share above which the distance grows by half")
    early_threshold = Param.Float(0.10, "Evicted-unused share above which the distance shrinks by a quarter")

    queue_entries = Param.Unsigned(32, "Prefetch queue: generated lines waiting for an MSHR of the cache")
    merge_entries = Param.Unsigned(64, "Merge filter: recently generated lines (duplicates merged)")
    index_buffer_lines = Param.Unsigned(4, "Index line buffer: lines of the index array held by the engine")
    max_index_loads = Param.Unsigned(4, "Index loads in flight on the port at most")
    inflight_entries = Param.Unsigned(64, "In-flight table: issued prefetches tracked for lateness feedback")
    stride_lines = Param.Unsigned(4, "Stride component: lines prefetched ahead of a strided load that feeds no "
                                     "gather (0: off); never past its loop's bound when known")
    fill_index_lines = Param.Bool(True, "Also prefetch the index lines the engine reads into the attached cache "
                                        "(for an NSB, which the engine's port bypasses; False when attached to the "
                                        "cache the port reaches)")
    record = Param.Unsigned(0, "Record the first N candidate lines and their PCs as stats (tests, debugging)")
    index_miss_latency = Param.Latency("40ns", "An index load slower than this counts in indexLoadMisses")

    def hardware_budget(self, npu=None, **overrides):
        """Bytes per structure (see docs/nvr.md), from this object's params."""
        vals = {k: getattr(self, k) for k in type(self)._params if k not in ("npu", "port")}
        vals.update(overrides)
        return hardware_budget(vals)


class NSB(Cache):
    """The NPU-side buffer NVR fills: a small, highly associative,
    non-blocking, merging cache between the NPU's DMA and the L2 bus."""

    size = Param.MemorySize("16KiB", "Capacity")
    assoc = Param.Unsigned(16, "Associativity")
    tag_latency = Param.Cycles(1, "Tag lookup latency")
    data_latency = Param.Cycles(1, "Data access latency")
    response_latency = Param.Cycles(1, "Latency for the return path on a miss")
    mshrs = Param.Unsigned(32, "Outstanding misses (non-blocking)")
    tgts_per_mshr = Param.Unsigned(16, "Requests merged per MSHR")
    demand_mshr_reserve = Param.Unsigned(8, "MSHRs kept for the NPU's demand misses")


# ---------------------------------------------------------------------------
# Hardware budget (docs/nvr.md): bytes of state per structure, from the
# parameters. Field widths: addresses 48 bits (6 B), PCs 32 bits, strides
# and row strides 32 bits, 2-bit confidences rounded up with the flags.

ADDR, PC, WORD = 6, 4, 4

_ENTRY_BYTES = {
    # structure: (parameter giving the entry count, bytes per entry, fields);
    # one byte of LRU state per entry where the table is replaced by LRU.
    "stride detector (RPT)": ("rpt_entries", PC + ADDR + WORD + ADDR + 1 + 1 + 1,
                              "pc, last addr, stride, stream end, size, 2x2-bit conf + valid bits, LRU"),
    "scratchpad taint": ("taint_entries", 3 + 3 + ADDR + 1 + 1,
                         "spad lo, hi (18 bits each), DRAM addr, RPT index, valid + LRU"),
    "register taint": ("num_regs", 1, "RPT index per scalar register"),
    "chain table": ("chain_entries", 12 * ADDR + 4 * WORD + PC + 2 + 1 + 2 + 1 + 2 + 1 + 1 + 1,
                    "12 address-wide fields (base, P, last start, C, previous C, invocation start, exit P, exit "
                    "base, final-bound addr, final bound, frontier, target), 4 words (row stride, per-iteration, "
                    "used per iteration, per invocation), gather pc, row bytes, esz, n, 4x2-bit conf, 10 flags, "
                    "RPT index, loop index, LRU"),
    "loop-bound detector": ("loop_entries", PC + PC + 1 + 2 + 8 + 8 + WORD + 1 + 1 + 1,
                            "branch pc, target, opcode, 2 register numbers, induction, bound, step, flags, bound "
                            "taint, LRU"),
    "index line buffer": ("index_buffer_lines", ADDR + 64 + 1, "line tag, 64 B data, valid/pending + LRU"),
    "prefetch queue": ("queue_entries", ADDR + PC, "line address, gather pc"),
    "merge filter": ("merge_entries", ADDR, "line tag (FIFO)"),
    "in-flight table": ("inflight_entries", ADDR, "line tag (FIFO)"),
    "index-load MSHRs": ("max_index_loads", ADDR + 1 + 1, "line, ILB slot, kind"),
}


def _to_int(v):
    from ..units import to_bytes
    try:
        return int(v)
    except (TypeError, ValueError):
        return int(to_bytes(v))


def hardware_budget(params: dict) -> dict:
    """{structure: (entries, bytes/entry, bytes, fields)} for NVR's state,
    plus "lanes" (entries = lanes, bytes 0: logic, see docs/nvr.md)."""
    out = {}
    for name, (key, per, fields) in _ENTRY_BYTES.items():
        n = _to_int(params[key])
        out[name] = (n, per, n * per, fields)
    out["address lanes (logic)"] = (_to_int(params["lanes"]), 0, 0, "32x32 multiply + 48-bit add per lane")
    return out


def area_model(budget: dict, lanes: int, dim: int = 16, spad_bytes: int = 256 * 1024, acc_bytes: int = 64 * 1024,
               pe_sram_bytes: int = 2048, lane_pe_fraction: float = 0.25, nsb_bytes: int = 0) -> dict:
    """Area proxy in SRAM-byte equivalents (docs/nvr.md states the model):
    SRAM area is proportional to bytes; one fp32 MAC PE of the systolic array
    is worth `pe_sram_bytes` of SRAM; one runahead lane (integer multiply-add)
    is `lane_pe_fraction` of a PE."""
    storage = sum(v[2] for v in budget.values())
    lanes_eq = lanes * lane_pe_fraction * pe_sram_bytes
    npu_eq = spad_bytes + acc_bytes + dim * dim * pe_sram_bytes
    nvr_eq = storage + lanes_eq
    return dict(nvr_storage_bytes=storage, nvr_lanes_equiv=lanes_eq, nvr_total_equiv=nvr_eq,
                npu_equiv=npu_eq, spad_acc_bytes=spad_bytes + acc_bytes, array_equiv=dim * dim * pe_sram_bytes,
                overhead=nvr_eq / npu_eq, overhead_with_nsb=(nvr_eq + nsb_bytes) / npu_eq,
                nsb_bytes=nsb_bytes)
