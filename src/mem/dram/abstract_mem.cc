#include "abstract_mem.hh"

#include <cmath>

#include "npusim/mem/requestors.hh"
#include "npusim/sim/eventq.hh"

namespace npusim::memory {

std::vector<double> PerRequestor::padded() const {
    std::vector<double> out(std::max(requestorNames().size(), vals.size()), 0.0);
    for (std::size_t i = 0; i < vals.size(); ++i) out[i] = double(vals[i]);
    return out;
}

void definePerRequestor(stats::VectorFormula &stat, std::function<std::vector<double>()> elems,
                        std::function<double()> total) {
    stat.define(std::move(elems), std::move(total));
    stat.flags(stats::kTotal | stats::kNoZero | stats::kNoNan);
}

static AddrRange rangeParam(const Params &p) {
    auto v = p.get<std::vector<std::int64_t>>("range");
    if (v.size() != 2 || v[1] <= v[0] || v[0] < 0) p.error("range", "expected a non-empty [start, end) range");
    return AddrRange(Addr(v[0]), Addr(v[1]));
}

AbstractMemory::AbstractMemory(const Params &p)
    : SimObject(p),
      range(rangeParam(p)),
      bytesRead(this, "bytesRead", stats::units::Byte, "Number of bytes read from this memory"),
      bytesWritten(this, "bytesWritten", stats::units::Byte, "Number of bytes written to this memory"),
      numReads(this, "numReads", stats::units::Count, "Number of read requests responded to by this memory"),
      numWrites(this, "numWrites", stats::units::Count, "Number of write requests responded to by this memory"),
      bwRead(this, "bwRead", stats::units::rate(stats::units::Byte, stats::units::Second),
             "Total read bandwidth from this memory"),
      bwWrite(this, "bwWrite", stats::units::rate(stats::units::Byte, stats::units::Second),
              "Write bandwidth from this memory"),
      bwTotal(this, "bwTotal", stats::units::rate(stats::units::Byte, stats::units::Second),
              "Total bandwidth to/from this memory") {
    definePerRequestor(bytesRead, [this] { return bytesReadCnt.padded(); }, [this] { return bytesReadCnt.total(); });
    definePerRequestor(bytesWritten, [this] { return bytesWrittenCnt.padded(); },
                       [this] { return bytesWrittenCnt.total(); });
    definePerRequestor(numReads, [this] { return numReadsCnt.padded(); }, [this] { return numReadsCnt.total(); });
    definePerRequestor(numWrites, [this] { return numWritesCnt.padded(); }, [this] { return numWritesCnt.total(); });
    auto perSecond = [this](const PerRequestor &c) {
        std::vector<double> v = c.padded();
        double s = simSeconds();
        for (double &x : v) x = s > 0 ? x / s : NAN;
        return v;
    };
    definePerRequestor(bwRead, [this, perSecond] { return perSecond(bytesReadCnt); },
                       [this] { return simSeconds() > 0 ? bytesReadCnt.total() / simSeconds() : NAN; });
    definePerRequestor(bwWrite, [this, perSecond] { return perSecond(bytesWrittenCnt); },
                       [this] { return simSeconds() > 0 ? bytesWrittenCnt.total() / simSeconds() : NAN; });
    definePerRequestor(
        bwTotal,
        [this, perSecond] {
            auto r = perSecond(bytesReadCnt);
            auto w = perSecond(bytesWrittenCnt);
            for (std::size_t i = 0; i < r.size() && i < w.size(); ++i) r[i] += w[i];
            return r;
        },
        [this] {
            return simSeconds() > 0 ? (bytesReadCnt.total() + bytesWrittenCnt.total()) / simSeconds() : NAN;
        });
    bwRead.precision(0);
    bwWrite.precision(0);
    bwTotal.precision(0);
}

double AbstractMemory::simSeconds() const {
    return double(curTick() - lastResetTick) / double(kTicksPerSecond);
}

void AbstractMemory::preDumpStats() {
    const auto &names = requestorNames();
    for (auto *s : {&bytesRead, &bytesWritten, &numReads, &numWrites, &bwRead, &bwWrite, &bwTotal}) s->subnames(names);
}

void AbstractMemory::resetStats() {
    SimObject::resetStats();
    bytesReadCnt.reset();
    bytesWrittenCnt.reset();
    numReadsCnt.reset();
    numWritesCnt.reset();
    lastResetTick = curTick();
}

void AbstractMemory::outOfRange(const PacketPtr pkt) const {
    fatal(name(), ": ", pkt->print(), " lies outside this memory's range ", range.toString());
}

void AbstractMemory::functionalAccess(PacketPtr pkt) {
    if (!range.contains(pkt->addr) || pkt->addr + pkt->size > range.end) outOfRange(pkt);
    if (pkt->isRead()) {
        pkt->markDataValid();
        store.read(pkt->addr, pkt->data(), pkt->size);
    } else if (pkt->isWrite()) {
        store.write(pkt->addr, pkt->data(), pkt->size);
    }
}

}  // namespace npusim::memory
