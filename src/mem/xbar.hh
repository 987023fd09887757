// NoncoherentXBar (private header): gem5's non-coherent crossbar with
// per-port layers.
//
// Routing: a request goes to the memory-side port whose peer claims the
// address (getAddrRanges()); overlapping claims are a configuration error
// found at init(), an address nobody claims is an error when it shows up.
// Responses retrace the request's path through the packet's route stack.
//
// Timing ("hold" model): gem5 forwards a packet at once and adds the
// crossbar latency to pkt->headerDelay/payloadDelay for the receiver to
// honour. Here the crossbar itself holds the packet for that long, then
// delivers it with headerDelay = payloadDelay = 0, so the latency is real
// whatever the receiver does. A request accepted at t is delivered at
//   clockEdge(frontend_latency + forward_latency + dataCycles)
// and a response at clockEdge(response_latency + dataCycles), where
// dataCycles = ceil(size / width) for packets that carry data (write
// requests, read responses) and 0 otherwise; any delay already on the
// packet is added. Each destination port has a layer (a request layer per
// memory-side port, a response layer per CPU-side port) that is busy for
//   clockEdge(header_latency) + dataCycles cycles
// after accepting a packet, as in gem5; a sender that finds it busy (or
// blocked by a peer that refused delivery) is refused and retried, in
// arrival order, when the layer frees up. Packets in flight inside a layer
// (at most latency/occupancy + 1 of them) keep their order.
//
// The end of a layer's busy time is an event (the release) only when a
// sender is waiting for it; otherwise its key is reserved in the event
// queue and the layer counts as free once that key has passed (see
// EventQueue::reserve), which gives the same order at half the events.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "npusim/mem/port.hh"
#include "npusim/sim/clocked_object.hh"

namespace npusim::xbar {

// A FIFO on a vector that grows only when full: no allocation in steady state.
template <typename T>
class Ring {
  public:
    bool empty() const { return count == 0; }
    std::size_t size() const { return count; }
    T &front() { return buf[head]; }
    T &at(std::size_t i) { return buf[(head + i) & (buf.size() - 1)]; }
    void push_back(const T &v) {
        if (count == buf.size()) grow();
        buf[(head + count) & (buf.size() - 1)] = v;
        ++count;
    }
    void pop_front() {
        head = (head + 1) & (buf.size() - 1);
        --count;
    }

  private:
    void grow() {
        std::vector<T> bigger(buf.empty() ? 8 : buf.size() * 2);
        for (std::size_t i = 0; i < count; ++i) bigger[i] = at(i);
        buf.swap(bigger);
        head = 0;
    }
    std::vector<T> buf;
    std::size_t head = 0;
    std::size_t count = 0;
};

class NoncoherentXBar;

// One layer: the packets headed through one destination port.
class Layer {
  public:
    Layer(NoncoherentXBar &xbar, bool isRequestLayer, int destIdx, const std::string &statName);

    // Can a packet from source port `src` enter now? If not, `src` is queued
    // for a retry.
    bool tryTiming(int src);
    // Accepts `pkt` (after a successful tryTiming): the layer is busy until
    // `busyUntil` and the packet is delivered at `deliverAt`; a null `pkt`
    // only occupies the layer (a packet sunk here).
    void accept(PacketPtr pkt, Tick deliverAt, Tick busyUntil);
    // The destination's peer asked for the refused delivery to be retried.
    void recvRetry();
    // For functional accesses: packets still held here.
    std::size_t inFlight() const { return queue.size(); }
    PacketPtr inFlightPacket(std::size_t i) { return queue.at(i).pkt; }

    stats::Group group;
    stats::Scalar occupancy;
    stats::Formula utilization;

  private:
    enum State { IDLE, BUSY, RETRY };
    struct Held {
        Tick when;
        PacketPtr pkt;
    };
    void occupy(Tick until);
    void release();
    // Applies a reserved release whose time has passed.
    void catchUpRelease() {
        if (releaseReserved && mainEventQueue().hasRun(releaseWhen, releaseRank)) {
            releaseReserved = false;
            state = IDLE;  // (nobody waits while a release is only reserved)
        }
    }
    void deliver();
    void retryWaiting();
    void scheduleDeliver();

    NoncoherentXBar &xbar;
    bool isRequestLayer;
    int destIdx;
    State state = IDLE;
    bool blocked = false;  // the head packet was refused by the destination
    Ring<Held> queue;
    Ring<int> waiting;
    std::vector<bool> isWaiting;
    Tick lastDeliver = 0;
    bool releaseReserved = false;
    Tick releaseWhen = 0;
    std::uint64_t releaseRank = 0;
    MemberEvent<Layer, &Layer::release> releaseEvent;
    MemberEvent<Layer, &Layer::deliver> deliverEvent;
};

class NoncoherentXBar : public ClockedObject {
  public:
    explicit NoncoherentXBar(const Params &p);
    ~NoncoherentXBar() override;

    Port &getPort(const std::string &portName, int idx) override;
    void init() override;
    void resetStats() override;

    // CPU-side (response) port handlers.
    bool recvTimingReq(PacketPtr pkt, int cpuIdx);
    void recvRespRetry(int cpuIdx);
    void recvFunctional(PacketPtr pkt, int cpuIdx);
    AddrRangeList getAddrRanges(int cpuIdx);
    // Memory-side (request) port handlers.
    bool recvTimingResp(PacketPtr pkt, int memIdx);
    void recvReqRetry(int memIdx);

    // Used by the layers.
    bool sendTo(bool request, int idx, PacketPtr pkt);
    void sendRetryTo(bool requestLayer, int srcIdx);
    std::size_t numCpuPorts() const { return cpuPorts.size(); }
    std::size_t numMemPorts() const { return memPorts.size(); }
    Tick statsSince() const { return lastResetTick; }

  private:
    struct Route {
        Addr start, end;
        int port;
    };
    void buildRoutes();
    int findPort(const PacketPtr pkt);
    Tick dataTicks(const PacketPtr pkt) const;
    void countPacket(int cpuIdx, int memIdx, const PacketPtr pkt);

    Cycles frontendLatency, forwardLatency, responseLatency, headerLatency;
    unsigned width;
    bool pointOfCoherency;

    std::vector<std::unique_ptr<ForwardingResponsePort<NoncoherentXBar>>> cpuPorts;
    std::vector<std::unique_ptr<ForwardingRequestPort<NoncoherentXBar>>> memPorts;
    std::vector<std::unique_ptr<Layer>> reqLayers, respLayers;

    std::vector<Route> routes;  // sorted by start
    bool routesBuilt = false;
    bool buildingRoutes = false;
    std::size_t lastRoute = 0;
    Tick lastResetTick = 0;

    stats::Vector transDist;
    std::vector<std::unique_ptr<stats::Vector>> pktCount, pktSize;
    std::unique_ptr<stats::Formula> pktCountTotal, pktSizeTotal;
};

}  // namespace npusim::xbar
