#include "npusim/sim/eventq.hh"

#include "npusim/sim/logging.hh"

namespace npusim {

namespace detail {
Tick currentTick = 0;
constinit MainQueueStorage mainQueueStorage;
}  // namespace detail

Event::~Event() {
    // An object being destroyed while its event is pending would leave a
    // dangling pointer in the queue; take it out.
    if (scheduled()) mainEventQueue().deschedule(this);
}

void Event::badPriority(int priority) {
    panic("event priority ", priority, " is outside -128..127");
}

void EventQueue::badSchedule(const Event *event, Tick when) const {
    if (event->scheduled()) panic("event '", event->description(), "' scheduled twice");
    panic("event '", event->description(), "' scheduled in the past (", when, " < ", detail::currentTick, ")");
}

void EventQueue::orderOverflow() const { panic("event queue: more than 2^", kOrderBits, " events scheduled"); }

void EventQueue::deschedule(Event *event) {
    if (!event->scheduled()) panic("descheduling event '", event->description(), "' that is not scheduled");
    remove(event);
}

void EventQueue::reschedule(Event *event, Tick when, bool always) {
    if (!event->scheduled()) {
        if (!always) panic("rescheduling event '", event->description(), "' that is not scheduled");
        schedule(event, when);
        return;
    }
    if (when < detail::currentTick) badSchedule(event, when);
    if (event->heapIndex_ == Event::kInWheel) {
        remove(event);
        event->when_ = when;
        event->rank_ = nextRank(event);
        insert(event);
        return;
    }
    // Heap to heap: a new key (a new insertion order, as deschedule +
    // schedule would give) in the same slot, then restore the heap property.
    const std::size_t i = static_cast<std::size_t>(event->heapIndex_);
    event->when_ = when;
    event->rank_ = nextRank(event);
    if (i > 0 && before(event, heap[(i - 1) / 2])) {
        siftUp(i, event);
    } else {
        siftDown(i, event);
    }
    updateHeapTop();
}

void EventQueue::clear() {
    for (Event *e : heap) e->heapIndex_ = Event::kNotScheduled;
    heap.clear();
    heapTop = nullptr;
    for (std::size_t b = 0; b < kWheelBuckets; ++b) {
        for (Event *e = bucketHead[b]; e; e = e->next_) e->heapIndex_ = Event::kNotScheduled;
        bucketHead[b] = bucketTail[b] = nullptr;
    }
    for (auto &w : occupied) w = 0;
    currentRank = 0;
    lastReserved = 0;
}

std::size_t EventQueue::size() const {
    std::size_t n = heap.size();
    for (const Event *head : bucketHead)
        for (const Event *e = head; e; e = e->next_) ++n;
    return n;
}

std::size_t EventQueue::wheelFirstBucketPastWord(std::size_t word) const {
    // (coming back round to `word`, only its bits below the current window's
    // can be set)
    for (std::size_t i = 1; i <= kWheelWords; ++i) {
        const std::size_t w = (word + i) % kWheelWords;
        if (occupied[w]) return w * 64 + unsigned(__builtin_ctzll(occupied[w]));
    }
    return kWheelBuckets;
}

void EventQueue::scheduleUnusual(Event *e, Tick when) {
    if (e->scheduled() || when < detail::currentTick) badSchedule(e, when);
    if (inWheelRange(when)) orderOverflow();  // (the one case left on the wheel)
    e->when_ = when;
    e->rank_ = nextRank(e);
    heapInsert(e);
}

void EventQueue::heapInsert(Event *e) {
    heap.push_back(e);
    siftUp(heap.size() - 1, e);
    heapTop = heap.front();
}

void EventQueue::removeAt(std::size_t i) {
    heap[i]->heapIndex_ = Event::kNotScheduled;
    Event *last = heap.back();
    heap.pop_back();
    if (i < heap.size()) {
        if (i > 0 && before(last, heap[(i - 1) / 2])) siftUp(i, last);
        else siftDown(i, last);
    }
    updateHeapTop();
}

// Both move `e` from the hole at slot i to its place.
void EventQueue::siftUp(std::size_t i, Event *e) {
    while (i > 0) {
        const std::size_t parent = (i - 1) / 2;
        if (!before(e, heap[parent])) break;
        place(i, heap[parent]);
        i = parent;
    }
    place(i, e);
}

void EventQueue::siftDown(std::size_t i, Event *e) {
    const std::size_t n = heap.size();
    while (true) {
        std::size_t child = 2 * i + 1;
        if (child >= n) break;
        if (child + 1 < n && before(heap[child + 1], heap[child])) ++child;
        if (!before(heap[child], e)) break;
        place(i, heap[child]);
        i = child;
    }
    place(i, e);
}

}  // namespace npusim
