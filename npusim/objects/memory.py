"""Memories: SimpleMemory, the DRAM memory controller (MemCtrl) with its
DRAMInterface and gem5's DRAM presets, and a scripted requestor for tests.

Names, parameters and defaults are gem5's (src/mem/AbstractMemory.py,
SimpleMemory.py, MemCtrl.py, MemInterface.py, DRAMInterface.py)."""

from .base import SimObject
from ..params import Param, VectorParam
from ..ports import RequestPort, ResponsePort


class AbstractMemory(SimObject):
    abstract = True
    range = Param.AddrRange("0:128MiB", "Address range of this memory")


class SimpleMemory(AbstractMemory):
    """Fixed latency, bandwidth-limited memory holding real data."""

    type = "SimpleMemory"
    port = ResponsePort("This port sends responses and receives requests")
    latency = Param.Latency("30ns", "Request to response latency")
    latency_var = Param.Latency("0ns", "Request to response latency variance (uniform, added)")
    # The memory is busy size/bandwidth per request and refuses others meanwhile.
    bandwidth = Param.MemoryBandwidth("12.8GiB/s", "Combined read and write bandwidth")


class ScriptedRequestor(SimObject):
    """Test driver: issues the listed requests (at most max_outstanding at a
    time) and records issue/response ticks and the first word of read data.
    Writes carry byte(a) = (a * 131 + 7) & 0xff for each byte address a."""

    type = "ScriptedRequestor"
    port = RequestPort("Port to the memory system")
    cmds = VectorParam.Int([1], "gem5 MemCmd number of each request (1 ReadReq, 4 WriteReq, 7 WritebackDirty, ...)")
    addrs = VectorParam.Addr([0], "Address of each request")
    sizes = VectorParam.Unsigned([64], "Size of each request in bytes (or one size for all)")
    ticks = VectorParam.Tick([], "Earliest issue tick of each request (empty: as soon as possible)")
    max_outstanding = Param.Unsigned(1, "Requests in flight at most")
    record = Param.Bool(True, "Record per-request ticks and data as stats (off for long streams)")

    READ = 1
    WRITE = 4

    @staticmethod
    def pattern(addr: int, size: int) -> bytes:
        """The bytes a ScriptedRequestor writes at [addr, addr + size)."""
        return bytes(((a * 131 + 7) & 0xFF) for a in range(addr, addr + size))
