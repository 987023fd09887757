// Sends packets through a port at scheduled ticks, in tick order (stable for
// equal ticks), and handles the retry protocol when the peer is busy. The
// equivalent of gem5's QueuedResponsePort / QueuedRequestPort machinery.
//
// Every response of every memory and cache goes through one: schedSend (the
// usual in-order append) is inline, and the port is called directly rather
// than through a virtual send.
#pragma once
#include <algorithm>
#include <string>

#include "npusim/mem/port.hh"
#include "npusim/sim/eventq.hh"
#include "npusim/sim/ring.hh"

namespace npusim {

class PacketQueue {
  public:
    virtual ~PacketQueue();

    void schedSend(PacketPtr pkt, Tick when) {
        const Tick now = curTick();
        if (when < now) when = now;
        // Most packets arrive in order: append, else walk back from the tail.
        if (queue.empty() || queue.back().when <= when) queue.push_back(Entry{when, pkt});
        else insertOutOfOrder(Entry{when, pkt});
        if (!waitingRetry) scheduleHead(now);
    }
    // Call from the port's retry handler.
    void retry();
    std::size_t size() const { return queue.size(); }
    bool empty() const { return queue.empty(); }
    bool waitingForRetry() const { return waitingRetry; }
    // Told of every successful send (e.g. to unblock the owner). Most queues
    // have no listener, and then pay no call per send.
    class SentListener {
      public:
        virtual void packetSent(PacketPtr pkt) = 0;
      protected:
        ~SentListener() = default;
    };
    void setSentListener(SentListener *listener) { sentListener = listener; }

  protected:
    // Sends through `responsePort` (sendTimingResp) if it is set, otherwise
    // through `requestPort` (sendTimingReq).
    PacketQueue(RequestPort *requestPort, ResponsePort *responsePort, std::string label);

  private:
    struct Entry {
        Tick when;
        PacketPtr pkt;
    };
    bool sendOut(PacketPtr pkt) {
        // (responses first: every queue in the hot paths sends responses)
        if (responsePort) [[likely]] return responsePort->sendTimingResp(pkt);
        return requestPort->sendTimingReq(pkt);
    }
    void insertOutOfOrder(const Entry &e);
    void trySend();
    // The send event at the head's time (not before now), earlier if it is
    // pending for later, as gem5's schedSendEvent.
    void scheduleNext(Tick now) {
        if (!queue.empty()) scheduleHead(now);
    }
    // (for a queue known to hold a packet: schedSend's, which just added one)
    void scheduleHead(Tick now) {
        const Tick when = std::max(queue.front().when, now);
        if (!sendEvent.scheduled()) schedule(sendEvent, when);
        else if (sendEvent.when() > when) reschedule(sendEvent, when);
    }
    Ring<Entry> queue;  // by send time
    MemberEvent<PacketQueue, &PacketQueue::trySend> sendEvent;
    RequestPort *requestPort;
    ResponsePort *responsePort;
    SentListener *sentListener = nullptr;
    bool waitingRetry = false;
    std::string name;
};

class RespPacketQueue : public PacketQueue {
  public:
    RespPacketQueue(ResponsePort &p, std::string label) : PacketQueue(nullptr, &p, std::move(label)) {}
};

class ReqPacketQueue : public PacketQueue {
  public:
    ReqPacketQueue(RequestPort &p, std::string label) : PacketQueue(&p, nullptr, std::move(label)) {}
};

}  // namespace npusim
