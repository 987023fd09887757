// AssociativeTable<Entry>: a set-associative table of prefetcher metadata
// keyed by a 64-bit integer (a PC, a page or zone number, a signature, ...),
// the role of gem5's AssociativeSet / AssociativeCache. Stride, DCPT, IMP,
// AMPM, SPP, SPPv2, ISB, STeMS and PIF keep their tables in it, and so may a
// new prefetcher:
//
//     struct Entry { Addr lastAddr = 0; SatCounter confidence{2}; };
//     AssociativeTable<Entry> table(p, "table_entries", "table_assoc",
//                                   "table_replacement_policy", Entry{});
//
//     Entry *e = table.find(pc);        // no replacement update (gem5's findEntry)
//     if (e) table.touch(e);            // a hit (gem5's accessEntry)
//     else e = table.insert(pc);        // a blank entry for pc, in place of a victim
//
// Entry is any copyable type. The table keeps each entry's key and valid
// bit itself; `blank` is the value of every entry at the start, of the
// entry insert() returns, and of an invalidated one. Keys are whole (the
// tag is the full key, so two keys never alias).
//
// Set index: the low bits of the key (key mod number of sets, as gem5's
// SetAssociative and TaggedSetAssociative indexing with entry size 1), or
// the low bits of TableOptions::setIndex(key) for a hashed index.
//
// Replacement: a BaseReplacementPolicy, as cache tags use them. find()
// leaves it alone, touch() is a hit, insert() invalidates the victim and
// resets it as filled (gem5's findVictim + insertEntry), invalidate()
// invalidates (an entry that is already invalid is left as it is). Which
// way insert() replaces is a choice (TableOptions::victims), because
// tables have been built both ways and the choice changes the results:
//
//  - VictimChoice::Policy (gem5's AssociativeSet): the policy chooses among
//    every way of the set, valid or not. LRU, FIFO and BIP then prefer an
//    invalid way through its zero stamp, except that a way filled at tick 0
//    has a zero stamp too (ties go to the lower way); MRU and Random take
//    the first invalid way, but Random draws a number on every insertion;
//    TreePLRU ignores validity and may replace a valid way while others are
//    invalid.
//  - VictimChoice::InvalidFirst (cache tags): the first invalid way of the
//    set, without asking the policy (so Random draws nothing); the policy
//    chooses only when every way is valid.
//
// Large sets (more than 16 ways, e.g. a fully associative table) keep a
// hash index beside the ways, so a lookup is O(1) instead of a scan; the
// answer is the same (insert() is meant for a key that find() missed: a key
// inserted twice is in the table twice, and find() returns one of them).
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "npusim/mem/cache/replacement/base.hh"
#include "npusim/sim/logging.hh"
#include "npusim/sim/params.hh"

namespace npusim {

// Number of sets, ways and the replacement policy of a table.
struct TableGeometry {
    std::size_t sets = 1;   // a power of 2
    unsigned assoc = 1;
    BaseReplacementPolicy *policy = nullptr;

    // From three parameters (number of entries, associativity, replacement
    // policy), with gem5's rules: entries a multiple of assoc, a power-of-2
    // number of sets. A bad value is reported with p.error().
    static TableGeometry fromParams(const Params &p, const std::string &entriesKey, const std::string &assocKey,
                                    const std::string &policyKey) {
        const std::uint64_t entries = p.get<std::uint64_t>(entriesKey);
        const unsigned assoc = p.get<unsigned>(assocKey);
        if (entries == 0) p.error(entriesKey, "must be at least 1");
        if (assoc == 0) p.error(assocKey, "must be at least 1");
        if (entries % assoc)
            p.error(entriesKey, "must be a multiple of " + assocKey + " (" + std::to_string(assoc) + ")");
        const std::uint64_t sets = entries / assoc;
        if (sets & (sets - 1)) p.error(entriesKey, "divided by " + assocKey + " must give a power-of-2 number of sets");
        auto *policy = p.get<BaseReplacementPolicy *>(policyKey);
        if (!policy) p.error(policyKey, "a replacement policy is required");
        return TableGeometry{std::size_t(sets), assoc, policy};
    }
};

// Which way of a full or partly filled set insert() replaces (see above).
enum class VictimChoice { Policy, InvalidFirst };

struct TableOptions {
    VictimChoice victims = VictimChoice::Policy;
    // Empty: the set is the key's low bits; else the low bits of setIndex(key).
    std::function<std::uint64_t(std::uint64_t key)> setIndex;
};

template <typename Entry>
class AssociativeTable {
  public:
    using Key = std::uint64_t;

    AssociativeTable(const TableGeometry &g, const Entry &blank, TableOptions options = {})
        : sets(g.sets), ways(g.assoc), blankEntry(blank), victims(options.victims),
          setIndex(std::move(options.setIndex)) {
        if (sets == 0 || (sets & (sets - 1))) panic("AssociativeTable: ", sets, " sets, not a power of 2");
        if (ways == 0) panic("AssociativeTable: no ways");
        if (!g.policy) panic("AssociativeTable: no replacement policy");
        repl = g.policy->instantiate(sets, ways);
        slots.assign(sets * ways, blankEntry);
        tags.assign(sets * ways, 0);
        valid.assign(sets * ways, 0);
        hashed = ways > kHashFrom;
        if (hashed) index.reserve(sets * ways * 2);
    }

    // The geometry from the parameters named (see TableGeometry::fromParams).
    AssociativeTable(const Params &p, const std::string &entriesKey, const std::string &assocKey,
                     const std::string &policyKey, const Entry &blank, TableOptions options = {})
        : AssociativeTable(TableGeometry::fromParams(p, entriesKey, assocKey, policyKey), blank,
                           std::move(options)) {}

    std::size_t numEntries() const { return slots.size(); }
    std::size_t numSets() const { return sets; }
    unsigned assoc() const { return ways; }

    // The valid entry with this key, or null. The replacement state is not
    // updated (gem5's findEntry).
    Entry *find(Key key) {
        const std::size_t i = locate(key);
        return i == kNone ? nullptr : &slots[i];
    }
    const Entry *find(Key key) const {
        const std::size_t i = locate(key);
        return i == kNone ? nullptr : &slots[i];
    }

    // A hit on `e`: updates the replacement state (gem5's accessEntry).
    void touch(const Entry *e) {
        const std::size_t i = indexOf(e);
        repl->touch(i / ways, unsigned(i % ways));
    }

    // Replaces a way of the key's set (chosen as TableOptions::victims says)
    // with a blank entry for `key`, and returns it. The evicted entry is lost.
    Entry *insert(Key key) {
        const std::size_t set = setOf(key);
        const std::size_t i = set * ways + victimWay(set);
        const unsigned way = unsigned(i % ways);
        if (valid[i]) unindex(i);
        repl->invalidate(set, way);
        slots[i] = blankEntry;
        tags[i] = key;
        valid[i] = 1;
        if (hashed) index[key] = i;
        repl->reset(set, way);
        return &slots[i];
    }

    // The entry for `key`: touched if present, inserted otherwise. `hit`,
    // if given, tells which.
    Entry *findOrInsert(Key key, bool *hit = nullptr) {
        Entry *e = find(key);
        if (hit) *hit = e != nullptr;
        if (e) touch(e);
        else e = insert(key);
        return e;
    }

    // Drops `e` (a no-op if it is not valid).
    void invalidate(Entry *e) {
        const std::size_t i = indexOf(e);
        if (!valid[i]) return;
        unindex(i);
        valid[i] = 0;
        slots[i] = blankEntry;
        repl->invalidate(i / ways, unsigned(i % ways));
    }

    bool isValid(const Entry *e) const { return valid[indexOf(e)] != 0; }
    Key keyOf(const Entry *e) const { return tags[indexOf(e)]; }

    // Every way of every set, valid or not, in set-major order.
    std::vector<Entry> &all() { return slots; }
    const std::vector<Entry> &all() const { return slots; }
    bool validAt(std::size_t i) const { return valid[i] != 0; }
    Key keyAt(std::size_t i) const { return tags[i]; }

    // f(entry) for every valid entry, in set-major order. f may invalidate
    // the entry it is given.
    template <typename F>
    void forEachValid(F &&f) {
        for (std::size_t i = 0; i < slots.size(); ++i)
            if (valid[i]) f(slots[i]);
    }

  private:
    static constexpr std::size_t kNone = ~std::size_t(0);
    static constexpr unsigned kHashFrom = 16;   // ways above which lookups use the hash index

    std::size_t setOf(Key key) const { return std::size_t((setIndex ? setIndex(key) : key) & (sets - 1)); }
    std::size_t indexOf(const Entry *e) const {
        const std::size_t i = std::size_t(e - slots.data());
        if (i >= slots.size()) panic("AssociativeTable: the entry is not one of this table's");
        return i;
    }
    unsigned victimWay(std::size_t set) {
        if (victims == VictimChoice::InvalidFirst) {
            const std::size_t base = set * ways;
            for (unsigned w = 0; w < ways; ++w)
                if (!valid[base + w]) return w;
        }
        return repl->getVictim(set);
    }
    void unindex(std::size_t i) {
        if (!hashed) return;
        auto it = index.find(tags[i]);
        if (it != index.end() && it->second == i) index.erase(it);
    }
    std::size_t locate(Key key) const {
        if (hashed) {
            auto it = index.find(key);
            return it == index.end() ? kNone : it->second;
        }
        const std::size_t base = setOf(key) * ways;
        for (unsigned w = 0; w < ways; ++w)
            if (valid[base + w] && tags[base + w] == key) return base + w;
        return kNone;
    }

    std::size_t sets;
    unsigned ways;
    Entry blankEntry;
    VictimChoice victims;
    std::function<std::uint64_t(std::uint64_t)> setIndex;
    std::vector<Entry> slots;
    std::vector<Key> tags;
    std::vector<std::uint8_t> valid;
    std::unique_ptr<ReplacementState> repl;
    bool hashed = false;
    std::unordered_map<Key, std::size_t> index;
};

}  // namespace npusim
