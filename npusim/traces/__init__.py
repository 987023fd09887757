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

__all__ = [
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
