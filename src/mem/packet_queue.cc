#include "npusim/mem/packet_queue.hh"

#include <algorithm>

namespace npusim {

PacketQueue::PacketQueue(std::string label) : sendEvent(this), name(std::move(label)) {}

PacketQueue::~PacketQueue() = default;

void PacketQueue::schedSend(PacketPtr pkt, Tick when) {
    if (when < curTick()) when = curTick();
    // Most packets arrive in order; walk back from the tail otherwise.
    std::size_t pos = queue.size();
    while (pos > 0 && queue.at(pos - 1).when > when) --pos;
    queue.insert(pos, Entry{when, pkt});
    if (!waitingRetry) scheduleNext();
}

void PacketQueue::scheduleNext() {
    if (queue.empty()) return;
    Tick when = std::max(queue.front().when, curTick());
    if (sendEvent.scheduled()) {
        if (sendEvent.when() > when) reschedule(sendEvent, when);
    } else {
        schedule(sendEvent, when);
    }
}

void PacketQueue::trySend() {
    while (!queue.empty() && queue.front().when <= curTick()) {
        PacketPtr pkt = queue.front().pkt;
        if (!sendOut(pkt)) {
            waitingRetry = true;
            return;
        }
        queue.pop_front();
        onSent(pkt);
    }
    scheduleNext();
}

void PacketQueue::retry() {
    if (!waitingRetry) return;
    waitingRetry = false;
    trySend();
}

}  // namespace npusim
