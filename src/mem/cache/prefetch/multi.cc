// MultiPrefetcher (gem5's prefetch::Multi, v24.0 semantics): several
// prefetchers behind one cache.
//
// Every sub-prefetcher (the `prefetchers` list) sees every access, fill and
// eviction, and applies its own observation filters (on_miss,
// prefetch_on_access, ...), as each gem5 sub-prefetcher listens to the
// cache's probes itself; the Multi's own filters are therefore left open
// (a cache-level prefetch_on_access / prefetch_on_pf_hit override still
// applies to everything that reaches the subs).
//
// getPacket() takes turns: each call moves the starting point one
// sub-prefetcher further along the list (the first call starts at the
// second one), then asks each in order from there for a packet that is
// ready now, and returns the first one found. nextPrefetchReadyTime() is
// the earliest of the subs'.
//
// Stats: the Multi counts pfIssued, pfUseful, the pfLate parts,
// demandMshrMisses and pfOutcome for all its subs together (the cache
// reports to the Multi). Each sub counts its own pfIssued and queue stats;
// its pfUseful counts first hits on lines prefetched by any sub, and its
// pfOutcome is not balanced (see docs/prefetchers/MultiPrefetcher.md).
#include <vector>

#include "npusim/mem/cache/prefetch/base.hh"

namespace npusim {
namespace {

class Multi final : public BasePrefetcher {
  public:
    explicit Multi(const Params &p) : BasePrefetcher(p) {
        for (SimObject *o : p.get<std::vector<SimObject *>>("prefetchers")) {
            auto *pf = dynamic_cast<BasePrefetcher *>(o);
            if (!pf) p.error("prefetchers", "every element must be a prefetcher");
            if (pf == this) p.error("prefetchers", "a MultiPrefetcher cannot contain itself");
            subs.push_back(pf);
        }
        // Everything goes through to the subs, which filter for themselves.
        onMiss = false;
        onRead = onWrite = onData = onInst = true;
        // (prefetch_on_pf_hit would pass only hits on prefetched lines.)
        prefetchOnAccess = true;
        prefetchOnPfHit = false;
    }

    void setCache(CacheAccessor *owner, unsigned cacheLineSize) override {
        BasePrefetcher::setCache(owner, cacheLineSize);
        for (BasePrefetcher *pf : subs) pf->setCache(owner, cacheLineSize);
    }

    void notifyFill(const PrefetchInfo &info) override {
        for (BasePrefetcher *pf : subs) pf->notifyFill(info);
    }
    void notifyEvict(const EvictionInfo &info) override {
        for (BasePrefetcher *pf : subs) pf->notifyEvict(info);
    }

    Tick nextPrefetchReadyTime() const override {
        Tick next = kMaxTick;
        for (const BasePrefetcher *pf : subs) next = std::min(next, pf->nextPrefetchReadyTime());
        return next;
    }

    PacketPtr getPacket() override {
        if (subs.empty()) return nullptr;
        turn = (turn + 1) % subs.size();
        std::size_t i = turn;
        for (std::size_t n = 0; n < subs.size(); ++n) {
            if (subs[i]->nextPrefetchReadyTime() <= curTick()) {
                PacketPtr pkt = subs[i]->getPacket();
                if (!pkt) panic(name(), ": ", subs[i]->name(), " was ready but gave no packet");
                countIssued();
                return pkt;
            }
            i = (i + 1) % subs.size();
        }
        return nullptr;
    }

  protected:
    void notify(const PrefetchInfo &info) override {
        for (BasePrefetcher *pf : subs) pf->probeNotify(info);
    }

  private:
    std::vector<BasePrefetcher *> subs;
    std::size_t turn = 0;
};

}  // namespace

NPUSIM_REGISTER_SIMOBJECT(MultiPrefetcher, Multi);

}  // namespace npusim
