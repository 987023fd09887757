// The event queue: one per simulation, ordered by (tick, priority, insertion
// order) so that runs are deterministic. Events are intrusive: scheduling and
// servicing never allocate.
//
// Implementation. An event's key is its tick and one 64-bit word with its
// priority (gem5's, an int8_t there: -128..127) above its insertion order,
// compared as one 128-bit number; no two pending events have equal keys, so
// the order in which events run depends only on the keys, not on how they
// are stored. Events due within the next kWheelBuckets x kBucketTicks ticks
// (about half a microsecond: almost all of them in a memory system) go into
// a timing wheel: one intrusive list per kBucketTicks-wide window, sorted by
// key (new events nearly always go at the tail), and a bit per non-empty
// window, so scheduling and finding the earliest event cost a few
// instructions whatever the number of pending events. Events further out go
// into a binary heap; the next event is the earlier of the wheel's first
// and the heap's top.
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

    explicit Event(int priority = kDefaultPri) : Event(priority, &Event::runProcess) {}
    Event(const Event &) = delete;
    Event &operator=(const Event &) = delete;
    virtual ~Event();

    virtual void process() = 0;
    virtual std::string description() const { return "generic event"; }

    bool scheduled() const { return heapIndex_ != kNotScheduled; }
    Tick when() const { return when_; }
    int priority() const { return priority_; }

  protected:
    // What the queue calls to run the event: a plain function pointer, so
    // that MemberEvent, the kind of nearly every event, costs no vtable load.
    using Handler = void (*)(Event *);
    Event(int priority, Handler handler)
        : priority_(priority), rankBase_(std::uint64_t(priority + 128) << kOrderBits), handler_(handler) {
        if (priority < -128 || priority > 127) badPriority(priority);
    }

  private:
    friend class EventQueue;
    static void runProcess(Event *e) { e->process(); }
    // An event's rank: its priority (biased to 0..255) in the top byte, the
    // queue's insertion order below.
    static constexpr int kOrderBits = 56;
    [[noreturn]] static void badPriority(int priority);
    static constexpr std::int64_t kNotScheduled = -1;
    static constexpr std::int64_t kInWheel = -2;
    Tick when_ = 0;
    std::uint64_t rank_ = 0;  // priority and insertion order (EventQueue)
    int priority_;
    std::uint64_t rankBase_;  // the priority part of the rank, computed once
    std::int64_t heapIndex_ = kNotScheduled;  // slot in the heap, or kInWheel
    Event *prev_ = nullptr;  // neighbours in a wheel bucket
    Event *next_ = nullptr;
    Handler handler_;
};

// Calls a member function; the cheapest kind of event (no std::function).
template <typename T, void (T::*Method)()>
class MemberEvent final : public Event {
  public:
    explicit MemberEvent(T *obj, int priority = kDefaultPri) : Event(priority, &MemberEvent::run), target(obj) {}
    void process() override { (target->*Method)(); }
  private:
    static void run(Event *e) { (static_cast<MemberEvent *>(e)->target->*Method)(); }
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

    bool empty() const { return !heapTop && wheelFirstBucket() == kWheelBuckets; }
    Tick nextTick() const {
        const Event *e = earliest();
        return e ? e->when_ : kMaxTick;
    }
    std::size_t size() const;  // (walks the wheel: for reports, not hot paths)
    std::uint64_t eventsProcessed() const { return processed; }

    // The simulate() loop's step: pops the earliest event if it is due by
    // `limit`, advances time to it and runs it.
    enum class Step { kRan, kEmpty, kBeyondLimit };
    inline Step serviceNext(Tick limit);
    // Drops every pending event (used when a simulation is torn down).
    void clear();

    // Events that are rarely needed. reserve() gives `e` the key it would
    // get if scheduled now at `when`, without scheduling it. If it turns out
    // to be needed, scheduleReserved() schedules it with exactly that key, so
    // everything runs in the same order as if it had been scheduled all
    // along; if not, hasRun() tells whether it would have run by now (before
    // the event being processed), and the caller applies its (invisible)
    // effect lazily. The loop still advances time to the last reserved tick
    // when the queue runs dry, as it would have processed the event.
    std::uint64_t reserve(const Event &e, Tick when) {
        if (when < detail::currentTick) badSchedule(&e, when);
        if (when > lastReserved) lastReserved = when;
        return nextRank(&e);
    }
    void scheduleReserved(Event *e, Tick when, std::uint64_t rank) {
        if (e->scheduled() || when < detail::currentTick) badSchedule(e, when);
        e->when_ = when;
        e->rank_ = rank;
        insert(e);
    }
    bool hasRun(Tick when, std::uint64_t rank) const {
        return when < detail::currentTick || (when == detail::currentTick && rank < currentRank);
    }
    Tick lastReservedTick() const { return lastReserved; }
    // Time jumps to `tick` with no event running (simulate() limits and a
    // dry queue): everything reserved up to it counts as run.
    void jumpTo(Tick tick) {
        detail::currentTick = tick;
        currentRank = ~std::uint64_t(0);
    }

  private:
    static constexpr int kOrderBits = Event::kOrderBits;
    // The wheel: kWheelBuckets windows of 2^kBucketShift ticks.
    static constexpr int kBucketShift = 10;
    static constexpr std::size_t kWheelBuckets = 512;
    static constexpr std::size_t kWheelWords = kWheelBuckets / 64;
    static std::size_t bucketOf(Tick when) { return std::size_t(when >> kBucketShift) & (kWheelBuckets - 1); }
    // An event goes into the wheel if it is due within kWheelBuckets - 1
    // windows' worth of ticks, so its window is fewer than kWheelBuckets after
    // the current one and no two pending windows share a bucket. A tick in
    // the past wraps round to a huge distance: it fails this test too, so
    // schedule() checks for the past only off the wheel's path.
    static constexpr Tick kWheelReach = Tick(kWheelBuckets - 1) << kBucketShift;
    static bool inWheelRange(Tick when) { return when - detail::currentTick < kWheelReach; }
    void wheelInsert(Event *e);
    void wheelRemove(Event *e);
    // The first non-empty bucket, kWheelBuckets (whose head is always null)
    // if the wheel is empty. No count of wheel events is kept: the bitmap
    // answers emptiness, so schedule and service need not maintain one.
    std::size_t wheelFirstBucket() const;
    [[gnu::noinline]] std::size_t wheelFirstBucketPastWord(std::size_t word) const;
    // The pending event with the smallest key (null if none).
    Event *earliest() const {
        Event *w = bucketHead[wheelFirstBucket()];
        Event *h = heapTop;
        if (!h) return w;
        return w && before(w, h) ? w : h;
    }
    void remove(Event *e) {
        if (e->heapIndex_ == Event::kInWheel) wheelRemove(e);
        else removeAt(static_cast<std::size_t>(e->heapIndex_));
    }
    void insert(Event *e) {
        if (inWheelRange(e->when_)) wheelInsert(e);
        else heapInsert(e);
    }
    // Out of line: the rare far-future path would otherwise make every
    // schedule() save and restore the registers the heap code needs.
    [[gnu::noinline]] void heapInsert(Event *e);
    // Every unusual case of schedule(): misuse (a panic), the far future (the
    // heap), the insertion order running out (a panic). One way out, taken as
    // a tail call, so that schedule() itself needs no stack frame.
    [[gnu::noinline]] void scheduleUnusual(Event *e, Tick when);
    static constexpr std::uint64_t kOrderOverflowBit = std::uint64_t(1) << kOrderBits;
    static bool before(const Event *a, const Event *b) {
        using Key = unsigned __int128;
        return ((Key(a->when_) << 64) | a->rank_) < ((Key(b->when_) << 64) | b->rank_);
    }
    std::uint64_t nextRank(const Event *e) {
        // (checked at every increment, so bit kOrderBits is the first to set)
        if (nextOrder & kOrderOverflowBit) orderOverflow();
        return e->rankBase_ | nextOrder++;
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
    void updateHeapTop() { heapTop = heap.empty() ? nullptr : heap.front(); }

    Event *bucketHead[kWheelBuckets + 1] = {};  // (the last: the empty wheel's)
    Event *bucketTail[kWheelBuckets] = {};
    std::uint64_t occupied[kWheelWords] = {};
    std::vector<Event *> heap;
    Event *heapTop = nullptr;  // heap.front(), null if the heap is empty (one load per event)
    std::uint64_t currentRank = 0;  // rank of the event being processed
    Tick lastReserved = 0;
    std::uint64_t nextOrder = 0;
    std::uint64_t processed = 0;
};

// The simulation's queue: constant-initialized (so reaching it costs no
// check) and never destroyed (so events of objects that outlive static
// destruction can still leave it).
namespace detail {
union MainQueueStorage {
    EventQueue queue;
    constexpr MainQueueStorage() : queue() {}
    ~MainQueueStorage() {}
};
extern MainQueueStorage mainQueueStorage;
}  // namespace detail
inline EventQueue &mainEventQueue() { return detail::mainQueueStorage.queue; }

inline void EventQueue::schedule(Event *event, Tick when) {
    if (event->scheduled() || !inWheelRange(when) || (nextOrder & kOrderOverflowBit)) [[unlikely]]
        return scheduleUnusual(event, when);
    event->when_ = when;
    event->rank_ = event->rankBase_ | nextOrder++;
    wheelInsert(event);
}

inline void EventQueue::wheelInsert(Event *e) {
    const std::size_t b = bucketOf(e->when_);
    e->heapIndex_ = Event::kInWheel;
    Event *t = bucketTail[b];
    if (!t) {
        e->prev_ = e->next_ = nullptr;
        bucketHead[b] = bucketTail[b] = e;
        occupied[b / 64] |= std::uint64_t(1) << (b % 64);
        return;
    }
    if (!before(e, t)) [[likely]] {  // the new tail
        e->prev_ = t;
        e->next_ = nullptr;
        t->next_ = e;
        bucketTail[b] = e;
        return;
    }
    // Walk back from the tail past later events.
    while (t && before(e, t)) t = t->prev_;
    e->prev_ = t;
    if (t) {
        e->next_ = t->next_;
        t->next_ = e;
    } else {
        e->next_ = bucketHead[b];
        bucketHead[b] = e;
    }
    if (e->next_) e->next_->prev_ = e;
    else bucketTail[b] = e;
}

inline void EventQueue::wheelRemove(Event *e) {
    const std::size_t b = bucketOf(e->when_);
    if (e->prev_) e->prev_->next_ = e->next_;
    else bucketHead[b] = e->next_;
    if (e->next_) e->next_->prev_ = e->prev_;
    else bucketTail[b] = e->prev_;
    if (!bucketHead[b]) occupied[b / 64] &= ~(std::uint64_t(1) << (b % 64));
    e->heapIndex_ = Event::kNotScheduled;
}

inline std::size_t EventQueue::wheelFirstBucket() const {
    // The first non-empty bucket from the current window on, circularly;
    // nearly always in the current window's bitmap word.
    const std::size_t start = bucketOf(detail::currentTick);
    const std::size_t w = start / 64;
    if (const std::uint64_t bits = occupied[w] & (~std::uint64_t(0) << (start % 64))) [[likely]]
        return w * 64 + unsigned(__builtin_ctzll(bits));
    return wheelFirstBucketPastWord(w);
}

inline EventQueue::Step EventQueue::serviceNext(Tick limit) {
    const std::size_t bucket = wheelFirstBucket();
    Event *e = bucketHead[bucket];
    if (Event *h = heapTop; h && (!e || before(h, e))) [[unlikely]] {
        if (h->when_ > limit) return Step::kBeyondLimit;
        removeAt(0);
        e = h;
    } else {
        if (!e) return Step::kEmpty;
        if (e->when_ > limit) return Step::kBeyondLimit;
        // the bucket's head: unlink it without wheelRemove's general case
        Event *n = e->next_;
        bucketHead[bucket] = n;
        if (n) n->prev_ = nullptr;
        else {
            bucketTail[bucket] = nullptr;
            occupied[bucket / 64] &= ~(std::uint64_t(1) << (bucket % 64));
        }
        e->heapIndex_ = Event::kNotScheduled;
    }
    detail::currentTick = e->when_;
    currentRank = e->rank_;
    ++processed;
    e->handler_(e);
    return Step::kRan;
}

inline void schedule(Event &e, Tick when) { mainEventQueue().schedule(&e, when); }
inline void reschedule(Event &e, Tick when, bool always = false) { mainEventQueue().reschedule(&e, when, always); }
inline void deschedule(Event &e) { mainEventQueue().deschedule(&e); }

}  // namespace npusim
