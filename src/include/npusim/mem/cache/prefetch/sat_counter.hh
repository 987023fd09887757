// SatCounter: an unsigned counter of a given number of bits that stops at 0
// and at its maximum instead of wrapping (gem5's SatCounter), the
// confidence counter of prefetcher tables (Stride, IMP, SPP, ISB, STeMS).
//
//     SatCounter c(2);        // 2 bits: 0 .. 3, starts at 0
//     ++c; ++c; ++c; ++c;     // 3: saturated
//     c.saturation();         // 1.0 (value / maximum)
#pragma once
#include <cstdint>

namespace npusim {

class SatCounter {
  public:
    // `bits` in [1, 32]; `initial` is clamped to the maximum.
    explicit SatCounter(unsigned bits = 2, unsigned initial = 0)
        : maxVal(unsigned((std::uint64_t(1) << bits) - 1)), value(initial > maxVal ? maxVal : initial) {}

    SatCounter &operator++() {
        if (value < maxVal) ++value;
        return *this;
    }
    SatCounter &operator--() {
        if (value > 0) --value;
        return *this;
    }
    SatCounter &operator>>=(unsigned s) {
        value >>= s;
        return *this;
    }
    void reset() { value = 0; }
    void set(unsigned v) { value = v > maxVal ? maxVal : v; }

    unsigned get() const { return value; }
    unsigned max() const { return maxVal; }
    bool isSaturated() const { return value == maxVal; }
    // value / maximum, in [0, 1].
    double saturation() const { return double(value) / double(maxVal); }

  private:
    unsigned maxVal;
    unsigned value;
};

}  // namespace npusim
