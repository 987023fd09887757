"""gem5's Tagged, Stride, DCPT, IMP, BOP, SBOOE and Multi prefetchers.

Class names, parameter names and defaults are gem5 v24.0's
(src/mem/cache/prefetch/Prefetcher.py); where npusim differs the docstring
says so. The C++ classes are in src/mem/cache/prefetch/{tagged, stride,
dcpt, imp, bop, sbooe, multi}.cc; each has a page in docs/prefetchers/.

gem5's ``*_indexing_policy`` SimObjects have no npusim counterpart: tables
use gem5's default indexing (the low bits of the key; the Stride table can
choose its hashed indexing with an enum of gem5's class names).
"""

from .base import SimObject
from .prefetch import BasePrefetcher, QueuedPrefetcher
from .replacement import LRURP, RandomRP
from ..params import Param, VectorParam


class TaggedPrefetcher(QueuedPrefetcher):
    """Tagged sequential prefetching: each miss, and each first demand hit
    on a line a prefetch brought in, asks for the ``degree`` next lines."""

    type = "TaggedPrefetcher"

    degree = Param.Int(2, "Number of prefetches to generate")


class StridePrefetcher(QueuedPrefetcher):
    """PC-indexed stride prefetcher (Chen & Baer, IEEE TC 1995), with gem5
    v24.0's rules: byte-address strides, a saturating confidence counter per
    PC, prefetches at addr + k * stride (stride at least one line) for
    k = distance+1 .. distance+degree once the confidence is at or above
    the threshold. Requests without a PC are ignored."""

    type = "StridePrefetcher"

    # Do not consult the stride prefetcher on instruction accesses.
    on_inst = False

    confidence_counter_bits = Param.Unsigned(3, "Number of bits of the confidence counter")
    initial_confidence = Param.Unsigned(4, "Starting confidence of new entries")
    confidence_threshold = Param.Percent(50, "Prefetch generation confidence threshold")

    use_requestor_id = Param.Bool(True, "Use requestor id based history")

    degree = Param.Int(4, "Number of prefetches to generate")
    distance = Param.Unsigned(
        0, "How far ahead of the demand stream to start prefetching. Skip this number of strides ahead of "
           "the first identified prefetch, then generate `degree` prefetches at `stride` intervals. "
           "A value of zero indicates no skip.")

    table_assoc = Param.Int(4, "Associativity of the PC table")
    table_entries = Param.MemorySize("64", "Number of entries of the PC table")
    table_indexing_policy = Param.Enum(
        ["StridePrefetcherHashedSetAssociative", "SetAssociative"], "StridePrefetcherHashedSetAssociative",
        "Indexing policy of the PC table (npusim: gem5's indexing policy class, by name)")
    table_replacement_policy = Param.BaseReplacementPolicy(RandomRP(), "Replacement policy of the PC table")


class DeltaCorrelatingPredictionTables(SimObject):
    """The tables of the DCPT prefetcher (Grannaes, Jahre & Natvig, JILP
    2011): per PC, the last address and the last ``deltas_per_entry``
    deltas; the deltas that followed an earlier occurrence of the two
    newest ones are replayed."""

    type = "DeltaCorrelatingPredictionTables"

    deltas_per_entry = Param.Unsigned(20, "Number of deltas stored in each table entry")
    delta_bits = Param.Unsigned(12, "Bits per delta")
    delta_mask_bits = Param.Unsigned(8, "Lower bits to mask when comparing deltas")
    table_entries = Param.MemorySize("128", "Number of entries in the table")
    table_assoc = Param.Unsigned(128, "Associativity of the table")
    table_replacement_policy = Param.BaseReplacementPolicy(LRURP(), "Replacement policy of the table")


class DCPTPrefetcher(QueuedPrefetcher):
    """Delta-Correlating Prediction Tables prefetcher (gem5 v24.0
    semantics; see DeltaCorrelatingPredictionTables)."""

    type = "DCPTPrefetcher"

    dcpt = Param.DeltaCorrelatingPredictionTables(
        DeltaCorrelatingPredictionTables(), "Delta Correlating Prediction Tables object")


class IndirectMemoryPrefetcher(QueuedPrefetcher):
    """Indirect Memory Prefetcher, following the paper (X. Yu, C. J. Hughes,
    N. Satish, S. Devadas, "IMP: Indirect Memory Prefetcher", MICRO 2015).

    A prefetch table keyed by the PC of index loads detects index streams
    (B[i], B[i+1], ...); an indirect pattern detector learns
    ``addr = base + (B[i] << shift)`` (``shift`` from ``shift_values``,
    negative values shift right) from the values of two consecutive
    indices, read from the data of the index lines, and the misses that
    follow each. Once the pattern is confirmed, each index access B[i]
    prefetches the lines of A[B[i+1]] .. A[B[i+d]] not yet requested, with a
    distance d that grows with the confidence up to
    ``max_prefetch_distance``; the index lines themselves are prefetched
    ``streaming_distance`` lines ahead.

    Deviations from gem5 v24.0, which panics in timing mode (its hit probe
    has no data yet) and issues a single indirect prefetch per index: this
    one reads index values from hits and, for index loads that miss, from
    the fill; it issues every indirect prefetch of the distance window;
    its targets may cross pages (npusim addresses need no translation);
    a third index without a match restarts training from that index; and
    it observes every access (``prefetch_on_access`` True and
    ``prefetch_on_pf_hit`` False), as an L1 prefetcher that trains on all
    loads must. See docs/prefetchers/IndirectMemoryPrefetcher.md."""

    type = "IndirectMemoryPrefetcher"

    prefetch_on_access = True
    prefetch_on_pf_hit = False
    prefetch_across_pages = True

    pt_table_entries = Param.MemorySize("16", "Number of entries of the Prefetch Table")
    pt_table_assoc = Param.Unsigned(16, "Associativity of the Prefetch Table")
    pt_table_replacement_policy = Param.BaseReplacementPolicy(
        LRURP(), "Replacement policy of the pattern table")
    max_prefetch_distance = Param.Unsigned(16, "Maximum prefetch distance")
    num_indirect_counter_bits = Param.Unsigned(3, "Number of bits of the indirect counter")
    ipd_table_entries = Param.MemorySize("4", "Number of entries of the Indirect Pattern Detector")
    ipd_table_assoc = Param.Unsigned(4, "Associativity of the Indirect Pattern Detector")
    ipd_table_replacement_policy = Param.BaseReplacementPolicy(
        LRURP(), "Replacement policy of the Indirect Pattern Detector")
    shift_values = VectorParam.Int([2, 3, 4, -3], "Shift values to evaluate")
    addr_array_len = Param.Unsigned(4, "Number of misses tracked")
    prefetch_threshold = Param.Unsigned(2, "Counter threshold to start the indirect prefetching")
    stream_counter_threshold = Param.Unsigned(4, "Counter threshold to enable the stream prefetcher")
    streaming_distance = Param.Unsigned(
        4, "Number of prefetches to generate when using the stream prefetcher (npusim: lines of a dense "
           "index stream)")


class BOPPrefetcher(QueuedPrefetcher):
    """Best-Offset prefetcher (P. Michaud, DPC-2 2015 / HPCA 2016).

    The recent-requests tables are tagged with line-address bits, as in the
    paper. gem5 v24.0 computes the tag from the byte address (it shifts by
    the line size instead of its log2) and differs in a few related details;
    ``gem5_tag_bug=True`` reproduces gem5's behaviour exactly. Defaults are
    gem5 v24.0's (no cache_snoop / on_miss overrides; those came later).
    See docs/prefetchers/BOPPrefetcher.md."""

    type = "BOPPrefetcher"

    score_max = Param.Unsigned(31, "Max. score to update the best offset")
    round_max = Param.Unsigned(100, "Max. round to update the best offset")
    bad_score = Param.Unsigned(10, "Score at which the HWP is disabled")
    rr_size = Param.Unsigned(64, "Number of entries of each RR bank")
    tag_bits = Param.Unsigned(12, "Bits used to store the tag")
    offset_list_size = Param.Unsigned(46, "Number of entries in the offsets list")
    negative_offsets_enable = Param.Bool(
        True, "Initialize the offsets list also with negative values (i.e. the table will have half of the "
              "entries with positive offsets and the other half with negative ones)")
    delay_queue_enable = Param.Bool(True, "Enable the delay queue")
    delay_queue_size = Param.Unsigned(15, "Number of entries in the delay queue")
    delay_queue_cycles = Param.Cycles(60, "Cycles to delay a write in the left RR table from the delay queue")

    degree = Param.Int(
        1, "Number of prefetches to generate (npusim: X + k*D lines, k = 1..degree; gem5 v24.0 has no "
           "degree and issues one, later gem5 adds this parameter)")

    gem5_tag_bug = Param.Bool(
        False, "npusim: reproduce gem5 v24.0's RR tags (byte-address tags, offsets subtracted from them, "
               "whole-table search) and its phase-end on/off rule, instead of the paper's")

    # gem5 v24.0 declares no trigger or queue overrides for BOP (later gem5
    # sets cache_snoop, on_miss and on_inst); the reference runs confirm it
    # (their candidates reach the queue and are dropped at issue).


class SBOOEPrefetcher(QueuedPrefetcher):
    """Sandbox-Based Optimal Offset Estimation (N. T. Brown & R. Sendag,
    DPC-2 2015), gem5 v24.0 semantics: offsets -1 .. sequential_prefetchers-2
    each simulated in a sandbox; the best scoring one prefetches once its
    score exceeds the threshold."""

    type = "SBOOEPrefetcher"

    latency_buffer_size = Param.Int(32, "Entries in the latency buffer")
    sequential_prefetchers = Param.Int(9, "Number of sequential prefetchers")
    sandbox_entries = Param.Int(1024, "Size of the address buffer")
    score_threshold_pct = Param.Percent(
        25, "Min. threshold to issue a prefetch. The value is the percentage of sandbox entries to use")


class MultiPrefetcher(BasePrefetcher):
    """Several prefetchers behind one cache (gem5 v24.0 semantics): every
    sub-prefetcher sees every access and filters it itself; prefetches are
    taken from the subs in turn, the starting point moving one sub along at
    each request. The Multi's own observation filters are not used."""

    type = "MultiPrefetcher"

    prefetchers = VectorParam.BasePrefetcher([], "Array of prefetchers")
