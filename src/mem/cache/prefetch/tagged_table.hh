// TaggedTable<Entry>: a set-associative table of prefetcher metadata keyed
// by an integer (a zone number, a page number, a PC, a signature ...), for
// the prefetchers of ampm.cc, spp.cc, spp_v2.cc, isb.cc, stems.cc and pif.cc.
//
// It behaves like gem5's AssociativeSet with a TaggedSetAssociative
// indexing policy: the set is the low bits of the key (key mod numSets),
// the full key is kept as the tag (no aliasing), lookups do not touch the
// replacement state, touch() does, and insert() asks the replacement
// policy for a victim among every way of the set (the policy, not the
// table, prefers invalid ways: LRU does through its zero timestamps), resets
// the victim to the table's blank entry and marks it filled.
//
// Large sets (the fully associative tables of STeMS, ISB and PIF) keep a
// hash index beside the ways so that a lookup costs O(1) instead of a scan.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "npusim/mem/cache/replacement/base.hh"
#include "npusim/sim/logging.hh"
#include "npusim/sim/params.hh"
#include "npusim/sim/types.hh"

namespace npusim::pftable {

template <typename Entry>
class TaggedTable {
  public:
    // `entries` and `assoc` come from the parameters named `entriesKey` and
    // `assocKey` (for the error messages); `blank` is the reset value of an
    // entry.
    TaggedTable(const Params &p, const char *entriesKey, const char *assocKey, const char *policyKey,
                const Entry &blank)
        : blankEntry(blank) {
        const std::uint64_t n = p.get<std::uint64_t>(entriesKey);
        ways = p.get<unsigned>(assocKey);
        if (n == 0) p.error(entriesKey, "must be at least 1");
        if (ways == 0) p.error(assocKey, "must be at least 1");
        if (n % ways) p.error(entriesKey, "must be a multiple of " + std::string(assocKey) + " (" + std::to_string(ways) + ")");
        sets = std::size_t(n / ways);
        if (sets & (sets - 1)) p.error(entriesKey, "divided by " + std::string(assocKey) + " must give a power-of-2 number of sets");
        auto *policy = p.get<BaseReplacementPolicy *>(policyKey);
        if (!policy) p.error(policyKey, "a replacement policy is required");
        repl = policy->instantiate(sets, ways);
        init();
    }

    // A table whose geometry is not a parameter (gem5 builds some that way).
    TaggedTable(std::size_t numSets, unsigned assoc, BaseReplacementPolicy *policy, const Entry &blank)
        : sets(numSets), ways(assoc), blankEntry(blank) {
        if (!policy) panic("TaggedTable: no replacement policy");
        repl = policy->instantiate(sets, ways);
        init();
    }

    std::size_t numEntries() const { return slots.size(); }
    std::size_t numSets() const { return sets; }
    unsigned assoc() const { return ways; }

    // The valid entry with this key, or null; the replacement state is not
    // updated (gem5's findEntry).
    Entry *find(std::uint64_t key) {
        const std::size_t i = locate(key);
        return i == kNone ? nullptr : &slots[i];
    }
    const Entry *find(std::uint64_t key) const {
        const std::size_t i = locate(key);
        return i == kNone ? nullptr : &slots[i];
    }

    // A hit: updates the replacement state (gem5's accessEntry).
    void touch(const Entry *e) {
        const std::size_t i = indexOf(e);
        repl->touch(i / ways, unsigned(i % ways));
    }

    // Replaces the victim of the key's set with a blank entry for `key`
    // (gem5's findVictim + insertEntry). The evicted entry is lost.
    Entry *insert(std::uint64_t key) {
        const std::size_t set = setOf(key);
        const unsigned way = repl->getVictim(set);
        const std::size_t i = set * ways + way;
        if (valid[i] && hashed) index.erase(tags[i]);
        slots[i] = blankEntry;
        tags[i] = key;
        valid[i] = 1;
        if (hashed) index[key] = i;
        repl->reset(set, way);
        return &slots[i];
    }

    // The entry for `key`, touched if present, inserted otherwise; `hit`
    // tells which.
    Entry *findOrInsert(std::uint64_t key, bool &hit) {
        Entry *e = find(key);
        hit = e != nullptr;
        if (e) touch(e);
        else e = insert(key);
        return e;
    }

    void invalidate(Entry *e) {
        const std::size_t i = indexOf(e);
        if (!valid[i]) return;
        if (hashed) index.erase(tags[i]);
        valid[i] = 0;
        slots[i] = blankEntry;
        repl->invalidate(i / ways, unsigned(i % ways));
    }

    bool isValid(const Entry *e) const { return valid[indexOf(e)] != 0; }
    std::uint64_t keyOf(const Entry *e) const { return tags[indexOf(e)]; }

    // Every way of every set, valid or not, in set-major order.
    std::vector<Entry> &all() { return slots; }
    const std::vector<Entry> &all() const { return slots; }
    bool validAt(std::size_t i) const { return valid[i] != 0; }
    std::uint64_t keyAt(std::size_t i) const { return tags[i]; }

  private:
    static constexpr std::size_t kNone = ~std::size_t(0);
    static constexpr unsigned kHashFrom = 16;   // ways above which lookups use the hash index

    void init() {
        slots.assign(sets * ways, blankEntry);
        tags.assign(sets * ways, 0);
        valid.assign(sets * ways, 0);
        hashed = ways > kHashFrom;
        if (hashed) index.reserve(sets * ways * 2);
    }
    std::size_t setOf(std::uint64_t key) const { return std::size_t(key & (sets - 1)); }
    std::size_t indexOf(const Entry *e) const { return std::size_t(e - slots.data()); }
    std::size_t locate(std::uint64_t key) const {
        if (hashed) {
            auto it = index.find(key);
            return it == index.end() ? kNone : it->second;
        }
        const std::size_t base = setOf(key) * ways;
        for (unsigned w = 0; w < ways; ++w)
            if (valid[base + w] && tags[base + w] == key) return base + w;
        return kNone;
    }

    std::size_t sets = 1;
    unsigned ways = 1;
    Entry blankEntry;
    std::vector<Entry> slots;
    std::vector<std::uint64_t> tags;
    std::vector<std::uint8_t> valid;
    std::unique_ptr<ReplacementState> repl;
    bool hashed = false;
    std::unordered_map<std::uint64_t, std::size_t> index;
};

// Bits needed to tell `n` values apart (ceil(log2 n)), for storage budgets.
inline unsigned bitsFor(std::uint64_t n) {
    unsigned b = 0;
    while ((std::uint64_t(1) << b) < n) ++b;
    return b;
}

// A saturating counter of `bits` bits (gem5's SatCounter).
class SatCounter {
  public:
    explicit SatCounter(unsigned bits = 2, unsigned initial = 0)
        : maxVal((1u << bits) - 1), value(initial > maxVal ? maxVal : initial) {}
    SatCounter &operator++() { if (value < maxVal) ++value; return *this; }
    SatCounter &operator--() { if (value > 0) --value; return *this; }
    SatCounter &operator>>=(unsigned s) { value >>= s; return *this; }
    void reset() { value = 0; }
    void set(unsigned v) { value = v > maxVal ? maxVal : v; }
    unsigned get() const { return value; }
    unsigned max() const { return maxVal; }
    bool isSaturated() const { return value == maxVal; }
    double saturation() const { return double(value) / double(maxVal); }
  private:
    unsigned maxVal;
    unsigned value;
};

}  // namespace npusim::pftable
