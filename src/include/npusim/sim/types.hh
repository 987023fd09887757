// Basic simulation types shared by every SimObject.
#pragma once
#include <cstdint>
#include <limits>

namespace npusim {

using Tick = std::uint64_t;   // picoseconds
using Addr = std::uint64_t;
using RequestorID = std::uint16_t;

constexpr Tick kMaxTick = std::numeric_limits<Tick>::max();
// The longest span a parameter or input may ask for (about 53 days): a few of
// them added to the current tick still fit in a Tick. Python's latency
// parameters have the same limit (npusim.units.MAX_TICKS).
constexpr Tick kMaxDuration = Tick(1) << 62;
constexpr Tick kTicksPerSecond = 1'000'000'000'000ULL;
constexpr RequestorID kInvalidRequestorID = std::numeric_limits<RequestorID>::max();

// Cycles are a distinct type so that ticks and cycles never mix silently.
class Cycles {
  public:
    constexpr Cycles() = default;
    constexpr explicit Cycles(std::uint64_t c) : count(c) {}
    constexpr std::uint64_t value() const { return count; }
    constexpr operator std::uint64_t() const { return count; }
    constexpr Cycles operator+(Cycles o) const { return Cycles(count + o.count); }
    constexpr Cycles operator-(Cycles o) const { return Cycles(count - o.count); }
    Cycles &operator+=(Cycles o) { count += o.count; return *this; }
    Cycles &operator++() { ++count; return *this; }
  private:
    std::uint64_t count = 0;
};

}  // namespace npusim
