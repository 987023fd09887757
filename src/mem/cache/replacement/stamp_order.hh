// Per-entry timestamps of a set-associative table, with each set's ways kept
// in a doubly linked list sorted by (stamp, way). The head of a set's list is
// then "the first way with the smallest stamp" -- the victim of the LRU, BIP
// and FIFO policies -- found in O(1) instead of a scan of every way.
//
// Keeping the order costs little because stamps move in time order: a new
// stamp is nearly always the current tick, which sorts after every stamp in
// the set, so the walk that places it stops at once. (Ways stamped in the
// same tick sort by way number, the tie rule of the scan this replaces.)
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "npusim/sim/types.hh"

namespace npusim {

class StampOrder {
  public:
    // All entries start with stamp 0, their sets in way order.
    StampOrder(std::size_t sets, unsigned ways) : ways(ways), entries(sets * ways), ends(sets) {
        for (std::size_t s = 0; s < sets; ++s) {
            for (unsigned w = 0; w < ways; ++w)
                entries[s * ways + w] = Entry{0, w == 0 ? kNone : w - 1, w + 1 == ways ? kNone : w + 1};
            ends[s] = Ends{0, ways - 1};
        }
    }

    Tick get(std::size_t s, unsigned w) const { return entries[s * ways + w].stamp; }

    // Sets w's stamp to t. The usual moves are handled inline: a stamp that
    // sorts last (a hit or a fill at the current tick) moves w to the tail.
    [[gnu::always_inline]] void set(std::size_t s, unsigned w, Tick t) {
        Entry *en = &entries[s * ways];
        Ends &e = ends[s];
        const std::uint32_t last = e.tail;
        if (last == w) {
            if (t >= en[w].stamp) {
                en[w].stamp = t;  // already last, and a later stamp keeps it last (repeated hits)
                return;
            }
        } else if (en[last].stamp < t || (en[last].stamp == t && last < w)) {
            const std::uint32_t p = en[w].prev, n = en[w].next;  // n exists: w is not last
            if (p == kNone) e.head = n;
            else en[p].next = n;
            en[n].prev = p;
            en[w] = Entry{t, last, kNone};
            en[last].next = w;
            e.tail = w;
            return;
        }
        reorder(s, w, t);
    }

    // The first way with the smallest stamp.
    unsigned oldest(std::size_t s) const { return ends[s].head; }

  private:
    static constexpr std::uint32_t kNone = ~std::uint32_t(0);

    // The general case of set(): w moves to wherever t sorts.
    [[gnu::noinline]] void reorder(std::size_t s, unsigned w, Tick t) {
        Entry *en = &entries[s * ways];
        Ends &e = ends[s];
        // Unlink w.
        const std::uint32_t p = en[w].prev, n = en[w].next;
        if (p == kNone) e.head = n;
        else en[p].next = n;
        if (n == kNone) e.tail = p;
        else en[n].prev = p;
        en[w].stamp = t;
        auto before = [en, t, w](std::uint32_t x) { return en[x].stamp < t || (en[x].stamp == t && x < w); };
        const std::uint32_t last = e.tail, first = e.head;
        if (last == kNone) {
            en[w].prev = en[w].next = kNone;
            e.head = e.tail = w;
        } else if (before(last)) {
            en[w].prev = last;
            en[w].next = kNone;
            en[last].next = w;
            e.tail = w;
        } else {
            // Find x, the first way sorting after w, walking from the nearer
            // end (stamps 0 and 1 of invalidations and BIP insertions are
            // near the head).
            std::uint32_t x;
            if (t <= en[first].stamp || t - en[first].stamp <= en[last].stamp - t) {
                x = first;
                while (before(x)) x = en[x].next;
            } else {
                x = last;
                while (en[x].prev != kNone && !before(en[x].prev)) x = en[x].prev;
            }
            const std::uint32_t px = en[x].prev;
            en[w].prev = px;
            en[w].next = x;
            en[x].prev = w;
            if (px == kNone) e.head = w;
            else en[px].next = w;
        }
    }

    // A way's stamp and its neighbours in the set's order, together: one
    // index reaches both.
    struct Entry {
        Tick stamp;
        std::uint32_t prev, next;  // way numbers within the set
    };
    struct Ends {
        std::uint32_t head, tail;
    };

    unsigned ways;
    std::vector<Entry> entries;
    std::vector<Ends> ends;  // per set
};

}  // namespace npusim
