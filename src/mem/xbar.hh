// NoncoherentXBar (private header): gem5's non-coherent crossbar with
// per-port layers.
//
// Routing: a request goes to the memory-side port whose peer claims the
// address (getAddrRanges()); overlapping claims are a configuration error
// found at init(), an address nobody claims is an error when it shows up.
// Responses retrace the request's path through the packet's route stack.
//
// Timing (gem5's): a packet is forwarded in the same event it arrives in.
// The crossbar adds its latency to pkt->headerDelay (aligned to its clock:
// the ticks to its next edge plus frontend_latency + forward_latency for a
// request, response_latency for a response) and raises pkt->payloadDelay to
// ceil(size / width) cycles for packets that carry data. The receiver pays
// the delay: a cache adds headerDelay to its lookup and fill, only pays the
// payload for non-critical words, a memory controller charges it on the
// response, a requestor delays the response's arrival (ResponseDelay). So a
// crossbar costs no event per packet, as in gem5.
//
// Each destination port has a layer (a request layer per memory-side port,
// a response layer per CPU-side port) that is busy until
//   clockEdge(header_latency) + payloadDelay
// after a packet goes through, as in gem5; a sender that finds it busy is
// refused and retried, in arrival order, when the layer frees up. A packet
// the destination refuses goes back to its sender (its delays restored);
// the layer then waits for the destination's retry and passes it on.
//
// The end of a layer's busy time is an event (the release) only when a
// sender is waiting for it; otherwise its key is reserved in the event
// queue and the layer counts as free once that key has passed (see
// EventQueue::reserve), which gives the same order at half the events.
#pragma once
#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "npusim/mem/port.hh"
#include "npusim/sim/clocked_object.hh"
#include "npusim/sim/ring.hh"
#include "snoop_filter.hh"

namespace npusim::xbar {

class NoncoherentXBar;

// Packets that move a payload across the crossbar: write requests and
// read responses (a table by command, built from the packet predicates).
struct PayloadTable {
    bool carries[256] = {};
    constexpr PayloadTable() {
        for (unsigned c = 0; c < 256; ++c) {
            const MemCmd cmd = static_cast<MemCmd>(c);
            const bool response = npusim::detail::cmdHas(cmd, npusim::detail::kCmdResponse);
            carries[c] = (npusim::detail::cmdHas(cmd, npusim::detail::kCmdWrite) && !response) ||
                         (npusim::detail::cmdHas(cmd, npusim::detail::kCmdRead) && response);
        }
    }
};
inline constexpr PayloadTable kPayload{};

// One layer: the packets headed through one destination port.
class Layer {
  public:
    Layer(NoncoherentXBar &xbar, bool isRequestLayer, const std::string &statName);

    // Can a packet from source port `src` enter now? If not, `src` is queued
    // for a retry. (Inline: every packet through the crossbar asks.)
    [[gnu::always_inline]] bool tryTiming(int src) {
        catchUpRelease();
        if (state != BUSY && waitingForPeer < 0) {
            state = BUSY;
            return true;
        }
        refuse(src);
        return false;
    }
    // A packet went through (after a successful tryTiming): the layer is
    // busy until `busyUntil`.
    [[gnu::always_inline]] void succeeded(Tick busyUntil) { occupy(busyUntil); }
    // The destination refused the packet from `src`: the layer holds for
    // `busyUntil`, then waits for the destination's retry, which goes to
    // `src` first.
    void failed(int src, Tick busyUntil);
    // The destination asked for the refused packet to be sent again.
    void recvRetry();

    stats::Group group;
    stats::Counter occupancy;  // busy ticks
    stats::Formula utilization;

  private:
    enum State { IDLE, BUSY, RETRY };
    [[gnu::always_inline]] void occupy(Tick until) {
        const Tick now = curTick();
        if (until < now) until = now;
        // (the queue first: the stat's store would make it reload the tick)
        if (waiting.empty()) [[likely]] {
            releaseRank = mainEventQueue().reserve(releaseEvent, until);
            releaseReserved = true;
            releaseWhen = until;
        } else {
            scheduleRelease(until);
        }
        occupancy += until - now;
    }
    void scheduleRelease(Tick until);
    void refuse(int src);
    void release();
    // Applies a reserved release whose time has passed.
    void catchUpRelease() {
        if (releaseReserved && mainEventQueue().hasRun(releaseWhen, releaseRank)) {
            releaseReserved = false;
            state = IDLE;  // (nobody waits while a release is only reserved)
        }
    }
    void retryWaiting();

    NoncoherentXBar &xbar;
    bool isRequestLayer;
    State state = IDLE;
    int waitingForPeer = -1;  // the sender whose packet the destination refused
    bool releaseReserved = false;
    Tick releaseWhen = 0;
    std::uint64_t releaseRank = 0;
    Ring<int> waiting;
    std::vector<bool> isWaiting;
    MemberEvent<Layer, &Layer::release> releaseEvent;
};

class NoncoherentXBar : public ClockedObject {
  public:
    explicit NoncoherentXBar(const Params &p);
    ~NoncoherentXBar() override;

    Port &getPort(const std::string &portName, int idx) override;
    void init() override;
    void resetStats() override;

    // CPU-side (response) port handlers. (The timing handlers are inlined
    // into the ports' virtual functions, their only callers.)
    [[gnu::always_inline]] inline bool recvTimingReq(PacketPtr pkt, int cpuIdx);
    void recvRespRetry(int cpuIdx);
    void recvFunctional(PacketPtr pkt, int cpuIdx);
    AddrRangeList getAddrRanges(int cpuIdx);
    // Memory-side (request) port handlers.
    [[gnu::always_inline]] inline bool recvTimingResp(PacketPtr pkt, int memIdx);
    void recvReqRetry(int memIdx);
    // A cache below asks whether a cache above holds a line. With a snoop
    // filter (gem5's CoherentXBar) every cpu-side peer is asked (the filter
    // would ask only the holders: the same answer), and the snoop is counted
    // as gem5 counts it (snoops, snoopTraffic, the filter's lookup and
    // snoopFanout with the holders it finds); without one the answer is no.
    // (Inlined into the port's virtual function, its only caller.)
    [[gnu::always_inline]] inline bool recvCachedAboveSnoop(const Packet &pkt, int memIdx);

    // Used by the layers.
    void sendRetryTo(bool requestLayer, int srcIdx);
    std::size_t numCpuPorts() const { return cpuPorts.size(); }
    std::size_t numMemPorts() const { return memPorts.size(); }
    Tick statsSince() const { return lastResetTick; }

  private:
    static constexpr int kNumCmds = 26;  // MemCmd values used by npusim are below this
    struct Route {
        Addr start, end;
        int port;
    };
    void buildRoutes();
    // The memory-side port for the packet's address: the last route used
    // (most packets, and all of them when one port claims everything), else
    // a search of the routes.
    int findPort(const PacketPtr pkt) {
        if (pkt->addr - lastRouteStart < lastRouteSpan) return lastRoutePort;
        return searchRoutes(pkt);
    }
    int searchRoutes(const PacketPtr pkt);
    // gem5's point of coherency does not forward clean evictions to memory
    // (inline: nearly one per miss below warm caches)
    void sinkCleanEviction(PacketPtr pkt, int cpuIdx, int memIdx, Layer &layer, Tick edge);
    // gem5's calcPacketTiming: `headerTicks` (the wait for the next clock
    // edge, then the latency) onto the header; the payload follows it, in
    // ceil(size / width) cycles, unless a slower link upstream already spread
    // it out further. Returns when the layer is free again (gem5's
    // clockEdge(header_latency) + payloadDelay), `edge` being clockEdge().
    Tick addPacketTiming(PacketPtr pkt, Tick headerTicks, bool carriesData, Tick edge) const {
        pkt->headerDelay += headerTicks;
        if (carriesData) pkt->payloadDelay = std::max(pkt->payloadDelay, payloadTicks(pkt->size));
        return edge + headerLatencyTicks + pkt->payloadDelay;
    }
    // ceil(size / width) cycles in ticks; a cache line's is computed once (no division per packet).
    Tick payloadTicks(unsigned size) const {
        if (size == kLineSize) [[likely]] return linePayloadTicks;
        return Tick((size + width - 1) / width) * period;
    }
    // Counted before the packet is sent (the receiver may consume it), and
    // taken back if the receiver refuses it: the counts are integers, so the
    // result is the same as counting after a successful send.
    void countPacket(int cpuIdx, int memIdx, MemCmd cmd, unsigned size, bool carriesData, std::uint64_t one = 1) {
        transDist[std::size_t(cmd)] += one;
        pktCountRows[std::size_t(cpuIdx)][memIdx] += one;
        if (carriesData) pktSizeRows[std::size_t(cpuIdx)][memIdx] += size * one;
    }
    void uncountPacket(int cpuIdx, int memIdx, const Packet &pkt) {
        // (adding 2^64 - 1 is subtracting one, modulo 2^64)
        countPacket(cpuIdx, memIdx, pkt.cmd, pkt.size, carriesData(pkt.cmd), ~std::uint64_t(0));
    }
    static bool carriesData(MemCmd cmd) { return kPayload.carries[unsigned(cmd)]; }
    // gem5's snoop filter lookup for a request from `cpuIdx`: an eviction
    // learns whether another port holds the line (BLOCK_CACHED), any other
    // request samples snoopFanout with the ports the filter would snoop.
    [[gnu::always_inline]] void snoopFilterRequest(PacketPtr pkt, int cpuIdx) {
        if (!pkt->isEviction()) {
            snoopFanout->sample(
                SnoopFilter::portCount(snoopFilter->lookupRequest(pkt->addr, unsigned(cpuIdx), snooping(cpuIdx))));
        } else if (snoopFilter->lookupEviction(pkt->addr, unsigned(cpuIdx), snooping(cpuIdx), pkt->blockCached)) {
            pkt->blockCached = true;
        }
    }
    bool snooping(int cpuIdx) const { return (snoopingPorts >> cpuIdx) & 1; }
    // The slow halves of the timing handlers: the destination refused the
    // packet (out of line, so the send keeps few values live across the call).
    [[gnu::noinline]] void requestRefused(PacketPtr pkt, int cpuIdx, int memIdx, Tick oldHeader, Tick oldPayload);
    [[gnu::noinline]] void responseRefused(PacketPtr pkt, int cpuIdx, int memIdx, Tick oldHeader, Tick oldPayload);

    Cycles frontendLatency, forwardLatency, responseLatency, headerLatency;
    unsigned width;
    bool pointOfCoherency;
    SnoopFilter *snoopFilter;
    SnoopFilter::Mask snoopingPorts = 0;  // CPU-side ports whose requestor keeps copies
    // The latencies in ticks (the clock period never changes): gem5's
    // calcPacketTiming adds the wait for the next edge and then these.
    Tick period, requestLatencyTicks, responseLatencyTicks, headerLatencyTicks;
    static constexpr unsigned kLineSize = 64;  // the usual packet size
    Tick linePayloadTicks;

    std::vector<std::unique_ptr<ForwardingResponsePort<NoncoherentXBar>>> cpuPorts;
    std::vector<std::unique_ptr<ForwardingRequestPort<NoncoherentXBar>>> memPorts;
    std::vector<std::unique_ptr<Layer>> reqLayers, respLayers;
    std::size_t numRespLayers = 0;  // respLayers.size(), checked per response

    std::vector<Route> routes;  // sorted by start
    bool routesBuilt = false;
    bool buildingRoutes = false;
    // The last route found: addresses in [start, start + span) go to port
    // (span 0 until the routes are built).
    Addr lastRouteStart = 0, lastRouteSpan = 0;
    int lastRoutePort = 0;
    Tick lastResetTick = 0;

    stats::CounterVector transDist;
    std::vector<std::unique_ptr<stats::CounterVector>> pktCount, pktSize;  // [cpuIdx][memIdx]
    // Their rows' first elements, [cpuIdx] (fixed after init): one load less per packet.
    std::vector<std::uint64_t *> pktCountRows, pktSizeRows;
    std::unique_ptr<stats::Formula> pktCountTotal, pktSizeTotal;
    // gem5's CoherentXBar snoop counts, kept when there is a snoop filter.
    std::unique_ptr<stats::Counter> snoops, snoopTraffic;
    // gem5's "Request fanout histogram": per request (evictions aside) and
    // per snoop from below, how many CPU-side ports the filter would snoop.
    std::unique_ptr<stats::TallyDistribution> snoopFanout;
};

}  // namespace npusim::xbar
