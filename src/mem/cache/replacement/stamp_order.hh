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
    StampOrder(std::size_t sets, unsigned ways)
        : ways(ways), stamp(sets * ways, 0), prev(sets * ways), next(sets * ways), head(sets, 0),
          tail(sets, ways - 1) {
        for (std::size_t s = 0; s < sets; ++s) {
            for (unsigned w = 0; w < ways; ++w) {
                prev[s * ways + w] = w == 0 ? kNone : w - 1;
                next[s * ways + w] = w + 1 == ways ? kNone : w + 1;
            }
        }
    }

    Tick get(std::size_t s, unsigned w) const { return stamp[s * ways + w]; }

    void set(std::size_t s, unsigned w, Tick t) {
        const std::size_t base = s * ways;
        Tick &st = stamp[base + w];
        if (tail[s] == w && t >= st) {
            // Already last, and a later stamp keeps it last (repeated hits).
            st = t;
            return;
        }
        unlink(s, base, w);
        st = t;
        if (tail[s] == kNone) {
            prev[base + w] = next[base + w] = kNone;
            head[s] = tail[s] = w;
            return;
        }
        const std::uint32_t last = tail[s], first = head[s];
        if (before(base, last, t, w)) {
            linkAfter(s, base, last, w);
        } else if (t <= stamp[base + first] || t - stamp[base + first] <= stamp[base + last] - t) {
            // Nearer the old end (stamps 0 and 1 of invalidations and BIP
            // insertions): walk forward to the first way sorting after w.
            std::uint32_t x = first;
            while (before(base, x, t, w)) x = next[base + x];
            linkBefore(s, base, x, w);
        } else {
            // Walk back to the last way sorting before w, if any.
            std::uint32_t x = prev[base + last];
            while (x != kNone && !before(base, x, t, w)) x = prev[base + x];
            if (x == kNone) linkBefore(s, base, first, w);
            else linkAfter(s, base, x, w);
        }
    }

    // The first way with the smallest stamp.
    unsigned oldest(std::size_t s) const { return head[s]; }

  private:
    static constexpr std::uint32_t kNone = ~std::uint32_t(0);

    // Does way x of the set sort before (t, w)?
    bool before(std::size_t base, std::uint32_t x, Tick t, unsigned w) const {
        const Tick sx = stamp[base + x];
        return sx < t || (sx == t && x < w);
    }
    void unlink(std::size_t s, std::size_t base, unsigned w) {
        const std::uint32_t p = prev[base + w], n = next[base + w];
        if (p == kNone) head[s] = n;
        else next[base + p] = n;
        if (n == kNone) tail[s] = p;
        else prev[base + n] = p;
    }
    void linkAfter(std::size_t s, std::size_t base, std::uint32_t x, unsigned w) {
        const std::uint32_t n = next[base + x];
        prev[base + w] = x;
        next[base + w] = n;
        next[base + x] = w;
        if (n == kNone) tail[s] = w;
        else prev[base + n] = w;
    }
    void linkBefore(std::size_t s, std::size_t base, std::uint32_t x, unsigned w) {
        const std::uint32_t p = prev[base + x];
        next[base + w] = x;
        prev[base + w] = p;
        prev[base + x] = w;
        if (p == kNone) head[s] = w;
        else next[base + p] = w;
    }

    unsigned ways;
    std::vector<Tick> stamp;
    std::vector<std::uint32_t> prev, next;  // way numbers within the set
    std::vector<std::uint32_t> head, tail;  // per set
};

}  // namespace npusim
