#include "npusim/mem/cache/prefetch/base.hh"

#include "npusim/mem/requestors.hh"

namespace npusim {

namespace {
enum Outcome { kUseful, kLate, kEvictedUnused, kDroppedAtIssue, kResidentAtEnd, kInFlight, kNumOutcomes };

unsigned log2Exact(const Params &p, const char *key, std::uint64_t v) {
    if (v == 0 || (v & (v - 1))) p.error(key, "must be a power of 2, got " + std::to_string(v));
    unsigned n = 0;
    while ((std::uint64_t(1) << n) < v) ++n;
    return n;
}
}  // namespace

BasePrefetcher::BasePrefetcher(const Params &p)
    : ClockedObject(p),
      blkSize(p.get<unsigned>("block_size", 64)),
      lBlkSize(log2Exact(p, "block_size", blkSize)),
      pageBytes(p.get<Addr>("page_bytes", 4096)),
      onMiss(p.get<bool>("on_miss", false)),
      onRead(p.get<bool>("on_read", true)),
      onWrite(p.get<bool>("on_write", true)),
      onData(p.get<bool>("on_data", true)),
      onInst(p.get<bool>("on_inst", true)),
      prefetchOnAccess(p.get<bool>("prefetch_on_access", false)),
      prefetchOnPfHit(p.get<bool>("prefetch_on_pf_hit", true)),
      useVirtualAddresses(p.get<bool>("use_virtual_addresses", false)),
      reqId(registerRequestor(p.name())),
      demandMshrMisses(this, "demandMshrMisses", stats::units::Count, "demands not covered by prefetchs"),
      pfIssued(this, "pfIssued", stats::units::Count, "number of hwpf issued"),
      pfUnused(this, "pfUnused", stats::units::Count, "number of HardPF blocks evicted w/o reference"),
      pfUseful(this, "pfUseful", stats::units::Count, "number of useful prefetch"),
      pfUsefulButMiss(this, "pfUsefulButMiss", stats::units::Count,
                      "number of hit on prefetch but cache block is not in an usable state"),
      accuracy(this, "accuracy", stats::units::Count, "accuracy of the prefetcher",
               [this] { return pfUseful.value() / pfIssued.value(); }),
      coverage(this, "coverage", stats::units::Count, "coverage brought by this prefetcher",
               [this] { return pfUseful.value() / (pfUseful.value() + demandMshrMisses.value()); }),
      pfHitInCache(this, "pfHitInCache", stats::units::Count, "number of prefetches hitting in cache"),
      pfHitInMSHR(this, "pfHitInMSHR", stats::units::Count, "number of prefetches hitting in a MSHR"),
      pfHitInWB(this, "pfHitInWB", stats::units::Count, "number of prefetches hit in the Write Buffer"),
      pfLate(this, "pfLate", stats::units::Count, "number of late prefetches (hitting in cache, MSHR or WB)",
             [this] { return pfHitInCache.value() + pfHitInMSHR.value() + pfHitInWB.value(); }),
      pfOutcome(this, "pfOutcome", stats::units::Count,
                "npusim: what became of each issued prefetch (total == pfIssued): useful = first used by a "
                "demand after its fill; late = a demand arrived while it was in flight; evictedUnused = "
                "evicted before any use; droppedAtIssue = the line was already in the cache, an MSHR or the "
                "write buffer when it left the queue (gem5's pfLate), or held by a cache above "
                "(pfSquashedAbove); residentAtEnd = filled, unused and still "
                "cached at this dump; inFlight = sent and not yet filled at this dump. Counts prefetches "
                "issued since the last stats reset"),
      pfSquashedAbove(this, "pfSquashedAbove", stats::units::Count,
                      "npusim: prefetches squashed at issue because a cache above held the line") {
    if (pageBytes == 0 || (pageBytes & (pageBytes - 1))) p.error("page_bytes", "must be a power of 2");
    if (pageBytes < blkSize)
        p.error("page_bytes", "a page of " + std::to_string(pageBytes) + " B is smaller than a block of " +
                                  std::to_string(blkSize) + " B (block_size): no prefetch would stay in its page");
    pfUnused.flags(stats::kNoZero);
    pfSquashedAbove.flags(stats::kNoZero);
    pfOutcome.init(kNumOutcomes);
    pfOutcome.subname(kUseful, "useful").subname(kLate, "late").subname(kEvictedUnused, "evictedUnused")
        .subname(kDroppedAtIssue, "droppedAtIssue").subname(kResidentAtEnd, "residentAtEnd")
        .subname(kInFlight, "inFlight");
    pfOutcome.flags(stats::kTotal);
}

void BasePrefetcher::checkCandidateCount(const Params &p, const char *key, std::int64_t value) {
    if (value > kMaxCandidatesPerAccess)
        p.error(key, std::to_string(value) + " prefetch candidates per access; npusim takes at most " +
                         std::to_string(kMaxCandidatesPerAccess) + " (each access builds them all, as gem5's does)");
}

void BasePrefetcher::setCache(CacheAccessor *owner, unsigned cacheLineSize) {
    if (cache) fatal(name(), ": a prefetcher can serve one cache only; it is already attached to another");
    cache = owner;
    if (cacheLineSize == 0 || (cacheLineSize & (cacheLineSize - 1)))
        fatal(name(), ": the cache line size ", cacheLineSize, " is not a power of 2");
    // gem5 silently takes the cache's line size; block_size defaults to it
    // (Parent.cache_line_size), so a different one was set by hand.
    if (blkSize != cacheLineSize)
        fatal(name(), ".block_size: ", blkSize, " B differs from the line size of the cache it serves (",
              cacheLineSize, " B); leave block_size unset");
    blkSize = cacheLineSize;
    lBlkSize = 0;
    while ((1u << lBlkSize) < blkSize) ++lBlkSize;
}

void BasePrefetcher::overrideTriggers(int onAccess, int onPfHit) {
    if (onAccess >= 0) prefetchOnAccess = onAccess != 0;
    if (onPfHit >= 0) prefetchOnPfHit = onPfHit != 0;
}

bool BasePrefetcher::observeAccess(const PrefetchInfo &info) const {
    if (!info.miss) {
        if (prefetchOnPfHit) return info.prefetchHit;
        if (!prefetchOnAccess) return false;
    }
    // npusim requests carry no instruction-fetch flag: every access is data.
    const bool read = !info.write;
    if (!onData) return false;
    if (read && !onRead) return false;
    if (!read && !onWrite) return false;
    if (info.cmd == MemCmd::CleanEvict) return false;
    if (onMiss) return info.miss;
    return true;
}

void BasePrefetcher::probeNotify(const PrefetchInfo &info) {
    if (info.cmd == MemCmd::CleanEvict || info.cmd == MemCmd::WritebackClean) return;
    if (info.prefetchHit) {
        ++usefulPrefetches;
        ++pfUseful;
        if (info.miss) ++pfUsefulButMiss;
    }
    if (observeAccess(info)) notify(info);
}

PacketPtr BasePrefetcher::makePrefetchPacket(Addr addr, Addr pc, bool hasPc) const {
    PacketPtr pkt = Packet::create(MemCmd::HardPFReq, addr, blkSize, reqId);
    if (hasPc) {
        pkt->pc = pc;
        pkt->hasPC = true;
    }
    return pkt;
}

void BasePrefetcher::resetStats() {
    ClockedObject::resetStats();
    ++currentEpoch;
    outcomeUseful = outcomeLate = outcomeEvictedUnused = outcomeDroppedAtIssue = 0;
}

void BasePrefetcher::preDumpStats() {
    pfOutcome[kUseful] = outcomeUseful;
    pfOutcome[kLate] = outcomeLate;
    pfOutcome[kEvictedUnused] = outcomeEvictedUnused;
    pfOutcome[kDroppedAtIssue] = outcomeDroppedAtIssue;
    pfOutcome[kResidentAtEnd] = cache ? double(cache->prefetchedLinesResident(currentEpoch)) : 0.0;
    pfOutcome[kInFlight] = cache ? double(cache->prefetchesInFlight(currentEpoch)) : 0.0;
}

}  // namespace npusim
