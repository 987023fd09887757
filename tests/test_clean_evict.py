"""Clean evictions as gem5 sends them: a CleanEvict notice through the write
buffer, which refreshes the replacement state of a cache below that holds the
line; a cache first asks the caches above whether they still hold a line it
evicts (and drops the notice if so), and squashes its prefetches of lines held
above. Hand-worked on 1 GHz systems: cpu -> L1 -> L2 -> recording memory."""

import npusim
from npusim.objects import CacheTestRequestor, NextLinePrefetcher
from npusim.testing import stats_dict

from helpers import cache_system, memory_log, run_until_done

R = 1
READ_SHARED, CLEAN_EVICT = 25, 10
NS = 1000
A, B, C = 0x000, 0x040, 0x080


def cache(size, assoc, **kw):
    params = dict(size=size, assoc=assoc, tag_latency=2, data_latency=2, response_latency=2, mshrs=4,
                  tgts_per_mshr=4, write_buffers=4)
    params.update(kw)
    return params


def requestor(script):
    return CacheTestRequestor(script=CacheTestRequestor.make_script([(t, R, a, 8) for t, a in script]))


def test_clean_evict_refreshes_the_l2s_lru_order_and_stops_where_the_line_is_held():
    # L1: one line. L2: one set of two ways, LRU.
    #   0 ns read A: misses both; L1 {A}, L2 {A}.
    #  50 ns read B: misses both; the L1's fill of B evicts A -> CleanEvict A,
    #        which hits in the L2 and makes A its most recent line: L2 {B, A}.
    # 100 ns read C: the L2's fill evicts its LRU line, B (not A), while the
    #        L1 still holds B: the L2 asks above and drops its notice. Then the
    #        L1's fill evicts B -> CleanEvict B, which misses in the L2 and goes
    #        on to memory. L1 {C}, L2 {A, C}.
    # 150 ns read A: hits in the L2 (without the refresh it would have been
    #        evicted at 100 ns); the L1's CleanEvict C hits in the L2.
    system = cache_system(requestor([(0, A), (50 * NS, B), (100 * NS, C), (150 * NS, A)]),
                          cache("64B", 1), l2=cache("128B", 2))
    run_until_done(drain=True)
    log = [(r.cmd, r.addr) for r in memory_log(system.mem)]
    assert log == [(READ_SHARED, A), (READ_SHARED, B), (READ_SHARED, C), (CLEAN_EVICT, B)]
    l1, l2 = stats_dict(system.l1), stats_dict(system.l2)
    assert l2["ReadSharedReq.hits::cpu.data"] == 1
    assert l2["ReadSharedReq.misses::cpu.data"] == 3
    # Only the notice that missed is counted (as in gem5: hits are silent).
    assert l2["CleanEvict.mshrMisses::writebacks"] == 1
    assert l1["replacements"] == 3 and l2["replacements"] == 1
    # Notices are not writebacks.
    assert "writebacks::total" not in l1 and "writebacks::total" not in l2


def test_prefetch_of_a_line_held_above_is_squashed():
    # L1: one set of two ways. L2: one line, mostly exclusive (demand fills
    # pass through it), with a next-line prefetcher.
    #   0 ns read C: misses both; the L2 prefetches D = C + 64 (sent first:
    #        the miss waits for the forward latency); D's fill stays in the
    #        L2, C's passes to the L1.
    #  50 ns read B: misses both; the L2's prefetch of C = B + 64 misses in
    #        the L2 but finds C in the L1 and is squashed before it leaves:
    #        memory never sees it.
    D = 0x0C0
    system = cache_system(requestor([(0, C), (50 * NS, B)]), cache("128B", 2),
                          l2=cache("64B", 1, clusivity="mostly_excl"), l2_prefetcher=NextLinePrefetcher(degree=1))
    run_until_done(drain=True)
    log = [(r.cmd, r.addr, r.requestor) for r in memory_log(system.mem)]
    assert log == [(READ_SHARED - 1, D, "l2.prefetcher"), (READ_SHARED - 1, C, "cpu.data"),
                   (READ_SHARED - 1, B, "cpu.data")]      # ReadCleanReq: the L2 is mostly exclusive
    pf = stats_dict(system.l2.prefetcher)
    assert pf["pfIssued"] == 2
    assert pf["pfSquashedAbove"] == 1
    assert pf["pfOutcome::droppedAtIssue"] == 1
    assert pf["pfOutcome::total"] == pf["pfIssued"]
    # gem5 counts the squashed prefetch's MSHR allocation as a miss.
    assert stats_dict(system.l2)["HardPFReq.mshrMisses::l2.prefetcher"] == 2


def test_a_functional_read_does_not_see_a_pending_clean_evict_as_data():
    # The L1 (one line) evicts clean A when B fills; while A's notice waits in
    # the write buffer, a functional read of A must return memory's bytes.
    value = bytes(range(1, 9))
    script = [(0, A), (50 * NS, B)]
    first = cache_system(requestor(script), cache("64B", 1), mem_init={A: value})
    run_until_done(drain=True)
    notice_tick = next(r.tick for r in memory_log(first.mem) if r.cmd == CLEAN_EVICT)

    system = cache_system(requestor(script), cache("64B", 1), mem_init={A: value})
    npusim.simulate(notice_tick - 1)
    assert stats_dict(system.mem).get("reqTick::2") is None, "the notice must still be in the L1"
    assert npusim.functional_read(system.cpu, "port", A, 8) == value


def run_across(l1_bus, membus=None):
    """The first test's sequence on cpu -> L1 -> `l1_bus` -> L2 -> [`membus` ->]
    memory, run to the end; returns the system."""
    from npusim.objects import Cache, CacheTestMemory, Root, SrcClockDomain, System
    system = System(clk_domain=SrcClockDomain(clock="1GHz"))
    system.cpu = requestor([(0, A), (50 * NS, B), (100 * NS, C), (150 * NS, A)])
    system.l1, system.l2 = Cache(**cache("64B", 1)), Cache(**cache("128B", 2))
    system.l1bus = l1_bus
    system.mem = CacheTestMemory(latency="10ns")
    system.cpu.port = system.l1.cpu_side
    system.l1.mem_side = system.l1bus.cpu_side_ports
    system.l1bus.mem_side_ports = system.l2.cpu_side
    if membus is None:
        system.l2.mem_side = system.mem.port
    else:
        system.membus = membus
        system.l2.mem_side = system.membus.cpu_side_ports
        system.membus.mem_side_ports = system.mem.port
    Root(full_system=False, system=system)
    npusim.instantiate()
    run_until_done(drain=True)
    return system


def test_crossbars_carry_and_sink_the_notices_and_count_the_snoops():
    # The first test's sequence, with gem5's crossbars between the levels:
    # cpu -> L1 -> L2XBar -> L2 -> SystemXBar (the point of coherency) -> memory.
    # The L1 sends three notices (A, B, C) and the L2 asks the L1 once, for
    # its victim B: the L2XBar carries 3 + 1 CleanEvicts, one a snoop. B's
    # notice misses in the L2 and goes on, and the SystemXBar sinks it:
    # memory sees only the three reads.
    from npusim.objects import L2XBar, SystemXBar
    system = run_across(L2XBar(), SystemXBar())
    assert [(r.cmd, r.addr) for r in memory_log(system.mem)] == [(READ_SHARED, A), (READ_SHARED, B), (READ_SHARED, C)]
    l2bus, membus = stats_dict(system.l1bus), stats_dict(system.membus)
    assert l2bus["transDist::CleanEvict"] == 4 and l2bus["snoops"] == 1 and l2bus["snoopTraffic"] == 0
    assert membus["transDist::CleanEvict"] == 1 and membus["snoops"] == 0
    assert membus["transDist::ReadSharedReq"] == 3


def test_a_crossbar_without_a_snoop_filter_passes_no_snoops():
    # As gem5's NoncoherentXBar: the L2 below it cannot learn that the L1
    # still holds its victim B, so its notice goes down as well as the L1's
    # own one later (compare the first test, where the L2 asks the L1).
    from npusim.objects import NoncoherentXBar
    system = run_across(NoncoherentXBar(width=32, frontend_latency=1, forward_latency=0, response_latency=1))
    assert [(r.cmd, r.addr) for r in memory_log(system.mem)] == [
        (READ_SHARED, A), (READ_SHARED, B), (READ_SHARED, C), (CLEAN_EVICT, B), (CLEAN_EVICT, B)]
    bus = stats_dict(system.l1bus)
    assert bus["transDist::CleanEvict"] == 3 and "snoops" not in bus
