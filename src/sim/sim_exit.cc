#include "npusim/sim/sim_exit.hh"

#include "npusim/sim/logging.hh"
#include "npusim/sim/simulate.hh"

namespace npusim {

namespace {
int active = 0;
std::uint64_t demandRequests = 0;
}  // namespace

void exitSimLoop(const std::string &cause, int code, Tick when) {
    requestExit(cause, code, when == kMaxTick ? curTick() : when);
}

void requestorStarted() { ++active; }

void requestorFinished(const std::string &name) {
    if (active <= 0) panic("requestorFinished(", name, ") without a matching requestorStarted()");
    if (--active == 0) exitSimLoop(name + " finished");
}

int activeRequestors() { return active; }

void countDemandRequest(std::uint64_t n) { demandRequests += n; }
std::uint64_t demandRequestsIssued() { return demandRequests; }

void resetExitState() {
    active = 0;
    demandRequests = 0;
}

}  // namespace npusim
