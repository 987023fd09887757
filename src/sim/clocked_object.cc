#include "npusim/sim/clocked_object.hh"

namespace npusim {

ClockedObject::ClockedObject(const Params &p) : SimObject(p) {
    auto *domain = p.get<ClockDomain *>("clk_domain");
    if (!domain) p.error("clk_domain", "a clocked object needs a clock domain");
    periodTicks = domain->period();
}

NPUSIM_REGISTER_SIMOBJECT(SrcClockDomain, ClockDomain);

}  // namespace npusim
