// NPUProbe: a minimal NPUListener plugin. It shows how another plugin (the
// NVR prefetcher) attaches to the NPU through npu.hh only, and lets the
// tests see what listeners are told: counts, plus the first `record`
// issued instructions (PC, first register operand value) and DMA requests
// (PC, address, write) as vector stats.
#include <string>
#include <unordered_set>

#include "npu.hh"
#include "npusim/sim/stats.hh"

namespace npusim::npu {

class NPUProbe final : public SimObject, public NPUListener {
  public:
    explicit NPUProbe(const Params &p)
        : SimObject(p),
          npu(p.get<NPUBase *>("npu")),
          record(p.get<unsigned>("record")),
          issued(this, "issued", stats::units::Count, "Instructions the listener was told about"),
          dmaIssued(this, "dmaIssued", stats::units::Count, "DMA requests issued"),
          dmaCompleted(this, "dmaCompleted", stats::units::Count, "DMA requests completed"),
          dmaWithoutPC(this, "dmaWithoutPC", stats::units::Count, "DMA requests whose pc was not a DMA instruction's"),
          completedBeforeIssued(this, "completedBeforeIssued", stats::units::Count,
                                "Completions seen without their issue (must stay 0)"),
          outstanding(this, "outstanding", stats::units::Count, "Issued minus completed at the end"),
          issuePC(this, "issuePC", stats::units::Count, "PC of the first issued instructions"),
          issueReg(this, "issueReg", stats::units::Count,
                   "Value of the first register operand (0 if none) of the first issued instructions"),
          issueCycle(this, "issueCycle", stats::units::Cycle, "NPU cycle of the first issued instructions"),
          dmaPC(this, "dmaPC", stats::units::Count, "PC of the first DMA requests"),
          dmaAddr(this, "dmaAddr", stats::units::Count, "Address of the first DMA requests"),
          dmaWrite(this, "dmaWrite", stats::units::Count, "1 if the first DMA requests were writes") {
        if (!npu) p.error("npu", "NPUProbe needs the NPU it listens to");
        issuePC.init(record);
        issueReg.init(record);
        issueCycle.init(record);
        dmaPC.init(record);
        dmaAddr.init(record);
        dmaWrite.init(record);
    }

    void init() override { npu->addListener(this); }

    void instructionIssued(const IssueInfo &info) override {
        std::size_t i = std::size_t(issued.value());
        ++issued;
        if (i < record) {
            issuePC[i] = double(info.pc);
            issueCycle[i] = double(info.cycle);
            for (int j = 0; j < info.numOperands; ++j)
                if (info.isRegister[j]) {
                    issueReg[i] = double(info.regValues[j]);
                    break;
                }
        }
        std::string g = info.group;
        if (g == "dma" || g == "gather" || g == "scatter" || g == "load") {
            dmaPCs.insert(info.pc);
        }
    }

    void dmaRequestIssued(const DmaInfo &info) override {
        std::size_t i = std::size_t(dmaIssued.value());
        ++dmaIssued;
        ++outstanding;
        if (i < record) {
            dmaPC[i] = double(info.pc);
            dmaAddr[i] = double(info.addr);
            dmaWrite[i] = info.write ? 1 : 0;
        }
        if (!dmaPCs.count(info.pc)) ++dmaWithoutPC;
    }

    void dmaRequestCompleted(const DmaInfo &info) override {
        ++dmaCompleted;
        if (outstanding.value() <= 0) ++completedBeforeIssued;
        outstanding -= 1;
        (void)info;
    }

  private:
    NPUBase *npu;
    unsigned record;
    std::unordered_set<Addr> dmaPCs;

  public:
    stats::Scalar issued, dmaIssued, dmaCompleted, dmaWithoutPC, completedBeforeIssued, outstanding;
    stats::Vector issuePC, issueReg, issueCycle, dmaPC, dmaAddr, dmaWrite;
};

NPUSIM_REGISTER_SIMOBJECT(NPUProbe, NPUProbe);

}  // namespace npusim::npu
