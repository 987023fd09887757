// The simulation loop (driven from Python through the module).
#pragma once
#include "npusim/sim/eventq.hh"
#include "npusim/sim/sim_exit.hh"

namespace npusim {

// The cause simulate() gives when it stops at maxTick (Python compares it
// to tell a limit from an exit).
inline constexpr const char *kLimitCause = "simulate() limit reached";

// Runs events until an exit is requested, the queue empties, or the next
// event lies beyond `maxTick` (then time stops at maxTick).
ExitInfo simulate(Tick maxTick);
void requestExit(const std::string &cause, int code, Tick when);
void resetExitState();
// Drops pending exit events (between simulations).
void resetSimulateLoop();
// Async-signal-safe: the running simulate() returns "user interrupt received"
// after the event in progress (gem5's answer to Ctrl-C).
void interruptSimLoop();

}  // namespace npusim
