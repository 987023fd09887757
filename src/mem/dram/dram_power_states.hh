// A DRAM rank's power state, as gem5's DRAMInterface::Rank tracks it for
// its pwrStateTime stats.
#pragma once
#include <algorithm>
#include <array>

#include "npusim/sim/types.hh"

namespace npusim::memory {

// gem5's power state of a rank (IDLE, ACT, REF; never a power-down state
// here) and the time spent in each. gem5 moves between them with events:
// ACT at the first activation's tick, IDLE at the end of the precharge that
// leaves no bank open (booked so far), REF for tRFC from the refresh's
// start. Here the same moments are kept as pending transitions and taken in
// tick order whenever the rank books a command or refreshes, or stats are
// dumped, so no event is scheduled.
class DramPowerStates {
  public:
    enum State : unsigned { IDLE, REF, SREF, PRE_PDN, ACT, ACT_PDN, kNumStates };
    void init(Tick start);
    // Bookings at `now` (the caller has called advance(now) first).
    void activateAt(Tick at) {
        actAt = std::min(actAt, at);
        next = std::min(next, at);
    }
    void prechargeDoneAt(Tick at) {
        if (preDoneAt == kMaxTick) {
            preDoneAt = at;
            next = std::min(next, at);
        } else if (at > preDoneAt) {
            // (gem5 moves its pending precharge event later)
            preDoneAt = at;
            next = nextTransition();
        }
    }
    void refresh(Tick start, Tick done) {
        refStartAt = start;
        refDoneAt = done;
        next = nextTransition();
    }
    // Takes the transitions due by `now`; `openBanks`: banks open as booked.
    [[gnu::always_inline]] void advance(Tick now, unsigned openBanks) {
        if (now >= next) [[unlikely]] takeTransitions(now, openBanks);
    }
    // Time in each state since the last reset, up to `now` (after advance(now)).
    Tick timeIn(unsigned state, Tick now) const { return times[state] + (state == current ? now - since : 0); }
    // gem5 keeps the current state's start across a reset: its first
    // interval after the reset still counts from that start.
    void resetTimes() { times.fill(0); }

  private:
    Tick nextTransition() const { return std::min(std::min(actAt, preDoneAt), std::min(refStartAt, refDoneAt)); }
    void takeTransitions(Tick now, unsigned openBanks);
    void enter(State s, Tick at) {
        times[current] += at - since;
        current = s;
        since = at;
    }
    State current = IDLE;
    Tick since = 0;
    std::array<Tick, kNumStates> times{};
    Tick actAt = kMaxTick, preDoneAt = kMaxTick, refStartAt = kMaxTick, refDoneAt = kMaxTick;
    Tick next = kMaxTick;  // nextTransition(), kept up to date
};

}  // namespace npusim::memory
