"""Malformed input files (traces, memory images, reference data, stats) and
malformed NPU programs: each must give an error naming the file and what is
wrong, never a bare exception from deep inside a library or a silently wrong
result."""

import numpy as np
import pytest

from npusim.traces import read_csv_trace


def test_csv_max_packets_does_not_count_blank_lines(tmp_path):
    p = tmp_path / "t.csv"
    p.write_text("tick,cmd,addr,size,pc\n\n\n1,1,0x40,8,0\n\n2,1,0x80,8,0\n3,1,0xc0,8,0\n")
    t = read_csv_trace(p, max_packets=2)
    assert t.packets["tick"].tolist() == [1, 2]
