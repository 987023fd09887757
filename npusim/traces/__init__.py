"""Memory-access traces and memory images.

- :mod:`npusim.traces.gem5_trace`: gem5 protobuf packet traces (read/write),
  their CSV form, format detection, think times of a blocking core.
- :mod:`npusim.traces.memory_image`: the arrays of a reference kernel placed at
  the physical addresses its trace uses.
"""

from .gem5_trace import (
    MAGIC,
    PACKET_DTYPE,
    MemCmd,
    Trace,
    TraceError,
    TraceHeader,
    load_trace,
    make_packets,
    read_csv_trace,
    read_gem5_trace,
    save_trace,
    think_times,
    write_csv_trace,
    write_gem5_trace,
)
from .memory_image import (
    PAGE_SIZE,
    MemoryChunk,
    MemoryImage,
    MemoryImageError,
    Region,
    build_memory_image,
    load_memory_image,
)

__all__ = [
    "PAGE_SIZE",
    "MemoryChunk",
    "MemoryImage",
    "MemoryImageError",
    "Region",
    "build_memory_image",
    "load_memory_image",
    "MAGIC",
    "PACKET_DTYPE",
    "MemCmd",
    "Trace",
    "TraceError",
    "TraceHeader",
    "load_trace",
    "make_packets",
    "read_csv_trace",
    "read_gem5_trace",
    "save_trace",
    "think_times",
    "write_csv_trace",
    "write_gem5_trace",
]
