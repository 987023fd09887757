// PIFPrefetcher: proactive instruction fetch, a temporal streaming
// prefetcher of spatial region records.
//
// Training: a stream of block addresses (in gem5, the PCs of retired
// instructions; in npusim, by default, the lines of the accesses the
// prefetcher observes -- train_on_accesses -- since no core reports retired
// instructions). The spatial compactor folds consecutive blocks that lie
// within prec_spatial_region_bits blocks before and succ_spatial_region_bits
// blocks after a trigger block into one record (trigger + two bit
// vectors). When a block falls outside, the record is done: if the temporal
// compactor (the last compactor_entries records) already holds a record of
// that trigger, the two merge (a loop going round); otherwise the record
// enters the temporal compactor, is appended to the history buffer (a ring
// of history_buffer_size records), and the index (trigger -> newest history
// position) learns it.
//
// Prediction: an access to a block that the index knows starts a stream in
// the stream address buffer (SAB, stream_address_buffer_entries streams);
// the record that followed it in the history is prefetched (trigger and
// bit-vector blocks, in ascending order). When a later access falls in the
// record a stream prefetched last, the stream advances to the next record.
// A temporal sequence of irregular blocks A, X, M, Q replays in order each
// time A recurs.
//
// gem5_compat reproduces gem5 v24's prediction and compaction: an index hit
// prefetches the indexed record itself rather than the next one, records
// never include their trigger block, a preceding block's presence is read
// from the succeeding bit vector, blocks are compared as byte addresses
// (trigger and index), and a block that falls into a temporal-compactor
// record resumes that record, dropping the current one. (gem5 also writes
// outside the bit vector for a PC in the trigger's own block; npusim ignores
// such a PC.)
//
// Paper: M. Ferdman, C. Kaynak, B. Falsafi, "Proactive Instruction Fetch",
// MICRO 2011.
#include <deque>

#include "npusim/mem/cache/prefetch/associative_table.hh"
#include "npusim/mem/cache/prefetch/queued.hh"

namespace npusim {
namespace {

class PIF final : public QueuedPrefetcher {
  public:
    explicit PIF(const Params &p)
        : QueuedPrefetcher(p),
          precSize(p.get<unsigned>("prec_spatial_region_bits")),
          succSize(p.get<unsigned>("succ_spatial_region_bits")),
          compactorEntries(p.get<unsigned>("compactor_entries")),
          sabEntries(p.get<unsigned>("stream_address_buffer_entries")),
          trainOnAccesses(p.get<bool>("train_on_accesses", true)),
          gem5Compat(p.get<bool>("gem5_compat", false)),
          index(p, "index_entries", "index_assoc", "index_replacement_policy", IndexEntry{}) {
        const unsigned hist = p.get<unsigned>("history_buffer_size");
        if (hist < 2) p.error("history_buffer_size", "must be at least 2");
        if (compactorEntries == 0) p.error("compactor_entries", "must be at least 1");
        if (sabEntries == 0) p.error("stream_address_buffer_entries", "must be at least 1");
        history.resize(hist);
    }

    // A retired instruction's PC (for a core that reports them).
    void notifyRetiredInst(Addr pc) { train(pc); }

    void calculatePrefetch(const PrefetchInfo &pfi, std::vector<AddrPriority> &out) override {
        const Addr addr = pfi.getAddr();
        if (trainOnAccesses) train(addr);
        if (gem5Compat) predictGem5(addr, out);
        else predict(addr, out);
    }

  private:
    struct Record {
        Addr trigger = 0;          // block number (gem5_compat: byte address)
        std::vector<bool> prec;    // prec[i]: the block i + 1 before the trigger
        std::vector<bool> succ;    // succ[i]: the block i + 1 after it
    };
    struct IndexEntry {
        std::uint64_t position = 0;   // history record number
    };
    struct Stream {
        std::uint64_t position = 0;   // record prefetched last
    };

    Record freshRecord(Addr trigger) const {
        return Record{trigger, std::vector<bool>(precSize, false), std::vector<bool>(succSize, false)};
    }
    // Distance in blocks from the record's trigger (positive after it).
    std::int64_t distance(const Record &r, Addr a) const {
        return gem5Compat ? std::int64_t(a >> lBlkSize) - std::int64_t(r.trigger >> lBlkSize)
                          : std::int64_t(a) - std::int64_t(r.trigger);
    }
    bool inRegion(const Record &r, Addr a) const {
        const std::int64_t d = distance(r, a);
        return d >= 0 ? d <= std::int64_t(succSize) : -d <= std::int64_t(precSize);
    }
    void mark(Record &r, Addr a) const {
        const std::int64_t d = distance(r, a);
        if (d > 0) r.succ[std::size_t(d - 1)] = true;
        else if (d < 0) r.prec[std::size_t(-d - 1)] = true;
    }
    bool contains(const Record &r, Addr a) const {
        const std::int64_t d = distance(r, a);
        if (d == 0) return true;
        if (d > 0) return d <= std::int64_t(succSize) && r.succ[std::size_t(d - 1)];
        if (-d > std::int64_t(precSize)) return false;
        // gem5 reads the succeeding vector for a preceding block.
        return gem5Compat ? (std::size_t(-d - 1) < succSize && r.succ[std::size_t(-d - 1)]) : r.prec[std::size_t(-d - 1)];
    }
    // The record's blocks in ascending order (gem5_compat: without the trigger).
    void emit(const Record &r, std::vector<AddrPriority> &out) const {
        const Addr trigger = gem5Compat ? r.trigger >> lBlkSize : r.trigger;
        for (std::size_t i = r.prec.size(); i-- > 0;)
            if (r.prec[i]) out.emplace_back((trigger - (i + 1)) << lBlkSize, 0);
        if (!gem5Compat) out.emplace_back(trigger << lBlkSize, 0);
        for (std::size_t i = 0; i < r.succ.size(); ++i)
            if (r.succ[i]) out.emplace_back((trigger + (i + 1)) << lBlkSize, 0);
    }

    // --- training --------------------------------------------------------------
    void train(Addr a) {
        const Addr b = gem5Compat ? a : blockIndex(a);
        if (!haveSpatial) {
            spatial = freshRecord(b);
            haveSpatial = true;
            return;
        }
        if (inRegion(spatial, b)) {
            mark(spatial, b);
            return;
        }
        if (gem5Compat) trainGem5(b);
        else trainPaper(b);
    }

    void trainPaper(Addr b) {
        // The spatial record is complete.
        bool merged = false;
        for (auto it = temporal.begin(); it != temporal.end(); ++it) {
            if (it->trigger != spatial.trigger) continue;
            for (std::size_t i = 0; i < precSize; ++i) it->prec[i] = it->prec[i] || spatial.prec[i];
            for (std::size_t i = 0; i < succSize; ++i) it->succ[i] = it->succ[i] || spatial.succ[i];
            Record r = *it;
            temporal.erase(it);
            temporal.push_back(r);   // most recent last
            merged = true;
            break;
        }
        if (!merged) {
            if (temporal.size() == compactorEntries) temporal.pop_front();
            temporal.push_back(spatial);
            log(spatial);
        }
        spatial = freshRecord(b);
    }

    void trainGem5(Addr b) {
        bool resumed = false;
        for (auto it = temporal.begin(); it != temporal.end(); ++it) {
            if (inRegion(*it, b)) {
                spatial = *it;
                temporal.erase(it);
                resumed = true;
                break;
            }
        }
        if (temporal.size() == compactorEntries) temporal.pop_front();
        temporal.push_back(spatial);
        if (!resumed) {
            log(spatial);
            spatial = freshRecord(b);
        }
    }

    void log(const Record &r) {
        history[historyNext % history.size()] = r;
        IndexEntry *e = index.findOrInsert(r.trigger);
        e->position = historyNext;
        ++historyNext;
    }
    bool logged(std::uint64_t n) const { return n < historyNext && historyNext - n <= history.size(); }
    const Record &recordAt(std::uint64_t n) const { return history[n % history.size()]; }

    // --- prediction --------------------------------------------------------------
    void predict(Addr a, std::vector<AddrPriority> &out) {
        const Addr b = blockIndex(a);
        // A stream whose last record holds b moves on to the next record.
        for (auto it = sab.rbegin(); it != sab.rend(); ++it) {
            if (!logged(it->position) || !contains(recordAt(it->position), b)) continue;
            Stream s{it->position + 1};
            sab.erase(std::next(it).base());
            if (!logged(s.position)) return;   // the end of the history
            emit(recordAt(s.position), out);
            sab.push_back(s);
            return;
        }
        // A known trigger starts a stream with the record that followed it.
        IndexEntry *e = index.find(b);
        if (!e) return;
        index.touch(e);
        if (!logged(e->position) || recordAt(e->position).trigger != b) return;   // overwritten
        const std::uint64_t next = e->position + 1;
        if (!logged(next)) return;
        if (sab.size() == sabEntries) sab.pop_front();
        sab.push_back(Stream{next});
        emit(recordAt(next), out);
    }

    void predictGem5(Addr a, std::vector<AddrPriority> &out) {
        for (Stream &s : sab) {
            if (!logged(s.position) || !contains(recordAt(s.position), a)) continue;
            ++s.position;
            if (logged(s.position)) emit(recordAt(s.position), out);
            return;
        }
        IndexEntry *e = index.find(a);
        if (!e) return;
        index.touch(e);
        if (!logged(e->position)) return;
        if (sab.size() == sabEntries) sab.pop_front();
        sab.push_back(Stream{e->position});
        emit(recordAt(e->position), out);
    }

    unsigned precSize, succSize, compactorEntries, sabEntries;
    bool trainOnAccesses;
    bool gem5Compat;
    AssociativeTable<IndexEntry> index;   // keyed by trigger
    std::vector<Record> history;
    std::uint64_t historyNext = 0;   // number of the next record
    Record spatial;
    bool haveSpatial = false;
    std::deque<Record> temporal;     // least recent first
    std::deque<Stream> sab;          // least recent first
};

}  // namespace

NPUSIM_REGISTER_SIMOBJECT(PIFPrefetcher, PIF);

}  // namespace npusim
