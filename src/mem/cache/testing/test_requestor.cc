// CacheTestRequestor: plays a fixed script of requests, for unit tests of
// caches. `script` is a flat list of (tick, cmd, addr, size, value) tuples;
// a request is sent at its tick, or after the ones before it when the port
// refuses (then it waits for the retry). A write carries `value` in its
// first (up to) eight bytes, little-endian. For request i the stats rows
// sendTick::i (accepted), respTick::i and respData::i (first eight bytes of
// the response data) are kept; the run ends when every response is in.
#include <cstring>
#include <vector>

#include "npusim/mem/port.hh"
#include "npusim/mem/response_delay.hh"
#include "npusim/mem/requestors.hh"
#include "npusim/sim/eventq.hh"
#include "npusim/sim/sim_exit.hh"
#include "npusim/sim/sim_object.hh"

namespace npusim {
namespace {

class TestRequestor final : public SimObject {
  public:
    explicit TestRequestor(const Params &p)
        : SimObject(p),
          requestor(registerRequestor(p.name(), p.get<std::string>("requestor_suffix", "data"))),
          port("port", this),
          sendEvent(this),
          sendTick(this, "sendTick", stats::units::Tick, "tick each scripted request was accepted"),
          respTick(this, "respTick", stats::units::Tick, "tick each response arrived (-1: none)"),
          respData(this, "respData", stats::units::Count, "first 8 bytes of each response's data"),
          retries(this, "retries", stats::units::Count, "requests refused and retried") {
        auto flat = p.get<std::vector<std::int64_t>>("script");
        if (flat.size() % 5) p.error("script", "expected (tick, cmd, addr, size, value) tuples");
        for (std::size_t i = 0; i < flat.size(); i += 5) {
            if (!isValidMemCmd(unsigned(flat[i + 1]))) p.error("script", "unknown command " + std::to_string(flat[i + 1]));
            script.push_back(Entry{Tick(flat[i]), MemCmd(flat[i + 1]), Addr(flat[i + 2]), unsigned(flat[i + 3]),
                                   std::uint64_t(flat[i + 4]), -1.0, -1.0, 0.0});
        }
        sendTick.define([this] { return column(&Entry::accepted); }, nullptr);
        respTick.define([this] { return column(&Entry::responded); }, nullptr);
        respData.define([this] { return column(&Entry::data); }, nullptr);
    }

    Port &getPort(const std::string &name, int idx) override {
        if (name == "port") return port;
        return SimObject::getPort(name, idx);
    }

    void startup() override {
        if (script.empty()) return;
        requestorStarted();
        schedule(sendEvent, std::max(curTick(), script.front().tick));
    }

    bool recvTimingResp(PacketPtr pkt, int) {
        responseDelay.receive(pkt);
        return true;
    }
    // A response once it has fully arrived (after the interconnect's delay).
    void completeResponse(PacketPtr pkt) {
        const std::size_t i = reinterpret_cast<std::uintptr_t>(pkt->senderState) - 1;
        Entry &e = script.at(i);
        if (e.responded >= 0) panic(name(), ": second response for request ", i);
        e.responded = double(curTick());
        if (pkt->isRead()) {
            std::uint64_t v = 0;
            std::memcpy(&v, pkt->data(), std::min<unsigned>(8, pkt->size));
            e.data = double(v);
        }
        Packet::destroy(pkt);
        ++answered;
        checkDone();
    }
    void recvReqRetry(int) {
        if (!waitingRetry) return;
        waitingRetry = false;
        ++retries;
        sendDue();
    }

  private:
    struct Entry {
        Tick tick;
        MemCmd cmd;
        Addr addr;
        unsigned size;
        std::uint64_t value;
        double accepted;
        double responded;
        double data;
    };

    void sendDue() {
        if (waitingRetry) return;
        while (next < script.size() && script[next].tick <= curTick()) {
            Entry &e = script[next];
            PacketPtr pkt = Packet::create(e.cmd, e.addr, e.size, requestor);
            if (pkt->isWrite()) {
                std::memset(pkt->data(), 0, e.size);
                std::memcpy(pkt->data(), &e.value, std::min<unsigned>(8, e.size));
                pkt->markDataValid();
            }
            const bool needsResp = pkt->needsResponse();
            pkt->senderState = reinterpret_cast<void *>(std::uintptr_t(next + 1));
            if (!port.sendTimingReq(pkt)) {
                Packet::destroy(pkt);
                waitingRetry = true;
                return;  // the retry resumes here
            }
            countDemandRequest();
            e.accepted = double(curTick());
            if (!needsResp) ++answered;
            ++next;
        }
        if (next < script.size()) {
            if (!sendEvent.scheduled()) schedule(sendEvent, script[next].tick);
            else if (sendEvent.when() > script[next].tick) reschedule(sendEvent, script[next].tick);
        }
        checkDone();
    }
    void checkDone() {
        if (!finished && answered == script.size()) {
            finished = true;
            requestorFinished(name());
        }
    }
    std::vector<double> column(double Entry::*field) const {
        std::vector<double> out;
        for (auto &e : script) out.push_back(e.*field);
        return out;
    }

    RequestorID requestor;
    std::vector<Entry> script;
    std::size_t next = 0;
    std::size_t answered = 0;
    bool finished = false;
    bool waitingRetry = false;
    ForwardingRequestPort<TestRequestor> port;
    MemberEvent<TestRequestor, &TestRequestor::sendDue> sendEvent;
    ResponseDelay<TestRequestor, &TestRequestor::completeResponse> responseDelay{this};
    stats::VectorFormula sendTick, respTick, respData;
    stats::Scalar retries;
};

}  // namespace

NPUSIM_REGISTER_SIMOBJECT(CacheTestRequestor, TestRequestor);

}  // namespace npusim
