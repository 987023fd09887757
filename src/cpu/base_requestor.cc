#include "base_requestor.hh"

#include <algorithm>
#include <cmath>

#include "npusim/sim/logging.hh"

namespace npusim {

namespace {
constexpr Tick kDefaultLatencyBucket = 1000;  // 1 ns
constexpr unsigned kDefaultLatencyBuckets = 500;
}  // namespace

BaseRequestor::BaseRequestor(const Params &p, unsigned windowSize)
    : SimObject(p),
      numPackets(this, "numPackets", stats::units::Count, "Number of packets generated"),
      numRetries(this, "numRetries", stats::units::Count, "Number of retries"),
      retryTicks(this, "retryTicks", stats::units::Tick, "Time spent waiting due to back-pressure"),
      bytesRead(this, "bytesRead", stats::units::Byte, "Number of bytes read"),
      bytesWritten(this, "bytesWritten", stats::units::Byte, "Number of bytes written"),
      totalReadLatency(this, "totalReadLatency", stats::units::Tick, "Total latency of read requests"),
      totalWriteLatency(this, "totalWriteLatency", stats::units::Tick, "Total latency of write requests"),
      totalReads(this, "totalReads", stats::units::Count, "Total num of reads"),
      totalWrites(this, "totalWrites", stats::units::Count, "Total num of writes"),
      avgReadLatency(this, "avgReadLatency", stats::units::rate(stats::units::Tick, stats::units::Count),
                     "Avg latency of read requests",
                     [this] { return totalReads.value() ? totalReadLatency.value() / totalReads.value() : NAN; }),
      avgWriteLatency(this, "avgWriteLatency", stats::units::rate(stats::units::Tick, stats::units::Count),
                      "Avg latency of write requests",
                      [this] { return totalWrites.value() ? totalWriteLatency.value() / totalWrites.value() : NAN; }),
      readBW(this, "readBW", stats::units::rate(stats::units::Byte, stats::units::Second),
             "Read bandwidth in bytes/s",
             [this] { double s = secondsSinceReset(); return s > 0 ? bytesRead.value() / s : NAN; }),
      writeBW(this, "writeBW", stats::units::rate(stats::units::Byte, stats::units::Second),
              "Write bandwidth in bytes/s",
              [this] { double s = secondsSinceReset(); return s > 0 ? bytesWritten.value() / s : NAN; }),
      latencyDist(this, "latencyDist", stats::units::Tick,
                  "Request-to-response latency of every request (reads and writes)"),
      outstandingDist(this, "outstandingDist", stats::units::Count,
                      "Requests in flight just after each request is issued"),
      port("port", this),
      reqId(registerRequestor(p.name(), "data")),
      window(windowSize),
      issueEvent(this),
      finishEvent(this) {
    if (window == 0) p.error("max_outstanding", "must be at least 1");
    Tick bucket = p.get<Tick>("latency_bucket", kDefaultLatencyBucket);
    unsigned buckets = p.get<unsigned>("latency_buckets", kDefaultLatencyBuckets);
    if (bucket == 0) p.error("latency_bucket", "must be positive");
    if (buckets == 0) p.error("latency_buckets", "must be at least 1");
    latencyDist.init(0, double(bucket) * buckets - 1, double(bucket));
    outstandingDist.init(1, window, 1);
}

Port &BaseRequestor::getPort(const std::string &portName, int idx) {
    if (portName == "port") return port;
    return SimObject::getPort(portName, idx);
}

void BaseRequestor::init() {
    if (!port.isConnected()) fatal(name(), ".port: port is not connected");
}

void BaseRequestor::startup() {
    startTick = curTick();
    if (!hasMoreRequests()) return;
    running = true;
    requestorStarted();
    scheduleIssue();
}

void BaseRequestor::resetStats() {
    SimObject::resetStats();
    statsResetTick = curTick();
}

double BaseRequestor::secondsSinceReset() const {
    return double(curTick() - statsResetTick) / double(kTicksPerSecond);
}

void BaseRequestor::scheduleIssue() {
    // A refused packet waits for the peer's retry; a full window waits for a
    // response; both call back here.
    if (blockedPkt || outstanding >= window || !hasMoreRequests()) return;
    Tick when = std::max(nextIssueTick(), curTick());
    if (issueEvent.scheduled()) {
        if (issueEvent.when() != when) reschedule(issueEvent, when);
    } else {
        schedule(issueEvent, when);
    }
}

void BaseRequestor::issue() {
    while (!blockedPkt && outstanding < window && hasMoreRequests() && nextIssueTick() <= curTick()) {
        PacketPtr pkt = makeNextRequest();
        if (!port.sendTimingReq(pkt)) {
            blockedPkt = pkt;
            blockedSince = curTick();
            return;
        }
        sent(pkt);
    }
    scheduleIssue();
}

void BaseRequestor::recvReqRetry(int) {
    if (!blockedPkt) return;  // nothing waits; a stale retry
    ++numRetries;
    if (!port.sendTimingReq(blockedPkt)) return;  // refused again: wait for the next retry
    PacketPtr pkt = blockedPkt;
    blockedPkt = nullptr;
    retryTicks += double(curTick() - blockedSince);
    sent(pkt);
    scheduleIssue();
}

void BaseRequestor::sent(PacketPtr pkt) {
    ++outstanding;
    ++numPackets;
    lastSendTick = curTick();
    countDemandRequest();
    outstandingDist.sample(outstanding);
    requestSent(pkt);
}

bool BaseRequestor::recvTimingResp(PacketPtr pkt, int) {
    if (!pkt->isResponse()) panic(name(), ": received a non-response packet ", pkt->print());
    if (outstanding == 0) panic(name(), ": response with no request in flight: ", pkt->print());
    --outstanding;
    Tick now = curTick();
    Tick latency = now - pkt->createTick;
    if (pkt->isRead()) {
        ++totalReads;
        totalReadLatency += double(latency);
        bytesRead += pkt->size;
    } else {
        ++totalWrites;
        totalWriteLatency += double(latency);
        bytesWritten += pkt->size;
    }
    latencyDist.sample(double(latency));
    lastResponseTick = now;
    responseReceived(pkt);
    Packet::destroy(pkt);
    if (outstanding == 0 && !blockedPkt && !hasMoreRequests()) finish();
    else scheduleIssue();
    return true;
}

void BaseRequestor::finish() {
    if (!running) return;
    if (tailTicks > 0) schedule(finishEvent, curTick() + tailTicks);
    else finished();
}

void BaseRequestor::finished() {
    running = false;
    requestorFinished(name());
}

}  // namespace npusim
