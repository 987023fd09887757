// Whole-number stats counted as integers on the per-burst path and added to
// their stats::Scalar / stats::Vector only when stats are collected
// (preDumpStats) or cleared (resetStats). Every sample is a whole number
// (requests, bursts, bytes, ticks), so the doubles come out exactly as with
// one `+=` each, as long as a stat stays below 2^53 (the point from which
// the one-by-one sums would round too).
#pragma once
#include <algorithm>
#include <cstdint>
#include <vector>

#include "npusim/sim/stats.hh"

namespace npusim::memory {

inline void flushTally(stats::Scalar &stat, std::uint64_t &count) {
    if (count) stat += double(count);
    count = 0;
}

// One integer counter per element of a stats::Vector.
class VectorTally {
  public:
    void init(std::size_t n) { counts.assign(n, 0); }
    std::uint64_t &operator[](std::size_t i) { return counts[i]; }
    void flushInto(stats::Vector &stat) {
        for (std::size_t i = 0; i < counts.size(); ++i) {
            if (counts[i]) stat[i] += double(counts[i]);
            counts[i] = 0;
        }
    }
    void clear() { std::fill(counts.begin(), counts.end(), 0); }

  private:
    std::vector<std::uint64_t> counts;
};

}  // namespace npusim::memory
