// SBOOEPrefetcher (gem5's prefetch::SBOOE, v24.0 semantics): Sandbox-Based
// Optimal Offset Estimation (N. T. Brown and R. Sendag, 2nd Data
// Prefetching Championship, 2015).
//
// sequential_prefetchers candidate prefetchers, the offsets -1, 0, 1, ...,
// sequential_prefetchers - 2 lines, are simulated side by side. Each owns a
// sandbox: a FIFO of sandbox_entries lines that it would have prefetched,
// each with the tick its data would have arrived (the access tick plus the
// current average access latency). On every observed access to line X:
//  - every sandbox holding X gains a point per matching entry, and a late
//    point when that entry's data would not yet have arrived; its score is
//    points minus late points;
//  - every sandbox records X + its offset;
//  - the best sandbox is the first one whose score strictly exceeds the
//    best one's so far (scores are never reset, as in gem5);
//  - once as many accesses as candidates have been seen, and if the best
//    score exceeds score_threshold_pct percent of sandbox_entries, the
//    prefetcher asks for X + the best offset.
// The average access latency is the mean of the last latency_buffer_size
// fill delays: the time from an observed access to the fill of the line at
// the same address (keyed by the access address, as gem5 does, so at an L1
// only line-aligned accesses match their fill).
#include <deque>
#include <unordered_map>
#include <vector>

#include "npusim/mem/cache/prefetch/queued.hh"

namespace npusim {
namespace {

class SBOOE final : public QueuedPrefetcher {
  public:
    explicit SBOOE(const Params &p)
        : QueuedPrefetcher(p),
          latencyBufferSize(p.get<int>("latency_buffer_size")),
          scoreThreshold(0) {
        const int n = p.get<int>("sequential_prefetchers");
        const int entries = p.get<int>("sandbox_entries");
        const double pct = p.get<double>("score_threshold_pct");
        if (n < 1) p.error("sequential_prefetchers", "must be at least 1");
        if (entries < 1) p.error("sandbox_entries", "must be at least 1");
        if (latencyBufferSize < 1) p.error("latency_buffer_size", "must be at least 1");
        if (pct < 0 || pct > 100) p.error("score_threshold_pct", "must be in [0, 100]");
        // gem5 computes the threshold in integers.
        scoreThreshold = unsigned(std::int64_t(entries) * std::int64_t(pct) / 100);
        sandboxes.reserve(std::size_t(n));
        for (int i = 0; i < n; ++i) sandboxes.emplace_back(std::size_t(entries), i - 1);
    }

    void calculatePrefetch(const PrefetchInfo &pfi, std::vector<AddrPriority> &out) override {
        const Addr addr = pfi.getAddr();
        const Addr line = addr >> lBlkSize;
        demandTicks.try_emplace(addr, curTick());

        for (std::size_t i = 0; i < sandboxes.size(); ++i) {
            Sandbox &sb = sandboxes[i];
            for (const Slot &s : sb.slots) {
                if (!s.valid || s.line != line) continue;
                ++sb.points;
                if (s.arrival > curTick()) ++sb.late;
            }
            sb.record(line, curTick() + averageLatency);
            if (best < 0 || sb.score() > sandboxes[std::size_t(best)].score()) best = int(i);
        }
        ++accesses;

        if (accesses >= sandboxes.size() && sandboxes[std::size_t(best)].score() > scoreThreshold) {
            const Addr target = line + Addr(std::int64_t(sandboxes[std::size_t(best)].offset));
            out.emplace_back(target << lBlkSize, 0);
        }
    }

    void notifyFill(const PrefetchInfo &info) override {
        auto it = demandTicks.find(info.addr);
        if (it == demandTicks.end()) return;
        const Tick elapsed = curTick() - it->second;
        latencies.push_back(elapsed);
        latencySum += elapsed;
        if (latencies.size() > std::size_t(latencyBufferSize)) {
            latencySum -= latencies.front();
            latencies.pop_front();
        }
        averageLatency = latencySum / latencies.size();
        demandTicks.erase(it);
    }

  private:
    struct Slot {
        Addr line = 0;
        Tick arrival = 0;
        bool valid = false;
    };
    struct Sandbox {
        Sandbox(std::size_t entries, int off) : slots(entries), offset(off) {}
        std::vector<Slot> slots;
        std::size_t next = 0;     // the oldest slot, overwritten next
        unsigned points = 0;
        unsigned late = 0;
        int offset;

        unsigned score() const { return points - late; }
        void record(Addr line, Tick arrival) {
            slots[next] = Slot{line + Addr(std::int64_t(offset)), arrival, true};
            if (++next == slots.size()) next = 0;
        }
    };

    int latencyBufferSize;
    unsigned scoreThreshold;
    std::vector<Sandbox> sandboxes;
    int best = -1;
    std::uint64_t accesses = 0;
    std::unordered_map<Addr, Tick> demandTicks;
    std::deque<Tick> latencies;
    Tick latencySum = 0;
    Tick averageLatency = 0;
};

}  // namespace

NPUSIM_REGISTER_SIMOBJECT(SBOOEPrefetcher, SBOOE);

}  // namespace npusim
