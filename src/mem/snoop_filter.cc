#include "snoop_filter.hh"

#include <string>

namespace npusim::xbar {

SnoopFilter::SnoopFilter(const Params &p)
    : SimObject(p),
      lookup(p.get<Cycles>("lookup_latency")),
      capacityLines(p.get<std::uint64_t>("max_capacity") >> kLineShift),
      totRequests(this, "totRequests", stats::units::Count, "Total number of requests made to the snoop filter."),
      hitSingleRequests(this, "hitSingleRequests", stats::units::Count,
                        "Number of requests hitting in the snoop filter with a single holder of the requested data."),
      hitMultiRequests(this, "hitMultiRequests", stats::units::Count,
                       "Number of requests hitting in the snoop filter with multiple (>1) holders of the requested "
                       "data."),
      totSnoops(this, "totSnoops", stats::units::Count, "Total number of snoops made to the snoop filter."),
      hitSingleSnoops(this, "hitSingleSnoops", stats::units::Count,
                      "Number of snoops hitting in the snoop filter with a single holder of the requested data."),
      hitMultiSnoops(this, "hitMultiSnoops", stats::units::Count,
                     "Number of snoops hitting in the snoop filter with multiple (>1) holders of the requested data.") {
    if (capacityLines == 0)
        p.error("max_capacity", "must hold at least one 64-byte line, got " +
                                    std::to_string(p.get<std::uint64_t>("max_capacity")) + " bytes");
    slots.resize(8192);
    mask = slots.size() - 1;
    maxUsed = slots.size() / 4;
    shift = 64 - unsigned(std::countr_zero(slots.size()));
}

void SnoopFilter::grow() {
    std::vector<Slot> old(2 * slots.size());
    old.swap(slots);
    mask = slots.size() - 1;
    maxUsed = slots.size() / 4;
    --shift;
    for (const Slot &s : old) {
        if (s.line == kEmpty) continue;
        slots[probe(s.line)] = s;
    }
}

void SnoopFilter::eraseShifting(std::size_t i) {
    // Backward shift: pull later entries of the probe run into the hole
    // unless their home lies cyclically after the hole.
    std::size_t hole = i;
    for (std::size_t j = (i + 1) & mask; slots[j].line != kEmpty; j = (j + 1) & mask) {
        const std::size_t h = home(slots[j].line);
        const bool stays = hole <= j ? (hole < h && h <= j) : (hole < h || h <= j);
        if (stays) continue;
        slots[hole] = slots[j];
        hole = j;
    }
    slots[hole] = Slot{};
    --used;
}

void SnoopFilter::capacityExceeded() const {
    fatal(name(), ".max_capacity: exceeded: a snoop from below missed while the filter held ", used,
          " lines, its capacity being ", capacityLines, " (max_capacity / 64 bytes); gem5 panics here too");
}

void SnoopFilter::undoRequest(Addr addr, unsigned port, bool snooping, bool eviction) {
    if (!snooping) return;  // nothing changed
    const Addr line = addr >> kLineShift;
    const Mask bit = Mask(1) << port;
    std::size_t i = probe(line);
    if (!eviction) {
        if (slots[i].line != line) return;
        slots[i].requested &= ~bit;
        if (!(slots[i].requested | slots[i].holder)) erase(i);
        return;
    }
    if (heldBeforeEviction != line) return;
    if (slots[i].line != line) i = place(i, line);
    slots[i].holder |= bit;
    heldBeforeEviction = kEmpty;
}

NPUSIM_REGISTER_SIMOBJECT(SnoopFilter, SnoopFilter);

}  // namespace npusim::xbar
