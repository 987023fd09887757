// ResponseDelay: a requestor's way to honour the delay a response picked up
// in the interconnect.
//
// Crossbars forward a packet at once and add their latency to
// pkt->headerDelay and the transfer of its data to pkt->payloadDelay (as in
// gem5); whoever receives the packet pays that delay. A cache or memory
// does it in its own timing; a requestor hands its responses to a
// ResponseDelay, which passes a response on to the owner's handler once it
// has fully arrived (headerDelay + payloadDelay after it was received). A
// response that carries no delay (a cache directly in front, as in every
// gem5 CPU set-up) is passed on at once, in the same event.
//
// (In gem5 the crossbar holds a response for its header delay, so a
// requestor behind one gets it at the same time as here. gem5's TrafficGen,
// trace players and DMA ports then ignore the payload delay; npusim's
// TrafficGen and TraceReplayer do too (waitPayload = false), while the NPU
// and NVR wait for their data to finish crossing. With a cache directly in
// front, the usual gem5 CPU set-up, there is no delay of either kind.)
#pragma once
#include <algorithm>
#include <cstdint>
#include <vector>

#include "npusim/mem/packet.hh"
#include "npusim/sim/eventq.hh"

namespace npusim {

template <class Owner, void (Owner::*Handler)(PacketPtr)>
class ResponseDelay {
  public:
    // waitPayload: whether the owner also waits for the data to finish
    // crossing (a DMA engine that uses the line) or takes the response with
    // its header, as gem5's TrafficGen and trace players do.
    explicit ResponseDelay(Owner *owner, bool waitPayload = true)
        : owner(owner), waitPayload(waitPayload), event(this) {}
    ResponseDelay(const ResponseDelay &) = delete;
    ResponseDelay &operator=(const ResponseDelay &) = delete;

    // Takes over `pkt` (a response); the handler gets it now or later.
    void receive(PacketPtr pkt) {
        const Tick delay = pkt->headerDelay + (waitPayload ? pkt->payloadDelay : 0);
        pkt->headerDelay = pkt->payloadDelay = 0;
        if (delay == 0) {
            (owner->*Handler)(pkt);
            return;
        }
        hold(pkt, delay);
    }
    // Responses still on their way.
    std::size_t pending() const { return held.size(); }

  private:
    struct Held {
        Tick when;
        std::uint64_t seq;
        PacketPtr pkt;
        bool before(const Held &o) const { return when != o.when ? when < o.when : seq < o.seq; }
    };
    // Out of line: the receiver's common path (no delay) then needs no
    // registers saved for it.
    [[gnu::noinline]] void hold(PacketPtr pkt, Tick delay) {
        const Held h{curTick() + delay, nextSeq++, pkt};
        // kept sorted, earliest last: responses mostly arrive in order
        auto it = std::upper_bound(held.begin(), held.end(), h,
                                   [](const Held &value, const Held &e) { return e.before(value); });
        held.insert(it, h);
        const Tick first = held.back().when;
        if (!event.scheduled()) schedule(event, first);
        else if (first < event.when()) reschedule(event, first);
    }
    void release() {
        while (!held.empty() && held.back().when <= curTick()) {
            PacketPtr pkt = held.back().pkt;
            held.pop_back();
            (owner->*Handler)(pkt);
        }
        if (!held.empty() && !event.scheduled()) schedule(event, held.back().when);
    }

    Owner *owner;
    bool waitPayload;
    std::vector<Held> held;  // latest first
    std::uint64_t nextSeq = 0;
    MemberEvent<ResponseDelay, &ResponseDelay::release> event;
};

}  // namespace npusim
