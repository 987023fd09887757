// TaggedPrefetcher (gem5's prefetch::Tagged): tagged sequential
// prefetching. Each observed access -- a miss, or the first demand hit on a
// line that a prefetch brought in (the "tag", prefetch_on_pf_hit) -- asks
// for the `degree` lines that follow the accessed line. The tag itself is
// kept by the cache (the line's prefetched flag); this file only names the
// lines. Page-crossing candidates are dropped by QueuedPrefetcher.
#include "npusim/mem/cache/prefetch/queued.hh"

namespace npusim {
namespace {

class Tagged final : public QueuedPrefetcher {
  public:
    explicit Tagged(const Params &p) : QueuedPrefetcher(p), degree(p.get<int>("degree")) {
        if (degree < 0) p.error("degree", "must not be negative");
        checkCandidateCount(p, "degree", degree);
    }

    void calculatePrefetch(const PrefetchInfo &pfi, std::vector<AddrPriority> &out) override {
        const Addr line = blockAddress(pfi.getAddr());
        for (int d = 1; d <= degree; ++d) out.emplace_back(line + Addr(d) * blkSize, 0);
    }

  private:
    int degree;
};

}  // namespace

NPUSIM_REGISTER_SIMOBJECT(TaggedPrefetcher, Tagged);

}  // namespace npusim
