// Half-open physical address ranges [start, end).
#pragma once
#include <string>
#include <vector>

#include "npusim/sim/types.hh"

namespace npusim {

struct AddrRange {
    Addr start = 0;
    Addr end = 0;  // exclusive

    AddrRange() = default;
    AddrRange(Addr s, Addr e) : start(s), end(e) {}
    Addr size() const { return end - start; }
    bool contains(Addr a) const { return a >= start && a < end; }
    bool intersects(const AddrRange &o) const { return start < o.end && o.start < end; }
    bool valid() const { return end > start; }
    std::string toString() const;
};

using AddrRangeList = std::vector<AddrRange>;

}  // namespace npusim
