// NVR: NPU vector runahead (after Wang et al., DAC 2025, and Decoupled
// Vector Runahead, Naithani et al., MICRO 2023), as an npusim plugin.
//
// NVR is a prefetcher of the cache it is attached to (the NSB, or the L2):
// the cache pulls its prefetches through the gem5 prefetcher hook
// (getPacket), so they occupy that cache's MSHRs and are accounted like any
// gem5 prefetcher's. It is also a listener of the NPU (npu.hh): it sees each
// issued instruction with its register operands, and nothing else of the
// program. It reads the future index values itself, through its own
// request port (`port`), with timing.
//
// Structures (each sized by a parameter; docs/nvr.md has the budget):
//   snoop            the NPU listener: read-only, never stalls the NPU
//   RPT              stride detector keyed by the PC of index loads (ld and
//                    mvin): last address, stride, stream end, confidences
//   taint            one tag per scalar register and a small table of
//                    scratchpad ranges written by tracked mvins
//   chain table      indirect pattern detector: index load -> gather links
//                    with base, element size, row stride and row bytes
//   loop table       loop-bound detector: backward branches with their
//                    induction and bound register values at issue
//   index buffer     lines of the index array read by the runahead engine
//   prefetch queue   line-granular prefetches waiting for an MSHR
//   merge filter     recently generated lines (duplicate merging)
//   in-flight table  prefetches sent and not yet filled (lateness feedback)
#pragma once
#include <cstdint>
#include <deque>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "../npu/npu.hh"
#include "npusim/mem/addr_range.hh"
#include "npusim/mem/cache/prefetch/base.hh"
#include "npusim/mem/packet.hh"
#include "npusim/mem/port.hh"
#include "npusim/mem/response_delay.hh"
#include "npusim/sim/eventq.hh"
#include "npusim/sim/stats.hh"

namespace npusim::nvr {

using npu::DmaInfo;
using npu::IssueInfo;
using npu::NPUBase;
using npu::NPUListener;

class NVR final : public BasePrefetcher, public NPUListener {
  public:
    explicit NVR(const Params &p);

    void init() override;
    void startup() override;
    Port &getPort(const std::string &portName, int idx) override;
    void resetStats() override;
    void preDumpStats() override;

    // --- BasePrefetcher ---------------------------------------------------
    PacketPtr getPacket() override;
    Tick nextPrefetchReadyTime() const override;
    void notifyFill(const PrefetchInfo &info) override;
    void notifyEvict(const EvictionInfo &info) override;

    // --- NPUListener ------------------------------------------------------
    void instructionIssued(const IssueInfo &info) override;

    // --- port -----------------------------------------------------------------
    bool recvTimingResp(PacketPtr pkt, int idx);
    // A response once it has fully arrived (after the interconnect's delay).
    void completeResponse(PacketPtr pkt);
    void recvReqRetry(int idx);

  protected:
    void notify(const PrefetchInfo &info) override;

  private:
    static constexpr int kNone = -1;

    struct RptEntry {          // stride detector
        bool valid = false;
        Addr pc = 0;
        Addr lastAddr = 0;
        std::int64_t stride = 0;
        Addr streamEnd = 0;    // first element after the last consumed one
        bool streamEndValid = false;
        std::uint8_t strideConf = 0, streamConf = 0;
        unsigned size = 0;     // ld: access size (bytes)
        std::uint64_t lru = 0;
    };
    struct SpadTaint {         // scratchpad range written by a tracked mvin
        bool valid = false;
        std::uint64_t lo = 0, hi = 0;
        Addr dram = 0;         // DRAM address of lo
        int rpt = kNone;
        std::uint64_t lru = 0;
    };
    struct LoopEntry {         // loop-bound detector
        bool valid = false;
        Addr pc = 0, target = 0;
        std::int64_t op = 0;
        int indReg = -1, bndReg = -1;
        std::int64_t ind = 0, bnd = 0;
        std::int64_t step = 0;
        bool stepValid = false;
        bool exited = true;     // last execution fell through
        bool seenTaken = false; // taken at least once in this invocation
        int bndTaint = kNone;   // RPT entry of the ld that produced the bound register
        std::uint64_t lru = 0;
        // Iterations still to run (including the one in progress) after the
        // last execution; -1 unknown.
        std::int64_t remaining() const;
    };
    struct Chain {             // indirect pattern detector + runahead state
        bool valid = false;
        int rpt = kNone;
        Addr pcL = 0, pcG = 0;
        bool reg = false;       // gather_r (index via register)
        std::int64_t base = 0;
        std::int64_t rowStride = 0;
        unsigned rowBytes = 0;
        unsigned esz = 4;
        std::uint8_t conf = 0;
        bool detected = false;
        std::uint64_t gathers = 0;  // observations of the link (for the detection stat)
        // consumption
        Addr P = 0;             // next unconsumed element (DRAM address)
        Addr lastStart = 0;     // first element of the last gather
        std::uint64_t lastN = 0;
        // iteration mode (index stream with gaps)
        std::int64_t perIter = 0;   // bytes of index stream per iteration (stride)
        std::int64_t usedPerIter = 0;
        // loop linkage
        int loop = kNone;
        std::int64_t C = 0;     // element address = C + esz * induction
        std::uint8_t linkConf = 0;
        std::int64_t prevInvC = 0;
        bool prevInvCValid = false;
        bool cStable = false;
        // invocations of the chain's loop
        Addr invStart = 0;
        bool invStartValid = false;
        bool awaitingNext = false;  // loop exited: does the next invocation continue the stream?
        Addr exitP = 0;
        std::int64_t exitBase = 0;
        std::uint8_t crossConf = 0;
        std::int64_t perInv = 0;
        std::uint8_t perInvConf = 0;
        // nested bound (inner bound register loaded by a strided ld)
        Addr finalBoundAddr = 0;
        bool finalBoundPending = false;
        bool finalBoundValid = false;
        Addr finalBound = 0;
        // runahead
        Addr frontier = 0;
        Addr target = 0;        // runahead stops before this element
        bool active = false;
        std::uint64_t lru = 0;
    };
    struct IndexLine {
        bool valid = false, pending = false;
        Addr line = 0;
        std::vector<std::uint8_t> data;
        std::uint64_t lru = 0;
    };
    struct PfEntry {
        Addr line;
        Addr pc;
    };

    // --- snoop / detectors ---------------------------------------------------
    void onAlu(const IssueInfo &in);
    void onLd(const IssueInfo &in);
    void onMvin(const IssueInfo &in);
    void onGather(const IssueInfo &in, bool reg);
    void onBranch(const IssueInfo &in);
    int rptUpdate(Addr pc, Addr addr, unsigned size);
    bool rptConfident(int i) const;
    Chain *findChain(int rpt, Addr pcG, bool alloc);
    int findLoopFor(Addr lo, Addr hi, int exclude) const;
    void updateBound(Chain &c);
    void trigger(Chain &c);

    // --- runahead engine ---------------------------------------------------------
    void runEngine();
    void wakeEngine(Tick when);
    // 0: element processed, 1: waiting for the index line, 2: queue full / no slot
    int processElement(Chain &c);
    // Queues one line for the cache (merge filter, cache snoop); false if the queue is full.
    bool pushLine(Addr l, Addr pc);
    void stridePrefetch(int r, Addr pc, Addr addr, unsigned extent);
    int findIndexLine(Addr line) const;
    bool inUseByChain(Addr line) const;
    bool requestIndexLine(Addr line);
    bool sendIndexPacket(PacketPtr pkt);
    bool inMemory(Addr a) const;
    void issueFinalBoundLoad(Chain &c, Addr addr);
    void adaptDistance();

    // --- parameters ------------------------------------------------------------
    NPUBase *npu;
    ForwardingRequestPort<NVR> port;
    unsigned rptEntries, taintEntries, chainEntries, loopEntries;
    unsigned lanes;
    unsigned distInit, distMin, distMax;
    unsigned adaptInterval;
    double lateThreshold, earlyThreshold;
    unsigned pfqSize, mergeEntries, indexLines, maxIndexLoads, inflightEntries;
    unsigned confThreshold, chainConfirm;
    unsigned strideLines;
    unsigned record;
    std::size_t recorded = 0;
    bool fillIndexLines;
    Tick indexMissLatency;
    unsigned numRegs;
    unsigned rowB = 64;       // scratchpad row bytes (4 * dim)
    unsigned line = 64;
    RequestorID idxReqId = 0;
    AddrRangeList memRanges;

    // --- state -------------------------------------------------------------------
    std::vector<RptEntry> rpt;
    std::vector<SpadTaint> taint;
    std::vector<int> regTaint;
    std::vector<Chain> chains;
    std::vector<LoopEntry> loops;
    std::vector<IndexLine> ilb;
    std::deque<PfEntry> pfq;
    std::deque<Addr> mergeFifo;
    std::unordered_set<Addr> mergeSet;
    std::deque<Addr> inflightFifo;
    std::unordered_set<Addr> inflight;
    std::uint64_t tick = 0;   // LRU clock
    unsigned distance;
    unsigned rr = 0;          // round robin over chains
    unsigned indexInflight = 0;
    std::deque<PacketPtr> retryQueue;
    bool waitingRetry = false;
    bool stalledOnQueue = false;
    std::uint64_t fbTimely = 0, fbLate = 0, fbEarly = 0;
    MemberEvent<NVR, &NVR::runEngine> engineEvent;
    ResponseDelay<NVR, &NVR::completeResponse> responseDelay{this};

    struct Pending {          // senderState of an index load
        bool finalBound = false;
        int chain = kNone;
        Addr addr = 0;
        unsigned size = 0;
        Tick sent = 0;
    };
    // At most max_index_loads are in flight: their records come from a pool
    // sized once, so an index load allocates nothing.
    std::vector<Pending> pendingPool;
    std::vector<Pending *> pendingFree;
    Pending *allocPending();
    void freePending(Pending *pd) { pendingFree.push_back(pd); }

  public:
    stats::Scalar chainsDetected;
    stats::Scalar runaheadEpisodes;
    stats::Scalar indexLoads;
    stats::Scalar indexLoadMisses;
    stats::Scalar boundLoads;
    stats::Scalar laneCycles;
    stats::Scalar engineCycles;
    stats::Scalar elementsGenerated;
    stats::Scalar linesMerged;
    stats::Scalar linesFiltered;
    stats::Scalar boundStops;
    stats::Scalar strideCandidates;
    stats::Scalar detectionGathers;
    stats::Vector recordLine, recordPC;
    stats::Scalar feedbackTimely, feedbackLate, feedbackEarly;
    stats::Scalar distanceUp, distanceDown;
    stats::Distribution distanceDist;
    stats::Group balancedGroup;
    stats::Scalar bIssued, bUseful, bLate, bUseless, bPending;
};

}  // namespace npusim::nvr
