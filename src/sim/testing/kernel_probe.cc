// A SimObject for testing the kernel itself: schedules events at given ticks
// and priorities, records the order they ran in, exercises every stat kind,
// and can request an exit with a cause at a given tick.
#include <memory>
#include <vector>

#include "npusim/sim/clocked_object.hh"
#include "npusim/sim/sim_exit.hh"

namespace npusim {

class KernelProbe : public ClockedObject {
  public:
    explicit KernelProbe(const Params &p)
        : ClockedObject(p),
          ticks(p.get<std::vector<std::int64_t>>("event_ticks")),
          priorities(p.get<std::vector<std::int64_t>>("event_priorities")),
          exitTick(p.get<Tick>("exit_tick")),
          exitCause(p.get<std::string>("exit_cause")),
          samples(p.get<std::vector<double>>("samples")),
          runOrder(this, "runOrder", stats::units::Count, "Position at which each scheduled event ran"),
          eventsRun(this, "eventsRun", stats::units::Count, "Events processed by the probe"),
          eventsCounted(this, "eventsCounted", stats::units::Count, "Events processed by the probe"),
          runOrderCounted(this, "runOrderCounted", stats::units::Count, "Position at which each scheduled event ran"),
          neverCounted(this, "neverCounted", stats::units::Count, "A nozero vector that stays zero"),
          zeroCounted(this, "zeroCounted", stats::units::Count, "A nozero counter that stays zero"),
          lastTick(this, "lastTick", stats::units::Tick, "Tick of the last event"),
          level(this, "level", stats::units::Count, "Time-weighted average of the event count"),
          neverTouched(this, "neverTouched", stats::units::Count, "A nozero vector that stays zero"),
          dist(this, "dist", stats::units::Count, "Distribution of the given samples"),
          intDist(this, "intDist", stats::units::Count, "Distribution of the given samples"),
          quietDist(this, "quietDist", stats::units::Count, "A nozero distribution of the given samples"),
          wideDist(this, "wideDist", stats::units::Count, "Distribution with bounds of eight digits"),
          hist(this, "hist", stats::units::Count, "Histogram of the non-negative samples"),
          ratio(this, "ratio", stats::units::Ratio, "eventsRun per scheduled event",
                [this] { return ticks.empty() ? NAN : eventsRun.value() / double(ticks.size()); }) {
        if (!priorities.empty() && priorities.size() != ticks.size())
            p.error("event_priorities", "needs one priority per entry of event_ticks");
        runOrder.init(ticks.size()).flags(stats::kTotal);
        runOrderCounted.init(ticks.size()).flags(stats::kTotal);
        neverCounted.init(3).flags(stats::kTotal | stats::kNoZero);
        zeroCounted.flags(stats::kNoZero);
        neverTouched.init(3).flags(stats::kTotal | stats::kNoZero);
        dist.init(0, 9, 2);
        intDist.init(0, 9, 2);
        quietDist.init(0, 9, 2).flags(stats::kNoZero);
        wideDist.init(0, 1e8, 33554432);
        hist.init(4);
    }

    void startup() override {
        for (std::size_t i = 0; i < ticks.size(); ++i) {
            int pri = priorities.empty() ? Event::kDefaultPri : int(priorities[i]);
            events.push_back(std::make_unique<EventFunctionWrapper>([this, i] { ran(i); }, "probe event", pri));
            schedule(*events.back(), Tick(ticks[i]));
        }
        if (exitTick) exitSimLoop(exitCause, 7, exitTick);
        for (double s : samples) {
            dist.sample(s);
            // the integer twin takes the whole, non-negative samples
            if (s >= 0 && s == double(std::uint64_t(s))) intDist.sample(std::uint64_t(s));
            quietDist.sample(s);
            wideDist.sample(s);
            if (s >= 0) hist.sample(s);
        }
    }

  private:
    void ran(std::size_t i) {
        runOrder[i] = eventsRun.value();
        runOrderCounted[i] += std::uint64_t(eventsRun.value());
        ++eventsRun;
        ++eventsCounted;
        level = eventsRun.value();
        lastTick = double(curTick());
    }

    std::vector<std::int64_t> ticks, priorities;
    Tick exitTick;
    std::string exitCause;
    std::vector<double> samples;
    std::vector<std::unique_ptr<EventFunctionWrapper>> events;
    stats::Vector runOrder;
    stats::Scalar eventsRun;
    // Counter twins of eventsRun, runOrder and neverTouched: they must print the same.
    stats::Counter eventsCounted;
    stats::CounterVector runOrderCounted, neverCounted;
    stats::Counter zeroCounted;
    stats::Scalar lastTick;
    stats::Average level;
    stats::Vector neverTouched;
    stats::Distribution dist;
    stats::IntDistribution intDist;  // must print as dist for whole samples
    stats::Distribution quietDist, wideDist;
    stats::Histogram hist;
    stats::Formula ratio;
};

NPUSIM_REGISTER_SIMOBJECT(KernelProbe, KernelProbe);

}  // namespace npusim
