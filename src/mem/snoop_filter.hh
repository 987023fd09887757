// gem5's SnoopFilter: the crossbar that owns one charges every request its
// lookup latency (CoherentXBar::recvTimingReq adds it to the packet's header
// delay), and the filter keeps gem5's record of which CPU-side ports hold a
// line or have a request for it in flight, for gem5's statistics
// (totRequests, hit{Single,Multi}Requests, totSnoops, hit{Single,Multi}Snoops)
// and for the crossbar's snoopFanout.
//
// The record, per line, is two port masks: `requested` (a request from the
// port went down and its response has not come back up) and `holder` (a
// response went up to the port, and no eviction without BLOCK_CACHED has come
// down since). A line with both masks empty has no entry. The crossbar calls
//   lookupRequest  for every request it accepts from a CPU-side port
//                  (lookupEviction for a writeback or clean eviction),
//   undoRequest    when the memory side then refuses that request,
//   updateResponse for every response it passes to a snooping port,
//   lookupSnoop    for every snoop from below (a cache's eviction or
//                  prefetch asking whether the line is held above).
// A request or snoop that finds an entry is a hit: a single hit when one
// port is in the masks, a multi hit otherwise. A request from a port that
// keeps no copies (not snooping, e.g. a DMA port) creates no entry and is
// counted only when it hits, as in gem5.
//
// Capacity: max_capacity / 64 lines. As in gem5, only a snoop from below
// that misses checks it (gem5's lookupSnoop panics if the filter then holds
// that many lines or more; requests allocate unchecked), so the check costs
// a compare on snoop misses alone; npusim's error names the filter and
// max_capacity. (gem5 divides by the system's line size; this filter tracks
// 64-byte lines whatever the caches' line size.)
//
// A response from below adds its port to the holders and clears its
// request bit, as gem5's updateResponse does (gem5 v24 clears the other
// holders only for a snoop response passing a line on without sharers, in
// updateSnoopResponse and updateSnoopForward; npusim's caches never answer a
// snoop with data, so that case does not arise).
#pragma once
#include <bit>
#include <cstdint>
#include <vector>

#include "npusim/sim/sim_object.hh"
#include "npusim/sim/stats.hh"
#include "npusim/sim/types.hh"

namespace npusim::xbar {

class SnoopFilter final : public SimObject {
  public:
    using Mask = std::uint32_t;  // one bit per CPU-side port of the crossbar
    static constexpr unsigned kMaxPorts = 32;

    explicit SnoopFilter(const Params &p);
    // In cycles of the crossbar that owns it (gem5 charges them at its clock).
    Cycles lookupLatency() const { return lookup; }

    // A request from CPU-side port `port` (`snooping`: the port's requestor
    // keeps copies) other than an eviction: marks the port as requesting.
    // Returns the other ports the filter would snoop. (The lookups are
    // inline: the crossbar's handlers are their only callers; a request and
    // an eviction each have their own, so neither tests for the other.)
    [[gnu::always_inline]] inline Mask lookupRequest(Addr addr, unsigned port, bool snooping);
    // A writeback or clean eviction from `port`: drops the port from the
    // holders unless `blockCached` (a cache above the sender still has the
    // line). Returns the other ports that hold or request the line.
    [[gnu::always_inline]] inline Mask lookupEviction(Addr addr, unsigned port, bool snooping, bool blockCached);
    // The request or eviction just looked up (with the same arguments) was
    // refused below and will come again: its entry goes back to what it was
    // (its counts stay, as in gem5): a request's port loses its requested
    // bit (a port has one request per line in flight, as gem5 checks), an
    // eviction's port gets back the holder bit it lost, if it lost one.
    void undoRequest(Addr addr, unsigned port, bool snooping, bool eviction);
    // A response on its way to (snooping) CPU-side port `port`.
    [[gnu::always_inline]] inline void updateResponse(Addr addr, unsigned port);
    // A snoop from below (an eviction or a prefetch, neither of which
    // invalidates): returns how many ports it goes to. Fatal if it misses
    // while the filter is full (see the capacity note above).
    [[gnu::always_inline]] inline unsigned lookupSnoop(Addr addr);
    // The number of ports in `m` (most masks are empty or name one port;
    // std::popcount is a library call without the POPCNT instruction).
    static unsigned portCount(Mask m) { return m ? ((m & (m - 1)) ? unsigned(std::popcount(m)) : 1) : 0; }

  private:
    static constexpr Addr kEmpty = ~Addr(0);
    static constexpr unsigned kLineShift = 6;  // gem5's 64-byte cache lines
    struct Slot {
        Addr line = kEmpty;
        Mask requested = 0, holder = 0;
    };
    // Counts a hit on a non-empty entry; returns how many ports it names.
    static unsigned countHit(Mask interested, stats::Counter &single, stats::Counter &multi) {
        if (interested & (interested - 1)) [[unlikely]] {
            ++multi;
            return unsigned(std::popcount(interested));
        }
        ++single;
        return 1;
    }
    // An open-addressing table (linear probing, backward-shift deletion),
    // at most a quarter full: short probes, few shifts. A denser table does
    // not pay: each lookup of a random line is a host D1 miss whatever the
    // table's size, so 12-byte slots or a maximum load of 1/2 or 3/4 (96 to
    // 384 KiB for the all-miss benchmark's 4,112 lines instead of 512) left
    // cachegrind's D1 misses per request at 41.8-44.9 (42.2 here) and cost
    // 54-216 more instructions per request (longer probes and shifts).
    std::size_t home(Addr line) const { return std::size_t((line * 0x9E3779B97F4A7C15ull) >> shift); }
    std::size_t probe(Addr line) const {
        std::size_t i = home(line);
        while (slots[i].line != line && slots[i].line != kEmpty) i = (i + 1) & mask;
        return i;
    }
    // Makes an entry for `line` at `i` (its probe's end); returns where it is.
    std::size_t place(std::size_t i, Addr line) {
        if (used == maxUsed) [[unlikely]] {
            grow();
            i = probe(line);
        }
        slots[i].line = line;
        ++used;
        return i;
    }
    void grow();
    // (inline: the next slot is usually empty, and then the hole stays)
    void erase(std::size_t i) {
        if (slots[(i + 1) & mask].line == kEmpty) [[likely]] {
            slots[i] = Slot{};
            --used;
        } else {
            eraseShifting(i);
        }
    }
    void eraseShifting(std::size_t i);
    [[noreturn, gnu::cold]] void capacityExceeded() const;

    Cycles lookup;
    // gem5's maxEntryCount: a snoop that misses while the filter holds this
    // many lines is an error.
    std::size_t capacityLines;
    std::vector<Slot> slots;
    std::size_t mask = 0, used = 0;
    std::size_t maxUsed = 0;  // slots.size() / 4: the table grows rather than hold more
    unsigned shift = 64;
    // The line of the last eviction that cleared its port's holder bit
    // (kEmpty if it cleared none; an eviction that misses leaves it: a
    // port evicts a line at most once per fill).
    Addr heldBeforeEviction = kEmpty;

    stats::Counter totRequests, hitSingleRequests, hitMultiRequests, totSnoops, hitSingleSnoops, hitMultiSnoops;
};

inline SnoopFilter::Mask SnoopFilter::lookupRequest(Addr addr, unsigned port, bool snooping) {
    const Addr line = addr >> kLineShift;
    const Mask bit = Mask(1) << port;
    std::size_t i = probe(line);
    if (slots[i].line != line) {
        if (!snooping) return 0;
        ++totRequests;
        i = place(i, line);
        slots[i].requested = bit;
        return 0;
    }
    Slot &s = slots[i];
    const Mask interested = s.requested | s.holder;
    ++totRequests;
    countHit(interested, hitSingleRequests, hitMultiRequests);
    if (snooping) [[likely]] s.requested |= bit;
    return interested & ~bit;
}

inline SnoopFilter::Mask SnoopFilter::lookupEviction(Addr addr, unsigned port, bool snooping, bool blockCached) {
    const Addr line = addr >> kLineShift;
    std::size_t i = probe(line);
    if (slots[i].line != line) {
        // (the new entry would be empty: none is made)
        if (snooping) ++totRequests;
        return 0;
    }
    Slot &s = slots[i];
    const Mask bit = Mask(1) << port;
    const Mask interested = s.requested | s.holder;
    ++totRequests;
    countHit(interested, hitSingleRequests, hitMultiRequests);
    if (snooping) [[likely]] {
        if (!blockCached) [[likely]] {
            heldBeforeEviction = (s.holder & bit) ? line : kEmpty;
            s.holder &= ~bit;
            if (!(s.requested | s.holder)) erase(i);
        } else {
            heldBeforeEviction = kEmpty;
        }
    }
    return interested & ~bit;
}

inline void SnoopFilter::updateResponse(Addr addr, unsigned port) {
    const Addr line = addr >> kLineShift;
    std::size_t i = probe(line);
    if (slots[i].line != line) [[unlikely]] i = place(i, line);
    Slot &s = slots[i];
    const Mask bit = Mask(1) << port;
    s.holder |= bit;
    s.requested &= ~bit;
}

inline unsigned SnoopFilter::lookupSnoop(Addr addr) {
    const Addr line = addr >> kLineShift;
    const Slot &s = slots[probe(line)];
    if (s.line != line) {
        if (used >= capacityLines) [[unlikely]] capacityExceeded();
        return 0;
    }
    const Mask interested = s.requested | s.holder;
    ++totSnoops;
    return countHit(interested, hitSingleSnoops, hitMultiSnoops);
}

}  // namespace npusim::xbar
