#include "snoop_filter.hh"

namespace npusim::xbar {

NPUSIM_REGISTER_SIMOBJECT(SnoopFilter, SnoopFilter);

}  // namespace npusim::xbar
