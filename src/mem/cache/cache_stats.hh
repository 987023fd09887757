// The Cache's statistics, with gem5's names, descriptions, flags and
// formulas. Counting happens in plain per-command, per-requestor arrays
// (a few adds per access); the printed vectors and ratios are computed at
// dump time.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "npusim/mem/packet.hh"
#include "npusim/sim/eventq.hh"
#include "npusim/sim/stats.hh"

namespace npusim {

class Cache;

// A per-requestor vector (subnames from requestorNames()) printed as gem5
// prints one: with nozero, zero and NaN rows are left out, the ::total row
// included, so an all-zero vector prints nothing; with nonan, NaN rows are
// left out; inf is printed.
class RequestorVector final : public stats::StatBase {
  public:
    using Elem = std::function<double(std::size_t)>;
    using Total = std::function<double()>;
    RequestorVector(stats::Group *parent, std::string name, std::string unit, std::string desc, Elem elem,
                    Total total, unsigned flags);
    void reset() override {}
    void collect(const std::string &prefix, std::vector<stats::Row> &out) const override;

  private:
    bool skip(double v) const;
    Elem elem;
    Total total;
};

class CacheStats {
  public:
    // Commands a cache can receive, in the alphabetical order gem5 prints
    // its per-command groups in.
    enum Cmd {
        kCleanEvict, kHardPFReq, kReadCleanReq, kReadExReq, kReadReq, kReadSharedReq, kWriteReq,
        kWritebackClean, kWritebackDirty, kNumCmds
    };

    static int cmdIndex(MemCmd cmd);

    // One requestor's counts for every command, in one row, so an access
    // finds its counter with one index. Counts are integers (exact far
    // beyond any run, and printed as the doubles they convert to);
    // latencies are double sums, as gem5's.
    struct Row {
        std::uint64_t hits[kNumCmds] = {}, misses[kNumCmds] = {};
        std::uint64_t mshrHits[kNumCmds] = {}, mshrMisses[kNumCmds] = {};
        double missLatency[kNumCmds] = {}, mshrMissLatency[kNumCmds] = {};
        std::uint64_t writebacks = 0;
        // Time-weighted occupancy (gem5's tags.occupancies): blocks held
        // now, and their integral over time up to occLastChange.
        double occCurrent = 0, occIntegral = 0;
        Tick occLastChange = 0;
    };
    // The per-command counters printed per requestor.
    enum Field { kHits, kMisses, kMissLatency, kMshrHits, kMshrMisses, kMshrMissLatency };
    static double value(const Row &r, Field f, int cmd);
    // A span of ticks (a latency, a time since a change) as a double. Spans
    // are far below 2^63, where the signed conversion (one instruction)
    // gives the same double as the unsigned one (a test and a branch more).
    static double spanAsDouble(Tick span) { return double(std::int64_t(span)); }

    explicit CacheStats(Cache &cache);
    ~CacheStats();

    // Makes room for requestor `id` (requestors may register late).
    void ensure(std::size_t id) {
        if (id >= rowCount) grow(id + 1);
    }
    bool covers(std::size_t id) const { return id < rowCount; }
    // Requestor `id`'s row; covers(id) must hold (the Cache ensures every
    // requestor whose packet it takes, so every line's owner has a row).
    Row &row(std::size_t id) { return rows[id]; }
    void reset();

    // Printed stats counted on the access path: members (an add each, no
    // pointer chase), added to their groups in gem5's order by the
    // constructor. Elements of the blocked vectors: no_mshrs, no_targets.
    stats::CounterVector blockedCycles{nullptr, "blockedCycles", stats::units::Cycle,
                                       "number of cycles access was blocked"};
    stats::CounterVector blockedCauses{nullptr, "blockedCauses", stats::units::Count,
                                       "number of times access was blocked"};
    stats::Counter replacements{nullptr, "replacements", stats::units::Count, "number of replacements"};
    // Where counted writebacks went other than below (printed when not
    // zero; not gem5 stats). With those still in the write buffer they
    // balance: writebacks = sent + writebacksCachedAbove +
    // writebacksSuperseded. writebacksAbsorbed counts the other side: clean
    // writebacks from above this cache took without an access.
    stats::Counter writebacksCachedAbove{nullptr, "writebacksCachedAbove", stats::units::Count,
                                         "clean writebacks not sent: the line is still cached above (as gem5)"};
    stats::Counter writebacksSuperseded{nullptr, "writebacksSuperseded", stats::units::Count,
                                        "writebacks dropped from the write buffer: a dirty writeback of the line "
                                        "came from above (as gem5)"};
    stats::Counter writebacksAbsorbed{nullptr, "writebacksAbsorbed", stats::units::Count,
                                      "clean writebacks from above taken without an access: a pending writeback "
                                      "or miss of this cache covers the line (as gem5)"};
    stats::Counter tagAccesses{nullptr, "tagAccesses", stats::units::Count, "Number of tag accesses"};
    stats::Counter dataAccesses{nullptr, "dataAccesses", stats::units::Count, "Number of data accesses"};
    stats::Average tagsInUse{nullptr, "tagsInUse", stats::units::rate(stats::units::Tick, stats::units::Count),
                             "Average ticks per tags in use"};
    // gem5's tags.totalRefs / sampledRefs: references of blocks as they
    // leave the tags, and how many left; warmupTick: see Cache::noteWarmup.
    stats::Counter totalRefs{nullptr, "totalRefs", stats::units::Count, "Total number of references to valid blocks."};
    stats::Counter sampledRefs{nullptr, "sampledRefs", stats::units::Count,
                               "Sample count of references to valid blocks."};
    stats::Scalar warmupTick{nullptr, "warmupTick", stats::units::Tick, "The tick when the warmup percentage was hit."};
    Tick occResetTick = 0;
    void occupancyChange(RequestorID id, double delta) {
        Row &r = rows[id];
        const Tick now = curTick();
        r.occIntegral += r.occCurrent * spanAsDouble(now - r.occLastChange);
        r.occLastChange = now;
        r.occCurrent += delta;
    }
    // occupancyChange(id, -1) then (id, +1) in the same tick: the second
    // adds exactly 0 to the integral and the count comes back unchanged.
    void occupancyHold(RequestorID id) {
        Row &r = rows[id];
        const Tick now = curTick();
        r.occIntegral += r.occCurrent * spanAsDouble(now - r.occLastChange);
        r.occLastChange = now;
    }
    double occupancy(std::size_t id) const;

  private:
    [[gnu::noinline]] void grow(std::size_t n);
    double at(Field f, int cmd, std::size_t i) const { return i < rows.size() ? value(rows[i], f, cmd) : 0.0; }
    double sum(Field f, std::size_t i, bool overall) const;
    double sumTotal(Field f, bool overall) const;
    double cmdTotal(int c, Field f) const;

    Cache &cache;
    std::vector<Row> rows;  // one per requestor id
    std::size_t rowCount = 0;  // rows.size(), which would divide by sizeof(Row) on every check

    // Printed stats, in gem5's order.
    std::vector<std::unique_ptr<stats::StatBase>> top;
    struct CmdGroup;
    std::vector<std::unique_ptr<CmdGroup>> cmdGroups;
    std::unique_ptr<stats::Group> tagsGroup;
};

// MemCmd number -> CacheStats::Cmd (-1 for commands a cache does not take).
namespace detail {
struct CacheCmdIndexTable {
    std::int8_t index[256];
    constexpr CacheCmdIndexTable() : index{} {
        for (auto &i : index) i = -1;
        index[unsigned(MemCmd::CleanEvict)] = CacheStats::kCleanEvict;
        index[unsigned(MemCmd::HardPFReq)] = CacheStats::kHardPFReq;
        index[unsigned(MemCmd::ReadCleanReq)] = CacheStats::kReadCleanReq;
        index[unsigned(MemCmd::ReadExReq)] = CacheStats::kReadExReq;
        index[unsigned(MemCmd::ReadReq)] = CacheStats::kReadReq;
        index[unsigned(MemCmd::ReadSharedReq)] = CacheStats::kReadSharedReq;
        index[unsigned(MemCmd::WriteReq)] = CacheStats::kWriteReq;
        index[unsigned(MemCmd::WritebackClean)] = CacheStats::kWritebackClean;
        index[unsigned(MemCmd::WritebackDirty)] = CacheStats::kWritebackDirty;
    }
};
inline constexpr CacheCmdIndexTable kCacheCmdIndex{};
}  // namespace detail

inline int CacheStats::cmdIndex(MemCmd cmd) { return detail::kCacheCmdIndex.index[unsigned(cmd)]; }

}  // namespace npusim
