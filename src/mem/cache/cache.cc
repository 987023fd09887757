// The classic cache. Structure and semantics follow gem5's BaseCache/Cache
// (see the header for what is and is not modelled); the names of the steps
// (access, handleMiss, allocateMissBuffer, serviceMshrTargets, ...) match
// gem5's so that the two can be read side by side.
#include "npusim/mem/cache/cache.hh"

#include <algorithm>
#include <cstring>
#include <span>

#include "cache_stats.hh"
#include "npusim/mem/requestors.hh"
#include "npusim/sim/debug.hh"
#include "replacement/lru_state.hh"

NPUSIM_DEBUG_FLAG(Cache, "Cache accesses (hit or miss), fills and replacements")

namespace npusim {

namespace {

// What the cache asks about a request's command, answered by one table
// lookup per request rather than a chain of compares per question.
enum CmdTrait : std::uint8_t {
    kEviction = 1,        // WritebackDirty, WritebackClean, CleanEvict (gem5's isEviction)
    kNeedsWritable = 2,   // WriteReq, ReadExReq
    kFromCache = 4,       // from a cache above (gem5's FromCache attribute)
    kAllocatesAlways = 8, // allocates on fill even in a mostly exclusive cache
};
struct CmdTraitTable {
    std::uint8_t traits[256] = {};
    constexpr CmdTraitTable() {
        auto set = [this](MemCmd c, unsigned t) { traits[unsigned(c)] = std::uint8_t(t); };
        set(MemCmd::ReadReq, kAllocatesAlways);
        set(MemCmd::WriteReq, kNeedsWritable | kAllocatesAlways);
        set(MemCmd::HardPFReq, kAllocatesAlways);
        set(MemCmd::ReadExReq, kNeedsWritable | kFromCache);
        set(MemCmd::ReadCleanReq, kFromCache);
        set(MemCmd::ReadSharedReq, kFromCache);
        set(MemCmd::WritebackDirty, kEviction | kFromCache);
        set(MemCmd::WritebackClean, kEviction | kFromCache);
        set(MemCmd::CleanEvict, kEviction | kFromCache);
    }
};
constexpr CmdTraitTable kCmdTraitTable{};
unsigned cmdTraits(MemCmd cmd) { return kCmdTraitTable.traits[unsigned(cmd)]; }
bool fromCache(MemCmd cmd) { return cmdTraits(cmd) & kFromCache; }

unsigned log2Of(std::uint64_t v) {
    unsigned n = 0;
    while ((std::uint64_t(1) << n) < v) ++n;
    return n;
}

bool isPow2(std::uint64_t v) { return v && !(v & (v - 1)); }

}  // namespace

template <typename Entries>
void Cache::ReadyList::insertSorted(const Entries &entries, int idx) {
    if (tail == bufSize) {
        if (head > 0) {
            std::copy(buf.begin() + std::ptrdiff_t(head), buf.begin() + std::ptrdiff_t(tail), buf.begin());
            tail -= head;
            head = 0;
        } else {
            buf.resize(2 * buf.size() + 2, -1);  // only if the write buffer grew
            bufSize = buf.size();
        }
    }
    const Tick t = entries[std::size_t(idx)].readyTime;
    std::size_t pos = tail;
    while (pos != head && entries[std::size_t(buf[pos - 1])].readyTime > t) {
        buf[pos] = buf[pos - 1];
        --pos;
    }
    buf[pos] = idx;
    ++tail;
}

void Cache::ReadyList::eraseAnywhere(int idx) {
    if (head == tail) return;
    if (buf[head] == idx) {
        ++head;
    } else {
        std::size_t p = head + 1;
        while (p != tail && buf[p] != idx) ++p;
        if (p == tail) return;
        for (; p + 1 != tail; ++p) buf[p] = buf[p + 1];
        --tail;
    }
    if (head == tail) head = tail = 0;
}

// Applies `op` to the replacement state: an LruState's final methods are
// called directly and inlined; any other policy through its interface.
template <typename Op>
inline decltype(auto) Cache::withReplacement(Op &&op) {
    if (lruRepl) return op(*lruRepl);
    return op(*repl);
}

Cache::Cache(const Params &p)
    : ClockedObject(p),
      blkSize(p.get<unsigned>("cache_line_size", 64)),
      lBlkSize(log2Of(blkSize)),
      offsetMask(Addr(blkSize) - 1),
      lineMask(~offsetMask),
      assoc(p.get<unsigned>("assoc")),
      tagLatency(p.get<Cycles>("tag_latency")),
      dataLatency(p.get<Cycles>("data_latency")),
      responseLatency(p.get<Cycles>("response_latency")),
      forwardLatency(tagLatency),
      fillLatency(dataLatency),
      numMshrs(p.get<unsigned>("mshrs")),
      numTargets(p.get<unsigned>("tgts_per_mshr")),
      numWriteBuffers(p.get<unsigned>("write_buffers", 8)),
      demandMshrReserve(p.get<unsigned>("demand_mshr_reserve", 1)),
      sequentialAccess(p.get<bool>("sequential_access", false)),
      isReadOnly(p.get<bool>("is_read_only", false)),
      writebackClean(p.get<bool>("writeback_clean", false)),
      mostlyExclusive(p.get<std::string>("clusivity", "mostly_incl") == "mostly_excl"),
      readMissCmd(isReadOnly || mostlyExclusive ? MemCmd::ReadCleanReq : MemCmd::ReadSharedReq),
      replPolicy(p.get<BaseReplacementPolicy *>("replacement_policy")),
      cpuSide("cpu_side_port", this),
      memSide("mem_side_port", this),
      cpuRespQueue(cpuSide, p.name() + ".cpu_side_port"),
      memSendEvent(this),
      retryEvent(this),
      prefetcher(p.get<BasePrefetcher *>("prefetcher", nullptr)) {
    const std::uint64_t size = p.get<std::uint64_t>("size");
    if (!isPow2(blkSize) || blkSize < 8)
        p.error("cache_line_size", "must be a power of 2 of at least 8 bytes, got " + std::to_string(blkSize));
    if (assoc == 0) p.error("assoc", "must be at least 1");
    if (size == 0 || size % (std::uint64_t(assoc) * blkSize))
        p.error("size", std::to_string(size) + " bytes is not a multiple of assoc x cache_line_size (" +
                            std::to_string(assoc) + " x " + std::to_string(blkSize) + ")");
    numSets = size / (std::uint64_t(assoc) * blkSize);
    if (!isPow2(numSets))
        p.error("size", "gives " + std::to_string(numSets) + " sets, which is not a power of 2");
    setMask = numSets - 1;
    forwardTicks = cyclesToTicks(forwardLatency);
    fillTicks = cyclesToTicks(fillLatency);
    responseTicks = cyclesToTicks(responseLatency);
    if (numMshrs == 0) p.error("mshrs", "must be at least 1");
    if (prefetcher && demandMshrReserve >= numMshrs)
        p.error("demand_mshr_reserve", "reserves all " + std::to_string(numMshrs) +
                                           " MSHRs for demands, so the prefetcher could never issue "
                                           "(it must be below mshrs)");
    if (numTargets == 0) p.error("tgts_per_mshr", "must be at least 1");
    if (numWriteBuffers == 0) p.error("write_buffers", "must be at least 1");
    const std::string clusivity = p.get<std::string>("clusivity", "mostly_incl");
    if (clusivity != "mostly_incl" && clusivity != "mostly_excl")
        p.error("clusivity", "must be mostly_incl or mostly_excl, got '" + clusivity + "'");
    if (!replPolicy) p.error("replacement_policy", "a cache needs a replacement policy");
    const double warmupPct = p.get<double>("warmup_percentage", 0.0);
    if (!(warmupPct >= 0.0 && warmupPct <= 100.0))
        p.error("warmup_percentage", "must be a percentage in [0, 100], got " + std::to_string(warmupPct));

    if (p.has("addr_ranges")) {
        auto flat = p.get<std::vector<std::int64_t>>("addr_ranges");
        if (flat.size() % 2) p.error("addr_ranges", "expected (start, end) pairs");
        for (std::size_t i = 0; i < flat.size(); i += 2) addrRanges.emplace_back(Addr(flat[i]), Addr(flat[i + 1]));
    }
    if (addrRanges.empty()) addrRanges.emplace_back(Addr(0), kMaxTick);

    const std::size_t blockCount = numSets * assoc;
    // gem5 keeps the bound in an int: a fractional count of blocks rounds down.
    warmupBound = double(std::int64_t(warmupPct / 100.0 * double(blockCount)));
    blocks.assign(blockCount, BlockState{});
    tagHint.assign(blockCount + 16, tagHintOf(kNoLine));
    lastGroupWays = (std::uint32_t(1) << ((assoc - 1) % 16 + 1)) - 1;
    blkData.assign(blockCount * blkSize, 0);
    tempBlock.data.assign(blkSize, 0);
    repl = replPolicy->instantiate(numSets, assoc);
    lruRepl = dynamic_cast<LruState *>(repl.get());

    mshrs.resize((numMshrs + 31) / 32 * 32);  // see findMshr
    targetSlots = numTargets + 1;
    targetStore.resize(numMshrs * targetSlots);
    for (std::size_t i = 0; i < numMshrs; ++i) mshrs[i].targets = &targetStore[i * targetSlots];
    for (std::size_t i = numMshrs; i-- > 0;) mshrFree.push_back(int(i));
    mshrReady.init(numMshrs);
    mshrHint.assign(mshrs.size(), tagHintOf(kNoLine));
    // Every MSHR may add one eviction beyond the nominal size (gem5's
    // write-buffer reserve).
    const std::size_t writeSlots = numWriteBuffers + numMshrs;
    writes.resize(writeSlots);
    for (std::size_t i = writeSlots; i-- > 0;) writeFree.push_back(int(i));
    writeReady.init(writeSlots);

    stats = std::make_unique<CacheStats>(*this);

    if (prefetcher) {
        prefetcher->setCache(this, blkSize);
        prefetcher->overrideTriggers(p.has("prefetch_on_access") ? int(p.get<bool>("prefetch_on_access")) : -1,
                                     p.has("prefetch_on_pf_hit") ? int(p.get<bool>("prefetch_on_pf_hit")) : -1);
    }
}

Cache::~Cache() {
    // Packets still held (a run stopped mid-flight) go back to the pool.
    auto release = [](PacketPtr pkt) {
        if (pkt && pkt->cmd != MemCmd::InvalidCmd) Packet::destroy(pkt);
    };
    for (const Mshr &m : mshrs)
        if (m.allocated)
            for (std::uint32_t j = 0; j < m.targetCount; ++j)
                if (m.targets[j].fromPrefetcher) release(m.targets[j].pkt);
    for (int i : writeReady) release(writes[std::size_t(i)].pkt);
}

Port &Cache::getPort(const std::string &portName, int idx) {
    if (portName == "cpu_side" || portName == "cpu_side_port") return cpuSide;
    if (portName == "mem_side" || portName == "mem_side_port") return memSide;
    return ClockedObject::getPort(portName, idx);
}

void Cache::init() {
    if (!cpuSide.isConnected()) fatal(name(), ".cpu_side: port is not connected");
    if (!memSide.isConnected()) fatal(name(), ".mem_side: port is not connected");
    cpuSide.sendRangeChange();
}

void Cache::startup() {
    stats->ensure(requestorNames().size());
    belowRanges = memSide.getAddrRanges();
}

bool Cache::servesAddress(Addr addr) const {
    for (const AddrRange &r : belowRanges)
        if (r.contains(addr)) return true;
    return false;
}

AddrRangeList Cache::getAddrRanges(int) const { return addrRanges; }

void Cache::recvRangeChange(int) {
    if (cpuSide.isConnected()) cpuSide.sendRangeChange();
}

void Cache::recvRespRetry(int) { cpuRespQueue.retry(); }

// ---------------------------------------------------------------------------
// Access path: requests from the cpu side.

[[gnu::always_inline]] inline int Cache::checkRequest(PacketPtr pkt) {
    // (Only request commands have a command index.)
    const int ci = CacheStats::cmdIndex(pkt->cmd);
    if (ci < 0) fatal(name(), ": cannot handle ", pkt->print());
    if (pkt->size == 0 || offsetOf(*pkt) + pkt->size > blkSize)
        fatal(name(), ": ", pkt->print(), " does not fit in one ", blkSize, "-byte cache line");
    if (isReadOnly && pkt->cmd == MemCmd::WriteReq) fatal(name(), ": write ", pkt->print(), " to a read-only cache");
    if (!stats->covers(pkt->requestorId)) {
        if (pkt->requestorId == kInvalidRequestorID)
            fatal(name(), ": ", pkt->print(), " carries no requestor id (use registerRequestor)");
        // From here on every packet's requestor has its stats: the MSHR
        // targets made of it need no check when they are answered.
        stats->ensure(pkt->requestorId);
    }
    return ci;
}

inline bool Cache::recvTimingReq(PacketPtr pkt, int) {
    if (blocked || mustSendRetry) {
        // Refuse; the requestor gets a retry once we unblock.
        mustSendRetry = true;
        return false;
    }
    if (prefetcher) [[unlikely]] return recvAccess<true>(pkt);
    if (pkt->cmd == MemCmd::CleanEvict) return recvCleanEvict(pkt);
    return recvAccess<false>(pkt);
}

template <bool kMayPrefetch>
bool Cache::recvAccess(PacketPtr pkt) {
    const int ci = checkRequest(pkt);

    // Anything forwarded pays the forward latency and the interconnect's delay.
    const Tick edge = clockEdge();
    const Tick forwardTime = edge + forwardTicks + pkt->headerDelay;
    Cycles lat;
    int blk = -1;
    const bool satisfied = access(pkt, ci, blk, lat);
    NPUSIM_DPRINTF(Cache, "access for ", pkt->print(), satisfied ? " hit" : " miss", " (", lat.value(), " cycles)");
    // Evictions caused by the access go to the write buffer first, so they
    // logically precede anything happening below.
    if (pendingEviction) doWriteback(edge + cyclesToTicks(lat + forwardLatency));
    const Tick requestTime = edge + cyclesToTicks(lat);
    pkt->headerDelay = pkt->payloadDelay = 0;

    if (satisfied) {
        const Addr line = lineOf(pkt->addr);
        const bool present = blk >= 0 && blocks[std::size_t(blk)].tag == line;
        const bool wasPrefetched = kMayPrefetch && present && (blocks[std::size_t(blk)].flags & kPrefetched);
        if (kMayPrefetch && prefetcher) notifyPrefetcher(pkt, present ? blk : -1, false, wasPrefetched);
        if (wasPrefetched) {
            BlockState &s = blocks[std::size_t(blk)];
            s.flags &= std::uint8_t(~kPrefetched);
            prefetcher->prefetchConsumed(s.pfEpoch);
            pkt->servedByPrefetch = true;
        }
        handleHit(pkt, requestTime);
    } else if (kMayPrefetch && prefetcher) {
        handleMissWithPrefetcher(pkt, ci, forwardTime);
    } else {
        handleMiss<kMayPrefetch>(pkt, ci, forwardTime);
    }

    if (kMayPrefetch && prefetcher) {
        const Tick next = prefetcher->nextPrefetchReadyTime();
        if (next != kMaxTick) schedMemSideSend(next);
    }
    return true;
}

// recvTimingReq's steps for a clean eviction from above (nearly one per miss
// above once the caches are warm) that apply to it: it reads only the tags,
// evicts nothing and needs no response. (A cache with a prefetcher takes the
// general path, which tells the prefetcher of the access.)
bool Cache::recvCleanEvict(PacketPtr pkt) {
    const int ci = checkRequest(pkt);
    const Tick forwardTime = clockEdge() + forwardTicks + pkt->headerDelay;
    Cycles lat;
    int blk = -1;
    const bool satisfied = access(pkt, ci, blk, lat);
    NPUSIM_DPRINTF(Cache, "access for ", pkt->print(), satisfied ? " hit" : " miss", " (", lat.value(), " cycles)");
    if (satisfied) {
        Packet::destroy(pkt);
        return true;
    }
    pkt->headerDelay = pkt->payloadDelay = 0;
    handleMiss<false>(pkt, ci, forwardTime);
    return true;
}

PrefetchInfo Cache::accessInfo(const Packet *pkt, bool miss) const {
    PrefetchInfo info;
    info.addr = pkt->reqAddr;
    info.pc = pkt->pc;
    info.pcValid = pkt->hasPC;
    info.requestorId = pkt->requestorId;
    info.write = pkt->isWrite();
    info.miss = miss;
    info.size = pkt->size;
    info.cmd = pkt->cmd;
    info.lineAddr = lineOf(pkt->addr);
    info.lineSize = blkSize;
    return info;
}

void Cache::handleMissWithPrefetcher(PacketPtr pkt, int cmdIdx, Tick forwardTime) {
    // gem5 notifies the miss after the MSHR exists; the packet may be
    // consumed by then, so its description is taken first.
    const PrefetchInfo info = accessInfo(pkt, true);
    handleMiss<true>(pkt, cmdIdx, forwardTime);
    prefetcher->probeNotify(info);
}

void Cache::notifyPrefetcher(PacketPtr pkt, int blk, bool miss, bool prefetchedLine) {
    PrefetchInfo info = accessInfo(pkt, miss);
    info.prefetchHit = prefetchedLine;
    info.lineData = blk >= 0 ? blockData(blk) : nullptr;
    prefetcher->probeNotify(info);
}

Cycles Cache::accessLatency(int blk, Tick headerDelay) const {
    // Tags then data when sequential, in parallel otherwise; a line whose
    // fill is still arriving delays the access until it is ready.
    Cycles lat = sequentialAccess ? tagLatency + dataLatency : std::max(tagLatency, dataLatency);
    if (headerDelay) lat += ticksToCycles(headerDelay);
    const Tick tick = curTick() + headerDelay;
    const Tick ready = blocks[std::size_t(blk)].ready;
    if (ready > tick) {
        const Cycles wait = ticksToCycles(ready - tick);
        if (wait > lat) lat += wait;
    }
    return lat;
}

[[gnu::always_inline]] inline bool Cache::access(PacketPtr pkt, int cmdIdx, int &blk, Cycles &lat) {
    const Addr line = lineOf(pkt->addr);
    blk = findBlock(line);
    // All ways' tags are read; data too unless accesses are sequential.
    stats->tagAccesses += assoc;
    stats->dataAccesses += sequentialAccess ? (blk >= 0 ? 1 : 0) : assoc;
    if (blk >= 0) {
        ++blocks[std::size_t(blk)].refCount;
        withReplacement([&](auto &r) { r.touch(setOf(line), unsigned(blk) % assoc); });
    }

    if (cmdTraits(pkt->cmd) & kEviction) {
        // A clean eviction (the usual one, handled inline) only reads the
        // tags; it ends here if the line is present or our own pending
        // eviction of it already goes below.
        if (pkt->cmd == MemCmd::CleanEvict) {
            lat = tagOnlyLatency(pkt->headerDelay);
            return blk >= 0 || findWrite(line) >= 0;
        }
        return accessEviction(pkt, cmdIdx, line, blk, lat);
    }

    // (The critical part of a write is the tag access.)
    CacheStats::Row &counts = stats->row(pkt->requestorId);
    if (blk >= 0) {
        ++counts.hits[cmdIdx];
        lat = pkt->isRead() ? accessLatency(blk, pkt->headerDelay) : tagOnlyLatency(pkt->headerDelay);
        satisfyRequest(pkt, blk, blockData(blk));
        maintainClusivity(fromCache(pkt->cmd), blk);
        return true;
    }
    ++counts.misses[cmdIdx];
    lat = tagOnlyLatency(pkt->headerDelay);
    return false;
}

// access() for writebacks from above (clean evictions: see access()).
bool Cache::accessEviction(PacketPtr pkt, int cmdIdx, Addr line, int &blk, Cycles &lat) {
    const MemCmd cmd = pkt->cmd;
    const RequestorID rid = pkt->requestorId;
    const int w = findWrite(line);
    if (w >= 0) {
        if (cmd == MemCmd::WritebackClean) {
            // Our own pending writeback already carries the line.
            ++stats->writebacksAbsorbed;
            lat = tagOnlyLatency(pkt->headerDelay);
            return true;
        }
        // A dirty writeback from above supersedes ours.
        if (writes[std::size_t(w)].pkt->cmd != MemCmd::CleanEvict) ++stats->writebacksSuperseded;
        Packet::destroy(writes[std::size_t(w)].pkt);
        const bool wasFull = writeBufferFull();
        deallocateWrite(w);
        if (wasFull && !writeBufferFull()) clearBlocked(kNoWbBuffers);
    }
    // The critical part of a write is the tag access.
    lat = tagOnlyLatency(pkt->headerDelay);

    if (pkt->size != blkSize)
        fatal(name(), ": ", pkt->print(), " is not a whole ", blkSize, "-byte line (line sizes differ?)");
    if (cmd == MemCmd::WritebackClean && findMshr(line) >= 0) {  // dropped, as gem5 does
        ++stats->writebacksAbsorbed;
        return true;
    }
    if (blk < 0) {
        blk = allocateBlock<true>(line, rid);
        // The only way a line with a miss in flight becomes present (see
        // recvTimingResp).
        const int mi = findMshr(line);
        if (mi >= 0) mshrs[std::size_t(mi)].writtenBack = true;
    }
    if (cmd == MemCmd::WritebackDirty) blocks[std::size_t(blk)].flags |= kDirty;
    std::memcpy(blockData(blk), pkt->data(), blkSize);
    ++stats->row(rid).hits[cmdIdx];
    blocks[std::size_t(blk)].ready = clockEdge(fillLatency) + pkt->headerDelay +
                                     std::max(cyclesToTicks(tagLatency), pkt->payloadDelay);
    return true;
}

[[gnu::always_inline]] inline void Cache::satisfyRequest(PacketPtr pkt, int blk, std::uint8_t *line) {
    const unsigned off = offsetOf(*pkt);
    if (pkt->cmd == MemCmd::WriteReq) {
        std::memcpy(line + off, pkt->data(), pkt->size);
        blockFlags(blk) |= kDirty;
    } else {
        pkt->setData(line + off);
    }
}

void Cache::dropIfClean(int blk) {
    if (blk == kTemp ? tempBlock.addr == kNoLine : blocks[std::size_t(blk)].tag == kNoLine) return;
    if (blockFlags(blk) & kDirty) return;
    invalidateBlock(blk);
}

inline void Cache::handleHit(PacketPtr pkt, Tick requestTime) {
    if (pkt->needsResponse()) {
        pkt->makeResponse();
        cpuRespQueue.schedSend(pkt, requestTime);
    } else {
        Packet::destroy(pkt);  // writebacks and clean evictions end here
    }
}

template <bool kMayPrefetch>
[[gnu::always_inline]] inline void Cache::handleMiss(PacketPtr pkt, int cmdIdx, Tick forwardTime) {
    const Addr line = lineOf(pkt->addr);
    CacheStats::Row &counts = stats->row(pkt->requestorId);
    const int mi = findMshr(line);
    if (mi >= 0) {
        if (pkt->cmd == MemCmd::CleanEvict) {
            Packet::destroy(pkt);
            return;
        }
        // Coalesce with the miss already in flight.
        ++counts.mshrHits[cmdIdx];
        Mshr &m = mshrs[std::size_t(mi)];
        allocateTarget(m, pkt, false);
        if (m.targetCount == numTargets) {
            noTargetMshr = mi;
            setBlocked(kNoTargets);
        }
        return;
    }
    ++counts.mshrMisses[cmdIdx];
    if (kMayPrefetch && prefetcher && pkt->isDemand()) prefetcher->incrDemandMshrMisses();
    if (cmdTraits(pkt->cmd) & kEviction) allocateWriteBuffer(pkt, forwardTime);
    else allocateMissBuffer(pkt, forwardTime, false);
}

// ---------------------------------------------------------------------------
// Blocks.

inline void Cache::sampleRefs(std::size_t b) {
    stats->totalRefs += blocks[b].refCount;
    ++stats->sampledRefs;
}

void Cache::noteWarmup(double inUse) {
    if (inUse < warmupBound) return;
    warmedUp = true;
    stats->warmupTick = double(curTick());
}

template <bool kMayPrefetch>
[[gnu::always_inline]] inline int Cache::allocateBlock(Addr line, RequestorID src) {
    const std::size_t set = setOf(line);
    const unsigned way = withReplacement([set](auto &r) { return r.getVictim(set); });
    const std::size_t b = set * assoc + way;
    if (blocks[b].tag == kNoLine) {
        insertBlock(int(b), line, src);
        return int(b);
    }
    // Replacement: evictBlock then insertBlock, without the steps the
    // insertion undoes at once. The replacement policy's invalidate() is
    // skipped (reset() of the same entry overwrites it, see base.hh), and
    // the stats see the -1/+1 pair as one update of the same value: the
    // same arithmetic (the pair's second integral step adds exactly 0).
    ++stats->replacements;
    BlockState &victim = blocks[b];
    NPUSIM_DPRINTF(Cache, "replacing ", debug::hex(victim.tag), (victim.flags & kDirty) ? " (dirty)" : " (clean)",
                   " with ", debug::hex(line));
    const RequestorID oldSrc = victim.src;
    const std::uint8_t flags = victim.flags;
    if (kMayPrefetch && prefetcher) notifyEvict(int(b), victim.tag, flags);
    pendingEviction = evictionPacket(int(b), victim.tag, flags);
    if (kMayPrefetch && (flags & kPrefetched)) prefetcher->prefetchUnused(victim.pfEpoch);
    sampleRefs(b);
    // gem5 invalidates the victim before inserting: one block fewer is valid then.
    if (!warmedUp) [[unlikely]] noteWarmup(stats->tagsInUse.held() - 1);
    stats->tagsInUse += 0.0;
    if (oldSrc == src) {
        stats->occupancyHold(src);
    } else {
        stats->occupancyChange(oldSrc, -1);
        stats->occupancyChange(src, +1);
    }
    setTag(b, line);
    victim.flags = 0;
    victim.src = src;
    victim.refCount = 1;  // the insertion counts as a reference
    withReplacement([set, way](auto &r) { r.reset(set, way); });
    ++stats->tagAccesses;
    ++stats->dataAccesses;
    return int(b);
}

inline void Cache::insertBlock(int blk, Addr line, RequestorID src) {
    const std::size_t b = std::size_t(blk);
    setTag(b, line);
    blocks[b].flags = 0;
    blocks[b].src = src;
    blocks[b].refCount = 1;  // the insertion counts as a reference
    withReplacement([this, b](auto &r) { r.reset(b / assoc, unsigned(b % assoc)); });
    if (!warmedUp) [[unlikely]] noteWarmup(stats->tagsInUse.held());
    stats->tagsInUse += 1;
    stats->occupancyChange(src, +1);
    ++stats->tagAccesses;
    ++stats->dataAccesses;
}

PacketPtr Cache::writebackBlock(int blk, Addr line) {
    const bool dirty = blockFlags(blk) & kDirty;
    PacketPtr pkt = Packet::create(dirty ? MemCmd::WritebackDirty : MemCmd::WritebackClean, line, blkSize,
                                   writebackRequestorId());
    pkt->setData(blockData(blk));
    stats->ensure(writebackRequestorId());
    ++stats->row(writebackRequestorId()).writebacks;
    blockFlags(blk) &= std::uint8_t(~kDirty);
    return pkt;
}

[[gnu::always_inline]] inline PacketPtr Cache::evictionPacket(int blk, Addr line, std::uint8_t flags) {
    if ((flags & kDirty) || writebackClean) return writebackBlock(blk, line);
    // A notice without data for the caches below (gem5 keeps its snoop
    // filters up to date with it; an L2 refreshes the line's replacement
    // state). Not counted in `writebacks`, as in gem5.
    return Packet::create(MemCmd::CleanEvict, line, blkSize, writebackRequestorId());
}

void Cache::notifyEvict(int blk, Addr line, std::uint8_t flags) {
    EvictionInfo info;
    info.addr = line;
    info.requestorId = blocks[std::size_t(blk)].src;
    info.wasPrefetched = flags & kPrefetched;
    info.dirty = flags & kDirty;
    info.data = blockData(blk);
    info.size = blkSize;
    prefetcher->notifyEvict(info);
}

void Cache::evictBlock(int blk) {
    const Addr line = blk == kTemp ? tempBlock.addr : blocks[std::size_t(blk)].tag;
    const std::uint8_t flags = blockFlags(blk);
    if (prefetcher && blk != kTemp) notifyEvict(blk, line, flags);
    pendingEviction = evictionPacket(blk, line, flags);
    invalidateBlock(blk);
}

void Cache::invalidateBlock(int blk) {
    // A line still tagged as prefetched was never used.
    if (blockFlags(blk) & kPrefetched) prefetcher->prefetchUnused(blk == kTemp ? 0 : blocks[std::size_t(blk)].pfEpoch);
    if (blk == kTemp) {
        tempBlock.addr = kNoLine;
        tempBlock.flags = 0;
        return;
    }
    const std::size_t b = std::size_t(blk);
    // Every invalidation of a tag-array block is sampled, as gem5's
    // tags->invalidate (eviction, a mostly exclusive cache's hand-over);
    // the temporary block is not in the tags.
    sampleRefs(b);
    stats->tagsInUse -= 1;
    stats->occupancyChange(blocks[b].src, -1);
    withReplacement([this, b](auto &r) { r.invalidate(b / assoc, unsigned(b % assoc)); });
    setTag(b, kNoLine);
    blocks[b].flags = 0;
    blocks[b].refCount = 0;
}

bool Cache::hasBeenPrefetched(Addr addr) const {
    const int blk = findBlock(lineOf(addr));
    return blk >= 0 && (blocks[std::size_t(blk)].flags & kPrefetched);
}

std::size_t Cache::prefetchedLinesResident(std::uint64_t epoch) const {
    std::size_t n = 0;
    for (const BlockState &s : blocks)
        if (s.tag != kNoLine && (s.flags & kPrefetched) && s.pfEpoch == epoch) ++n;
    return n;
}

std::size_t Cache::prefetchesInFlight(std::uint64_t epoch) const {
    std::size_t n = 0;
    for (const Mshr &m : mshrs)
        if (m.allocated && m.isPrefetch && m.pfEpoch == epoch) ++n;
    return n;
}

// ---------------------------------------------------------------------------
// MSHRs and the write buffer.

[[gnu::always_inline]] inline int Cache::allocateMissBuffer(PacketPtr pkt, Tick time, bool ownPrefetch) {
    if (mshrsInUse == numMshrs) panic(name(), ": no free MSHR (the cpu side should have been blocked)");
    const int i = mshrFree[numMshrs - mshrsInUse - 1];
    Mshr &m = mshrs[std::size_t(i)];
    m.blkAddr = lineOf(pkt->addr);
    m.readyTime = time;
    m.order = nextOrder++;
    m.inService = false;
    m.isPrefetch = ownPrefetch;
    m.pfEpoch = ownPrefetch ? prefetcher->epoch() : 0;
    m.needsWritable = m.allocOnFill = m.hasFromCache = m.writtenBack = false;
    // (m has no targets: serviceMshrTargets emptied it before the MSHR was freed.)
    allocateTarget(m, pkt, ownPrefetch);
    m.allocated = true;
    ++mshrsInUse;
    mshrHint[std::size_t(i)] = tagHintOf(m.blkAddr);
    mshrReady.insert(mshrs, i);
    if (mshrFull()) setBlocked(kNoMshrs);
    // (our own prefetch is sent by the caller at once)
    if (!ownPrefetch) schedMemSideSend(time);
    return i;
}

[[gnu::always_inline]] inline void Cache::allocateTarget(Mshr &m, PacketPtr pkt, bool ownPrefetch) {
    const unsigned traits = cmdTraits(pkt->cmd);
    if (m.targetCount == targetSlots) [[unlikely]] growTargetSlots();
    m.targets[m.targetCount++] = Target{pkt, curTick(), ownPrefetch};
    // Once the request is sent its command is fixed; a later write is
    // still served by the fill, which is always writable here.
    if (!m.inService && (traits & kNeedsWritable)) m.needsWritable = true;
    if (!mostlyExclusive || (traits & kAllocatesAlways)) m.allocOnFill = true;
    if (traits & kFromCache) m.hasFromCache = true;
}

[[gnu::always_inline]] inline void Cache::deallocateMshr(int i) {
    Mshr &m = mshrs[std::size_t(i)];
    m.blkAddr = kNoLine;
    mshrHint[std::size_t(i)] = tagHintOf(kNoLine);
    --mshrsInUse;
    if (!m.inService) mshrReady.erase(i);
    m.allocated = m.inService = false;
    mshrFree[numMshrs - mshrsInUse - 1] = i;
}

void Cache::growWriteBuffer() {
    writes.emplace_back();
    writeFree.resize(writes.size());
    writeFree[0] = int(writes.size() - 1);
}

[[gnu::always_inline]] inline void Cache::allocateWriteBuffer(PacketPtr pkt, Tick time) {
    // Beyond the reserve; cannot happen while the cpu side blocks on a full
    // buffer, but grow rather than lose a writeback.
    if (writesInUse == writes.size()) [[unlikely]] growWriteBuffer();
    const int i = writeFree[writes.size() - writesInUse - 1];
    ++writesInUse;
    WriteEntry &w = writes[std::size_t(i)];
    w.blkAddr = lineOf(pkt->addr);
    w.readyTime = time;
    w.order = nextOrder++;
    w.pkt = pkt;
    writeReady.insert(writes, i);
    if (writeBufferFull()) setBlocked(kNoWbBuffers);
    schedMemSideSend(time);
}

void Cache::growTargetSlots() {
    const std::size_t slots = 2 * targetSlots;
    std::vector<Target> store(numMshrs * slots);
    for (std::size_t i = 0; i < numMshrs; ++i) {
        Mshr &m = mshrs[i];
        std::copy(m.targets, m.targets + m.targetCount, &store[i * slots]);
        m.targets = &store[i * slots];
    }
    targetStore = std::move(store);
    targetSlots = slots;
}

[[gnu::always_inline]] inline void Cache::deallocateWrite(int i) {
    writeReady.erase(i);
    writes[std::size_t(i)].pkt = nullptr;
    --writesInUse;
    writeFree[writes.size() - writesInUse - 1] = i;
}

[[gnu::always_inline]] inline void Cache::doWriteback(Tick forwardTime) {
    PacketPtr pkt = pendingEviction;
    pendingEviction = nullptr;
    // A clean line still held above need not be announced below; a dirty
    // one goes down marked, for the snoop filters below.
    const bool cachedAbove = cpuSide.sendCachedAboveSnoop(*pkt);
    if (cachedAbove && pkt->cmd != MemCmd::WritebackDirty) {
        NPUSIM_DPRINTF(Cache, "dropping ", pkt->print(), ": the line is cached above");
        if (pkt->cmd == MemCmd::WritebackClean) ++stats->writebacksCachedAbove;
        Packet::destroy(pkt);
    } else {
        pkt->blockCached = cachedAbove;
        allocateWriteBuffer(pkt, forwardTime);
    }
}

inline bool Cache::recvCachedAboveSnoop(const Packet &pkt, int) const {
    const Addr line = lineOf(pkt.addr);
    if (findMshr(line) >= 0) return true;
    // An eviction snoop stops at any eviction of the line leaving here; a
    // prefetch snoop only at dirty data (see the declaration).
    if (const int w = findWrite(line);
        w >= 0 && (pkt.cmd != MemCmd::HardPFReq || writes[std::size_t(w)].pkt->cmd == MemCmd::WritebackDirty))
        return true;
    return cpuSide.sendCachedAboveSnoop(pkt) || findBlock(line) >= 0;
}

// ---------------------------------------------------------------------------
// Responses from the mem side.

inline bool Cache::recvTimingResp(PacketPtr pkt, int) {
    if (prefetcher) [[unlikely]] return recvFill<true>(pkt);
    return recvFill<false>(pkt);
}

template <bool kMayPrefetch>
bool Cache::recvFill(PacketPtr pkt) {
    // (One unsigned compare checks both bounds; a null senderState fails it.)
    const std::uintptr_t offset =
        reinterpret_cast<std::uintptr_t>(pkt->senderState) - reinterpret_cast<std::uintptr_t>(mshrs.data());
    if (offset >= mshrs.size() * sizeof(Mshr)) panic(name(), ": response ", pkt->print(), " matches no MSHR");
    const int mi = int(offset / sizeof(Mshr));
    Mshr &m = mshrs[std::size_t(mi)];
    if (pkt->size != blkSize) panic(name(), ": fill ", pkt->print(), " is not a whole line");
    // gem5's crossbars hold a response for its header delay (in their
    // response queue) and the cache aligns to its clock only when it gets
    // it. npusim's pass it on at once, so the cache works from the time it
    // would have arrived: adding the delay to an edge taken now would count
    // the crossbar's own alignment twice.
    const Tick arrival = curTick() + pkt->headerDelay;
    const Tick edge = clockEdgeAt(arrival);
    pkt->headerDelay = 0;
    NPUSIM_DPRINTF(Cache, "fill ", pkt->print(), " answers ", m.targetCount, " target(s)");

    if (mi == noTargetMshr) {
        // At least one target slot frees now.
        noTargetMshr = -1;
        clearBlocked(kNoTargets);
    }

    const Addr line = m.blkAddr;
    const Tick ready = edge + fillTicks + pkt->payloadDelay;
    // The line was absent when the MSHR was allocated; only a writeback
    // from above can have brought it in since, so look only then.
    int blk = m.writtenBack ? findBlock(line) : -1;
    std::uint8_t *lineData;
    if (blk < 0) {
        blk = m.allocOnFill ? allocateBlock<kMayPrefetch>(line, m.firstTarget().pkt->requestorId) : -1;
        if (blk >= 0) {
            lineData = &blkData[std::size_t(blk) * blkSize];
            blocks[std::size_t(blk)].ready = ready;
        } else {
            // Not allocating (mostly exclusive): serve from the temporary line.
            tempBlock.addr = line;
            tempBlock.flags = 0;
            blk = kTemp;
            lineData = tempBlock.data.data();
        }
        copyLine(lineData, pkt->data());
    } else {
        // Written back from above while the miss was in flight: its data
        // is newer than the fill's.
        lineData = &blkData[std::size_t(blk) * blkSize];
        blocks[std::size_t(blk)].ready = ready;
    }

    if (kMayPrefetch && prefetcher) notifyPrefetcherOfFill(m, lineData);

    serviceMshrTargets<kMayPrefetch>(m, pkt, blk, lineData, arrival, edge);

    // (Freeing one MSHR always ends a full state: at most numMshrs are in use.)
    const bool wasFull = mshrFull();
    deallocateMshr(mi);
    if (wasFull) clearBlocked(kNoMshrs);
    // A freed MSHR may let a prefetch go.
    if (kMayPrefetch && prefetcher && canPrefetch() && !isBlocked()) {
        const Tick next = std::max(prefetcher->nextPrefetchReadyTime(), clockEdge());
        if (next != kMaxTick) schedMemSideSend(next);
    }
    if (blk == kTemp && tempBlock.addr != kNoLine) evictBlock(kTemp);
    if (pendingEviction) doWriteback(edge + forwardTicks);
    Packet::destroy(pkt);
    return true;
}

void Cache::notifyPrefetcherOfFill(const Mshr &m, std::uint8_t *lineData) {
    const PacketPtr initial = m.firstTarget().pkt;
    PrefetchInfo info;
    info.addr = m.blkAddr;
    info.pc = initial->pc;
    info.pcValid = initial->hasPC;
    info.requestorId = initial->requestorId;
    info.write = m.needsWritable;
    info.miss = true;
    info.size = blkSize;
    info.cmd = initial->cmd;
    info.lineAddr = m.blkAddr;
    info.lineSize = blkSize;
    info.lineData = lineData;
    prefetcher->notifyFill(info);
}

template <bool kMayPrefetch>
[[gnu::always_inline]] inline void Cache::serviceMshrTargets(Mshr &m, PacketPtr pkt, int blk, std::uint8_t *lineData,
                                                             Tick arrival, Tick edge) {
    const Tick respondAt = edge + responseTicks;
    bool fromCore = false, fromPref = false;
    // The first target's wait is the MSHR miss latency. That target (usually
    // the only one) then finds its miss latency in the same stats row, and
    // its word is the critical one, which never waits for the payload.
    const Target &first = m.firstTarget();
    const int firstCi = CacheStats::cmdIndex(first.pkt->cmd);
    CacheStats::Row &firstRow = stats->row(first.pkt->requestorId);
    firstRow.mshrMissLatency[firstCi] += CacheStats::spanAsDouble(arrival - first.recvTime);
    const unsigned initialOffset = offsetOf(*first.pkt);
    for (const Target &t : std::span(m.targets, m.targetCount)) {
        PacketPtr tp = t.pkt;
        if (kMayPrefetch && t.fromPrefetcher) {
            fromPref = true;
            Packet::destroy(tp);
            continue;
        }
        fromCore = true;
        Tick completion = respondAt;
        if (&t == &first) [[likely]] {
            firstRow.missLatency[firstCi] += CacheStats::spanAsDouble(completion - t.recvTime);
        } else {
            // Words other than the critical one wait for the rest of the payload.
            if (offsetOf(*tp) != initialOffset) completion += pkt->payloadDelay;
            stats->row(tp->requestorId).missLatency[CacheStats::cmdIndex(tp->cmd)] +=
                CacheStats::spanAsDouble(completion - t.recvTime);
        }
        satisfyRequest(tp, blk, lineData);
        tp->makeResponse();
        tp->headerDelay = tp->payloadDelay = 0;
        cpuRespQueue.schedSend(tp, completion);
    }
    m.targetCount = 0;
    if (kMayPrefetch && m.isPrefetch && fromCore) prefetcher->prefetchLate(m.pfEpoch);
    // Only a line that no demand has touched counts as prefetched.
    if (kMayPrefetch && blk >= 0 && !fromCore && fromPref) {
        BlockState &s = blocks[std::size_t(blk)];
        s.flags |= kPrefetched;
        s.pfEpoch = m.pfEpoch;
    }
    maintainClusivity(m.hasFromCache, blk);
}

// ---------------------------------------------------------------------------
// Sending on the mem side.

[[gnu::always_inline]] inline void Cache::schedMemSideSend(Tick when) {
    if (waitingOnRetry || when == kMaxTick) return;
    // As gem5's packet queues: never now, at the earliest one tick later.
    when = std::max(when, curTick() + 1);
    if (!memSendEvent.scheduled()) schedule(memSendEvent, when);
    else if (when < memSendEvent.when()) reschedule(memSendEvent, when);
}

void Cache::processMemSideSend() {
    if (waitingOnRetry) return;
    waitingOnRetry = sendNextEntry();
    if (!waitingOnRetry) schedMemSideSend(nextQueueReadyTime());
}

void Cache::recvReqRetry(int) {
    if (!waitingOnRetry) return;
    waitingOnRetry = false;
    processMemSideSend();
}

inline Tick Cache::nextQueueReadyTime() const {
    Tick next = kMaxTick;
    if (!mshrReady.empty()) next = std::min(next, mshrs[std::size_t(mshrReady.front())].readyTime);
    if (!writeReady.empty()) next = std::min(next, writes[std::size_t(writeReady.front())].readyTime);
    if (prefetcher && canPrefetch() && !isBlocked()) next = std::min(next, prefetcher->nextPrefetchReadyTime());
    return next;
}

[[gnu::always_inline]] inline bool Cache::sendNextEntry() {
    const Tick now = curTick();
    const int miss = !mshrReady.empty() && mshrs[std::size_t(mshrReady.front())].readyTime <= now ? mshrReady.front() : -1;
    const int wb = !writeReady.empty() && writes[std::size_t(writeReady.front())].readyTime <= now ? writeReady.front() : -1;

    // A full write buffer goes first, then misses; an entry waits for an
    // older conflicting one of the other queue.
    if (wb >= 0 && (writeBufferFull() || miss < 0)) {
        const WriteEntry &w = writes[std::size_t(wb)];
        for (int i : mshrReady)
            if (mshrs[std::size_t(i)].blkAddr == w.blkAddr && mshrs[std::size_t(i)].order < w.order) return sendMshr(i);
        return sendWrite(wb);
    }
    if (miss >= 0) {
        const Addr line = mshrs[std::size_t(miss)].blkAddr;
        for (int i : writeReady)
            if (writes[std::size_t(i)].blkAddr == line) return sendWrite(i);
        return sendMshr(miss);
    }

    // Nothing else to do: try a prefetch.
    if (prefetcher && canPrefetch() && !isBlocked()) {
        PacketPtr pf = prefetcher->getPacket();
        if (!pf) return false;
        const Addr line = lineOf(pf->addr);
        if (findBlock(line) >= 0) {
            prefetcher->pfHitInCacheAtIssue();
            Packet::destroy(pf);
        } else if (findMshr(line) >= 0) {
            prefetcher->pfHitInMshrAtIssue();
            Packet::destroy(pf);
        } else if (findWrite(line) >= 0) {
            prefetcher->pfHitInWbAtIssue();
            Packet::destroy(pf);
        } else {
            stats->ensure(pf->requestorId);
            ++stats->row(pf->requestorId).mshrMisses[CacheStats::kHardPFReq];
            return sendMshr(allocateMissBuffer(pf, now, true));
        }
    }
    return false;
}

// A cache above holds the line: gem5 drops the prefetch target and frees
// the MSHR unless a demand has joined it meanwhile (which then goes as an
// ordinary miss).
void Cache::squashPrefetch(int mi) {
    Mshr &m = mshrs[std::size_t(mi)];
    Packet::destroy(m.firstTarget().pkt);
    std::copy(m.targets + 1, m.targets + m.targetCount, m.targets);
    --m.targetCount;
    prefetcher->pfSquashedAboveAtIssue();
    if (m.targetCount > 0) {
        m.isPrefetch = false;
        return;
    }
    if (mi == noTargetMshr) {
        noTargetMshr = -1;
        clearBlocked(kNoTargets);
    }
    const bool wasFull = mshrFull();
    deallocateMshr(mi);
    if (wasFull) clearBlocked(kNoMshrs);
}

inline MemCmd Cache::missCommand(const Mshr &m) const { return m.needsWritable ? MemCmd::ReadExReq : readMissCmd; }

[[gnu::always_inline]] inline bool Cache::sendMshr(int i) {
    Mshr &m = mshrs[std::size_t(i)];
    const PacketPtr first = m.firstTarget().pkt;
    // Every attempt to send our own prefetch first asks the caches above.
    if (m.firstTarget().fromPrefetcher && cpuSide.sendCachedAboveSnoop(*first)) [[unlikely]] {
        squashPrefetch(i);
        return false;
    }
    PacketPtr pkt = Packet::create(missCommand(m), m.blkAddr, blkSize, first->requestorId);
    pkt->pc = first->pc;
    pkt->hasPC = first->hasPC;
    pkt->reqAddr = first->reqAddr;
    pkt->senderState = &m;
    if (!memSide.sendTimingReq(pkt)) {
        Packet::destroy(pkt);  // made afresh when the retry comes
        return true;
    }
    m.inService = true;
    mshrReady.erase(i);
    return false;
}

[[gnu::always_inline]] inline bool Cache::sendWrite(int i) {
    WriteEntry &w = writes[std::size_t(i)];
    if (!memSide.sendTimingReq(w.pkt)) return true;
    // The writeback needs no response: the entry is done.
    const bool wasFull = writeBufferFull();
    deallocateWrite(i);
    if (wasFull && !writeBufferFull()) clearBlocked(kNoWbBuffers);
    return false;
}

// ---------------------------------------------------------------------------
// Blocking the cpu side.

[[gnu::always_inline]] inline void Cache::setBlocked(BlockedCause cause) {
    const std::uint8_t flag = std::uint8_t(1u << cause);
    if (blocked == 0) {
        if (const int row = kBlockedStatRow[cause]; row >= 0) ++stats->blockedCauses[std::size_t(row)];
        blockedCycle = curCycle();
        if (retryEvent.scheduled()) {
            // A retry promised for this tick has not gone out: hold it.
            deschedule(retryEvent);
            mustSendRetry = true;
        }
    }
    blocked |= flag;
}

[[gnu::always_inline]] inline void Cache::clearBlocked(BlockedCause cause) {
    const std::uint8_t flag = std::uint8_t(1u << cause);
    if (!(blocked & flag)) return;
    blocked &= std::uint8_t(~flag);
    if (blocked == 0) {
        if (const int row = kBlockedStatRow[cause]; row >= 0)
            stats->blockedCycles[std::size_t(row)] += (curCycle() - blockedCycle).value();
        if (mustSendRetry && !retryEvent.scheduled()) schedule(retryEvent, curTick() + 1);
    }
}

void Cache::processSendRetry() {
    mustSendRetry = false;
    cpuSide.sendRetryReq();
}

// ---------------------------------------------------------------------------
// Functional accesses: the level below first, then newer copies held here
// (pending writebacks, then the line itself, then writes waiting in MSHRs).

void Cache::recvFunctional(PacketPtr pkt, int) {
    memSide.sendFunctional(pkt);
    const bool write = pkt->isWrite();
    const Addr start = pkt->addr, end = pkt->addr + pkt->size;
    std::uint8_t *data = pkt->data();
    for (Addr line = lineOf(start); line < end; line += blkSize) {
        const Addr lo = std::max(start, line), hi = std::min(end, line + blkSize);
        auto apply = [&](std::uint8_t *lineData) {
            if (write) std::memcpy(lineData + (lo - line), data + (lo - start), hi - lo);
            else std::memcpy(data + (lo - start), lineData + (lo - line), hi - lo);
        };
        const int w = findWrite(line);
        if (w >= 0 && writes[std::size_t(w)].pkt->cmd != MemCmd::CleanEvict) apply(writes[std::size_t(w)].pkt->data());
        const int b = findBlock(line);
        if (b >= 0) apply(blockData(b));
        const int mi = findMshr(line);
        if (mi >= 0 && !write) {
            const Mshr &m = mshrs[std::size_t(mi)];
            for (const Target &t : std::span(m.targets, m.targetCount)) {
                if (t.pkt->cmd != MemCmd::WriteReq) continue;
                const Addr ws = std::max(lo, t.pkt->addr), we = std::min(hi, t.pkt->addr + t.pkt->size);
                if (ws < we) std::memcpy(data + (ws - start), t.pkt->data() + (ws - t.pkt->addr), we - ws);
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Stats.

void Cache::resetStats() {
    ClockedObject::resetStats();
    stats->reset();
}

}  // namespace npusim

NPUSIM_REGISTER_SIMOBJECT(Cache, npusim::Cache);
