// The NPU as other plugins see it (public to src_ext/, like a gem5 header).
//
// A plugin that wants to watch the NPU (the NVR runahead prefetcher, a
// tracer, a profiler) takes the NPU as a parameter, casts it to NPUBase and
// registers an NPUListener in its init():
//
//     auto *npu = p.get<npusim::npu::NPUBase *>("npu");
//     npu->addListener(this);
//
// The interface is read-only: listeners are told what happened and can
// never stall or change the NPU. They are called synchronously, at the tick
// at which the event happens (an instruction's issue, a DMA request's send,
// its response), so a listener that reacts (e.g. by sending prefetches on
// its own port) acts at the right simulated time. With no listener
// registered the NPU pays one branch per instruction.
//
// What a listener sees is what hardware beside the NPU could see: the
// instruction stream in issue order with the register operand values read
// at issue, and the DMA engine's line requests. It does not see the
// program ahead of the front end.
#pragma once
#include <algorithm>
#include <cstdint>
#include <vector>

#include "npusim/sim/clocked_object.hh"
#include "npusim/sim/types.hh"

namespace npusim::npu {

constexpr int kMaxOperands = 7;

// One instruction at the moment the NPU front end issues it: scalar and
// branch instructions when they execute, ld when its memory read is sent,
// DMA / matmul / vector instructions when they enter their queue (the
// register operands are read then).
struct IssueInfo {
    Tick tick = 0;                 // curTick() of the issue
    std::uint64_t cycle = 0;       // NPU cycle of the issue
    std::uint64_t seq = 0;         // issue sequence number (0, 1, 2, ...)
    std::uint32_t index = 0;       // instruction index in the program
    Addr pc = 0;                   // pc_base + 4 * index
    std::int64_t opcode = 0;       // npusim.isa opcode number
    const char *mnemonic = "";     // e.g. "gather"
    const char *unit = "";         // "scalar", "load", "exec" or "store"
    const char *group = "";        // "alu", "branch", "dma", "gather", ...
    std::uint8_t numOperands = 0;  // encoded operand fields (table order)
    std::int64_t operands[kMaxOperands] = {};   // encoded fields (columns 1..7)
    bool isRegister[kMaxOperands] = {};         // field is a source register (kind "rs")
    std::int64_t regValues[kMaxOperands] = {};  // x[operand] at issue where isRegister, else 0
    const char *operandNames[kMaxOperands] = {};
};

// One line request of the DMA engine (or the front end's scalar ld) on the
// NPU's memory port.
struct DmaInfo {
    Tick tick = 0;            // tick of this notification
    Tick issueTick = 0;       // tick the request was sent
    std::uint64_t seq = 0;    // sequence number of the instruction it belongs to
    Addr pc = 0;              // PC of that instruction (also on the packet)
    std::int64_t opcode = 0;  // its opcode
    Addr addr = 0;            // physical address of the request
    unsigned size = 0;        // bytes (at most one line, never crossing one)
    bool write = false;       // WriteReq (mvout / scatter) or ReadReq
    bool scalar = false;      // issued by the front end's ld
};

class NPUListener {
  public:
    virtual ~NPUListener() = default;
    virtual void instructionIssued(const IssueInfo &) {}
    virtual void dmaRequestIssued(const DmaInfo &) {}
    virtual void dmaRequestCompleted(const DmaInfo &) {}
};

// The part of the NPU a plugin may use.
class NPUBase : public ClockedObject {
  public:
    using ClockedObject::ClockedObject;

    void addListener(NPUListener *l) {
        if (l && std::find(listeners.begin(), listeners.end(), l) == listeners.end()) listeners.push_back(l);
    }
    void removeListener(NPUListener *l) {
        listeners.erase(std::remove(listeners.begin(), listeners.end(), l), listeners.end());
    }

    virtual unsigned dim() const = 0;                 // systolic array is dim x dim
    virtual unsigned lineSize() const = 0;            // DMA request granularity (bytes)
    virtual unsigned numScalarRegs() const = 0;       // num_regs
    virtual RequestorID dmaRequestorId() const = 0;   // "<npu>.dma"
    virtual Addr pcBase() const = 0;
    virtual bool finished() const = 0;                // halted and drained

  protected:
    std::vector<NPUListener *> listeners;
};

}  // namespace npusim::npu
