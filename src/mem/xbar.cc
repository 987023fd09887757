// NoncoherentXBar: see xbar.hh for the routing and timing model.
#include "xbar.hh"

#include <algorithm>
#include <sstream>

#include "npusim/sim/debug.hh"

NPUSIM_DEBUG_FLAG(XBar, "Crossbars: packets forwarded (which ports) and refused")

namespace npusim::xbar {

namespace {
std::string hexAddr(Addr a) {
    std::ostringstream os;
    os << "0x" << std::hex << a;
    return os.str();
}
}  // namespace

// ------------------------------------------------------------------ Layer

Layer::Layer(NoncoherentXBar &x, bool isReq, const std::string &statName)
    : group(&x, statName),
      occupancy(&group, "occupancy", stats::units::Tick, "Layer occupancy (ticks)"),
      utilization(&group, "utilization", stats::units::Ratio, "Layer utilization",
                  [this] {
                      Tick span = curTick() - xbar.statsSince();
                      return span ? occupancy.value() / double(span) : NAN;
                  }),
      xbar(x),
      isRequestLayer(isReq),
      releaseEvent(this) {
    occupancy.flags(stats::kNoZero);
    utilization.precision(1).flags(stats::kNoZero | stats::kNoNan);
    // the senders into a request layer are CPU-side ports, into a response
    // layer memory-side ports
    isWaiting.assign(isReq ? x.numCpuPorts() : x.numMemPorts(), false);
}

void Layer::refuse(int src) {
    if (!isWaiting[src] && src != waitingForPeer) {
        isWaiting[src] = true;
        waiting.push_back(src);
    }
    // a waiting sender needs the release to happen: make it an event
    if (releaseReserved) {
        releaseReserved = false;
        mainEventQueue().scheduleReserved(&releaseEvent, releaseWhen, releaseRank);
    }
}

void Layer::scheduleRelease(Tick until) { schedule(releaseEvent, until); }

void Layer::failed(int src, Tick busyUntil) {
    waitingForPeer = src;
    occupy(busyUntil);
}

void Layer::release() {
    state = IDLE;
    if (waitingForPeer < 0 && !waiting.empty()) retryWaiting();
}

void Layer::retryWaiting() {
    state = RETRY;
    int src = waiting.front();
    waiting.pop_front();
    isWaiting[src] = false;
    xbar.sendRetryTo(isRequestLayer, src);
    // the port did not use its turn at once: hold the layer to the next
    // clock edge, then offer it to the next in line
    if (state == RETRY) {
        state = BUSY;
        occupy(xbar.clockEdge());
    }
}

void Layer::recvRetry() {
    if (waitingForPeer < 0) return;
    // the refused sender goes first
    const int src = waitingForPeer;
    waitingForPeer = -1;
    waiting.push_front(src);
    isWaiting[src] = true;
    catchUpRelease();
    if (state == IDLE) retryWaiting();
    else if (releaseReserved) {
        releaseReserved = false;
        mainEventQueue().scheduleReserved(&releaseEvent, releaseWhen, releaseRank);
    }
}

// -------------------------------------------------------- NoncoherentXBar

namespace {
Cycles snoopFilterLookup(const Params &p) {
    const auto *filter = p.get<SnoopFilter *>("snoop_filter", nullptr);
    return filter ? filter->lookupLatency() : Cycles(0);
}
}  // namespace

NoncoherentXBar::NoncoherentXBar(const Params &p)
    : ClockedObject(p),
      frontendLatency(p.get<Cycles>("frontend_latency")),
      forwardLatency(p.get<Cycles>("forward_latency")),
      responseLatency(p.get<Cycles>("response_latency")),
      headerLatency(p.get<Cycles>("header_latency")),
      width(p.get<unsigned>("width")),
      pointOfCoherency(p.get<bool>("point_of_coherency", false)),
      snoopFilter(p.get<SnoopFilter *>("snoop_filter", nullptr)),
      period(clockPeriod()),
      // gem5 adds a snoop filter's lookup to every request's header delay,
      // after the frontend and forward latencies: the same sum.
      requestLatencyTicks(cyclesToTicks(frontendLatency + forwardLatency + snoopFilterLookup(p))),
      responseLatencyTicks(cyclesToTicks(responseLatency)),
      headerLatencyTicks(cyclesToTicks(headerLatency)),
      linePayloadTicks(Tick((kLineSize + width - 1) / std::max(width, 1u)) * period),
      transDist(this, "transDist", stats::units::Count, "Transaction distribution") {
    if (width == 0) p.error("width", "the datapath width must be at least one byte");
    transDist.init(kNumCmds);
    for (int c = 0; c < kNumCmds; ++c)
        if (isValidMemCmd(unsigned(c))) transDist.subname(std::size_t(c), memCmdName(static_cast<MemCmd>(c)));
    transDist.flags(stats::kNoZero);
}

NoncoherentXBar::~NoncoherentXBar() = default;

Port &NoncoherentXBar::getPort(const std::string &portName, int idx) {
    if (portName == "cpu_side_ports" || portName == "mem_side_ports") {
        if (idx < 0) fatal(name(), ".", portName, ": a vector port needs an index");
        if (routesBuilt || !reqLayers.empty())
            fatal(name(), ".", portName, "[", idx, "]: ports cannot be added after init()");
        if (portName == "cpu_side_ports") {
            while (int(cpuPorts.size()) <= idx) {
                int i = int(cpuPorts.size());
                cpuPorts.push_back(std::make_unique<ForwardingResponsePort<NoncoherentXBar>>(
                    "cpu_side_ports[" + std::to_string(i) + "]", this, i));
            }
            return *cpuPorts[std::size_t(idx)];
        }
        while (int(memPorts.size()) <= idx) {
            int i = int(memPorts.size());
            memPorts.push_back(std::make_unique<ForwardingRequestPort<NoncoherentXBar>>(
                "mem_side_ports[" + std::to_string(i) + "]", this, i));
        }
        return *memPorts[std::size_t(idx)];
    }
    return ClockedObject::getPort(portName, idx);
}

void NoncoherentXBar::buildRoutes() {
    if (routesBuilt) return;
    if (buildingRoutes) fatal(name(), ": address ranges depend on themselves (a loop of crossbars)");
    buildingRoutes = true;
    routes.clear();
    for (std::size_t j = 0; j < memPorts.size(); ++j) {
        if (!memPorts[j]->isConnected()) fatal(memPorts[j]->fullName(), ": port is not connected");
        for (const AddrRange &r : memPorts[j]->getAddrRanges())
            if (r.valid()) routes.push_back(Route{r.start, r.end, int(j)});
    }
    std::sort(routes.begin(), routes.end(), [](const Route &a, const Route &b) { return a.start < b.start; });
    for (std::size_t i = 1; i < routes.size(); ++i) {
        const Route &a = routes[i - 1], &b = routes[i];
        if (b.start < a.end) {
            auto describe = [this](const Route &r) {
                const auto &port = *memPorts[std::size_t(r.port)];
                return port.fullName() + " (" + port.peer().fullName() + ", " + AddrRange(r.start, r.end).toString() +
                       ")";
            };
            fatal(name(), ": overlapping address ranges on the memory side: ", describe(a), " and ", describe(b));
        }
    }
    buildingRoutes = false;
    routesBuilt = true;
    if (!routes.empty()) {
        lastRouteStart = routes.front().start;
        lastRouteSpan = routes.front().end - routes.front().start;
        lastRoutePort = routes.front().port;
    }
}

void NoncoherentXBar::init() {
    for (auto &p : cpuPorts)
        if (!p->isConnected()) fatal(p->fullName(), ": port is not connected");
    buildRoutes();

    for (std::size_t j = 0; j < memPorts.size(); ++j)
        reqLayers.push_back(std::make_unique<Layer>(*this, true, "reqLayer" + std::to_string(j)));
    for (std::size_t i = 0; i < cpuPorts.size(); ++i)
        respLayers.push_back(std::make_unique<Layer>(*this, false, "respLayer" + std::to_string(i)));
    numRespLayers = respLayers.size();

    // Per (CPU-side peer, memory-side peer) packet counts and bytes, as
    // gem5's pktCount_<requestor>::<responder>.
    std::vector<std::string> memNames;
    for (auto &m : memPorts) memNames.push_back(m->peer().fullName());
    for (auto &c : cpuPorts) {
        std::string peer = c->peer().fullName();
        auto count = std::make_unique<stats::CounterVector>(this, "pktCount_" + peer, stats::units::Count,
                                                     "Packet count per connected requestor and responder");
        count->init(memPorts.size()).subnames(memNames).flags(stats::kNoZero);
        pktCount.push_back(std::move(count));
    }
    pktCountTotal = std::make_unique<stats::Formula>(
        this, "pktCount::total", stats::units::Count, "Packet count per connected requestor and responder", [this] {
            double t = 0;
            for (auto &v : pktCount) t += v->total();
            return t;
        });
    for (auto &c : cpuPorts) {
        std::string peer = c->peer().fullName();
        auto size = std::make_unique<stats::CounterVector>(this, "pktSize_" + peer, stats::units::Byte,
                                                    "Cumulative packet size per connected requestor and responder");
        size->init(memPorts.size()).subnames(memNames).flags(stats::kNoZero);
        pktSize.push_back(std::move(size));
    }
    pktSizeTotal = std::make_unique<stats::Formula>(
        this, "pktSize::total", stats::units::Byte, "Cumulative packet size per connected requestor and responder",
        [this] {
            double t = 0;
            for (auto &v : pktSize) t += v->total();
            return t;
        });
    for (std::size_t i = 0; i < cpuPorts.size(); ++i) {
        pktCountRows.push_back(memPorts.empty() ? nullptr : &(*pktCount[i])[0]);
        pktSizeRows.push_back(memPorts.empty() ? nullptr : &(*pktSize[i])[0]);
    }
    if (snoopFilter) {
        if (cpuPorts.size() > SnoopFilter::kMaxPorts)
            fatal(name(), ": a crossbar with a snoop filter has at most ", SnoopFilter::kMaxPorts, " cpu-side ports");
        std::size_t snooping = 0;
        for (std::size_t i = 0; i < cpuPorts.size(); ++i) {
            if (!cpuPorts[i]->peer().isSnooping()) continue;
            snoopingPorts |= SnoopFilter::Mask(1) << i;
            ++snooping;
        }
        snoops = std::make_unique<stats::Counter>(this, "snoops", stats::units::Count, "Total snoops");
        snoopTraffic = std::make_unique<stats::Counter>(this, "snoopTraffic", stats::units::Byte, "Total snoop traffic");
        snoopFanout = std::make_unique<stats::TallyDistribution>(this, "snoopFanout", stats::units::Count,
                                                                 "Request fanout histogram");
        snoopFanout->init(snooping);
    }
}

void NoncoherentXBar::resetStats() {
    ClockedObject::resetStats();
    lastResetTick = curTick();
}

AddrRangeList NoncoherentXBar::getAddrRanges(int) {
    buildRoutes();
    AddrRangeList out;
    for (const Route &r : routes) {
        if (!out.empty() && out.back().end == r.start) out.back().end = r.end;  // merge neighbours
        else out.emplace_back(r.start, r.end);
    }
    return out;
}

int NoncoherentXBar::searchRoutes(const PacketPtr pkt) {
    if (!routesBuilt) buildRoutes();
    Addr a = pkt->addr;
    auto it = std::upper_bound(routes.begin(), routes.end(), a, [](Addr v, const Route &r) { return v < r.start; });
    if (it != routes.begin()) {
        --it;
        if (a < it->end) {
            lastRouteStart = it->start;
            lastRouteSpan = it->end - it->start;
            lastRoutePort = it->port;
            return it->port;
        }
    }
    fatal(name(), ": no memory-side port claims address ", hexAddr(a), " (", pkt->print(), ")");
}

inline void NoncoherentXBar::sinkCleanEviction(PacketPtr pkt, int cpuIdx, int memIdx, Layer &layer, Tick edge) {
    countPacket(cpuIdx, memIdx, pkt->cmd, pkt->size, carriesData(pkt->cmd));
    layer.succeeded(edge + headerLatencyTicks + pkt->payloadDelay);
    Packet::destroy(pkt);
}

inline bool NoncoherentXBar::recvTimingReq(PacketPtr pkt, int cpuIdx) {
    const int memIdx = findPort(pkt);
    Layer &layer = *reqLayers[std::size_t(memIdx)];
    if (!layer.tryTiming(cpuIdx)) return false;

    const Tick edge = clockEdge();
    if (snoopFilter) snoopFilterRequest(pkt, cpuIdx);
    if (pointOfCoherency && !pkt->isRead() && !pkt->isWrite()) {
        sinkCleanEviction(pkt, cpuIdx, memIdx, layer, edge);
        return true;
    }
    const Tick oldHeader = pkt->headerDelay, oldPayload = pkt->payloadDelay;
    const bool payload = carriesData(pkt->cmd);
    const Tick busyUntil = addPacketTiming(pkt, edge - curTick() + requestLatencyTicks, payload, edge);
    if (pkt->needsResponse()) pkt->pushRoute(std::uint16_t(cpuIdx));
    countPacket(cpuIdx, memIdx, pkt->cmd, pkt->size, payload);
    NPUSIM_DPRINTF(XBar, "request ", pkt->print(), " from ", cpuPorts[std::size_t(cpuIdx)]->name(), " to ",
                   memPorts[std::size_t(memIdx)]->name());
    if (!memPorts[std::size_t(memIdx)]->sendTimingReq(pkt)) [[unlikely]] {
        requestRefused(pkt, cpuIdx, memIdx, oldHeader, oldPayload);
        return false;
    }
    layer.succeeded(busyUntil);
    return true;
}

void NoncoherentXBar::requestRefused(PacketPtr pkt, int cpuIdx, int memIdx, Tick oldHeader, Tick oldPayload) {
    NPUSIM_DPRINTF(XBar, "request ", pkt->print(), " refused by ", memPorts[std::size_t(memIdx)]->name());
    // (a refused packet is the sender's again, unchanged; as in gem5, the
    // snoop filter's counts stay, and so does BLOCK_CACHED if it set it)
    uncountPacket(cpuIdx, memIdx, *pkt);
    if (snoopFilter)
        snoopFilter->undoRequest(pkt->addr, unsigned(cpuIdx), snooping(cpuIdx), pkt->isEviction());
    if (pkt->needsResponse()) pkt->popRoute();
    pkt->headerDelay = oldHeader;
    pkt->payloadDelay = oldPayload;
    reqLayers[std::size_t(memIdx)]->failed(cpuIdx, clockEdge() + period);
}

inline bool NoncoherentXBar::recvTimingResp(PacketPtr pkt, int memIdx) {
    const std::uint16_t cpuIdx = pkt->popRoute();
    if (cpuIdx >= numRespLayers) [[unlikely]] panic(name(), ": response routed to unknown port ", cpuIdx);
    Layer &layer = *respLayers[cpuIdx];
    if (!layer.tryTiming(memIdx)) {
        pkt->pushRoute(cpuIdx);  // it will come back on retry
        return false;
    }
    // gem5's crossbars hold a response for its header delay before passing
    // it on, so the next one aligns to its clock from that arrival; npusim's
    // pass it on at once, so they align from the arrival the delay implies
    // (aligning from now as well would count the previous one's alignment
    // twice). Requests are forwarded at once in gem5 too: no such step.
    const Tick oldHeader = pkt->headerDelay, oldPayload = pkt->payloadDelay;
    const Tick arrival = curTick() + oldHeader;
    const Tick edge = clockEdgeAt(arrival);
    const bool payload = carriesData(pkt->cmd);
    const Tick busyUntil = addPacketTiming(pkt, edge - arrival + responseLatencyTicks, payload, edge);
    if (snooping(cpuIdx)) snoopFilter->updateResponse(pkt->addr, cpuIdx);  // (no snooping ports without a filter)
    countPacket(cpuIdx, memIdx, pkt->cmd, pkt->size, payload);
    NPUSIM_DPRINTF(XBar, "response ", pkt->print(), " from ", memPorts[std::size_t(memIdx)]->name(), " to ",
                   cpuPorts[cpuIdx]->name());
    if (!cpuPorts[cpuIdx]->sendTimingResp(pkt)) [[unlikely]] {
        responseRefused(pkt, cpuIdx, memIdx, oldHeader, oldPayload);
        return false;
    }
    layer.succeeded(busyUntil);
    return true;
}

void NoncoherentXBar::responseRefused(PacketPtr pkt, int cpuIdx, int memIdx, Tick oldHeader, Tick oldPayload) {
    NPUSIM_DPRINTF(XBar, "response ", pkt->print(), " refused by ", cpuPorts[std::size_t(cpuIdx)]->name());
    uncountPacket(cpuIdx, memIdx, *pkt);
    pkt->headerDelay = oldHeader;
    pkt->payloadDelay = oldPayload;
    pkt->pushRoute(std::uint16_t(cpuIdx));
    respLayers[std::size_t(cpuIdx)]->failed(memIdx, clockEdge() + period);
}

void NoncoherentXBar::sendRetryTo(bool requestLayer, int srcIdx) {
    if (requestLayer) cpuPorts[std::size_t(srcIdx)]->sendRetryReq();
    else memPorts[std::size_t(srcIdx)]->sendRetryResp();
}

void NoncoherentXBar::recvReqRetry(int memIdx) { reqLayers[std::size_t(memIdx)]->recvRetry(); }

inline bool NoncoherentXBar::recvCachedAboveSnoop(const Packet &pkt, int) {
    // Without a snoop filter this is gem5's NoncoherentXBar, which passes no
    // snoops: the cache below it never learns of copies above.
    if (!snoopFilter) return false;
    transDist[std::size_t(pkt.cmd)] += 1;
    *snoops += 1;
    if (carriesData(pkt.cmd)) *snoopTraffic += pkt.size;
    snoopFanout->sample(snoopFilter->lookupSnoop(pkt.addr));
    for (const auto &port : cpuPorts)
        if (port->sendCachedAboveSnoop(pkt)) return true;
    return false;
}

void NoncoherentXBar::recvRespRetry(int cpuIdx) { respLayers[std::size_t(cpuIdx)]->recvRetry(); }

void NoncoherentXBar::recvFunctional(PacketPtr pkt, int) {
    memPorts[std::size_t(findPort(pkt))]->sendFunctional(pkt);
}

// Python: NoncoherentXBar and its gem5-named subclasses (SystemXBar,
// L2XBar, IOXBar) all use this class with different defaults.
NPUSIM_REGISTER_SIMOBJECT(NoncoherentXBar, NoncoherentXBar);

}  // namespace npusim::xbar
