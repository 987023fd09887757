// Hardware prefetchers attached to a Cache (gem5's prefetch::Base).
//
// The cache notifies its prefetcher through three probes, as gem5 does:
//   probeNotify(info)  every access, after the tag lookup (info.isMiss tells
//                      hit from miss); filtered by on_miss / on_read /
//                      on_write / on_data / prefetch_on_access /
//                      prefetch_on_pf_hit before notify() sees it;
//   notifyFill(info)   a line arrived from below (info.lineData is the line);
//   notifyEvict(info)  a valid line left the cache.
// Unlike gem5's hit probe, an access that hits carries the line's data
// (info.lineData), which indirect prefetchers such as IMP need.
//
// The cache pulls prefetches with getPacket() when an MSHR is free beyond
// the demand reserve; nextPrefetchReadyTime() tells it when to look.
//
// Stats keep gem5's names and meanings (pfIssued, pfUseful, pfLate =
// pfHitInCache + pfHitInMSHR + pfHitInWB, accuracy = pfUseful / pfIssued,
// coverage = pfUseful / (pfUseful + demandMshrMisses), ...). npusim adds a
// balanced account, pfOutcome, in which every issued prefetch ends in
// exactly one bucket, so that pfOutcome::total == pfIssued at every dump.
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "npusim/mem/packet.hh"
#include "npusim/sim/clocked_object.hh"

namespace npusim {

// What a cache lets its prefetcher see. Addresses are byte addresses; the
// queries look at the line that holds them.
class CacheAccessor {
  public:
    virtual bool inCache(Addr addr) const = 0;          // a valid line
    virtual bool inMissQueue(Addr addr) const = 0;      // an MSHR for the line
    virtual bool inWriteBuffer(Addr addr) const = 0;    // a pending writeback
    virtual bool hasBeenPrefetched(Addr addr) const = 0;  // present and not yet used by a demand
    // Whether the memory below claims the address (a candidate that left
    // memory, or wrapped around below address 0, cannot be fetched).
    virtual bool servesAddress(Addr) const { return true; }
    virtual unsigned blockSize() const = 0;
    // Asks the cache to consider issuing a prefetch at `when` (for
    // prefetchers that produce candidates outside of cache accesses).
    virtual void schedulePrefetchIssue(Tick when) = 0;
    // For pfOutcome: lines brought by prefetches of `epoch` still tagged,
    // and prefetches of `epoch` still waiting for their data.
    virtual std::size_t prefetchedLinesResident(std::uint64_t epoch) const = 0;
    virtual std::size_t prefetchesInFlight(std::uint64_t epoch) const = 0;

  protected:
    ~CacheAccessor() = default;
};

// One access (or fill) as the prefetcher sees it: gem5's PrefetchInfo.
struct PrefetchInfo {
    Addr addr = 0;               // byte address of the access
    Addr pc = 0;
    bool pcValid = false;
    RequestorID requestorId = kInvalidRequestorID;
    bool secure = false;         // npusim has no secure world
    bool write = false;
    bool miss = false;
    unsigned size = 0;           // access size in bytes
    MemCmd cmd = MemCmd::InvalidCmd;
    // The access hit a line that a prefetch brought in and no demand had
    // touched yet (gem5's hasBeenPrefetched at probe time).
    bool prefetchHit = false;
    // The whole line holding `addr` when the cache has it (hits, writes
    // after the write, fills); null on a miss.
    const std::uint8_t *lineData = nullptr;
    Addr lineAddr = 0;
    unsigned lineSize = 0;

    // gem5 spellings.
    Addr getAddr() const { return addr; }
    Addr getPC() const { return pc; }
    bool hasPC() const { return pcValid; }
    RequestorID getRequestorId() const { return requestorId; }
    bool isSecure() const { return secure; }
    bool isWrite() const { return write; }
    bool isCacheMiss() const { return miss; }
    unsigned getSize() const { return size; }
    bool hasData() const { return lineData != nullptr; }
    // A value of the line at byte address `a` (which must lie in the line).
    template <typename T>
    T get(Addr a) const {
        if (!lineData || a < lineAddr || a + sizeof(T) > lineAddr + lineSize)
            panic("PrefetchInfo::get outside the available line data at ", a);
        T v;
        std::memcpy(&v, lineData + (a - lineAddr), sizeof(T));
        return v;
    }
    // The same access, retargeted at another address (gem5's copy-with-addr).
    PrefetchInfo withAddr(Addr a) const {
        PrefetchInfo copy = *this;
        copy.addr = a;
        copy.lineData = nullptr;
        return copy;
    }
};
using AccessInfo = PrefetchInfo;

// A valid line leaving the cache.
struct EvictionInfo {
    Addr addr = 0;                       // line address
    RequestorID requestorId = kInvalidRequestorID;  // who brought the line in
    bool wasPrefetched = false;          // still tagged: no demand used it
    bool dirty = false;
    const std::uint8_t *data = nullptr;  // the line's data
    unsigned size = 0;
};

// A candidate address and its priority (higher issues first).
using AddrPriority = std::pair<Addr, std::int32_t>;

class BasePrefetcher : public ClockedObject {
  public:
    explicit BasePrefetcher(const Params &p);

    // The most candidates one access may ask for (a degree, a streaming
    // distance). Like gem5's, npusim's prefetchers build every candidate
    // before the queue drops those outside the page, so a count typed by
    // mistake (2^31) would take hours and tens of GiB; 2^16 lines (4 MiB
    // of 64-byte lines ahead) is past any use. Errors naming `key` above it.
    static constexpr std::int64_t kMaxCandidatesPerAccess = std::int64_t(1) << 16;
    static void checkCandidateCount(const Params &p, const char *key, std::int64_t value);

    // Called once by the owning cache. Adopts the cache's line size.
    virtual void setCache(CacheAccessor *owner, unsigned cacheLineSize);
    // Per-cache overrides of prefetch_on_access / prefetch_on_pf_hit.
    void overrideTriggers(int onAccess, int onPfHit);

    // --- probes, called by the cache -----------------------------------
    // Every access after its lookup. Counts pfUseful, applies the
    // observation filters, then calls notify().
    void probeNotify(const PrefetchInfo &info);
    virtual void notifyFill(const PrefetchInfo &info) {}
    virtual void notifyEvict(const EvictionInfo &info) {}

    // --- issue, called by the cache --------------------------------------
    // The next prefetch to send (a HardPFReq of one line, owned by the
    // caller from now on), or null. Counts pfIssued.
    virtual PacketPtr getPacket() = 0;
    virtual Tick nextPrefetchReadyTime() const = 0;

    // --- accounting, called by the cache ---------------------------------
    void incrDemandMshrMisses() { ++demandMshrMisses; }
    void pfHitInCacheAtIssue() { ++pfHitInCache; ++outcomeDroppedAtIssue; }
    void pfHitInMshrAtIssue() { ++pfHitInMSHR; ++outcomeDroppedAtIssue; }
    void pfHitInWbAtIssue() { ++pfHitInWB; ++outcomeDroppedAtIssue; }
    void pfSquashedAboveAtIssue() { ++pfSquashedAbove; ++outcomeDroppedAtIssue; }
    // A tagged line of `epoch` was evicted or invalidated before any use.
    void prefetchUnused(std::uint64_t epoch) {
        ++pfUnused;
        if (epoch == currentEpoch) ++outcomeEvictedUnused;
    }
    // A demand (or writeback) consumed the tag of a line of `epoch`.
    void prefetchConsumed(std::uint64_t epoch) {
        if (epoch == currentEpoch) ++outcomeUseful;
    }
    // A demand merged into the in-flight prefetch of `epoch`.
    void prefetchLate(std::uint64_t epoch) {
        if (epoch == currentEpoch) ++outcomeLate;
    }
    // Prefetches issued since the last stats reset belong to this epoch;
    // the cache stamps it on the MSHR and the line.
    std::uint64_t epoch() const { return currentEpoch; }

    RequestorID requestorId() const { return reqId; }
    unsigned blockSize() const { return blkSize; }

    void resetStats() override;
    void preDumpStats() override;

  protected:
    // Accesses that passed the filters.
    virtual void notify(const PrefetchInfo &info) = 0;
    // Whether this access is one the prefetcher observes (gem5's
    // observeAccess).
    bool observeAccess(const PrefetchInfo &info) const;

    // gem5's helpers.
    bool inCache(Addr a) const { return cache->inCache(a); }
    bool inMissQueue(Addr a) const { return cache->inMissQueue(a); }
    bool servesAddress(Addr a) const { return cache->servesAddress(a); }
    bool hasBeenPrefetched(Addr a) const { return cache->hasBeenPrefetched(a); }
    bool samePage(Addr a, Addr b) const { return pageAddress(a) == pageAddress(b); }
    Addr blockAddress(Addr a) const { return a & ~Addr(blkSize - 1); }
    Addr blockIndex(Addr a) const { return a >> lBlkSize; }
    Addr pageAddress(Addr a) const { return a - a % pageBytes; }
    Addr pageOffset(Addr a) const { return a % pageBytes; }
    Addr pageIthBlockAddress(Addr page, std::uint32_t i) const { return page + (Addr(i) << lBlkSize); }

    // Creates the request for one prefetch of the line at `addr`.
    PacketPtr makePrefetchPacket(Addr addr, Addr pc, bool hasPc) const;
    // Bookkeeping for getPacket() implementations.
    void countIssued() { ++pfIssued; ++issuedPrefetches; }

    CacheAccessor *cache = nullptr;
    unsigned blkSize;
    unsigned lBlkSize;
    Addr pageBytes;
    bool onMiss, onRead, onWrite, onData, onInst;
    bool prefetchOnAccess, prefetchOnPfHit;
    bool useVirtualAddresses;
    RequestorID reqId;
    // For throttling (gem5's issuedPrefetches / usefulPrefetches).
    std::uint64_t issuedPrefetches = 0;
    std::uint64_t usefulPrefetches = 0;

  public:
    // gem5's stats, in gem5's order.
    stats::Scalar demandMshrMisses;
    stats::Scalar pfIssued;
    stats::Scalar pfUnused;
    stats::Scalar pfUseful;
    stats::Scalar pfUsefulButMiss;
    stats::Formula accuracy;
    stats::Formula coverage;
    stats::Scalar pfHitInCache;
    stats::Scalar pfHitInMSHR;
    stats::Scalar pfHitInWB;
    stats::Formula pfLate;
    // npusim's balanced account of pfIssued.
    stats::Vector pfOutcome;
    // npusim: prefetches squashed because a cache above held the line
    // (gem5 drops them too, without a stat; part of pfOutcome::droppedAtIssue).
    stats::Scalar pfSquashedAbove;

  private:
    std::uint64_t currentEpoch = 0;
    double outcomeUseful = 0, outcomeLate = 0, outcomeEvictedUnused = 0, outcomeDroppedAtIssue = 0;
};

}  // namespace npusim
