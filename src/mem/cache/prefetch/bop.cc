// BOPPrefetcher: the Best-Offset prefetcher (P. Michaud, "A Best-Offset
// Prefetcher", 2nd Data Prefetching Championship, 2015; "Best-Offset
// Hardware Prefetching", HPCA 2016), with gem5's parameters.
//
// Learning. Every observed access X (by default L2 misses and first hits
// on prefetched lines) tests one offset d of a fixed list (the numbers
// 2^i 3^j 5^k, each followed by its negation when negative_offsets_enable):
// if line X - d is in the recent-requests (RR) table, d scores a point.
// Testing every offset once is a round. At the end of a round, if some
// score reached score_max or round_max rounds have passed, the learning
// phase ends: the offset that first reached the highest score becomes the
// prefetch offset D, and prefetching is on if that score exceeds
// bad_score. Scores and rounds restart.
//
// RR table. Two direct-mapped banks of rr_size entries, each entry a
// tag_bits-bit tag of a line address. The left bank receives the line of
// every observed access, delay_queue_cycles after the access when the
// delay queue is enabled (a FIFO of delay_queue_size entries; an access
// finding it full is not recorded), so that only offsets far enough ahead
// to be timely can score. The right bank receives Y - D whenever a line Y
// brought by one of our prefetches is filled while prefetching is on. The
// left bank is indexed by L ^ (L >> n), the right one by L ^ (L >> 2n)
// (n = log2 rr_size, L the line address), and the tag is the tag_bits bits
// of L above the index.
//
// Issue. When prefetching is on, each observed access asks for
// X + k * D lines, k = 1 .. degree (degree 1 is the paper's BOP).
//
// gem5_tag_bug = True reproduces gem5 v24.0's BOP instead: the tag is
// taken from the byte address without dropping the line offset (gem5
// shifts by the line size in bytes instead of its log2; a 64-bit shift by
// 64 leaves the address unchanged on x86), offsets are subtracted from
// that byte tag, both banks are searched in full for the value (their
// slots start at 0, which matches too), a phase that ends always turns
// prefetching on, and a round that ends a phase-in-progress with a best
// score <= bad_score turns it off. With line-aligned accesses (an L2) no
// offset of the default list can score, so after round_max rounds the
// chosen offset is 0 (the accessed line itself).
#include <deque>
#include <vector>

#include "npusim/mem/cache/prefetch/queued.hh"

namespace npusim {
namespace {

class BOP final : public QueuedPrefetcher {
  public:
    explicit BOP(const Params &p)
        : QueuedPrefetcher(p),
          scoreMax(p.get<unsigned>("score_max")),
          roundMax(p.get<unsigned>("round_max")),
          badScore(p.get<unsigned>("bad_score")),
          rrEntries(p.get<unsigned>("rr_size")),
          tagBits(p.get<unsigned>("tag_bits")),
          delayQueueEnabled(p.get<bool>("delay_queue_enable")),
          delayQueueSize(p.get<unsigned>("delay_queue_size")),
          delayCycles(p.get<Cycles>("delay_queue_cycles")),
          degree(p.get<int>("degree")),
          gem5Mode(p.get<bool>("gem5_tag_bug")),
          delayEvent(this) {
        if (rrEntries == 0 || (rrEntries & (rrEntries - 1))) p.error("rr_size", "must be a power of 2");
        if (tagBits == 0 || tagBits > 63) p.error("tag_bits", "must be in [1, 63]");
        if (degree < 0) p.error("degree", "must not be negative");
        checkCandidateCount(p, "degree", degree);
        if (roundMax == 0) p.error("round_max", "must be at least 1");
        const unsigned listSize = p.get<unsigned>("offset_list_size");
        const bool negative = p.get<bool>("negative_offsets_enable");
        if (listSize == 0) p.error("offset_list_size", "must be at least 1");
        if (negative && listSize % 2) p.error("offset_list_size", "must be even when negative_offsets_enable");
        tagMask = (Addr(1) << tagBits) - 1;
        while ((1u << indexBits) < rrEntries) ++indexBits;

        // Offsets are 2^i 3^j 5^k lines; they thin out fast (3,000 below 2^48), so a
        // list longer than those up to kMaxOffset is refused rather than searched for ever.
        constexpr std::int64_t kMaxOffset = std::int64_t(1) << 24;
        for (std::int64_t n = 1; offsets.size() < listSize && n <= kMaxOffset; ++n) {
            std::int64_t r = n;
            for (int f : {2, 3, 5})
                while (r % f == 0) r /= f;
            if (r != 1) continue;
            offsets.push_back(n);
            if (negative) offsets.push_back(-n);
        }
        if (offsets.size() < listSize)
            p.error("offset_list_size", "only " + std::to_string(offsets.size()) +
                                            " offsets of the form 2^i 3^j 5^k lie within " +
                                            std::to_string(kMaxOffset) + " lines, " + std::to_string(listSize) +
                                            " requested");
        scores.assign(offsets.size(), 0);
        for (auto &bank : rr) {
            bank.tag.assign(rrEntries, 0);
            bank.valid.assign(rrEntries, 0);
        }
    }

    void calculatePrefetch(const PrefetchInfo &pfi, std::vector<AddrPriority> &out) override {
        const Addr addr = pfi.getAddr();
        const Addr x = gem5Mode ? (addr & tagMask) : (addr >> lBlkSize);

        if (delayQueueEnabled) {
            if (delayQueue.size() < delayQueueSize) {
                const Tick when = curTick() + cyclesToTicks(delayCycles);
                delayQueue.push_back({x, when});
                if (!delayEvent.scheduled()) schedule(delayEvent, when);
            }
        } else {
            insertLeft(x);
        }

        learn(x);

        if (issuing) {
            for (int k = 1; k <= degree; ++k)
                out.emplace_back(addr + Addr(std::int64_t(k) * bestOffset * std::int64_t(blkSize)), 0);
        }
    }

    void notifyFill(const PrefetchInfo &info) override {
        // Only lines our prefetches brought in (the MSHR's first target is
        // the prefetch request).
        if (info.cmd != MemCmd::HardPFReq || !issuing) return;
        if (gem5Mode) {
            const Addr y = info.addr & tagMask;
            gem5Insert(1, y - Addr(bestOffset));
        } else {
            const Addr y = info.addr >> lBlkSize;
            paperInsert(1, y - Addr(bestOffset));
        }
    }

  private:
    struct Bank {
        std::vector<Addr> tag;
        std::vector<std::uint8_t> valid;
    };
    struct Delayed {
        Addr x;
        Tick when;
    };

    // --- RR table --------------------------------------------------------
    std::size_t paperIndex(unsigned bank, Addr line) const {
        return std::size_t((line ^ (line >> (indexBits * (bank + 1)))) & Addr(rrEntries - 1));
    }
    Addr paperTag(Addr line) const { return (line >> indexBits) & tagMask; }
    void paperInsert(unsigned bank, Addr line) {
        const std::size_t i = paperIndex(bank, line);
        rr[bank].tag[i] = paperTag(line);
        rr[bank].valid[i] = 1;
    }
    bool paperTest(Addr line) const {
        for (unsigned b = 0; b < 2; ++b) {
            const std::size_t i = paperIndex(b, line);
            if (rr[b].valid[i] && rr[b].tag[i] == paperTag(line)) return true;
        }
        return false;
    }

    // gem5: the slot is a hash of the (byte) tag, the slot holds the tag,
    // and a test looks through every slot of both banks.
    std::size_t gem5Index(unsigned bank, Addr t) const {
        const Addr h1 = t >> bank;
        const Addr h2 = h1 >> indexBits;
        return std::size_t((h1 ^ h2) & Addr(rrEntries - 1));
    }
    void gem5Insert(unsigned bank, Addr t) { rr[bank].tag[gem5Index(bank, t)] = t; }
    bool gem5Test(Addr t) const {
        for (const Bank &b : rr)
            for (Addr v : b.tag)
                if (v == t) return true;
        return false;
    }

    void insertLeft(Addr x) {
        if (gem5Mode) gem5Insert(0, x);
        else paperInsert(0, x);
    }

    void processDelayQueue() {
        while (!delayQueue.empty() && delayQueue.front().when <= curTick()) {
            insertLeft(delayQueue.front().x);
            delayQueue.pop_front();
        }
        if (!delayQueue.empty()) schedule(delayEvent, delayQueue.front().when);
    }

    // --- learning ----------------------------------------------------------
    void learn(Addr x) {
        const std::int64_t d = offsets[cursor];
        const bool hit = gem5Mode ? gem5Test(x - Addr(d)) : paperTest(x - Addr(d));
        if (hit) {
            ++scores[cursor];
            if (scores[cursor] > bestScore) {
                bestScore = scores[cursor];
                phaseBest = d;
            }
        }
        if (++cursor < offsets.size()) return;

        // End of a round.
        cursor = 0;
        ++round;
        if (bestScore >= scoreMax || round >= roundMax) {
            bestOffset = phaseBest;
            issuing = gem5Mode ? true : bestScore > badScore;
            round = 0;
            bestScore = 0;
            phaseBest = 0;
            std::fill(scores.begin(), scores.end(), 0u);
        } else if (gem5Mode && bestScore <= badScore) {
            issuing = false;
        }
    }

    unsigned scoreMax, roundMax, badScore, rrEntries, tagBits;
    bool delayQueueEnabled;
    unsigned delayQueueSize;
    Cycles delayCycles;
    int degree;
    bool gem5Mode;
    Addr tagMask = 0;
    unsigned indexBits = 0;

    std::vector<std::int64_t> offsets;
    std::vector<unsigned> scores;
    std::size_t cursor = 0;
    unsigned round = 0;
    unsigned bestScore = 0;
    std::int64_t phaseBest = 0;
    std::int64_t bestOffset = 1;
    bool issuing = false;

    Bank rr[2];
    std::deque<Delayed> delayQueue;
    MemberEvent<BOP, &BOP::processDelayQueue> delayEvent;
};

}  // namespace

NPUSIM_REGISTER_SIMOBJECT(BOPPrefetcher, BOP);

}  // namespace npusim
