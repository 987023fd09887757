#include "npusim/mem/cache/prefetch/queued.hh"

#include <algorithm>

#include "npusim/sim/debug.hh"

NPUSIM_DEBUG_FLAG(HWPrefetch, "Queued prefetchers: candidates queued, dropped (and why) and issued")

namespace npusim {

namespace {
enum Dropped { kInCache, kInQueue, kQueueFull, kDemandSquash, kNumDropped };
}

QueuedPrefetcher::QueuedPrefetcher(const Params &p)
    : BasePrefetcher(p),
      queueSize(p.get<unsigned>("queue_size", 32)),
      latency(p.get<Cycles>("latency", Cycles(1))),
      queueSquash(p.get<bool>("queue_squash", true)),
      queueFilter(p.get<bool>("queue_filter", true)),
      cacheSnoop(p.get<bool>("cache_snoop", false)),
      tagPrefetch(p.get<bool>("tag_prefetch", true)),
      throttleControlPct(unsigned(p.get<double>("throttle_control_percentage", 0.0))),
      acrossPages(p.get<bool>("prefetch_across_pages", false)),
      pfIdentified(this, "pfIdentified", stats::units::Count, "number of prefetch candidates identified"),
      pfBufferHit(this, "pfBufferHit", stats::units::Count,
                  "number of redundant prefetches already in prefetch queue"),
      pfInCache(this, "pfInCache", stats::units::Count,
                "number of redundant prefetches already in cache/mshr dropped"),
      pfRemovedDemand(this, "pfRemovedDemand", stats::units::Count,
                      "number of prefetches dropped due to a demand for the same address"),
      pfRemovedFull(this, "pfRemovedFull", stats::units::Count,
                    "number of prefetches dropped due to prefetch queue size"),
      pfSpanPage(this, "pfSpanPage", stats::units::Count, "number of prefetches that crossed the page"),
      pfUsefulSpanPage(this, "pfUsefulSpanPage", stats::units::Count,
                       "number of prefetches that is useful and crossed the page"),
      pfOutOfRange(this, "pfOutOfRange", stats::units::Count,
                   "npusim: page-crossing candidates dropped because no memory below claims their address"),
      pfDropped(this, "pfDropped", stats::units::Count,
                "npusim: identified candidates dropped before issue, by reason (inCache = pfInCache, "
                "inQueue = pfBufferHit, queueFull = pfRemovedFull, demandSquash = pfRemovedDemand); "
                "pfIdentified + pfQueuedAtReset == pfIssued + pfDropped::total + pfQueued"),
      pfQueued(this, "pfQueued", stats::units::Count,
               "npusim: identified candidates still waiting in the prefetch queue at this dump"),
      pfQueuedAtReset(this, "pfQueuedAtReset", stats::units::Count,
                      "npusim: candidates already waiting in the prefetch queue when the stats were last reset") {
    if (queueSize == 0) p.error("queue_size", "must be at least 1");
    if (throttleControlPct > 100) p.error("throttle_control_percentage", "must be in [0, 100]");
    queue.reserve(queueSize + 1);
    candidates.reserve(64);
    pfDropped.init(kNumDropped);
    pfDropped.subname(kInCache, "inCache").subname(kInQueue, "inQueue").subname(kQueueFull, "queueFull")
        .subname(kDemandSquash, "demandSquash");
    pfDropped.flags(stats::kTotal);
    pfQueuedAtReset.flags(stats::kNoZero);
    pfOutOfRange.flags(stats::kNoZero);
}

std::size_t QueuedPrefetcher::maxPermittedPrefetches(std::size_t total) const {
    // throttle_control_percentage of the candidates survive only in
    // proportion to the accuracy so far; at least one always survives.
    std::size_t maxPfs = total;
    if (total > 0 && issuedPrefetches > 0) {
        std::size_t throttled = total * throttleControlPct / 100;
        std::size_t minPfs = total - throttled == 0 ? 1 : total - throttled;
        maxPfs = minPfs + (total - minPfs) * usefulPrefetches / issuedPrefetches;
    }
    return maxPfs;
}

void QueuedPrefetcher::notify(const PrefetchInfo &info) {
    const Addr line = blockAddress(info.addr);
    if (queueSquash) {
        auto kept = std::remove_if(queue.begin(), queue.end(), [&](const Deferred &d) { return d.addr == line; });
        pfRemovedDemand += double(queue.end() - kept);
        queue.erase(kept, queue.end());
    }

    candidates.clear();
    calculatePrefetch(info, candidates);
    const std::size_t maxPfs = maxPermittedPrefetches(candidates.size());
    std::size_t queued = 0;
    for (auto &[addr, priority] : candidates) {
        const Addr target = blockAddress(addr);
        if (!samePage(target, info.addr)) {
            // gem5 counts a page-crossing candidate (and "useful" when the
            // trigger itself hit a prefetched line), and keeps it only if it
            // can translate it (an MMU is registered). npusim addresses are
            // physical: crossing is the identity, allowed on request.
            ++pfSpanPage;
            if (hasBeenPrefetched(info.addr)) ++pfUsefulSpanPage;
            if (!acrossPages) continue;
            // (a delta that ran below address 0 wraps around to a huge one)
            if (!servesAddress(target)) {
                ++pfOutOfRange;
                continue;
            }
        }
        ++pfIdentified;
        insert(info, target, priority);
        if (++queued == maxPfs) break;
    }
}

void QueuedPrefetcher::insert(const PrefetchInfo &trigger, Addr lineAddr, std::int32_t priority) {
    if (queueFilter) {
        for (std::size_t i = 0; i < queue.size(); ++i) {
            if (queue[i].addr != lineAddr) continue;
            ++pfBufferHit;
            NPUSIM_DPRINTF(HWPrefetch, "candidate ", debug::hex(lineAddr), " already queued");
            if (queue[i].priority < priority) {
                // Raise the priority and move the entry ahead of the
                // entries it now outranks.
                Deferred d = queue[i];
                d.priority = priority;
                std::size_t j = i;
                while (j > 0 && queue[j - 1].priority < priority) {
                    queue[j] = queue[j - 1];
                    --j;
                }
                queue[j] = d;
            }
            return;
        }
    }
    if (cacheSnoop && (inCache(lineAddr) || inMissQueue(lineAddr))) {
        ++pfInCache;
        NPUSIM_DPRINTF(HWPrefetch, "candidate ", debug::hex(lineAddr), " already in the cache or its MSHRs");
        return;
    }
    const bool pc = tagPrefetch && trigger.pcValid;
    NPUSIM_DPRINTF(HWPrefetch, "queueing ", debug::hex(lineAddr), " (trigger ", debug::hex(trigger.addr),
                   ", priority ", priority, ")");
    addToQueue(Deferred{lineAddr, pc ? trigger.pc : 0, pc, curTick() + latency.value() * clockPeriod(), priority});
}

void QueuedPrefetcher::addToQueue(const Deferred &d) {
    if (queue.size() >= queueSize) {
        // Drop the oldest entry of the lowest priority present.
        ++pfRemovedFull;
        NPUSIM_DPRINTF(HWPrefetch, "queue full, dropping a queued candidate");
        std::size_t victim = queue.size() - 1;
        while (victim > 0 && queue[victim - 1].priority == queue.back().priority) --victim;
        queue.erase(queue.begin() + std::ptrdiff_t(victim));
    }
    // After every entry of higher or equal priority.
    auto pos = std::find_if(queue.begin(), queue.end(), [&](const Deferred &q) { return q.priority < d.priority; });
    queue.insert(pos, d);
}

PacketPtr QueuedPrefetcher::getPacket() {
    if (queue.empty()) return nullptr;
    const Deferred d = queue.front();
    queue.erase(queue.begin());
    countIssued();
    NPUSIM_DPRINTF(HWPrefetch, "issuing ", debug::hex(d.addr));
    return makePrefetchPacket(d.addr, d.pc, d.hasPc);
}

void QueuedPrefetcher::resetStats() {
    BasePrefetcher::resetStats();
    pfQueuedAtReset = double(queue.size());
}

void QueuedPrefetcher::preDumpStats() {
    BasePrefetcher::preDumpStats();
    pfDropped[kInCache] = pfInCache.value();
    pfDropped[kInQueue] = pfBufferHit.value();
    pfDropped[kQueueFull] = pfRemovedFull.value();
    pfDropped[kDemandSquash] = pfRemovedDemand.value();
    pfQueued = double(queue.size());
}

}  // namespace npusim
