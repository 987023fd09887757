// AMPMPrefetcher: access map pattern matching (see ampm.hh for the engine).
//
// Two behaviours, chosen by the prefetcher's gem5_compat parameter:
//  - default (the paper): a candidate must still be in the Init state and in
//    the accessed line's page, and the degree adapts by +-1 per epoch
//    within [1, candidate positions];
//  - gem5_compat: gem5 v24 exactly. Any line of a valid zone can be a
//    candidate (already accessed or prefetched lines are issued again, and
//    an accessed line falls back to Prefetch; lines of other pages are
//    proposed, dropped by the queue, and stay marked), and the degree is
//    min(requests in the epoch * offchip_memory_latency / epoch length,
//    useful degree) in unsigned arithmetic: it is 0 whenever fewer than
//    epoch/latency requests were seen, and a degree of 0 means no limit at
//    all; the useful degree wraps around below 0.
#include "ampm.hh"

#include <algorithm>
#include <cmath>
#include <string>
#include <tuple>

namespace npusim {

AccessMapPatternMatching::AccessMapPatternMatching(const Params &p)
    : ClockedObject(p),
      limitStride(p.get<unsigned>("limit_stride", 0)),
      startDegree(p.get<unsigned>("start_degree", 4)),
      hotZoneSize(p.get<Addr>("hot_zone_size", 2048)),
      highCoverage(p.get<double>("high_coverage_threshold", 0.25)),
      lowCoverage(p.get<double>("low_coverage_threshold", 0.125)),
      highAccuracy(p.get<double>("high_accuracy_threshold", 0.5)),
      lowAccuracy(p.get<double>("low_accuracy_threshold", 0.25)),
      highHit(p.get<double>("high_cache_hit_threshold", 0.875)),
      lowHit(p.get<double>("low_cache_hit_threshold", 0.75)),
      epochCycles(p.get<Cycles>("epoch_cycles", Cycles(256000))),
      offChipLatency(p.get<Tick>("offchip_memory_latency", 30000)),
      degree(startDegree),
      usefulDegree(startDegree),
      epochEvent(this),
      tableGeometry(TableGeometry::fromParams(p, "access_map_table_entries", "access_map_table_assoc",
                                              "access_map_table_replacement_policy")) {
    if (hotZoneSize == 0 || (hotZoneSize & (hotZoneSize - 1)))
        p.error("hot_zone_size", "must be a power of 2");
    if (startDegree == 0) p.error("start_degree", "must be at least 1");
    if (epochCycles.value() == 0) p.error("epoch_cycles", "must be at least 1");
    for (auto [low, high, lowName, highName] :
         {std::tuple{lowCoverage, highCoverage, "low_coverage_threshold", "high_coverage_threshold"},
          std::tuple{lowAccuracy, highAccuracy, "low_accuracy_threshold", "high_accuracy_threshold"},
          std::tuple{lowHit, highHit, "low_cache_hit_threshold", "high_cache_hit_threshold"}}) {
        if (!(low >= 0 && low <= 1)) p.error(lowName, "must be a ratio in [0, 1], got " + std::to_string(low));
        if (!(high >= 0 && high <= 1)) p.error(highName, "must be a ratio in [0, 1], got " + std::to_string(high));
        if (low > high) p.error(lowName, std::string("must not exceed ") + highName);
    }
    configure(p.get<unsigned>("block_size", 64), 4096, false);
}

void AccessMapPatternMatching::configure(unsigned lineSize, Addr pageSize, bool gem5Compat) {
    compat = gem5Compat;
    pageBytes = pageSize;
    if (lineSize == blkSize && table) return;
    if (lineSize == 0 || hotZoneSize < 4 * Addr(lineSize))
        fatal(name(), ".hot_zone_size: ", hotZoneSize, " bytes hold fewer than 4 lines of ", lineSize, " bytes");
    blkSize = lineSize;
    lines = unsigned(hotZoneSize / lineSize);
    if (limitStride != 0 && limitStride + 1 > lines / 2)
        fatal(name(), ".limit_stride: ", limitStride, " is too large for ", lines,
              " lines per hot zone (at most ", lines / 2 - 1, ")");
    Zone blank;
    blank.states.assign(lines, kInit);
    table = std::make_unique<AssociativeTable<Zone>>(tableGeometry, blank);
    window.assign(3 * std::size_t(lines), kInvalid);
}

void AccessMapPatternMatching::startup() {
    schedule(epochEvent, clockEdge(epochCycles));
}

void AccessMapPatternMatching::processEpoch() {
    schedule(epochEvent, clockEdge(epochCycles));
    const double accuracy = double(numGoodPrefetches) / double(numTotalPrefetches);
    const double coverage = double(numGoodPrefetches) / double(numRawCacheMisses);
    const double hitRatio = double(numRawCacheHits) / double(numRawCacheHits + numRawCacheMisses);

    // The feedback rules (NaN ratios compare false, as in gem5).
    const bool raise = coverage > highCoverage && (accuracy > highAccuracy || hitRatio < lowHit);
    const bool lower = (coverage < lowCoverage && (accuracy < lowAccuracy || hitRatio > highHit)) ||
                       (accuracy < lowAccuracy && hitRatio > highHit);
    if (compat) {
        if (raise) usefulDegree += 1;
        else if (lower) usefulDegree -= 1;   // unsigned: wraps below 0 as in gem5
        const double requests = double(numRawCacheMisses - numGoodPrefetches + numTotalPrefetches);
        const double bandwidth = requests * double(offChipLatency) / double(cyclesToTicks(epochCycles));
        degree = std::min(unsigned(bandwidth), usefulDegree);
    } else {
        const unsigned maxStride = limitStride == 0 ? lines / 2 : limitStride + 1;
        const unsigned maxDegree = 2 * (maxStride - 1);
        if (raise && usefulDegree < maxDegree) usefulDegree += 1;
        else if (lower && usefulDegree > 1) usefulDegree -= 1;
        degree = usefulDegree;
    }
    numGoodPrefetches = numTotalPrefetches = numRawCacheMisses = numRawCacheHits = 0;
}

AccessMapPatternMatching::Zone *AccessMapPatternMatching::zone(Addr zoneNumber) {
    return table->findOrInsert(zoneNumber);
}

void AccessMapPatternMatching::setState(Zone &z, unsigned line, State s) {
    const State old = z.states[line];
    z.states[line] = s;
    if (s == kInit) return;
    if (old == kInit) {
        if (s == kPrefetch) ++numTotalPrefetches;
        else if (s == kAccess) ++numRawCacheMisses;
    } else if (old == kPrefetch) {
        if (s == kAccess) {
            ++numGoodPrefetches;
            ++numRawCacheMisses;
        }
    } else if (old == kAccess) {
        if (s == kAccess) ++numRawCacheHits;
    }
}

// pos is the accessed line's index in the three-zone window. With stride
// s > 0 this tests the descending case (target pos - s, evidence at pos + s
// and pos + 2s or pos + 2s + 1); with s < 0 the ascending one.
bool AccessMapPatternMatching::isCandidate(Addr pos, int stride) const {
    const State target = window[std::size_t(std::int64_t(pos) - stride)];
    const State near = window[std::size_t(std::int64_t(pos) + stride)];
    const State far = window[std::size_t(std::int64_t(pos) + 2 * stride)];
    const State farNext = window[std::size_t(std::int64_t(pos) + 2 * stride + 1)];
    const bool targetOk = compat ? target != kInvalid : target == kInit;
    return targetOk && near == kAccess && (far == kAccess || farNext == kAccess);
}

void AccessMapPatternMatching::calculatePrefetch(const PrefetchInfo &pfi, std::vector<AddrPriority> &out) {
    const Addr zoneNumber = pfi.getAddr() / hotZoneSize;
    const unsigned line = unsigned((pfi.getAddr() % hotZoneSize) / blkSize);
    const Addr lastZone = ~Addr(0) / hotZoneSize;

    // The zone and its neighbours, allocated if absent (in this order, so
    // that the replacement state sees the same touches as gem5's).
    Zone *curr = zone(zoneNumber);
    Zone *prev = zoneNumber > 0 ? zone(zoneNumber - 1) : nullptr;
    Zone *next = zoneNumber < lastZone ? zone(zoneNumber + 1) : nullptr;
    setState(*curr, line, kAccess);

    // A snapshot of the three maps: candidates marked below do not change
    // what the remaining strides see.
    for (unsigned i = 0; i < lines; ++i) {
        window[i] = prev ? prev->states[i] : kInvalid;
        window[lines + i] = curr->states[i];
        window[2 * lines + i] = next ? next->states[i] : kInvalid;
    }
    const Addr pos = Addr(lines) + line;
    const int maxStride = limitStride == 0 ? int(lines / 2) : int(limitStride) + 1;
    const Addr base = zoneNumber * hotZoneSize;
    const Addr page = pfi.getAddr() / pageBytes;
    // Proposes line l of zone z (marking it Prefetch). The paper's map
    // proposes only lines the hardware can fetch: not those of another page,
    // which the queue would drop after the map had marked them (they would
    // then never be proposed again). gem5 proposes and marks them.
    auto propose = [&](Zone &z, Addr zoneBase, unsigned l) {
        const Addr addr = zoneBase + Addr(l) * blkSize;
        if (!compat && addr / pageBytes != page) return;
        out.emplace_back(addr, 0);
        setState(z, l, kPrefetch);
    };
    for (int s = 1; s < maxStride; ++s) {
        if (isCandidate(pos, s)) {
            // Descending stream: the line s below.
            if (unsigned(s) > line) propose(*prev, base - hotZoneSize, unsigned(pos - Addr(s)));
            else propose(*curr, base, line - unsigned(s));
            if (out.size() == degree) break;
        }
        if (isCandidate(pos, -s)) {
            // Ascending stream: the line s above.
            if (line + unsigned(s) >= lines) propose(*next, base + hotZoneSize, (line + unsigned(s)) % lines);
            else propose(*curr, base, line + unsigned(s));
            if (out.size() == degree) break;
        }
    }
}

AccessMapPrefetcher::AccessMapPrefetcher(const Params &p)
    : QueuedPrefetcher(p),
      ampm(p.get<AccessMapPatternMatching *>("ampm")),
      gem5Compat(p.get<bool>("gem5_compat", false)) {
    if (!ampm) p.error("ampm", "an AccessMapPatternMatching object is required");
    ampm->configure(blkSize, pageBytes, gem5Compat);
}

void AccessMapPrefetcher::setCache(CacheAccessor *owner, unsigned lineSize) {
    QueuedPrefetcher::setCache(owner, lineSize);
    ampm->configure(blkSize, pageBytes, gem5Compat);
}

namespace {

class AMPM final : public AccessMapPrefetcher {
  public:
    using AccessMapPrefetcher::AccessMapPrefetcher;

    void calculatePrefetch(const PrefetchInfo &pfi, std::vector<AddrPriority> &out) override {
        ampm->calculatePrefetch(pfi, out);
    }
};

}  // namespace

NPUSIM_REGISTER_SIMOBJECT(AccessMapPatternMatching, AccessMapPatternMatching);
NPUSIM_REGISTER_SIMOBJECT(AMPMPrefetcher, AMPM);

}  // namespace npusim
