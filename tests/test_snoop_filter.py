"""gem5's snoop filter statistics on crossbars with a SnoopFilter (L2XBar,
SystemXBar): totRequests / hitSingleRequests / hitMultiRequests for requests
from the CPU side, totSnoops / hitSingleSnoops / hitMultiSnoops for the
snoops of the cache below, and the crossbar's snoopFanout (per request other
than an eviction, and per snoop, the ports the filter would snoop).
Hand-worked on 1 GHz systems (requests 50 ns apart, each done long before
the next), then against gem5's own run of a reference kernel."""

import pytest

import npusim
from npusim.objects import (Cache, CacheTestMemory, L2XBar, Root, SimpleMemory, SnoopFilter, SrcClockDomain, System,
                            SystemXBar, TrafficGen)
from npusim.testing import packets_live, stats_dict

from helpers import replay_against_gem5
from test_clean_evict import A, B, C, NS, cache, requestor, run_across

FILTER = ("totRequests", "hitSingleRequests", "hitMultiRequests", "totSnoops", "hitSingleSnoops", "hitMultiSnoops")


def filter_counts(bus):
    s = stats_dict(bus.snoop_filter)
    return tuple(int(s[n]) for n in FILTER)


def fanout(bus):
    """snoopFanout as {fan-out: samples} over its buckets, and its samples."""
    s = stats_dict(bus)
    buckets = {int(k.split("::")[1]): int(v) for k, v in s.items()
               if k.startswith("snoopFanout::") and k.split("::")[1].isdigit()}
    return buckets, int(s["snoopFanout::samples"])


def run_below_l2(system):
    """Connects system.bus -> system.l2 -> system.mem and runs `system` to
    the end."""
    system.bus.mem_side_ports = system.l2.cpu_side
    system.l2.mem_side = system.mem.port
    Root(full_system=False, system=system)
    npusim.instantiate()
    while npusim.simulate().getCause() != "event queue empty":
        pass


def test_one_l1_requests_miss_evictions_hit_and_a_victim_held_above_is_a_snoop_hit():
    # cpu -> L1 (one line) -> L2XBar -> L2 (two ways, LRU) -> SystemXBar -> memory,
    # reads of A, B, C, A (test_clean_evict's sequence).
    # L2XBar: the four reads miss in the filter (the L1 holds none of their
    #   lines) and mark the L1 as requesting; each response makes it the
    #   holder. The L1's three evictions (A at B's fill, B at C's, C at A's)
    #   hit a single holder and remove the entry. The L2's fill of C evicts B,
    #   which the L1 still holds: its snoop upward hits (one holder, fan-out 1).
    #   totRequests 4 + 3, single hits 3; snoops 1, a single hit.
    #   snoopFanout: 4 reads at 0 + 1 snoop at 1; buckets 0..1 (one snooping port).
    # SystemXBar: the L2's three misses (A, B, C) miss; its notice for B is
    #   dropped (held above), but the L1's own notice for B misses in the L2
    #   and comes down: it hits the L2's entry for B. totRequests 3 + 1.
    system = run_across(L2XBar(), SystemXBar())
    assert filter_counts(system.l1bus) == (7, 3, 0, 1, 1, 0)
    assert fanout(system.l1bus) == ({0: 4, 1: 1}, 5)
    assert filter_counts(system.membus) == (4, 1, 0, 0, 0, 0)
    assert fanout(system.membus) == ({0: 3, 1: 0}, 3)


def test_three_l1s_sharing_a_line_hit_single_then_multi_and_fan_out_to_the_holders():
    # Three requestors, each with an L1 (one line), on one L2XBar above an L2
    # of one line.
    #   0 ns cpu0 reads A: a miss; cpu0 requests, then holds A.
    #  50 ns cpu1 reads A: one holder (cpu0): a single hit, fan-out 1.
    # 100 ns cpu2 reads A: holders cpu0, cpu1: a multi hit, fan-out 2.
    # 150 ns cpu0 reads B: a miss, fan-out 0. The L2's fill of B evicts A,
    #        whose snoop finds three holders (a multi hit, fan-out 3); the
    #        L1 of cpu0 then evicts A: a multi hit, and as cpu1 and cpu2
    #        still hold A, the notice goes down BLOCK_CACHED.
    system = System(clk_domain=SrcClockDomain(clock="1GHz"))
    system.bus = L2XBar()
    system.l2 = Cache(**cache("64B", 1))
    system.mem = CacheTestMemory(latency="10ns")
    scripts = ([(0, A), (150 * NS, B)], [(50 * NS, A)], [(100 * NS, A)])
    for n, script in enumerate(scripts):
        cpu, l1 = requestor(script), Cache(**cache("64B", 1))
        setattr(system, f"cpu{n}", cpu)
        setattr(system, f"l1_{n}", l1)
        cpu.port = l1.cpu_side
        l1.mem_side = system.bus.cpu_side_ports
    run_below_l2(system)
    assert packets_live() == 0
    assert filter_counts(system.bus) == (5, 1, 2, 1, 0, 1)
    assert fanout(system.bus) == ({0: 2, 1: 1, 2: 1, 3: 1}, 5)
    s = stats_dict(system.bus)
    assert s["snoopFanout::mean"] == 6 / 5
    assert (s["snoopFanout::min_value"], s["snoopFanout::max_value"]) == (0, 3)


def test_a_port_that_keeps_no_copies_is_not_tracked():
    # A requestor straight on the crossbar (gem5: not a snooping port): its
    # requests make no entry and are counted only if they hit (none here);
    # each still samples snoopFanout, whose only bucket is 0 (no snooping
    # port).
    system = System(clk_domain=SrcClockDomain(clock="1GHz"))
    system.cpu = requestor([(0, A), (50 * NS, B), (100 * NS, A)])
    system.bus = L2XBar()
    system.mem = CacheTestMemory(latency="10ns")
    system.cpu.port = system.bus.cpu_side_ports
    system.bus.mem_side_ports = system.mem.port
    Root(full_system=False, system=system)
    npusim.instantiate()
    assert npusim.simulate().getCause() == "system.cpu finished"
    assert filter_counts(system.bus) == (0,) * 6
    assert fanout(system.bus) == ({0: 3}, 3)


def test_the_filters_counts_are_gem5s_on_the_warm_stream_sum_roi(tmp_path):
    """The stream_sum ROI after its set-up (--warm-start, about a second),
    against gem5's run. gem5's system also has an L1I on the L2XBar, which
    npusim's has not: one more request through each crossbar, a snoop of the
    L2 for an instruction line it evicts (fan-out 1), and a third bucket (2)
    in the L2XBar's snoopFanout. Within those 2: every count."""
    ours, gem5 = replay_against_gem5(tmp_path, "stream_sum", "--warm-start")
    for bus in ("l2bus", "membus"):
        for n in [f"snoop_filter.{n}" for n in FILTER] + ["snoopFanout::samples", "snoopFanout::0", "snoopFanout::1"]:
            name = f"system.{bus}.{n}"
            assert abs(ours[name] - gem5[name]) <= 2, (name, ours[name], gem5[name])
    # the L1D's 16,384 misses and as many evictions, each evicted line held
    assert ours["system.l2bus.snoop_filter.totRequests"] == 32768
    assert ours["system.l2bus.snoop_filter.hitSingleRequests"] == 16384


def test_a_filtered_crossbar_with_more_ports_than_the_filter_tracks_is_refused():
    system = System(clk_domain=SrcClockDomain(clock="1GHz"))
    system.bus = L2XBar()
    system.mem = SimpleMemory(range="0:64MiB")
    system.mem.port = system.bus.mem_side_ports
    system.gens = [TrafficGen(num_requests=1) for _ in range(33)]
    for gen in system.gens:
        gen.port = system.bus.cpu_side_ports
    Root(full_system=False, system=system)
    with pytest.raises(npusim.SimulationError, match=r"system\.bus: .*at most 32 cpu-side ports"):
        npusim.instantiate()


def run_with_capacity(max_capacity, lines):
    """cpu -> L1 (one line) -> L2XBar (a filter of `max_capacity`) -> L2 (one
    set of two ways, LRU) -> memory, reading `lines` 50 ns apart."""
    system = System(clk_domain=SrcClockDomain(clock="1GHz"))
    system.cpu = requestor([(n * 50 * NS, line) for n, line in enumerate(lines)])
    system.l1, system.l2 = Cache(**cache("64B", 1)), Cache(**cache("128B", 2))
    system.bus = L2XBar(snoop_filter=SnoopFilter(lookup_latency=0, max_capacity=max_capacity))
    system.mem = CacheTestMemory(latency="10ns")
    system.cpu.port = system.l1.cpu_side
    system.l1.mem_side = system.bus.cpu_side_ports
    run_below_l2(system)
    return system


# Reads of A, B, C, D (test_clean_evict's first sequence, then D). The filter
# holds the L1's line and the line it requests:
#    0 ns A: {A}.
#   50 ns B: {A, B}; the L1's CleanEvict of A removes A: {B} (and makes A the
#            L2's most recent line).
#  100 ns C: {B, C}; the L2 evicts B, held above: a snoop hit; the L1's
#            CleanEvict of B: {C}. L2 {A, C}.
#  150 ns D: {C, D}; the L2 evicts A, which the L1 does not hold: a snoop that
#            misses while the filter holds 2 lines. Then {D}.
D = 0x0C0
ABCD = (A, B, C, D)


def test_a_snoop_that_misses_in_a_full_filter_is_an_error_naming_the_filter():
    # 128 bytes: two lines, and the snoop of A at 150 ns finds two (gem5 panics)
    with pytest.raises(npusim.SimulationError,
                       match=r"system\.bus\.snoop_filter\.max_capacity: exceeded: a snoop from below missed while "
                             r"the filter held 2 lines, its capacity being 2"):
        run_with_capacity("128B", ABCD)


def test_the_smallest_capacity_that_fits_runs_through():
    # 192 bytes: three lines, one more than the filter holds at the miss
    system = run_with_capacity("192B", ABCD)
    assert packets_live() == 0
    # 4 reads and 3 CleanEvicts; snoops of B (a hit) and A (a miss, not counted)
    assert filter_counts(system.bus) == (7, 3, 0, 1, 1, 0)
    assert fanout(system.bus) == ({0: 5, 1: 1}, 6)


def test_requests_may_take_a_filter_past_its_capacity():
    # A, B, C with one line of capacity: the filter holds 2 lines after B's
    # and C's requests, but gem5 checks only snoops that miss, and the one
    # snoop (B) hits.
    system = run_with_capacity("64B", (A, B, C))
    assert filter_counts(system.bus) == (5, 2, 0, 1, 1, 0)


@pytest.mark.parametrize("max_capacity", ["0B", "32B"])
def test_a_capacity_below_one_line_is_refused(max_capacity):
    system = System(clk_domain=SrcClockDomain(clock="1GHz"))
    system.bus = L2XBar(snoop_filter=SnoopFilter(max_capacity=max_capacity))
    system.mem = SimpleMemory(range="0:64MiB")
    system.gen = TrafficGen(num_requests=1)
    system.gen.port = system.bus.cpu_side_ports
    system.mem.port = system.bus.mem_side_ports
    Root(full_system=False, system=system)
    with pytest.raises(npusim.SimulationError,
                       match=r"system\.bus\.snoop_filter\.max_capacity: must hold at least one 64-byte line, got "
                             + max_capacity[:-1] + " bytes"):
        npusim.instantiate()
