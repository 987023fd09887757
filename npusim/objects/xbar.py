"""Crossbars, with gem5's names and defaults (src/mem/XBar.py).

npusim has no coherence protocol, so every crossbar is a NoncoherentXBar;
SystemXBar, L2XBar and IOXBar carry gem5's latencies and widths, and the
first two gem5's snoop filters (whose lookup latency requests pay). As in gem5,
a crossbar forwards a packet at once and adds its latency to the packet's
headerDelay (and the data's transfer time to payloadDelay) for the receiver
to pay (see src/mem/xbar.hh); it occupies one layer per destination port,
so contention between ports shows."""

from .base import ClockedObject, SimObject
from ..params import Param
from ..ports import VectorRequestPort, VectorResponsePort


class BaseXBar(ClockedObject):
    abstract = True
    cpu_side_ports = VectorResponsePort("Vector port for connecting mem side ports")
    mem_side_ports = VectorRequestPort("Vector port for connecting cpu side ports")
    frontend_latency = Param.Cycles("Frontend latency")
    forward_latency = Param.Cycles("Forward latency")
    response_latency = Param.Cycles("Response latency")
    header_latency = Param.Cycles(1, "Header latency")
    width = Param.Unsigned("Datapath width per port (bytes)")


class SnoopFilter(SimObject):
    """gem5's snoop filter: the crossbar that owns one adds the lookup latency
    to every request's header delay, and the filter keeps gem5's record of
    which CPU-side ports hold or have requested each line, for gem5's
    statistics (totRequests, hitSingleRequests, ..., and the crossbar's
    snoopFanout). As gem5's, a snoop from below that misses while the filter
    holds max_capacity / 64 lines is an error (see src/mem/snoop_filter.hh)."""

    type = "SnoopFilter"
    lookup_latency = Param.Cycles(1, "Lookup latency (cycles of the owning crossbar), charged to every request")
    max_capacity = Param.MemorySize("8MiB", "Bytes of 64-byte lines it can hold: a snoop from below that misses "
                                            "while it holds max_capacity / 64 lines or more is an error (gem5 panics)")


class NoncoherentXBar(BaseXBar):
    type = "NoncoherentXBar"
    snoop_filter = Param.SnoopFilter(None, "Snoop filter whose lookup latency requests pay; with one, the crossbar "
                                           "also answers the snoops of caches below (gem5's CoherentXBar)")
    point_of_coherency = Param.Bool(False, "Sink clean evictions here instead of forwarding them to memory "
                                           "(gem5's point of coherency)")


class SystemXBar(NoncoherentXBar):
    """The memory bus: 128-bit, gem5's SystemXBar latencies."""
    width = 16
    frontend_latency = 3
    forward_latency = 4
    response_latency = 2
    point_of_coherency = True
    snoop_filter = SnoopFilter(lookup_latency=1)


class L2XBar(NoncoherentXBar):
    """Between L1s and an L2: 256-bit, gem5's L2XBar latencies."""
    width = 32
    frontend_latency = 1
    forward_latency = 0
    response_latency = 1
    # gem5: the lookup is assumed to overlap with the frontend latency
    snoop_filter = SnoopFilter(lookup_latency=0)


class IOXBar(NoncoherentXBar):
    width = 16
    frontend_latency = 2
    forward_latency = 1
    response_latency = 2
