// SimpleMemory: gem5's fixed-latency memory with a bandwidth limit.
//
// Every read or write keeps the memory busy for size * (ticks per byte); a
// request that arrives while it is busy is refused and retried when the
// memory frees up (only one retry is owed at a time, as in gem5). A response
// leaves `latency` (+ a uniform random 0..latency_var) after the request,
// plus whatever header/payload delay the request carried in from the
// interconnect. Responses never overtake an earlier response to the same
// address.
#include <random>
#include <utility>

#include "dram/abstract_mem.hh"
#include "npusim/mem/port.hh"
#include "npusim/sim/eventq.hh"
#include "npusim/sim/ring.hh"

namespace npusim::memory {

class SimpleMemory final : public AbstractMemory {
  public:
    explicit SimpleMemory(const Params &p)
        : AbstractMemory(p),
          port("port", this),
          latency(p.get<Tick>("latency")),
          latencyVar(p.get<Tick>("latency_var", Tick(0))),
          ticksPerByte(p.get<double>("bandwidth")),
          releaseEvent(this),
          dequeueEvent(this),
          rng(0x5eed) {
        if (ticksPerByte < 0) p.error("bandwidth", "must not be negative");
    }

    Port &getPort(const std::string &portName, int idx) override {
        if (portName == "port") return port;
        return SimObject::getPort(portName, idx);
    }

    void init() override {
        if (!port.isConnected()) fatal(name(), ".port: SimpleMemory is not connected");
    }

    // Port handlers (ForwardingResponsePort).
    bool recvTimingReq(PacketPtr pkt, int) {
        if (retryReq) return false;  // a retry is already owed: keep the promise order
        if (isBusy) {
            retryReq = true;
            return false;
        }
        Tick receiveDelay = pkt->headerDelay + pkt->payloadDelay;
        pkt->headerDelay = pkt->payloadDelay = 0;

        if (pkt->isRead() || pkt->isWrite()) {
            Tick duration = Tick(double(pkt->size) * ticksPerByte);
            if (duration != 0) {
                schedule(releaseEvent, curTick() + duration);
                isBusy = true;
            }
        }

        bool needsResponse = pkt->needsResponse();
        access(pkt);
        if (!needsResponse) {
            Packet::destroy(pkt);
            return true;
        }
        Tick when = curTick() + receiveDelay + getLatency();
        // Usually appended at the end; never reorder ahead of a packet to
        // the same address.
        std::size_t pos = respQueue.size();
        while (pos > 0) {
            const auto &prev = respQueue.at(pos - 1);
            if (when >= prev.first || prev.second->addr == pkt->addr) break;
            --pos;
        }
        if (pos == respQueue.size()) respQueue.push_back({when, pkt});
        else respQueue.insert(pos, {when, pkt});
        if (!retryResp && !dequeueEvent.scheduled()) schedule(dequeueEvent, respQueue.front().first);
        else if (!retryResp && dequeueEvent.when() > respQueue.front().first)
            reschedule(dequeueEvent, respQueue.front().first);
        return true;
    }

    void recvRespRetry(int) {
        if (!retryResp) panic(name(), ": response retry without a refused response");
        retryResp = false;
        dequeue();
    }

    void recvFunctional(PacketPtr pkt, int) { functionalAccess(pkt); }
    AddrRangeList getAddrRanges(int) const { return AbstractMemory::getAddrRanges(); }

  private:
    Tick getLatency() {
        if (!latencyVar) return latency;
        return latency + std::uniform_int_distribution<Tick>(0, latencyVar)(rng);
    }

    void release() {
        isBusy = false;
        if (retryReq) {
            retryReq = false;
            port.sendRetryReq();
        }
    }

    void dequeue() {
        while (!respQueue.empty() && respQueue.front().first <= curTick()) {
            PacketPtr pkt = respQueue.front().second;
            if (!port.sendTimingResp(pkt)) {
                retryResp = true;
                return;
            }
            respQueue.pop_front();
        }
        if (respQueue.empty()) return;
        // (the event is running, so it is rarely scheduled here: the inline
        // schedule, unless the response's receiver sent a request that did)
        if (dequeueEvent.scheduled()) reschedule(dequeueEvent, respQueue.front().first);
        else schedule(dequeueEvent, respQueue.front().first);
    }

    ForwardingResponsePort<SimpleMemory> port;
    Tick latency;
    Tick latencyVar;
    double ticksPerByte;
    bool isBusy = false;
    bool retryReq = false;
    bool retryResp = false;
    Ring<std::pair<Tick, PacketPtr>> respQueue;
    MemberEvent<SimpleMemory, &SimpleMemory::release> releaseEvent;
    MemberEvent<SimpleMemory, &SimpleMemory::dequeue> dequeueEvent;
    std::mt19937_64 rng;
};

}  // namespace npusim::memory

NPUSIM_REGISTER_SIMOBJECT(SimpleMemory, npusim::memory::SimpleMemory);
