// gem5's common replacement policies over flat per-table arrays:
// LRURP, MRURP, FIFORP, RandomRP, TreePLRURP, BIPRP (and LIPRP, a BIPRP
// with btp = 0, declared in Python). Timestamps are ticks, as in gem5, so
// two touches in the same tick tie and the lower way wins.
//
// Every policy here overwrites on reset() all the state invalidate() of the
// same entry writes, so invalidate() then reset() equals reset() alone; the
// Cache relies on that and calls only reset() when it refills a victim.
#include <vector>

#include "npusim/mem/cache/replacement/base.hh"
#include "npusim/sim/eventq.hh"
#include "lru_state.hh"
#include "split_mix_rng.hh"
#include "stamp_order.hh"

namespace npusim {
namespace {

// One timestamp per entry; 0 means "invalid".
class StampState : public ReplacementState {
  public:
    StampState(std::size_t sets, unsigned ways) : ReplacementState(sets, ways), stamp(sets * ways, 0) {}
  protected:
    std::vector<Tick> stamp;
};

class LRURP final : public BaseReplacementPolicy {
  public:
    using BaseReplacementPolicy::BaseReplacementPolicy;
    std::unique_ptr<ReplacementState> instantiate(std::size_t sets, unsigned ways) override {
        return std::make_unique<LruState>(sets, ways, 0.0, nullptr);
    }
};

class BIPRP final : public BaseReplacementPolicy {
  public:
    explicit BIPRP(const Params &p)
        : BaseReplacementPolicy(p), btp(p.get<double>("btp")), rng(p.get<std::uint64_t>("seed", 0)) {
        if (btp < 0 || btp > 100) p.error("btp", "must be a percentage in [0, 100]");
    }
    std::unique_ptr<ReplacementState> instantiate(std::size_t sets, unsigned ways) override {
        return std::make_unique<LruState>(sets, ways, btp, &rng);
    }
  private:
    double btp;
    SplitMixRng rng;  // shared by every table of this policy object, as gem5's random_mt
};

// MRU: the victim is an invalid entry if any (stamp 0), else the newest.
class MruState final : public StampState {
  public:
    using StampState::StampState;
    void invalidate(std::size_t s, unsigned w) override { stamp[index(s, w)] = 0; }
    void touch(std::size_t s, unsigned w) override { stamp[index(s, w)] = curTick(); }
    void reset(std::size_t s, unsigned w) override { stamp[index(s, w)] = curTick(); }
    unsigned getVictim(std::size_t s) override {
        const Tick *row = &stamp[index(s, 0)];
        unsigned victim = 0;
        for (unsigned w = 0; w < assoc(); ++w) {
            if (row[w] == 0) return w;
            if (row[w] > row[victim]) victim = w;
        }
        return victim;
    }
};

class MRURP final : public BaseReplacementPolicy {
  public:
    using BaseReplacementPolicy::BaseReplacementPolicy;
    std::unique_ptr<ReplacementState> instantiate(std::size_t sets, unsigned ways) override {
        return std::make_unique<MruState>(sets, ways);
    }
};

// FIFO: only fills stamp an entry; hits do not reorder.
class FifoState final : public ReplacementState {
  public:
    FifoState(std::size_t sets, unsigned ways) : ReplacementState(sets, ways), order(sets, ways) {}
    void invalidate(std::size_t s, unsigned w) override { order.set(s, w, 0); }
    void touch(std::size_t, unsigned) override {}
    void reset(std::size_t s, unsigned w) override { order.set(s, w, curTick()); }
    unsigned getVictim(std::size_t s) override { return order.oldest(s); }
  private:
    StampOrder order;
};

class FIFORP final : public BaseReplacementPolicy {
  public:
    using BaseReplacementPolicy::BaseReplacementPolicy;
    std::unique_ptr<ReplacementState> instantiate(std::size_t sets, unsigned ways) override {
        return std::make_unique<FifoState>(sets, ways);
    }
};

// Random: the first invalid way if any, else a uniformly drawn way.
class RandomState final : public ReplacementState {
  public:
    RandomState(std::size_t sets, unsigned ways, SplitMixRng &rng)
        : ReplacementState(sets, ways), valid(sets * ways, 0), rng(rng) {}
    void invalidate(std::size_t s, unsigned w) override { valid[index(s, w)] = 0; }
    void touch(std::size_t, unsigned) override {}
    void reset(std::size_t s, unsigned w) override { valid[index(s, w)] = 1; }
    unsigned getVictim(std::size_t s) override {
        // gem5 draws first, then prefers an invalid entry; drawing
        // unconditionally keeps the random sequence identical to that order.
        unsigned victim = unsigned(rng.range(0, assoc() - 1));
        const std::uint8_t *row = &valid[index(s, 0)];
        for (unsigned w = 0; w < assoc(); ++w)
            if (!row[w]) return w;
        return victim;
    }
  private:
    std::vector<std::uint8_t> valid;
    SplitMixRng &rng;
};

class RandomRP final : public BaseReplacementPolicy {
  public:
    explicit RandomRP(const Params &p) : BaseReplacementPolicy(p), rng(p.get<std::uint64_t>("seed", 0)) {}
    std::unique_ptr<ReplacementState> instantiate(std::size_t sets, unsigned ways) override {
        return std::make_unique<RandomState>(sets, ways, rng);
    }
  private:
    SplitMixRng rng;
};

// Tree-PLRU: assoc-1 bits per set form a binary tree over the ways (node i
// has children 2i+1 and 2i+2; leaves are nodes assoc-1 .. 2*assoc-2). A
// bit set means "the victim is in the right subtree". A touch makes every
// node on the path point away from the way; an invalidation makes them
// point towards it.
class TreePlruState final : public ReplacementState {
  public:
    TreePlruState(std::size_t sets, unsigned ways)
        : ReplacementState(sets, ways), bits(sets * (ways - 1), 0) {}
    void invalidate(std::size_t s, unsigned w) override { walk(s, w, true); }
    void touch(std::size_t s, unsigned w) override { walk(s, w, false); }
    void reset(std::size_t s, unsigned w) override { walk(s, w, false); }
    unsigned getVictim(std::size_t s) override {
        const std::uint8_t *tree = &bits[s * (assoc() - 1)];
        std::size_t node = 0;
        const std::size_t inner = assoc() - 1;
        while (node < inner) node = tree[node] ? 2 * node + 2 : 2 * node + 1;
        return unsigned(node - inner);
    }
  private:
    void walk(std::size_t s, unsigned w, bool towards) {
        if (assoc() == 1) return;
        std::uint8_t *tree = &bits[s * (assoc() - 1)];
        std::size_t node = w + assoc() - 1;
        while (node != 0) {
            bool isRight = node % 2 == 0;
            node = (node - 1) / 2;
            tree[node] = towards ? isRight : !isRight;
        }
    }
    std::vector<std::uint8_t> bits;
};

class TreePLRURP final : public BaseReplacementPolicy {
  public:
    explicit TreePLRURP(const Params &p) : BaseReplacementPolicy(p), numLeaves(p.get<unsigned>("num_leaves")) {
        if (numLeaves == 0 || (numLeaves & (numLeaves - 1)))
            p.error("num_leaves", "must be a non-zero power of 2, got " + std::to_string(numLeaves));
    }
    std::unique_ptr<ReplacementState> instantiate(std::size_t sets, unsigned ways) override {
        if (ways != numLeaves)
            fatal(name(), ".num_leaves: is ", numLeaves, " but the table it serves has ", ways, " ways");
        return std::make_unique<TreePlruState>(sets, ways);
    }
  private:
    unsigned numLeaves;
};

}  // namespace

NPUSIM_REGISTER_SIMOBJECT(LRURP, LRURP);
NPUSIM_REGISTER_SIMOBJECT(MRURP, MRURP);
NPUSIM_REGISTER_SIMOBJECT(FIFORP, FIFORP);
NPUSIM_REGISTER_SIMOBJECT(RandomRP, RandomRP);
NPUSIM_REGISTER_SIMOBJECT(TreePLRURP, TreePLRURP);
NPUSIM_REGISTER_SIMOBJECT(BIPRP, BIPRP);

}  // namespace npusim
