// MemCtrl: gem5's single-channel memory controller in front of one
// DRAMInterface. Requests are split into bursts and queued (read queue,
// write queue with merging and read forwarding); a scheduler (FCFS or
// FR-FCFS) issues one burst per decision, switching between reads and
// writes with gem5's write-drain thresholds; reads respond after the DRAM
// data is ready plus the static frontend and backend latencies, writes are
// acknowledged after the frontend latency as soon as they are queued.
#pragma once
#include <array>
#include <memory>
#include <vector>

#include "dram_interface.hh"
#include "npusim/mem/packet_queue.hh"
#include "npusim/mem/port.hh"
#include "npusim/sim/ring.hh"

namespace npusim::memory {

class MemCtrl final : public SimObject {
  public:
    explicit MemCtrl(const Params &p);
    ~MemCtrl() override;

    Port &getPort(const std::string &portName, int idx) override;
    void init() override;
    void startup() override;
    void resetStats() override;
    void preDumpStats() override;

    // Port handlers.
    bool recvTimingReq(PacketPtr pkt, int);
    void recvRespRetry(int) { respQueue.retry(); }
    void recvFunctional(PacketPtr pkt, int);
    AddrRangeList getAddrRanges(int) const { return dram->getAddrRanges(); }

  private:
    enum class Sched { Fcfs, Frfcfs };

    bool readQueueFull(unsigned needed) const {
        return dram->readQueueSize + respSize() + needed > readBufferSize;
    }
    bool writeQueueFull(unsigned needed) const { return dram->writeQueueSize + needed > writeBufferSize; }
    [[gnu::always_inline]] bool addToReadQueue(PacketPtr pkt, unsigned pktCount);
    void addToWriteQueue(PacketPtr pkt, unsigned pktCount);
    // Forwards a read burst from the write queue if it holds all its bytes.
    [[gnu::always_inline]] bool readFromWriteQueue(Addr addr, unsigned size);
    [[gnu::always_inline]] void enqueueReadBurst(PacketPtr pkt, Addr addr, unsigned size, BurstHelper *helper);
    void accessAndRespond(PacketPtr pkt, Tick staticLatency);
    // A read burst's system packet, once all its bursts are ready.
    void respondToRead(PacketPtr pkt);
    // Sends the accessed `pkt` back after `staticLatency` and the delays the
    // crossbars put on it, or drops it if it needed no response.
    [[gnu::always_inline]] void respondAfter(PacketPtr pkt, bool needsResponse, Tick staticLatency);
    void processNextReqEvent();
    void processRespondEvent();
    template <bool IsRead>
    [[gnu::always_inline]] MemPacketQueue::iterator chooseNext(MemPacketQueue &queue, Tick extraColDelay);
    template <bool IsRead>
    [[gnu::always_inline]] void doBurstAccess(MemPacket *mp);
    Addr burstAlign(Addr a) const { return a & ~Addr(dram->bytesPerBurst() - 1); }
    bool inWriteQueue(Addr burstAddr) const;
    void recordTurnaround();

    // the pool's fast path inline; growing it (start-up only) out of line
    MemPacket *allocMemPacket() {
        MemPacket *mp = freePackets;
        if (!mp) [[unlikely]] return newMemPacket();
        freePackets = mp->nextFree;
        return mp;
    }
    [[gnu::noinline]] MemPacket *newMemPacket();
    // A burst of `size` bytes at `addr`, decoded, ready to queue; `answer` is
    // the system packet its completion answers (null for writes, answered at once).
    [[gnu::always_inline]] MemPacket *newBurst(PacketPtr answer, RequestorID requestor, bool read, Addr addr,
                                               unsigned size, BurstHelper *helper);
    void freeMemPacket(MemPacket *mp) {
        mp->nextFree = freePackets;
        freePackets = mp;
    }
    BurstHelper *allocHelper(unsigned count);
    void freeHelper(BurstHelper *h) { freeHelpers.push_back(h); }

    ForwardingResponsePort<MemCtrl> port;
    RespPacketQueue respQueue;
    DRAMInterface *dram;
    unsigned readBufferSize, writeBufferSize;
    unsigned writeHighThreshold, writeLowThreshold;
    unsigned minWritesPerSwitch, minReadsPerSwitch;
    Sched memSchedPolicy;
    Tick frontendLatency, backendLatency, commandWindow;
    Tick readResponseLatency;  // frontendLatency + backendLatency
    unsigned fullBurstSize = 0, fullBurstLog2 = 0;  // the usual request size and its readPktSize bucket
    bool retryRdReq = false;
    bool retryWrReq = false;
    Tick prevArrival = 0;

    MemPacketQueue readQueue, writeQueue;
    // Removes the chosen burst, keeping the queue's order (short queues:
    // a few moves, not a call).
    static void removeFromQueue(MemPacketQueue &queue, MemPacketQueue::iterator it) {
        for (auto next = it + 1; next != queue.end(); ++it, ++next) *it = *next;
        queue.pop_back();
    }

    // Reads whose DRAM access is booked, in readyTime order (gem5's
    // respQueue).
    Ring<MemPacket *> respQueueDram;
    std::size_t respSize() const { return respQueueDram.size(); }
    MemPacket *respFront() { return respQueueDram.front(); }
    void respPush(MemPacket *mp) {
        // bursts are booked in order, so almost always an append
        if (respQueueDram.empty() || respQueueDram.back()->readyTime <= mp->readyTime) [[likely]]
            respQueueDram.push_back(mp);
        else
            respInsert(mp);
    }
    [[gnu::noinline]] void respInsert(MemPacket *mp);
    void respPop() { respQueueDram.pop_front(); }

    // MemPackets and BurstHelpers are pooled: owned by the stores, free
    // ones chained through MemPacket::nextFree / kept in freeHelpers.
    std::vector<std::unique_ptr<MemPacket>> packetStore;
    MemPacket *freePackets = nullptr;
    std::vector<std::unique_ptr<BurstHelper>> helperStore;
    std::vector<BurstHelper *> freeHelpers;

    MemberEvent<MemCtrl, &MemCtrl::processNextReqEvent> nextReqEvent;
    MemberEvent<MemCtrl, &MemCtrl::processRespondEvent> respondEvent;

    PerRequestor reqReadBytes, reqWriteBytes, reqReadAccesses, reqWriteAccesses, reqReadTotalLat,
        reqWriteTotalLat;
    Tick lastResetTick = 0;
    double simSeconds() const { return double(curTick() - lastResetTick) / double(kTicksPerSecond); }

  public:
    // --- stats (gem5 names, in gem5's order) ------------------------------
    stats::Counter numReadWriteTurnArounds, numWriteReadTurnArounds, numStayReadState, numStayWriteState;
    stats::Counter readReqs, writeReqs, readBursts, writeBursts;
    stats::Scalar servicedByWrQ, mergedWrBursts, neitherReadNorWriteReqs;
    stats::Average avgRdQLen, avgWrQLen;
    stats::Scalar numRdRetry, numWrRetry;
    stats::CounterVector readPktSize, writePktSize, rdQLenPdf, wrQLenPdf;
    stats::Histogram rdPerTurnAround, wrPerTurnAround;
    stats::Scalar bytesReadWrQ;
    stats::Counter bytesReadSys, bytesWrittenSys;
    stats::Formula avgRdBWSys, avgWrBWSys;
    stats::Counter totGap;
    stats::Formula avgGap;
    stats::VectorFormula requestorReadBytes, requestorWriteBytes, requestorReadRate, requestorWriteRate,
        requestorReadAccesses, requestorWriteAccesses, requestorReadTotalLat, requestorWriteTotalLat,
        requestorReadAvgLat, requestorWriteAvgLat;
};

}  // namespace npusim::memory
