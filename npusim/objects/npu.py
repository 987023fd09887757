"""The NPU accelerator (src_ext/npu/): a Gemmini-like DIM x DIM systolic
array with a banked scratchpad, an accumulator, a DMA engine and decoupled
load / execute / store queues, running programs of the NPU ISA
(npusim.isa). See docs/npu.md for the timing model.

    system.npu = NPU(dim=16, dataflow="WS", clk_domain=SrcClockDomain(clock="1GHz"))
    system.npu.program = workload.program     # validated here, encoded for C++
    system.npu.dma_port = system.l2.cpu_side
"""

from __future__ import annotations

import numpy as np

from .base import ClockedObject, SimObject
from ..params import Param
from ..ports import RequestPort


class Scratchpad(SimObject):
    """Banked on-chip SRAM with real contents (the NPU's scratchpad and accumulator).

    Each bank serves ``read_ports`` reads and ``write_ports`` writes of one
    row per NPU cycle; accesses beyond that wait (bank conflicts)."""

    type = "Scratchpad"
    size = Param.MemorySize("256KiB", "Capacity in bytes")
    banks = Param.Unsigned(4, "Number of banks")
    row_bytes = Param.Unsigned(0, "Bank width: bytes per row (one access); 0 = 4 * dim of the NPU")
    read_ports = Param.Unsigned(1, "Row reads per bank per NPU cycle")
    write_ports = Param.Unsigned(1, "Row writes per bank per NPU cycle")
    bank_mapping = Param.Enum(["block", "interleaved"], "block",
                              "Rows to banks: block (bank = row / rows_per_bank, Gemmini) or "
                              "interleaved (bank = row % banks)")


class NPU(ClockedObject):
    """Gemmini-like NPU. ``program`` takes an :class:`npusim.isa.Program`
    (validated against this NPU's geometry when assigned, then encoded), or
    an already encoded (n, 8) int64 array / its bytes."""

    type = "NPU"
    dim = Param.Unsigned(16, "The systolic array is dim x dim; a scratchpad row holds dim float32")
    dataflow = Param.Enum(["WS", "OS"], "WS", "Systolic dataflow: weight- or output-stationary")
    overlap_preload = Param.Bool(True, "Overlap the next tile's preload (WS weights / OS fold) with the "
                                       "current tile, as Gemmini does; False = folds back to back (SCALE-Sim)")
    scratchpad = Param.Scratchpad(Scratchpad(), "Scratchpad (operands of matmul, DMA target)")
    accumulator = Param.Scratchpad(Scratchpad(size="64KiB", banks=2), "Accumulator (matmul results)")
    line_size = Param.Unsigned(64, "DMA request granularity: transfers are split into line requests")
    dma_max_inflight = Param.Unsigned(32, "Requests in flight on dma_port at most (32 x 64 B covers DDR4-2400's "
                                          "bandwidth-delay product at ~100 ns)")
    dma_requests_per_cycle = Param.Unsigned(1, "Requests the DMA engine can send per NPU cycle")
    ld_queue_depth = Param.Unsigned(8, "Load-queue entries (dispatched, unfinished mvin/gather)")
    ex_queue_depth = Param.Unsigned(16, "Execute-queue entries (matmul, vector ops)")
    st_queue_depth = Param.Unsigned(4, "Store-queue entries (mvout/scatter)")
    num_regs = Param.Unsigned(32, "Scalar registers (r0 reads as zero)")
    vector_lanes = Param.Unsigned(0, "Vector-unit float32 lanes (elements per cycle); 0 = dim")
    vector_latency = Param.Unsigned(1, "Cycles from a vector op's last read to its result being written")
    program = Param.Blob("The encoded program (npusim.isa encoding: n x 8 int64)")
    pc_base = Param.Addr(0x1000, "PC of the first instruction (PCs are pc_base + 4 * index)")
    max_insts_any_thread = Param.UInt64(0, "Exit the simulation loop (cause 'a thread reached the max instruction "
                                           "count') once this many instructions have issued; 0: no limit (gem5's "
                                           "BaseCPU parameter)")
    dma_port = RequestPort("DMA and scalar-load port to the memory system")

    def __setattr__(self, name, value):
        if name == "program":
            from ..isa import Program, ProgramError, validate
            if isinstance(value, Program):
                try:
                    config = self.isa_config()
                except ValueError:
                    # The geometry itself is wrong (dim=0, a scratchpad size that is no
                    # size or no whole number of rows): instantiate() reports it, naming
                    # the parameter; the C++ decoder checks the program then.
                    config = None
                if config is not None:
                    try:
                        validate(value, config)
                    except ProgramError as err:
                        if self._rooted():  # name the object where its path is known
                            err.args = (f"{self.path()}.program: {err}",)
                        raise
                object.__setattr__(self, "_program", value)
                super().__setattr__("pc_base", value.pc_base)
                value = value.encode()
            elif isinstance(value, np.ndarray):
                value = np.ascontiguousarray(value, dtype="<i8")
        super().__setattr__(name, value)

    def isa_config(self):
        """The geometry programs are validated against (npusim.isa.NPUConfig)."""
        from ..isa import NPUConfig

        def value(obj, name):
            desc = type(obj)._params[name]
            return desc.convert(getattr(obj, name), obj.path())   # defaults arrive unconverted

        spad, acc = self.scratchpad, self.accumulator
        return NPUConfig(dim=value(self, "dim"),
                         spad_bytes=value(spad, "size") if spad is not None else 256 * 1024,
                         acc_bytes=value(acc, "size") if acc is not None else 64 * 1024,
                         num_regs=value(self, "num_regs"))

    def source_program(self):
        """The Program last assigned (None if raw bytes were given)."""
        return self.__dict__.get("_program")


class NPUProbe(SimObject):
    """Test/demo listener (src_ext/npu/npu_probe.cc): attaches to an NPU
    through the plugin interface of src_ext/npu/npu.hh and counts/records
    what it is told (issued instructions, DMA requests)."""

    type = "NPUProbe"
    npu = Param.NPU("The NPU to listen to")
    record = Param.Unsigned(64, "Instructions and DMA requests recorded in full (the first ones)")
