// The state of gem5's LRURP and BIPRP (LIPRP is a BIPRP with btp = 0).
// It is declared here, not only in policies.cc, so that the Cache can call
// its final methods directly -- inlined, with no virtual dispatch -- on
// every access and fill when its policy is one of these, the usual case.
#pragma once
#include "npusim/mem/cache/replacement/base.hh"
#include "npusim/sim/eventq.hh"
#include "split_mix_rng.hh"
#include "stamp_order.hh"

namespace npusim {

// LRU: touch and reset record the tick; the victim has the oldest tick.
// `bipThreshold` and `rng` turn it into gem5's BIP/LIP: a fill is placed at
// the LRU position (tick 1) unless a draw in [1, 100] is <= btp. Stamp 0
// means "invalid / oldest".
class LruState final : public ReplacementState {
  public:
    LruState(std::size_t sets, unsigned ways, double btp, SplitMixRng *rng)
        : ReplacementState(sets, ways), order(sets, ways), bipThreshold(btp), rng(rng) {}
    // (Forced inline where the Cache calls them directly: one of each per miss.)
    [[gnu::always_inline]] void invalidate(std::size_t s, unsigned w) override { order.set(s, w, 0); }
    [[gnu::always_inline]] void touch(std::size_t s, unsigned w) override { order.set(s, w, curTick()); }
    [[gnu::always_inline]] void reset(std::size_t s, unsigned w) override {
        order.set(s, w, rng ? bipStamp() : curTick());
    }
    unsigned getVictim(std::size_t s) override { return order.oldest(s); }

  private:
    // Out of line, so that reset() stays small enough to inline.
    [[gnu::noinline]] Tick bipStamp() { return double(rng->range(1, 100)) <= bipThreshold ? curTick() : Tick(1); }

    StampOrder order;
    double bipThreshold;
    SplitMixRng *rng;  // null for plain LRU; shared by every table of a BIPRP
};

}  // namespace npusim
