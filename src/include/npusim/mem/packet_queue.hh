// Sends packets through a port at scheduled ticks, in tick order (stable for
// equal ticks), and handles the retry protocol when the peer is busy. The
// equivalent of gem5's QueuedResponsePort / QueuedRequestPort machinery.
#pragma once
#include <string>
#include <vector>

#include "npusim/mem/port.hh"
#include "npusim/sim/eventq.hh"

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
    // A FIFO on a power-of-two ring that grows only when full, so the
    // steady state allocates nothing (a std::deque frees and allocates a
    // node whenever its ends cross node boundaries).
    class Ring {
      public:
        bool empty() const { return count == 0; }
        std::size_t size() const { return count; }
        Entry &front() { return buf[head]; }
        Entry &at(std::size_t i) { return buf[(head + i) & (buf.size() - 1)]; }
        void pop_front() {
            head = (head + 1) & (buf.size() - 1);
            --count;
        }
        // Inserts before position `pos` (0..size()).
        void insert(std::size_t pos, const Entry &e) {
            if (count == buf.size()) grow();
            for (std::size_t i = count; i > pos; --i) at(i) = at(i - 1);
            at(pos) = e;
            ++count;
        }
      private:
        void grow();
        std::vector<Entry> buf;
        std::size_t head = 0;
        std::size_t count = 0;
    };
    void trySend();
    void scheduleNext();
    Ring queue;
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
