// The machinery shared by traffic sources that drive one request port
// (TrafficGen, TraceReplayer): a window of requests in flight, gem5's retry
// protocol, completion bookkeeping (requestorStarted / requestorFinished) and
// the statistics of gem5's BaseTrafficGen. A subclass decides what the next
// request is and when it may go; this class decides whether it can go.
#pragma once
#include <cstdio>
#include <string>
#include <vector>

#include "npusim/mem/port.hh"
#include "npusim/mem/requestors.hh"
#include "npusim/mem/response_delay.hh"
#include "npusim/sim/eventq.hh"
#include "npusim/sim/sim_exit.hh"
#include "npusim/sim/sim_object.hh"
#include "npusim/sim/stats.hh"

namespace npusim {

class BaseRequestor : public SimObject {
  public:
    // `window`: most requests in flight at once (>= 1).
    BaseRequestor(const Params &p, unsigned window);
    ~BaseRequestor() override;

    Port &getPort(const std::string &portName, int idx) override;
    void init() override;
    void startup() override;
    void resetStats() override;

    // Port handlers (ForwardingRequestPort).
    bool recvTimingResp(PacketPtr pkt, int idx);
    void recvReqRetry(int idx);
    // A response once it has fully arrived (after the interconnect's delay).
    void completeResponse(PacketPtr pkt);

    RequestorID requestorId() const { return reqId; }
    unsigned inFlight() const { return outstanding; }

  protected:
    // --- what a subclass provides -------------------------------------
    // (how many requests there are in all: setTotalRequests)
    // The earliest tick at which the next request may be issued (called only
    // when hasMoreRequests() and a window slot is free).
    virtual Tick nextIssueTick() const = 0;
    // Creates the next request (number issuedRequests()) and advances past it.
    virtual PacketPtr makeNextRequest() = 0;
    // Called once a request has been accepted by the peer (which now owns it).
    virtual void requestSent() {}
    // Called for every response, before the packet is freed.
    virtual void responseReceived(PacketPtr) {}

    // Ticks to wait after the last response before reporting completion.
    Tick tailTicks = 0;
    // Tick of the most recent response (for think-time driven issue).
    Tick lastResponseTick = 0;
    // Tick of the most recent successful send.
    Tick lastSendTick = 0;
    // Tick of startup(): the time origin of the object's schedule.
    Tick startTick = 0;

    // The number of requests to issue in all (set by the subclass's
    // constructor), and how many have been made so far.
    void setTotalRequests(std::uint64_t n) { totalRequests = n; }
    std::uint64_t issuedRequests() const { return issuedCount; }
    // Whether any request remains to be issued (not virtual: tested several
    // times per request).
    bool hasMoreRequests() const { return issuedCount < totalRequests; }

    // Re-evaluates when the next issue can happen (after a subclass changes
    // its schedule).
    void scheduleIssue();

    // (whole numbers of packets, bytes and ticks: integer tallies, printed as
    // the doubles gem5 sums)
    stats::Counter numPackets;
    stats::Counter numRetries;
    stats::Counter retryTicks;
    stats::Counter bytesRead;
    stats::Counter bytesWritten;
    stats::Counter totalReadLatency;
    stats::Counter totalWriteLatency;
    stats::Counter totalReads;
    stats::Counter totalWrites;
    stats::Formula avgReadLatency;
    stats::Formula avgWriteLatency;
    stats::Formula readBW;
    stats::Formula writeBW;
    stats::IntDistribution latencyDist;
    stats::IntDistribution outstandingDist;

  private:
    // Optional record of what was sent and received, written as gem5-style
    // CSV traces (tick,cmd,addr,size,pc) when the requestor finishes.
    struct Record {
        Tick tick;
        Addr addr;
        Addr pc;
        unsigned size;
        std::uint8_t cmd;
    };
    static Record snapshot(const Packet *pkt);
    void writeRecords();
    static void writeCsv(const std::string &path, const std::vector<Record> &rows, const std::string &owner,
                         const std::string &param);
    std::string requestTracePath, responseTracePath;
    std::vector<Record> sentRecords, respRecords;
    bool recordsWritten = false;

    void issue();
    // (out of line and cold: they would otherwise cost the per-response
    // handlers a stack frame)
    [[noreturn, gnu::cold, gnu::noinline]] void badResponse(const Packet *pkt) const;
    [[gnu::cold, gnu::noinline]] void recordResponse(const Packet *pkt);
    // Sends `pkt` (recording it if a request trace is kept); false if refused.
    bool trySend(PacketPtr pkt);
    void sent();
    void finish();
    void finished();
    double secondsSinceReset() const;

    ForwardingRequestPort<BaseRequestor> port;
    RequestorID reqId;
    unsigned window;
    unsigned outstanding = 0;
    std::uint64_t totalRequests = 0;
    std::uint64_t issuedCount = 0;
    PacketPtr blockedPkt = nullptr;
    Tick blockedSince = 0;
    bool running = false;
    Tick statsResetTick = 0;
    MemberEvent<BaseRequestor, &BaseRequestor::issue> issueEvent;
    MemberEvent<BaseRequestor, &BaseRequestor::finished> finishEvent;
    // gem5's TrafficGen and TraceCPU take a response as the crossbar hands it
    // on, without waiting for the payload to finish crossing.
    ResponseDelay<BaseRequestor, &BaseRequestor::completeResponse> responseDelay{this, false};
};

}  // namespace npusim
