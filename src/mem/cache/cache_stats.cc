#include "cache_stats.hh"

#include <cmath>

#include "npusim/mem/cache/cache.hh"
#include "npusim/mem/requestors.hh"

namespace npusim {

using namespace stats;

namespace {
const char *const kCmdNames[CacheStats::kNumCmds] = {
    "CleanEvict", "HardPFReq", "ReadCleanReq", "ReadExReq", "ReadReq", "ReadSharedReq", "WriteReq",
    "WritebackClean", "WritebackDirty"};
// gem5's "demand" commands; the only non-demand one a cache receives here
// is its own prefetcher's HardPFReq.
const int kDemandCmds[] = {CacheStats::kReadReq, CacheStats::kWriteReq, CacheStats::kReadExReq,
                           CacheStats::kReadCleanReq, CacheStats::kReadSharedReq};
const std::string kTickPerCount = units::rate(units::Tick, units::Count);

std::string join(const std::string &prefix, const std::string &name) {
    return prefix.empty() ? name : prefix + "." + name;
}
}  // namespace

RequestorVector::RequestorVector(Group *parent, std::string name, std::string unit, std::string desc, Elem e,
                                 Total t, unsigned f)
    : StatBase(parent, std::move(name), std::move(unit), std::move(desc)), elem(std::move(e)), total(std::move(t)) {
    flags(f);
}

bool RequestorVector::skip(double v) const {
    if ((displayFlags & kNoZero) && (v == 0.0 || std::isnan(v))) return true;
    if ((displayFlags & kNoNan) && std::isnan(v)) return true;
    return false;
}

void RequestorVector::collect(const std::string &prefix, std::vector<Row> &out) const {
    const std::string base = join(prefix, statName);
    const auto &names = requestorNames();
    for (std::size_t i = 0; i < names.size(); ++i) {
        double v = elem(i);
        if (!skip(v)) emit(out, base + "::" + names[i], v);
    }
    if (displayFlags & kTotal) {
        double t = total();
        if (!skip(t)) emit(out, base + "::total", t);
    }
}

struct CacheStats::CmdGroup : public Group {
    CmdGroup(CacheStats &s, Group *parent, int c)
        : Group(parent, kCmdNames[c]) {
        const std::string n = kCmdNames[c];
        const unsigned fl = kTotal | kNoZero | kNoNan;
        auto field = [&s, c](Field f) {
            return [&s, c, f](std::size_t i) { return s.at(f, c, i); };
        };
        auto total = [&s, c](Field f) { return [&s, c, f] { return s.cmdTotal(c, f); }; };
        auto acc = [&s, c](std::size_t i) { return s.at(kHits, c, i) + s.at(kMisses, c, i); };
        auto accTotal = [&s, c] { return s.cmdTotal(c, kHits) + s.cmdTotal(c, kMisses); };
        auto ratio = [&s, c, acc](Field num) {
            return [&s, c, num, acc](std::size_t i) { return s.at(num, c, i) / acc(i); };
        };
        auto ratioTotal = [&s, c, accTotal](Field num) {
            return [&s, c, num, accTotal] { return s.cmdTotal(c, num) / accTotal(); };
        };
        auto per = [&s, c](Field num, Field den) {
            return [&s, c, num, den](std::size_t i) { return s.at(num, c, i) / s.at(den, c, i); };
        };
        auto perTotal = [&s, c](Field num, Field den) {
            return [&s, c, num, den] { return s.cmdTotal(c, num) / s.cmdTotal(c, den); };
        };
        add(std::make_unique<RequestorVector>(this, "hits", units::Count, "number of " + n + " hits",
                                              field(kHits), total(kHits), fl));
        add(std::make_unique<RequestorVector>(this, "misses", units::Count, "number of " + n + " misses",
                                              field(kMisses), total(kMisses), fl));
        add(std::make_unique<RequestorVector>(this, "missLatency", units::Tick, "number of " + n + " miss ticks",
                                              field(kMissLatency), total(kMissLatency), fl));
        add(std::make_unique<RequestorVector>(this, "accesses", units::Count,
                                              "number of " + n + " accesses(hits+misses)", acc, accTotal, fl));
        add(std::make_unique<RequestorVector>(this, "missRate", units::Ratio, "miss rate for " + n + " accesses",
                                              ratio(kMisses), ratioTotal(kMisses), fl));
        add(std::make_unique<RequestorVector>(this, "avgMissLatency", kTickPerCount,
                                              "average " + n + " miss latency",
                                              per(kMissLatency, kMisses),
                                              perTotal(kMissLatency, kMisses), fl));
        add(std::make_unique<RequestorVector>(this, "mshrHits", units::Count, "number of " + n + " MSHR hits",
                                              field(kMshrHits), total(kMshrHits), fl));
        add(std::make_unique<RequestorVector>(this, "mshrMisses", units::Count, "number of " + n + " MSHR misses",
                                              field(kMshrMisses), total(kMshrMisses), fl));
        add(std::make_unique<RequestorVector>(this, "mshrMissLatency", units::Tick,
                                              "number of " + n + " MSHR miss ticks",
                                              field(kMshrMissLatency), total(kMshrMissLatency),
                                              fl));
        add(std::make_unique<RequestorVector>(this, "mshrMissRate", units::Ratio,
                                              "mshr miss rate for " + n + " accesses",
                                              ratio(kMshrMisses), ratioTotal(kMshrMisses), fl));
        add(std::make_unique<RequestorVector>(this, "avgMshrMissLatency", kTickPerCount,
                                              "average " + n + " mshr miss latency",
                                              per(kMshrMissLatency, kMshrMisses),
                                              perTotal(kMshrMissLatency, kMshrMisses), fl));
    }
    void add(std::unique_ptr<StatBase> s) { owned.push_back(std::move(s)); }
    std::vector<std::unique_ptr<StatBase>> owned;
};

CacheStats::CacheStats(Cache &c) : cache(c) {
    const unsigned fl = kTotal | kNoZero | kNoNan;
    auto vec = [&](const char *name, const std::string &unit, const char *desc, RequestorVector::Elem e,
                   RequestorVector::Total t, unsigned flags) {
        top.push_back(std::make_unique<RequestorVector>(&cache, name, unit, desc, std::move(e), std::move(t), flags));
    };
    auto sumOf = [this](Field f, bool overall) {
        return [this, f, overall](std::size_t i) { return sum(f, i, overall); };
    };
    auto totalOf = [this](Field f, bool overall) { return [this, f, overall] { return sumTotal(f, overall); }; };
    auto accesses = [this](bool overall) {
        return [this, overall](std::size_t i) { return sum(kHits, i, overall) + sum(kMisses, i, overall); };
    };
    auto accessesTotal = [this](bool overall) {
        return [this, overall] { return sumTotal(kHits, overall) + sumTotal(kMisses, overall); };
    };
    auto ratio = [this, accesses](Field num, bool overall) {
        auto acc = accesses(overall);
        return [this, num, overall, acc](std::size_t i) { return sum(num, i, overall) / acc(i); };
    };
    auto ratioTotal = [this, accessesTotal](Field num, bool overall) {
        auto acc = accessesTotal(overall);
        return [this, num, overall, acc] { return sumTotal(num, overall) / acc(); };
    };
    auto per = [this](Field num, Field den, bool overall) {
        return [this, num, den, overall](std::size_t i) { return sum(num, i, overall) / sum(den, i, overall); };
    };
    auto perTotal = [this](Field num, Field den, bool overall) {
        return [this, num, den, overall] { return sumTotal(num, overall) / sumTotal(den, overall); };
    };

    vec("demandHits", units::Count, "number of demand (read+write) hits", sumOf(kHits, false),
        totalOf(kHits, false), fl);
    vec("overallHits", units::Count, "number of overall hits", sumOf(kHits, true),
        totalOf(kHits, true), fl);
    vec("demandMisses", units::Count, "number of demand (read+write) misses", sumOf(kMisses, false),
        totalOf(kMisses, false), fl);
    vec("overallMisses", units::Count, "number of overall misses", sumOf(kMisses, true),
        totalOf(kMisses, true), fl);
    vec("demandMissLatency", units::Tick, "number of demand (read+write) miss ticks",
        sumOf(kMissLatency, false), totalOf(kMissLatency, false), fl);
    vec("overallMissLatency", units::Tick, "number of overall miss ticks", sumOf(kMissLatency, true),
        totalOf(kMissLatency, true), fl);
    vec("demandAccesses", units::Count, "number of demand (read+write) accesses", accesses(false),
        accessesTotal(false), fl);
    vec("overallAccesses", units::Count, "number of overall (read+write) accesses", accesses(true),
        accessesTotal(true), fl);
    vec("demandMissRate", units::Ratio, "miss rate for demand accesses", ratio(kMisses, false),
        ratioTotal(kMisses, false), fl);
    vec("overallMissRate", units::Ratio, "miss rate for overall accesses", ratio(kMisses, true),
        ratioTotal(kMisses, true), fl);
    vec("demandAvgMissLatency", kTickPerCount, "average overall miss latency in ticks",
        per(kMissLatency, kMisses, false),
        perTotal(kMissLatency, kMisses, false), fl);
    vec("overallAvgMissLatency", kTickPerCount, "average overall miss latency",
        per(kMissLatency, kMisses, true),
        perTotal(kMissLatency, kMisses, true), fl);

    cache.addStat(&blockedCycles);
    blockedCycles.init(2).subname(0, "no_mshrs").subname(1, "no_targets");
    cache.addStat(&blockedCauses);
    blockedCauses.init(2).subname(0, "no_mshrs").subname(1, "no_targets");
    auto *avgBlocked = new VectorFormula(&cache, "avgBlocked", units::rate(units::Cycle, units::Count),
                                         "average number of cycles each access was blocked");
    top.emplace_back(avgBlocked);
    avgBlocked->subnames({"no_mshrs", "no_targets"});
    avgBlocked->define(
        [this] {
            return std::vector<double>{blockedCycles.value(0) / blockedCauses.value(0),
                                       blockedCycles.value(1) / blockedCauses.value(1)};
        },
        nullptr);

    vec("writebacks", units::Count, "number of writebacks",
        [this](std::size_t i) { return i < rows.size() ? double(rows[i].writebacks) : 0.0; },
        [this] {
            double t = 0;
            for (const Row &r : rows) t += double(r.writebacks);
            return t;
        },
        fl);
    for (stats::Counter *c : {&writebacksCachedAbove, &writebacksSuperseded, &writebacksAbsorbed}) {
        c->flags(kNoZero);
        cache.addStat(c);
    }
    vec("demandMshrHits", units::Count, "number of demand (read+write) MSHR hits", sumOf(kMshrHits, false),
        totalOf(kMshrHits, false), fl);
    vec("overallMshrHits", units::Count, "number of overall MSHR hits", sumOf(kMshrHits, true),
        totalOf(kMshrHits, true), fl);
    vec("demandMshrMisses", units::Count, "number of demand (read+write) MSHR misses",
        sumOf(kMshrMisses, false), totalOf(kMshrMisses, false), fl);
    vec("overallMshrMisses", units::Count, "number of overall MSHR misses", sumOf(kMshrMisses, true),
        totalOf(kMshrMisses, true), fl);
    vec("demandMshrMissLatency", units::Tick, "number of demand (read+write) MSHR miss ticks",
        sumOf(kMshrMissLatency, false), totalOf(kMshrMissLatency, false), fl);
    vec("overallMshrMissLatency", units::Tick, "number of overall MSHR miss ticks",
        sumOf(kMshrMissLatency, true), totalOf(kMshrMissLatency, true), fl);
    vec("demandMshrMissRate", units::Ratio, "mshr miss ratio for demand accesses", ratio(kMshrMisses, false),
        ratioTotal(kMshrMisses, false), fl);
    vec("overallMshrMissRate", units::Ratio, "mshr miss ratio for overall accesses", ratio(kMshrMisses, true),
        ratioTotal(kMshrMisses, true), fl);
    vec("demandAvgMshrMissLatency", kTickPerCount, "average overall mshr miss latency",
        per(kMshrMissLatency, kMshrMisses, false),
        perTotal(kMshrMissLatency, kMshrMisses, false), fl);
    vec("overallAvgMshrMissLatency", kTickPerCount, "average overall mshr miss latency",
        per(kMshrMissLatency, kMshrMisses, true),
        perTotal(kMshrMissLatency, kMshrMisses, true), fl);
    cache.addStat(&replacements);

    for (int cmd = 0; cmd < kNumCmds; ++cmd) cmdGroups.push_back(std::make_unique<CmdGroup>(*this, &cache, cmd));

    tagsGroup = std::make_unique<Group>(&cache, "tags");
    tagsGroup->addStat(&tagsInUse);
    tagsGroup->addStat(&totalRefs);
    tagsGroup->addStat(&sampledRefs);
    // No nonan: gem5 prints nan while no block has left the tags.
    top.push_back(std::make_unique<Formula>(tagsGroup.get(), "avgRefs", units::rate(units::Count, units::Count),
                                            "Average number of references to valid blocks.",
                                            [this] { return totalRefs.value() / sampledRefs.value(); }));
    tagsGroup->addStat(&warmupTick);
    top.push_back(std::make_unique<RequestorVector>(
        tagsGroup.get(), "occupancies", units::rate(units::Count, units::Tick),
        "Average occupied blocks per tick, per requestor", [this](std::size_t i) { return occupancy(i); },
        [] { return 0.0; }, kNoZero));
    top.push_back(std::make_unique<RequestorVector>(
        tagsGroup.get(), "avgOccs", units::rate(units::Ratio, units::Tick), "Average percentage of cache occupancy",
        [this](std::size_t i) { return occupancy(i) / double(cache.numBlocks()); },
        [this] {
            double t = 0;
            for (std::size_t i = 0; i < rows.size(); ++i) t += occupancy(i);
            return t / double(cache.numBlocks());
        },
        kNoZero | kTotal));
    tagsGroup->addStat(&tagAccesses);
    tagsGroup->addStat(&dataAccesses);
}

CacheStats::~CacheStats() = default;

double CacheStats::value(const Row &r, Field f, int cmd) {
    switch (f) {
    case kHits: return double(r.hits[cmd]);
    case kMisses: return double(r.misses[cmd]);
    case kMissLatency: return r.missLatency[cmd];
    case kMshrHits: return double(r.mshrHits[cmd]);
    case kMshrMisses: return double(r.mshrMisses[cmd]);
    case kMshrMissLatency: return r.mshrMissLatency[cmd];
    }
    return 0.0;
}

void CacheStats::grow(std::size_t n) {
    Row fresh;
    fresh.occLastChange = occResetTick;
    rows.resize(n, fresh);
    rowCount = n;
}

double CacheStats::sum(Field f, std::size_t i, bool overall) const {
    double s = 0;
    for (int c : kDemandCmds) s += at(f, c, i);
    if (overall) s += at(f, kHardPFReq, i);
    return s;
}

double CacheStats::cmdTotal(int c, Field f) const {
    double s = 0;
    for (const Row &r : rows) s += value(r, f, c);
    return s;
}

double CacheStats::sumTotal(Field f, bool overall) const {
    double s = 0;
    for (int c : kDemandCmds) s += cmdTotal(c, f);
    if (overall) s += cmdTotal(kHardPFReq, f);
    return s;
}

double CacheStats::occupancy(std::size_t id) const {
    if (id >= rows.size()) return 0.0;
    const Row &r = rows[id];
    const Tick now = curTick();
    const Tick span = now - occResetTick;
    const double integral = r.occIntegral + r.occCurrent * double(now - r.occLastChange);
    return span ? integral / double(span) : r.occCurrent;
}

void CacheStats::reset() {
    occResetTick = curTick();
    for (Row &r : rows) {
        const double held = r.occCurrent;  // blocks stay where they are
        r = Row{};
        r.occCurrent = held;
        r.occLastChange = occResetTick;
    }
}

}  // namespace npusim
