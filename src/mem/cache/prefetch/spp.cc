// SignaturePathPrefetcher (see spp.hh). The confidence of a delta is its
// counter over the counter's maximum; a lookahead step multiplies the path
// confidence by that of the chosen delta, capped at 0.95 so that every path
// ends (gem5's behaviour, kept as is).
#include "spp.hh"

#include <limits>

namespace npusim {

namespace {
unsigned checkedBits(const Params &p, const char *key, unsigned lo, unsigned hi) {
    const unsigned v = p.get<unsigned>(key);
    if (v < lo || v > hi) p.error(key, "must be in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
    return v;
}
}  // namespace

SignaturePath::SignaturePath(const Params &p)
    : QueuedPrefetcher(p),
      stridesPerEntry(p.get<unsigned>("strides_per_pattern_entry")),
      signatureShift(checkedBits(p, "signature_shift", 0, 15)),
      signatureBits(checkedBits(p, "signature_bits", 1, 16)),
      signatureMask((1u << signatureBits) - 1),
      counterBits(checkedBits(p, "num_counter_bits", 1, 16)),
      prefetchThreshold(p.get<double>("prefetch_confidence_threshold")),
      lookaheadThreshold(p.get<double>("lookahead_confidence_threshold")),
      signatureTable(p, "signature_table_entries", "signature_table_assoc", "signature_table_replacement_policy",
                     SignatureEntry{}),
      patternTable(p, "pattern_table_entries", "pattern_table_assoc", "pattern_table_replacement_policy",
                   PatternEntry{std::vector<StrideEntry>(p.get<unsigned>("strides_per_pattern_entry"),
                                                         StrideEntry{0, SatCounter(p.get<unsigned>("num_counter_bits"))}),
                                SatCounter(p.get<unsigned>("num_counter_bits"))}) {
    if (stridesPerEntry == 0) p.error("strides_per_pattern_entry", "must be at least 1");
    if (prefetchThreshold < 0 || prefetchThreshold > 1)
        p.error("prefetch_confidence_threshold", "must be in [0, 1]");
    if (lookaheadThreshold < 0 || lookaheadThreshold > 1)
        p.error("lookahead_confidence_threshold", "must be in [0, 1]");
    if (pageBytes / 4 > Addr(std::numeric_limits<Stride>::max()))
        p.error("page_bytes", "too large for 16-bit in-page line positions");
}

SignaturePath::PatternEntry &SignaturePath::patternEntry(Signature sig) {
    return *patternTable.findOrInsert(sig);
}

SignaturePath::StrideEntry &SignaturePath::strideEntry(PatternEntry &e, Stride delta) {
    for (auto &s : e.strides)
        if (s.stride == delta) return s;
    // Replace the entry with the lowest counter (the first of equals), after
    // decrementing every counter (gem5's replacement for this table).
    StrideEntry *victim = &e.strides[0];
    unsigned lowest = std::numeric_limits<unsigned>::max();
    for (auto &s : e.strides) {
        if (s.counter.get() < lowest) {
            victim = &s;
            lowest = s.counter.get();
        }
        --s.counter;
    }
    victim->counter.reset();
    victim->stride = delta;
    return *victim;
}

double SignaturePath::prefetchConfidence(const PatternEntry &, const StrideEntry &s) const {
    return s.counter.saturation();
}

double SignaturePath::lookaheadConfidence(const PatternEntry &, const StrideEntry &s) const {
    const double c = s.counter.saturation();
    return c > 0.95 ? 0.95 : c;
}

void SignaturePath::increaseCounters(PatternEntry &, StrideEntry &s) {
    ++s.counter;
}

void SignaturePath::signatureTableMiss(Stride block, Signature &sig, double &confidence, Stride &stride) {
    sig = Signature(block);
    confidence = 1.0;
    stride = block;
}

void SignaturePath::addPrefetch(Addr ppn, Stride lastBlock, Stride delta, double pathConfidence, Signature sig,
                                std::vector<AddrPriority> &out) {
    // 16-bit arithmetic, as gem5's stride_t.
    const Stride block = Stride(lastBlock + delta);
    const Stride lines = linesPerPage();
    if (block < 0) {
        const Addr pagesBack = Addr(1 + (-block) / lines);
        if (pagesBack > ppn) return;   // below address 0
        pageCrossing(sig, lastBlock, delta, pathConfidence);
    } else if (block >= lines) {
        const Addr pagesOn = Addr(block / lines);
        if (~Addr(0) / pageBytes < ppn + pagesOn) return;   // beyond the address space
        pageCrossing(sig, lastBlock, delta, pathConfidence);
    }
    const Addr addr = Addr(std::int64_t(ppn * pageBytes) + std::int64_t(block) * std::int64_t(blkSize));
    out.emplace_back(addr, 0);
}

void SignaturePath::calculatePrefetch(const PrefetchInfo &pfi, std::vector<AddrPriority> &out) {
    const Addr addr = pfi.getAddr();
    const Addr ppn = addr / pageBytes;
    const Stride block = Stride((addr % pageBytes) / blkSize);

    // The page's entry: the delta since its last access, or a new entry.
    Stride stride = 0;
    double confidence = 1.0;
    SignatureEntry *st = signatureTable.find(ppn);
    const bool miss = st == nullptr;
    if (st) {
        signatureTable.touch(st);
        stride = Stride(block - st->lastBlock);
    } else {
        st = signatureTable.insert(ppn);
        signatureTableMiss(block, st->signature, confidence, stride);
    }
    st->lastBlock = block;
    if (miss || stride == 0) return;   // no history for this page, or nothing to learn

    // Learn: the old signature was followed by `stride`.
    PatternEntry &learned = patternEntry(st->signature);
    increaseCounters(learned, strideEntry(learned, stride));
    st->signature = nextSignature(st->signature, stride);

    // Look ahead along the most likely path.
    Signature sig = st->signature;
    Stride position = st->lastBlock;
    unsigned depth = 0;
    while (confidence > lookaheadThreshold) {
        PatternEntry *pe = patternTable.find(sig);
        const StrideEntry *next = nullptr;
        if (pe) {
            unsigned best = 0;
            for (const StrideEntry &s : pe->strides) {
                if (best < s.counter.get()) {
                    best = s.counter.get();
                    next = &s;
                }
                if (s.stride != 0 && prefetchConfidence(*pe, s) >= prefetchThreshold)
                    addPrefetch(ppn, position, s.stride, confidence, sig, out);
            }
        }
        if (!next) break;
        confidence *= lookaheadConfidence(*pe, *next);
        sig = nextSignature(sig, next->stride);
        position = Stride(position + next->stride);
        if (!lookaheadMayContinue(++depth, position)) break;
    }

    // Nothing predicted: fall back to the next line.
    if (out.empty()) addPrefetch(ppn, block, 1, 0.0, 0, out);
}

NPUSIM_REGISTER_SIMOBJECT(SignaturePathPrefetcher, SignaturePath);

}  // namespace npusim
