// A set-associative table of prefetcher entries (the role of gem5's
// AssociativeSet), private to the prefetchers of this folder that share it
// (Stride, DCPT, IMP).
//
// Each entry holds a full key (a PC, say); a set index function chosen by
// the owner maps a key to its set. Victims come from a replacement policy
// object (npusim/mem/cache/replacement/base.hh), as cache tags use them:
// findVictim() takes an invalid way of the key's set if there is one, else
// asks the policy, and resets the entry (policy state included) before it
// is reused; insert() marks it filled. A hit is "touched" through access().
// (gem5's AssociativeSet leaves invalid entries to the policy, which for
// LRU and FIFO differs only for entries filled at tick 0, whose stamp ties
// with an invalid entry's, and for TreePLRU, which ignores validity.)
//
// Entry must provide: a default/copy constructor producing an invalid entry
// ready for reuse. The table stores a prototype and copies it over a victim.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "npusim/mem/cache/replacement/base.hh"
#include "npusim/sim/logging.hh"
#include "npusim/sim/types.hh"

namespace npusim::pfa {

template <class Entry>
class AssociativeTable {
  public:
    // How a key picks its set (the table passes its set count minus one).
    using SetFunction = std::function<std::size_t(Addr key, std::size_t setMask)>;

    // Plain gem5 SetAssociative indexing with entry_size 1: the low bits.
    static std::size_t lowBitsSet(Addr key, std::size_t setMask) { return std::size_t(key) & setMask; }

    AssociativeTable() = default;

    // `owner` and `what` name the parameters in error messages.
    void init(const std::string &owner, const std::string &what, std::size_t entries, unsigned assoc,
              BaseReplacementPolicy *policy, const Entry &prototype, SetFunction setOf = lowBitsSet) {
        if (assoc == 0) fatal(owner, ": the ", what, " associativity must be at least 1");
        if (entries == 0 || entries % assoc)
            fatal(owner, ": the ", what, " has ", entries, " entries, not a multiple of its associativity ", assoc);
        const std::size_t sets = entries / assoc;
        if (sets & (sets - 1))
            fatal(owner, ": the ", what, " has ", sets, " sets (entries / assoc); it must be a power of 2");
        if (!policy) fatal(owner, ": the ", what, " needs a replacement policy");
        ways = assoc;
        setMask = sets - 1;
        proto = prototype;
        proto.valid = false;
        table.assign(entries, proto);
        repl = policy->instantiate(sets, assoc);
        setFn = std::move(setOf);
    }

    bool initialised() const { return repl != nullptr; }
    std::size_t numEntries() const { return table.size(); }
    std::size_t numSets() const { return setMask + 1; }
    unsigned assoc() const { return ways; }

    // The valid entry holding `key`, or null.
    Entry *find(Addr key) {
        Entry *row = &table[setOf(key) * ways];
        for (unsigned w = 0; w < ways; ++w)
            if (row[w].valid && row[w].key == key) return &row[w];
        return nullptr;
    }

    // A hit on `e`.
    void access(Entry *e) {
        const std::size_t i = indexOf(e);
        repl->touch(i / ways, unsigned(i % ways));
    }

    // The entry of `key`'s set to replace, already reset to the prototype.
    Entry *findVictim(Addr key) {
        const std::size_t set = setOf(key);
        unsigned way = ways;
        for (unsigned w = 0; w < ways && way == ways; ++w)
            if (!table[set * ways + w].valid) way = w;
        if (way == ways) way = repl->getVictim(set);
        Entry *e = &table[set * ways + way];
        *e = proto;
        repl->invalidate(set, way);
        return e;
    }

    // Fills `e` (from findVictim(key)) with `key`.
    void insert(Addr key, Entry *e) {
        e->valid = true;
        e->key = key;
        const std::size_t i = indexOf(e);
        repl->reset(i / ways, unsigned(i % ways));
    }

    // Drops `e`.
    void invalidate(Entry *e) {
        const std::size_t i = indexOf(e);
        *e = proto;
        repl->invalidate(i / ways, unsigned(i % ways));
    }

    // All entries, valid or not (for scans over the whole table).
    std::vector<Entry> &entries() { return table; }

  private:
    std::size_t setOf(Addr key) const { return setFn(key, setMask) & setMask; }
    std::size_t indexOf(const Entry *e) const {
        const std::size_t i = std::size_t(e - table.data());
        if (i >= table.size()) panic("AssociativeTable: entry does not belong to this table");
        return i;
    }

    std::vector<Entry> table;
    Entry proto{};
    std::unique_ptr<ReplacementState> repl;
    SetFunction setFn = lowBitsSet;
    std::size_t setMask = 0;
    unsigned ways = 1;
};

}  // namespace npusim::pfa
