"""The classic cache: exact latencies, MSHR merging and blocking, write-back
and writebacks, functional accesses, a two-level hierarchy with gem5's
command names, and gem5's stat layout. Every number is worked by hand for a
1 GHz clock (1 cycle = 1000 ticks) and a 10 ns test memory."""

import pytest

import npusim
from npusim.objects import CacheTestRequestor, Root
from npusim.testing import stats_dict

from helpers import cache_system, memory_log, run_until_done

R, W, WB = CacheTestRequestor.READ, CacheTestRequestor.WRITE, CacheTestRequestor.WRITEBACK_DIRTY
READ_SHARED, READ_EX, WRITEBACK_DIRTY, WRITEBACK_CLEAN, CLEAN_EVICT = 25, 22, 7, 8, 10
NS = 1000


def l1_params(**kw):
    params = dict(size="512B", assoc=2, tag_latency=2, data_latency=2, response_latency=2, mshrs=4,
                  tgts_per_mshr=4, write_buffers=4)
    params.update(kw)
    return params


def build(script, l1=None, mem=None, l2=None):
    return cache_system(CacheTestRequestor(script=CacheTestRequestor.make_script(script)), l1_params(**(l1 or {})),
                        l2=l2, mem=mem)


def run(system, drain=False):
    run_until_done(drain=drain)
    return {name: stats_dict(getattr(system, name)) for name in ("cpu", "l1", "mem")} | (
        {"l2": stats_dict(system.l2)} if "l2" in system._children else {})


def mem_log(mem):
    return [(r.tick, r.cmd, r.addr) for r in memory_log(mem)]


# --- latency ----------------------------------------------------------------

def test_miss_then_hit_latencies():
    s = run(build([(0, R, 0x40, 8), (50 * NS, R, 0x48, 8)], l1=dict(response_latency=3)))
    cpu, l1 = s["cpu"], s["l1"]
    # Miss: forwarded after tag_latency (2 ns), memory 10 ns, answered
    # response_latency (3 ns) after the fill.
    assert s["mem"]["reqTick::0"] == 2 * NS
    assert cpu["respTick::0"] == 15 * NS
    assert l1["ReadReq.missLatency::cpu.data"] == 15 * NS
    assert l1["ReadReq.mshrMissLatency::cpu.data"] == 12 * NS
    # Hit: max(tag_latency, data_latency) = 2 cycles.
    assert cpu["respTick::1"] == 52 * NS
    assert l1["ReadReq.hits::cpu.data"] == 1 and l1["ReadReq.misses::cpu.data"] == 1


@pytest.mark.parametrize("sequential,read_hit", [(False, 3), (True, 5)])
def test_hit_latency_parallel_or_sequential(sequential, read_hit):
    script = [(0, R, 0x0, 8), (50 * NS, R, 0x0, 8), (60 * NS, W, 0x0, 8, 1)]
    s = run(build(script, l1=dict(tag_latency=2, data_latency=3, sequential_access=sequential)))
    cpu = s["cpu"]
    assert cpu["respTick::1"] - cpu["sendTick::1"] == read_hit * NS
    assert cpu["respTick::2"] - cpu["sendTick::2"] == 2 * NS     # a write hit costs the tag lookup only


def test_hit_right_after_a_fill():
    # The fill arrives at 12 ns and its data is usable data_latency (4 ns)
    # later, at 16 ns. A read at 12.5 ns hits; gem5 adds the wait only when
    # it exceeds the hit latency (here 4 cycles from the 13 ns edge = 17 ns,
    # after 16 ns), so the answer comes at 17 ns.
    s = run(build([(0, R, 0x0, 8), (12500, R, 0x8, 8)], l1=dict(data_latency=4)))
    assert s["cpu"]["respTick::1"] == 17 * NS
    assert s["l1"]["ReadReq.hits::cpu.data"] == 1


# --- MSHRs --------------------------------------------------------------------

def test_two_reads_to_a_line_in_flight_merge():
    s = run(build([(0, R, 0x80, 8), (1 * NS, R, 0x88, 8)]))
    l1, cpu = s["l1"], s["cpu"]
    assert mem_log(s["mem"]) == [(2 * NS, READ_SHARED, 0x80)]     # one request below
    assert l1["ReadReq.mshrMisses::cpu.data"] == 1
    assert l1["ReadReq.mshrHits::cpu.data"] == 1
    assert l1["ReadReq.misses::cpu.data"] == 2                     # an MSHR hit is a miss
    assert l1["demandMshrHits::total"] == 1
    assert cpu["respTick::0"] == cpu["respTick::1"] == 14 * NS
    # The merged target waited 13 ns, the first 14 ns.
    assert l1["ReadReq.missLatency::cpu.data"] == 14 * NS + 13 * NS
    assert l1["ReadReq.mshrMissLatency::cpu.data"] == 12 * NS


def test_mshrs_full_blocks_then_retries():
    # mshrs=2: the second miss fills the MSHRs and blocks the cpu side; the
    # third request is refused and retried one tick after the first fill
    # frees an MSHR (12 ns).
    script = [(0, R, 0x000, 8), (0, R, 0x040, 8), (0, R, 0x080, 8)]
    s = run(build(script, l1=dict(mshrs=2)))
    cpu, l1 = s["cpu"], s["l1"]
    assert cpu["retries"] == 1
    assert cpu["sendTick::2"] == 12 * NS + 1
    # Second miss leaves one tick after the first (one send per event).
    assert mem_log(s["mem"]) == [(2 * NS, READ_SHARED, 0x000), (2 * NS + 1, READ_SHARED, 0x040),
                                 (15 * NS, READ_SHARED, 0x080)]
    assert cpu["respTick::0"] == 14 * NS and cpu["respTick::1"] == 15 * NS   # edge after 12 ns + 1
    assert cpu["respTick::2"] == 27 * NS
    # Blocked at 0 until the first fill (12 cycles). At 12 ns + 1 the retried
    # request runs before the second fill of the same tick, takes the freed
    # MSHR and blocks again, for 0 whole cycles.
    assert l1["blockedCauses::no_mshrs"] == 2
    assert l1["blockedCycles::no_mshrs"] == 12
    assert l1["blockedCauses::no_targets"] == 0


def test_targets_full_blocks_then_retries():
    script = [(0, R, 0x000, 8), (0, R, 0x008, 8), (0, R, 0x010, 8)]
    s = run(build(script, l1=dict(tgts_per_mshr=2)))
    cpu, l1 = s["cpu"], s["l1"]
    assert cpu["retries"] == 1
    assert cpu["sendTick::2"] == 12 * NS + 1
    assert cpu["respTick::2"] == 15 * NS                 # a hit by then
    assert l1["blockedCauses::no_targets"] == 1
    assert l1["blockedCycles::no_targets"] == 12
    assert l1["ReadReq.hits::cpu.data"] == 1 and l1["ReadReq.mshrHits::cpu.data"] == 1


def test_memory_refusal_is_retried():
    script = [(0, R, 0x000, 8), (0, R, 0x040, 8)]
    s = run(build(script, mem=dict(latency="10ns", max_outstanding=1)))
    # The second miss is refused at 2 ns + 1 and retried when the first
    # response leaves (12 ns).
    assert mem_log(s["mem"]) == [(2 * NS, READ_SHARED, 0x000), (12 * NS, READ_SHARED, 0x040)]
    assert s["mem"]["refused"] == 1
    assert s["cpu"]["respTick::1"] == 24 * NS


def test_a_prefetch_request_from_above_is_answered():
    # A HardPFReq (13) that another agent sends into the cache is a request
    # like a read: it misses, fills, and gets its HardPFResp with the data;
    # a second one hits.
    HARD_PF = 13
    s = run(build([(0, HARD_PF, 0x40, 64), (50 * NS, HARD_PF, 0x40, 64)]))
    cpu, l1 = s["cpu"], s["l1"]
    assert cpu["respTick::0"] == (2 + 10 + 2) * NS and cpu["respTick::1"] == 52 * NS
    assert l1["HardPFReq.misses::cpu.data"] == 1 and l1["HardPFReq.hits::cpu.data"] == 1


# --- write-back, write-allocate -------------------------------------------------

def test_write_miss_allocates_with_readex_and_writes_back_once():
    # 1 set x 2 ways. Write A (miss: ReadExReq, then the write), read B, read
    # C: LRU evicts dirty A -> exactly one WritebackDirty with A's data;
    # then read A again and get the written value from memory.
    A, B, C = 0x000, 0x040, 0x080
    script = [(0, W, A + 8, 8, 0xDEADBEEF), (50 * NS, R, B, 8), (100 * NS, R, C, 8), (150 * NS, R, A + 8, 8)]
    s = run(build(script, l1=dict(size="128B", assoc=2)))
    log = mem_log(s["mem"])
    # (A's re-read evicts clean B: a CleanEvict notice follows the miss.)
    assert [(cmd, addr) for _, cmd, addr in log] == [
        (READ_EX, A), (READ_SHARED, B), (READ_SHARED, C), (WRITEBACK_DIRTY, A), (READ_SHARED, A), (CLEAN_EVICT, B)]
    # The writeback leaves forward_latency after C's fill (112 ns + 2 ns),
    # and before the next read of A.
    assert log[3][0] == 114 * NS
    assert s["cpu"]["respData::3"] == 0xDEADBEEF
    l1 = s["l1"]
    assert l1["writebacks::writebacks"] == 1
    assert l1["WriteReq.misses::cpu.data"] == 1
    # A was evicted, then reading A evicted B (clean): no message for B.
    assert l1["replacements"] == 2


def test_writeback_clean_sends_clean_evictions():
    script = [(0, R, 0x000, 8), (50 * NS, R, 0x040, 8), (100 * NS, R, 0x080, 8)]
    s = run(build(script, l1=dict(size="128B", assoc=2, writeback_clean=True)))
    assert [cmd for _, cmd, _ in mem_log(s["mem"])] == [READ_SHARED] * 3 + [WRITEBACK_CLEAN]
    assert s["l1"]["writebacks::writebacks"] == 1


def test_write_hit_dirty_line_and_read_back():
    script = [(0, R, 0x100, 8), (50 * NS, W, 0x108, 8, 77), (60 * NS, R, 0x108, 8)]
    s = run(build(script))
    assert s["cpu"]["respData::2"] == 77
    assert s["l1"]["WriteReq.hits::cpu.data"] == 1
    assert len(mem_log(s["mem"])) == 1             # nothing written back while resident


def test_writes_merged_into_a_read_miss_are_applied():
    script = [(0, R, 0x0, 8), (1 * NS, W, 0x8, 8, 5), (2 * NS, R, 0x8, 8)]
    s = run(build(script))
    assert s["cpu"]["respData::2"] == 5
    assert s["l1"]["WriteReq.mshrHits::cpu.data"] == 1


# --- functional accesses ------------------------------------------------------------

def test_functional_read_sees_data_only_in_a_dirty_line():
    system = build([(0, W, 0x200, 8, 0x1122334455667788)])
    run(system)
    through_cache = npusim.functional_read(system.cpu, "port", 0x200, 8)
    below_cache = npusim.functional_read(system.l1, "mem_side", 0x200, 8)
    assert int.from_bytes(through_cache, "little") == 0x1122334455667788
    assert below_cache == bytes(8)


def test_functional_write_updates_the_cached_copy_and_memory():
    system = build([(0, R, 0x300, 8)])
    npusim.functional_write(system.cpu, "port", 0x300, (41).to_bytes(8, "little"))   # before: memory only
    s = run(system)
    assert s["cpu"]["respData::0"] == 41
    npusim.functional_write(system.cpu, "port", 0x304, b"\x01\x02")                    # line now cached
    assert npusim.functional_read(system.l1, "mem_side", 0x300, 8) == (41).to_bytes(4, "little") + b"\x01\x02\0\0"
    assert npusim.functional_read(system.cpu, "port", 0x300, 8) == (41).to_bytes(4, "little") + b"\x01\x02\0\0"


def test_functional_read_spanning_lines_mixes_cache_and_memory():
    system = build([(0, W, 0x040, 8, 0xAA), (0, W, 0x0C0, 8, 0xBB)])
    npusim.functional_write(system.l1, "mem_side", 0x0, bytes(range(256)))
    run(system)
    data = npusim.functional_read(system.cpu, "port", 0x0, 256)
    expect = bytearray(range(256))
    expect[0x40:0x48] = (0xAA).to_bytes(8, "little")
    expect[0xC0:0xC8] = (0xBB).to_bytes(8, "little")
    assert data == bytes(expect)


# --- two levels: gem5's commands and stat names below an L1 ---------------------------

def test_l1_l2_commands_and_stat_names():
    l2 = dict(size="1KiB", assoc=4, tag_latency=5, data_latency=5, response_latency=5, mshrs=8, tgts_per_mshr=8)
    # L1: 1 set x 2 ways. Read A, write B (miss), read C: evicts A (clean,
    # silent); read D: evicts B (dirty) -> WritebackDirty into the L2.
    A, B, C, D = 0x000, 0x040, 0x080, 0x0C0
    script = [(0, R, A, 8), (100 * NS, W, B, 8, 9), (200 * NS, R, C, 8), (300 * NS, R, D, 8),
              (400 * NS, R, A, 8)]
    s = run(build(script, l1=dict(size="128B", assoc=2), l2=l2))
    l2s = s["l2"]
    assert l2s["ReadSharedReq.mshrMisses::cpu.data"] == 3          # A, C, D
    assert l2s["ReadExReq.mshrMisses::cpu.data"] == 1              # B
    assert l2s["WritebackDirty.hits::writebacks"] == 1
    assert l2s["ReadSharedReq.hits::cpu.data"] == 1                 # A again, from the L2
    assert l2s["demandHits::total"] == 1                            # writebacks are not demand
    assert l2s["demandMisses::cpu.data"] == 4
    assert "WritebackDirty.misses::total" not in l2s               # nozero: all-zero vectors vanish
    assert s["l1"]["writebacks::writebacks"] == 1
    # The memory never saw L1 traffic directly: only the L2's misses.
    assert [cmd for _, cmd, _ in mem_log(s["mem"])] == [READ_SHARED, READ_EX, READ_SHARED, READ_SHARED]
    # L2 miss: L1 forward 2 ns, L2 forward 5 ns, memory 10 ns, L2 response
    # 5 ns, L1 response 2 ns.
    assert s["cpu"]["respTick::0"] == 24 * NS
    # L1 miss that hits in the L2: 2 + max(5, 5) + 2.
    assert s["cpu"]["respTick::4"] - s["cpu"]["sendTick::4"] == 9 * NS


def test_stats_txt_names_follow_gem5(tmp_path):
    system = build([(0, R, 0x0, 8), (50 * NS, R, 0x0, 8)])
    run(system)
    npusim.stats.dump()
    text = (tmp_path / "m5out" / "stats.txt").read_text()
    lines = {line.split()[0]: line for line in text.splitlines() if line.startswith("system.l1.")}
    assert "system.l1.demandHits::cpu.data" in lines
    assert "system.l1.ReadReq.mshrMisses::cpu.data" in lines
    assert "system.l1.avgBlocked::no_mshrs" in lines and " nan " in lines["system.l1.avgBlocked::no_mshrs"]
    assert "system.l1.demandAvgMissLatency::total" in lines
    assert "((Tick/Count))" in lines["system.l1.demandAvgMissLatency::total"]
    assert "system.l1.ReadReq.mshrHits::total" not in lines        # all zero: not printed
    assert "system.l1.WriteReq.hits::total" not in lines
    assert "system.l1.tags.tagsInUse" in lines
    names = [line.split()[0] for line in text.splitlines() if line.startswith("system.l1.")]
    assert names.index("system.l1.demandHits::cpu.data") < names.index("system.l1.replacements") \
        < names.index("system.l1.ReadReq.hits::cpu.data") < names.index("system.l1.tags.tagsInUse")


def test_stats_reset_zeroes_counts():
    system = build([(0, R, 0x0, 8), (50 * NS, R, 0x40, 8)])
    npusim.simulate(30 * NS)
    assert stats_dict(system.l1)["ReadReq.misses::total"] == 1
    npusim.stats.reset()
    run(system)
    l1 = stats_dict(system.l1)
    assert l1["ReadReq.misses::total"] == 1 and l1["ReadReq.missLatency::total"] == 14 * NS


# --- configuration errors ----------------------------------------------------------------

def test_request_crossing_a_line_is_an_error():
    system = build([(0, R, 0x3C, 8)])
    with pytest.raises(npusim.SimulationError, match="system.l1.*64-byte cache line"):
        npusim.simulate()


def test_bad_geometry_names_the_parameter():
    with pytest.raises(npusim.SimulationError, match=r"system\.l1\.size"):
        build([(0, R, 0, 8)], l1=dict(size="384B", assoc=2))


def test_write_merged_before_the_miss_leaves_makes_it_readex():
    # The read's MSHR leaves at 2 ns; a write merged at 0.5 ns makes the
    # request below a ReadExReq.
    s = run(build([(0, R, 0x0, 8), (500, W, 0x8, 8, 3)]))
    assert [cmd for _, cmd, _ in mem_log(s["mem"])] == [READ_EX]


def test_mostly_exclusive_l2_keeps_only_what_the_l1_evicts():
    l2 = dict(size="1KiB", assoc=4, tag_latency=5, data_latency=5, response_latency=5, mshrs=8, tgts_per_mshr=8,
              clusivity="mostly_excl")
    A, B, C = 0x000, 0x040, 0x080
    script = [(0, W, A, 8, 1), (100 * NS, R, B, 8), (200 * NS, R, C, 8), (300 * NS, R, A, 8)]
    s = run(build(script, l1=dict(size="128B", assoc=2), l2=l2), drain=True)
    # Fills for the L1 do not allocate in the L2 (and ask for clean data);
    # the L1's dirty victim A does, and A's re-read hits there and leaves it.
    # A's re-read evicts clean B from the L1: its CleanEvict notice misses in
    # the L2 (which never kept B) and goes on down.
    assert [(cmd, addr) for _, cmd, addr in mem_log(s["mem"])] == [
        (READ_EX, A), (24, B), (24, C), (CLEAN_EVICT, B)]      # 24 = ReadCleanReq
    assert s["l2"]["WritebackDirty.hits::writebacks"] == 1
    assert s["l2"]["ReadSharedReq.hits::cpu.data"] == 1
    assert s["cpu"]["respData::3"] == 1
    # A dirty line stays in the L2 after the hit (only clean lines are
    # dropped): memory below is still stale, the hierarchy is not.
    system = Root.getInstance().system
    assert npusim.functional_read(system.l2, "mem_side", A, 8) == bytes(8)
    assert npusim.functional_read(system.cpu, "port", A, 8) == (1).to_bytes(8, "little")
