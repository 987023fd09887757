// The random source of the replacement policies: splitmix64, portable, so a
// seed gives the same victims on every platform.
#pragma once
#include <cstdint>

namespace npusim {

class SplitMixRng {
  public:
    explicit SplitMixRng(std::uint64_t seed) : state(seed) {}
    std::uint64_t next() {
        std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
    }
    // Uniform in [lo, hi].
    std::uint64_t range(std::uint64_t lo, std::uint64_t hi) { return lo + next() % (hi - lo + 1); }

  private:
    std::uint64_t state;
};

}  // namespace npusim
