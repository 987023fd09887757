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

#include "associative_table.hh"
#include "npusim/mem/cache/prefetch/queued.hh"

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
          tableAssoc(p.get<unsigned>("table_assoc")),
          tableEntries(p.get<std::size_t>("table_entries")),
          hashedIndex(p.get<std::string>("table_indexing_policy") == "StridePrefetcherHashedSetAssociative"),
          policy(p.get<BaseReplacementPolicy *>("table_replacement_policy")) {
        if (counterBits == 0 || counterBits > 8) p.error("confidence_counter_bits", "must be in [1, 8]");
        maxConfidence = (1u << counterBits) - 1;
        if (initialConfidence > maxConfidence)
            p.error("initial_confidence", "exceeds the largest value of a " + std::to_string(counterBits) +
                                              "-bit counter (" + std::to_string(maxConfidence) + ")");
        if (degree < 0) p.error("degree", "must not be negative");
        if (tableAssoc == 0) p.error("table_assoc", "must be at least 1");
        if (tableEntries == 0 || tableEntries % tableAssoc)
            p.error("table_entries", "must be a non-zero multiple of table_assoc");
        const std::size_t sets = tableEntries / tableAssoc;
        if (sets & (sets - 1)) p.error("table_entries", "table_entries / table_assoc must be a power of 2");
        // gem5's tagShift: log2 of the number of sets (entry_size is 1).
        while ((std::size_t(1) << tagShift) < sets) ++tagShift;
    }

    void calculatePrefetch(const PrefetchInfo &pfi, std::vector<AddrPriority> &out) override {
        if (!pfi.hasPC()) return;
        const Addr addr = pfi.getAddr();
        const Addr pc = pfi.getPC();
        Table &table = tableFor(useRequestorId ? pfi.getRequestorId() : RequestorID(0));

        Entry *e = table.find(pc);
        if (!e) {
            e = table.findVictim(pc);
            e->lastAddr = addr;
            table.insert(pc, e);
            return;
        }
        table.access(e);

        // gem5 keeps strides in an int.
        const int newStride = int(std::int64_t(addr - e->lastAddr));
        if (newStride == e->stride && newStride != 0) {
            if (e->confidence < maxConfidence) ++e->confidence;
        } else {
            if (e->confidence > 0) --e->confidence;
            if (saturation(e->confidence) < threshold) e->stride = newStride;
        }
        e->lastAddr = addr;
        if (saturation(e->confidence) < threshold) return;

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
        bool valid = false;
        Addr key = 0;        // the PC
        Addr lastAddr = 0;
        int stride = 0;
        unsigned confidence = 0;
    };
    using Table = pfa::AssociativeTable<Entry>;

    double saturation(unsigned c) const { return double(c) / double(maxConfidence); }

    Table &tableFor(RequestorID id) {
        auto it = tables.find(id);
        if (it != tables.end()) return it->second;
        Table &t = tables[id];
        Entry proto;
        proto.confidence = initialConfidence;
        const unsigned shift = tagShift;
        if (hashedIndex) {
            // gem5's StridePrefetcherHashedSetAssociative::extractSet.
            t.init(name(), "PC table", tableEntries, tableAssoc, policy, proto,
                   [shift](Addr pc, std::size_t mask) {
                       const Addr h1 = pc >> 1;
                       return std::size_t((h1 ^ (h1 >> shift)) & mask);
                   });
        } else {
            t.init(name(), "PC table", tableEntries, tableAssoc, policy, proto);
        }
        return t;
    }

    unsigned counterBits;
    unsigned initialConfidence;
    unsigned maxConfidence = 0;
    double threshold;
    bool useRequestorId;
    int degree;
    unsigned distance;
    unsigned tableAssoc;
    std::size_t tableEntries;
    bool hashedIndex;
    unsigned tagShift = 0;
    BaseReplacementPolicy *policy;
    std::unordered_map<RequestorID, Table> tables;
};

}  // namespace

NPUSIM_REGISTER_SIMOBJECT(StridePrefetcher, Stride);

}  // namespace npusim
