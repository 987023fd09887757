"""Prefetchers of set B -- AMPM, SlimAMPM, SPP, SPPv2, ISB, STeMS, PIF: the
exact lines each one sends to memory on hand-worked access patterns, with
gem5_compat against the paper-following default where they differ, plus
gem5's parameter names/defaults and the storage budgets.

Every test drives one L1 cache from a TraceReplayer (reads of 8 bytes, one
every GAP = 100 ns, with PCs where the prefetcher needs them) over a
CacheTestMemory (10 ns) that records every request. With 1 GHz clocks a
prefetch caused by access i leaves, and lands, before access i + 1, so the
memory's log groups the prefetches by the access that caused them. Lines
that are still cached when a prefetch for them leaves the queue are
dropped by the cache (gem5's pfHitInCache) and never reach memory.

Temporal prefetchers replay lines in other pages; like gem5 without a TLB,
npusim's prefetch queue drops candidates outside the trigger's page, so
those tests use large pages (page_bytes = 64 MiB).
"""

import pytest

from npusim.objects import (AccessMapPatternMatching, AMPMPrefetcher, IrregularStreamBufferPrefetcher,
                            PIFPrefetcher, SignaturePathPrefetcher, SignaturePathPrefetcherV2, SlimAMPMPrefetcher,
                            STeMSPrefetcher, TraceReplayer)
from npusim.testing import stats_dict
from npusim.traces import make_packets

from helpers import cache_system, memory_log, run_until_done

NS = 1000
GAP = 100 * NS
BIG_PAGES = "64MiB"
L1 = dict(size="8KiB", assoc=8, tag_latency=1, data_latency=1, response_latency=1, mshrs=8, tgts_per_mshr=4)


def run(accesses, prefetcher, gap=GAP, **l1):
    """Plays `accesses` (addresses, or (address, pc) pairs) through an L1
    with `prefetcher`; returns the system after the last prefetches land."""
    addrs = [a if isinstance(a, int) else a[0] for a in accesses]
    pcs = [0 if isinstance(a, int) else a[1] for a in accesses]
    trace = make_packets(tick=[i * gap for i in range(len(addrs))], cmd=1, addr=addrs, size=8, pc=pcs)
    system = cache_system(TraceReplayer(trace=trace, mode="window", max_outstanding=4), {**L1, **l1}, prefetcher)
    # AMPM's epoch event never lets the queue empty: run one more gap
    run_until_done(extra_ticks=gap)
    return system


def issued(system, gap=GAP):
    """Prefetch addresses that reached memory, grouped by the access (index)
    that caused them, in the order they were sent."""
    out = {}
    for r in memory_log(system.mem):
        if r.requestor.endswith("prefetcher"):
            out.setdefault(r.tick // gap, []).append(r.addr)
    return out


def per_access(system, count, gap=GAP, base=0, unit=1):
    """issued() as a list over the `count` accesses, addresses as (a - base) // unit."""
    got = issued(system, gap)
    return [[(a - base) // unit for a in got.get(i, [])] for i in range(count)]


def pf(system):
    return stats_dict(system.l1.prefetcher)


Z = 0x10000          # a 2 KiB hot zone (32 lines) at the start of a 4 KiB page
LINE = 64


def lines(*idx):
    return [Z + LINE * i for i in idx]


# --- AMPM ---------------------------------------------------------------------------

def test_ampm_unit_stride_exact_candidates():
    # Lines 0..4 of a zone. Ascending stride s: the line at +s is a
    # candidate when the lines at -s and at -2s or -2s+1 were accessed; the
    # target must still be Init (the paper). For s = 1, -2s+1 is -1 itself.
    #   line 0: nothing accessed before
    #   line 1: s=1 -> 2
    #   line 2: s=1 -> 3       (s=2 needs line -2 or -1 of the zone: no)
    #   line 3: s=1 -> 4, s=2 -> 5 (line 1 and line 0 = -2s+1)
    #   line 4: s=1 -> 5 is already Prefetch; s=2 -> 6 (lines 2 and 0)
    system = run(lines(0, 1, 2, 3, 4), AMPMPrefetcher())
    assert per_access(system, 5, base=Z, unit=LINE) == [[], [2], [3], [4, 5], [6]]
    s = pf(system)
    assert s["pfIssued"] == 5 and s["pfHitInCache"] == 0
    assert s["pfUseful"] == 3                       # lines 2, 3, 4 were demanded after their prefetch


def test_ampm_gem5_compat_issues_prefetched_lines_again():
    # gem5 accepts any target of a valid zone: at line 4, line 5 (prefetched
    # by line 3, in the cache by now) is a candidate again; the cache drops
    # it at issue (pfHitInCache), so memory sees the same lines.
    system = run(lines(0, 1, 2, 3, 4), AMPMPrefetcher(gem5_compat=True))
    assert per_access(system, 5, base=Z, unit=LINE) == [[], [2], [3], [4, 5], [6]]
    s = pf(system)
    assert s["pfIssued"] == 6 and s["pfHitInCache"] == 1


def test_ampm_descending_stream_and_next_zone():
    # Descending: the line at -s when +s and +2s (or +2s+1) were accessed.
    #   31, 30: nothing (+2 lies in the next zone, untouched); 29: 28; 28: 27.
    down = run(lines(31, 30, 29, 28), AMPMPrefetcher())
    assert per_access(down, 4, base=Z, unit=LINE) == [[], [], [28], [27]]
    # Ascending across the zone boundary: at line 31, the next zone's line 0.
    up = run(lines(29, 30, 31), AMPMPrefetcher())
    assert per_access(up, 3, base=Z, unit=LINE) == [[], [31], [32]]


def test_ampm_degree_limits_candidates_per_access():
    system = run(lines(0, 1, 2, 3, 4), AMPMPrefetcher(ampm=AccessMapPatternMatching(start_degree=1)))
    assert per_access(system, 5, base=Z, unit=LINE) == [[], [2], [3], [4], [5]]


@pytest.mark.parametrize("compat, epoch, at_line_3", [
    (True, 256000, [4]), (True, 70, [4, 5]), (False, 256000, [4]), (False, 70, [4, 5])])
def test_ampm_epoch_degree(compat, epoch, at_line_3):
    # Lines 0..3, start_degree 1: line 3 has two candidates (4, 5).
    # No epoch ends within 256000 cycles: degree 1 -> 4 only. With 70-cycle
    # epochs (70 ns at 1 GHz), the epoch (140, 210] ns holds the access to
    # line 2, a hit on its prefetch (accuracy and coverage 1): the useful
    # degree rises to 2, the paper's degree (npusim's default) -> 4, 5.
    # gem5 caps it with its bandwidth term, requests x 30 ns / 70 ns, from
    # the epoch (210, 280] that saw no request: min(0, 2) = 0, which gem5
    # treats as no limit at all -> 4, 5 as well (any number would pass).
    amp = AccessMapPatternMatching(start_degree=1, epoch_cycles=epoch)
    system = run(lines(0, 1, 2, 3), AMPMPrefetcher(ampm=amp, gem5_compat=compat))
    assert per_access(system, 4, base=Z, unit=LINE) == [[], [2], [3], at_line_3]


def test_ampm_gem5_compat_demotes_accessed_lines():
    # Lines 0, 2, 1, 3. In gem5 the access to line 1 proposes line 2 again
    # (accessed, so in the cache: dropped at issue) and marks it Prefetch:
    # at line 3, stride 1 no longer sees line 2 as accessed and only 5
    # remains (s=2: lines 1 and 0). The paper keeps line 2 accessed: 4, 5.
    # (Each run's results are read before the next run replaces the objects.)
    paper = run(lines(0, 2, 1, 3), AMPMPrefetcher())
    assert per_access(paper, 4, base=Z, unit=LINE) == [[], [], [], [4, 5]]
    assert pf(paper)["pfHitInCache"] == 0
    gem5 = run(lines(0, 2, 1, 3), AMPMPrefetcher(gem5_compat=True))
    assert per_access(gem5, 4, base=Z, unit=LINE) == [[], [], [], [5]]
    assert pf(gem5)["pfHitInCache"] == 1


# --- SlimAMPM -------------------------------------------------------------------------

def test_slim_ampm_without_pc_is_its_access_map():
    # DCPT ignores accesses without a PC, so the access map (start_degree 2,
    # limit_stride 4) decides: the same lines as AMPM on this pattern.
    system = run(lines(0, 1, 2, 3, 4), SlimAMPMPrefetcher())
    assert per_access(system, 5, base=Z, unit=LINE) == [[], [2], [3], [4, 5], [6]]


def test_slim_ampm_asks_dcpt_first():
    # One PC, lines 0..3 (deltas of 64 bytes). DCPT (9 deltas, fresh entries
    # hold 0s, deltas compared >> 8 so 64 matches 0):
    #   line 0: new DCPT entry, no candidate -> access map: nothing
    #   line 1: one delta, the pair (0, 64) has a 0 -> none -> access map: 2
    #   line 2: pair (64, 64) matches (0, 0) at the oldest position; the
    #           deltas after it (0 x5, 64, 64) from line 2: line 2 (x5), 3, 4.
    #           DCPT answered, so the access map is not consulted (and does
    #           not record line 2). Line 2 is cached: only 3 and 4 go out.
    #   line 3: (0 x4, 64 x3) from line 3: 3 (x4), 4, 5, 6 -> 5, 6 go out.
    pc = 0x4000
    system = run([(a, pc) for a in lines(0, 1, 2, 3)], SlimAMPMPrefetcher())
    assert per_access(system, 4, base=Z, unit=LINE) == [[], [2], [3, 4], [5, 6]]
    # AMPM alone on the same accesses: line 2 -> 3, line 3 -> 4, 5.
    alone = run([(a, pc) for a in lines(0, 1, 2, 3)], AMPMPrefetcher())
    assert per_access(alone, 4, base=Z, unit=LINE) == [[], [2], [3], [4, 5]]


def test_slim_ampm_parts_are_gem5s_slim_objects():
    p = SlimAMPMPrefetcher()
    assert (p.ampm.start_degree, p.ampm.limit_stride) == (2, 4)
    assert (int(p.dcpt.table_entries), p.dcpt.table_assoc, p.dcpt.deltas_per_entry) == (256, 256, 9)
    assert type(p.dcpt).__name__ == "SlimDeltaCorrelatingPredictionTables"


# --- SPP ----------------------------------------------------------------------------

def test_spp_constant_stride_lookahead_by_confidence():
    # Lines 0..12 of a page (delta +1). Line 0 opens the page's entry
    # (signature 0). Signatures: 0 -> 1 -> 9 -> 73 -> 585, and 585 is a fixed
    # point ((585 << 3) ^ 1 = 585 in 12 bits): from line 5 on, the pattern
    # entry 585 counts +1 once per access (3-bit counter, max 7). A delta is
    # prefetched from confidence c/7 >= 0.5 (c >= 4); the path goes on while
    # its confidence, multiplied per step by min(c/7, 0.95), stays > 0.75.
    #   lines 1..7 (unknown signature, or c <= 3): next line
    #   line 8 (c=4): 9      line 9 (c=5): 10
    #   line 10 (c=6): 11, then 0.857 > 0.75 -> 12, then 0.735: stop
    #   line 11 (c=7): 12..17 (path 1, .95, .90, .86, .81, .77, then .735)
    #   line 12: 13..18; only 18 is new.
    system = run(lines(*range(13)), SignaturePathPrefetcher())
    assert per_access(system, 13, base=Z, unit=LINE) == [
        [], [2], [3], [4], [5], [6], [7], [8], [9], [10], [11, 12], [13, 14, 15, 16, 17], [18]]


def test_spp_lookahead_threshold_cuts_the_path():
    # Same stream, lookahead_confidence_threshold 0.8: at line 11 the path
    # stops before the step of confidence 0.774 -> 12..16 (12 was sent at
    # line 10).
    # Line 10 still goes one step (0.857 > 0.8): 11, 12. Line 12 adds 17.
    system = run(lines(*range(13)), SignaturePathPrefetcher(lookahead_confidence_threshold=0.8))
    got = per_access(system, 13, base=Z, unit=LINE)
    assert got[10:] == [[11, 12], [13, 14, 15, 16], [17]]


def test_spp_repeated_delta_path():
    # Deltas +1, +3, +1, +3 ... (lines 0, 1, 4, 5, 8, ...). The signature
    # settles into a 2-cycle: 715 (after ... +3) expects +1, 1625 (after
    # ... +1) expects +3; each counts once per round. With counts c(715),
    # c(1625) at each access:
    #   21: c(1625)=3 < 4: next line 22
    #   24: 715 (c 4): 25          25: 1625 (4): 28
    #   28: 715 (5): 29            29: 1625 (5): 32
    #   32: 715 (6): 33, path .857 -> 1625 (6): 36, .735 stop
    #   33: 1625 (6): 36, .857 -> 715 (7): 37, .814 -> 1625: 40, .698 stop
    #   36: 715 (7): 37, 40, 41, 44, 45, 48 (path .95 .90 .86 .81 .77 .735)
    #   37: 40, 41, 44, 45, 48, 49
    # Memory sees the lines not already prefetched.
    seq = [x for r in range(10) for x in (4 * r, 4 * r + 1)]
    system = run(lines(*seq), SignaturePathPrefetcher())
    got = dict(zip(seq, per_access(system, len(seq), base=Z, unit=LINE)))
    assert got[21] == [22]
    assert [got[x] for x in (24, 25, 28, 29, 32, 33, 36, 37)] == [
        [25], [28], [29], [32], [33, 36], [37, 40], [41, 44, 45, 48], [49]]


def test_spp_page_revisited_keeps_its_entry():
    # A page's signature-table entry outlives the pass over the page (as in
    # gem5): coming back to line 0 after line 12 is not a first access
    # (which issues nothing) but the delta -12 from the entry's last line.
    # A 1 KiB 2-way L1 (8 sets) has evicted lines 0 and 1 by then (lines
    # 16 and 17 were prefetched into their sets).
    #   line 0 again: pattern 585 learns -12 (counter 1, not a candidate);
    #     signature ((585 << 3) ^ 0xfff4) & 0xfff = 0xdbc, unknown: next line 1
    #   line 1 (prefetch hit, trains): +1 into 0xdbc, signature 0xde1,
    #     unknown: next line 2
    # This is what a gem5 run does at the start of its region of interest
    # when the kernel's initialisation has already streamed over the same
    # pages (docs/validation.md).
    seq = list(range(13)) + [0, 1]
    system = run(lines(*seq), SignaturePathPrefetcher(), size="1KiB", assoc=2)
    got = per_access(system, len(seq), base=Z, unit=LINE)
    assert got[0] == [] and got[11] == [13, 14, 15, 16, 17]
    assert got[13:] == [[1], [2]]


def test_sppv2_lookahead_is_bounded_by_the_page():
    # SPPv2 scales each step by the global accuracy. Lines 0..5 (+1): the
    # next-line prefetches of 2, 3, 4, 5 are all used, so at line 5 the
    # accuracy is 4/4 = 1 and the path (C_delta / C_sig = 1) never loses
    # confidence: gem5 v24 loops forever here. npusim stops where the path
    # leaves the page: lines 6..63, the candidate for line 64 (next page) is
    # dropped by the queue.
    system = run(lines(*range(6)), SignaturePathPrefetcherV2(queue_size=64), gap=1000 * NS, mshrs=16)
    got = per_access(system, 6, gap=1000 * NS, base=Z, unit=LINE)
    assert got == [[], [2], [3], [4], [5], list(range(6, 64))]
    assert pf(system)["pfSpanPage"] == 1


# --- ISB --------------------------------------------------------------------------

PC1, PC2, PC3 = 0x1000, 0x2000, 0x3000
# Irregular lines, spread over sets and pages.
SEQ = {name: addr for name, addr in zip("AXMQRT", [0x210000, 0x5400C0, 0x033340, 0x07F880, 0x123400, 0x698740])}
FILL = [0x800000 + 0x40 * i for i in range(16)]   # 16 lines: flush a 1 KiB 2-way cache


def names(addrs):
    back = {v: k for k, v in SEQ.items()}
    return [back.get(a, hex(a)) for a in addrs]


@pytest.mark.parametrize("compat, at_a, at_x", [(False, "XMQR", "T"), (True, "X", "")])
def test_isb_replays_a_sequence_from_its_head(compat, at_a, at_x):
    # PC1 touches L0..L13 then A X M Q R T: structural addresses 0..19, so A
    # is 14 and its successors 15..19 straddle the SP-AMC entry boundary at
    # 16. PC3 flushes the cache. PC2 then reaches A: the lines mapped at
    # 15..18 (degree 4) are prefetched -- X M Q R. At X, PC2's training
    # confirms X = A + 1 and 16..19 are predicted: only T is new.
    # gem5_compat only looks inside A's SP entry (15): X alone, and nothing
    # after X (16.. lie in the next entry).
    lead = [(0x900000 + 0x1040 * i, PC1) for i in range(14)]
    train = lead + [(SEQ[c], PC1) for c in "AXMQRT"] + [(a, PC3) for a in FILL]
    replay = [(SEQ["A"], PC2), (SEQ["X"], PC2)]
    system = run(train + replay,
                 IrregularStreamBufferPrefetcher(gem5_compat=compat, page_bytes=BIG_PAGES),
                 size="1KiB", assoc=2)
    got = issued(system)
    n = len(train)
    assert all(i >= n for i in got)                   # training predicts nothing
    assert names(got.get(n, [])) == list(at_a)
    assert names(got.get(n + 1, [])) == list(at_x)


def test_isb_needs_a_pc():
    seq = [SEQ[c] for c in "AXMQRT"] + FILL + [SEQ["A"], SEQ["X"]]
    system = run(seq, IrregularStreamBufferPrefetcher(page_bytes=BIG_PAGES), size="1KiB", assoc=2)
    assert issued(system) == {} and pf(system)["pfIdentified"] == 0


# --- STeMS -------------------------------------------------------------------------

# 2 KiB regions; a direct-mapped 256 B cache (4 sets): the region bases share
# set 0 and the lines at offset 5 share set 1, so each access evicts the
# previous region's line -- which ends that region's generation.
RA, RX, RM, RF, RN, RO = 0x10000, 0x20000, 0x30000, 0x40000, 0x50000, 0x60000
STEMS_CACHE = dict(size="256B", assoc=1)


def test_stems_replays_the_triggers_that_followed():
    # Triggers A X N O F by one PC, then A again: a trigger miss. The RMOB
    # holds A X N O F A; from the previous A on, the stream is A, X, N, O, F:
    # A is the miss itself, F still sits in the cache (dropped at issue).
    seq = [(r, PC1) for r in (RA, RX, RN, RO, RF, RA)]
    system = run(seq, STeMSPrefetcher(page_bytes=BIG_PAGES), **STEMS_CACHE)
    assert issued(system) == {5: [RX, RN, RO]}
    assert pf(system)["pfHitInCache"] == 1          # F


def test_stems_replays_spatial_patterns_in_order():
    # Each region is touched at its base (the trigger) then at line 5.
    # Generations of A, X, M end as the next region evicts their base; each
    # trains the pattern (PC, trigger offset 0): line 5 reaches confidence 3
    # (> 1: predicted). At the trigger miss on A, the reconstruction buffer
    # holds, in order: A (the miss), A+5 (its pattern, next free slot), X,
    # X+5, M, M+5, F (cached), F+5 (cached), then A and A+5 again (the new
    # trigger, filtered). Sent: A+5, X, X+5, M, M+5.
    seq = []
    for r in (RA, RX, RM, RF):
        seq += [(r, PC1), (r + 5 * LINE, PC1)]
    seq.append((RA, PC1))
    system = run(seq, STeMSPrefetcher(page_bytes=BIG_PAGES), **STEMS_CACHE)
    assert issued(system) == {8: [RA + 5 * LINE, RX, RX + 5 * LINE, RM, RM + 5 * LINE]}


def test_stems_gem5_compat_finds_its_own_trigger():
    # gem5 appends A's new trigger before searching, finds it, and replays
    # from there: only A's region base, i.e. the missing line (in an MSHR).
    seq = [(r, PC1) for r in (RA, RX, RN, RO, RF, RA)]
    system = run(seq, STeMSPrefetcher(page_bytes=BIG_PAGES, gem5_compat=True), **STEMS_CACHE)
    assert issued(system) == {}
    assert pf(system)["pfHitInMSHR"] >= 1


def test_stems_needs_a_pc():
    system = run([RA, RX, RN, RO, RF, RA], STeMSPrefetcher(page_bytes=BIG_PAGES), **STEMS_CACHE)
    assert issued(system) == {} and pf(system)["pfIdentified"] == 0


# --- PIF ---------------------------------------------------------------------------

PA, PX, PM, PQ, PZ = 0x010000, 0x024000, 0x033000, 0x048000, 0x05A000
PFILL = [0x700000 + 0x40 * i for i in range(16)]


@pytest.mark.parametrize("compat", [False, True])
def test_pif_replays_records_one_ahead(compat):
    # Round 1: A, X, X+1, M, Q, Z become the records A, X (with X+1 in its
    # succeeding bits), M, Q, Z (logged when the next record starts); the
    # fill lines flush the cache. Round 2: A is in the index -> the record
    # after A is prefetched: X and X+1. X falls in that record -> the stream
    # moves on: M. X+1: nothing new. M -> Q, Q -> Z, Z -> the fill record.
    # gem5_compat: an index hit prefetches the indexed record itself and
    # records never include their trigger: A -> nothing (A has no bits),
    # X -> X+1 (its record's bits); M, Q, Z have no bits.
    rnd = [PA, PX, PX + LINE, PM, PQ, PZ]
    system = run(rnd + PFILL + rnd, PIFPrefetcher(gem5_compat=compat, page_bytes=BIG_PAGES),
                 size="1KiB", assoc=2)
    got = issued(system)
    start = len(rnd) + len(PFILL)
    second = [got.get(start + i, []) for i in range(len(rnd))]
    if compat:
        assert second[:5] == [[], [PX + LINE], [], [], []]
    else:
        assert second[:5] == [[PX, PX + LINE], [PM], [], [PQ], [PZ]]
    # After Z came the fill lines: Z's turn replays their record (those
    # not cached any more).
    assert second[5] and set(second[5]) <= set(PFILL)
    assert all(i >= start for i in got)               # round 1 predicts nothing


# --- parameters and budgets ----------------------------------------------------------

GEM5_DEFAULTS = {
    AccessMapPatternMatching: dict(limit_stride=0, start_degree=4, hot_zone_size="2KiB",
                                   access_map_table_entries="256", access_map_table_assoc=8,
                                   high_coverage_threshold=0.25, low_coverage_threshold=0.125,
                                   high_accuracy_threshold=0.5, low_accuracy_threshold=0.25,
                                   high_cache_hit_threshold=0.875, low_cache_hit_threshold=0.75,
                                   epoch_cycles=256000, offchip_memory_latency="30ns"),
    SignaturePathPrefetcher: dict(signature_shift=3, signature_bits=12, signature_table_entries="1024",
                                  signature_table_assoc=2, num_counter_bits=3, pattern_table_entries="4096",
                                  pattern_table_assoc=1, strides_per_pattern_entry=4,
                                  prefetch_confidence_threshold=0.5, lookahead_confidence_threshold=0.75),
    SignaturePathPrefetcherV2: dict(signature_table_entries="256", signature_table_assoc=1,
                                    pattern_table_entries="512", pattern_table_assoc=1, num_counter_bits=4,
                                    prefetch_confidence_threshold=0.25, lookahead_confidence_threshold=0.25,
                                    global_history_register_entries="8"),
    IrregularStreamBufferPrefetcher: dict(num_counter_bits=2, chunk_size=256, degree=4, training_unit_assoc=128,
                                          training_unit_entries="128", prefetch_candidates_per_entry=16,
                                          address_map_cache_assoc=128, address_map_cache_entries="128"),
    STeMSPrefetcher: dict(spatial_region_size="2KiB", active_generation_table_entries="64",
                          active_generation_table_assoc=64, pattern_sequence_table_entries="16384",
                          pattern_sequence_table_assoc=16384, region_miss_order_buffer_entries=131072,
                          add_duplicate_entries_to_rmob=True, reconstruction_entries=256),
    PIFPrefetcher: dict(prec_spatial_region_bits=2, succ_spatial_region_bits=8, compactor_entries=2,
                        stream_address_buffer_entries=7, history_buffer_size=16, index_entries="64",
                        index_assoc=64),
}


@pytest.mark.parametrize("cls", list(GEM5_DEFAULTS), ids=lambda c: c.__name__)
def test_gem5_parameter_names_and_defaults(cls):
    obj = cls()
    for name, value in GEM5_DEFAULTS[cls].items():
        desc = cls._params[name]
        assert desc.default == value, name                            # declared as gem5 declares it
        assert getattr(obj, name) == desc.convert(value, "x"), name   # and read converted, as in gem5
    for name in cls._params:
        if name.endswith("_replacement_policy"):
            assert type(getattr(obj, name)).__name__ == "LRURP"
    if "gem5_compat" in cls._params:
        assert obj.gem5_compat is False


def test_storage_budgets():
    # 64-bit addresses and PCs, as on the other prefetcher pages.
    # AMPM: 256 entries x (valid + 48-bit tag (53-bit zone number, 32 sets)
    # + 32 lines x 2 bits + 3 LRU bits), plus the epoch counters.
    assert AMPMPrefetcher().storage_bits() == {"access map table": 256 * (1 + 48 + 64 + 3),
                                               "epoch counters and degrees": 160}
    # SPP: ST 1024 x (1 + 43 + 12 + 6 + 1); PT 4096 x (1 + 0 + 4 x (7 + 3)).
    assert SignaturePathPrefetcher().storage_bits() == {"signature table": 1024 * 63, "pattern table": 4096 * 41}
    budgets = {cls.__name__: cls().storage_bytes() for cls in
               (AMPMPrefetcher, SlimAMPMPrefetcher, SignaturePathPrefetcher, SignaturePathPrefetcherV2,
                IrregularStreamBufferPrefetcher, STeMSPrefetcher, PIFPrefetcher)}
    assert budgets == {"AMPMPrefetcher": 3732, "SlimAMPMPrefetcher": 11700, "SignaturePathPrefetcher": 29056,
                       "SignaturePathPrefetcherV2": 5386, "IrregularStreamBufferPrefetcher": 27716,
                       "STeMSPrefetcher": 3291776, "PIFPrefetcher": 718}
    # Budgets follow the parameters: twice the entries, one tag bit fewer.
    assert AMPMPrefetcher(ampm=AccessMapPatternMatching(access_map_table_entries="512")).storage_bits()[
        "access map table"] == 512 * (1 + 47 + 64 + 3)
