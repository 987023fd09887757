// Replacement policies (gem5's BaseReplacementPolicy family) for any
// set-associative structure: cache tags, prefetcher tables, NSB tags.
//
// A policy is a SimObject holding only its parameters. A table asks it for a
// ReplacementState sized for numSets x assoc entries and keeps that state;
// the per-entry metadata lives in flat arrays inside the state, so touching
// an entry is an index computation and a store, never an allocation.
//
// Semantics follow gem5: invalidate() marks an entry as the preferred victim
// the way each policy does in gem5 (LRU: oldest timestamp; Random: first
// invalid entry; TreePLRU: tree bits point at it), reset() is called when an
// entry is (re)filled, touch() on every hit, and getVictim() chooses among
// all ways of a set -- gem5 lets the policy, not the tags, prefer invalid
// entries, and so do we (TreePLRU, for instance, ignores validity).
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>

#include "npusim/sim/sim_object.hh"

namespace npusim {

class ReplacementState {
  public:
    virtual ~ReplacementState() = default;
    // The entry no longer holds valid data.
    virtual void invalidate(std::size_t set, unsigned way) = 0;
    // The entry was accessed (a hit).
    virtual void touch(std::size_t set, unsigned way) = 0;
    // The entry was just filled with new contents.
    virtual void reset(std::size_t set, unsigned way) = 0;
    // The way of `set` to replace next.
    virtual unsigned getVictim(std::size_t set) = 0;

    std::size_t numSets() const { return sets; }
    unsigned assoc() const { return ways; }

  protected:
    ReplacementState(std::size_t numSets, unsigned assoc) : sets(numSets), ways(assoc) {}
    std::size_t index(std::size_t set, unsigned way) const { return set * ways + way; }

  private:
    std::size_t sets;
    unsigned ways;
};

class BaseReplacementPolicy : public SimObject {
  public:
    using SimObject::SimObject;
    // Fresh state for a table of numSets x assoc entries, all invalid.
    virtual std::unique_ptr<ReplacementState> instantiate(std::size_t numSets, unsigned assoc) = 0;
};

}  // namespace npusim
