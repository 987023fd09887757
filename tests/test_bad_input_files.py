"""Malformed input files (traces, memory images, reference data, stats) and
malformed NPU programs: each must give an error naming the file and what is
wrong, never a bare exception from deep inside a library or a silently wrong
result."""

import numpy as np
import pytest

from npusim.objects.requestors import replay_records
from npusim.traces import (TraceError, TraceHeader, load_trace, make_packets, read_csv_trace,
                           write_gem5_trace)

TINY = make_packets(tick=[1000, 1100, 1200], cmd=1, addr=[0x40, 0x80, 0xc0], size=8)


def test_csv_max_packets_does_not_count_blank_lines(tmp_path):
    p = tmp_path / "t.csv"
    p.write_text("tick,cmd,addr,size,pc\n\n\n1,1,0x40,8,0\n\n2,1,0x80,8,0\n3,1,0xc0,8,0\n")
    t = read_csv_trace(p, max_packets=2)
    assert t.packets["tick"].tolist() == [1, 2]


def test_gem5_trace_with_zero_tick_freq_is_refused(tmp_path):
    p = tmp_path / "t.pb"
    write_gem5_trace(p, TINY, TraceHeader(obj_id="x", tick_freq=0))
    with pytest.raises(TraceError, match=r"t\.pb: invalid PacketHeader: tick_freq is 0"):
        load_trace(p)


def test_trace_recorded_at_another_tick_frequency_is_not_replayed_as_picoseconds(tmp_path):
    """gem5's own trace players refuse a trace whose tick_freq is not the
    simulator's; reading nanosecond ticks as picoseconds would be 1000x off."""
    p = tmp_path / "ns.pb.gz"
    write_gem5_trace(p, TINY, TraceHeader(obj_id="x", tick_freq=10**9))
    for trace in (str(p), load_trace(p)):
        with pytest.raises(ValueError, match=r"ns\.pb\.gz: recorded at 1000000000 ticks per "
                                             r"second, but npusim's tick is 1 ps"):
            replay_records(trace)
    write_gem5_trace(p, TINY, TraceHeader(obj_id="x", tick_freq=10**12))
    assert replay_records(str(p))["tick"].tolist() == [1000, 1100, 1200]
