"""Bad input and misuse around the outputs: stats files, the sweep runner
and debug tracing. Each case is refused with a message naming what is
wrong, or gives the right numbers, never stale or silently altered ones."""

import gzip
import math
import os

import numpy as np
import pytest

import npusim
from npusim import debug
from npusim.analysis import read_stats, read_stats_json, read_trace
from npusim.analysis.stats_reader import StatsFormatError
from npusim.objects import Cache, Root, SimpleMemory, SrcClockDomain, TaggedPrefetcher, System, TrafficGen

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = os.path.join(ROOT, "configs", "examples", "traffic_gen.py")


def small_system(outdir, requests=300, prefetcher=False, pattern="random"):
    system = System(clk_domain=SrcClockDomain(clock="1GHz"))
    system.cpu = TrafficGen(pattern=pattern, num_requests=requests, max_outstanding=4, seed=3)
    system.l1 = Cache(size="4KiB", assoc=4, tag_latency=2, data_latency=2, response_latency=2, mshrs=4,
                      tgts_per_mshr=4)
    if prefetcher:
        system.l1.prefetcher = TaggedPrefetcher()
    system.mem = SimpleMemory(range="0:1MiB", latency="30ns")
    system.cpu.port = system.l1.cpu_side
    system.l1.mem_side = system.mem.port
    Root(full_system=False, system=system)
    npusim.instantiate(str(outdir))
    return system


# --- stats.txt / stats.json ---------------------------------------------------------


def test_stats_txt_and_json_hold_the_same_dumps(tmp_path):
    small_system(tmp_path, prefetcher=True, pattern="linear")
    npusim.stats.dump()                 # before any simulated time
    npusim.simulate(3000)
    npusim.stats.dump()
    npusim.stats.reset()
    npusim.simulate()
    npusim.stats.dump()
    npusim.stats.dump()                 # twice at the same tick
    txt, js = read_stats(tmp_path / "stats.txt"), read_stats_json(tmp_path / "stats.json")
    assert len(txt) == len(js) == 4 and list(txt.columns) == list(js.columns)
    for name in txt.columns:
        if name.startswith("host"):
            continue
        for a, b in zip(txt[name], js[name]):
            # stats.txt prints fractions with 6 decimals, as gem5 does; stats.json keeps them whole
            assert a == b or (math.isnan(a) and math.isnan(b)) or (isinstance(a, float) and abs(a - b) < 5e-7 * max(
                1, abs(b))), (name, a, b)
    assert txt["system.l1.prefetcher.pfIssued"].iloc[-1] > 0
    assert txt["simTicks"].tolist()[:2] == [0, 3000]


def test_a_run_that_never_dumps_leaves_no_earlier_runs_stats(tmp_path):
    small_system(tmp_path)
    npusim.simulate()
    npusim.stats.dump()
    npusim.reset()
    small_system(tmp_path)              # the same output folder, and this run fails before its dump
    for reader, path in ((read_stats, "stats.txt"), (read_stats_json, "stats.json")):
        with pytest.raises(StatsFormatError, match="no dumps|no '-+ Begin Simulation Statistics"):
            reader(tmp_path / path)


def test_periodic_dump_period_may_be_any_integer_type(tmp_path):
    small_system(tmp_path, requests=100)
    npusim.stats.periodicStatDump(np.int64(2000))
    assert npusim.stats.next_periodic_dump() == 2000
    npusim.simulate(4000)
    assert list(read_stats(tmp_path / "stats.txt")["simTicks"]) == [2000, 4000]
    for bad in (1000.0, -5, "1000", True):
        with pytest.raises(ValueError, match=r"periodicStatDump\(\): period must be a whole number"):
            npusim.stats.periodicStatDump(bad)
