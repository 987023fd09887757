"""Traffic sources that drive one request port: TrafficGen (synthetic linear,
random and strided streams, as gem5's traffic generators) and TraceReplayer
(replays a recorded gem5 packet trace, blocking like TimingSimpleCPU or with a
window of requests in flight).

Both register the requestor ``<name>.data`` minus the root component, so
``system.cpu`` appears in cache stats as ``::cpu.data`` exactly as gem5's
``TimingSimpleCPU`` does, and both can load memory images before the run::

    system.cpu = TraceReplayer(trace="trace.l1d.pb.gz", think_times=think)
    system.cpu.load_memory([(0x71000, data_bytes), ...])   # functional writes after init()
"""

from __future__ import annotations

import numbers
import os

import numpy as np

from .. import units
from .base import SimObject
from ..params import Param, ParamError
from ..ports import RequestPort

#: The row layout the C++ TraceReplayer reads (40 bytes, little endian).
REPLAY_DTYPE = np.dtype([
    ("tick", "<u8"), ("addr", "<u8"), ("pc", "<u8"),
    ("size", "<u4"), ("cmd", "<u4"), ("flags", "<u4"), ("has_pc", "<u4"),
])


def replay_records(trace) -> np.ndarray:
    """Converts a trace to :data:`REPLAY_DTYPE` rows.

    ``trace`` may be a path (gem5 ``.pb``/``.pb.gz`` or CSV, read with
    :func:`npusim.traces.load_trace`), a :class:`npusim.traces.Trace`, or a
    numpy structured array with at least the fields ``tick, cmd, addr, size``
    (``pc`` and ``flags`` are optional; a packet has a PC when ``pc`` != 0).
    """
    if isinstance(trace, (str, os.PathLike)):
        from ..traces import load_trace
        trace = load_trace(trace)
    header = getattr(trace, "header", None)
    if header is not None and header.tick_freq != units.TICKS_PER_SECOND:
        raise ValueError(f"{getattr(trace, 'path', None) or 'trace'}: recorded at "
                         f"{header.tick_freq} ticks per second, but npusim's tick is 1 ps "
                         f"({units.TICKS_PER_SECOND} per second); rescale the ticks first")
    packets = getattr(trace, "packets", trace)
    packets = np.asarray(packets)
    if packets.dtype == REPLAY_DTYPE:
        return packets
    names = packets.dtype.names or ()
    missing = [f for f in ("tick", "cmd", "addr", "size") if f not in names]
    if missing:
        raise ValueError(f"a trace needs the fields tick, cmd, addr and size; missing {', '.join(missing)}")
    for f in ("tick", "cmd", "addr", "size", "pc"):
        # numpy would wrap a negative value into a huge unsigned one without a word
        if f in names and packets.dtype[f].kind == "i" and len(packets) and packets[f].min() < 0:
            first = int(np.argmax(packets[f] < 0))
            raise ValueError(f"packet {first}: {f} {int(packets[f][first])} is negative")
    out = np.zeros(len(packets), dtype=REPLAY_DTYPE)
    for f in ("tick", "cmd", "addr", "size"):
        out[f] = packets[f]
    if "pc" in names:
        out["pc"] = packets["pc"]
        out["has_pc"] = packets["pc"] != 0
    if "flags" in names:
        out["flags"] = packets["flags"]
    return out


def _think_times(value) -> np.ndarray:
    """Think times as int64 ticks; a cast would silently truncate fractions."""
    arr = np.asarray(value)
    if arr.dtype.kind not in "iuf":
        raise ValueError(f"think times must be numbers of ticks, got an array of {arr.dtype}")
    if arr.dtype.kind == "f" and not np.all(np.isfinite(arr) & (arr == np.round(arr))):
        raise ValueError("think times must be whole numbers of ticks")
    return np.ascontiguousarray(arr, dtype="<i8")


def pattern_bytes(addr: int, size: int) -> bytes:
    """The data TrafficGen writes (and checks with ``verify_data``) at
    ``[addr, addr + size)``: every aligned 8-byte word holds its own address."""
    first = addr & ~7
    last = (addr + size + 7) & ~7
    words = np.arange(first, last, 8, dtype="<u8")
    return words.tobytes()[addr - first: addr - first + size]


def _memory_regions(regions, owner="?"):
    """Normalises memory regions to a list of (addr, bytes); `owner` names the
    object in errors."""
    if regions is None:
        return []
    if isinstance(regions, dict):
        regions = regions.items()
    chunks = getattr(regions, "chunks", None)   # an image object with .chunks
    if chunks is not None:
        regions = chunks() if callable(chunks) else chunks
    out = []
    where = f"{owner}.load_memory"
    for i, item in enumerate(regions):
        if hasattr(item, "addr") and hasattr(item, "data"):
            addr, data = item.addr, item.data
        elif isinstance(item, (tuple, list)) and len(item) == 2:
            addr, data = item
        else:
            raise ParamError(f"{where}: region {i} is {item!r}, not an (address, data) pair")
        if isinstance(data, np.ndarray):
            data = np.ascontiguousarray(data).tobytes()
        elif not isinstance(data, (bytes, bytearray, memoryview)):
            # bytes(5) would quietly be five zero bytes
            raise ParamError(f"{where}: region {i}: data must be bytes or a numpy array, not {type(data).__name__}")
        if isinstance(addr, bool) or not isinstance(addr, numbers.Integral) or addr < 0:
            raise ParamError(f"{where}: region {i}: address {addr!r} is not a non-negative integer")
        out.append((int(addr), bytes(data)))
    return out


class _MemoryLoader:
    """Functional memory loading through the object's ``port`` after init()."""

    def load_memory(self, regions):
        """Queues regions ``[(base_addr, bytes or ndarray), ...]`` (or a dict,
        or an image object with ``chunks``) to be written through this
        object's port, functionally, after every object's init() and before
        any timing traffic. After instantiate() the writes happen at once."""
        pending = _memory_regions(regions, self.path())
        if self._cxx is not None:
            self._write_regions(pending)
            return
        queued = getattr(self, "_pending_memory", None) or []
        object.__setattr__(self, "_pending_memory", queued + pending)

    def loaded_memory_bytes(self) -> int:
        """Bytes queued by load_memory() (before instantiate)."""
        return sum(len(d) for _, d in (getattr(self, "_pending_memory", None) or []))

    def _write_regions(self, regions):
        from ..simulation import functional_write
        for addr, data in regions:
            functional_write(self, "port", addr, data)

    def after_init(self):
        self._write_regions(getattr(self, "_pending_memory", None) or [])


class BaseRequestor(SimObject):
    """Common parameters and port of TrafficGen and TraceReplayer."""

    abstract = True
    port = RequestPort("Port to the memory system (e.g. an L1 cache's cpu_side)")
    latency_bucket = Param.Latency("1ns", "Bucket width of the latencyDist histogram")
    latency_buckets = Param.Unsigned(500, "Buckets of the latencyDist histogram (later samples overflow)")
    request_trace_file = Param.String("", "If set, write every request sent as CSV (tick,cmd,addr,size,pc; "
                                          "npusim.traces.read_csv_trace reads it) when the requestor finishes")
    response_trace_file = Param.String("", "If set, write every response received, in the same CSV form")


class TrafficGen(_MemoryLoader, BaseRequestor):
    """Synthetic traffic: linear, random or strided addresses, a read/write mix,
    a period between issues and a window of requests in flight."""

    type = "TrafficGen"
    pattern = Param.Enum(["linear", "random", "strided"], "linear",
                         "Address pattern: linear (start, start+block_size, ...), random (aligned blocks drawn "
                         "uniformly from the range), strided (start, start+stride, ..., then the next block "
                         "column: a column-major sweep)")
    start_addr = Param.Addr(0, "First address of the range")
    end_addr = Param.Addr("1MiB", "End of the range (exclusive)")
    block_size = Param.Unsigned(64, "Size of each request in bytes")
    stride = Param.Addr(0, "Distance between consecutive requests of the strided pattern (a multiple of block_size)")
    read_percent = Param.Percent(100, "Share of reads; the rest are writes carrying pattern data")
    num_requests = Param.UInt64(1000, "Requests to issue; the generator finishes when all are answered")
    min_period = Param.Latency("0ns", "Shortest time between two issues")
    max_period = Param.Latency("0ns", "Longest time between two issues (drawn uniformly in [min, max])")
    max_outstanding = Param.Unsigned(1, "Most requests in flight (1 = blocking, like an in-order core)")
    seed = Param.UInt64(0, "Seed of the random address, command and period streams")
    pc = Param.Addr(0, "PC carried on every request (0 = requests carry no PC)")
    verify_data = Param.Bool(False, "Check read data against the pattern writes store (stat dataMismatches)")

    pattern_bytes = staticmethod(pattern_bytes)


class TraceReplayer(_MemoryLoader, BaseRequestor):
    """Replays a recorded request trace (gem5 packet trace or CSV).

    ``mode='blocking'``: one request in flight; request i+1 goes out
    ``think_times[i]`` ticks after response i (or, without think times, the
    original gap between requests i and i+1). ``mode='window'``: up to
    ``max_outstanding`` in flight, each issued at its original tick relative
    to ``trace_start`` (``timing='original'``, late requests go as soon as a
    slot frees) or as fast as possible (``timing='asap'``)."""

    type = "TraceReplayer"
    trace = Param.Blob("The requests: a path, an npusim.traces.Trace or a packet array (converted to "
                       "REPLAY_DTYPE rows)")
    think_times = Param.Blob(None, "Per-request think time in ticks (int64, one per request but the last), "
                                   "e.g. npusim.traces.think_times(requests, responses)")
    mode = Param.Enum(["blocking", "window"], "blocking", "Issue discipline")
    max_outstanding = Param.Unsigned(16, "Most requests in flight in window mode")
    timing = Param.Enum(["original", "asap"], "original", "Window mode: original spacing or as fast as possible")
    trace_start = Param.Tick(None, "Trace tick that maps to the replay's start (default: the first packet's "
                                   "tick); e.g. the region-of-interest begin tick")
    tail = Param.Latency(0, "Time after the last response before the replayer reports it has finished "
                            "(e.g. ROI end minus the last response tick)")
    line_size = Param.Unsigned(64, "Requests crossing a line of this size are rejected")

    def __setattr__(self, name, value):
        if name in ("trace", "think_times") and value is not None and \
                not isinstance(value, (bytes, bytearray, memoryview)):
            try:
                value = replay_records(value) if name == "trace" else _think_times(value)
            except (OSError, ValueError, TypeError) as err:   # TraceError is a ValueError
                self._reject(name, value, str(err))
                return
        super().__setattr__(name, value)
