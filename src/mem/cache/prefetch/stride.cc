// StridePrefetcher (gem5's prefetch::Stride, as in gem5 v24.0): PC-indexed
// reference prediction table (Chen & Baer, "Effective hardware-based data
// prefetching for high-performance processors", IEEE TC 1995).
//
// One table per requestor (use_requestor_id) or one for all, each
// table_entries entries of table_assoc ways, indexed by the PC hashed the
// way gem5's StridePrefetcherHashedSetAssociative does and tagged by the
// whole PC. An entry remembers the last address its PC touched, the last
// stride and a saturating confidence counter of confidence_counter_bits
// bits that starts at initial_confidence.
//
// On an access with a PC (accesses without one are ignored):
//  - table miss: the entry is (re)allocated with the access address;
//  - table hit: stride = addr - last. A repeated non-zero stride raises the
//    confidence; anything else lowers it, and once the confidence is below
//    confidence_threshold percent of its maximum the new stride replaces
//    the stored one. If the confidence (after the update) is at or above
//    the threshold, the prefetcher asks for addr + k * s for
//    k = distance+1 .. distance+degree, where s is the stride just observed
//    rounded up to one line in magnitude.
// As in gem5 v24.0, addresses are byte addresses (not line addresses) and
// the prefetch stride is the stride just observed, also when it did not
// match the stored one (both changed in later gem5 releases).
#include <cstdlib>
#include <unordered_map>

#include "npusim/mem/cache/prefetch/associative_table.hh"
#include "npusim/mem/cache/prefetch/queued.hh"
#include "npusim/mem/cache/prefetch/sat_counter.hh"

namespace npusim {
namespace {

class Stride final : public QueuedPrefetcher {
  public:
    explicit Stride(const Params &p)
        : QueuedPrefetcher(p),
          counterBits(p.get<unsigned>("confidence_counter_bits")),
          initialConfidence(p.get<unsigned>("initial_confidence")),
          threshold(p.get<double>("confidence_threshold") / 100.0),
          useRequestorId(p.get<bool>("use_requestor_id")),
          degree(p.get<int>("degree")),
          distance(p.get<unsigned>("distance")),
          geometry(TableGeometry::fromParams(p, "table_entries", "table_assoc", "table_replacement_policy")),
          hashedIndex(p.get<std::string>("table_indexing_policy") == "StridePrefetcherHashedSetAssociative") {
        if (counterBits == 0 || counterBits > 8) p.error("confidence_counter_bits", "must be in [1, 8]");
        const unsigned maxConfidence = (1u << counterBits) - 1;
        if (initialConfidence > maxConfidence)
            p.error("initial_confidence", "exceeds the largest value of a " + std::to_string(counterBits) +
                                              "-bit counter (" + std::to_string(maxConfidence) + ")");
        if (degree < 0) p.error("degree", "must not be negative");
        checkCandidateCount(p, "degree", degree);
        // gem5's tagShift: log2 of the number of sets (entry_size is 1).
        while ((std::size_t(1) << tagShift) < geometry.sets) ++tagShift;
    }

    void calculatePrefetch(const PrefetchInfo &pfi, std::vector<AddrPriority> &out) override {
        if (!pfi.hasPC()) return;
        const Addr addr = pfi.getAddr();
        const Addr pc = pfi.getPC();
        Table &table = tableFor(useRequestorId ? pfi.getRequestorId() : RequestorID(0));

        Entry *e = table.find(pc);
        if (!e) {
            table.insert(pc)->lastAddr = addr;
            return;
        }
        table.touch(e);

        // gem5 keeps strides in an int.
        const int newStride = int(std::int64_t(addr - e->lastAddr));
        if (newStride == e->stride && newStride != 0) {
            ++e->confidence;
        } else {
            --e->confidence;
            if (e->confidence.saturation() < threshold) e->stride = newStride;
        }
        e->lastAddr = addr;
        if (e->confidence.saturation() < threshold) return;

        std::int64_t step = newStride;
        if (std::llabs(step) < std::int64_t(blkSize)) step = step < 0 ? -std::int64_t(blkSize) : std::int64_t(blkSize);
        Addr next = addr + Addr(std::int64_t(distance) * step);
        for (int d = 1; d <= degree; ++d) {
            next += Addr(step);
            out.emplace_back(next, 0);
        }
    }

  private:
    struct Entry {
        Addr lastAddr = 0;
        int stride = 0;
        SatCounter confidence;
    };
    using Table = AssociativeTable<Entry>;

    // The table of a requestor (of all, without use_requestor_id), created
    // on its first access. A free way is taken before the policy is asked.
    Table &tableFor(RequestorID id) {
        auto it = tables.find(id);
        if (it != tables.end()) return it->second;
        TableOptions options;
        options.victims = VictimChoice::InvalidFirst;
        if (hashedIndex) {
            // gem5's StridePrefetcherHashedSetAssociative::extractSet.
            options.setIndex = [shift = tagShift](std::uint64_t pc) {
                const Addr h1 = pc >> 1;
                return h1 ^ (h1 >> shift);
            };
        }
        const Entry blank{0, 0, SatCounter(counterBits, initialConfidence)};
        return tables.try_emplace(id, geometry, blank, std::move(options)).first->second;
    }

    unsigned counterBits;
    unsigned initialConfidence;
    double threshold;
    bool useRequestorId;
    int degree;
    unsigned distance;
    TableGeometry geometry;
    bool hashedIndex;
    unsigned tagShift = 0;
    std::unordered_map<RequestorID, Table> tables;
};

}  // namespace

NPUSIM_REGISTER_SIMOBJECT(StridePrefetcher, Stride);

}  // namespace npusim
