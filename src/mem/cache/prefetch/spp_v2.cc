// SignaturePathPrefetcherV2: SPP as in the MICRO 2016 paper, on the same
// tables as SignaturePathPrefetcher (spp.hh) plus a global history register.
//
//  - A delta's confidence is its counter over the signature's own counter
//    (C_delta / C_sig); both halve when either saturates.
//  - A lookahead step multiplies the path confidence by the global accuracy
//    alpha (useful / issued prefetches) and by C_delta / C_sig.
//  - A candidate that leaves the page records (signature, position, delta,
//    path confidence) in the global history register; the first access to
//    a new page whose line is where such a path lands takes that signature.
//
// Bounded, unlike gem5 v24's version. There, alpha is used unclamped and a
// path whose deltas are certain (C_delta == C_sig, e.g. any constant stride)
// keeps its confidence at 1 as soon as alpha reaches 1: the lookahead loop
// never ends, appending a candidate per step (page crossings included, the
// 16-bit position wrapping around), and the candidate vector grows until
// the host runs out of memory -- which is how gem5's runs on the reference
// kernels passed 20 GiB. npusim's lookahead stops, as the paper's does, when
// the path leaves the page, and after at most lines-per-page steps; alpha is
// clamped to [0, 1] (0 before any prefetch was issued, where gem5 computes
// 0/0 and stops the same way).
//
// gem5's register match also compares the unwrapped landing position
// (lastBlock + delta, outside the page by construction) with the new page's
// line, which never matches a real crossing, and scans the never-filled
// entries too (all zero: any first access at line 0 matches one). npusim
// matches the landing line modulo the page, on filled entries only.
#include "spp.hh"

namespace npusim {
namespace {

class SignaturePathV2 final : public SignaturePath {
  public:
    explicit SignaturePathV2(const Params &p)
        : SignaturePath(p),
          ghr(ghrGeometry(p), GhrEntry{}) {}

  private:
    // One fully associative set.
    static TableGeometry ghrGeometry(const Params &p) {
        const unsigned entries = p.get<unsigned>("global_history_register_entries");
        if (entries == 0) p.error("global_history_register_entries", "must be at least 1");
        auto *policy = p.get<BaseReplacementPolicy *>("global_history_register_replacement_policy");
        if (!policy) p.error("global_history_register_replacement_policy", "a replacement policy is required");
        return TableGeometry{1, entries, policy};
    }

    struct GhrEntry {
        Signature signature = 0;
        double confidence = 0.0;
        Stride lastBlock = 0;
        Stride delta = 0;
    };

    double accuracy() const {
        if (issuedPrefetches == 0) return 0.0;
        const double a = double(usefulPrefetches) / double(issuedPrefetches);
        return a > 1.0 ? 1.0 : a;
    }

    double prefetchConfidence(const PatternEntry &e, const StrideEntry &s) const override {
        if (e.counter.get() == 0) return 0.0;
        return double(s.counter.get()) / double(e.counter.get());
    }

    double lookaheadConfidence(const PatternEntry &e, const StrideEntry &s) const override {
        if (e.counter.get() == 0) return 0.0;
        return accuracy() * double(s.counter.get()) / double(e.counter.get());
    }

    void increaseCounters(PatternEntry &e, StrideEntry &s) override {
        auto halveAll = [&e] {
            e.counter >>= 1;
            for (auto &x : e.strides) x.counter >>= 1;
        };
        if (e.counter.isSaturated()) halveAll();
        if (s.counter.isSaturated()) halveAll();
        ++e.counter;
        ++s.counter;
    }

    void signatureTableMiss(Stride block, Signature &sig, double &confidence, Stride &stride) override {
        const int lines = linesPerPage();
        auto &entries = ghr.all();
        for (std::size_t i = 0; i < entries.size(); ++i) {
            if (!ghr.validAt(i)) continue;
            const GhrEntry &g = entries[i];
            const int landing = ((int(g.lastBlock) + int(g.delta)) % lines + lines) % lines;
            if (landing == int(block)) {
                sig = g.signature;
                confidence = g.confidence;
                stride = g.delta;
                ghr.touch(&g);
                return;
            }
        }
        SignaturePath::signatureTableMiss(block, sig, confidence, stride);
    }

    void pageCrossing(Signature sig, Stride lastBlock, Stride delta, double confidence) override {
        GhrEntry *g = ghr.insert(0);   // every path is new: always a replacement
        g->signature = sig;
        g->lastBlock = lastBlock;
        g->delta = delta;
        g->confidence = confidence;
    }

    bool lookaheadMayContinue(unsigned depth, int position) const override {
        return depth < unsigned(linesPerPage()) && position >= 0 && position < linesPerPage();
    }

    AssociativeTable<GhrEntry> ghr;
};

}  // namespace

NPUSIM_REGISTER_SIMOBJECT(SignaturePathPrefetcherV2, SignaturePathV2);

}  // namespace npusim
