#include "npusim/mem/packet_queue.hh"

namespace npusim {

PacketQueue::PacketQueue(RequestPort *reqPort, ResponsePort *respPort, std::string label)
    : sendEvent(this), requestPort(reqPort), responsePort(respPort), name(std::move(label)) {}

PacketQueue::~PacketQueue() = default;

void PacketQueue::insertOutOfOrder(const Entry &e) {
    queue.insertOrdered(e, [](const Entry &a, const Entry &b) { return a.when > b.when; });
}

void PacketQueue::trySend() {
    const Tick now = curTick();  // (time stands still within an event)
    while (!queue.empty() && queue.front().when <= now) {
        PacketPtr pkt = queue.front().pkt;
        if (!sendOut(pkt)) {
            waitingRetry = true;
            return;
        }
        queue.pop_front();
        if (sentListener) sentListener->packetSent(pkt);
    }
    scheduleNext(now);
}

void PacketQueue::retry() {
    if (!waitingRetry) return;
    waitingRetry = false;
    trySend();
}

}  // namespace npusim
