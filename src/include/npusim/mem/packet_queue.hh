// Sends packets through a port at scheduled ticks, in tick order (stable for
// equal ticks), and handles the retry protocol when the peer is busy. The
// equivalent of gem5's QueuedResponsePort / QueuedRequestPort machinery.
#pragma once
#include <string>
#include <vector>

#include "npusim/mem/port.hh"
#include "npusim/sim/eventq.hh"
#include "npusim/sim/ring.hh"

namespace npusim {

class PacketQueue {
  public:
    // `sendRequests` chooses sendTimingReq (true) or sendTimingResp (false).
    explicit PacketQueue(std::string label);
    virtual ~PacketQueue();

    void schedSend(PacketPtr pkt, Tick when);
    // Call from the port's retry handler.
    void retry();
    std::size_t size() const { return queue.size(); }
    bool empty() const { return queue.empty(); }
    bool waitingForRetry() const { return waitingRetry; }
    // Called after every successful send (e.g. to unblock the owner).
    virtual void onSent(PacketPtr) {}

  protected:
    virtual bool sendOut(PacketPtr pkt) = 0;

  private:
    struct Entry {
        Tick when;
        PacketPtr pkt;
    };
    void trySend();
    void scheduleNext();
    Ring<Entry> queue;  // by send time
    MemberEvent<PacketQueue, &PacketQueue::trySend> sendEvent;
    std::string name;
    bool waitingRetry = false;
};

class RespPacketQueue : public PacketQueue {
  public:
    RespPacketQueue(ResponsePort &p, std::string label) : PacketQueue(std::move(label)), port(p) {}
  protected:
    bool sendOut(PacketPtr pkt) override { return port.sendTimingResp(pkt); }
  private:
    ResponsePort &port;
};

class ReqPacketQueue : public PacketQueue {
  public:
    ReqPacketQueue(RequestPort &p, std::string label) : PacketQueue(std::move(label)), port(p) {}
  protected:
    bool sendOut(PacketPtr pkt) override { return port.sendTimingReq(pkt); }
  private:
    RequestPort &port;
};

}  // namespace npusim
