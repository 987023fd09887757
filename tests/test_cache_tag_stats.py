"""gem5's tag statistics totalRefs, sampledRefs, avgRefs and warmupTick,
worked by hand on a one-set, two-way cache (128 B, 64-byte lines) under a
1 GHz clock and the 10 ns test memory: a miss's fill (the insertion) lands
12 ns after the request (2 ns forward + 10 ns memory)."""

import math

import pytest

import npusim
from npusim.testing import stats_dict

from test_cache import NS, R, W, WB, build, run

A, B, C, D = 0x000, 0x040, 0x080, 0x0C0

# Refs per line: an insertion counts 1, every lookup that finds the line 1
# more (reads, writes and writebacks from above alike).
#   0   R A    miss; fill at 12 ns: A=1
#   50  R A    hit: A=2
#   100 R B    miss; fill at 112 ns: B=1
#   150 W A+8  hit: A=3
#   200 WB B   writeback from above hits: B=2
#   250 R C    miss; LRU victim A leaves with 3 refs
#   300 R D    miss; LRU victim B leaves with 2 refs
SCRIPT = [(0, R, A, 8), (50 * NS, R, A, 8), (100 * NS, R, B, 8), (150 * NS, W, A + 8, 8, 7),
          (200 * NS, WB, B, 64, 5), (250 * NS, R, C, 8), (300 * NS, R, D, 8)]


def tags(system):
    return {k[len("tags."):]: v for k, v in stats_dict(system.l1).items() if k.startswith("tags.")}


def test_refs_of_evicted_lines_including_a_writeback_hit():
    system = build(SCRIPT, l1=dict(size="128B", assoc=2))
    run(system)
    t = tags(system)
    assert stats_dict(system.l1)["WritebackDirty.hits::total"] == 1
    assert (t["totalRefs"], t["sampledRefs"]) == (3 + 2, 2)
    assert t["avgRefs"] == 2.5
    # warmup_percentage 0: the first insertion ever.
    assert t["warmupTick"] == 12 * NS


def test_no_line_left_prints_nan(tmp_path):
    system = build([(0, R, A, 8), (50 * NS, R, A, 8)], l1=dict(size="128B", assoc=2))
    run(system)
    t = tags(system)
    assert (t["totalRefs"], t["sampledRefs"]) == (0, 0)
    assert math.isnan(t["avgRefs"])
    npusim.stats.dump()
    lines = [line for line in (tmp_path / "m5out" / "stats.txt").read_text().splitlines()
             if line.startswith("system.l1.tags.")]
    names = [line.split()[0][len("system.l1.tags."):] for line in lines]
    # gem5's order (its stats.txt), and nan printed (no nonan flag).
    assert names[:5] == ["tagsInUse", "totalRefs", "sampledRefs", "avgRefs", "warmupTick"]
    assert lines[3].split()[1] == "nan" and "((Count/Count))" in lines[3]
    assert "(Tick)" in lines[4]


@pytest.mark.parametrize("pct, tick", [
    (50, 112 * NS),   # bound 1 block: B's insertion finds A valid
    (40, 12 * NS),    # 0.8 block: gem5 truncates the bound to 0, so the first insertion
    (100, 0),         # bound 2: every later insertion replaces, so finds only 1 valid (gem5 too)
])
def test_warmup_tick(pct, tick):
    system = build(SCRIPT, l1=dict(size="128B", assoc=2, warmup_percentage=pct))
    run(system)
    assert tags(system)["warmupTick"] == tick


def test_reset_zeroes_the_counts_and_does_not_rearm_warmup():
    system = build(SCRIPT, l1=dict(size="128B", assoc=2))
    npusim.simulate(260 * NS)       # C's miss is in flight, A not yet evicted
    assert tags(system)["warmupTick"] == 12 * NS
    npusim.stats.reset()
    run(system)
    t = tags(system)
    # Blocks keep their counts across the reset; only the sums restart.
    assert (t["totalRefs"], t["sampledRefs"], t["warmupTick"]) == (5, 2, 0)


def test_mostly_exclusive_hand_over_is_sampled():
    l2 = dict(size="1KiB", assoc=4, tag_latency=5, data_latency=5, response_latency=5, mshrs=8, tgts_per_mshr=8,
              clusivity="mostly_excl")
    # The L1 (writeback_clean) evicts A as a WritebackClean: the L2 inserts
    # it (1 ref); the L1's re-read of A hits there (2 refs) and, the line
    # being clean, the L2 hands it up and invalidates it: one sample of 2.
    script = [(0, R, A, 8), (100 * NS, R, B, 8), (200 * NS, R, C, 8), (300 * NS, R, A, 8)]
    system = build(script, l1=dict(size="128B", assoc=2, writeback_clean=True), l2=l2)
    run(system, drain=True)
    l2s = stats_dict(system.l2)
    assert l2s["ReadSharedReq.hits::cpu.data"] == 1
    assert (l2s["tags.totalRefs"], l2s["tags.sampledRefs"]) == (2, 1)


def test_warmup_percentage_out_of_range_names_the_parameter():
    with pytest.raises((npusim.ParamError, ValueError), match="warmup_percentage"):
        build([(0, R, A, 8)], l1=dict(warmup_percentage=101))
