// Ending a simulation loop: explicit exits with a cause, and the count of
// active requestors whose completion ends the run.
#pragma once
#include <string>

#include "npusim/sim/types.hh"

namespace npusim {

struct ExitInfo {
    std::string cause;
    int code = 0;
    Tick tick = 0;
};

// Ends the current simulate() call at tick `when` (default: now) with `cause`.
void exitSimLoop(const std::string &cause, int code = 0, Tick when = kMaxTick);

// Requestors (traffic generators, trace players, NPUs) call
// requestorStarted() when they have work and requestorFinished() when they
// are done; when the last active one finishes the loop exits with the cause
// "<name> finished".
void requestorStarted();
void requestorFinished(const std::string &name);
int activeRequestors();

// Counts demand requests issued by requestors, for host-speed stats.
void countDemandRequest(std::uint64_t n = 1);
std::uint64_t demandRequestsIssued();

}  // namespace npusim
