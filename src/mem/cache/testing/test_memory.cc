// CacheTestMemory: a memory for unit tests of caches. It answers every
// request `latency` after it arrives, keeps real data, and records each
// timing request it sees (tick, command, address, size, requestor), exposed
// as stats rows reqTick::i, reqCmd::i, reqAddr::i, reqSize::i,
// reqRequestor::i. With max_outstanding > 0 it refuses requests while that
// many responses are pending, and sends a retry when one leaves.
#include <array>
#include <cstring>
#include <vector>

#include "npusim/mem/addr_range.hh"
#include "npusim/mem/backing_store.hh"
#include "npusim/mem/packet_queue.hh"
#include "npusim/mem/port.hh"
#include "npusim/sim/sim_object.hh"

namespace npusim {
namespace {

class TestMemory final : public SimObject, private PacketQueue::SentListener {
  public:
    explicit TestMemory(const Params &p)
        : SimObject(p),
          latency(p.get<Tick>("latency")),
          maxOutstanding(p.get<unsigned>("max_outstanding", 0)),
          port("port", this),
          respQueue(port, name() + ".port"),
          reqTick(this, "reqTick", stats::units::Tick, "tick each timing request arrived"),
          reqCmd(this, "reqCmd", stats::units::Count, "gem5 MemCmd number of each timing request"),
          reqAddr(this, "reqAddr", stats::units::Count, "address of each timing request"),
          reqSize(this, "reqSize", stats::units::Byte, "size of each timing request"),
          reqRequestor(this, "reqRequestor", stats::units::Count, "requestor id of each timing request"),
          refused(this, "refused", stats::units::Count, "timing requests refused (max_outstanding reached)") {
        reqTick.define([this] { return column(0); }, nullptr);
        reqCmd.define([this] { return column(1); }, nullptr);
        reqAddr.define([this] { return column(2); }, nullptr);
        reqSize.define([this] { return column(3); }, nullptr);
        reqRequestor.define([this] { return column(4); }, nullptr);
        respQueue.setSentListener(this);
        if (p.has("range")) {
            auto r = p.get<std::vector<std::int64_t>>("range");
            range = AddrRange(Addr(r.at(0)), Addr(r.at(1)));
        }
    }

    Port &getPort(const std::string &name, int idx) override {
        if (name == "port") return port;
        return SimObject::getPort(name, idx);
    }

    bool recvTimingReq(PacketPtr pkt, int) {
        if (maxOutstanding && outstanding >= maxOutstanding) {
            ++refused;
            mustRetry = true;
            return false;
        }
        log.push_back({double(curTick()), double(unsigned(pkt->cmd)), double(pkt->addr), double(pkt->size),
                       double(pkt->requestorId)});
        if (pkt->isWrite()) store.write(pkt->addr, pkt->data(), pkt->size);
        if (!pkt->needsResponse()) {
            Packet::destroy(pkt);
            return true;
        }
        if (pkt->isRead()) {
            store.read(pkt->addr, pkt->data(), pkt->size);
            pkt->markDataValid();
        }
        pkt->makeResponse();
        ++outstanding;
        // the interconnect's delay on the way here is paid on the response, as gem5's memories do
        const Tick delay = pkt->headerDelay + pkt->payloadDelay;
        pkt->headerDelay = pkt->payloadDelay = 0;
        respQueue.schedSend(pkt, curTick() + delay + latency);
        return true;
    }
    void recvRespRetry(int) { respQueue.retry(); }
    void recvFunctional(PacketPtr pkt, int) {
        if (pkt->isWrite()) store.write(pkt->addr, pkt->data(), pkt->size);
        else store.read(pkt->addr, pkt->data(), pkt->size);
    }
    AddrRangeList getAddrRanges(int) const { return {range}; }

  private:
    // A response left: one fewer outstanding (the queue tells us).
    void packetSent(PacketPtr) override {
        --outstanding;
        if (mustRetry) {
            mustRetry = false;
            port.sendRetryReq();
        }
    }
    std::vector<double> column(int c) const {
        std::vector<double> out;
        out.reserve(log.size());
        for (auto &row : log) out.push_back(row[std::size_t(c)]);
        return out;
    }

    Tick latency;
    unsigned maxOutstanding;
    unsigned outstanding = 0;
    bool mustRetry = false;
    AddrRange range{0, kMaxTick};
    BackingStore store;
    std::vector<std::array<double, 5>> log;
    ForwardingResponsePort<TestMemory> port;
    RespPacketQueue respQueue;
    stats::VectorFormula reqTick, reqCmd, reqAddr, reqSize, reqRequestor;
    stats::Scalar refused;
};

}  // namespace

NPUSIM_REGISTER_SIMOBJECT(CacheTestMemory, TestMemory);

}  // namespace npusim
