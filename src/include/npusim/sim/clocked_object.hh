// Clock domains and objects that work in cycles of their domain.
#pragma once
#include "npusim/sim/eventq.hh"
#include "npusim/sim/sim_object.hh"

namespace npusim {

// A source clock domain (gem5's SrcClockDomain): `clock` is the period in ticks.
class ClockDomain : public SimObject {
  public:
    explicit ClockDomain(const Params &p);
    Tick period() const { return clockPeriod; }
  private:
    Tick clockPeriod;
    stats::Formula clockStat;  // a value, unaffected by stats resets
};

class ClockedObject : public SimObject {
  public:
    explicit ClockedObject(const Params &p);

    Tick clockPeriod() const { return periodTicks; }
    // The tick of the clock edge `cycles` edges after the current one (the
    // current tick if it is on an edge).
    Tick clockEdge(Cycles cycles = Cycles(0)) const { return clockEdgeAt(curTick()) + cycles.value() * periodTicks; }
    // The first clock edge at or after tick `t`.
    Tick clockEdgeAt(Tick t) const { return (t + periodTicks - 1) / periodTicks * periodTicks; }
    Cycles curCycle() const { return Cycles((curTick() + periodTicks - 1) / periodTicks); }
    Tick cyclesToTicks(Cycles c) const { return c.value() * periodTicks; }
    Cycles ticksToCycles(Tick t) const { return Cycles((t + periodTicks - 1) / periodTicks); }

  private:
    Tick periodTicks;
};

}  // namespace npusim
