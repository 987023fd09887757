#include "mem_ctrl.hh"
#include "npusim/sim/debug.hh"

#include <algorithm>
#include <bit>
#include <cmath>

#include "npusim/mem/requestors.hh"

NPUSIM_DEBUG_FLAG(MemCtrl, "Memory controller: requests queued or refused (queue full)")

namespace npusim::memory {

namespace {
unsigned ceilLog2(std::uint64_t v) { return v <= 1 ? 0 : unsigned(64 - std::countl_zero(v - 1)); }
}  // namespace

MemCtrl::MemCtrl(const Params &p)
    : SimObject(p),
      port("port", this),
      respQueue(port, p.name() + ".port"),
      dram(p.get<DRAMInterface *>("dram")),
      nextReqEvent(this),
      respondEvent(this),
      numReadWriteTurnArounds(this, "numReadWriteTurnArounds", stats::units::Count,
                              "Number of turnarounds from READ to WRITE"),
      numWriteReadTurnArounds(this, "numWriteReadTurnArounds", stats::units::Count,
                              "Number of turnarounds from WRITE to READ"),
      numStayReadState(this, "numStayReadState", stats::units::Count, "Number of times bus staying in READ state"),
      numStayWriteState(this, "numStayWriteState", stats::units::Count,
                        "Number of times bus staying in WRITE state"),
      readReqs(this, "readReqs", stats::units::Count, "Number of read requests accepted"),
      writeReqs(this, "writeReqs", stats::units::Count, "Number of write requests accepted"),
      readBursts(this, "readBursts", stats::units::Count,
                 "Number of controller read bursts, including those serviced by the write queue"),
      writeBursts(this, "writeBursts", stats::units::Count,
                  "Number of controller write bursts, including those merged in the write queue"),
      servicedByWrQ(this, "servicedByWrQ", stats::units::Count,
                    "Number of controller read bursts serviced by the write queue"),
      mergedWrBursts(this, "mergedWrBursts", stats::units::Count,
                     "Number of controller write bursts merged with an existing one"),
      neitherReadNorWriteReqs(this, "neitherReadNorWriteReqs", stats::units::Count,
                              "Number of requests that are neither read nor write"),
      avgRdQLen(this, "avgRdQLen", stats::units::rate(stats::units::Count, stats::units::Tick),
                "Average read queue length when enqueuing"),
      avgWrQLen(this, "avgWrQLen", stats::units::rate(stats::units::Count, stats::units::Tick),
                "Average write queue length when enqueuing"),
      numRdRetry(this, "numRdRetry", stats::units::Count, "Number of times read queue was full causing retry"),
      numWrRetry(this, "numWrRetry", stats::units::Count, "Number of times write queue was full causing retry"),
      readPktSize(this, "readPktSize", stats::units::Count, "Read request sizes (log2)"),
      writePktSize(this, "writePktSize", stats::units::Count, "Write request sizes (log2)"),
      rdQLenPdf(this, "rdQLenPdf", stats::units::Count, "What read queue length does an incoming req see"),
      wrQLenPdf(this, "wrQLenPdf", stats::units::Count, "What write queue length does an incoming req see"),
      rdPerTurnAround(this, "rdPerTurnAround", stats::units::Count,
                      "Reads before turning the bus around for writes"),
      wrPerTurnAround(this, "wrPerTurnAround", stats::units::Count,
                      "Writes before turning the bus around for reads"),
      bytesReadWrQ(this, "bytesReadWrQ", stats::units::Byte, "Total number of bytes read from write queue"),
      bytesReadSys(this, "bytesReadSys", stats::units::Byte, "Total read bytes from the system interface side"),
      bytesWrittenSys(this, "bytesWrittenSys", stats::units::Byte,
                      "Total written bytes from the system interface side"),
      avgRdBWSys(this, "avgRdBWSys", stats::units::rate(stats::units::Byte, stats::units::Second),
                 "Average system read bandwidth in Byte/s", [this] { return bytesReadSys.value() / simSeconds(); }),
      avgWrBWSys(this, "avgWrBWSys", stats::units::rate(stats::units::Byte, stats::units::Second),
                 "Average system write bandwidth in Byte/s",
                 [this] { return bytesWrittenSys.value() / simSeconds(); }),
      totGap(this, "totGap", stats::units::Tick, "Total gap between requests"),
      avgGap(this, "avgGap", stats::units::rate(stats::units::Tick, stats::units::Count),
             "Average gap between requests",
             [this] { return totGap.value() / (readReqs.value() + writeReqs.value()); }),
      requestorReadBytes(this, "requestorReadBytes", stats::units::Byte, "Per-requestor bytes read from memory"),
      requestorWriteBytes(this, "requestorWriteBytes", stats::units::Byte, "Per-requestor bytes write to memory"),
      requestorReadRate(this, "requestorReadRate", stats::units::rate(stats::units::Byte, stats::units::Second),
                        "Per-requestor bytes read from memory rate"),
      requestorWriteRate(this, "requestorWriteRate", stats::units::rate(stats::units::Byte, stats::units::Second),
                         "Per-requestor bytes write to memory rate"),
      requestorReadAccesses(this, "requestorReadAccesses", stats::units::Count,
                            "Per-requestor read serviced memory accesses"),
      requestorWriteAccesses(this, "requestorWriteAccesses", stats::units::Count,
                             "Per-requestor write serviced memory accesses"),
      requestorReadTotalLat(this, "requestorReadTotalLat", stats::units::Tick,
                            "Per-requestor read total memory access latency"),
      requestorWriteTotalLat(this, "requestorWriteTotalLat", stats::units::Tick,
                             "Per-requestor write total memory access latency"),
      requestorReadAvgLat(this, "requestorReadAvgLat", stats::units::rate(stats::units::Tick, stats::units::Count),
                          "Per-requestor read average memory access latency"),
      requestorWriteAvgLat(this, "requestorWriteAvgLat", stats::units::rate(stats::units::Tick, stats::units::Count),
                           "Per-requestor write average memory access latency") {
    if (!dram) p.error("dram", "a MemCtrl needs a DRAM interface");
    // Two controllers driving one interface would share its banks and bus state.
    if (dram->controller())
        p.error("dram", dram->name() + " already belongs to " + dram->controller()->name() +
                            "; give each MemCtrl its own DRAM interface");
    readBufferSize = dram->readBufferSize();
    writeBufferSize = dram->writeBufferSize();
    double hi = p.get<double>("write_high_thresh_perc");
    double lo = p.get<double>("write_low_thresh_perc");
    if (lo >= hi)
        p.error("write_low_thresh_perc", "must be smaller than write_high_thresh_perc (" + std::to_string(lo) +
                                             " >= " + std::to_string(hi) + ")");
    writeHighThreshold = unsigned(writeBufferSize * hi / 100.0);
    writeLowThreshold = unsigned(writeBufferSize * lo / 100.0);
    minWritesPerSwitch = p.get<unsigned>("min_writes_per_switch");
    minReadsPerSwitch = p.get<unsigned>("min_reads_per_switch");
    auto policy = p.get<std::string>("mem_sched_policy");
    if (policy == "fcfs") memSchedPolicy = Sched::Fcfs;
    else if (policy == "frfcfs") memSchedPolicy = Sched::Frfcfs;
    else p.error("mem_sched_policy", "unknown policy '" + policy + "' (fcfs or frfcfs)");
    frontendLatency = p.get<Tick>("static_frontend_latency");
    backendLatency = p.get<Tick>("static_backend_latency");
    readResponseLatency = frontendLatency + backendLatency;
    commandWindow = p.get<Tick>("command_window");
    if (commandWindow == 0) p.error("command_window", "must be positive");
    dram->setCtrl(this, commandWindow);

    readQueue.reserve(readBufferSize);
    writeQueue.reserve(writeBufferSize);

    avgRdQLen.precision(2);
    avgWrQLen.precision(2);
    unsigned logBurst = ceilLog2(dram->bytesPerBurst());
    fullBurstSize = dram->bytesPerBurst();
    fullBurstLog2 = logBurst;
    readPktSize.init(logBurst + 1);
    writePktSize.init(logBurst + 1);
    rdQLenPdf.init(readBufferSize);
    wrQLenPdf.init(writeBufferSize);
    rdPerTurnAround.init(readBufferSize).flags(stats::kNoZero);
    wrPerTurnAround.init(writeBufferSize).flags(stats::kNoZero);
    avgRdBWSys.precision(8);
    avgWrBWSys.precision(8);
    avgGap.precision(2);

    auto unit = [](stats::VectorFormula &f, const PerRequestor &c, unsigned flags) {
        f.define([&c] { return c.padded(); }, [&c] { return c.total(); });
        f.flags(flags);
    };
    unit(requestorReadBytes, reqReadBytes, stats::kNoZero | stats::kNoNan);
    unit(requestorWriteBytes, reqWriteBytes, stats::kNoZero | stats::kNoNan);
    unit(requestorReadAccesses, reqReadAccesses, stats::kNoZero);
    unit(requestorWriteAccesses, reqWriteAccesses, stats::kNoZero);
    unit(requestorReadTotalLat, reqReadTotalLat, stats::kNoZero | stats::kNoNan);
    unit(requestorWriteTotalLat, reqWriteTotalLat, stats::kNoZero | stats::kNoNan);
    auto rate = [this](const PerRequestor &c) {
        auto v = c.padded();
        for (double &x : v) x /= simSeconds();
        return v;
    };
    requestorReadRate.define([this, rate] { return rate(reqReadBytes); }, [] { return NAN; });
    requestorWriteRate.define([this, rate] { return rate(reqWriteBytes); }, [] { return NAN; });
    requestorReadRate.flags(stats::kNoZero | stats::kNoNan).precision(12);
    requestorWriteRate.flags(stats::kNoZero | stats::kNoNan).precision(12);
    auto ratio = [](const PerRequestor &num, const PerRequestor &den) {
        auto n = num.padded();
        auto d = den.padded();
        d.resize(n.size(), 0.0);
        for (std::size_t i = 0; i < n.size(); ++i) n[i] = n[i] / d[i];
        return n;
    };
    requestorReadAvgLat.define([this, ratio] { return ratio(reqReadTotalLat, reqReadAccesses); }, [] { return NAN; });
    requestorWriteAvgLat.define([this, ratio] { return ratio(reqWriteTotalLat, reqWriteAccesses); },
                                [] { return NAN; });
    requestorReadAvgLat.flags(stats::kNoNan).precision(2);
    requestorWriteAvgLat.flags(stats::kNoNan).precision(2);
}

MemCtrl::~MemCtrl() = default;

Port &MemCtrl::getPort(const std::string &portName, int idx) {
    if (portName == "port") return port;
    return SimObject::getPort(portName, idx);
}

void MemCtrl::init() {
    if (!port.isConnected()) fatal(name(), ".port: MemCtrl is not connected");
}

void MemCtrl::startup() {
    // Push the bus booking far enough ahead that no timing goes negative
    // (a small bubble at the very start, as in gem5).
    dram->nextBurstAt = curTick() + dram->commandOffset();
}

void MemCtrl::resetStats() {
    SimObject::resetStats();
    for (auto *c : {&reqReadBytes, &reqWriteBytes, &reqReadAccesses, &reqWriteAccesses, &reqReadTotalLat,
                    &reqWriteTotalLat})
        c->reset();
    lastResetTick = curTick();
}

void MemCtrl::preDumpStats() {
    const auto &names = requestorNames();
    for (auto *f : {&requestorReadBytes, &requestorWriteBytes, &requestorReadRate, &requestorWriteRate,
                    &requestorReadAccesses, &requestorWriteAccesses, &requestorReadTotalLat, &requestorWriteTotalLat,
                    &requestorReadAvgLat, &requestorWriteAvgLat})
        f->subnames(names);
}

// ------------------------------------------------------------------ pools

MemPacket *MemCtrl::newMemPacket() {
    packetStore.push_back(std::make_unique<MemPacket>());
    return packetStore.back().get();
}

BurstHelper *MemCtrl::allocHelper(unsigned count) {
    BurstHelper *h;
    if (freeHelpers.empty()) {
        helperStore.push_back(std::make_unique<BurstHelper>());
        h = helperStore.back().get();
    } else {
        h = freeHelpers.back();
        freeHelpers.pop_back();
    }
    h->burstCount = count;
    h->burstsServiced = 0;
    return h;
}

void MemCtrl::respInsert(MemPacket *mp) {
    respQueueDram.insertOrdered(mp, [](const MemPacket *a, const MemPacket *b) { return a->readyTime > b->readyTime; });
}

// ------------------------------------------------------- request intake

bool MemCtrl::inWriteQueue(Addr burstAddr) const {
    for (const MemPacket *w : writeQueue)
        if (burstAlign(w->addr) == burstAddr) return true;
    return false;
}

bool MemCtrl::recvTimingReq(PacketPtr pkt, int) {
    if (!pkt->isRead() && !pkt->isWrite()) {
        // gem5's coherent bus sinks clean evictions before memory; a
        // non-coherent crossbar forwards them, so sink them here.
        if (pkt->needsResponse())
            fatal(name(), ": cannot service ", pkt->print(), " (neither a read nor a write)");
        ++neitherReadNorWriteReqs;
        Packet::destroy(pkt);
        return true;
    }
    if (prevArrival != 0) totGap += curTick() - prevArrival;
    prevArrival = curTick();

    const AddrRange &r = dram->getAddrRange();
    if (!r.contains(pkt->addr) || pkt->addr + pkt->size > r.end)
        fatal(name(), ": ", pkt->print(), " lies outside the range ", r.toString(), " of ", dram->name());
    if (pkt->size == 0) fatal(name(), ": zero-sized ", pkt->print());

    unsigned burstSize = dram->bytesPerBurst();
    unsigned offset = unsigned(pkt->addr & (burstSize - 1));
    unsigned pktCount = (offset + pkt->size + burstSize - 1) >> dram->burstBits();
    NPUSIM_DPRINTF(MemCtrl, "queueing ", pkt->print(), " as ", pktCount, " burst(s)");

    if (pkt->isWrite()) {
        if (writeQueueFull(pktCount)) {
            NPUSIM_DPRINTF(MemCtrl, "write queue full, refusing ", pkt->print());
            retryWrReq = true;
            ++numWrRetry;
            return false;
        }
        unsigned size = pkt->size;
        addToWriteQueue(pkt, pktCount);
        if (!nextReqEvent.scheduled()) schedule(nextReqEvent, curTick());
        ++writeReqs;
        bytesWrittenSys += size;
    } else {
        if (readQueueFull(pktCount)) {
            NPUSIM_DPRINTF(MemCtrl, "read queue full, refusing ", pkt->print());
            retryRdReq = true;
            ++numRdRetry;
            return false;
        }
        unsigned size = pkt->size;
        if (!addToReadQueue(pkt, pktCount)) {
            if (!nextReqEvent.scheduled()) schedule(nextReqEvent, curTick());
        }
        ++readReqs;
        bytesReadSys += size;
    }
    return true;
}

inline bool MemCtrl::readFromWriteQueue(Addr addr, unsigned size) {
    const Addr burstAddr = burstAlign(addr);
    for (const MemPacket *w : writeQueue) {
        if (burstAlign(w->addr) != burstAddr) continue;
        if (w->addr <= addr && addr + size <= w->addr + w->size) {
            ++servicedByWrQ;
            bytesReadWrQ += dram->bytesPerBurst();
            return true;
        }
    }
    return false;
}

inline MemPacket *MemCtrl::newBurst(PacketPtr answer, RequestorID requestor, bool read, Addr addr, unsigned size,
                                    BurstHelper *helper) {
    MemPacket *mp = allocMemPacket();
    mp->pkt = answer;
    mp->read = read;
    mp->addr = addr;
    mp->size = size;
    mp->requestorId = requestor;
    mp->entryTime = curTick();
    mp->readyTime = kMaxTick;
    mp->burstHelper = helper;
    dram->decode(*mp, addr);
    return mp;
}

inline void MemCtrl::enqueueReadBurst(PacketPtr pkt, Addr addr, unsigned size, BurstHelper *helper) {
    MemPacket *mp = newBurst(pkt, pkt->requestorId, true, addr, size, helper);
    ++rdQLenPdf[dram->readQueueSize + respSize()];
    readQueue.push_back(mp);
    dram->enqueued<true>(mp);
    ++dram->readQueueSize;
    avgRdQLen = double(dram->readQueueSize + respSize());
}

inline bool MemCtrl::addToReadQueue(PacketPtr pkt, unsigned pktCount) {
    const Addr base = pkt->addr;
    if (pktCount == 1) [[likely]] {
        // the whole request in one burst: no helper, no splitting
        const unsigned size = pkt->size;
        ++readPktSize[size == fullBurstSize ? fullBurstLog2 : ceilLog2(size)];
        ++readBursts;
        reqReadAccesses.add(pkt->requestorId, 1);
        if (!writeQueue.empty() && readFromWriteQueue(base, size)) {
            accessAndRespond(pkt, frontendLatency);
            return true;
        }
        enqueueReadBurst(pkt, base, size, nullptr);
        return false;
    }
    Addr addr = base;
    unsigned servicedByWq = 0;
    BurstHelper *helper = nullptr;
    unsigned burstSize = dram->bytesPerBurst();
    for (unsigned cnt = 0; cnt < pktCount; ++cnt) {
        unsigned size = unsigned(std::min<Addr>((addr | (burstSize - 1)) + 1, base + pkt->size) - addr);
        ++readPktSize[ceilLog2(size)];
        ++readBursts;
        reqReadAccesses.add(pkt->requestorId, 1);
        // Is the data already waiting in the write queue?
        if (readFromWriteQueue(addr, size)) {
            ++servicedByWq;
        } else {
            if (!helper) helper = allocHelper(pktCount);
            enqueueReadBurst(pkt, addr, size, helper);
        }
        addr = (addr | (burstSize - 1)) + 1;
    }
    if (servicedByWq == pktCount) {
        // everything was forwarded from the write queue
        accessAndRespond(pkt, frontendLatency);
        return true;
    }
    if (helper) helper->burstsServiced = servicedByWq;
    return false;
}

void MemCtrl::addToWriteQueue(PacketPtr pkt, unsigned pktCount) {
    const Addr base = pkt->addr;
    Addr addr = base;
    unsigned burstSize = dram->bytesPerBurst();
    for (unsigned cnt = 0; cnt < pktCount; ++cnt) {
        unsigned size = unsigned(std::min<Addr>((addr | (burstSize - 1)) + 1, base + pkt->size) - addr);
        ++writePktSize[ceilLog2(size)];
        ++writeBursts;
        reqWriteAccesses.add(pkt->requestorId, 1);
        if (!inWriteQueue(burstAlign(addr))) {
            MemPacket *mp = newBurst(nullptr, pkt->requestorId, false, addr, size, nullptr);
            ++wrQLenPdf[dram->writeQueueSize];
            writeQueue.push_back(mp);
            dram->enqueued<false>(mp);
            ++dram->writeQueueSize;
            avgWrQLen = double(dram->writeQueueSize);
        } else {
            ++mergedWrBursts;  // this burst is already queued; the data is written now anyway
        }
        addr = (addr | (burstSize - 1)) + 1;
    }
    // Writes are acknowledged once queued: the controller answers later
    // reads from the write queue, so data stays consistent.
    accessAndRespond(pkt, frontendLatency);
}

inline void MemCtrl::respondAfter(PacketPtr pkt, bool needsResponse, Tick staticLatency) {
    if (needsResponse) {
        Tick when = curTick() + staticLatency + pkt->headerDelay + pkt->payloadDelay;
        pkt->headerDelay = pkt->payloadDelay = 0;
        respQueue.schedSend(pkt, when);
    } else {
        Packet::destroy(pkt);
    }
}

void MemCtrl::accessAndRespond(PacketPtr pkt, Tick staticLatency) {
    const bool needsResponse = pkt->needsResponse();  // (before access() turns it into a response)
    dram->access(pkt);
    respondAfter(pkt, needsResponse, staticLatency);
}

// accessAndRespond() for a read, which recvTimingReq() checked against the range
inline void MemCtrl::respondToRead(PacketPtr pkt) {
    const bool needsResponse = pkt->needsResponse();
    dram->accessRead(pkt);
    respondAfter(pkt, needsResponse, readResponseLatency);
}

void MemCtrl::recvFunctional(PacketPtr pkt, int) { dram->functionalAccess(pkt); }

// --------------------------------------------------------------- responses

void MemCtrl::processRespondEvent() {
    MemPacket *mp = respFront();
    // (one call site, so that respondToRead() is inlined)
    BurstHelper *h = mp->burstHelper;
    if (!h || ++h->burstsServiced == h->burstCount) {
        respondToRead(mp->pkt);
        if (h) freeHelper(h);
    }
    respPop();
    if (respSize()) schedule(respondEvent, std::max(respFront()->readyTime, curTick()));
    freeMemPacket(mp);
    if (retryRdReq) {
        retryRdReq = false;
        port.sendRetryReq();
    }
}

// --------------------------------------------------------------- scheduler

template <bool IsRead>
inline MemPacketQueue::iterator MemCtrl::chooseNext(MemPacketQueue &queue, Tick extraColDelay) {
    if (queue.empty()) return queue.end();
    if (queue.size() == 1) return dram->burstReady(queue.front()) ? queue.begin() : queue.end();
    if (memSchedPolicy == Sched::Fcfs) {
        for (auto it = queue.begin(); it != queue.end(); ++it)
            if (dram->burstReady(*it)) return it;
        return queue.end();
    }
    Tick minColAt = std::max(dram->nextBurstAt + extraColDelay, curTick());
    return dram->chooseNextFRFCFS<IsRead>(queue, minColAt);
}

template <bool IsRead>
inline void MemCtrl::doBurstAccess(MemPacket *mp) {
    if constexpr (IsRead) {
        dram->doBurstAccess<true>(mp, readQueue);
        ++dram->readsThisTime;
        reqReadTotalLat.add(mp->requestorId, mp->readyTime - mp->entryTime);
        reqReadBytes.add(mp->requestorId, mp->size);
    } else {
        dram->doBurstAccess<false>(mp, writeQueue);
        ++dram->writesThisTime;
        reqWriteBytes.add(mp->requestorId, mp->size);
        reqWriteTotalLat.add(mp->requestorId, mp->readyTime - mp->entryTime);
    }
}

void MemCtrl::recordTurnaround() {
    bool switching = dram->busState != dram->busStateNext;
    if (dram->busState == DRAMInterface::READ) {
        if (switching) ++numReadWriteTurnArounds;
        else ++numStayReadState;
    } else {
        if (switching) ++numWriteReadTurnArounds;
        else ++numStayWriteState;
    }
}

void MemCtrl::processNextReqEvent() {
    bool switched = dram->busState != dram->busStateNext;
    recordTurnaround();
    if (switched) {
        if (dram->busState == DRAMInterface::READ) {
            rdPerTurnAround.sample(dram->readsThisTime);
            dram->readsThisTime = 0;
        } else {
            wrPerTurnAround.sample(dram->writesThisTime);
            dram->writesThisTime = 0;
        }
    }
    dram->busState = dram->busStateNext;

    // Refresh falls due lazily; if every rank is refreshing, come back when
    // the first one is done.
    Tick wake;
    if (dram->checkRefresh(wake)) {
        if (dram->readQueueSize || dram->writeQueueSize) schedule(nextReqEvent, wake);
        return;
    }
    auto nothingReady = [&] {
        // Only refreshing ranks can leave queued bursts unready.
        if (wake != kMaxTick) schedule(nextReqEvent, wake);
    };

    if (dram->busState == DRAMInterface::READ) {
        bool switchToWrites = false;
        if (dram->readQueueSize == 0) {
            if (dram->writeQueueSize != 0 && dram->writeQueueSize > writeLowThreshold) {
                switchToWrites = true;
            } else {
                return;  // idle: new requests will wake us
            }
        } else {
            auto it = chooseNext<true>(readQueue, switched ? dram->minWriteToReadDataGap() : 0);
            if (it == readQueue.end()) {
                nothingReady();
                return;
            }
            MemPacket *mp = *it;
            doBurstAccess<true>(mp);
            --dram->readQueueSize;
            respPush(mp);
            Tick first = respFront()->readyTime;
            if (!respondEvent.scheduled()) schedule(respondEvent, first);
            else if (respondEvent.when() > first) reschedule(respondEvent, first);
            if (dram->writeQueueSize > writeHighThreshold &&
                (dram->readsThisTime >= minReadsPerSwitch || dram->readQueueSize == 0))
                switchToWrites = true;
            dram->dequeued<true>(mp);
            removeFromQueue(readQueue, it);
        }
        if (switchToWrites) dram->busStateNext = DRAMInterface::WRITE;
    } else {
        auto it = chooseNext<false>(writeQueue, switched ? dram->minReadToWriteDataGap() : 0);
        if (it == writeQueue.end()) {
            nothingReady();
            return;
        }
        MemPacket *mp = *it;
        doBurstAccess<false>(mp);
        --dram->writeQueueSize;
        dram->dequeued<false>(mp);
        removeFromQueue(writeQueue, it);
        freeMemPacket(mp);
        bool belowThreshold = dram->writeQueueSize + minWritesPerSwitch < writeLowThreshold;
        if (dram->writeQueueSize == 0 || belowThreshold ||
            (dram->readQueueSize && dram->writesThisTime >= minWritesPerSwitch))
            dram->busStateNext = DRAMInterface::READ;
    }

    if (!nextReqEvent.scheduled()) schedule(nextReqEvent, std::max(dram->nextReqTime, curTick()));
    if (retryWrReq && dram->writeQueueSize < writeBufferSize) {
        retryWrReq = false;
        port.sendRetryReq();
    }
}

}  // namespace npusim::memory

NPUSIM_REGISTER_SIMOBJECT(MemCtrl, npusim::memory::MemCtrl);
NPUSIM_REGISTER_SIMOBJECT(DRAMInterface, npusim::memory::DRAMInterface);
