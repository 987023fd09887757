// The Cache's statistics, with gem5's names, descriptions, flags and
// formulas. Counting happens in plain per-command, per-requestor arrays
// (a few adds per access); the printed vectors and ratios are computed at
// dump time.
#pragma once
#include <array>
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

    struct Counters {
        std::vector<double> hits, misses, missLatency, mshrHits, mshrMisses, mshrMissLatency;
    };
    using Field = std::vector<double> Counters::*;

    explicit CacheStats(Cache &cache);
    ~CacheStats();

    // Makes room for requestor `id` (requestors may register late).
    void ensure(std::size_t id) {
        if (id >= width) grow(id + 1);
    }
    bool covers(std::size_t id) const { return id < width; }
    Counters &of(int cmdIdx) { return counters[std::size_t(cmdIdx)]; }
    void reset();

    // Raw counters.
    std::array<Counters, kNumCmds> counters;
    std::vector<double> writebacks;
    // Printed stats counted on the access path: members (an add each, no
    // pointer chase), added to their groups in gem5's order by the
    // constructor. Elements of the blocked vectors: no_mshrs, no_targets.
    stats::CounterVector blockedCycles{nullptr, "blockedCycles", stats::units::Cycle,
                                       "number of cycles access was blocked"};
    stats::CounterVector blockedCauses{nullptr, "blockedCauses", stats::units::Count,
                                       "number of times access was blocked"};
    stats::Counter replacements{nullptr, "replacements", stats::units::Count, "number of replacements"};
    stats::Counter tagAccesses{nullptr, "tagAccesses", stats::units::Count, "Number of tag accesses"};
    stats::Counter dataAccesses{nullptr, "dataAccesses", stats::units::Count, "Number of data accesses"};
    // Time-weighted occupancy per requestor (gem5's tags.occupancies).
    std::vector<double> occCurrent, occIntegral;
    std::vector<Tick> occLastChange;
    Tick occResetTick = 0;
    void occupancyChange(RequestorID id, double delta) {
        ensure(id);
        const Tick now = curTick();
        occIntegral[id] += occCurrent[id] * double(now - occLastChange[id]);
        occLastChange[id] = now;
        occCurrent[id] += delta;
    }
    // occupancyChange(id, -1) then (id, +1) in the same tick: the second
    // adds exactly 0 to the integral and the count comes back unchanged.
    void occupancyHold(RequestorID id) {
        ensure(id);
        const Tick now = curTick();
        occIntegral[id] += occCurrent[id] * double(now - occLastChange[id]);
        occLastChange[id] = now;
    }
    double occupancy(std::size_t id) const;

  private:
    void grow(std::size_t n);
    double sum(Field f, std::size_t i, bool overall) const;
    double sumTotal(Field f, bool overall) const;
    double cmdTotal(int c, Field f) const;

    Cache &cache;
    std::size_t width = 0;

    // Printed stats, in gem5's order.
    std::vector<std::unique_ptr<stats::StatBase>> top;
    struct CmdGroup;
    std::vector<std::unique_ptr<CmdGroup>> cmdGroups;
    std::unique_ptr<stats::Group> tagsGroup;

  public:
    stats::Average *tagsInUse = nullptr;
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
