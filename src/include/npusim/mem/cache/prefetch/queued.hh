// QueuedPrefetcher (gem5's prefetch::Queued): candidates computed on each
// observed access wait in a priority queue for `latency` cycles and are
// handed to the cache one at a time when it has an MSHR to spare.
//
// A new prefetcher derives from this class and implements
// calculatePrefetch(); that is all:
//
//     class NextLine : public QueuedPrefetcher {
//       public:
//         explicit NextLine(const Params &p) : QueuedPrefetcher(p), degree(p.get<unsigned>("degree")) {}
//         void calculatePrefetch(const PrefetchInfo &pfi, std::vector<AddrPriority> &out) override {
//             for (unsigned d = 1; d <= degree; ++d)
//                 out.emplace_back(blockAddress(pfi.getAddr()) + d * blkSize, 0);
//         }
//       private:
//         unsigned degree;
//     };
//     NPUSIM_REGISTER_SIMOBJECT(NextLinePrefetcher, NextLine);
//
// Queue semantics are gem5's: a demand to a queued line squashes it
// (queue_squash, pfRemovedDemand); a candidate already queued is dropped
// (queue_filter, pfBufferHit); with cache_snoop a candidate already in the
// cache or an MSHR is dropped (pfInCache); a full queue drops its oldest
// lowest-priority entry (pfRemovedFull); candidates in another page than
// the trigger are counted (pfSpanPage) and dropped, as gem5 does without an
// MMU, unless prefetch_across_pages (npusim: addresses are physical, so the
// translation gem5 would need is the identity). Balanced: pfIdentified + pfQueuedAtReset ==
// pfIssued + pfDropped::total + pfQueued (pfQueuedAtReset: candidates that
// were waiting when the stats were last reset).
#pragma once
#include <vector>

#include "npusim/mem/cache/prefetch/base.hh"

namespace npusim {

class QueuedPrefetcher : public BasePrefetcher {
  public:
    explicit QueuedPrefetcher(const Params &p);

    PacketPtr getPacket() override;
    Tick nextPrefetchReadyTime() const override {
        return queue.empty() ? kMaxTick : queue.front().readyTick;
    }
    std::size_t queuedPrefetches() const { return queue.size(); }
    void preDumpStats() override;

    // Subclasses: the candidate lines for one observed access. `out` is
    // empty on entry and reused between calls (no allocation per access).
    virtual void calculatePrefetch(const PrefetchInfo &pfi, std::vector<AddrPriority> &out) = 0;

  protected:
    void notify(const PrefetchInfo &info) override;
    // How many of `total` candidates the accuracy throttle lets through.
    std::size_t maxPermittedPrefetches(std::size_t total) const;

  private:
    struct Deferred {
        Addr addr;        // line address
        Addr pc;
        bool hasPc;
        Tick readyTick;
        std::int32_t priority;
    };
    void insert(const PrefetchInfo &trigger, Addr lineAddr, std::int32_t priority);
    void addToQueue(const Deferred &d);

    std::vector<Deferred> queue;   // sorted: priority high to low, FIFO within a priority
    std::vector<AddrPriority> candidates;
    unsigned queueSize;
    Cycles latency;
    bool queueSquash, queueFilter, cacheSnoop, tagPrefetch;
    unsigned throttleControlPct;
    bool acrossPages;

  public:
    stats::Scalar pfIdentified;
    stats::Scalar pfBufferHit;
    stats::Scalar pfInCache;
    stats::Scalar pfRemovedDemand;
    stats::Scalar pfRemovedFull;
    stats::Scalar pfSpanPage;
    stats::Scalar pfUsefulSpanPage;
    stats::Scalar pfOutOfRange;
    // npusim's balanced account of pfIdentified.
    stats::Vector pfDropped;
    stats::Scalar pfQueued;
    stats::Scalar pfQueuedAtReset;

    void resetStats() override;
};

}  // namespace npusim
