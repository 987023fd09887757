// TraceReplayer: replays a recorded request stream (a gem5 packet trace,
// converted by npusim/objects/requestors.py into TraceRecord rows) through a
// request port, either as a blocking core (one request in flight, the next
// one `think` ticks after the previous response) or with a window of
// requests in flight at the trace's own spacing or as fast as possible.
#include <cstring>
#include <vector>

#include "base_requestor.hh"

namespace npusim {

namespace {

// One trace row as the Python side packs it (little endian, 40 bytes).
struct TraceRecord {
    std::uint64_t tick;
    std::uint64_t addr;
    std::uint64_t pc;
    std::uint32_t size;
    std::uint32_t cmd;
    std::uint32_t flags;
    std::uint32_t hasPC;
};
static_assert(sizeof(TraceRecord) == 40, "TraceRecord must match requestors.REPLAY_DTYPE");

}  // namespace

class TraceReplayer final : public BaseRequestor {
  public:
    explicit TraceReplayer(const Params &p)
        : BaseRequestor(p, windowFor(p)),
          thinkTicks(this, "thinkTicks", stats::units::Tick,
                     "Ticks spent between a response and the next request (blocking mode)") {
        std::string m = p.get<std::string>("mode", "blocking");
        blocking = m == "blocking";
        std::string t = p.get<std::string>("timing", "original");
        if (t != "original" && t != "asap") p.error("timing", "unknown timing '" + t + "' (original or asap)");
        asap = t == "asap";
        lineSize = p.get<unsigned>("line_size", 64);
        if (lineSize == 0 || (lineSize & (lineSize - 1))) p.error("line_size", "must be a power of two");
        tailTicks = p.get<Tick>("tail", 0);
        loadTrace(p);
        setTotalRequests(records.size());
        loadThinkTimes(p);
        traceStart = p.has("trace_start") ? p.get<Tick>("trace_start") : (records.empty() ? 0 : records[0].tick);
        if (!records.empty() && traceStart > records[0].tick)
            p.error("trace_start", "tick " + std::to_string(traceStart) + " is after the first packet (tick " +
                                       std::to_string(records[0].tick) + ")");
        // Issue ticks are start + (tick - trace_start): a longer span would wrap around.
        if (!records.empty() && records.back().tick - traceStart > kMaxDuration)
            p.error("trace", "spans " + std::to_string(records.back().tick - traceStart) +
                                 " ticks from trace_start, more than the " + std::to_string(kMaxDuration) +
                                 " a run can represent");
    }

  protected:

    Tick nextIssueTick() const override {
        const std::size_t next = issuedRequests();
        if (blocking) {
            if (next == 0) return startTick + (records[0].tick - traceStart);
            return lastResponseTick + think(next - 1);
        }
        if (asap) return 0;
        return startTick + (records[next].tick - traceStart);
    }

    PacketPtr makeNextRequest() override {
        const std::size_t index = issuedRequests();
        const TraceRecord &r = records[index];
        PacketPtr pkt = Packet::create(static_cast<MemCmd>(r.cmd), r.addr, r.size, requestorId());
        if (r.hasPC) {
            pkt->pc = r.pc;
            pkt->hasPC = true;
        }
        if (pkt->isWrite()) {
            // Traces carry no data: writes store zeros.
            std::memset(pkt->data(), 0, r.size);
            pkt->markDataValid();
        }
        if (blocking && index > 0) thinkTicks += curTick() - lastResponseTick;
        return pkt;
    }

  private:
    static unsigned windowFor(const Params &p) {
        std::string m = p.get<std::string>("mode", "blocking");
        if (m == "blocking") return 1;
        if (m == "window") return p.get<unsigned>("max_outstanding", 16);
        p.error("mode", "unknown mode '" + m + "' (blocking or window)");
    }

    Tick think(std::size_t i) const {
        if (!thinkTimes.empty()) return Tick(thinkTimes[i]);
        return records[i + 1].tick - records[i].tick;
    }

    void loadTrace(const Params &p) {
        if (!p.has("trace")) p.error("trace", "no trace given");
        const std::string &bytes = p.get<Blob>("trace").bytes;
        if (bytes.size() % sizeof(TraceRecord) != 0)
            p.error("trace", "binary trace of " + std::to_string(bytes.size()) + " bytes is not a whole number of " +
                                 std::to_string(sizeof(TraceRecord)) + "-byte records");
        records.resize(bytes.size() / sizeof(TraceRecord));
        if (!records.empty()) std::memcpy(records.data(), bytes.data(), bytes.size());
        for (std::size_t i = 0; i < records.size(); ++i) {
            const TraceRecord &r = records[i];
            auto where = [&] { return "packet " + std::to_string(i) + " (tick " + std::to_string(r.tick) + "): "; };
            if (r.cmd != unsigned(MemCmd::ReadReq) && r.cmd != unsigned(MemCmd::WriteReq))
                p.error("trace", where() + "command " + std::to_string(r.cmd) +
                                     " is not a request a core sends (1 ReadReq or 4 WriteReq)");
            if (r.size == 0) p.error("trace", where() + "size is zero");
            if ((r.addr & (lineSize - 1)) + r.size > lineSize)
                p.error("trace", where() + "access of " + std::to_string(r.size) + " bytes at address " + hex(r.addr) +
                                     " crosses a " + std::to_string(lineSize) + "-byte line boundary");
            if (i > 0 && r.tick < records[i - 1].tick)
                p.error("trace", where() + "tick goes backwards (previous packet at tick " +
                                     std::to_string(records[i - 1].tick) + ")");
        }
    }

    void loadThinkTimes(const Params &p) {
        if (!p.has("think_times")) return;
        const std::string &bytes = p.get<Blob>("think_times").bytes;
        if (bytes.size() % sizeof(std::int64_t) != 0)
            p.error("think_times", "expected int64 values, got " + std::to_string(bytes.size()) + " bytes");
        std::size_t n = bytes.size() / sizeof(std::int64_t);
        if (n == 0) return;  // empty: use the trace's own gaps
        if (n + 1 != records.size() && n != records.size())
            p.error("think_times", std::to_string(n) + " think times for " + std::to_string(records.size()) +
                                       " packets (expected one per packet but the last)");
        thinkTimes.resize(n);
        if (n) std::memcpy(thinkTimes.data(), bytes.data(), bytes.size());
        Tick total = 0;
        for (std::size_t i = 0; i < n; ++i) {
            if (thinkTimes[i] < 0)
                p.error("think_times", "think time " + std::to_string(i) + " (after packet " + std::to_string(i) +
                                           ") is negative: " + std::to_string(thinkTimes[i]));
            // the sum is added to the current tick, think by think
            if (Tick(thinkTimes[i]) > kMaxDuration - total)
                p.error("think_times", "the think times add up to more than the " + std::to_string(kMaxDuration) +
                                           " ticks a run can represent (at think time " + std::to_string(i) + ")");
            total += Tick(thinkTimes[i]);
        }
    }

    static std::string hex(Addr a) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(a));
        return buf;
    }

    std::vector<TraceRecord> records;
    std::vector<std::int64_t> thinkTimes;
    bool blocking = true;
    bool asap = false;
    unsigned lineSize = 64;
    Tick traceStart = 0;
    stats::Counter thinkTicks;  // (whole ticks: an integer tally)
};

NPUSIM_REGISTER_SIMOBJECT(TraceReplayer, TraceReplayer);

}  // namespace npusim
