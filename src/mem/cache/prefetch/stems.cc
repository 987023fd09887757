// STeMSPrefetcher: spatio-temporal memory streaming.
//
// Memory is split into spatial regions. The first access to a region not
// being recorded (a trigger) opens a generation in the active generation
// table (AGT) and appends (region, PC + trigger offset, accesses since the
// previous trigger) to the region miss order buffer (RMOB), the temporal
// record of triggers. Later accesses to the region add their line offsets
// to the generation, each with its interleaving distance (accesses to other
// regions since this region's previous access). A generation ends when one
// of its lines leaves the cache; its spatial sequence then trains the
// pattern sequence table (PST) entry of its PC and trigger offset.
//
// On a trigger miss, the RMOB is searched for the previous trigger of the
// missing line's region, and the stream that followed is reconstructed in a buffer
// of reconstruction_entries slots: each later trigger at its temporal
// position, and, around each, the lines its PST entry predicts (2-bit
// counters above 1) at their interleaving distances. The buffer, in order,
// is the list of prefetches.
//
// gem5_compat reproduces gem5 v24, whose implementation departs from the
// paper in ways that make it prefetch almost only useless lines (accuracy
// under 1% on the reference kernels):
//  - a trigger is appended to the RMOB before the search, so a trigger miss
//    finds itself and replays nothing of the previous stream; and every
//    miss, not only a trigger miss, starts a replay;
//  - the stream replays the base address of each later region instead of
//    its trigger line;
//  - PST offsets (in lines) are added to the region base as bytes;
//  - the end of a generation is detected by polling, on each access, the
//    lines at trigger address + offset * line size (the trigger address is
//    not region aligned), so generations end at once;
//  - the PST key at the end of a generation uses the offset of the first
//    line found missing, not the trigger's;
//  - a repeated offset in a generation bumps its counter and is also added
//    again as a new entry; and a generation overwrites its PST entry
//    instead of training its counters.
// By default npusim follows the paper on each of these points, and learns
// that a generation ended from the cache's eviction notices.
//
// Paper: S. Somogyi, T. F. Wenisch, A. Ailamaki, B. Falsafi,
// "Spatio-Temporal Memory Streaming", ISCA 2009.
#include <bit>
#include <unordered_map>

#include "npusim/mem/cache/prefetch/associative_table.hh"
#include "npusim/mem/cache/prefetch/queued.hh"
#include "npusim/mem/cache/prefetch/sat_counter.hh"

namespace npusim {
namespace {

class STeMS final : public QueuedPrefetcher {
  public:
    explicit STeMS(const Params &p)
        : QueuedPrefetcher(p),
          regionSize(p.get<Addr>("spatial_region_size")),
          reconstructionEntries(p.get<unsigned>("reconstruction_entries")),
          addDuplicates(p.get<bool>("add_duplicate_entries_to_rmob", true)),
          gem5Compat(p.get<bool>("gem5_compat", false)),
          agt(p, "active_generation_table_entries", "active_generation_table_assoc",
              "active_generation_table_replacement_policy", Generation{}),
          pst(p, "pattern_sequence_table_entries", "pattern_sequence_table_assoc",
              "pattern_sequence_table_replacement_policy", Generation{}) {
        if (regionSize == 0 || (regionSize & (regionSize - 1)))
            p.error("spatial_region_size", "must be a power of 2");
        regionBits = unsigned(std::countr_zero(regionSize));
        const std::uint64_t rmobEntries = p.get<std::uint64_t>("region_miss_order_buffer_entries");
        if (rmobEntries == 0) p.error("region_miss_order_buffer_entries", "must be at least 1");
        rmob.resize(std::size_t(rmobEntries));
        if (reconstructionEntries == 0) p.error("reconstruction_entries", "must be at least 1");
        reconstruction.resize(reconstructionEntries);
        sizeSequences();
    }

    void setCache(CacheAccessor *owner, unsigned lineSize) override {
        QueuedPrefetcher::setCache(owner, lineSize);
        if (regionSize < blkSize) fatal(name(), ".spatial_region_size: smaller than a cache line");
        sizeSequences();
    }

    // A line left the cache: if a generation recorded it, the generation
    // ends (paper mode; gem5 polls instead).
    void notifyEvict(const EvictionInfo &info) override {
        if (gem5Compat) return;
        Generation *g = agt.find(info.addr / regionSize);
        if (!g) return;
        const unsigned offset = unsigned((info.addr % regionSize) / blkSize);
        for (const Seq &s : g->sequence) {
            if (s.counter.get() == 0) break;
            if (s.offset == offset) {
                endGeneration(*g, pstKey(g->pc, g->sequence[0].offset));
                return;
            }
        }
    }

    void calculatePrefetch(const PrefetchInfo &pfi, std::vector<AddrPriority> &out) override {
        if (!pfi.hasPC()) return;
        const Addr pc = pfi.getPC();
        const Addr region = pfi.getAddr() / regionSize;
        const unsigned offset = unsigned((pfi.getAddr() % regionSize) / blkSize);

        if (gem5Compat) pollGenerationEnds();

        // The previous trigger of this region, looked up before this access
        // is recorded (the paper); gem5 records first.
        std::uint64_t previous = kNoSeq;
        if (!gem5Compat) previous = latestTrigger(region);

        Generation *g = agt.find(region);
        const bool trigger = g == nullptr;
        if (g) {
            agt.touch(g);
            addOffset(*g, offset);
            ++sinceLastTrigger;
        } else {
            appendToRmob(region, pstKey(pc, offset), sinceLastTrigger);
            sinceLastTrigger = 0;
            g = agt.insert(region);
            g->pc = pc;
            g->trigger = gem5Compat ? pfi.getAddr() : region * regionSize;
            addOffset(*g, offset);
        }
        agt.forEachValid([g](Generation &other) {
            if (&other != g) ++other.seqCounter;
        });

        // The paper streams on trigger misses; gem5 on every miss.
        if (!pfi.isCacheMiss() || (!gem5Compat && !trigger)) return;
        if (gem5Compat) previous = latestTrigger(region);
        else if (previous != kNoSeq && !inRmob(previous)) previous = kNoSeq;   // overwritten by this trigger
        if (previous != kNoSeq) reconstruct(previous, blockAddress(pfi.getAddr()), out);
    }

  private:
    static constexpr std::uint64_t kNoSeq = ~std::uint64_t(0);
    static constexpr Addr kEmpty = ~Addr(0);

    struct Seq {
        SatCounter counter{2};
        unsigned offset = 0;   // line within the region
        unsigned delta = 0;    // accesses to other regions before this one
    };
    // An AGT or PST entry.
    struct Generation {
        Addr trigger = 0;      // region base (gem5_compat: the trigger's full address)
        Addr pc = 0;
        unsigned seqCounter = 0;
        std::vector<Seq> sequence;
    };
    struct RmobEntry {
        Addr region = 0;
        Addr pstKey = 0;
        unsigned delta = 0;    // accesses between the previous trigger and this one
    };

    Addr pstKey(Addr pc, unsigned offset) const { return (pc << regionBits) + offset; }

    // Entries get their sequence (one slot per line of a region) when first
    // used; the blank entries of the tables stay empty.
    void sizeSequences() { blankSequence.assign(std::size_t(regionSize / blkSize), Seq{}); }

    // Records an access of the generation at `offset`.
    void addOffset(Generation &g, unsigned offset) {
        if (g.sequence.size() != blankSequence.size()) g.sequence = blankSequence;
        for (Seq &s : g.sequence) {
            if (s.counter.get() > 0) {
                if (s.offset == offset) {
                    ++s.counter;
                    if (!gem5Compat) break;   // gem5 goes on and records it again
                }
            } else {
                ++s.counter;
                s.offset = offset;
                s.delta = g.seqCounter;
                break;
            }
        }
        g.seqCounter = 0;
    }

    // gem5's end-of-generation check, on every access.
    void pollGenerationEnds() {
        agt.forEachValid([this](Generation &g) {
            for (const Seq &s : g.sequence) {
                if (s.counter.get() == 0) continue;
                const Addr line = g.trigger + Addr(s.offset) * blkSize;
                if (!inCache(line) && !inMissQueue(line)) {
                    endGeneration(g, pstKey(g.pc, s.offset));
                    break;
                }
            }
        });
    }

    void endGeneration(Generation &g, Addr key) {
        Generation *e = pst.findOrInsert(key);
        if (gem5Compat) {
            e->trigger = g.trigger;
            e->pc = g.pc;
            e->seqCounter = g.seqCounter;
            e->sequence = g.sequence;
        } else {
            train(*e, g);
        }
        agt.invalidate(&g);
    }

    // PST training: the lines of the new generation gain confidence (and
    // take its interleaving distances), the others lose it.
    void train(Generation &e, const Generation &g) {
        if (e.sequence.size() != blankSequence.size()) e.sequence = blankSequence;
        e.pc = g.pc;
        e.trigger = g.trigger;
        for (Seq &old : e.sequence) {
            if (old.counter.get() == 0) continue;
            bool seen = false;
            for (const Seq &s : g.sequence) {
                if (s.counter.get() == 0) break;
                if (s.offset == old.offset) { seen = true; break; }
            }
            if (!seen) --old.counter;
        }
        for (const Seq &s : g.sequence) {
            if (s.counter.get() == 0) break;
            Seq *slot = nullptr;
            for (Seq &old : e.sequence)
                if (old.counter.get() > 0 && old.offset == s.offset) { slot = &old; break; }
            if (slot) {
                ++slot->counter;
            } else {
                for (Seq &old : e.sequence)
                    if (old.counter.get() == 0) { slot = &old; break; }
                if (!slot) continue;
                slot->counter.set(1);
                slot->offset = s.offset;
            }
            slot->delta = s.delta;
        }
    }

    // --- RMOB: a ring of triggers, numbered from 0 ------------------------------
    void appendToRmob(Addr region, Addr key, unsigned delta) {
        if (!addDuplicates) {
            const std::uint64_t first = rmobNext > rmob.size() ? rmobNext - rmob.size() : 0;
            for (std::uint64_t n = first; n < rmobNext; ++n) {
                const RmobEntry &r = rmob[n % rmob.size()];
                if (r.region == region && r.pstKey == key && r.delta == delta) return;
            }
        }
        RmobEntry &slot = rmob[rmobNext % rmob.size()];
        if (rmobNext >= rmob.size()) {
            // The oldest trigger leaves the ring.
            auto it = lastTrigger.find(slot.region);
            if (it != lastTrigger.end() && it->second == rmobNext - rmob.size()) lastTrigger.erase(it);
        }
        slot = RmobEntry{region, key, delta};
        lastTrigger[region] = rmobNext;
        ++rmobNext;
    }
    bool inRmob(std::uint64_t n) const { return n < rmobNext && rmobNext - n <= rmob.size(); }
    std::uint64_t latestTrigger(Addr region) {
        auto it = lastTrigger.find(region);
        if (it == lastTrigger.end()) return kNoSeq;
        if (!inRmob(it->second)) {
            lastTrigger.erase(it);   // overwritten, and nothing older can remain
            return kNoSeq;
        }
        return it->second;
    }

    void place(unsigned ridx, Addr addr) {
        // The slot itself, else the nearest free one of +1, +2, -1, -2.
        const long candidates[] = {long(ridx), long(ridx) + 1, long(ridx) + 2, long(ridx) - 1, long(ridx) - 2};
        for (long c : candidates) {
            if (c < 0 || c >= long(reconstructionEntries)) continue;
            if (reconstruction[std::size_t(c)] == kEmpty) {
                reconstruction[std::size_t(c)] = addr;
                return;
            }
        }
    }

    void reconstruct(std::uint64_t start, Addr missLine, std::vector<AddrPriority> &out) {
        std::fill(reconstruction.begin(), reconstruction.end(), kEmpty);
        const unsigned lineMask = unsigned(regionSize / blkSize) - 1;
        // The triggers at their temporal positions.
        unsigned idx = 0;
        for (std::uint64_t n = start; n < rmobNext && idx < reconstructionEntries; ++n) {
            const RmobEntry &r = rmob[n % rmob.size()];
            reconstruction[idx] = gem5Compat ? r.region * regionSize
                                             : r.region * regionSize + Addr(r.pstKey & lineMask) * blkSize;
            if (n + 1 < rmobNext) idx += rmob[(n + 1) % rmob.size()].delta + 1;
            else break;
        }
        // The spatial sequence of each trigger around it.
        idx = 0;
        for (std::uint64_t n = start; n < rmobNext && idx < reconstructionEntries; ++n) {
            const RmobEntry &r = rmob[n % rmob.size()];
            Generation *e = pst.find(r.pstKey);
            if (e) {
                pst.touch(e);
                for (const Seq &s : e->sequence) {
                    if (s.counter.get() <= 1) continue;
                    if (!gem5Compat && s.offset == unsigned(r.pstKey & lineMask)) continue;   // the trigger itself
                    const Addr addr = gem5Compat ? r.region * regionSize + s.offset
                                                 : r.region * regionSize + Addr(s.offset) * blkSize;
                    place(idx + s.delta, addr);
                }
            }
            if (n + 1 < rmobNext) idx += rmob[(n + 1) % rmob.size()].delta + 1;
            else break;
        }
        for (Addr a : reconstruction) {
            if (a == kEmpty) continue;
            if (!gem5Compat && blockAddress(a) == missLine) continue;   // the line being fetched
            out.emplace_back(a, 0);
        }
    }

    Addr regionSize;
    unsigned regionBits = 0;
    unsigned reconstructionEntries;
    bool addDuplicates;
    bool gem5Compat;
    AssociativeTable<Generation> agt;   // keyed by region
    AssociativeTable<Generation> pst;   // keyed by pstKey()
    std::vector<Seq> blankSequence;
    std::vector<RmobEntry> rmob;
    std::uint64_t rmobNext = 0;   // number of the next trigger
    std::unordered_map<Addr, std::uint64_t> lastTrigger;   // region -> its latest trigger's number
    unsigned sinceLastTrigger = 0;
    std::vector<Addr> reconstruction;
};

}  // namespace

NPUSIM_REGISTER_SIMOBJECT(STeMSPrefetcher, STeMS);

}  // namespace npusim
