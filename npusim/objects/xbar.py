"""Crossbars, with gem5's names and defaults (src/mem/XBar.py).

npusim has no coherence protocol, so every crossbar is a NoncoherentXBar;
SystemXBar, L2XBar and IOXBar carry gem5's latencies and widths. As in gem5,
a crossbar forwards a packet at once and adds its latency to the packet's
headerDelay (and the data's transfer time to payloadDelay) for the receiver
to pay (see src/mem/xbar.hh); it occupies one layer per destination port,
so contention between ports shows."""

from .base import ClockedObject
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


class NoncoherentXBar(BaseXBar):
    type = "NoncoherentXBar"
    point_of_coherency = Param.Bool(False, "Sink clean evictions here instead of forwarding them to memory "
                                           "(gem5's point of coherency)")


class SystemXBar(NoncoherentXBar):
    """The memory bus: 128-bit, gem5's SystemXBar latencies."""
    width = 16
    frontend_latency = 3
    forward_latency = 4
    response_latency = 2
    point_of_coherency = True


class L2XBar(NoncoherentXBar):
    """Between L1s and an L2: 256-bit, gem5's L2XBar latencies."""
    width = 32
    frontend_latency = 1
    forward_latency = 0
    response_latency = 1


class IOXBar(NoncoherentXBar):
    width = 16
    frontend_latency = 2
    forward_latency = 1
    response_latency = 2
