// IndirectMemoryPrefetcher: IMP after the paper (X. Yu, C. J. Hughes,
// N. Satish and S. Devadas, "IMP: Indirect Memory Prefetcher", MICRO 2015),
// with gem5's parameter names. It prefetches A[B[i]]-style gathers: B is an
// index array read as a stream, A is reached through B's values.
//
// Prefetch table (PT, pt_table_entries x pt_table_assoc, keyed by the PC of
// the load). Each entry follows its PC's addresses: a repeated stride
// counts up to stream_counter_threshold, a new stride starts the count
// again at 1. A PC whose count reached the threshold, and whose accesses at
// that stride have moved on to another line at least once, is a stream
// (a short run inside one line, such as the elements of one gathered row,
// is not). The stream part asks, when the stream is confirmed, for the next
// streaming_distance lines of a dense stream (stride = +-access size, i.e.
// consecutive elements) or the next streaming_distance strides of any
// other, and then, each time the stream enters a new line, for the one
// streaming_distance ahead; these go at a higher priority than the indirect
// prefetches. Only dense streams are index streams.
//
// Index values. IMP reads B[i] when the load of B[i] accesses the cache:
// from the line data on a hit, and, when the load misses, from the line
// when it is filled. To compute A[B[i+k]] it reads B[i+k] from the cache;
// npusim models those reads with copies of the index stream's lines taken
// when they are accessed or filled (the current line and up to
// streaming_distance + 1 lines ahead). An index not yet available stops
// the indirect prefetches of that access; the next access resumes there.
//
// Indirect pattern detector (IPD, ipd_table_entries x ipd_table_assoc,
// keyed by the index PC). For an index stream that has no pattern yet, the
// first index value idx1 opens an IPD entry, and each of the next
// addr_array_len cache misses (by other PCs) records, for every shift s of
// shift_values, the base candidate miss - (idx1 << s) (a negative s shifts
// right). The second index value idx2 then compares each following miss:
// miss - (idx2 << s) equal to a recorded candidate for the same s gives the
// pattern addr = base + (index << s), which enables the PT entry. A third
// index without a match restarts the detection from that index. Every IPD
// entry follows the misses at the same time (so two index-like streams, such
// as col[j] and val[j] of a CSR matrix, do not take the misses from each
// other).
//
// Confidence. An enabled entry predicts, for each index, the address
// base + (index << shift). An access to exactly that address raises a
// saturating counter of num_indirect_counter_bits bits (once per index);
// the next index access lowers it if the prediction was not used.
//
// Indirect prefetches. When the counter exceeds prefetch_threshold, an
// access to B[i] asks for the lines of A[B[j]] for every j in
// i+1 .. i+d not requested yet, d = counter * max_prefetch_distance /
// counter maximum (at least 1). In the steady state this is one new
// prefetch per index, A[B[i+d]]; when the distance grows, or when the
// pattern was just confirmed, it is the whole window.
//
// Candidates may lie in any page (the declaration sets prefetch_across_pages:
// npusim addresses need no translation).
#include <cstring>
#include <optional>
#include <vector>

#include "npusim/mem/cache/prefetch/associative_table.hh"
#include "npusim/mem/cache/prefetch/queued.hh"
#include "npusim/mem/cache/prefetch/sat_counter.hh"

namespace npusim {
namespace {

constexpr Addr kNoLine = ~Addr(0);

class IMP final : public QueuedPrefetcher {
  public:
    explicit IMP(const Params &p)
        : QueuedPrefetcher(p),
          maxDistance(p.get<unsigned>("max_prefetch_distance")),
          counterBits(p.get<unsigned>("num_indirect_counter_bits")),
          shifts(p.get<std::vector<int>>("shift_values")),
          missesTracked(p.get<unsigned>("addr_array_len")),
          prefetchThreshold(p.get<unsigned>("prefetch_threshold")),
          streamThreshold(p.get<unsigned>("stream_counter_threshold")),
          streamingDistance(p.get<unsigned>("streaming_distance")),
          // Both tables take a free way before asking their policy.
          pt(p, "pt_table_entries", "pt_table_assoc", "pt_table_replacement_policy",
             blankPt(counterBits), TableOptions{VictimChoice::InvalidFirst, {}}),
          ipd(p, "ipd_table_entries", "ipd_table_assoc", "ipd_table_replacement_policy",
              blankIpd(std::size_t(missesTracked) * shifts.size()), TableOptions{VictimChoice::InvalidFirst, {}}) {
        if (counterBits == 0 || counterBits > 16) p.error("num_indirect_counter_bits", "must be in [1, 16]");
        if (shifts.empty()) p.error("shift_values", "needs at least one shift");
        for (int s : shifts)
            if (s <= -64 || s >= 64) p.error("shift_values", "shifts must lie in (-64, 64)");
        if (missesTracked == 0) p.error("addr_array_len", "must be at least 1");
        if (streamThreshold == 0) p.error("stream_counter_threshold", "must be at least 1");
        checkCandidateCount(p, "streaming_distance", streamingDistance);
        linesKept = streamingDistance + 2;
    }

    void calculatePrefetch(const PrefetchInfo &pfi, std::vector<AddrPriority> &out) override {
        confirmPredictions(pfi.getAddr());
        if (pfi.isCacheMiss()) trackMiss(pfi.getAddr(), pfi.hasPC(), pfi.getPC());
        if (pfi.hasPC()) updateTable(pfi, out);
    }

    void notifyFill(const PrefetchInfo &info) override {
        if (!info.lineData) return;
        const Addr line = info.lineAddr;
        pt.forEachValid([&](PtEntry &e) {
            // A load of an index that missed: its value is here now.
            if (e.pending && blockAddress(e.pendingAddr) == line) {
                e.pending = false;
                if (auto v = readValue(info.lineData, line, e.pendingAddr, e.size)) indexValue(e, *v);
            }
            if (isIndexStream(e) && inStreamWindow(e, line)) keepLine(e, line, info.lineData);
        });
    }

  private:
    struct PtEntry {                  // keyed by the PC
        Addr lastAddr = 0;
        std::int64_t stride = 0;
        unsigned streamCount = 0;
        bool crossedLine = false;     // the stride has led into another line
        bool burstDone = false;       // the stream's first prefetches are out
        unsigned size = 0;            // access size of the last access
        // indirect pattern
        bool enabled = false;
        int shift = 0;
        Addr base = 0;
        SatCounter counter;
        bool haveTarget = false;      // the prediction for the current index
        bool matched = false;
        Addr target = 0;
        bool issueValid = false;
        Addr nextIssue = 0;           // next index element whose target is not requested
        // index load waiting for its line
        bool pending = false;
        Addr pendingAddr = 0;
        // copies of index lines (model of IMP's reads of B[i+k])
        std::vector<Addr> keptLine;
        std::vector<std::uint8_t> keptData;
        unsigned keptNext = 0;
    };
    struct IpdEntry {                 // keyed by the index PC
        std::int64_t idx1 = 0, idx2 = 0;
        bool secondSet = false;
        unsigned misses = 0;
        std::vector<Addr> base;       // [miss][shift]
    };

    static PtEntry blankPt(unsigned counterBits) {
        PtEntry e;
        e.counter = SatCounter(counterBits);
        return e;
    }
    static IpdEntry blankIpd(std::size_t candidates) {
        IpdEntry e;
        e.base.assign(candidates, 0);
        return e;
    }

    // --- helpers ----------------------------------------------------------
    static Addr shifted(std::int64_t v, int s) {
        return s >= 0 ? Addr(v) << s : Addr(v >> (-s));
    }
    Addr targetOf(const PtEntry &e, std::int64_t v) const { return e.base + shifted(v, e.shift); }

    bool isStream(const PtEntry &e) const { return e.streamCount >= streamThreshold && e.crossedLine; }
    bool isIndexStream(const PtEntry &e) const {
        return isStream(e) && e.size != 0 &&
               (e.stride == std::int64_t(e.size) || e.stride == -std::int64_t(e.size));
    }
    // Lines of the stream from the current one to streaming_distance + 1 ahead.
    bool inStreamWindow(const PtEntry &e, Addr line) const {
        const std::int64_t diff = (std::int64_t(line) - std::int64_t(blockAddress(e.lastAddr))) / std::int64_t(blkSize);
        const std::int64_t ahead = e.stride > 0 ? diff : -diff;
        return ahead >= 0 && ahead <= std::int64_t(streamingDistance) + 1;
    }

    static std::optional<std::int64_t> readValue(const std::uint8_t *data, Addr line, Addr at, unsigned size) {
        switch (size) {
          case 1: { std::uint8_t v; std::memcpy(&v, data + (at - line), 1); return std::int64_t(v); }
          case 2: { std::uint16_t v; std::memcpy(&v, data + (at - line), 2); return std::int64_t(v); }
          case 4: { std::uint32_t v; std::memcpy(&v, data + (at - line), 4); return std::int64_t(v); }
          case 8: { std::int64_t v; std::memcpy(&v, data + (at - line), 8); return v; }
          default: return std::nullopt;
        }
    }

    void keepLine(PtEntry &e, Addr line, const std::uint8_t *data) {
        if (e.keptLine.size() != linesKept || e.keptData.size() != std::size_t(linesKept) * blkSize) {
            e.keptLine.assign(linesKept, kNoLine);
            e.keptData.assign(std::size_t(linesKept) * blkSize, 0);
            e.keptNext = 0;
        }
        unsigned slot = linesKept;
        for (unsigned i = 0; i < linesKept; ++i)
            if (e.keptLine[i] == line) slot = i;
        if (slot == linesKept) {
            slot = e.keptNext;
            e.keptNext = (e.keptNext + 1) % linesKept;
        }
        e.keptLine[slot] = line;
        std::memcpy(&e.keptData[std::size_t(slot) * blkSize], data, blkSize);
    }

    // B at `at` (an element of e's stream), if IMP can read it now.
    std::optional<std::int64_t> indexAt(const PtEntry &e, Addr at, const PrefetchInfo &pfi) const {
        const Addr line = blockAddress(at);
        if (blockAddress(at + e.size - 1) != line) return std::nullopt;
        if (pfi.lineData && pfi.lineAddr == line) return readValue(pfi.lineData, line, at, e.size);
        for (unsigned i = 0; i < e.keptLine.size(); ++i)
            if (e.keptLine[i] == line) return readValue(&e.keptData[std::size_t(i) * blkSize], line, at, e.size);
        return std::nullopt;
    }

    // --- confidence ---------------------------------------------------------
    void confirmPredictions(Addr addr) {
        pt.forEachValid([&](PtEntry &e) {
            if (!e.enabled || !e.haveTarget || e.matched || e.target != addr) return;
            e.matched = true;
            ++e.counter;
        });
    }

    // --- the prefetch table ---------------------------------------------------
    void updateTable(const PrefetchInfo &pfi, std::vector<AddrPriority> &out) {
        const Addr addr = pfi.getAddr();
        const Addr pc = pfi.getPC();
        PtEntry *e = pt.find(pc);
        if (!e) {
            e = pt.insert(pc);
            e->lastAddr = addr;
            e->size = pfi.getSize();
            return;
        }
        pt.touch(e);
        if (addr == e->lastAddr) return;

        const std::int64_t stride = std::int64_t(addr - e->lastAddr);
        const bool newLine = blockAddress(addr) != blockAddress(e->lastAddr);
        if (stride == e->stride) {
            if (e->streamCount < streamThreshold) ++e->streamCount;
            if (newLine) e->crossedLine = true;
        } else {
            e->stride = stride;
            e->streamCount = 1;
            e->crossedLine = newLine;
            e->burstDone = false;
        }
        e->lastAddr = addr;
        e->size = pfi.getSize();
        if (!isStream(*e)) return;

        const bool dense = isIndexStream(*e);
        if (dense && pfi.lineData) keepLine(*e, pfi.lineAddr, pfi.lineData);

        // The stream part: a burst when the stream is confirmed, then one
        // line (or stride) streaming_distance ahead per new line.
        if (!e->burstDone || newLine) {
            const unsigned first = e->burstDone ? streamingDistance : 1;
            e->burstDone = true;
            if (dense) {
                const std::int64_t step = e->stride > 0 ? std::int64_t(blkSize) : -std::int64_t(blkSize);
                for (unsigned k = first; k <= streamingDistance; ++k)
                    out.emplace_back(blockAddress(addr) + Addr(step * k), 1);
            } else {
                for (unsigned k = first; k <= streamingDistance; ++k)
                    out.emplace_back(addr + Addr(e->stride * k), 1);
            }
        }
        if (!dense) return;

        // An index load.
        if (e->enabled) {
            if (e->haveTarget && !e->matched) --e->counter;
            e->haveTarget = false;
            e->matched = false;
        }
        e->pending = false;
        if (pfi.lineData) {
            if (auto v = readValue(pfi.lineData, pfi.lineAddr, addr, e->size)) indexValue(*e, *v);
        } else {
            e->pending = true;
            e->pendingAddr = addr;
        }
        if (e->enabled) issueIndirect(*e, pfi, out);
    }

    // The value of the index just loaded by e's PC.
    void indexValue(PtEntry &e, std::int64_t v) {
        if (e.enabled) {
            e.target = targetOf(e, v);
            e.haveTarget = true;
            e.matched = false;
            return;
        }
        train(e, v);
    }

    void issueIndirect(PtEntry &e, const PrefetchInfo &pfi, std::vector<AddrPriority> &out) {
        if (e.counter.get() <= prefetchThreshold) return;
        const std::int64_t d =
            std::max<std::int64_t>(1, std::int64_t(e.counter.get()) * maxDistance / e.counter.max());
        const Addr a = pfi.getAddr();
        const std::int64_t dir = e.stride > 0 ? 1 : -1;
        const std::int64_t elem = e.stride * dir;
        // Positions in elements ahead of the current index.
        auto ahead = [&](Addr x) { return (std::int64_t(x) - std::int64_t(a)) * dir / elem; };
        if (!e.issueValid || ahead(e.nextIssue) < 1 || ahead(e.nextIssue) > std::int64_t(maxDistance) + 1) {
            e.nextIssue = a + Addr(e.stride);
            e.issueValid = true;
        }
        while (ahead(e.nextIssue) <= d) {
            auto v = indexAt(e, e.nextIssue, pfi);
            if (!v) break;
            out.emplace_back(targetOf(e, *v), 0);
            e.nextIssue += Addr(e.stride);
        }
    }

    // --- the indirect pattern detector -------------------------------------------
    void train(PtEntry &e, std::int64_t v) {
        const Addr pc = pt.keyOf(&e);
        IpdEntry *d = ipd.find(pc);
        if (!d) {
            ipd.insert(pc)->idx1 = v;
        } else {
            ipd.touch(d);
            if (!d->secondSet) {
                d->idx2 = v;
                d->secondSet = true;
            } else {
                // No match with the last pair: start again from this index.
                d->idx1 = v;
                d->secondSet = false;
                d->misses = 0;
            }
        }
    }

    void trackMiss(Addr miss, bool hasPc, Addr pc) {
        const std::size_t ns = shifts.size();
        ipd.forEachValid([&](IpdEntry &d) {
            const Addr indexPc = ipd.keyOf(&d);
            if (hasPc && pc == indexPc) return;
            if (!d.secondSet) {
                if (d.misses >= missesTracked) return;
                for (std::size_t s = 0; s < ns; ++s) d.base[d.misses * ns + s] = miss - shifted(d.idx1, shifts[s]);
                ++d.misses;
                return;
            }
            for (unsigned m = 0; m < d.misses && ipd.isValid(&d); ++m) {
                for (std::size_t s = 0; s < ns; ++s) {
                    if (d.base[m * ns + s] != miss - shifted(d.idx2, shifts[s])) continue;
                    if (PtEntry *e = pt.find(indexPc)) {
                        e->enabled = true;
                        e->base = d.base[m * ns + s];
                        e->shift = shifts[s];
                        e->counter.reset();
                        e->haveTarget = false;
                        e->matched = false;
                        e->issueValid = false;
                    }
                    ipd.invalidate(&d);
                    break;
                }
            }
        });
    }

    unsigned maxDistance;
    unsigned counterBits;
    std::vector<int> shifts;
    unsigned missesTracked;
    unsigned prefetchThreshold;
    unsigned streamThreshold;
    unsigned streamingDistance;
    unsigned linesKept = 0;

    AssociativeTable<PtEntry> pt;
    AssociativeTable<IpdEntry> ipd;
};

}  // namespace

NPUSIM_REGISTER_SIMOBJECT(IndirectMemoryPrefetcher, IMP);

}  // namespace npusim
