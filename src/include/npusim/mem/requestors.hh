// System-wide requestor ids (gem5's RequestorID): each source of requests
// registers a name such as "cpu.data" or "l2.prefetcher"; caches keep
// per-requestor stats indexed by id and named by these names.
#pragma once
#include <string>
#include <vector>

#include "npusim/sim/types.hh"

namespace npusim {

// `objectPath` is the full name ("system.l2"); the registered name drops the
// leading root component, as gem5 does ("l2.prefetcher").
RequestorID registerRequestor(const std::string &objectPath, const std::string &suffix = "");
const std::vector<std::string> &requestorNames();
// The id gem5 charges writebacks to: the first one registered (inline,
// every eviction asks).
constexpr RequestorID writebackRequestorId() { return 0; }
void resetRequestors();

}  // namespace npusim
