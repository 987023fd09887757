// SlimAMPMPrefetcher: gem5's combination of delta-correlating prediction
// tables (DCPT) and a small access map (AMPM). On each observed access the
// DCPT part proposes candidates; only when it proposes none does the access
// map part run (so the map does not see the accesses DCPT covered), as in
// gem5's SlimAMPM.
//
// Composition, not copy: both parts are SimObjects given as parameters, as
// in gem5. `dcpt` is a DeltaCorrelatingPredictionTables (dcpt.hh, shared
// with DCPTPrefetcher), `ampm` an AccessMapPatternMatching (ampm.hh, shared
// with AMPMPrefetcher); the Python declaration defaults them to gem5's
// SlimDeltaCorrelatingPredictionTables and SlimAccessMapPatternMatching.
#include "ampm.hh"
#include "dcpt.hh"

namespace npusim {
namespace {

class SlimAMPM final : public AccessMapPrefetcher {
  public:
    explicit SlimAMPM(const Params &p)
        : AccessMapPrefetcher(p), dcpt(p.get<DeltaCorrelatingPredictionTables *>("dcpt")) {
        if (!dcpt) p.error("dcpt", "a DeltaCorrelatingPredictionTables object is required");
    }

    void calculatePrefetch(const PrefetchInfo &pfi, std::vector<AddrPriority> &out) override {
        dcpt->calculatePrefetch(pfi, out);
        if (out.empty()) ampm->calculatePrefetch(pfi, out);
    }

  private:
    DeltaCorrelatingPredictionTables *dcpt;
};

}  // namespace

NPUSIM_REGISTER_SIMOBJECT(SlimAMPMPrefetcher, SlimAMPM);

}  // namespace npusim
