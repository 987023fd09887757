#include "npusim/sim/eventq.hh"

#include "npusim/sim/logging.hh"

namespace npusim {

namespace detail {
Tick currentTick = 0;
}

Event::~Event() {
    // An object being destroyed while its event is pending would leave a
    // dangling pointer in the queue; take it out.
    if (scheduled()) mainEventQueue().deschedule(this);
}

EventQueue &mainEventQueue() {
    static EventQueue queue;
    return queue;
}

void EventQueue::schedule(Event *event, Tick when) {
    if (event->scheduled()) panic("event '", event->description(), "' scheduled twice");
    if (when < detail::currentTick)
        panic("event '", event->description(), "' scheduled in the past (", when, " < ", detail::currentTick, ")");
    event->when_ = when;
    event->order_ = nextOrder++;
    heap.push_back(event);
    event->heapIndex_ = static_cast<std::int64_t>(heap.size() - 1);
    siftUp(heap.size() - 1);
}

void EventQueue::deschedule(Event *event) {
    if (!event->scheduled()) panic("descheduling event '", event->description(), "' that is not scheduled");
    removeAt(static_cast<std::size_t>(event->heapIndex_));
}

void EventQueue::reschedule(Event *event, Tick when, bool always) {
    if (event->scheduled()) deschedule(event);
    else if (!always) panic("rescheduling event '", event->description(), "' that is not scheduled");
    schedule(event, when);
}

void EventQueue::serviceOne() {
    Event *event = heap.front();
    removeAt(0);
    detail::currentTick = event->when_;
    ++processed;
    event->process();
}

void EventQueue::clear() {
    for (Event *e : heap) e->heapIndex_ = -1;
    heap.clear();
}

void EventQueue::removeAt(std::size_t i) {
    Event *gone = heap[i];
    gone->heapIndex_ = -1;
    Event *last = heap.back();
    heap.pop_back();
    if (i == heap.size()) return;
    place(i, last);
    if (i > 0 && before(last, heap[(i - 1) / 2])) siftUp(i);
    else siftDown(i);
}

void EventQueue::siftUp(std::size_t i) {
    Event *e = heap[i];
    while (i > 0) {
        std::size_t parent = (i - 1) / 2;
        if (!before(e, heap[parent])) break;
        place(i, heap[parent]);
        i = parent;
    }
    place(i, e);
}

void EventQueue::siftDown(std::size_t i) {
    Event *e = heap[i];
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
