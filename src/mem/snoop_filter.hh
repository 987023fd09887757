// gem5's SnoopFilter as far as timing goes: a crossbar with one charges
// every request its lookup latency (CoherentXBar::recvTimingReq adds it to
// the packet's header delay). npusim has no coherence, so the filter tracks
// no sharers and never runs out of capacity.
#pragma once
#include "npusim/sim/sim_object.hh"
#include "npusim/sim/types.hh"

namespace npusim::xbar {

class SnoopFilter final : public SimObject {
  public:
    explicit SnoopFilter(const Params &p) : SimObject(p), lookup(p.get<Cycles>("lookup_latency")) {}
    // In cycles of the crossbar that owns it (gem5 charges them at its clock).
    Cycles lookupLatency() const { return lookup; }

  private:
    Cycles lookup;
};

}  // namespace npusim::xbar
