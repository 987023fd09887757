// IrregularStreamBufferPrefetcher (ISB): temporal correlation by PC.
//
// The training unit remembers, per PC, the last line that PC touched. Two
// consecutive lines A, B of one PC are correlated by giving them
// consecutive structural addresses: B's becomes S(A) + 1, where a line
// without one gets a fresh chunk of chunk_size structural addresses. The
// physical-to-structural (PS) and structural-to-physical (SP) address map
// caches hold the two directions, prefetch_candidates_per_entry mappings per
// entry, each with a small confidence counter (a mapping that disagrees
// with a new correlation loses confidence before it is moved). On an access
// to line X with structural address S, the lines mapped at S+1 .. S+degree
// are prefetched: a PC's irregular sequence replays in order.
//
// gem5_compat: gem5 v24 looks the successors up only inside X's own SP
// entry (S+d must share S's entry of prefetch_candidates_per_entry
// mappings) and gives up entirely when that entry was evicted, so a stream
// is cut at every multiple of 16 structural addresses. npusim's default
// follows the paper: the next `degree` structural addresses, wherever their
// SP entries are.
//
// Paper: A. Jain, C. Lin, "Linearizing Irregular Memory Accesses for
// Improved Correlated Prefetching", MICRO 2013.
#include "npusim/mem/cache/prefetch/associative_table.hh"
#include "npusim/mem/cache/prefetch/queued.hh"
#include "npusim/mem/cache/prefetch/sat_counter.hh"

namespace npusim {
namespace {

class IrregularStreamBuffer final : public QueuedPrefetcher {
  public:
    explicit IrregularStreamBuffer(const Params &p)
        : QueuedPrefetcher(p),
          chunkSize(p.get<unsigned>("chunk_size")),
          perEntry(p.get<unsigned>("prefetch_candidates_per_entry")),
          degree(p.get<unsigned>("degree")),
          counterBits(p.get<unsigned>("num_counter_bits")),
          gem5Compat(p.get<bool>("gem5_compat", false)),
          trainingUnit(p, "training_unit_entries", "training_unit_assoc", "training_unit_replacement_policy",
                       TrainingEntry{}),
          psAmc(p, "address_map_cache_entries", "address_map_cache_assoc", "ps_address_map_cache_replacement_policy",
                blankAmc(p)),
          spAmc(p, "address_map_cache_entries", "address_map_cache_assoc", "sp_address_map_cache_replacement_policy",
                blankAmc(p)) {
        if (perEntry == 0 || (perEntry & (perEntry - 1)))
            p.error("prefetch_candidates_per_entry", "must be a power of 2");
        if (chunkSize == 0) p.error("chunk_size", "must be at least 1");
        if (degree == 0) p.error("degree", "must be at least 1");
        checkCandidateCount(p, "degree", degree);
        if (counterBits == 0 || counterBits > 16) p.error("num_counter_bits", "must be in [1, 16]");
    }

    void calculatePrefetch(const PrefetchInfo &pfi, std::vector<AddrPriority> &out) override {
        if (!pfi.hasPC()) return;   // ISB correlates by PC
        const Addr pc = pfi.getPC();
        const Addr line = blockIndex(pfi.getAddr());

        // Training: the PC's previous line A precedes this one, B.
        TrainingEntry *t = trainingUnit.find(pc);
        if (t) {
            trainingUnit.touch(t);
            correlate(t->lastLine, line);
        } else {
            t = trainingUnit.insert(pc);
        }
        t->lastLine = line;

        // Prediction from this line's structural address.
        AmcEntry *ps = psAmc.find(line / perEntry);
        if (!ps) return;
        const Mapping &m = ps->map[line % perEntry];
        if (m.counter.get() == 0) return;
        const Addr s = m.address;
        if (gem5Compat) {
            const AmcEntry *sp = spAmc.find(s / perEntry);
            if (!sp) return;
            const Addr idx = s % perEntry;
            for (unsigned d = 1; d <= degree && idx + d < perEntry; ++d) {
                const Mapping &n = sp->map[idx + d];
                if (n.counter.get() > 0) out.emplace_back(n.address << lBlkSize, 0);
            }
            return;
        }
        for (unsigned d = 1; d <= degree; ++d) {
            const AmcEntry *sp = spAmc.find((s + d) / perEntry);
            if (!sp) continue;
            const Mapping &n = sp->map[(s + d) % perEntry];
            if (n.counter.get() > 0) out.emplace_back(n.address << lBlkSize, 0);
        }
    }

  private:
    struct TrainingEntry {
        Addr lastLine = 0;
    };
    struct Mapping {
        Addr address = 0;   // structural address (PS) or line number (SP)
        SatCounter counter;
    };
    struct AmcEntry {
        std::vector<Mapping> map;
    };

    static AmcEntry blankAmc(const Params &p) {
        return AmcEntry{std::vector<Mapping>(p.get<unsigned>("prefetch_candidates_per_entry"),
                                             Mapping{0, SatCounter(p.get<unsigned>("num_counter_bits"))})};
    }

    // The PS mapping of a line, its entry allocated if absent.
    Mapping &psMapping(Addr line) {
        AmcEntry *e = psAmc.findOrInsert(line / perEntry);
        return e->map[line % perEntry];
    }
    // Records structural address s -> line in the SP cache.
    void setSpMapping(Addr s, Addr line) {
        AmcEntry *e = spAmc.findOrInsert(s / perEntry);
        Mapping &m = e->map[s % perEntry];
        m.address = line;
        m.counter.reset();
        ++m.counter;
    }

    void correlate(Addr a, Addr b) {
        Mapping &ma = psMapping(a);
        Mapping &mb = psMapping(b);
        if (ma.counter.get() > 0 && mb.counter.get() > 0) {
            if (mb.address == ma.address + 1) {
                ++mb.counter;
            } else if (mb.counter.get() == 1) {
                // Confidence would reach 0: move B behind A, keeping 1.
                mb.address = ma.address + 1;
                setSpMapping(mb.address, b);
            } else {
                --mb.counter;
            }
            return;
        }
        if (ma.counter.get() == 0) {
            // A starts a new stream in a fresh chunk.
            ++ma.counter;
            ma.address = nextChunk;
            nextChunk += chunkSize;
            setSpMapping(ma.address, a);
        }
        mb.counter.reset();
        ++mb.counter;
        mb.address = ma.address + 1;
        setSpMapping(mb.address, b);
    }

    unsigned chunkSize;
    unsigned perEntry;
    unsigned degree;
    unsigned counterBits;
    bool gem5Compat;
    AssociativeTable<TrainingEntry> trainingUnit;   // keyed by PC
    AssociativeTable<AmcEntry> psAmc;               // keyed by line / prefetch_candidates_per_entry
    AssociativeTable<AmcEntry> spAmc;               // keyed by structural address / the same
    Addr nextChunk = 0;
};

}  // namespace

NPUSIM_REGISTER_SIMOBJECT(IrregularStreamBufferPrefetcher, IrregularStreamBuffer);

}  // namespace npusim
