// The NPU's implementation (private to src_ext/npu/; other plugins use npu.hh).
//
// Structure (see docs/npu.md for the timing model and its formulas):
//   front end   in-order, one instruction per cycle: scalar ALU ops and
//               branches execute here, ld reads memory through the DMA port
//               and stalls until its data returns, everything else is
//               dispatched (with its register operands) into the load,
//               execute or store queue;
//   scoreboard  every dispatched instruction keeps the scratchpad,
//               accumulator and DRAM byte ranges it reads and writes until
//               it is done; an instruction starts only when no older
//               unfinished one has a RAW, WAW or WAR conflict with it;
//   load/store  in order within each queue; each started transfer is split
//               into line requests by the DMA engine;
//   execute     in order; matmul runs on the systolic array (WS or OS),
//               vector ops on the vector unit; their results are computed
//               when they start, their timing is booked on the array /
//               unit and the scratchpad banks.
// Everything is driven by one event (tickEvent) that is scheduled only for
// cycles in which something can happen, and by the port's responses.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "isa_gen.hh"
#include "npu.hh"
#include "npusim/mem/packet.hh"
#include "npusim/mem/port.hh"
#include "npusim/mem/response_delay.hh"
#include "npusim/sim/eventq.hh"
#include "npusim/sim/stats.hh"
#include "scratchpad.hh"

namespace npusim::npu {

using Cyc = std::uint64_t;
constexpr Cyc kNever = ~Cyc(0);

struct Inst {
    const isa::OpInfo *info = nullptr;
    isa::Op op = isa::Op::NOP;
    std::int64_t f[kMaxOperands] = {};
    std::uint32_t target = 0;  // branch target (instruction index) for label fields
};

// "0x1f", "-0x4": Python's format(v, "#x"), for messages.
std::string hex(__int128 v);

enum Space : std::uint8_t { kSpad = 0, kAcc = 1, kDram = 2 };

struct Range {
    std::uint64_t lo = 0, hi = 0;  // [lo, hi)
    std::uint8_t space = 0;
};

inline bool overlaps(const Range &a, const Range &b) {
    return a.space == b.space && a.lo < b.hi && b.lo < a.hi;
}

enum class Q : std::uint8_t { Load = 0, Exec = 1, Store = 2 };

// A dispatched instruction, from dispatch until it is done.
struct Entry {
    std::uint64_t seq = 0;
    std::uint32_t index = 0;
    const Inst *inst = nullptr;
    Q q = Q::Load;
    bool started = false;
    Cyc readyCycle = 0;           // may start from this cycle on
    Cyc readsDoneCycle = kNever;  // scratchpad/accumulator reads finished
    Cyc doneCycle = kNever;       // all effects visible (DRAM reads/writes too)
    Range rd[4];
    Range wr[2];
    std::uint8_t nrd = 0, nwr = 0;
    std::int64_t reg[kMaxOperands] = {};  // register operand values at dispatch

    // --- DMA transfer state (load / store queue) ---
    bool isWrite = false;          // store transfer (WriteReq)
    bool indexed = false;          // gather / scatter through an index vector
    std::uint8_t local = kSpad;    // local space (scratchpad / accumulator)
    std::uint8_t idxSize = 4;
    std::uint64_t n = 0;           // rows
    std::int64_t dramBase = 0;     // first row's DRAM address (or table base)
    std::int64_t stride = 0;       // DRAM bytes between rows (or table row stride)
    std::uint64_t localAddr = 0;   // first row's local address
    std::uint64_t idxAddr = 0;     // index vector (indexed)
    std::uint32_t rowBytes = 0, pitch = 0;
    std::uint64_t row = 0;         // next chunk: row and offset in it
    std::uint32_t off = 0;
    std::uint64_t issued = 0, completed = 0;
    bool allIssued = false;
    Cyc nextIssue = 0;             // earliest cycle for the next request
    Cyc readSlot = kNever;         // store: reserved scratchpad read for the next chunk
    Cyc lastWrite = 0;             // load: cycle after the latest local write

    // --- vector op operands (execute queue) ---
    std::uint64_t vdst = 0, vsrc = 0;
    std::uint8_t vdstSpace = kSpad, vsrcSpace = kSpad;
    float vscalar = 0.0f;
};

// One request in flight on the port (pooled; the packet's senderState).
struct DmaReq {
    Entry *e = nullptr;            // null for the front end's ld
    std::uint64_t localAddr = 0;
    std::uint8_t space = kSpad;
    std::uint8_t ldReg = 0;        // ld: destination register
    Tick issueTick = 0;
    DmaReq *nextFree = nullptr;
};

// A few disjoint, sorted [from, to) cycle intervals (the future schedule of
// the execute units), for exact busy/stall accounting without per-cycle events.
class IntervalSet {
  public:
    void add(Cyc from, Cyc to);
    Cyc covered(Cyc from, Cyc to) const;
    // Cycles of [from, to) covered by this set but not by `other`.
    Cyc coveredExcept(Cyc from, Cyc to, const IntervalSet &other) const;
    void pruneBefore(Cyc t);
    void clear() { iv.clear(); }
    void reserve(std::size_t n) { iv.reserve(n); }
    bool empty() const { return iv.empty(); }

  private:
    std::vector<std::pair<Cyc, Cyc>> iv;
};

class NPU final : public NPUBase {
  public:
    explicit NPU(const Params &p);
    ~NPU() override;

    Port &getPort(const std::string &portName, int idx) override;
    void init() override;
    void startup() override;
    std::uint64_t instructionsSimulated() const override { return std::uint64_t(instructions.total()); }
    void resetStats() override;
    void preDumpStats() override;

    unsigned dim() const override { return D; }
    unsigned lineSize() const override { return line; }
    unsigned numScalarRegs() const override { return numRegs; }
    RequestorID dmaRequestorId() const override { return reqId; }
    Addr pcBase() const override { return pcBase_; }
    bool finished() const override { return done; }

    // Port handlers (ForwardingRequestPort).
    bool recvTimingResp(PacketPtr pkt, int idx);
    // A response once it has fully arrived (after the interconnect's delay).
    void completeResponse(PacketPtr pkt);
    void recvReqRetry(int idx);

  private:
    enum Reason { kMemory = 0, kScratchpad = 1, kDependency = 2, kFrontend = 3, kNumReasons };
    enum class Block : std::uint8_t { None, Queue, DramOrder, LdResponse, Halted };

    // --- decode (npu.cc) ---
    void decodeProgram(const Blob &blob);
    void checkInst(std::uint32_t i, Inst &in, std::size_t count);
    [[noreturn]] void fault(std::uint32_t i, const char *operand, const std::string &detail) const;
    [[noreturn]] void fault(const Entry &e, const char *operand, const std::string &detail) const {
        fault(e.index, operand, detail);
    }
    Addr pcOf(std::uint32_t i) const { return pcBase_ + Addr(isa::kInstrBytes) * i; }
    std::uint32_t pitchOf(std::int64_t rb) const { return std::uint32_t((rb + rowB - 1) / rowB * rowB); }

    // --- the loop (npu.cc) ---
    void tick();
    void wake(Cyc c);
    Cyc nowCycle() const { return curTick() / clockPeriod(); }
    Cyc edgeCycle() const { return (curTick() + clockPeriod() - 1) / clockPeriod(); }
    void retire(Cyc now);
    void frontEnd(Cyc now);
    bool executeScalar(const Inst &in);
    void dispatch(const Inst &in, Cyc now);
    void notifyIssue(const Inst &in, Cyc now, std::uint64_t seq);
    const Entry *hazard(const Entry &x, Cyc now) const;
    void startTransfers(Cyc now);
    void startTransfer(Entry &e, Cyc now);
    void checkFinish(Cyc now);
    void scheduleNext(Cyc now);
    void account(Cyc now);
    Reason classify(Cyc now) const;
    void sampleInflight(Cyc now);
    bool inMemory(std::int64_t lo, std::int64_t hi) const;
    Scratchpad &space(std::uint8_t s) { return s == kAcc ? *acc : *spad; }

    // --- DMA engine (npu_dma.cc) ---
    void dmaIssue(Cyc now);
    bool issueLd(Cyc now);
    bool issueChunk(Entry &e, Cyc now);
    bool sendPacket(PacketPtr pkt);
    void onSent(PacketPtr pkt, DmaReq *r);
    DmaReq *allocReq();
    void freeReq(DmaReq *r);
    void notifyDma(const PacketPtr pkt, const DmaReq *r, bool completed);

    // --- execute unit (npu_exec.cc) ---
    void startExec(Cyc now);
    void startMatmul(Entry &e, Cyc now);
    void startVector(Entry &e, Cyc now);
    void computeMatmul(const Inst &in);
    void computeVector(const Entry &e);
    void invalidateWeights(const Entry &e);

    // --- configuration ---
    ForwardingRequestPort<NPU> port;
    unsigned D;
    bool weightStationary;
    bool overlapPreload;
    Scratchpad *spad;
    Scratchpad *acc;
    unsigned rowB;                 // 4 * D
    unsigned line;
    unsigned maxInflight;
    unsigned dmaPerCycle;
    unsigned queueDepth[3];
    unsigned numRegs;
    unsigned lanes;
    unsigned vecLatency;
    Addr pcBase_;
    std::vector<Inst> prog;
    RequestorID reqId = 0;
    std::vector<std::pair<Addr, Addr>> memRanges;

    // --- front end ---
    std::vector<std::int64_t> x;   // scalar registers
    std::uint32_t fpc = 0;
    Cyc frontReady = 0;
    Block block = Block::None;
    Q blockQueue = Q::Load;
    bool halted = false;
    bool done = false;
    std::uint64_t nextSeq = 0;          // instructions issued so far
    std::uint64_t maxInstsAnyThread = 0;  // the issue count that exits the simulation loop (once)
    bool ldPending = false;        // ld waiting for the DMA port
    Addr ldAddr = 0;
    unsigned ldSize = 0;
    std::uint8_t ldReg = 0;
    std::uint32_t ldIndex = 0;

    // --- scoreboard and queues ---
    std::vector<Entry> pool;
    std::vector<Entry *> freeEntries;
    std::vector<Entry *> live;     // dispatched, not retired; program order
    unsigned inQueue[3] = {0, 0, 0};
    Entry *issuing[3] = {nullptr, nullptr, nullptr};  // transfer issuing requests (load, -, store)
    unsigned rrDir = 0;            // DMA round robin: 0 load first, 2 store first

    // --- DMA ---
    std::vector<DmaReq> reqPool;
    DmaReq *freeReqs = nullptr;
    unsigned inflight = 0;
    PacketPtr retryPkt = nullptr;
    DmaReq *retryReq = nullptr;
    Cyc inflightSince = 0;

    // --- array and vector unit ---
    Cyc arrayInputFree = 0;        // the array's input edge is free from this cycle
    Cyc arrayAccept = 0;           // next matmul may be scheduled from this cycle
    Cyc lastStreamStart = 0;
    Cyc lastDrainEnd = 0;
    bool wsValid = false;          // stationary weights (WS) and what they are
    std::int64_t wsB = 0, wsK = 0, wsN = 0, wsT = 0;
    bool osValid = false;          // current output tile (OS)
    std::int64_t osC = 0, osM = 0, osN = 0;
    Cyc vectorFree = 0;
    std::vector<float> vtmp;       // vector-op operand copy for overlapping ranges
    std::vector<double> mtmp;      // matmul accumulation buffer

    // --- accounting ---
    IntervalSet busySet;           // exec unit busy (array or vector)
    IntervalSet arraySet;          // array occupied (for arrayActiveCycles)
    IntervalSet spadWaitSet;       // exec waiting for scratchpad banks
    Reason reason = kFrontend;
    Cyc lastAcct = 0;
    Cyc startCycle = 0;
    Cyc finishCycle = 0;

    MemberEvent<NPU, &NPU::tick> tickEvent;
    ResponseDelay<NPU, &NPU::completeResponse> responseDelay{this};

  public:
    // --- statistics ---
    stats::Scalar numCycles;
    stats::Scalar busyCycles;
    stats::Vector stallCycles;
    stats::Vector instructions;
    stats::Vector instructionsByOp;
    stats::Scalar macs;
    stats::Scalar matmuls;
    stats::Scalar weightPreloads;
    stats::Scalar arrayActiveCycles;
    stats::Formula arrayUtilization;
    stats::Formula computeUtilization;
    stats::Scalar vectorElements;
    stats::Scalar dmaBytesRead;
    stats::Scalar dmaBytesWritten;
    stats::Scalar dmaReadReqs;
    stats::Scalar dmaWriteReqs;
    stats::Scalar dmaTotalReadLatency;
    stats::Scalar dmaTotalWriteLatency;
    stats::Formula dmaAvgReadLatency;
    stats::Formula dmaAvgWriteLatency;
    stats::Distribution dmaRequestsInFlight;
    stats::Scalar dmaRetries;
    stats::Scalar scalarLoads;
    stats::Scalar queueFullStalls;
};

}  // namespace npusim::npu
