// A small, fast, portable pseudo-random generator (xoshiro256**, seeded
// through splitmix64). Unlike std::uniform_int_distribution its output is
// the same on every platform and standard library, so a seed fixes a run.
#pragma once
#include <cstdint>

namespace npusim {

class Rng {
  public:
    explicit Rng(std::uint64_t seed = 0) { reseed(seed); }

    void reseed(std::uint64_t seed) {
        std::uint64_t x = seed;
        for (auto &word : s) word = splitmix(x);
    }

    std::uint64_t next() {
        const std::uint64_t result = rotl(s[1] * 5, 7) * 9;
        const std::uint64_t t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = rotl(s[3], 45);
        return result;
    }

    // Uniform in [0, n) for n > 0 (multiply-shift; the bias is below 2^-64 * n).
    std::uint64_t below(std::uint64_t n) {
        return std::uint64_t((static_cast<unsigned __int128>(next()) * n) >> 64);
    }

    // Uniform in [lo, hi] (inclusive), lo <= hi.
    std::uint64_t between(std::uint64_t lo, std::uint64_t hi) {
        if (hi - lo == ~std::uint64_t(0)) return next();
        return lo + below(hi - lo + 1);
    }

  private:
    static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
    static std::uint64_t splitmix(std::uint64_t &x) {
        std::uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
    }
    std::uint64_t s[4];
};

}  // namespace npusim
