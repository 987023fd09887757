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
    bool addToReadQueue(PacketPtr pkt, unsigned pktCount);
    void addToWriteQueue(PacketPtr pkt, unsigned pktCount);
    void accessAndRespond(PacketPtr pkt, Tick staticLatency);
    void processNextReqEvent();
    void processRespondEvent();
    MemPacketQueue::iterator chooseNext(MemPacketQueue &queue, Tick extraColDelay);
    void doBurstAccess(MemPacket *mp);
    Addr burstAlign(Addr a) const { return a & ~Addr(dram->bytesPerBurst() - 1); }
    bool inWriteQueue(Addr burstAddr) const;
    void recordTurnaround();

    // the pool's fast path inline; growing it (start-up only) out of line
    MemPacket *allocMemPacket() {
        if (freePackets.empty()) [[unlikely]] return newMemPacket();
        MemPacket *mp = freePackets.back();
        freePackets.pop_back();
        return mp;
    }
    [[gnu::noinline]] MemPacket *newMemPacket();
    void freeMemPacket(MemPacket *mp) { freePackets.push_back(mp); }
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
    bool retryRdReq = false;
    bool retryWrReq = false;
    Tick prevArrival = 0;

    MemPacketQueue readQueue, writeQueue;
    // Reads whose DRAM access is booked, in readyTime order (gem5's respQueue).
    std::vector<MemPacket *> respQueueDram;
    std::size_t respHead = 0;
    std::size_t respSize() const { return respQueueDram.size() - respHead; }
    void respPush(MemPacket *mp) {
        // readyTime order; bursts are booked in order, so almost always an append
        if (respSize() == 0 || respQueueDram.back()->readyTime <= mp->readyTime) [[likely]]
            respQueueDram.push_back(mp);
        else
            respInsert(mp);
    }
    [[gnu::noinline]] void respInsert(MemPacket *mp);
    void respPop() {
        if (++respHead == respQueueDram.size()) {
            respQueueDram.clear();
            respHead = 0;
        } else if (respHead >= 256) [[unlikely]] {
            respCompact();
        }
    }
    [[gnu::noinline]] void respCompact();

    std::vector<std::unique_ptr<MemPacket>> packetStore;
    std::vector<MemPacket *> freePackets;
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
    stats::Scalar numReadWriteTurnArounds, numWriteReadTurnArounds, numStayReadState, numStayWriteState;
    stats::Scalar readReqs, writeReqs, readBursts, writeBursts, servicedByWrQ, mergedWrBursts,
        neitherReadNorWriteReqs;
    stats::Average avgRdQLen, avgWrQLen;
    stats::Scalar numRdRetry, numWrRetry;
    stats::Vector readPktSize, writePktSize, rdQLenPdf, wrQLenPdf;
    stats::Scalar bytesReadWrQ, bytesReadSys, bytesWrittenSys;
    stats::Formula avgRdBWSys, avgWrBWSys;
    stats::Scalar totGap;
    stats::Formula avgGap;
    stats::VectorFormula requestorReadBytes, requestorWriteBytes, requestorReadRate, requestorWriteRate,
        requestorReadAccesses, requestorWriteAccesses, requestorReadTotalLat, requestorWriteTotalLat,
        requestorReadAvgLat, requestorWriteAvgLat;
};

}  // namespace npusim::memory
