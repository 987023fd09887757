// The event queue: one per simulation, ordered by (tick, priority, insertion
// order) so that runs are deterministic. Events are intrusive: scheduling and
// servicing never allocate.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "npusim/sim/types.hh"

namespace npusim {

class EventQueue;

class Event {
  public:
    // Lower values run first among events of the same tick (gem5's order).
    enum Priority : int {
        kMinimumPri = -100,
        kDefaultPri = 0,
        kCpuTickPri = 50,
        kStatEventPri = 90,
        kSimExitPri = 100,
        kMaximumPri = 127,
    };

    explicit Event(int priority = kDefaultPri) : priority_(priority) {}
    Event(const Event &) = delete;
    Event &operator=(const Event &) = delete;
    virtual ~Event();

    virtual void process() = 0;
    virtual std::string description() const { return "generic event"; }

    bool scheduled() const { return heapIndex_ >= 0; }
    Tick when() const { return when_; }
    int priority() const { return priority_; }

  private:
    friend class EventQueue;
    Tick when_ = 0;
    std::uint64_t order_ = 0;
    int priority_;
    std::int64_t heapIndex_ = -1;
};

// Calls a member function; the cheapest kind of event (no std::function).
template <typename T, void (T::*Method)()>
class MemberEvent final : public Event {
  public:
    explicit MemberEvent(T *obj, int priority = kDefaultPri) : Event(priority), target(obj) {}
    void process() override { (target->*Method)(); }
  private:
    T *target;
};

// Convenience event around a callable, for rare events (set-up, exits).
class EventFunctionWrapper final : public Event {
  public:
    EventFunctionWrapper(std::function<void()> fn, std::string name, int priority = kDefaultPri)
        : Event(priority), callback(std::move(fn)), label(std::move(name)) {}
    void process() override { callback(); }
    std::string description() const override { return label; }
  private:
    std::function<void()> callback;
    std::string label;
};

namespace detail {
extern Tick currentTick;
}

inline Tick curTick() { return detail::currentTick; }

class EventQueue {
  public:
    void schedule(Event *event, Tick when);
    void deschedule(Event *event);
    void reschedule(Event *event, Tick when, bool always = false);

    bool empty() const { return heap.empty(); }
    Tick nextTick() const { return heap.empty() ? kMaxTick : heap.front()->when_; }
    std::size_t size() const { return heap.size(); }
    std::uint64_t eventsProcessed() const { return processed; }

    // Pops the earliest event, advances time to it and runs it.
    void serviceOne();
    // Drops every pending event (used when a simulation is torn down).
    void clear();

  private:
    static bool before(const Event *a, const Event *b) {
        if (a->when_ != b->when_) return a->when_ < b->when_;
        if (a->priority_ != b->priority_) return a->priority_ < b->priority_;
        return a->order_ < b->order_;
    }
    void siftUp(std::size_t i);
    void siftDown(std::size_t i);
    void place(std::size_t i, Event *e) { heap[i] = e; e->heapIndex_ = static_cast<std::int64_t>(i); }
    void removeAt(std::size_t i);

    std::vector<Event *> heap;
    std::uint64_t nextOrder = 0;
    std::uint64_t processed = 0;
};

EventQueue &mainEventQueue();

inline void schedule(Event &e, Tick when) { mainEventQueue().schedule(&e, when); }
inline void reschedule(Event &e, Tick when, bool always = false) { mainEventQueue().reschedule(&e, when, always); }
inline void deschedule(Event &e) { mainEventQueue().deschedule(&e); }

}  // namespace npusim
