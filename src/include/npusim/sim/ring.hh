// Ring: a FIFO on a power-of-two vector that grows only when full, so the
// steady state allocates nothing (a std::deque frees and allocates a node
// whenever its ends cross node boundaries). Used for the queues on the
// per-request path: packet queues, crossbar layers' waiting senders.
#pragma once
#include <cstddef>
#include <vector>

namespace npusim {

template <typename T>
class Ring {
  public:
    bool empty() const { return count == 0; }
    std::size_t size() const { return count; }
    T &front() { return buf[head]; }
    T &back() { return at(count - 1); }
    T &at(std::size_t i) { return buf[(head + i) & mask]; }
    void push_back(const T &v) {
        if (full()) grow();
        at(count) = v;
        ++count;
    }
    void push_front(const T &v) {
        if (full()) grow();
        head = (head + mask) & mask;
        buf[head] = v;
        ++count;
    }
    void pop_front() {
        head = (head + 1) & mask;
        --count;
    }
    // Keeps a queue sorted: inserts v after every element that `later(e, v)`
    // does not place after it (so equal keys stay in arrival order),
    // walking back from the tail (in time-ordered queues, rarely far).
    template <typename Later>
    void insertOrdered(const T &v, Later later) {
        std::size_t pos = count;
        while (pos > 0 && later(at(pos - 1), v)) --pos;
        insert(pos, v);
    }
    // Inserts before position `pos` (0..size()), moving the later ones back.
    void insert(std::size_t pos, const T &v) {
        if (full()) grow();
        for (std::size_t i = count; i > pos; --i) at(i) = at(i - 1);
        at(pos) = v;
        ++count;
    }

  private:
    bool full() const { return count == mask + 1; }  // (an empty buffer is full: mask + 1 wraps to 0)
    void grow() {
        std::vector<T> bigger(buf.empty() ? 8 : buf.size() * 2);
        for (std::size_t i = 0; i < count; ++i) bigger[i] = at(i);
        buf.swap(bigger);
        head = 0;
        mask = buf.size() - 1;
    }
    std::vector<T> buf;
    std::size_t mask = ~std::size_t(0);  // buf.size() - 1
    std::size_t head = 0;
    std::size_t count = 0;
};

}  // namespace npusim
