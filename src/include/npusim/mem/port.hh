// Ports and gem5's timing protocol. A request port sends requests and
// receives responses; a response port the reverse. A refused send (false)
// obliges the refusing side to send a retry later; functional accesses
// complete immediately and are used to load memory images and read results.
#pragma once
#include <string>

#include "npusim/mem/addr_range.hh"
#include "npusim/mem/packet.hh"

namespace npusim {

class SimObject;
class RequestPort;
class ResponsePort;

class Port {
  public:
    Port(std::string name, SimObject *owner) : portName(std::move(name)), ownerObj(owner) {}
    virtual ~Port() = default;
    Port(const Port &) = delete;
    Port &operator=(const Port &) = delete;

    const std::string &name() const { return portName; }
    SimObject *owner() const { return ownerObj; }
    // "system.l2.mem_side" style name for messages.
    std::string fullName() const;
    virtual bool isRequestPort() const = 0;
    bool isConnected() const { return connected; }

  protected:
    std::string portName;
    SimObject *ownerObj;
    bool connected = false;
};

class RequestPort : public Port {
  public:
    using Port::Port;
    bool isRequestPort() const override { return true; }

    // Binds this port to a response port; both sides must be unbound.
    void bind(ResponsePort &peer);
    ResponsePort &peer() const { return *responsePeer; }

    bool sendTimingReq(PacketPtr pkt);
    void sendRetryResp();
    void sendFunctional(PacketPtr pkt) const;
    AddrRangeList getAddrRanges() const;

    virtual bool recvTimingResp(PacketPtr pkt) = 0;
    virtual void recvReqRetry() = 0;
    virtual void recvRangeChange() {}
    // gem5's eviction and prefetch snoops from below (`pkt` is the eviction
    // or HardPFReq about to leave the cache below), reduced to their one
    // answer: does anything on this side hold the line (gem5's
    // BLOCK_CACHED)? A requestor that keeps no copies answers no.
    virtual bool recvCachedAboveSnoop(const Packet &pkt) { return false; }
    // gem5's isSnooping(): does this requestor keep copies (answer the
    // question above)? A snoop filter below tracks only such requestors.
    bool isSnooping() const { return answersCachedAboveSnoop; }

  protected:
    // False when recvCachedAboveSnoop always answers no: the snoop is then
    // not sent (no virtual call per eviction below a core or generator).
    bool answersCachedAboveSnoop = false;

  private:
    friend class ResponsePort;
    ResponsePort *responsePeer = nullptr;
};

class ResponsePort : public Port {
  public:
    using Port::Port;
    bool isRequestPort() const override { return false; }
    RequestPort &peer() const { return *requestPeer; }

    bool sendTimingResp(PacketPtr pkt);
    void sendRetryReq();
    void sendRangeChange() const;
    // Asks the requestors above whether they hold `line` (see
    // RequestPort::recvCachedAboveSnoop); no timing, like gem5's express snoop.
    bool sendCachedAboveSnoop(const Packet &pkt) const;

    virtual bool recvTimingReq(PacketPtr pkt) = 0;
    virtual void recvRespRetry() = 0;
    virtual void recvFunctional(PacketPtr pkt) = 0;
    virtual AddrRangeList getAddrRanges() const = 0;

  private:
    friend class RequestPort;
    RequestPort *requestPeer = nullptr;
};

inline bool RequestPort::sendTimingReq(PacketPtr pkt) { return responsePeer->recvTimingReq(pkt); }
inline void RequestPort::sendRetryResp() { responsePeer->recvRespRetry(); }
inline void RequestPort::sendFunctional(PacketPtr pkt) const { responsePeer->recvFunctional(pkt); }
inline AddrRangeList RequestPort::getAddrRanges() const { return responsePeer->getAddrRanges(); }
inline bool ResponsePort::sendTimingResp(PacketPtr pkt) { return requestPeer->recvTimingResp(pkt); }
inline void ResponsePort::sendRetryReq() { requestPeer->recvReqRetry(); }
inline void ResponsePort::sendRangeChange() const { requestPeer->recvRangeChange(); }
inline bool ResponsePort::sendCachedAboveSnoop(const Packet &pkt) const {
    return requestPeer->answersCachedAboveSnoop && requestPeer->recvCachedAboveSnoop(pkt);
}

// Ports forwarding to member functions of their owner, so that objects need
// not declare a port class each: Owner implements the named handlers.
template <typename Owner>
class ForwardingResponsePort final : public ResponsePort {
  public:
    ForwardingResponsePort(std::string name, Owner *o, int index = 0)
        : ResponsePort(std::move(name), o), target(o), idx(index) {}
    bool recvTimingReq(PacketPtr pkt) override { return target->recvTimingReq(pkt, idx); }
    void recvRespRetry() override { target->recvRespRetry(idx); }
    void recvFunctional(PacketPtr pkt) override { target->recvFunctional(pkt, idx); }
    AddrRangeList getAddrRanges() const override { return target->getAddrRanges(idx); }
    int index() const { return idx; }
  private:
    Owner *target;
    int idx;
};

template <typename Owner>
class ForwardingRequestPort final : public RequestPort {
  public:
    ForwardingRequestPort(std::string name, Owner *o, int index = 0)
        : RequestPort(std::move(name), o), target(o), idx(index) {
        answersCachedAboveSnoop = requires(Owner *t, const Packet &p) { t->recvCachedAboveSnoop(p, 0); };
    }
    bool recvTimingResp(PacketPtr pkt) override { return target->recvTimingResp(pkt, idx); }
    void recvReqRetry() override { target->recvReqRetry(idx); }
    void recvRangeChange() override {
        if constexpr (requires(Owner *t) { t->recvRangeChange(0); }) target->recvRangeChange(idx);
    }
    bool recvCachedAboveSnoop(const Packet &pkt) override {
        if constexpr (requires(Owner *t) { t->recvCachedAboveSnoop(pkt, 0); })
            return target->recvCachedAboveSnoop(pkt, idx);
        return false;
    }
    int index() const { return idx; }
  private:
    Owner *target;
    int idx;
};

}  // namespace npusim
