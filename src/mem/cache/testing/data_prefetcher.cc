// CacheTestDataPrefetcher: a test prefetcher that reads the data of the
// accessed line, as indirect prefetchers (IMP) must: on an observed access
// whose line data is available it prefetches the address stored in the
// accessed 8-byte word (if non-zero). It counts the fills and evictions it
// is told about, with their data.
#include "npusim/mem/cache/prefetch/queued.hh"

namespace npusim {
namespace {

class DataPrefetcher final : public QueuedPrefetcher {
  public:
    explicit DataPrefetcher(const Params &p)
        : QueuedPrefetcher(p),
          accessesWithData(this, "accessesWithData", stats::units::Count, "observed accesses that carried line data"),
          fillsSeen(this, "fillsSeen", stats::units::Count, "fills notified with their data"),
          evictionsSeen(this, "evictionsSeen", stats::units::Count, "evictions notified with their data"),
          evictedUnusedSeen(this, "evictedUnusedSeen", stats::units::Count, "evicted lines still tagged prefetched") {}

    void calculatePrefetch(const PrefetchInfo &pfi, std::vector<AddrPriority> &out) override {
        if (!pfi.hasData()) return;
        ++accessesWithData;
        const Addr word = pfi.getAddr() & ~Addr(7);
        const auto target = pfi.get<std::uint64_t>(word);
        if (target) out.emplace_back(Addr(target), 0);
    }
    void notifyFill(const PrefetchInfo &info) override {
        if (info.hasData() && info.lineSize == blkSize) ++fillsSeen;
    }
    void notifyEvict(const EvictionInfo &info) override {
        if (info.data) ++evictionsSeen;
        if (info.wasPrefetched) ++evictedUnusedSeen;
    }

  private:
    stats::Scalar accessesWithData, fillsSeen, evictionsSeen, evictedUnusedSeen;
};

}  // namespace

NPUSIM_REGISTER_SIMOBJECT(CacheTestDataPrefetcher, DataPrefetcher);

}  // namespace npusim
