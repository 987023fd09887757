// DCPTPrefetcher and DeltaCorrelatingPredictionTables (gem5 v24.0 semantics).
//
// A table of table_entries entries (table_assoc ways, replacement policy
// table_replacement_policy) indexed by the PC of the access. Each entry
// keeps the last address its PC touched and the last deltas_per_entry
// address deltas (bytes), oldest first; a fresh entry's deltas are all 0.
//
// On an access with a PC:
//  - table miss: allocate the entry with the access address as its last
//    address; nothing is predicted.
//  - table hit: if the address changed, push delta = addr - last (0 when it
//    does not fit a signed delta_bits-bit value) and make addr the last
//    address. Then, unless one of the two newest deltas is 0, look for the
//    oldest earlier position where two consecutive deltas equal the two
//    newest ones after dropping their delta_mask_bits low bits
//    (arithmetic shift). From there the deltas that followed that pair,
//    accumulated onto the last address, are the predictions.
//
// Consequences of gem5's choices that the tests pin down: deltas are in
// bytes, so with the default delta_mask_bits = 8 every positive delta
// under 256 compares equal (as do the 0s of a fresh entry), and a match
// can replay 0 deltas, i.e. ask for the current line again (the cache
// drops those at issue).
#include "dcpt.hh"

#include "npusim/mem/cache/prefetch/queued.hh"

namespace npusim {

DeltaCorrelatingPredictionTables::DeltaCorrelatingPredictionTables(const Params &p)
    : SimObject(p),
      nDeltas(p.get<unsigned>("deltas_per_entry")),
      deltaBits(p.get<unsigned>("delta_bits")),
      deltaMaskBits(p.get<unsigned>("delta_mask_bits")),
      table(p, "table_entries", "table_assoc", "table_replacement_policy", blankEntry(p),
            TableOptions{VictimChoice::InvalidFirst, {}}) {
    if (nDeltas < 2) p.error("deltas_per_entry", "must be at least 2 (a pattern is a pair of deltas)");
    if (deltaBits < 2 || deltaBits > 32) p.error("delta_bits", "must be in [2, 32]");
    if (deltaMaskBits >= 32) p.error("delta_mask_bits", "must be below 32");
}

DeltaCorrelatingPredictionTables::Entry DeltaCorrelatingPredictionTables::blankEntry(const Params &p) {
    Entry blank;
    blank.deltas.assign(p.get<unsigned>("deltas_per_entry"), 0);
    return blank;
}

void DeltaCorrelatingPredictionTables::addAddress(Entry &e, Addr address) const {
    if (address == e.lastAddress) return;
    const Addr maxPositive = (Addr(1) << (deltaBits - 1)) - 1;
    std::int64_t delta = std::int64_t(address - e.lastAddress);
    if (address > e.lastAddress) {
        if (address - e.lastAddress > maxPositive) delta = 0;
    } else if (e.lastAddress - address > maxPositive + 1) {
        delta = 0;
    }
    e.push(int(delta));
    e.lastAddress = address;
}

void DeltaCorrelatingPredictionTables::getCandidates(const Entry &e, std::vector<AddrPriority> &out) const {
    const unsigned n = nDeltas;
    const int penultimate = e.delta(n - 2);
    const int last = e.delta(n - 1);
    if (penultimate == 0 || last == 0) return;
    const int mp = penultimate >> deltaMaskBits;
    const int ml = last >> deltaMaskBits;
    for (unsigned i = 0; i + 2 < n; ++i) {
        if ((e.delta(i) >> deltaMaskBits) != mp || (e.delta(i + 1) >> deltaMaskBits) != ml) continue;
        Addr addr = e.lastAddress;
        for (unsigned k = i + 2; k < n; ++k) {
            addr += Addr(std::int64_t(e.delta(k)));
            out.emplace_back(addr, 0);
        }
        return;
    }
}

void DeltaCorrelatingPredictionTables::calculatePrefetch(const PrefetchInfo &pfi, std::vector<AddrPriority> &out) {
    if (!pfi.hasPC()) return;
    const Addr pc = pfi.getPC();
    Entry *e = table.find(pc);
    if (e) {
        // gem5 does not touch the replacement state on a hit here.
        addAddress(*e, pfi.getAddr());
        getCandidates(*e, out);
        return;
    }
    table.insert(pc)->lastAddress = pfi.getAddr();
}

namespace {

class DCPT final : public QueuedPrefetcher {
  public:
    explicit DCPT(const Params &p)
        : QueuedPrefetcher(p), dcpt(p.get<DeltaCorrelatingPredictionTables *>("dcpt")) {
        if (!dcpt) p.error("dcpt", "a DeltaCorrelatingPredictionTables object is required");
    }

    void calculatePrefetch(const PrefetchInfo &pfi, std::vector<AddrPriority> &out) override {
        dcpt->calculatePrefetch(pfi, out);
    }

  private:
    DeltaCorrelatingPredictionTables *dcpt;
};

}  // namespace

NPUSIM_REGISTER_SIMOBJECT(DeltaCorrelatingPredictionTables, DeltaCorrelatingPredictionTables);
NPUSIM_REGISTER_SIMOBJECT(DCPTPrefetcher, DCPT);

}  // namespace npusim
