"""The classic cache (gem5's src/mem/cache/Cache.py), and two test doubles
for cache unit tests.

Parameters and defaults are gem5's, except where gem5 has no default (size,
assoc, the latencies, mshrs, tgts_per_mshr): npusim gives those the values
of gem5's example L1 data cache so that ``Cache(size="256KiB")`` works.
``cache_line_size`` is a parameter of the cache here, taken by default from
the system's, as gem5 takes it (``system.cache_line_size = 128`` applies to
every cache). The C++ class is npusim/mem/cache/cache.hh."""

from .base import ClockedObject, Parent, SimObject
from .prefetch import QueuedPrefetcher
from .replacement import LRURP
from ..params import ALL_MEMORY_WRITTEN, Param, VectorParam
from ..ports import RequestPort, ResponsePort


class Cache(ClockedObject):
    """Set-associative, write-back, write-allocate cache with MSHRs, a write
    buffer, a replacement policy and an optional prefetcher."""

    type = "Cache"

    size = Param.MemorySize("32KiB", "Capacity (gem5 has no default)")
    assoc = Param.Unsigned(8, "Associativity (gem5 has no default)")
    cache_line_size = Param.Unsigned(Parent.cache_line_size, "Line size in bytes (by default the system's "
                                                             "cache_line_size, as in gem5)")

    tag_latency = Param.Cycles(2, "Tag lookup latency (gem5 has no default)")
    data_latency = Param.Cycles(2, "Data access latency (gem5 has no default)")
    response_latency = Param.Cycles(2, "Latency for the return path on a miss (gem5 has no default)")

    mshrs = Param.Unsigned(16, "Number of MSHRs (max outstanding requests) (gem5 has no default)")
    demand_mshr_reserve = Param.Unsigned(1, "MSHRs reserved for demand access")
    tgts_per_mshr = Param.Unsigned(20, "Max number of accesses per MSHR (gem5 has no default)")
    write_buffers = Param.Unsigned(8, "Number of write buffers")

    is_read_only = Param.Bool(False, "Is this cache read only (e.g. inst)")

    prefetcher = Param.BasePrefetcher(None, "Prefetcher attached to cache")
    prefetch_on_access = Param.Bool(None, "Notify the hardware prefetcher on every access (not just misses); "
                                          "None: the prefetcher's own prefetch_on_access")
    prefetch_on_pf_hit = Param.Bool(None, "Notify the hardware prefetcher on hit on prefetched lines; "
                                          "None: the prefetcher's own prefetch_on_pf_hit")

    replacement_policy = Param.BaseReplacementPolicy(LRURP(), "Replacement policy")

    sequential_access = Param.Bool(False, "Whether to access tags and data sequentially")
    # gem5 has it on the cache and passes it to the tags, which npusim folds
    # into the cache.
    warmup_percentage = Param.Percent(0, "Share of the blocks that must be valid before an insertion "
                                         "sets tags.warmupTick")

    cpu_side = ResponsePort("Upstream port closer to the CPU and/or device")
    mem_side = RequestPort("Downstream port closer to memory")

    # empty means all memory, which gem5 declares (and writes) as its AllMemory range
    addr_ranges = VectorParam.AddrRange([], "Address range for the CPU-side port (empty: all memory)",
                                        written_as=lambda ranges: ranges or [ALL_MEMORY_WRITTEN])

    clusivity = Param.Enum(["mostly_incl", "mostly_excl"], "mostly_incl",
                           "Clusivity with upstream cache")
    writeback_clean = Param.Bool(False, "Writeback clean lines")


# --------------------------------------------------------------------------
# Test doubles for cache unit tests (src/mem/cache/testing/).

class CacheTestMemory(SimObject):
    """Answers every request `latency` after it arrives, with real data;
    records each timing request as stats rows reqTick::i, reqCmd::i,
    reqAddr::i, reqSize::i, reqRequestor::i. With max_outstanding > 0 it
    refuses requests while that many responses are pending."""

    type = "CacheTestMemory"
    port = ResponsePort("Requests in, responses out")
    latency = Param.Latency("10ns", "Request to response latency")
    max_outstanding = Param.Unsigned(0, "Refuse requests while this many responses are pending (0: never)")
    range = Param.AddrRange("0:4GiB", "Address range")


class CacheTestRequestor(SimObject):
    """Plays a script of (tick, cmd, addr, size, value) requests in order;
    records sendTick::i, respTick::i and respData::i (first 8 bytes, little
    endian). A write carries `value` in its first 8 bytes."""

    type = "CacheTestRequestor"
    port = RequestPort("Requests out, responses in")
    script = VectorParam.Int([], "Flat (tick, cmd, addr, size, value) tuples; cmd is gem5's MemCmd number")
    requestor_suffix = Param.String("data", "Requestor name suffix: <path without 'system.'>.<suffix>")

    READ, WRITE, WRITEBACK_DIRTY = 1, 4, 7

    @staticmethod
    def make_script(requests):
        """[(tick, cmd, addr, size[, value]), ...] -> the flat list."""
        flat = []
        for r in requests:
            tick, cmd, addr, size = r[:4]
            value = r[4] if len(r) > 4 else 0
            flat += [int(tick), int(cmd), int(addr), int(size), int(value)]
        return flat


class CacheTestDataPrefetcher(QueuedPrefetcher):
    """Reads the accessed 8-byte word of the line and prefetches the address
    stored there (the data path an indirect prefetcher needs); counts the
    fills and evictions it is notified of."""

    type = "CacheTestDataPrefetcher"
    prefetch_on_access = Param.Bool(True, "Notify the hardware prefetcher on every access (not just misses)")
    prefetch_on_pf_hit = Param.Bool(False, "Notify the hardware prefetcher on hit on prefetched lines")
    prefetch_across_pages = Param.Bool(True, "Pointers lead to other pages")
