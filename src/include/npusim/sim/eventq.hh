// The event queue: one per simulation, ordered by (tick, priority, insertion
// order) so that runs are deterministic. Events are intrusive: scheduling and
// servicing never allocate.
//
// Implementation: a binary heap of events; an event's key is its tick and
// one 64-bit word with its priority (gem5's, an int8_t there: -128..127)
// above its insertion order, compared as one 128-bit number. Each event
// knows its heap slot for deschedule/reschedule. Since no two pending events
// have equal keys, the order in which events run depends only on their
// keys, not on how the heap happens to be arranged.
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

    explicit Event(int priority = kDefaultPri) : priority_(priority) {
        if (priority < -128 || priority > 127) badPriority(priority);
    }
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
    [[noreturn]] static void badPriority(int priority);
    Tick when_ = 0;
    std::uint64_t rank_ = 0;  // priority and insertion order (EventQueue)
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
    inline void schedule(Event *event, Tick when);
    void deschedule(Event *event);
    void reschedule(Event *event, Tick when, bool always = false);

    bool empty() const { return heap.empty(); }
    Tick nextTick() const { return heap.empty() ? kMaxTick : heap.front()->when_; }
    std::size_t size() const { return heap.size(); }
    std::uint64_t eventsProcessed() const { return processed; }

    // Pops the earliest event, advances time to it and runs it.
    inline void serviceOne();
    // Drops every pending event (used when a simulation is torn down).
    void clear();

  private:
    // Priority (biased to 0..255) in the top byte, insertion order below.
    static constexpr int kOrderBits = 56;
    static bool before(const Event *a, const Event *b) {
        using Key = unsigned __int128;
        return ((Key(a->when_) << 64) | a->rank_) < ((Key(b->when_) << 64) | b->rank_);
    }
    std::uint64_t nextRank(const Event *e) {
        if (nextOrder >> kOrderBits) orderOverflow();
        return (std::uint64_t(e->priority_ + 128) << kOrderBits) | nextOrder++;
    }
    [[noreturn]] void orderOverflow() const;
    [[noreturn]] void badSchedule(const Event *event, Tick when) const;
    void siftUp(std::size_t i, Event *e);
    void siftDown(std::size_t i, Event *e);
    void place(std::size_t i, Event *e) {
        heap[i] = e;
        e->heapIndex_ = static_cast<std::int64_t>(i);
    }
    void removeAt(std::size_t i);
    void popFront();

    std::vector<Event *> heap;
    std::uint64_t nextOrder = 0;
    std::uint64_t processed = 0;
};

// The simulation's queue (constructed on first use, never destroyed, so
// events of objects that outlive static destruction can still leave it).
namespace detail {
EventQueue &makeMainEventQueue();
extern EventQueue *mainQueue;
}  // namespace detail
inline EventQueue &mainEventQueue() {
    EventQueue *q = detail::mainQueue;
    return q ? *q : detail::makeMainEventQueue();
}

inline void EventQueue::schedule(Event *event, Tick when) {
    if (event->scheduled() || when < detail::currentTick) badSchedule(event, when);
    event->when_ = when;
    event->rank_ = nextRank(event);
    heap.push_back(event);
    siftUp(heap.size() - 1, event);
}

inline void EventQueue::serviceOne() {
    Event *event = heap.front();
    detail::currentTick = event->when_;
    event->heapIndex_ = -1;
    popFront();
    ++processed;
    event->process();
}

inline void schedule(Event &e, Tick when) { mainEventQueue().schedule(&e, when); }
inline void reschedule(Event &e, Tick when, bool always = false) { mainEventQueue().reschedule(&e, when, always); }
inline void deschedule(Event &e) { mainEventQueue().deschedule(&e); }

}  // namespace npusim
