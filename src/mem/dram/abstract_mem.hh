// AbstractMemory: what every memory shares (gem5's AbstractMemory): an
// address range, a functional backing store that holds the real data, the
// access() that performs a request against it, and the per-requestor
// bytes/requests/bandwidth stats (bytesRead::<requestor>, bwRead, ...).
// Private to the memory models (SimpleMemory, DRAMInterface).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "npusim/mem/addr_range.hh"
#include "npusim/mem/backing_store.hh"
#include "npusim/mem/packet.hh"
#include "npusim/sim/sim_object.hh"

namespace npusim::memory {

// A per-requestor counter that grows when a new requestor id shows up (ids
// may be registered after this object's init()). Every quantity counted is
// a whole number (bytes, requests, ticks), so it is kept as an integer and
// turned into a double when read: the same value as summing the doubles,
// exactly, while totals stay below 2^53.
class PerRequestor {
  public:
    void add(RequestorID id, std::uint64_t v) {
        // inline fast path (the size is kept beside the vector: one compare);
        // growing is rare and kept out of line
        if (id < count) [[likely]] vals[id] += v;
        else grow(id, v);
    }
    double operator[](std::size_t id) const { return id < vals.size() ? double(vals[id]) : 0.0; }
    double total() const {
        double t = 0;
        for (std::uint64_t v : vals) t += double(v);
        return t;
    }
    // One value per registered requestor, in id order (for dumping).
    std::vector<double> padded() const;
    void reset() { std::fill(vals.begin(), vals.end(), 0); }

  private:
    [[gnu::noinline]] void grow(RequestorID id, std::uint64_t v) {
        vals.resize(std::size_t(id) + 1, 0);
        count = vals.size();
        vals[id] += v;
    }
    std::vector<std::uint64_t> vals;
    std::size_t count = 0;  // vals.size()
};

// Helper: a VectorFormula over requestor names, printed as name::<requestor>
// and name::total, with gem5's nozero/nonan flags.
void definePerRequestor(stats::VectorFormula &stat, std::function<std::vector<double>()> elems,
                        std::function<double()> total);

class AbstractMemory : public SimObject {
  public:
    explicit AbstractMemory(const Params &p);

    const AddrRange &getAddrRange() const { return range; }
    AddrRangeList getAddrRanges() const { return {range}; }
    Addr size() const { return range.size(); }

    // Performs a timing-mode request on the backing store, updates the
    // stats and turns the packet into its response if it needs one.
    // CleanEvict and WritebackClean carry nothing memory must keep and are
    // ignored (as gem5 does). Inline: once per request in every memory.
    void access(PacketPtr pkt) {
        if (!range.contains(pkt->addr) || pkt->addr + pkt->size > range.end) [[unlikely]] outOfRange(pkt);
        if (pkt->cmd == MemCmd::CleanEvict || pkt->cmd == MemCmd::WritebackClean) return;  // nothing to keep
        if (pkt->isRead()) {
            pkt->markDataValid();
            store.read(pkt->addr, pkt->data(), pkt->size);
            numReadsCnt.add(pkt->requestorId, 1);
            bytesReadCnt.add(pkt->requestorId, pkt->size);
        } else if (pkt->isWrite()) {
            if (pkt->hasData()) store.write(pkt->addr, pkt->data(), pkt->size);
            numWritesCnt.add(pkt->requestorId, 1);
            bytesWrittenCnt.add(pkt->requestorId, pkt->size);
        }
        if (pkt->needsResponse()) pkt->makeResponse();
    }
    // access() of a read its caller has already checked against the range.
    void accessRead(PacketPtr pkt) {
        pkt->markDataValid();
        store.read(pkt->addr, pkt->data(), pkt->size);
        numReadsCnt.add(pkt->requestorId, 1);
        bytesReadCnt.add(pkt->requestorId, pkt->size);
        if (pkt->needsResponse()) pkt->makeResponse();
    }
    // Functional access: reads fill pkt->data(), writes store it; no stats.
    void functionalAccess(PacketPtr pkt);

    void resetStats() override;
    void preDumpStats() override;

  protected:
    [[noreturn]] void outOfRange(const PacketPtr pkt) const;
    double simSeconds() const;

    AddrRange range;
    BackingStore store;
    Tick lastResetTick = 0;

    PerRequestor bytesReadCnt, bytesWrittenCnt, numReadsCnt, numWritesCnt;

    stats::VectorFormula bytesRead;
    stats::VectorFormula bytesWritten;
    stats::VectorFormula numReads;
    stats::VectorFormula numWrites;
    stats::VectorFormula bwRead;
    stats::VectorFormula bwWrite;
    stats::VectorFormula bwTotal;
};

}  // namespace npusim::memory
