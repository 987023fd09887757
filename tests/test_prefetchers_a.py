"""Tagged, Stride, DCPT, IMP, BOP, SBOOE and Multi prefetchers: the exact
lines each one asks memory for on access patterns worked by hand.

Harness: a blocking TraceReplayer (requests carry PCs) -> one Cache with the
prefetcher -> CacheTestMemory, which records every request it receives and
who sent it. Clock 1 GHz, memory latency 10 ns, cache latencies 2 cycles,
20 ns of think time after each response. A demand miss therefore reaches
memory 2 ns after it is sent and the next request leaves 34 ns after the
previous one (14 ns miss + 20 ns think); a hit takes 22 ns.
"""

import random

import numpy as np
import pytest

import npusim
from npusim.objects import (BOPPrefetcher, DCPTPrefetcher, DeltaCorrelatingPredictionTables,
                            IndirectMemoryPrefetcher, LRURP, MultiPrefetcher, RandomRP, SBOOEPrefetcher,
                            StridePrefetcher, TaggedPrefetcher, TraceReplayer)
from npusim.objects.requestors import REPLAY_DTYPE
from npusim.testing import stats_dict

from helpers import cache_system, memory_log, run_until_done

NS = 1000
LINE = 64
PF = "l1.prefetcher"


def trace(requests):
    """[(addr, pc, size), ...] -> replay rows (reads; pc 0 means no PC)."""
    t = np.zeros(len(requests), dtype=REPLAY_DTYPE)
    for i, (addr, pc, size) in enumerate(requests):
        t[i]["tick"] = i
        t[i]["addr"] = addr
        t[i]["pc"] = pc
        t[i]["has_pc"] = 1 if pc else 0
        t[i]["size"] = size
        t[i]["cmd"] = 1
    return t


def run(requests, prefetcher, think=20 * NS, mem_init=None, **cache):
    cpu = TraceReplayer(trace=trace(requests), think_times=np.full(max(len(requests) - 1, 0), think, dtype="<i8"))
    params = dict(size="256KiB", assoc=16, tag_latency=2, data_latency=2, response_latency=2, mshrs=32,
                  tgts_per_mshr=8)
    params.update(cache)
    system = cache_system(cpu, params, prefetcher, mem_init=mem_init)
    run_until_done(drain=True)     # prefetches in flight land
    return system


def mem_log(system):
    """[(tick, addr, requestor name)] of every request memory received."""
    return [(r.tick, r.addr, r.requestor) for r in memory_log(system.mem)]


def prefetched(system, requestor=PF):
    return [a for _, a, r in mem_log(system) if r == requestor]


def pf_stats(system):
    return stats_dict(system.l1.prefetcher)


def stream(addrs, pc=0x400, size=8):
    return [(a, pc, size) for a in addrs]


# --- declarations: gem5 v24.0 names and defaults (as gem5 writes them) ---------------

def test_declared_defaults_are_gem5s():
    # (defaults read converted, as in gem5: gem5's MemorySize "64" reads 64)
    s = StridePrefetcher()
    assert (s.confidence_counter_bits, s.initial_confidence, s.confidence_threshold, s.use_requestor_id,
            s.degree, s.distance, s.table_assoc, s.table_entries, s.on_inst) == (3, 4, 50, True, 4, 0, 4, 64, False)
    assert isinstance(s.table_replacement_policy, RandomRP)
    assert TaggedPrefetcher().degree == 2
    d = DeltaCorrelatingPredictionTables()
    assert (d.deltas_per_entry, d.delta_bits, d.delta_mask_bits, d.table_entries, d.table_assoc) == \
        (20, 12, 8, 128, 128)
    assert isinstance(d.table_replacement_policy, LRURP)
    i = IndirectMemoryPrefetcher()
    assert (i.pt_table_entries, i.pt_table_assoc, i.max_prefetch_distance, i.num_indirect_counter_bits,
            i.ipd_table_entries, i.ipd_table_assoc, list(i.shift_values), i.addr_array_len,
            i.prefetch_threshold, i.stream_counter_threshold, i.streaming_distance) == \
        (16, 16, 16, 3, 4, 4, [2, 3, 4, -3], 4, 2, 4, 4)
    b = BOPPrefetcher()
    assert (b.score_max, b.round_max, b.bad_score, b.rr_size, b.tag_bits, b.offset_list_size,
            b.negative_offsets_enable, b.delay_queue_enable, b.delay_queue_size, b.delay_queue_cycles,
            b.degree, b.gem5_tag_bug) == (31, 100, 10, 64, 12, 46, True, True, 15, 60, 1, False)
    # gem5 v24.0 (later gem5 sets cache_snoop, on_miss, not on_inst)
    assert (b.queue_squash, b.queue_filter, b.cache_snoop, b.prefetch_on_pf_hit, b.on_miss, b.on_inst) == \
        (True, True, False, True, False, True)
    o = SBOOEPrefetcher()
    assert (o.latency_buffer_size, o.sequential_prefetchers, o.sandbox_entries, o.score_threshold_pct) == \
        (32, 9, 1024, 25)
    assert list(MultiPrefetcher().prefetchers) == []


def test_configuration_errors_name_the_parameter():
    with pytest.raises(npusim.SimulationError, match=r"l1\.prefetcher\.initial_confidence"):
        run(stream([0]), StridePrefetcher(initial_confidence=8))
    npusim.reset()
    with pytest.raises(npusim.SimulationError, match=r"l1\.prefetcher\.offset_list_size"):
        run(stream([0]), BOPPrefetcher(offset_list_size=45))
    npusim.reset()
    with pytest.raises(npusim.SimulationError, match=r"table"):
        run(stream([0]), DCPTPrefetcher(dcpt=DeltaCorrelatingPredictionTables(table_entries="96",
                                                                               table_assoc=32)))


# --- Tagged ---------------------------------------------------------------------------

def test_tagged_prefetches_degree_next_lines_and_retriggers_on_a_tagged_hit():
    base = 0x10000
    # miss at base -> base+1..3 lines; the hit on the prefetched base+1
    # (first use of a tagged line) -> base+2..4, of which only base+4 is new;
    # the second hit on base+1 is not tagged any more: nothing.
    sys_ = run(stream([base, base + LINE, base + LINE + 8]), TaggedPrefetcher(degree=3))
    assert prefetched(sys_) == [base + LINE, base + 2 * LINE, base + 3 * LINE, base + 4 * LINE]
    pf = pf_stats(sys_)
    # base+2 and base+3 were long issued when the hit asked again: queued
    # anew (no cache_snoop) and dropped at issue as already cached.
    assert pf["pfIdentified"] == pf["pfIssued"] == 6
    assert pf["pfHitInCache"] == 2
    assert pf["pfUseful"] == 1


def test_tagged_stops_at_the_page_boundary():
    last = 0x10000 + 4096 - LINE                   # last line of a page: every candidate crosses
    sys_ = run(stream([last - LINE, last]), TaggedPrefetcher(degree=2))
    # the first miss asks for last and last+1 (the latter crosses); the
    # second access hits the prefetched line and asks for two crossing lines.
    assert prefetched(sys_) == [last]
    assert pf_stats(sys_)["pfSpanPage"] == 3


# --- Stride ---------------------------------------------------------------------------

def test_stride_unit_stride_after_training():
    # entry allocated (confidence 4), stride learnt (4 -> 3, below 50 %),
    # stride confirmed (3 -> 4 = 57 %): prefetch a2 + k*64, k = 1..4.
    base = 0x20000
    sys_ = run(stream([base, base + 64, base + 128]), StridePrefetcher())
    assert prefetched(sys_) == [base + 128 + 64 * k for k in range(1, 5)]


def test_stride_non_unit_stride_with_distance():
    base, s = 0x20000, 192
    sys_ = run(stream([base, base + s, base + 2 * s]), StridePrefetcher(distance=2, degree=3))
    assert prefetched(sys_) == [base + 2 * s + k * s for k in (3, 4, 5)]


def test_stride_negative_and_sub_line_strides():
    base = 0x21000
    sys_ = run(stream([base, base - 128, base - 256]), StridePrefetcher(degree=2))
    assert prefetched(sys_) == [base - 256 - 128, base - 256 - 256]
    npusim.reset()
    # An 8-byte stride, every access observed (the hits on a line no prefetch
    # brought are not, by default): the prefetch stride is rounded up to one
    # line, a2 + 64k, k = 1, 2.
    sys_ = run(stream([base, base + 8, base + 16]),
               StridePrefetcher(degree=2, prefetch_on_access=True, prefetch_on_pf_hit=False))
    assert prefetched(sys_) == [base + LINE, base + 2 * LINE]
    npusim.reset()
    # By default the two hits are not observed: no training at all.
    sys_ = run(stream([base, base + 8, base + 16]), StridePrefetcher(degree=2))
    assert prefetched(sys_) == []


def test_candidates_below_address_zero_are_dropped_not_wrapped():
    # A descending stream near address 0 with page crossing allowed: the
    # stride runs past line 0, and those candidates (wrapped around to huge
    # addresses) are dropped and counted, not sent to a memory that has no
    # such address.
    sys_ = run(stream([0x100, 0xC0, 0x80]), StridePrefetcher(degree=4, prefetch_across_pages=True))
    assert prefetched(sys_) == [0x40, 0x0]
    s = pf_stats(sys_)
    assert s["pfOutOfRange"] == 2 and s["pfSpanPage"] == 2 and s["pfIdentified"] == 2


def test_l2_prefetcher_trains_on_the_byte_addresses_the_core_asked_for():
    # gem5 hands a prefetcher below the L1 the request's own address
    # (req->getPaddr()), not the L1's line-aligned miss. A 144-byte stride
    # from offset 48 misses the L1 every time; its byte addresses keep one
    # stride (144) where its lines do not (192, then 128), so the L2's
    # StridePrefetcher learns it on the third access: a2 + 144k, k = 1..4.
    base = 0x20000
    addrs = [base + 48 + 144 * i for i in range(3)]
    cpu = TraceReplayer(trace=trace(stream(addrs)), think_times=np.full(2, 20 * NS, dtype="<i8"))
    l1 = dict(size="4KiB", assoc=4, tag_latency=1, data_latency=1, response_latency=1, mshrs=4, tgts_per_mshr=4)
    l2 = dict(size="64KiB", assoc=8, tag_latency=2, data_latency=2, response_latency=2, mshrs=16, tgts_per_mshr=8)
    system = cache_system(cpu, l1, l2=l2, l2_prefetcher=StridePrefetcher())
    run_until_done(drain=True)
    assert prefetched(system, "l2.prefetcher") == [(addrs[2] + 144 * k) & ~(LINE - 1) for k in range(1, 5)]


def test_stride_tracks_interleaved_pcs_separately():
    a, b = 0x30000, 0x40000
    reqs = []
    for i in range(3):
        reqs.append((a + 128 * i, 0x400, 8))
        reqs.append((b + 320 * i, 0x480, 8))
    sys_ = run(reqs, StridePrefetcher())
    want_a = [a + 256 + 128 * k for k in range(1, 5)]
    want_b = [b + 640 + 320 * k for k in range(1, 5)]
    got = prefetched(sys_)
    assert got == want_a + [x for x in want_b if x not in want_a]


def test_stride_ignores_requests_without_a_pc():
    base = 0x20000
    sys_ = run([(base + 64 * i, 0, 8) for i in range(6)], StridePrefetcher())
    assert prefetched(sys_) == []


def test_stride_keeps_its_stride_on_one_outlier_but_prefetches_along_it_as_gem5_v24():
    # confidence 4 after a2, 5 after a3 (prefetched hit); a4 jumps by 320:
    # confidence 4 (>= 50 %), the stored stride stays 128, and gem5 v24.0
    # prefetches along the stride just seen: a4 + 320k.
    base = 0x20000
    addrs = [base + 128 * i for i in range(4)] + [base + 3 * 128 + 320]
    sys_ = run(stream(addrs), StridePrefetcher())
    a2, a3, a4 = addrs[2], addrs[3], addrs[4]
    # a3 (a prefetched hit) adds a3 + 4*128 only; a4 adds a4 + 320k, k = 1..4.
    want = [a2 + 128 * k for k in range(1, 5)] + [a3 + 128 * 4] + [a4 + 320 * k for k in range(1, 5)]
    assert prefetched(sys_) == want


# --- DCPT -----------------------------------------------------------------------------

def _alternating(base, n):
    addrs = [base]
    for i in range(n - 1):
        addrs.append(addrs[-1] + (64 if i % 2 == 0 else 128))
    return addrs


def test_dcpt_replays_a_delta_pattern():
    # Deltas 1, 2, 1, 2, ... lines, compared exactly (delta_mask_bits=0).
    # The pair (64, 128) first recurs at the 5th access; from then on each
    # access replays every delta after the oldest occurrence of its newest
    # pair. After the 11th access (10 deltas) the last replay reaches 8
    # deltas ahead: every address a5 .. a18 is asked for, once, in order.
    base = 0x40000
    a = _alternating(base, 19)
    sys_ = run(stream(a[:11]), DCPTPrefetcher(dcpt=DeltaCorrelatingPredictionTables(delta_mask_bits=0)))
    assert prefetched(sys_) == a[5:19]


def test_dcpt_default_mask_matches_the_empty_history_as_gem5():
    # With gem5's 8 mask bits the byte deltas 64 and 128 both compare as 0,
    # as do the zeros of a fresh entry: at the 3rd access the oldest pair
    # (0, 0) matches and the 18 deltas after it are replayed -- 16 zeros
    # (the current line: queued once, then found in its MSHR) and 64, 128.
    base = 0x40000
    a = _alternating(base, 5)
    sys_ = run(stream(a[:3]), DCPTPrefetcher())
    assert prefetched(sys_) == [a[3], a[4]]
    pf = pf_stats(sys_)
    assert pf["pfIdentified"] == 18 and pf["pfBufferHit"] == 15 and pf["pfHitInMSHR"] == 1


# --- IMP ------------------------------------------------------------------------------

IDX, ARR = 0x10000, 0x100000          # B: int32 indices; A: int32 elements (shift 2)


def _gather(n, extra=40, seed=5):
    rng = random.Random(seed)
    # every A[B[i]] in a line of its own, so that each A access misses
    vals = [16 * p for p in rng.sample(range(1024), n + extra)]
    reqs = []
    for i in range(n):
        reqs.append((IDX + 4 * i, 0x400, 4))          # load B[i]
        reqs.append((ARR + 4 * vals[i], 0x404, 4))    # load A[B[i]]
    return reqs, vals, {IDX: np.array(vals, dtype="<u4").tobytes()}


def test_imp_prefetches_a_of_b_of_i_plus_k():
    # B[0] allocates the PT entry; B[1] .. B[4] repeat the stride 4 = the
    # access size, and B[16] takes it into line 1: a dense (index) stream,
    # confirmed at B[16], which asks for index lines 2..5 and then, at B[32],
    # line 6. B[16] (a miss: value read from the fill) and B[17] (a hit) are
    # idx1 and idx2 of the IPD; the misses A[B[16]] and A[B[17]] give the
    # same base candidate for shift 2: base = A. A[B[18]], A[B[19]],
    # A[B[20]] match the prediction: counter 3 > prefetch_threshold 2 when
    # B[21] is loaded, distance 3 * 16 / 7 = 6: A[B[22..27]]. The counter
    # then grows by one per index (distance 9, 11, 13, 16), each load
    # extending the window to i + d; the last load, B[n-1], reaches B[n+15].
    # So every A[B[j]], j = 22 .. n+15, is asked for exactly once, in order.
    n = 48
    reqs, vals, mem = _gather(n)
    sys_ = run(reqs, IndirectMemoryPrefetcher(), mem_init=mem)
    got = prefetched(sys_)
    assert [a for a in got if a >= ARR] == [(ARR + 4 * vals[j]) & ~(LINE - 1) for j in range(22, n + 16)]
    assert [a for a in got if a < ARR] == [IDX + LINE * k for k in range(2, 7)]
    # the A lines all lie in other pages than their trigger; they are kept
    pf = pf_stats(sys_)
    assert pf["pfSpanPage"] == n + 16 - 22
    assert pf["pfUseful"] >= n - 22      # A[B[22..]] all hit prefetched lines


def test_imp_reads_indices_of_missing_loads_from_the_fill():
    # A one-line cache: every access misses, so no load ever sees its data
    # at access time. Index values come from the fills (the load's own line,
    # and the index lines IMP keeps as they arrive); the prefetches are the
    # same A[B[j]] as with a large cache.
    n = 40
    reqs, vals, mem = _gather(n, seed=7)
    sys_ = run(reqs, IndirectMemoryPrefetcher(), mem_init=mem, size="64B", assoc=1)
    assert stats_dict(sys_.l1)["ReadReq.misses::cpu.data"] == 2 * n
    assert [a for a in prefetched(sys_) if a >= ARR] == \
        [(ARR + 4 * vals[j]) & ~(LINE - 1) for j in range(22, n + 16)]


def test_imp_learns_the_shift_of_8_byte_elements():
    # int64 indices (8 per line: the stream is confirmed at B[8]) and 8-byte
    # elements of A: shift 3. idx1 = B[8], idx2 = B[9], three matches, and
    # B[13] asks for A[B[14..19]]; the last load reaches B[n+15].
    rng = random.Random(11)
    n = 32
    vals = [8 * p for p in rng.sample(range(512), n + 40)]       # 8 elements per line: one per line
    reqs = []
    for i in range(n):
        reqs.append((IDX + 8 * i, 0x400, 8))
        reqs.append((ARR + 8 * vals[i], 0x404, 8))
    sys_ = run(reqs, IndirectMemoryPrefetcher(), mem_init={IDX: np.array(vals, dtype="<i8").tobytes()})
    assert [a for a in prefetched(sys_) if a >= ARR] == \
        [(ARR + 8 * vals[j]) & ~(LINE - 1) for j in range(14, n + 16)]


def test_imp_without_a_pattern_is_a_stream_prefetcher():
    # B alone (no dependent loads): confirmed at B[16] (line 1), lines 2..5,
    # then line 6 when B[32] enters line 2.
    sys_ = run(stream([IDX + 4 * i for i in range(40)], size=4), IndirectMemoryPrefetcher(),
               mem_init={IDX: bytes(range(256)) * 4})
    assert prefetched(sys_) == [IDX + LINE * k for k in range(2, 7)]


def test_imp_ignores_runs_inside_one_line():
    # Gathered rows of one line each (16 floats, read in order): every row
    # is a short dense run, never a stream -- no index-line prefetches, no
    # pattern trained on the row values.
    rows = [0x200000 + LINE * r for r in (7, 300, 41, 999, 5, 123)]
    reqs = [(row + 4 * d, 0x500, 4) for row in rows for d in range(16)]
    sys_ = run(reqs, IndirectMemoryPrefetcher(), mem_init={0x200000: bytes(range(256)) * 256})
    assert prefetched(sys_) == []


# --- BOP ------------------------------------------------------------------------------

def _lines(base, n, stride=LINE):
    return [base + stride * i for i in range(n)]


def test_bop_learns_the_timely_offset():
    # A line-by-line stream of misses, one every 34 ns. The left RR bank
    # records each line 60 cycles (60 ns) after its access, so X-1 is never
    # there yet when X is tested but X-2 always is: offset 2 scores in every
    # round, and it is tested before 4, 6, ... which score as well. It
    # reaches score_max = 31 at the end of round 31, i.e. at access
    # 46 * 31 = 1426 (index 1425); from that access on, each access X asks
    # for X + 2 lines (dropped when it leaves the 4 KiB page).
    base, n = 0x100000, 1500
    sys_ = run(stream(_lines(base, n)), BOPPrefetcher())
    first = 46 * 31 - 1
    assert prefetched(sys_) == [base + LINE * (k + 2) for k in range(first, n) if k % 64 < 62]


def test_bop_learns_a_negative_offset_on_a_descending_stream():
    # The same, walking down from the last line of a page: offset -1 is too
    # recent, -2 (tested 4th in each round) is the first to reach 31.
    # Without the delay queue the previous line is in the RR at once and
    # -1 (tested 2nd) wins: X - 1 line.
    top, n = 0x200000 - LINE, 1500
    sys_ = run(stream([top - LINE * k for k in range(n)]), BOPPrefetcher())
    first = 46 * 31 - 1
    assert prefetched(sys_) == [top - LINE * (k + 2) for k in range(first, n) if k % 64 < 62]
    npusim.reset()
    sys_ = run(stream([top - LINE * k for k in range(n)]), BOPPrefetcher(delay_queue_enable=False))
    assert prefetched(sys_) == [top - LINE * (k + 1) for k in range(first, n) if k % 64 < 63]


def test_bop_gem5_tag_bug_on_line_addresses_prefetches_the_line_itself():
    # gem5's byte tags: an offset of the list (at most 48) can never link
    # two line addresses, so no score; at the end of round_max rounds the
    # offset is 0 and prefetching turns on -- each access asks for its own
    # line, which leaves the queue and is dropped as it is in an MSHR (as in
    # gem5's reference runs: pfIssued == pfHitInMSHR) -- and at the end of
    # the next round, best score 0 <= bad_score turns it off again: 46
    # candidates per 4-round phase.
    base, n = 0x100000, 800
    sys_ = run(stream(_lines(base, n)), BOPPrefetcher(gem5_tag_bug=True, round_max=4))
    pf = pf_stats(sys_)
    phases = n // (4 * 46)
    assert prefetched(sys_) == []
    assert pf["pfIdentified"] == pf["pfIssued"] == pf["pfHitInMSHR"] == 46 * phases


def test_bop_gem5_tag_bug_learns_byte_offsets_as_line_offsets():
    # Stride 4104 bytes = one page + 8: the 12-bit byte tags of successive
    # accesses differ by 8, so with gem5's tags offset 16 (two accesses
    # back, older than the 60-cycle delay) scores every round and wins at
    # the end of round 8 (score_max=8), access index 367; gem5 then
    # prefetches X + 16 lines = X + 1024 bytes, kept while in X's page
    # (page offset 8k + 1024 < 4096, k < 384). At the end of the next round
    # (index 413, after the trace) its best score is too low and it stops.
    # The paper's line tags see strides of 64 lines, outside the list:
    # nothing.
    base, n, s = 0x40000, 400, 4104
    addrs = [base + s * k for k in range(n)]
    sys_ = run(stream(addrs), BOPPrefetcher(gem5_tag_bug=True, score_max=8))
    assert prefetched(sys_) == [(addrs[k] + 1024) & ~(LINE - 1) for k in range(367, 384)]
    assert pf_stats(sys_)["pfSpanPage"] == n - 384
    npusim.reset()
    sys_ = run(stream(addrs), BOPPrefetcher(score_max=8))
    assert prefetched(sys_) == [] and pf_stats(sys_)["pfIdentified"] == 0


# --- SBOOE ----------------------------------------------------------------------------

def test_sbooe_best_sandbox_wins_after_the_threshold():
    # A stream of every other line. The sandbox of offset 2 holds X after
    # the access to X - 2 lines: its score after access k is k - 1 (never
    # late: the access 34 ns later is after the average fill delay). Offsets
    # 4 and 6 score k - 2 and k - 3 and never pass it. The threshold is
    # 1024 * 25 % = 256: access 258 (index 257) is the first to prefetch,
    # X + 2 lines, and so is every later one (dropped across pages).
    base, n = 0x80000, 300
    sys_ = run(stream(_lines(base, n, 128)), SBOOEPrefetcher())
    assert prefetched(sys_) == [base + 128 * (k + 1) for k in range(257, n) if (k + 1) % 32]
    assert pf_stats(sys_)["pfSpanPage"] == 1


def test_sbooe_scores_are_never_reset_so_an_offset_learnt_earlier_stays():
    # gem5 never resets the sandbox scores, so whatever the prefetcher saw
    # first keeps its lead: this is why gem5's SBOOE enters each reference
    # ROI with the offset the kernel's initialisation taught it (see
    # docs/validation.md). 64-entry sandboxes: threshold 64 * 25 % = 16.
    # Phase 1, every other line of page A (24 accesses): offset 2 scores
    # k - 1 after access k and prefetches from access 18 (index 17) on.
    # Phase 2, consecutive lines of page B (40 accesses): offset 1 gains
    # one point per access from the second (39 in all), offset 2 one from
    # the third (38, plus its 23): offset 2 stays the best and every access
    # of phase 2 asks for X + 2 lines.
    a, b = 0x80000, 0xA0000
    phase1, phase2 = _lines(a, 24, 128), _lines(b, 40)
    sys_ = run(stream(phase1 + phase2), SBOOEPrefetcher(sandbox_entries=64))
    assert prefetched(sys_) == [a + 128 * (k + 1) for k in range(17, 24)] + [b + LINE * (k + 2) for k in range(40)]
    # Started on phase 2 alone, the same prefetcher learns offset 1 and
    # waits for its score to pass 16 (access 18).
    npusim.reset()
    sys_ = run(stream(phase2), SBOOEPrefetcher(sandbox_entries=64))
    assert prefetched(sys_) == [b + LINE * (k + 1) for k in range(17, 40)]


# --- Multi ----------------------------------------------------------------------------

def test_multi_takes_packets_in_turn_starting_with_the_second():
    # Two Tagged prefetchers see the same miss at X: sub0 queues X+1, X+2,
    # sub1 X+1 .. X+4. gem5 v24.0 moves the starting point one sub along on
    # every request, first to sub1: sub1 X+1 (sent), sub0 X+1 (in an MSHR:
    # dropped), sub1 X+2, sub0 X+2 (dropped), then sub0 is empty: sub1 X+3,
    # X+4. Memory sees only sub1's requests.
    base = 0x30000
    multi = MultiPrefetcher(prefetchers=[TaggedPrefetcher(degree=2), TaggedPrefetcher(degree=4)])
    sys_ = run(stream([base]), multi)
    log = [(a, r) for _, a, r in mem_log(sys_) if r != "cpu.data"]
    sub1 = PF + ".prefetchers1"
    assert log == [(base + LINE * k, sub1) for k in (1, 2, 3, 4)]
    pf = pf_stats(sys_)
    assert pf["pfIssued"] == 6 and pf["pfHitInMSHR"] == 2
    assert pf["pfOutcome::total"] == pf["pfIssued"]
    assert stats_dict(sys_.l1.prefetcher.prefetchers0)["pfIssued"] == 2
    assert stats_dict(sys_.l1.prefetcher.prefetchers1)["pfIssued"] == 4


def test_multi_order_of_the_list_matters():
    # Swapped: sub1 (degree 2) goes first and sends X+1, X+2; sub0's X+1 and
    # X+2 are dropped; sub0 sends X+3 and X+4.
    base = 0x30000
    multi = MultiPrefetcher(prefetchers=[TaggedPrefetcher(degree=4), TaggedPrefetcher(degree=2)])
    sys_ = run(stream([base]), multi)
    log = [(a, r) for _, a, r in mem_log(sys_) if r != "cpu.data"]
    sub0, sub1 = PF + ".prefetchers0", PF + ".prefetchers1"
    assert log == [(base + LINE, sub1), (base + 2 * LINE, sub1), (base + 3 * LINE, sub0), (base + 4 * LINE, sub0)]


def test_multi_subs_filter_for_themselves():
    # A Stride, and a Tagged that sees misses only (prefetch_on_pf_hit
    # False: with gem5's default True a hit on a prefetched line passes even
    # on_miss). The Stride's prefetched hits a3, a4 reach the Stride, not
    # the Tagged.
    base = 0x20000
    multi = MultiPrefetcher(prefetchers=[StridePrefetcher(degree=1),
                                         TaggedPrefetcher(degree=1, on_miss=True, prefetch_on_pf_hit=False)])
    sys_ = run(stream([base + 128 * i for i in range(5)]), multi)
    sub0 = [a for _, a, r in mem_log(sys_) if r == PF + ".prefetchers0"]
    sub1 = [a for _, a, r in mem_log(sys_) if r == PF + ".prefetchers1"]
    # Stride: from the third access, X + 128 (a3, a4 prefetched; a4, a5 asked
    # at a3 and a4 -- a3, a4 are prefetched hits, so still observed).
    assert sub0 == [base + 128 * k for k in (3, 4, 5)]
    # Tagged: X + 64 after each of the misses a0, a1, a2.
    assert sub1 == [base + 128 * k + LINE for k in (0, 1, 2)]
