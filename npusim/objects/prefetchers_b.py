"""gem5's pattern, signature and temporal prefetchers: AMPMPrefetcher,
SlimAMPMPrefetcher, SignaturePathPrefetcher, SignaturePathPrefetcherV2,
IrregularStreamBufferPrefetcher, STeMSPrefetcher and PIFPrefetcher
(gem5's src/mem/cache/prefetch/Prefetcher.py; C++ in
src/mem/cache/prefetch/{ampm,slim_ampm,spp,spp_v2,isb,stems,pif}.cc).

Class names, parameter names and defaults are gem5 v24's. gem5's
``*_indexing_policy`` parameters are not offered: every table is indexed
like gem5's default TaggedSetAssociative (set = key mod sets, full-key tags).

Where gem5's implementation departs from its paper in a way that changes what
is prefetched, npusim follows the paper and a ``gem5_compat=True`` parameter
reproduces gem5 (each class's docstring lists the differences); to compare
with real gem5 runs set it, as ``benchmarks/gem5_validation.py`` does for its
``gem5`` configuration.

Every class has ``storage_bits()`` (bits per structure, from the parameters)
and ``storage_bytes()``; like the other prefetcher pages they count gem5's
64-bit addresses and PCs.
"""

from __future__ import annotations

from .base import ClockedObject, Parent
from .prefetch import QueuedPrefetcher
from .prefetchers_a import DeltaCorrelatingPredictionTables
from .replacement import LRURP
from ..params import Param

#: Address and PC widths assumed by the storage budgets (gem5's Addr).
ADDR_BITS = 64
PC_BITS = 64


def _log2(n: int) -> int:
    """Bits needed to tell n values apart (ceil(log2 n)); 0 for n <= 1."""
    n = int(n)
    return max(0, (n - 1).bit_length())


def _table_bits(entries: int, assoc: int, key_bits: int, payload_bits: int) -> int:
    """A set-associative table: per entry a valid bit, the key bits the set
    index does not give, the payload and the LRU stamp (log2 assoc bits)."""
    entries, assoc = int(entries), int(assoc)
    sets = max(1, entries // max(1, assoc))
    tag = max(0, key_bits - _log2(sets))
    return entries * (1 + tag + payload_bits + _log2(assoc))


def _v(obj, name: str):
    """A parameter's value in base units, whether set, defaulted or not yet
    resolved (an unresolved Parent proxy gives None)."""
    value = getattr(obj, name)
    if isinstance(value, str):
        value = type(obj)._params[name].convert(value, obj.path())
    return value if isinstance(value, (int, float)) else None


def _block(obj) -> int:
    """The line size: block_size once resolved, else 64 (gem5's default)."""
    return _v(obj, "block_size") or 64


def _line_bits(obj) -> int:
    return ADDR_BITS - _log2(_block(obj))


class _Budget:
    """storage_bytes() from storage_bits()."""

    def storage_bytes(self) -> int:
        return (sum(self.storage_bits().values()) + 7) // 8


# --------------------------------------------------------------------------
# AMPM

class AccessMapPatternMatching(ClockedObject):
    """The access map engine of AMPMPrefetcher and SlimAMPMPrefetcher
    (gem5's AccessMapPatternMatching): per hot zone a 2-bit state per line
    (Init, Prefetch, Access), matched against strides on each access; the
    degree adapts every epoch to the accuracy, coverage and hit ratio seen on
    the map."""

    type = "AccessMapPatternMatching"

    block_size = Param.Unsigned(Parent.block_size, "Cacheline size used by the prefetcher using this object "
                                                   "(npusim: the owning prefetcher's cache line size prevails)")
    limit_stride = Param.Unsigned(0, "Limit the strides checked up to -X/X, if 0, disable the limit")
    start_degree = Param.Unsigned(4, "Initial degree (Maximum number of prefetches generated")
    hot_zone_size = Param.MemorySize("2KiB", "Memory covered by a hot zone")
    access_map_table_entries = Param.MemorySize("256", "Number of entries in the access map table")
    access_map_table_assoc = Param.Unsigned(8, "Associativity of the access map table")
    access_map_table_replacement_policy = Param.BaseReplacementPolicy(
        LRURP(), "Replacement policy of the access map table")
    high_coverage_threshold = Param.Float(0.25, "A prefetch coverage factor bigger than this is considered high")
    low_coverage_threshold = Param.Float(0.125, "A prefetch coverage factor smaller than this is considered low")
    high_accuracy_threshold = Param.Float(0.5, "A prefetch accuracy factor bigger than this is considered high")
    low_accuracy_threshold = Param.Float(0.25, "A prefetch accuracy factor smaller than this is considered low")
    high_cache_hit_threshold = Param.Float(0.875, "A cache hit ratio bigger than this is considered high")
    low_cache_hit_threshold = Param.Float(0.75, "A cache hit ratio smaller than this is considered low")
    epoch_cycles = Param.Cycles(256000, "Cycles in an epoch period")
    offchip_memory_latency = Param.Latency(
        "30ns", "Memory latency used to compute the required memory bandwidth (used only with gem5_compat)")

    def storage_bits(self, line_size: int = 64) -> dict:
        lines = _v(self, "hot_zone_size") // line_size
        zone_key = ADDR_BITS - _log2(_v(self, "hot_zone_size"))
        return {
            "access map table": _table_bits(_v(self, "access_map_table_entries"), _v(self, "access_map_table_assoc"),
                                            zone_key, 2 * lines),
            "epoch counters and degrees": 4 * 32 + 2 * 16,
        }


class SlimAccessMapPatternMatching(AccessMapPatternMatching):
    """gem5's AMPM part of SlimAMPMPrefetcher."""

    start_degree = 2
    limit_stride = 4


class AMPMPrefetcher(_Budget, QueuedPrefetcher):
    """Access Map Pattern Matching (Ishii, Inaba, Hiraki, ICS 2009).

    With ``gem5_compat=False`` (default, the paper) only lines still in the
    Init state are candidates and the degree moves by one per epoch within
    [1, number of candidate positions]. With ``gem5_compat=True``, gem5 v24:
    any line of a valid zone is a candidate, so accessed and already
    prefetched lines are issued again (and an accessed line falls back to
    Prefetch); the degree is min(requests in the epoch x
    offchip_memory_latency / epoch length, useful degree) in unsigned
    arithmetic, which is 0 below one request per latency on average, and a
    degree of 0 lifts the limit altogether; the useful degree wraps around
    below 0."""

    type = "AMPMPrefetcher"
    ampm = Param.AccessMapPatternMatching(AccessMapPatternMatching(), "Access Map Pattern Matching object")
    gem5_compat = Param.Bool(False, "npusim: reproduce gem5 v24's AMPM exactly (see the class docstring)")

    def storage_bits(self) -> dict:
        return self.ampm.storage_bits(_block(self))


class SlimDeltaCorrelatingPredictionTables(DeltaCorrelatingPredictionTables):
    """gem5's DCPT part of SlimAMPMPrefetcher."""

    table_entries = "256"
    table_assoc = 256
    deltas_per_entry = 9


class SlimAMPMPrefetcher(_Budget, QueuedPrefetcher):
    """gem5's SlimAMPM: delta-correlating prediction tables propose
    candidates; when they have none, the access map (start_degree 2,
    limit_stride 4) runs, as in gem5 (so the map does not see the accesses
    the tables covered). Composed from the same objects as DCPTPrefetcher
    and AMPMPrefetcher, as gem5 does. ``gem5_compat`` applies to the access
    map part (see AMPMPrefetcher)."""

    type = "SlimAMPMPrefetcher"
    ampm = Param.AccessMapPatternMatching(SlimAccessMapPatternMatching(), "Access Map Pattern Matching object")
    dcpt = Param.DeltaCorrelatingPredictionTables(SlimDeltaCorrelatingPredictionTables(),
                                                  "Delta Correlating Prediction Tables object")
    gem5_compat = Param.Bool(False, "npusim: reproduce gem5 v24's access map part exactly (see AMPMPrefetcher)")

    def storage_bits(self) -> dict:
        bits = {f"ampm {k}": v for k, v in self.ampm.storage_bits(_block(self)).items()}
        d = self.dcpt
        deltas = _v(d, "deltas_per_entry")
        # last address, the deltas and the ring head (as DCPTPrefetcher's page counts them)
        bits["dcpt table"] = _table_bits(_v(d, "table_entries"), _v(d, "table_assoc"), PC_BITS,
                                         ADDR_BITS + deltas * _v(d, "delta_bits") + _log2(deltas))
        return bits


# --------------------------------------------------------------------------
# SPP

class SignaturePathPrefetcher(_Budget, QueuedPrefetcher):
    """Signature Path Prefetcher, gem5's version of the DPC-2 design (Kim,
    Gratz, Reddy, 2015; the MICRO 2016 paper is SignaturePathPrefetcherV2):
    per-page delta signatures, a pattern table of delta counters, and a
    lookahead along the most likely deltas while the path confidence
    (capped at 0.95 per step) stays above lookahead_confidence_threshold; a
    delta is prefetched when its own confidence (counter / maximum) reaches
    prefetch_confidence_threshold; next line when nothing qualifies. Behaves
    as gem5's."""

    type = "SignaturePathPrefetcher"

    signature_shift = Param.UInt8(3, "Number of bits to shift when calculating a new signature")
    signature_bits = Param.UInt16(12, "Size of the signature, in bits")
    signature_table_entries = Param.MemorySize("1024", "Number of entries of the signature table")
    signature_table_assoc = Param.Unsigned(2, "Associativity of the signature table")
    signature_table_replacement_policy = Param.BaseReplacementPolicy(
        LRURP(), "Replacement policy of the signature table")
    num_counter_bits = Param.UInt8(3, "Number of bits of the saturating counters")
    pattern_table_entries = Param.MemorySize("4096", "Number of entries of the pattern table")
    pattern_table_assoc = Param.Unsigned(1, "Associativity of the pattern table")
    strides_per_pattern_entry = Param.Unsigned(4, "Number of strides stored in each pattern entry")
    pattern_table_replacement_policy = Param.BaseReplacementPolicy(
        LRURP(), "Replacement policy of the pattern table")
    prefetch_confidence_threshold = Param.Float(0.5, "Minimum confidence to issue prefetches")
    lookahead_confidence_threshold = Param.Float(0.75, "Minimum confidence to continue exploring lookahead entries")

    def _spp_bits(self, signature_counter: bool) -> dict:
        page = _v(self, "page_bytes")
        line = _block(self)
        pos_bits = _log2(page // line)
        sig_bits, ctr = _v(self, "signature_bits"), _v(self, "num_counter_bits")
        stride_bits = pos_bits + 1
        pattern_payload = _v(self, "strides_per_pattern_entry") * (stride_bits + ctr) + (ctr if signature_counter else 0)
        return {
            "signature table": _table_bits(_v(self, "signature_table_entries"), _v(self, "signature_table_assoc"),
                                           ADDR_BITS - _log2(page), sig_bits + pos_bits),
            "pattern table": _table_bits(_v(self, "pattern_table_entries"), _v(self, "pattern_table_assoc"), sig_bits,
                                         pattern_payload),
        }

    def storage_bits(self) -> dict:
        return self._spp_bits(signature_counter=False)


class SignaturePathPrefetcherV2(SignaturePathPrefetcher):
    """SPP of the MICRO 2016 paper (Kim et al., "Path Confidence based
    Lookahead Prefetching"): delta confidence C_delta / C_sig, path
    confidence scaled by the global accuracy, and a global history register
    that carries signatures across page boundaries.

    Bounded, unlike gem5 v24's (whose runs grew past 20 GiB): gem5 scales
    the path by the accuracy unclamped and never stops a path that stays
    confident, so once the accuracy reaches 1 a certain path (any constant
    stride) loops forever, appending candidates. npusim stops the lookahead
    where the path leaves the page (as the paper does) and after at most
    lines-per-page steps, and clamps the accuracy to [0, 1]. The register
    matches a new page's first line with the landing line of a recorded
    crossing modulo the page, on filled entries only (gem5 compares the
    unwrapped position, which a crossing never matches, and also matches
    never-filled entries at line 0)."""

    type = "SignaturePathPrefetcherV2"

    signature_table_entries = "256"
    signature_table_assoc = 1
    pattern_table_entries = "512"
    pattern_table_assoc = 1
    num_counter_bits = 4
    prefetch_confidence_threshold = 0.25
    lookahead_confidence_threshold = 0.25

    global_history_register_entries = Param.MemorySize("8", "Number of entries of global history register")
    global_history_register_replacement_policy = Param.BaseReplacementPolicy(
        LRURP(), "Replacement policy of the global history register")

    def storage_bits(self) -> dict:
        bits = self._spp_bits(signature_counter=True)
        page = _v(self, "page_bytes")
        line = _block(self)
        pos_bits = _log2(page // line)
        ghr = _v(self, "global_history_register_entries")
        # signature, 8-bit path confidence, signed position and delta
        bits["global history register"] = _table_bits(ghr, ghr, 0, _v(self, "signature_bits") + 8 + 2 * (pos_bits + 1))
        bits["accuracy counters"] = 2 * 16
        return bits


# --------------------------------------------------------------------------
# ISB

class IrregularStreamBufferPrefetcher(_Budget, QueuedPrefetcher):
    """Irregular Stream Buffer (Jain, Lin, MICRO 2013): the consecutive lines
    of each PC get consecutive structural addresses; an access prefetches
    the lines mapped to the next `degree` structural addresses.

    gem5_compat=True: gem5 v24 looks successors up only within the access's
    own structural-to-physical entry (prefetch_candidates_per_entry
    mappings) and gives up when that entry was evicted, cutting streams at
    every multiple of 16 structural addresses; npusim's default follows the
    next `degree` structural addresses across entries."""

    type = "IrregularStreamBufferPrefetcher"

    num_counter_bits = Param.Unsigned(2, "Number of bits of the confidence counter")
    chunk_size = Param.Unsigned(256, "Maximum number of addresses in a temporal stream")
    degree = Param.Unsigned(4, "Number of prefetches to generate")
    training_unit_assoc = Param.Unsigned(128, "Associativity of the training unit")
    training_unit_entries = Param.MemorySize("128", "Number of entries of the training unit")
    training_unit_replacement_policy = Param.BaseReplacementPolicy(
        LRURP(), "Replacement policy of the training unit")
    prefetch_candidates_per_entry = Param.Unsigned(16, "Number of prefetch candidates stored in a SP-AMC entry")
    address_map_cache_assoc = Param.Unsigned(128, "Associativity of the PS/SP AMCs")
    address_map_cache_entries = Param.MemorySize("128", "Number of entries of the PS/SP AMCs")
    ps_address_map_cache_replacement_policy = Param.BaseReplacementPolicy(
        LRURP(), "Replacement policy of the Physical-to-Structural Address Map Cache")
    sp_address_map_cache_replacement_policy = Param.BaseReplacementPolicy(
        LRURP(), "Replacement policy of the Structural-to-Physical Address Map Cache")
    gem5_compat = Param.Bool(False, "npusim: reproduce gem5 v24's ISB exactly (see the class docstring)")

    #: Width of a structural address in the budget.
    STRUCTURAL_BITS = 32

    def storage_bits(self) -> dict:
        line_bits = _line_bits(self)
        per, ctr = _v(self, "prefetch_candidates_per_entry"), _v(self, "num_counter_bits")
        amc_e, amc_a = _v(self, "address_map_cache_entries"), _v(self, "address_map_cache_assoc")
        return {
            "training unit": _table_bits(_v(self, "training_unit_entries"), _v(self, "training_unit_assoc"), PC_BITS, line_bits),
            "PS-AMC": _table_bits(amc_e, amc_a, line_bits - _log2(per), per * (self.STRUCTURAL_BITS + ctr)),
            "SP-AMC": _table_bits(amc_e, amc_a, self.STRUCTURAL_BITS - _log2(per), per * (line_bits + ctr)),
            "structural address counter": self.STRUCTURAL_BITS,
        }


# --------------------------------------------------------------------------
# STeMS

class STeMSPrefetcher(_Budget, QueuedPrefetcher):
    """Spatio-Temporal Memory Streaming (Somogyi et al., ISCA 2009): a region
    miss order buffer of triggers (temporal), per-PC spatial patterns of the
    lines accessed with each trigger (spatial), and, on a miss, the
    reconstruction of the stream that followed the region's previous
    trigger.

    gem5_compat=True reproduces gem5 v24, which prefetches almost only
    useless lines: it records a trigger before searching for the previous
    one (so a trigger finds itself), replays on every miss (not only
    trigger misses), replays region base addresses instead
    of trigger lines, adds line offsets as byte offsets, polls the wrong
    lines for the end of a generation (the trigger address is not region
    aligned), keys the pattern table by the first evicted offset instead of
    the trigger's, records repeated offsets twice, and overwrites patterns
    instead of training their counters. npusim's default follows the paper
    on each point and ends generations on the cache's eviction notices."""

    type = "STeMSPrefetcher"

    spatial_region_size = Param.MemorySize("2KiB", "Memory covered by a hot zone")
    active_generation_table_entries = Param.MemorySize("64", "Number of entries in the active generation table")
    active_generation_table_assoc = Param.Unsigned(64, "Associativity of the active generation table")
    active_generation_table_replacement_policy = Param.BaseReplacementPolicy(
        LRURP(), "Replacement policy of the active generation table")
    pattern_sequence_table_entries = Param.MemorySize("16384", "Number of entries in the pattern sequence table")
    pattern_sequence_table_assoc = Param.Unsigned(16384, "Associativity of the pattern sequence table")
    pattern_sequence_table_replacement_policy = Param.BaseReplacementPolicy(
        LRURP(), "Replacement policy of the pattern sequence table")
    region_miss_order_buffer_entries = Param.Unsigned(131072, "Number of entries of the Region Miss Order Buffer")
    add_duplicate_entries_to_rmob = Param.Bool(True, "Add duplicate entries to RMOB")
    reconstruction_entries = Param.Unsigned(256, "Number of reconstruction entries")
    gem5_compat = Param.Bool(False, "npusim: reproduce gem5 v24's STeMS exactly (see the class docstring)")

    #: Width of the interleaving distances and generation counters in the budget.
    DELTA_BITS = 8

    def storage_bits(self) -> dict:
        line = _block(self)
        region = _v(self, "spatial_region_size")
        lines = region // line
        off = _log2(lines)
        region_key = ADDR_BITS - _log2(region)
        sequence = lines * (2 + off + self.DELTA_BITS)
        return {
            "active generation table": _table_bits(self.active_generation_table_entries,
                                                   self.active_generation_table_assoc, region_key,
                                                   PC_BITS + self.DELTA_BITS + sequence),
            "pattern sequence table": _table_bits(self.pattern_sequence_table_entries,
                                                  self.pattern_sequence_table_assoc, PC_BITS + off, sequence),
            "region miss order buffer": _v(self, "region_miss_order_buffer_entries")
            * (region_key + PC_BITS + off + self.DELTA_BITS),
            "reconstruction buffer": _v(self, "reconstruction_entries") * (ADDR_BITS - _log2(line) + 1),
        }


# --------------------------------------------------------------------------
# PIF

class PIFPrefetcher(_Budget, QueuedPrefetcher):
    """Proactive Instruction Fetch (Ferdman, Kaynak, Falsafi, MICRO 2011):
    spatial region records (a trigger block and bit vectors of the blocks
    around it) are logged in a history buffer; when a logged trigger recurs,
    the records that followed it are prefetched, one record ahead of the
    accesses.

    gem5 trains PIF on retired-instruction PCs from a core probe; npusim has
    no such core, so by default (train_on_accesses) it trains on the lines
    of the accesses it observes. gem5_compat=True reproduces gem5 v24's
    prediction and compaction: an index hit prefetches the indexed record
    itself rather than the next, records never include their trigger block,
    a preceding block is looked up in the succeeding bit vector, triggers
    and index keys are byte addresses, and an access falling in a temporal
    compactor record resumes that record and drops the current one."""

    type = "PIFPrefetcher"

    prec_spatial_region_bits = Param.Unsigned(2, "Number of preceding addresses in the spatial region")
    succ_spatial_region_bits = Param.Unsigned(8, "Number of subsequent addresses in the spatial region")
    compactor_entries = Param.Unsigned(2, "Entries in the temp. compactor")
    stream_address_buffer_entries = Param.Unsigned(7, "Entries in the SAB")
    history_buffer_size = Param.Unsigned(16, "Entries in the history buffer")
    index_entries = Param.MemorySize("64", "Number of entries in the index")
    index_assoc = Param.Unsigned(64, "Associativity of the index")
    index_replacement_policy = Param.BaseReplacementPolicy(LRURP(), "Replacement policy of the index")
    train_on_accesses = Param.Bool(True, "npusim: train on the lines of observed accesses (gem5 trains on "
                                         "retired-instruction PCs only)")
    gem5_compat = Param.Bool(False, "npusim: reproduce gem5 v24's PIF prediction (see the class docstring)")

    def storage_bits(self) -> dict:
        line_bits = _line_bits(self)
        record = line_bits + _v(self, "prec_spatial_region_bits") + _v(self, "succ_spatial_region_bits")
        hist = _v(self, "history_buffer_size")
        return {
            "spatial compactor": record,
            "temporal compactor": _v(self, "compactor_entries") * record,
            "history buffer": hist * record,
            "index": _table_bits(_v(self, "index_entries"), _v(self, "index_assoc"), line_bits, _log2(hist)),
            "stream address buffer": _v(self, "stream_address_buffer_entries") * (1 + _log2(hist)),
        }
