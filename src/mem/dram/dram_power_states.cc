#include "dram_power_states.hh"

namespace npusim::memory {

void DramPowerStates::init(Tick start) {
    current = IDLE;
    since = start;
    times.fill(0);
    actAt = preDoneAt = refStartAt = refDoneAt = next = kMaxTick;
}

void DramPowerStates::takeTransitions(Tick now, unsigned openBanks) {
    // In tick order; at one tick, as gem5's events fall: a refresh's end,
    // then an activation, then the last precharge, then a refresh's start.
    for (Tick t; (t = nextTransition()) <= now;) {
        if (refDoneAt == t) {
            refDoneAt = kMaxTick;
            enter(IDLE, t);
        } else if (actAt == t) {
            actAt = kMaxTick;
            if (current != ACT) enter(ACT, t);
        } else if (preDoneAt == t) {
            preDoneAt = kMaxTick;
            if (openBanks == 0) enter(IDLE, t);
        } else {
            refStartAt = kMaxTick;
            enter(REF, t);
        }
        next = nextTransition();
    }
}

}  // namespace npusim::memory
