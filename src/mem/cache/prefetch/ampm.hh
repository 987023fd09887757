// AccessMapPatternMatching: the access-map engine that AMPMPrefetcher
// (ampm.cc) and SlimAMPMPrefetcher (slim_ampm.cc) share, gem5's
// prefetch::AccessMapPatternMatching. Private to those two files.
//
// Memory is split into hot zones of hot_zone_size bytes; the access map
// table keeps, per recently used zone, a 2-bit state per line (Init,
// Prefetch, Access). On each observed access the current zone's line turns
// Access, and the maps of the zone and its two neighbours are matched
// against strides 1 .. lines_per_zone/2 - 1 (or limit_stride): for stride s,
// if the lines at +s and at +2s (or +2s+1) were accessed, the line at -s is
// a candidate (a descending stream), and symmetrically the line at +s for
// accesses at -s and -2s (or -2s+1) (an ascending stream). Candidates turn
// Prefetch. Every epoch_cycles the degree (candidates per access) adapts to
// the prefetch accuracy, coverage and hit ratio measured on the map.
//
// Paper: Y. Ishii, M. Inaba, K. Hiraki, "Access Map Pattern Matching for
// Data Cache Prefetch", ICS 2009 (and JILP 13, 2011).
#pragma once
#include <cstdint>
#include <vector>

#include "npusim/mem/cache/prefetch/associative_table.hh"
#include "npusim/mem/cache/prefetch/queued.hh"
#include "npusim/sim/eventq.hh"

namespace npusim {

class AccessMapPatternMatching final : public ClockedObject {
  public:
    explicit AccessMapPatternMatching(const Params &p);

    void startup() override;

    // Called by the owning prefetcher once it knows the cache's line size,
    // its page size, and whether gem5's exact behaviour is wanted.
    void configure(unsigned lineSize, Addr pageSize, bool gem5Compat);
    void calculatePrefetch(const PrefetchInfo &pfi, std::vector<AddrPriority> &out);

    unsigned currentDegree() const { return degree; }
    unsigned linesPerZone() const { return lines; }

  private:
    enum State : std::uint8_t { kInit = 0, kPrefetch = 1, kAccess = 2, kInvalid = 3 };
    struct Zone {
        std::vector<State> states;
    };

    Zone *zone(Addr zoneNumber);
    void setState(Zone &z, unsigned line, State s);
    bool isCandidate(Addr pos, int stride) const;
    void processEpoch();

    // Parameters (gem5's names in comments where they differ).
    unsigned limitStride;
    unsigned startDegree;
    Addr hotZoneSize;
    double highCoverage, lowCoverage, highAccuracy, lowAccuracy, highHit, lowHit;
    Cycles epochCycles;
    Tick offChipLatency;

    unsigned blkSize = 0;
    Addr pageBytes = 4096;
    unsigned lines = 0;         // lines per zone
    bool compat = false;
    std::unique_ptr<AssociativeTable<Zone>> table;   // keyed by zone number
    std::vector<State> window;  // the three zones' states, reused per access

    // Epoch counters (gem5's names).
    std::uint64_t numGoodPrefetches = 0, numTotalPrefetches = 0, numRawCacheMisses = 0, numRawCacheHits = 0;
    unsigned degree;
    unsigned usefulDegree;
    MemberEvent<AccessMapPatternMatching, &AccessMapPatternMatching::processEpoch> epochEvent;

    // Geometry kept for configure().
    TableGeometry tableGeometry;
};

// A prefetcher driven by an AccessMapPatternMatching engine (AMPMPrefetcher,
// SlimAMPMPrefetcher): takes the engine from the `ampm` parameter and keeps
// it configured with this prefetcher's line size, page size and
// `gem5_compat`.
class AccessMapPrefetcher : public QueuedPrefetcher {
  public:
    explicit AccessMapPrefetcher(const Params &p);
    void setCache(CacheAccessor *owner, unsigned lineSize) override;

  protected:
    AccessMapPatternMatching *ampm;
    bool gem5Compat;
};

}  // namespace npusim
