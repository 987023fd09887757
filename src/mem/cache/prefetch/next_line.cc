// NextLinePrefetcher: on each observed access, prefetch the `degree` lines
// that follow the accessed one. The whole prefetcher is this file plus its
// declaration in npusim/objects/prefetch.py.
#include "npusim/mem/cache/prefetch/queued.hh"

namespace npusim {

class NextLine final : public QueuedPrefetcher {
  public:
    explicit NextLine(const Params &p) : QueuedPrefetcher(p), degree(p.get<unsigned>("degree")) {
        if (degree == 0) p.error("degree", "must be at least 1");
        checkCandidateCount(p, "degree", degree);
    }

    void calculatePrefetch(const PrefetchInfo &pfi, std::vector<AddrPriority> &out) override {
        const Addr line = blockAddress(pfi.getAddr());
        for (unsigned d = 1; d <= degree; ++d) out.emplace_back(line + Addr(d) * blkSize, 0);
    }

  private:
    unsigned degree;
};

NPUSIM_REGISTER_SIMOBJECT(NextLinePrefetcher, NextLine);

}  // namespace npusim
