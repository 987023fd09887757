// Delta-Correlating Prediction Tables (Grannaes, Jahre & Natvig, "Storage
// Efficient Hardware Prefetching using Delta-Correlating Prediction
// Tables", JILP 13, 2011), as gem5's prefetch::DeltaCorrelatingPredictionTables.
//
// A SimObject of its own, as in gem5, so that more than one prefetcher can
// use it: DCPTPrefetcher (dcpt.cc) and a SlimAMPM-style combination may
// include this header and call calculatePrefetch() from their own.
#pragma once
#include <vector>

#include "npusim/mem/cache/prefetch/associative_table.hh"
#include "npusim/mem/cache/prefetch/base.hh"
#include "npusim/sim/sim_object.hh"

namespace npusim {

class DeltaCorrelatingPredictionTables : public SimObject {
  public:
    explicit DeltaCorrelatingPredictionTables(const Params &p);

    // Learns from one access and appends the predicted addresses (byte
    // addresses, priority 0) to `out`. Accesses without a PC are ignored.
    void calculatePrefetch(const PrefetchInfo &pfi, std::vector<AddrPriority> &out);

    unsigned deltasPerEntry() const { return nDeltas; }

  private:
    struct Entry {
        Addr lastAddress = 0;
        std::vector<int> deltas;    // ring, oldest at `head`; 0 = none / overflow
        unsigned head = 0;

        int delta(unsigned k) const { return deltas[(head + k) % deltas.size()]; }  // k = 0: oldest
        void push(int d) {
            deltas[head] = d;
            head = (head + 1) % unsigned(deltas.size());
        }
    };

    static Entry blankEntry(const Params &p);   // no deltas yet (all 0)
    void addAddress(Entry &e, Addr address) const;
    void getCandidates(const Entry &e, std::vector<AddrPriority> &out) const;

    unsigned nDeltas;
    unsigned deltaBits;
    unsigned deltaMaskBits;
    AssociativeTable<Entry> table;   // keyed by PC; a free way is taken before the policy is asked
};

}  // namespace npusim
