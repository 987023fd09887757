#include "base_requestor.hh"

#include <algorithm>
#include <cmath>

#include "npusim/sim/debug.hh"
#include "npusim/sim/logging.hh"

NPUSIM_DEBUG_FLAG(Requestor, "Requestors (TrafficGen, TraceReplayer): requests sent or refused, responses")

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
    // Histograms cost host memory per bucket: a bounded count, and a window
    // of any size (an "unlimited" one) in at most kMaxWindowBuckets.
    constexpr unsigned kMaxLatencyBuckets = 1u << 20;
    constexpr std::uint64_t kMaxWindowBuckets = 1024;
    if (buckets > kMaxLatencyBuckets)
        p.error("latency_buckets", "at most " + std::to_string(kMaxLatencyBuckets) + " (got " +
                                       std::to_string(buckets) + "); widen latency_bucket instead");
    if (bucket > kMaxTick / buckets)
        p.error("latency_bucket", "latency_bucket x latency_buckets exceeds the largest tick");
    latencyDist.init(0, bucket * buckets - 1, bucket);
    outstandingDist.init(1, window, (std::uint64_t(window) + kMaxWindowBuckets - 1) / kMaxWindowBuckets);
    requestTracePath = p.get<std::string>("request_trace_file", "");
    responseTracePath = p.get<std::string>("response_trace_file", "");
}

BaseRequestor::~BaseRequestor() {
    // A run cut short still leaves its records behind; errors here are moot.
    try {
        writeRecords();
    } catch (...) {
    }
}

void BaseRequestor::writeRecords() {
    if (recordsWritten) return;
    recordsWritten = true;
    if (!requestTracePath.empty()) writeCsv(requestTracePath, sentRecords, name(), "request_trace_file");
    if (!responseTracePath.empty()) writeCsv(responseTracePath, respRecords, name(), "response_trace_file");
}

void BaseRequestor::writeCsv(const std::string &path, const std::vector<Record> &rows, const std::string &owner,
                             const std::string &param) {
    std::FILE *f = std::fopen(path.c_str(), "w");
    if (!f) fatal(owner, ".", param, ": cannot write '", path, "'");
    std::fputs("tick,cmd,addr,size,pc\n", f);
    for (const Record &r : rows)
        std::fprintf(f, "%llu,%u,0x%llx,%u,0x%llx\n", static_cast<unsigned long long>(r.tick), unsigned(r.cmd),
                     static_cast<unsigned long long>(r.addr), r.size, static_cast<unsigned long long>(r.pc));
    std::fclose(f);
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
        ++issuedCount;
        NPUSIM_DPRINTF(Requestor, "sending ", pkt->print());
        if (!trySend(pkt)) {
            NPUSIM_DPRINTF(Requestor, "refused, waiting for a retry");
            blockedPkt = pkt;
            blockedSince = curTick();
            return;
        }
        sent();
    }
    scheduleIssue();
}

void BaseRequestor::recvReqRetry(int) {
    if (!blockedPkt) return;  // nothing waits; a stale retry
    ++numRetries;
    if (!trySend(blockedPkt)) return;  // refused again: wait for the next retry
    blockedPkt = nullptr;
    retryTicks += curTick() - blockedSince;
    sent();
    scheduleIssue();
}

bool BaseRequestor::trySend(PacketPtr pkt) {
    if (requestTracePath.empty()) [[likely]] return port.sendTimingReq(pkt);
    const Record rec = snapshot(pkt);  // the peer may turn pkt into its response at once
    if (!port.sendTimingReq(pkt)) return false;
    sentRecords.push_back(rec);
    return true;
}

BaseRequestor::Record BaseRequestor::snapshot(const Packet *pkt) {
    return Record{curTick(), pkt->addr, pkt->hasPC ? pkt->pc : 0, pkt->size, std::uint8_t(pkt->cmd)};
}

void BaseRequestor::sent() {
    ++outstanding;
    ++numPackets;
    lastSendTick = curTick();
    countDemandRequest();
    outstandingDist.sample(outstanding);
    requestSent();
}

bool BaseRequestor::recvTimingResp(PacketPtr pkt, int) {
    if (!pkt->isResponse() || outstanding == 0) [[unlikely]] badResponse(pkt);
    responseDelay.receive(pkt);
    return true;
}

void BaseRequestor::badResponse(const Packet *pkt) const {
    if (!pkt->isResponse()) panic(name(), ": received a non-response packet ", pkt->print());
    panic(name(), ": response with no request in flight: ", pkt->print());
}

void BaseRequestor::recordResponse(const Packet *pkt) { respRecords.push_back(snapshot(pkt)); }

void BaseRequestor::completeResponse(PacketPtr pkt) {
    --outstanding;
    Tick now = curTick();
    Tick latency = now - pkt->createTick;
    if (pkt->isRead()) {
        ++totalReads;
        totalReadLatency += latency;
        bytesRead += pkt->size;
    } else {
        ++totalWrites;
        totalWriteLatency += latency;
        bytesWritten += pkt->size;
    }
    latencyDist.sample(latency);
    lastResponseTick = now;
    NPUSIM_DPRINTF(Requestor, "response ", pkt->print(), " after ", latency, " ticks");
    if (!responseTracePath.empty()) [[unlikely]] recordResponse(pkt);
    responseReceived(pkt);
    Packet::destroy(pkt);
    if (outstanding == 0 && !blockedPkt && !hasMoreRequests()) finish();
    else scheduleIssue();
}

void BaseRequestor::finish() {
    if (!running) return;
    if (tailTicks > 0) schedule(finishEvent, curTick() + tailTicks);
    else finished();
}

void BaseRequestor::finished() {
    running = false;
    writeRecords();
    requestorFinished(name());
}

}  // namespace npusim
