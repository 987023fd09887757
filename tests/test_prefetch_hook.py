"""The prefetcher hook: NextLinePrefetcher's exact prefetches, gem5's
prefetch stats on hand-worked cases, the balanced pfOutcome / pfDropped
accounts, the queue (squash, filter, full, page crossing), and line data
reaching the prefetcher (what IMP needs). 1 GHz clock, 10 ns memory."""

import random

import pytest

import npusim
from npusim.objects import CacheTestDataPrefetcher, CacheTestRequestor, NextLinePrefetcher
from npusim.testing import stats_dict

from helpers import cache_system, memory_log, run_until_done

R, W = CacheTestRequestor.READ, CacheTestRequestor.WRITE
READ_SHARED = 25
NS = 1000


def build(script, prefetcher, l1=None, l2=None, l2_prefetcher=None, mem_init=None):
    params = dict(size="512B", assoc=2, tag_latency=2, data_latency=2, response_latency=2, mshrs=4,
                  tgts_per_mshr=4)
    params.update(l1 or {})
    return cache_system(CacheTestRequestor(script=CacheTestRequestor.make_script(script)), params, prefetcher,
                        l2=l2, l2_prefetcher=l2_prefetcher, mem_init=mem_init)


def run(system):
    """Runs until the requestor has every response, then lets prefetches
    still in flight land: every request is answered exactly once."""
    run_until_done(drain=True)
    return system


CLEAN_EVICT = 10


def mem_log(system):
    """The reads and writes memory saw (clean evictions' notices aside)."""
    return [(r.tick, r.addr, r.requestor) for r in memory_log(system.mem) if r.cmd != CLEAN_EVICT]


def clean_evictions(system):
    return [r.addr for r in memory_log(system.mem) if r.cmd == CLEAN_EVICT]


def pf_stats(system, cache="l1"):
    return stats_dict(getattr(system, cache).prefetcher)


def assert_balanced(pf):
    """npusim's accounts: every issued prefetch has exactly one outcome, and
    every identified candidate is issued, dropped or still queued."""
    parts = ["useful", "late", "evictedUnused", "droppedAtIssue", "residentAtEnd", "inFlight"]
    assert sum(pf[f"pfOutcome::{p}"] for p in parts) == pf["pfOutcome::total"] == pf["pfIssued"]
    assert pf["pfOutcome::droppedAtIssue"] == pf["pfLate"] + pf.get("pfSquashedAbove", 0)
    dropped = ["inCache", "inQueue", "queueFull", "demandSquash"]
    assert sum(pf[f"pfDropped::{d}"] for d in dropped) == pf["pfDropped::total"]
    assert pf["pfIdentified"] + pf.get("pfQueuedAtReset", 0) == \
        pf["pfIssued"] + pf["pfDropped::total"] + pf["pfQueued"]


# --- NextLinePrefetcher: exact prefetches -----------------------------------------

def test_next_line_issues_exact_addresses():
    # degree 2. The miss at 0 queues 0x40 and 0x80, ready one cycle later;
    # they leave at 1 ns and 1 ns + 1 tick, before the demand miss, which
    # waits for the tag latency (2 ns). The same again at 100 ns.
    system = run(build([(0, R, 0x0, 8), (100 * NS, R, 0x1000, 8)], NextLinePrefetcher(degree=2)))
    assert mem_log(system) == [
        (1 * NS, 0x40, "l1.prefetcher"), (1 * NS + 1, 0x80, "l1.prefetcher"), (2 * NS, 0x0, "cpu.data"),
        (101 * NS, 0x1040, "l1.prefetcher"), (101 * NS + 1, 0x1080, "l1.prefetcher"), (102 * NS, 0x1000, "cpu.data")]
    pf, l1 = pf_stats(system), stats_dict(system.l1)
    assert pf["pfIdentified"] == pf["pfIssued"] == 4
    assert l1["HardPFReq.mshrMisses::l1.prefetcher"] == 4
    assert l1["overallMshrMisses::l1.prefetcher"] == 4
    assert "demandMshrMisses::l1.prefetcher" not in l1                # prefetches are not demand
    assert pf["pfOutcome::residentAtEnd"] == 4
    assert pf["demandMshrMisses"] == 2
    assert pf["accuracy"] == 0 and pf["coverage"] == 0
    assert_balanced(pf)


def test_useful_and_unused_prefetches_by_hand():
    # 1 set x 2 ways, degree 1, LRU.
    #   0 ns  read 0x000: miss; prefetch 0x040 (fills 11 ns, tagged)
    #  50 ns  read 0x040: hit on a prefetched line -> pfUseful; the hit on a
    #         prefetched line trains: prefetch 0x080, evicting 0x000
    # 100 ns  read 0x1000: miss; prefetch 0x1040 evicts 0x040; the demand
    #         fill evicts 0x080, never used -> pfUnused; 0x1040 stays.
    script = [(0, R, 0x000, 8), (50 * NS, R, 0x040, 8), (100 * NS, R, 0x1000, 8)]
    system = run(build(script, NextLinePrefetcher(degree=1), l1=dict(size="128B", assoc=2)))
    pf, l1 = pf_stats(system), stats_dict(system.l1)
    assert [a for _, a, _ in mem_log(system)] == [0x040, 0x000, 0x080, 0x1040, 0x1000]
    # The three replacements were of clean lines: one notice each.
    assert clean_evictions(system) == [0x000, 0x040, 0x080]
    assert pf["pfIssued"] == 3
    assert pf["pfUseful"] == 1
    assert pf["pfUnused"] == 1
    assert pf["pfOutcome::useful"] == 1 and pf["pfOutcome::evictedUnused"] == 1
    assert pf["pfOutcome::residentAtEnd"] == 1
    assert pf["demandMshrMisses"] == 2
    assert pf["accuracy"] == pytest.approx(1 / 3)
    assert pf["coverage"] == pytest.approx(1 / 3)                   # 1 / (1 + 2)
    assert l1["ReadReq.hits::cpu.data"] == 1
    assert l1["replacements"] == 3
    assert_balanced(pf)


def test_late_prefetch_counts_as_mshr_hit_and_late():
    # The demand for 0x040 arrives at 5 ns while the prefetch (sent at 1 ns)
    # is in flight: an MSHR hit (a miss), answered 2 cycles after the fill
    # at 11 ns; the line is not tagged, so it can never count as useful.
    script = [(0, R, 0x000, 8), (5 * NS, R, 0x040, 8)]
    system = run(build(script, NextLinePrefetcher(degree=1)))
    pf, l1, cpu = pf_stats(system), stats_dict(system.l1), stats_dict(system.cpu)
    assert cpu["respTick::1"] == 13 * NS
    assert l1["ReadReq.mshrHits::cpu.data"] == 1
    assert l1["ReadReq.misses::cpu.data"] == 2
    assert pf["pfIssued"] == 2                       # 0x040, then 0x080 from the second miss
    assert pf["pfOutcome::late"] == 1
    assert pf["pfOutcome::residentAtEnd"] == 1       # 0x080
    assert pf["pfUseful"] == 0
    assert pf["pfLate"] == 0                         # gem5's pfLate: dropped at issue
    assert pf["demandMshrMisses"] == 1
    assert_balanced(pf)


# --- redundant candidates -------------------------------------------------------

def test_candidate_already_queued_is_a_buffer_hit():
    # The second access (0.5 ns, same line, merged) asks for 0x040 again
    # while the first request for it waits in the queue.
    system = run(build([(0, R, 0x000, 8), (500, R, 0x008, 8)], NextLinePrefetcher(degree=1)))
    pf = pf_stats(system)
    assert pf["pfIdentified"] == 2 and pf["pfBufferHit"] == 1 and pf["pfIssued"] == 1
    assert pf["pfDropped::inQueue"] == 1
    assert_balanced(pf)


@pytest.mark.parametrize("snoop", [False, True])
def test_candidate_in_cache_is_dropped(snoop):
    # prefetch_on_access: the hit at 50 ns trains too and asks for 0x080,
    # which the first prefetch already brought. Without cache_snoop it is
    # issued and dropped at the cache (gem5's pfHitInCache / pfLate); with
    # it, it never enters the queue (pfInCache).
    pf_obj = NextLinePrefetcher(degree=1, cache_snoop=snoop, prefetch_on_access=True, prefetch_on_pf_hit=False)
    system = run(build([(0, R, 0x040, 8), (50 * NS, R, 0x040, 8)], pf_obj))
    pf = pf_stats(system)
    assert [a for _, a, _ in mem_log(system)] == [0x080, 0x040]
    if snoop:
        assert pf["pfInCache"] == 1 and pf["pfIssued"] == 1 and pf["pfHitInCache"] == 0
        assert pf["pfDropped::inCache"] == 1
    else:
        assert pf["pfInCache"] == 0 and pf["pfIssued"] == 2 and pf["pfHitInCache"] == 1
        assert pf["pfLate"] == 1 and pf["pfOutcome::droppedAtIssue"] == 1
    assert_balanced(pf)


def test_prefetch_of_a_line_with_a_demand_miss_in_flight_hits_in_mshr():
    # 0x080's demand MSHR exists when the prefetch for 0x080 (asked by the
    # miss on 0x040 at 0.5 ns) leaves the queue at 1.5 ns.
    system = run(build([(0, R, 0x080, 8), (500, R, 0x040, 8)], NextLinePrefetcher(degree=1)))
    pf = pf_stats(system)
    assert pf["pfHitInMSHR"] == 1 and pf["pfLate"] == 1
    assert pf["pfIssued"] == 2                         # 0x0C0 and (dropped) 0x080
    assert_balanced(pf)


def test_cache_level_trigger_overrides():
    # The cache's prefetch_on_access / prefetch_on_pf_hit replace the
    # prefetcher's: here hits train, so the second access queues 0x080.
    system = run(build([(0, R, 0x040, 8), (50 * NS, R, 0x040, 8)], NextLinePrefetcher(degree=1, cache_snoop=True),
                       l1=dict(prefetch_on_access=True, prefetch_on_pf_hit=False)))
    assert pf_stats(system)["pfInCache"] == 1


def test_full_queue_drops_the_oldest_and_page_crossing_candidates_are_dropped():
    # queue_size 2, degree 4, 10-cycle latency: 0x40, 0x80 queued; 0xC0
    # pushes out 0x40, 0x100 pushes out 0x80. The access at 0xFC0 asks for
    # two lines of the next 4 KiB page: counted in pfSpanPage, not issued.
    pf_obj = NextLinePrefetcher(degree=4, queue_size=2, latency=10)
    system = run(build([(0, R, 0x000, 8), (100 * NS, R, 0xFC0, 8)], pf_obj,
                       l1=dict(size="2KiB", assoc=4)))
    pf = pf_stats(system)
    assert [a for _, a, who in mem_log(system) if who == "l1.prefetcher"] == [0xC0, 0x100]
    assert pf["pfIdentified"] == 4 and pf["pfRemovedFull"] == 2 and pf["pfIssued"] == 2
    assert pf["pfSpanPage"] == 4
    assert pf["pfDropped::queueFull"] == 2
    assert_balanced(pf)


def test_demand_squashes_a_queued_prefetch():
    # latency 10 cycles: 0x040 waits in the queue until 10 ns; the demand
    # miss on 0x040 at 5 ns removes it (queue_squash).
    system = run(build([(0, R, 0x000, 8), (5 * NS, R, 0x040, 8)], NextLinePrefetcher(degree=1, latency=10)))
    pf = pf_stats(system)
    assert pf["pfRemovedDemand"] == 1 and pf["pfDropped::demandSquash"] == 1
    assert [a for _, a, who in mem_log(system) if who == "l1.prefetcher"] == [0x080]
    assert_balanced(pf)


def test_demand_mshr_reserve_holds_back_prefetches():
    # mshrs=2, demand_mshr_reserve=1: a prefetch needs 2 free MSHRs.
    system = run(build([(0, R, 0x000, 8)], NextLinePrefetcher(degree=1), l1=dict(mshrs=2)))
    # Not issued while the demand holds an MSHR: only after its fill (12 ns),
    # at the clock edge.
    assert mem_log(system) == [(2 * NS, 0x000, "cpu.data"), (12 * NS + 1, 0x040, "l1.prefetcher")]


# --- balance under load, and across a stats reset ---------------------------------------

def test_balanced_accounts_under_random_load_and_reset():
    rng = random.Random(5)
    script, t = [], 0
    for i in range(400):
        t += rng.choice([0, 1, 3, 20]) * NS
        base = rng.choice([0x0, 0x4000, 0x8000]) + (i % 64) * 64 if rng.random() < 0.6 else rng.randrange(1 << 16)
        addr = base & ~7
        script.append((t, W if rng.random() < 0.2 else R, addr, 8, i))
    l2 = dict(size="2KiB", assoc=4, tag_latency=4, data_latency=4, response_latency=4, mshrs=8, tgts_per_mshr=4)
    system = build(script, None, l1=dict(size="512B", assoc=2), l2=l2, l2_prefetcher=NextLinePrefetcher(degree=4))
    npusim.simulate(t // 2)
    assert_balanced(pf_stats(system, "l2"))
    npusim.stats.reset()
    run(system)
    pf = pf_stats(system, "l2")
    assert pf["pfIssued"] > 50
    assert_balanced(pf)
    l2s = stats_dict(system.l2)
    assert l2s["HardPFReq.mshrMisses::l2.prefetcher"] == pf["pfIssued"] - pf["pfLate"]
    assert pf["accuracy"] == pytest.approx(pf["pfUseful"] / pf["pfIssued"])
    assert pf["coverage"] == pytest.approx(pf["pfUseful"] / (pf["pfUseful"] + pf["demandMshrMisses"]))
    assert pf["demandMshrMisses"] == l2s["demandMshrMisses::total"]


def test_l2_prefetcher_stat_names(tmp_path):
    l2 = dict(size="2KiB", assoc=4, tag_latency=4, data_latency=4, response_latency=4, mshrs=8, tgts_per_mshr=4)
    system = run(build([(0, R, 0x0, 8), (100 * NS, R, 0x40, 8)], None, l2=l2,
                       l2_prefetcher=NextLinePrefetcher(degree=1)))
    npusim.stats.dump()
    names = [line.split()[0] for line in (tmp_path / "m5out" / "stats.txt").read_text().splitlines()
             if line.startswith("system.l2")]
    for name in ["system.l2.HardPFReq.mshrMisses::l2.prefetcher", "system.l2.prefetcher.pfIssued",
                 "system.l2.prefetcher.pfUseful", "system.l2.prefetcher.accuracy", "system.l2.prefetcher.coverage",
                 "system.l2.prefetcher.pfLate", "system.l2.prefetcher.pfIdentified",
                 "system.l2.prefetcher.pfOutcome::useful", "system.l2.prefetcher.pfOutcome::total",
                 "system.l2.prefetcher.pfDropped::total", "system.l2.ReadSharedReq.mshrMisses::cpu.data"]:
        assert name in names, name
    assert "system.l2.prefetcher.pfUnused" not in names           # nozero, as in gem5


# --- the prefetcher sees line data ----------------------------------------------------------

def test_prefetcher_reads_line_data_on_hits_fills_and_evictions():
    # Memory holds a pointer 0x2000 at 0x100. The first read misses (no data
    # yet); the second hits and carries the line, so the prefetcher follows
    # the pointer. Fills and the eviction forced by a 1-set cache arrive
    # with their data.
    script = [(0, R, 0x100, 8), (50 * NS, R, 0x100, 8), (100 * NS, R, 0x3000, 8), (150 * NS, R, 0x4000, 8)]
    system = run(build(script, CacheTestDataPrefetcher(), l1=dict(size="128B", assoc=2),
                       mem_init={0x100: (0x2000).to_bytes(8, "little")}))
    assert [(a, who) for _, a, who in mem_log(system)] == [
        (0x100, "cpu.data"), (0x2000, "l1.prefetcher"), (0x3000, "cpu.data"), (0x4000, "cpu.data")]
    pf = pf_stats(system)
    assert pf["accessesWithData"] == 1          # only the hit; misses carry no data
    assert pf["fillsSeen"] == 4
    assert pf["evictionsSeen"] == 2
    assert pf["evictedUnusedSeen"] == 1 and pf["pfUnused"] == 1
