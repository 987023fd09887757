// SignaturePath: the signature path prefetcher shared by
// SignaturePathPrefetcher (spp.cc) and SignaturePathPrefetcherV2
// (spp_v2.cc), gem5's prefetch::SignaturePath. Private to those two files.
//
// Per page (signature table, keyed by page number) it keeps the last line
// touched and a signature: the recent deltas between lines of the page,
// folded as sig = ((sig << signature_shift) ^ delta) & mask(signature_bits).
// The pattern table, indexed by signature, counts which deltas followed
// that signature. On an access with a non-zero delta the pattern entry of
// the old signature learns the delta and the page's signature moves on;
// then a lookahead walks the pattern table from the new signature: every
// delta of the current entry whose confidence reaches
// prefetch_confidence_threshold is a candidate (relative to the walk's
// position), the most frequent delta extends the path, and the path
// confidence is multiplied by that delta's lookahead confidence until it
// falls to lookahead_confidence_threshold. When nothing qualifies, the next
// line is prefetched.
//
// Papers: J. Kim, P. V. Gratz, A. L. N. Reddy, "Lookahead Prefetching with
// Signature Path", DPC-2, 2015 (the version gem5's SignaturePathPrefetcher
// follows); J. Kim et al., "Path Confidence based Lookahead Prefetching",
// MICRO 2016 (SPP with a global history register and global accuracy, the
// version of SignaturePathPrefetcherV2).
#pragma once
#include <cstdint>
#include <vector>

#include "npusim/mem/cache/prefetch/associative_table.hh"
#include "npusim/mem/cache/prefetch/queued.hh"
#include "npusim/mem/cache/prefetch/sat_counter.hh"

namespace npusim {

class SignaturePath : public QueuedPrefetcher {
  public:
    explicit SignaturePath(const Params &p);
    void calculatePrefetch(const PrefetchInfo &pfi, std::vector<AddrPriority> &out) override;

  protected:
    using Signature = std::uint16_t;
    using Stride = std::int16_t;   // gem5's stride_t: deltas and in-page positions

    struct SignatureEntry {
        Signature signature = 0;
        Stride lastBlock = 0;
    };
    struct StrideEntry {
        Stride stride = 0;
        SatCounter counter;
    };
    struct PatternEntry {
        std::vector<StrideEntry> strides;
        SatCounter counter;   // occurrences of the signature (V2)
    };

    Signature nextSignature(Signature sig, Stride delta) const {
        return Signature(((unsigned(sig) << signatureShift) ^ unsigned(std::uint16_t(delta))) & signatureMask);
    }
    // Appends the line `delta` lines away from `lastBlock` of page `ppn`
    // (which may lie in another page; the queue drops those, as gem5 does
    // without a TLB). Reports page crossings to pageCrossing().
    void addPrefetch(Addr ppn, Stride lastBlock, Stride delta, double pathConfidence, Signature sig,
                     std::vector<AddrPriority> &out);
    PatternEntry &patternEntry(Signature sig);
    StrideEntry &strideEntry(PatternEntry &e, Stride delta);
    Stride linesPerPage() const { return Stride(pageBytes / blkSize); }

    // Hooks that V2 overrides.
    virtual double prefetchConfidence(const PatternEntry &e, const StrideEntry &s) const;
    virtual double lookaheadConfidence(const PatternEntry &e, const StrideEntry &s) const;
    virtual void increaseCounters(PatternEntry &e, StrideEntry &s);
    // A page seen for the first time: its starting signature, the initial
    // path confidence, and the stride to report.
    virtual void signatureTableMiss(Stride block, Signature &sig, double &confidence, Stride &stride);
    virtual void pageCrossing(Signature sig, Stride lastBlock, Stride delta, double confidence) {}
    // Whether the lookahead may take another step after `depth` steps, the
    // path now being at line `position` of the page (V1: always).
    virtual bool lookaheadMayContinue(unsigned depth, int position) const { return true; }

    unsigned stridesPerEntry;
    unsigned signatureShift;
    unsigned signatureBits;
    unsigned signatureMask;
    unsigned counterBits;
    double prefetchThreshold;
    double lookaheadThreshold;
    AssociativeTable<SignatureEntry> signatureTable;   // keyed by page number
    AssociativeTable<PatternEntry> patternTable;       // keyed by signature
};

}  // namespace npusim
