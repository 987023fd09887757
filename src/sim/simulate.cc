#include "npusim/sim/simulate.hh"

#include <csignal>
#include <memory>
#include <vector>

namespace npusim {

namespace {

class ExitEvent final : public Event {
  public:
    ExitEvent(std::string c, int code) : Event(kSimExitPri), cause(std::move(c)), exitCode(code) {}
    void process() override;
    std::string description() const override { return "exit: " + cause; }
    std::string cause;
    int exitCode;
};

// Written by a signal handler as well as by ExitEvent, hence volatile
// sig_atomic_t; reading it costs the loop what reading a bool did.
volatile std::sig_atomic_t exitPending = 0;
volatile std::sig_atomic_t interruptPending = 0;
ExitInfo pendingExit;
std::vector<std::unique_ptr<ExitEvent>> exitEvents;

void ExitEvent::process() {
    exitPending = 1;
    pendingExit = ExitInfo{cause, exitCode, curTick()};
}

}  // namespace

void requestExit(const std::string &cause, int code, Tick when) {
    exitEvents.push_back(std::make_unique<ExitEvent>(cause, code));
    schedule(*exitEvents.back(), when);
}

ExitInfo simulate(Tick maxTick) {
    EventQueue &q = mainEventQueue();
    exitPending = 0;
    interruptPending = 0;
    while (true) {
        const EventQueue::Step step = q.serviceNext(maxTick);
        if (step == EventQueue::Step::kEmpty) {
            // Reserved events not needed in the end still "run" (see eventq.hh).
            Tick last = q.lastReservedTick();
            if (last > curTick()) {
                if (last > maxTick) {
                    q.jumpTo(maxTick);
                    return ExitInfo{kLimitCause, 0, curTick()};
                }
                q.jumpTo(last);
            }
            return ExitInfo{"event queue empty", 0, curTick()};
        }
        if (step == EventQueue::Step::kBeyondLimit) {
            q.jumpTo(maxTick);
            return ExitInfo{kLimitCause, 0, curTick()};
        }
        if (exitPending) {
            exitPending = 0;
            if (interruptPending) {
                interruptPending = 0;
                return ExitInfo{"user interrupt received", 0, curTick()};
            }
            // Drop fired exit events; pending ones stay owned here.
            std::erase_if(exitEvents, [](const std::unique_ptr<ExitEvent> &e) { return !e->scheduled(); });
            return pendingExit;
        }
    }
}

}  // namespace npusim

namespace npusim {
void resetSimulateLoop() {
    exitPending = 0;
    interruptPending = 0;
    exitEvents.clear();
}

void interruptSimLoop() {
    interruptPending = 1;
    exitPending = 1;
}
}  // namespace npusim
