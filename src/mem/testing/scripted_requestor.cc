// ScriptedRequestor: a test driver for memories and interconnect. It issues
// a given list of requests (command, address, size, earliest issue tick),
// at most `max_outstanding` at a time, honours the retry protocol, and
// records when each response came back and the first word of each read's
// data, as stats that tests read. Writes carry a data pattern that depends
// only on the byte address: byte(a) = (a * 131 + 7) mod 256.
#include <vector>

#include "npusim/mem/port.hh"
#include "npusim/mem/requestors.hh"
#include "npusim/mem/response_delay.hh"
#include "npusim/sim/eventq.hh"
#include "npusim/sim/sim_exit.hh"
#include "npusim/sim/sim_object.hh"

namespace npusim {

class ScriptedRequestor final : public SimObject {
  public:
    explicit ScriptedRequestor(const Params &p)
        : SimObject(p),
          port("port", this),
          cmds(p.get<std::vector<std::int64_t>>("cmds")),
          addrs(p.get<std::vector<std::int64_t>>("addrs")),
          sizes(p.get<std::vector<std::int64_t>>("sizes")),
          ticks(p.get<std::vector<std::int64_t>>("ticks")),
          maxOutstanding(p.get<unsigned>("max_outstanding")),
          record(p.get<bool>("record")),
          issueEvent(this),
          issueTick(this, "issueTick", stats::units::Tick, "Tick at which each request was accepted"),
          respTick(this, "respTick", stats::units::Tick, "Tick at which each response arrived"),
          readData(this, "readData", stats::units::Count, "First 32-bit word of each read response"),
          numResponses(this, "numResponses", stats::units::Count, "Responses received"),
          numIssued(this, "numIssued", stats::units::Count, "Requests accepted by the peer"),
          numRefused(this, "numRefused", stats::units::Count, "Requests refused by the peer (retried later)"),
          firstIssue(this, "firstIssue", stats::units::Tick, "Tick of the first accepted request"),
          lastIssue(this, "lastIssue", stats::units::Tick, "Tick of the last accepted request"),
          lastResp(this, "lastResp", stats::units::Tick, "Tick of the last response"),
          totLatency(this, "totLatency", stats::units::Tick, "Sum of request-to-response latencies") {
        if (!isValidCount(cmds.size())) p.error("cmds", "needs at least one request");
        if (addrs.size() != cmds.size()) p.error("addrs", "needs one address per command");
        if (!sizes.empty() && sizes.size() != cmds.size() && sizes.size() != 1)
            p.error("sizes", "needs one size per command, or a single size for all");
        if (!ticks.empty() && ticks.size() != cmds.size()) p.error("ticks", "needs one tick per command, or none");
        for (auto c : cmds)
            if (c < 0 || !isValidMemCmd(unsigned(c))) p.error("cmds", "unknown MemCmd number " + std::to_string(c));
        if (maxOutstanding == 0) p.error("max_outstanding", "must be at least 1");
        std::size_t n = record ? cmds.size() : 0;
        issueTick.init(n);
        respTick.init(n);
        readData.init(n);
    }

    Port &getPort(const std::string &portName, int idx) override {
        if (portName == "port") return port;
        return SimObject::getPort(portName, idx);
    }

    void init() override {
        if (!port.isConnected()) fatal(name(), ".port: not connected");
        requestorId = registerRequestor(name());
    }

    void startup() override {
        requestorStarted();
        scheduleIssue();
    }

    bool recvTimingResp(PacketPtr pkt, int) {
        responseDelay.receive(pkt);
        return true;
    }

    // A response once it has fully arrived (after the interconnect's delay).
    void completeResponse(PacketPtr pkt) {
        auto i = std::size_t(reinterpret_cast<std::uintptr_t>(pkt->senderState));
        if (record) {
            respTick[i] = double(curTick());
            if (pkt->isRead() && pkt->hasData()) {
                std::uint32_t w = 0;
                std::memcpy(&w, pkt->data(), std::min<unsigned>(4, pkt->size));
                readData[i] = double(w);
            }
        }
        totLatency += double(curTick() - pkt->createTick);
        ++numResponses;
        lastResp = double(curTick());
        Packet::destroy(pkt);
        --outstanding;
        ++completed;
        if (completed == cmds.size()) requestorFinished(name());
        else scheduleIssue();
    }

    void recvReqRetry(int) {
        if (!waitingRetry) panic(name(), ": retry without a refused request");
        waitingRetry = false;
        issue();
    }

  private:
    static bool isValidCount(std::size_t n) { return n > 0; }

    unsigned sizeOf(std::size_t i) const {
        if (sizes.empty()) return 64;
        return unsigned(sizes.size() == 1 ? sizes[0] : sizes[i]);
    }
    Tick tickOf(std::size_t i) const { return ticks.empty() ? 0 : Tick(ticks[i]); }

    void scheduleIssue() {
        if (waitingRetry || next >= cmds.size() || outstanding >= maxOutstanding) return;
        Tick when = std::max(curTick(), tickOf(next));
        if (issueEvent.scheduled()) {
            if (issueEvent.when() > when) reschedule(issueEvent, when);
        } else {
            schedule(issueEvent, when);
        }
    }

    void issue() {
        while (!waitingRetry && next < cmds.size() && outstanding < maxOutstanding && tickOf(next) <= curTick()) {
            if (!pending) {
                auto cmd = static_cast<MemCmd>(cmds[next]);
                unsigned sz = sizeOf(next);
                pending = Packet::create(cmd, Addr(addrs[next]), sz, requestorId);
                pending->senderState = reinterpret_cast<void *>(std::uintptr_t(next));
                if (pending->isWrite()) {
                    std::uint8_t *d = pending->data();
                    for (unsigned b = 0; b < sz; ++b) d[b] = std::uint8_t((Addr(addrs[next]) + b) * 131 + 7);
                    pending->markDataValid();
                }
            }
            bool needsResp = pending->needsResponse();
            if (!port.sendTimingReq(pending)) {
                ++numRefused;
                waitingRetry = true;
                return;
            }
            if (record) issueTick[next] = double(curTick());
            if (numIssued.value() == 0) firstIssue = double(curTick());
            lastIssue = double(curTick());
            ++numIssued;
            pending = nullptr;
            ++next;
            if (needsResp) {
                ++outstanding;
            } else {
                ++completed;  // the consumer destroys it
                if (completed == cmds.size()) {
                    requestorFinished(name());
                    return;
                }
            }
        }
        scheduleIssue();
    }

    ForwardingRequestPort<ScriptedRequestor> port;
    std::vector<std::int64_t> cmds, addrs, sizes, ticks;
    unsigned maxOutstanding;
    bool record;
    RequestorID requestorId = 0;
    std::size_t next = 0;
    std::size_t completed = 0;
    unsigned outstanding = 0;
    bool waitingRetry = false;
    PacketPtr pending = nullptr;
    MemberEvent<ScriptedRequestor, &ScriptedRequestor::issue> issueEvent;
    ResponseDelay<ScriptedRequestor, &ScriptedRequestor::completeResponse> responseDelay{this};
    stats::Vector issueTick, respTick, readData;
    stats::Scalar numResponses, numIssued, numRefused, firstIssue, lastIssue, lastResp, totLatency;
};

NPUSIM_REGISTER_SIMOBJECT(ScriptedRequestor, ScriptedRequestor);

}  // namespace npusim
