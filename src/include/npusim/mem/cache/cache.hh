// The classic cache (gem5's BaseCache + Cache, without coherence): set-
// associative tags with a pluggable replacement policy, MSHRs with targets,
// a write buffer for evictions, write-back and write-allocate, an optional
// prefetcher, real data in every line, and gem5's stats.
//
// Timing (gem5's): a read hit answers after max(tag_latency, data_latency)
// cycles (tag + data when sequential_access), a write hit after
// tag_latency; a miss is forwarded tag_latency cycles after it arrived and
// its targets are answered response_latency cycles after the fill. A hit
// on a line still being filled waits for the fill (data_latency after the
// fill response). The cpu side refuses requests while no MSHR, target slot
// or write-buffer entry is free, and sends a retry one tick after it frees.
//
// Evictions: a dirty line (any line with writeback_clean) leaves as a
// writeback, a clean one as a data-less CleanEvict notice, both through
// the write buffer. As in gem5, a cache first asks the caches above
// whether they still hold the line (cpu side's sendCachedAboveSnoop) and
// drops a clean notice or clean writeback if so; its prefetches are
// squashed the same way (gem5's HardPFReq snoop upward).
//
// Not modelled: coherence (fills are always writable, so reads are sent
// as ReadSharedReq -- ReadCleanReq for read-only or mostly exclusive
// caches -- and writes as ReadExReq; the only snoop is the question
// above), uncacheable accesses, compression, and passing a dirty line up
// on a read.
#pragma once
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "npusim/mem/addr_range.hh"
#include "npusim/mem/cache/prefetch/base.hh"
#include "npusim/mem/cache/replacement/base.hh"
#include "npusim/mem/packet_queue.hh"
#include "npusim/mem/port.hh"
#include "npusim/sim/clocked_object.hh"

namespace npusim {

class CacheStats;
class LruState;

class Cache final : public ClockedObject, public CacheAccessor {
  public:
    explicit Cache(const Params &p);
    ~Cache() override;

    void init() override;
    void startup() override;
    Port &getPort(const std::string &portName, int idx = -1) override;

    // cpu_side (response port) handlers.
    // Only dispatches, inlined into the port's virtual function (its only
    // caller): to the path compiled for the cache's prefetcher or its
    // absence, and a clean eviction straight to recvCleanEvict, without
    // first saving the registers that the general path needs.
    [[gnu::always_inline]] inline bool recvTimingReq(PacketPtr pkt, int idx);
    void recvRespRetry(int idx);
    void recvFunctional(PacketPtr pkt, int idx);
    AddrRangeList getAddrRanges(int idx) const;
    // mem_side (request port) handlers. recvTimingResp only dispatches (to
    // recvFill), as recvTimingReq does.
    [[gnu::always_inline]] inline bool recvTimingResp(PacketPtr pkt, int idx);
    void recvReqRetry(int idx);
    void recvRangeChange(int idx);
    // From a cache below: is `line` here, in an MSHR, leaving in the write
    // buffer, or held above? (gem5's recvTimingSnoopReq for eviction and
    // prefetch snoops.) A prefetch is answered only by dirty data leaving:
    // gem5 would supply it from the write buffer; here it is squashed.
    // (Inlined into the port's virtual function, its only caller.)
    [[gnu::always_inline]] inline bool recvCachedAboveSnoop(const Packet &pkt, int idx) const;

    // CacheAccessor.
    bool inCache(Addr addr) const override { return findBlock(lineOf(addr)) >= 0; }
    bool inMissQueue(Addr addr) const override { return findMshr(lineOf(addr)) >= 0; }
    bool servesAddress(Addr addr) const override;

    bool inWriteBuffer(Addr addr) const override { return findWrite(lineOf(addr)) >= 0; }
    bool hasBeenPrefetched(Addr addr) const override;
    unsigned blockSize() const override { return blkSize; }
    void schedulePrefetchIssue(Tick when) override { schedMemSideSend(when); }
    std::size_t prefetchedLinesResident(std::uint64_t epoch) const override;
    std::size_t prefetchesInFlight(std::uint64_t epoch) const override;

    bool isBlocked() const { return blocked != 0; }
    std::size_t numBlocks() const { return blocks.size(); }
    BasePrefetcher *getPrefetcher() const { return prefetcher; }

    void resetStats() override;

  private:
    friend class CacheStats;

    static constexpr Addr kNoLine = ~Addr(0);
    enum BlockFlag : std::uint8_t { kDirty = 1, kPrefetched = 2 };
    enum BlockedCause { kNoMshrs = 0, kNoWbBuffers = 1, kNoTargets = 2, kNumBlockedCauses = 3 };
    // Element of blockedCycles / blockedCauses per cause: gem5 prints
    // no_mshrs and no_targets only, so a full write buffer is not counted.
    static constexpr int kBlockedStatRow[kNumBlockedCauses] = {0, -1, 1};

    struct Target {
        PacketPtr pkt;
        Tick recvTime;
        bool fromPrefetcher;
    };
    struct alignas(64) Mshr {
        Addr blkAddr = kNoLine;
        Tick readyTime = 0;
        std::uint64_t order = 0;
        std::uint64_t pfEpoch = 0;
        bool allocated = false;
        bool inService = false;
        bool isPrefetch = false;       // allocated for a prefetch
        bool needsWritable = false;
        bool allocOnFill = false;
        bool hasFromCache = false;
        bool writtenBack = false;      // a writeback from above allocated the line meanwhile
        Target *targets = nullptr;     // targetSlots entries of targetStore
        std::uint32_t targetCount = 0;
        Target &firstTarget() const { return targets[0]; }
    };
    struct WriteEntry {
        Addr blkAddr = 0;
        Tick readyTime = 0;
        std::uint64_t order = 0;
        PacketPtr pkt = nullptr;
    };
    // The temporary line used when a fill must not allocate.
    struct TempBlock {
        Addr addr = kNoLine;
        std::uint8_t flags = 0;
        std::vector<std::uint8_t> data;
    };
    // A line reference: >= 0 a block of the tag array, kTemp the temporary
    // block, -1 none.
    static constexpr int kTemp = -2;

    // --- geometry and lookups ------------------------------------------
    Addr lineOf(Addr a) const { return a & lineMask; }
    unsigned offsetOf(const Packet &pkt) const { return unsigned(pkt.addr & offsetMask); }
    std::size_t setOf(Addr line) const { return (line >> lBlkSize) & setMask; }
    // A way's tag is compared only if its one-byte hint (a hash of the line)
    // matches: one SIMD compare filters 16 ways, so a lookup reads a full
    // tag only for the line itself and about one way in 256 besides.
    static std::uint8_t tagHintOf(Addr line) { return std::uint8_t((line * 0x9e3779b97f4a7c15ULL) >> 56); }
    [[gnu::always_inline]] int findBlock(Addr line) const {
        const std::size_t base = setOf(line) * assoc;
        const BlockState *row = &blocks[base];
        const std::uint8_t *hints = &tagHint[base];
        const std::uint8_t hint = tagHintOf(line);
        for (unsigned w0 = 0; w0 < assoc; w0 += 16) {
            std::uint32_t match = hintMatches(hints + w0, hint);
            if (assoc - w0 < 16) match &= lastGroupWays;
            for (; match; match &= match - 1) {
                const unsigned w = w0 + unsigned(__builtin_ctz(match));
                if (row[w].tag == line) return int(base + w);
            }
        }
        return -1;
    }
    // Bit i set if hints[i] == hint, for i < 16 (the array has 16 bytes of
    // padding, so reading past the last set is safe).
    static std::uint32_t hintMatches(const std::uint8_t *hints, std::uint8_t hint) {
#if defined(__SSE2__)
        const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i *>(hints));
        // (Spread by a multiply and one shuffle: SSE2 has no byte broadcast.)
        const __m128i h = _mm_set1_epi32(int(std::uint32_t(hint) * 0x01010101u));
        return std::uint32_t(_mm_movemask_epi8(_mm_cmpeq_epi8(v, h)));
#else
        std::uint32_t m = 0;
        for (unsigned i = 0; i < 16; ++i) m |= std::uint32_t(hints[i] == hint) << i;
        return m;
#endif
    }
    void setTag(std::size_t b, Addr line) {
        blocks[b].tag = line;
        tagHint[b] = tagHintOf(line);
    }
    // Allocated MSHRs are found by line the way blocks are: one hint byte
    // per MSHR, two SIMD compares per 32 MSHRs. A free MSHR holds kNoLine,
    // which no lookup asks for, and the MSHR array is padded to a multiple
    // of 32 with MSHRs never allocated, so no match needs a bound check.
    [[gnu::always_inline]] int findMshr(Addr line) const {
        const std::uint8_t hint = tagHintOf(line);
        for (std::size_t i0 = 0; i0 < numMshrs; i0 += 32) {
            std::uint32_t match = hintMatches(&mshrHint[i0], hint) | hintMatches(&mshrHint[i0 + 16], hint) << 16;
            for (; match; match &= match - 1) {
                const std::size_t i = i0 + unsigned(__builtin_ctz(match));
                if (mshrs[i].blkAddr == line) return int(i);
            }
        }
        return -1;
    }
    // Every allocated write entry waits in writeReady until it is sent and
    // freed (a writeback needs no response), so that list is the whole
    // buffer; a line is in it at most once.
    int findWrite(Addr line) const {
        for (int i : writeReady)
            if (writes[std::size_t(i)].blkAddr == line) return i;
        return -1;
    }
    std::uint8_t *blockData(int blk) { return blk == kTemp ? tempBlock.data.data() : &blkData[std::size_t(blk) * blkSize]; }
    // A whole line's copy: inline moves for the usual 64 bytes.
    void copyLine(std::uint8_t *dst, const std::uint8_t *src) const {
        if (blkSize == 64) std::memcpy(dst, src, 64);
        else std::memcpy(dst, src, blkSize);
    }
    std::uint8_t &blockFlags(int blk) { return blk == kTemp ? tempBlock.flags : blocks[std::size_t(blk)].flags; }

    // --- access path ------------------------------------------------------
    // Fails on a request the cache cannot take; its command's stats index.
    int checkRequest(PacketPtr pkt);
    // recvTimingReq once the request is taken: for a CleanEvict in a cache
    // without a prefetcher, and for everything else. (Both return true, so
    // that the dispatch can end in a jump to them.)
    //
    // kMayPrefetch (here and below): false on the paths dispatched for a
    // cache without a prefetcher, which are then compiled without any of
    // the prefetcher's checks; true where the cache may have one (checked
    // at run time, as before).
    bool recvCleanEvict(PacketPtr pkt);
    template <bool kMayPrefetch>
    bool recvAccess(PacketPtr pkt);
    bool access(PacketPtr pkt, int cmdIdx, int &blk, Cycles &lat);
    bool accessEviction(PacketPtr pkt, int cmdIdx, Addr line, int &blk, Cycles &lat);
    Cycles accessLatency(int blk, Tick headerDelay) const;
    Cycles tagOnlyLatency(Tick headerDelay) const {
        return headerDelay ? ticksToCycles(headerDelay) + tagLatency : tagLatency;
    }
    void satisfyRequest(PacketPtr pkt, int blk, std::uint8_t *lineData);
    // A mostly exclusive cache drops a clean line once a cache above has it.
    void maintainClusivity(bool fromAbove, int blk) {
        if (mostlyExclusive && fromAbove && blk != -1) dropIfClean(blk);
    }
    void dropIfClean(int blk);
    void handleHit(PacketPtr pkt, Tick requestTime);
    // Forced inline here, in the declaration: with the attribute on the
    // definition alone, GCC (-O2) still called it out of line from
    // recvAccess and recvCleanEvict (a call and six saved registers per miss).
    template <bool kMayPrefetch>
    [[gnu::always_inline]] inline void handleMiss(PacketPtr pkt, int cmdIdx, Tick forwardTime);
    // The prefetcher's notifications, out of line: the hot paths without a
    // prefetcher keep fewer values live across them.
    // What the prefetcher is told about a demand access (both probes above).
    PrefetchInfo accessInfo(const Packet *pkt, bool miss) const;
    [[gnu::noinline]] void notifyPrefetcher(PacketPtr pkt, int blk, bool miss, bool prefetchedLine);
    [[gnu::noinline]] void handleMissWithPrefetcher(PacketPtr pkt, int cmdIdx, Tick forwardTime);
    [[gnu::noinline]] void notifyPrefetcherOfFill(const Mshr &m, std::uint8_t *lineData);

    // --- blocks -------------------------------------------------------------
    template <typename Op>
    decltype(auto) withReplacement(Op &&op);
    template <bool kMayPrefetch>
    int allocateBlock(Addr line, RequestorID src);
    void evictBlock(int blk);
    void notifyEvict(int blk, Addr line, std::uint8_t flags);
    void invalidateBlock(int blk);
    void insertBlock(int blk, Addr line, RequestorID src);
    // gem5's warmupTick: set at the first insertion that finds at least
    // warmupBound blocks already valid; once per run (a stats reset does
    // not re-arm it). `inUse`: valid blocks before this insertion.
    [[gnu::noinline]] void noteWarmup(double inUse);
    // Block b (valid) leaves the tags: its references are sampled.
    void sampleRefs(std::size_t b);
    PacketPtr writebackBlock(int blk, Addr line);
    // What leaves when a line is evicted: a writeback or a CleanEvict.
    PacketPtr evictionPacket(int blk, Addr line, std::uint8_t flags);

    // --- MSHRs and write buffer ---------------------------------------------
    // `ownPrefetch`: a prefetch of this cache's prefetcher, which ends here;
    // any other packet (a HardPFReq from above too) gets a response.
    int allocateMissBuffer(PacketPtr pkt, Tick time, bool ownPrefetch);
    void allocateTarget(Mshr &m, PacketPtr pkt, bool ownPrefetch);
    void deallocateMshr(int i);
    [[gnu::noinline]] void squashPrefetch(int mi);
    bool mshrFull() const { return mshrsInUse >= numMshrs; }
    bool canPrefetch() const { return mshrsInUse + demandMshrReserve < numMshrs; }
    void allocateWriteBuffer(PacketPtr pkt, Tick time);
    [[gnu::noinline]] void growWriteBuffer();
    void deallocateWrite(int i);
    bool writeBufferFull() const { return writesInUse >= numWriteBuffers; }
    // Sends pendingEviction on (to the write buffer, unless it can be dropped).
    void doWriteback(Tick forwardTime);
    // recvTimingResp's work: the fill and the answers to the MSHR's targets.
    template <bool kMayPrefetch>
    bool recvFill(PacketPtr pkt);
    template <bool kMayPrefetch>
    void serviceMshrTargets(Mshr &m, PacketPtr pkt, int blk, std::uint8_t *lineData, Tick arrival, Tick edge);

    // --- mem side sending -----------------------------------------------------
    void schedMemSideSend(Tick when);
    void processMemSideSend();
    // Sends the next ready entry; true if the peer refused (retry owed).
    bool sendNextEntry();
    bool sendMshr(int i);
    bool sendWrite(int i);
    Tick nextQueueReadyTime() const;
    MemCmd missCommand(const Mshr &m) const;

    // --- blocking ---------------------------------------------------------------
    void setBlocked(BlockedCause cause);
    void clearBlocked(BlockedCause cause);
    void processSendRetry();

    // --- parameters ---------------------------------------------------------
    unsigned blkSize;
    unsigned lBlkSize;
    Addr offsetMask, lineMask;  // blkSize - 1 and its complement, made once (several uses per request)
    unsigned assoc;
    std::size_t numSets;
    std::size_t setMask;
    Cycles tagLatency, dataLatency, responseLatency;
    Cycles forwardLatency, fillLatency;
    Tick forwardTicks, fillTicks, responseTicks;  // the latencies above in ticks
    std::size_t numMshrs, numTargets, numWriteBuffers, demandMshrReserve;
    bool sequentialAccess, isReadOnly, writebackClean, mostlyExclusive;
    MemCmd readMissCmd;  // what a miss not needing a writable line sends (see missCommand)
    AddrRangeList addrRanges;
    AddrRangeList belowRanges;  // what the memory side claims (from startup on)

    // --- tags (one record per block) ---------------------------------------------
    // A block's metadata lives in one 32-byte record, aligned so it never
    // straddles a host cache line: a fill or eviction, which reads or writes
    // nearly every field, then misses once rather than once per field.
    struct alignas(32) BlockState {
        Addr tag = kNoLine;                  // line address, kNoLine when invalid
        Tick ready = 0;                      // when a fill's data is usable
        std::uint64_t pfEpoch = 0;           // epoch of the prefetch that brought it
        RequestorID src = kInvalidRequestorID;  // who brought the line in
        std::uint8_t flags = 0;
        // Insertion plus lookups that found the line (gem5's refCount), in
        // the record's padding so a hit touches no other host line.
        std::uint32_t refCount = 0;
    };
    static_assert(sizeof(BlockState) == 32);
    std::vector<BlockState> blocks;
    // Kept apart from the records: findBlock compares 16 hints per SIMD load.
    std::vector<std::uint8_t> tagHint;       // tagHintOf(tag), + 16 bytes of padding
    std::uint32_t lastGroupWays;             // findBlock: the ways of a set's last group of 16, as bits
    std::vector<std::uint8_t> blkData;
    std::unique_ptr<ReplacementState> repl;
    LruState *lruRepl = nullptr;             // repl, when it is the usual LRU/BIP kind
    BaseReplacementPolicy *replPolicy;
    TempBlock tempBlock;
    double warmupBound;                      // warmup_percentage of the blocks, truncated as gem5's int
    bool warmedUp = false;

    // --- queues -----------------------------------------------------------------
    // Indices of entries not yet in service, by ready time, FIFO among equal
    // times (gem5's addToReadyList). Entries nearly always leave from the
    // front and join at the back, so the live range [head, tail) slides
    // along the buffer and is moved back to its start only when it reaches
    // the end: both are O(1) in the common case, with no allocation.
    class ReadyList {
      public:
        void init(std::size_t capacity) {
            buf.assign(2 * capacity + 2, -1);
            bufSize = buf.size();
        }
        bool empty() const { return head == tail; }
        int front() const { return buf[head]; }
        const int *begin() const { return buf.data() + head; }
        const int *end() const { return buf.data() + tail; }
        // The usual cases inline: joining at the back, leaving from the front.
        template <typename Entries>
        [[gnu::always_inline]] void insert(const Entries &entries, int idx) {
            if (tail != bufSize &&
                (head == tail || entries[std::size_t(buf[tail - 1])].readyTime <= entries[std::size_t(idx)].readyTime)) {
                buf[tail++] = idx;
                return;
            }
            insertSorted(entries, idx);
        }
        [[gnu::always_inline]] void erase(int idx) {
            if (head != tail && buf[head] == idx) {
                if (++head == tail) head = tail = 0;
                return;
            }
            eraseAnywhere(idx);
        }
      private:
        template <typename Entries>
        [[gnu::noinline]] void insertSorted(const Entries &entries, int idx);
        [[gnu::noinline]] void eraseAnywhere(int idx);
        std::vector<int> buf;
        std::size_t bufSize = 0;  // buf.size(), kept so that insert need not compute it
        std::size_t head = 0, tail = 0;
    };
    std::vector<Mshr> mshrs;
    // The targets of every MSHR in one array, targetSlots per MSHR (more
    // than tgts_per_mshr only if an MSHR ever needed more).
    std::vector<Target> targetStore;
    std::size_t targetSlots = 0;
    [[gnu::noinline]] void growTargetSlots();
    // Free MSHRs, a stack whose top is at numMshrs - mshrsInUse.
    std::vector<int> mshrFree;
    std::size_t mshrsInUse = 0;
    ReadyList mshrReady;                                   // not in service, by ready time
    std::vector<std::uint8_t> mshrHint;                    // see findMshr; one per entry of mshrs
    std::vector<WriteEntry> writes;
    // Free write entries, a stack whose top is at writes.size() - writesInUse.
    std::vector<int> writeFree;
    std::size_t writesInUse = 0;
    ReadyList writeReady;                                  // every allocated entry, by ready time
    // The eviction an access or a fill caused, until doWriteback: at most
    // one, as each allocates at most one block (or uses the temporary one).
    PacketPtr pendingEviction = nullptr;
    std::uint64_t nextOrder = 0;
    int noTargetMshr = -1;

    // --- ports and events ----------------------------------------------------------
    ForwardingResponsePort<Cache> cpuSide;
    ForwardingRequestPort<Cache> memSide;
    RespPacketQueue cpuRespQueue;
    MemberEvent<Cache, &Cache::processMemSideSend> memSendEvent;
    MemberEvent<Cache, &Cache::processSendRetry> retryEvent;
    bool waitingOnRetry = false;
    std::uint8_t blocked = 0;
    bool mustSendRetry = false;
    Cycles blockedCycle;

    BasePrefetcher *prefetcher;

    std::unique_ptr<CacheStats> stats;
};

}  // namespace npusim
