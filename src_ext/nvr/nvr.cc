// NVR: NPU vector runahead. See nvr.hh for the structures and docs/nvr.md
// for the design, the hardware budget and the evaluation.
#include "nvr.hh"

#include <algorithm>
#include <cstring>

#include "npusim/mem/requestors.hh"

namespace npusim::nvr {

namespace {

// Opcode numbers of the NPU ISA (docs/isa.md, the contract between the
// program generators and any implementation).
enum : std::int64_t {
    kLi = 0x10, kMov = 0x11, kAluFirst = 0x10, kAluLast = 0x1f,
    kBeq = 0x20, kBne = 0x21, kBlt = 0x22, kBge = 0x23,
    kLd = 0x28, kMvin = 0x30, kGather = 0x34, kGatherR = 0x35,
};

template <typename T>
T satInc(T v, T max) { return v < max ? T(v + 1) : v; }

}  // namespace

std::int64_t NVR::LoopEntry::remaining() const {
    if (!valid || exited) return 0;
    if (!stepValid || step <= 0) return -1;
    if (op != kBlt && op != kBne) return -1;
    if (bnd <= ind) return 0;
    return (bnd - ind + step - 1) / step;
}

NVR::NVR(const Params &p)
    : BasePrefetcher(p),
      npu(p.get<NPUBase *>("npu")),
      port("port", this),
      rptEntries(p.get<unsigned>("rpt_entries")),
      taintEntries(p.get<unsigned>("taint_entries")),
      chainEntries(p.get<unsigned>("chain_entries")),
      loopEntries(p.get<unsigned>("loop_entries")),
      lanes(p.get<unsigned>("lanes")),
      distInit(p.get<unsigned>("distance")),
      distMin(p.get<unsigned>("min_distance")),
      distMax(p.get<unsigned>("max_distance")),
      adaptInterval(p.get<unsigned>("adapt_interval")),
      lateThreshold(p.get<double>("late_threshold")),
      earlyThreshold(p.get<double>("early_threshold")),
      pfqSize(p.get<unsigned>("queue_entries")),
      mergeEntries(p.get<unsigned>("merge_entries")),
      indexLines(p.get<unsigned>("index_buffer_lines")),
      maxIndexLoads(p.get<unsigned>("max_index_loads")),
      inflightEntries(p.get<unsigned>("inflight_entries")),
      confThreshold(p.get<unsigned>("confidence_threshold")),
      chainConfirm(p.get<unsigned>("chain_confirm")),
      indexMissLatency(p.get<Tick>("index_miss_latency")),
      numRegs(p.get<unsigned>("num_regs")),
      engineEvent(this),
      chainsDetected(this, "chainsDetected", stats::units::Count,
                     "Indirect chains (strided index load -> gather) detected"),
      runaheadEpisodes(this, "runaheadEpisodes", stats::units::Count,
                       "Times the runahead engine started working on a chain from idle"),
      indexLoads(this, "indexLoads", stats::units::Count,
                 "Line reads of index (and loop-bound) values issued by the runahead engine on its port"),
      indexLoadMisses(this, "indexLoadMisses", stats::units::Count,
                      "Runahead index loads whose round trip exceeded index_miss_latency (missed the first "
                      "level below the port)"),
      boundLoads(this, "boundLoads", stats::units::Count,
                 "Of indexLoads: reads of a future loop bound (nested loops)"),
      laneCycles(this, "laneCycles", stats::units::Count,
                 "Lane-cycles of address arithmetic (one index element turned into row addresses)"),
      engineCycles(this, "engineCycles", stats::units::Cycle, "NPU cycles in which the runahead engine used a lane"),
      elementsGenerated(this, "elementsGenerated", stats::units::Count,
                        "Future index elements turned into prefetch candidates"),
      linesMerged(this, "linesMerged", stats::units::Count,
                  "Candidate lines merged with a recently generated one (merge filter)"),
      linesFiltered(this, "linesFiltered", stats::units::Count,
                    "Candidate lines dropped because the cache already had them (or an MSHR for them)"),
      boundStops(this, "boundStops", stats::units::Count,
                 "Triggers at which the runahead target was cut by the loop bound"),
      feedbackTimely(this, "feedbackTimely", stats::units::Count, "Demand hits on prefetched lines (feedback)"),
      feedbackLate(this, "feedbackLate", stats::units::Count,
                   "Demand misses on lines whose prefetch was still in flight (feedback)"),
      feedbackEarly(this, "feedbackEarly", stats::units::Count,
                    "Prefetched lines evicted before any use (feedback)"),
      distanceUp(this, "distanceUp", stats::units::Count, "Distance increases (too many late prefetches)"),
      distanceDown(this, "distanceDown", stats::units::Count, "Distance decreases (too many evicted unused)"),
      distanceDist(this, "distance", stats::units::Count,
                   "Runahead distance (index elements = gathered rows ahead) at each trigger"),
      balancedGroup(this, "balanced"),
      bIssued(&balancedGroup, "pfIssued", stats::units::Count,
              "Prefetches issued (== pfUseful + pfLate + pfUseless + pfPending)"),
      bUseful(&balancedGroup, "pfUseful", stats::units::Count,
              "Filled before the first demand, then used by it"),
      bLate(&balancedGroup, "pfLate", stats::units::Count,
            "A demand arrived while the prefetch was in flight (it waited for the prefetch)"),
      bUseless(&balancedGroup, "pfUseless", stats::units::Count,
               "Evicted before any use, or dropped at issue because the line was already there"),
      bPending(&balancedGroup, "pfPending", stats::units::Count,
               "In flight, or filled and not yet used, at this dump") {
    if (!npu) p.error("npu", "NVR needs the NPU it watches (NVR(npu=system.npu))");
    if (rptEntries == 0) p.error("rpt_entries", "must be at least 1");
    if (chainEntries == 0) p.error("chain_entries", "must be at least 1");
    if (loopEntries == 0) p.error("loop_entries", "must be at least 1");
    if (taintEntries == 0) p.error("taint_entries", "must be at least 1");
    if (lanes == 0) p.error("lanes", "must be at least 1");
    if (indexLines == 0) p.error("index_buffer_lines", "must be at least 1");
    if (maxIndexLoads == 0) p.error("max_index_loads", "must be at least 1");
    if (pfqSize < 4) p.error("queue_entries", "must be at least 4 (a gathered row may span several lines)");
    if (distMin == 0 || distMin > distMax) p.error("min_distance", "must be in [1, max_distance]");
    if (distInit < distMin || distInit > distMax) p.error("distance", "must be in [min_distance, max_distance]");
    if (confThreshold == 0 || confThreshold > 3) p.error("confidence_threshold", "must be 1, 2 or 3 (2-bit counters)");
    if (chainConfirm == 0 || chainConfirm > 3) p.error("chain_confirm", "must be 1, 2 or 3 (2-bit counters)");
    rpt.resize(rptEntries);
    taint.resize(taintEntries);
    regTaint.assign(std::max(numRegs, 1u), kNone);
    chains.resize(chainEntries);
    loops.resize(loopEntries);
    ilb.resize(indexLines);
    distance = distInit;
    distanceDist.init(0, double(distMax), std::max(1.0, double(distMax) / 16));
    idxReqId = registerRequestor(p.name(), "index");
}

Port &NVR::getPort(const std::string &portName, int idx) {
    if (portName == "port") return port;
    return BasePrefetcher::getPort(portName, idx);
}

void NVR::init() {
    BasePrefetcher::init();
    if (!port.isConnected()) fatal(name(), ".port: port is not connected (connect it to the bus below, e.g. "
                                          "nvr.port = system.l2bus.cpu_side_ports)");
    npu->addListener(this);
    rowB = 4 * npu->dim();
}

void NVR::startup() {
    BasePrefetcher::startup();
    memRanges = port.getAddrRanges();
    if (!cache) fatal(name(), ": NVR must be the prefetcher of a cache (system.nsb.prefetcher = NVR(npu=...))");
    line = cache->blockSize();
    if (line != npu->lineSize())
        fatal(name(), ": the cache's line size (", line, ") differs from the NPU's line_size (", npu->lineSize(), ")");
    for (auto &l : ilb) l.data.assign(line, 0);
}

void NVR::resetStats() { BasePrefetcher::resetStats(); }

void NVR::preDumpStats() {
    BasePrefetcher::preDumpStats();
    // pfOutcome: useful, late, evictedUnused, droppedAtIssue, residentAtEnd, inFlight.
    bIssued = pfIssued.value();
    bUseful = pfOutcome[0];
    bLate = pfOutcome[1];
    bUseless = pfOutcome[2] + pfOutcome[3];
    bPending = pfOutcome[4] + pfOutcome[5];
}

bool NVR::inMemory(Addr a) const {
    if (memRanges.empty()) return true;
    for (const auto &r : memRanges)
        if (r.contains(a)) return true;
    return false;
}

// ---------------------------------------------------------------------------
// Snoop: the NPU's issued instructions.

void NVR::instructionIssued(const IssueInfo &in) {
    const std::int64_t op = in.opcode;
    if (op >= kAluFirst && op <= kAluLast) onAlu(in);
    else if (op >= kBeq && op <= kBge) onBranch(in);
    else if (op == kLd) onLd(in);
    else if (op == kMvin) onMvin(in);
    else if (op == kGather) onGather(in, false);
    else if (op == kGatherR) onGather(in, true);
    else if (op == 0x24 || op == 0x25) {  // jal / jalr write rd
        const auto rd = std::size_t(in.operands[0]);
        if (rd < regTaint.size()) regTaint[rd] = kNone;
    }
}

void NVR::onAlu(const IssueInfo &in) {
    const auto rd = std::size_t(in.operands[0]);
    if (rd == 0 || rd >= regTaint.size()) return;
    // Only a register holding a loaded value unchanged carries its tag: the
    // gather_r index and the loop bound are used as loaded.
    if (in.opcode == kMov) {
        const auto rs = std::size_t(in.operands[1]);
        regTaint[rd] = rs < regTaint.size() ? regTaint[rs] : kNone;
    } else {
        regTaint[rd] = kNone;
    }
}

int NVR::rptUpdate(Addr pc, Addr addr, unsigned size) {
    int found = kNone, victim = 0;
    for (unsigned i = 0; i < rpt.size(); ++i) {
        if (rpt[i].valid && rpt[i].pc == pc) { found = int(i); break; }
        if (!rpt[i].valid) victim = int(i);
        else if (rpt[victim].valid && rpt[i].lru < rpt[victim].lru) victim = int(i);
    }
    if (found == kNone) {
        // Chains built on the replaced entry lose their index load.
        for (auto &c : chains)
            if (c.valid && c.rpt == victim) c.valid = false;
        for (auto &t : taint)
            if (t.valid && t.rpt == victim) t.valid = false;
        for (auto &r : regTaint)
            if (r == victim) r = kNone;
        for (auto &l : loops)
            if (l.valid && l.bndTaint == victim) l.bndTaint = kNone;
        RptEntry &e = rpt[std::size_t(victim)];
        e = RptEntry{};
        e.valid = true;
        e.pc = pc;
        e.lastAddr = addr;
        e.size = size;
        e.lru = ++tick;
        return victim;
    }
    RptEntry &e = rpt[std::size_t(found)];
    const std::int64_t delta = std::int64_t(addr - e.lastAddr);
    if (delta != 0 && delta == e.stride) e.strideConf = satInc<std::uint8_t>(e.strideConf, 3);
    else {
        e.stride = delta;
        e.strideConf = 0;
    }
    if (e.streamEndValid) {
        if (addr == e.streamEnd) e.streamConf = satInc<std::uint8_t>(e.streamConf, 3);
        else e.streamConf = 0;
    }
    e.streamEndValid = false;
    e.lastAddr = addr;
    e.size = size;
    e.lru = ++tick;
    return found;
}

bool NVR::rptConfident(int i) const {
    if (i < 0) return false;
    const RptEntry &e = rpt[std::size_t(i)];
    return e.valid && (e.streamConf >= confThreshold || e.strideConf >= confThreshold);
}

void NVR::onLd(const IssueInfo &in) {
    const Addr addr = Addr(in.regValues[1] + in.operands[2]);
    const int i = rptUpdate(in.pc, addr, unsigned(in.operands[3]));
    const auto rd = std::size_t(in.operands[0]);
    if (rd != 0 && rd < regTaint.size()) regTaint[rd] = i;
}

void NVR::onMvin(const IssueInfo &in) {
    const Addr dram = Addr(in.regValues[0] + in.operands[1]);
    const std::uint64_t spad = std::uint64_t(in.operands[2]);
    const std::int64_t rows = in.operands[6] != 0 ? in.regValues[6] : in.operands[3];
    const std::int64_t rowBytes = in.operands[4];
    const std::int64_t stride = in.operands[5];
    const std::int64_t pitch = (rowBytes + rowB - 1) / rowB * rowB;
    const bool contiguous = rows == 1 || (pitch == rowBytes && stride == rowBytes);
    const std::uint64_t extent = std::uint64_t(std::max<std::int64_t>(rows, 1)) *
                                 std::uint64_t(contiguous ? rowBytes : pitch);
    // The scratchpad bytes written here lose any older tag.
    for (auto &t : taint)
        if (t.valid && t.lo < spad + extent && spad < t.hi) t.valid = false;
    if (!contiguous) return;
    const int r = rptUpdate(in.pc, dram, 0);
    int victim = 0;
    for (unsigned i = 0; i < taint.size(); ++i) {
        if (!taint[i].valid) { victim = int(i); break; }
        if (taint[i].lru < taint[std::size_t(victim)].lru) victim = int(i);
    }
    SpadTaint &t = taint[std::size_t(victim)];
    t.valid = true;
    t.lo = spad;
    t.hi = spad + extent;
    t.dram = dram;
    t.rpt = r;
    t.lru = ++tick;
}

NVR::Chain *NVR::findChain(int r, Addr pcG, bool alloc) {
    int victim = 0;
    for (unsigned i = 0; i < chains.size(); ++i) {
        Chain &c = chains[i];
        if (c.valid && c.rpt == r && c.pcG == pcG) return &c;
        if (!c.valid) victim = int(i);
        else if (chains[std::size_t(victim)].valid && c.lru < chains[std::size_t(victim)].lru) victim = int(i);
    }
    if (!alloc) return nullptr;
    Chain &c = chains[std::size_t(victim)];
    c = Chain{};
    c.valid = true;
    c.rpt = r;
    c.pcG = pcG;
    return &c;
}

void NVR::onGather(const IssueInfo &in, bool reg) {
    const std::int64_t base = in.regValues[0];
    int r = kNone;
    Addr start = 0;
    std::uint64_t n = 1;
    unsigned esz = 4, rowBytes = 0;
    std::int64_t rowStride = 0;
    if (!reg) {
        const std::uint64_t idxAddr = std::uint64_t(in.operands[2]);
        esz = unsigned(in.operands[3]);
        n = std::uint64_t(std::max<std::int64_t>(in.regValues[4], 0));
        rowBytes = unsigned(in.operands[5]);
        rowStride = in.operands[6];
        for (auto &t : taint)
            if (t.valid && idxAddr >= t.lo && idxAddr < t.hi) {
                r = t.rpt;
                start = t.dram + (idxAddr - t.lo);
                break;
            }
        // The gather's destination rows lose any tag.
        const std::uint64_t dst = std::uint64_t(in.operands[1]);
        const std::uint64_t pitch = (rowBytes + rowB - 1) / rowB * rowB;
        const std::uint64_t dend = dst + n * pitch;
        for (auto &t : taint)
            if (t.valid && t.lo < dend && dst < t.hi && !(idxAddr >= t.lo && idxAddr < t.hi)) t.valid = false;
    } else {
        const auto rs = std::size_t(in.operands[1]);
        rowBytes = unsigned(in.operands[3]);
        rowStride = in.operands[4];
        if (rs != 0 && rs < regTaint.size()) r = regTaint[rs];
        if (r != kNone) {
            start = rpt[std::size_t(r)].lastAddr;
            esz = rpt[std::size_t(r)].size;
            if (esz != 4 && esz != 8) r = kNone;
        }
    }
    if (r == kNone || n == 0 || rowBytes == 0) return;

    Chain *cp = findChain(r, in.pc, true);
    Chain &c = *cp;
    c.lru = ++tick;
    if (c.conf == 0 || c.rowStride != rowStride || c.rowBytes != rowBytes || c.esz != esz || c.reg != reg) {
        const bool fresh = c.conf == 0;
        c.pcL = rpt[std::size_t(r)].pc;
        c.reg = reg;
        c.rowStride = rowStride;
        c.rowBytes = rowBytes;
        c.esz = esz;
        c.conf = 1;
        c.detected = false;
        c.active = false;
        if (!fresh) c.loop = kNone;
    } else {
        c.conf = satInc<std::uint8_t>(c.conf, 3);
    }
    // First gather of a new invocation of the chain's loop: does the index
    // stream continue where the last invocation stopped, with the same base?
    if (c.awaitingNext) {
        c.crossConf = (start == c.exitP && base == c.exitBase) ? satInc<std::uint8_t>(c.crossConf, 3) : 0;
        c.awaitingNext = false;
    }
    if (!c.invStartValid) {
        c.invStart = start;
        c.invStartValid = true;
    }
    c.base = base;
    c.lastStart = start;
    c.lastN = n;
    c.P = start + n * esz;
    c.usedPerIter = std::int64_t(n * esz);
    RptEntry &e = rpt[std::size_t(r)];
    e.streamEnd = c.P;
    e.streamEndValid = true;
    c.perIter = e.strideConf >= confThreshold ? e.stride : 0;

    if (!c.detected && c.conf >= chainConfirm && rptConfident(r)) {
        c.detected = true;
        ++chainsDetected;
    }
    if (c.detected) trigger(c);
}

int NVR::findLoopFor(Addr lo, Addr hi, int exclude) const {
    // The innermost backward branch whose body [target, pc] holds [lo, hi].
    int best = kNone;
    for (unsigned i = 0; i < loops.size(); ++i) {
        const LoopEntry &l = loops[i];
        if (!l.valid || int(i) == exclude) continue;
        if (l.target <= lo && l.pc >= hi) {
            if (best == kNone || l.pc - l.target < loops[std::size_t(best)].pc - loops[std::size_t(best)].target)
                best = int(i);
        }
    }
    return best;
}

void NVR::onBranch(const IssueInfo &in) {
    const Addr target = Addr(in.operands[2]);
    if (target > in.pc) return;  // forward: not a loop
    const std::int64_t a = in.regValues[0], b = in.regValues[1];
    bool taken = false;
    switch (in.opcode) {
      case kBeq: taken = a == b; break;
      case kBne: taken = a != b; break;
      case kBlt: taken = a < b; break;
      case kBge: taken = a >= b; break;
    }
    int li = kNone, victim = 0;
    for (unsigned i = 0; i < loops.size(); ++i) {
        if (loops[i].valid && loops[i].pc == in.pc) { li = int(i); break; }
        if (!loops[i].valid) victim = int(i);
        else if (loops[std::size_t(victim)].valid && loops[i].lru < loops[std::size_t(victim)].lru) victim = int(i);
    }
    if (li == kNone) {
        li = victim;
        for (auto &c : chains)
            if (c.valid && c.loop == li) c.loop = kNone;
        loops[std::size_t(li)] = LoopEntry{};
        loops[std::size_t(li)].valid = true;
        loops[std::size_t(li)].pc = in.pc;
    }
    LoopEntry &L = loops[std::size_t(li)];
    const bool first = L.exited;  // the previous execution left the loop
    if (!first) {
        const std::int64_t d = a - L.ind;
        if (d > 0) {
            L.step = d;
            L.stepValid = true;
        }
    }
    L.target = target;
    L.op = in.opcode;
    L.indReg = int(in.operands[0]);
    L.bndReg = int(in.operands[1]);
    L.ind = a;
    L.bnd = b;
    L.bndTaint = std::size_t(L.bndReg) < regTaint.size() ? regTaint[std::size_t(L.bndReg)] : kNone;
    L.exited = !taken;
    L.lru = ++tick;

    for (auto &c : chains) {
        if (!c.valid || c.conf == 0) continue;
        if (!(target <= c.pcL && in.pc >= c.pcG && target <= c.pcG && in.pc >= c.pcL)) continue;
        const int inner = findLoopFor(std::min(c.pcL, c.pcG), std::max(c.pcL, c.pcG), kNone);
        c.loop = inner;
        if (inner != li) continue;
        // Is the index stream position a linear function of the induction?
        const std::int64_t cand = std::int64_t(c.P) - std::int64_t(c.esz) * a;
        if (first && c.prevInvCValid && cand == c.prevInvC) {
            c.cStable = true;
            c.C = cand;
            c.linkConf = std::max<std::uint8_t>(c.linkConf, 1);
        } else if (cand == c.C) {
            c.linkConf = satInc<std::uint8_t>(c.linkConf, 3);
        } else {
            c.C = cand;
            c.linkConf = 0;
            if (first) c.cStable = false;
        }
        if (!taken) {
            c.prevInvC = c.C;
            c.prevInvCValid = c.linkConf >= 1;
            c.awaitingNext = true;
            c.exitP = c.P;
            c.exitBase = c.base;
            if (c.invStartValid) {
                const std::int64_t inv = std::int64_t(c.P - c.invStart);
                if (inv == c.perInv) c.perInvConf = satInc<std::uint8_t>(c.perInvConf, 3);
                else {
                    c.perInv = inv;
                    c.perInvConf = 0;
                }
            }
            c.invStartValid = false;
        }
    }
}

// ---------------------------------------------------------------------------
// Loop bounds and triggering.

void NVR::updateBound(Chain &c) {
    bool have = false;
    Addr bound = 0;
    const LoopEntry *L = c.loop != kNone ? &loops[std::size_t(c.loop)] : nullptr;
    if (L && !L->valid) L = nullptr;
    const bool stream = rpt[std::size_t(c.rpt)].streamConf >= confThreshold;
    // Bound of the current invocation of the chain's own loop.
    if (L && !L->exited) {
        if (c.linkConf >= 1 && (L->op == kBlt || L->op == kBne)) {
            const std::int64_t b = c.C + std::int64_t(c.esz) * L->bnd;
            bound = Addr(std::max<std::int64_t>(b, 0));
            have = true;
        } else {
            const std::int64_t rem = L->remaining();
            const std::int64_t per = stream ? c.usedPerIter : c.perIter;
            if (rem >= 1 && per > 0) {
                bound = c.lastStart + Addr(rem * per);
                have = true;
            }
        }
    } else if (L && L->exited && c.perInvConf >= 1 && c.invStartValid && c.perInv > 0) {
        // First iteration of a new invocation: predict its length from the last ones.
        bound = c.invStart + Addr(c.perInv);
        have = true;
    }
    // Outer extension: the stream continues across invocations of the loop
    // with the same base, so the enclosing loop bounds it.
    if (L && c.crossConf >= 1) {
        const int oi = findLoopFor(L->target, L->pc, c.loop);
        const LoopEntry *O = oi != kNone ? &loops[std::size_t(oi)] : nullptr;
        const std::int64_t remO = O ? O->remaining() : -1;
        if (O && remO >= 1) {
            const int E = L->bndTaint;
            if (c.linkConf >= 1 && c.cStable && E != kNone && rpt[std::size_t(E)].valid &&
                rpt[std::size_t(E)].strideConf >= confThreshold) {
                // The inner bound register is loaded by a strided ld of the
                // outer loop: read its value in the outer loop's last iteration.
                const RptEntry &e = rpt[std::size_t(E)];
                const Addr addr = Addr(std::int64_t(e.lastAddr) + e.stride * (remO - 1));
                if (c.finalBoundValid && c.finalBoundAddr == addr) {
                    bound = std::max(bound, c.finalBound);
                    have = true;
                } else if (!c.finalBoundPending && inMemory(addr)) {
                    issueFinalBoundLoad(c, addr);
                }
            } else if (c.perInvConf >= 1 && have && c.perInv > 0) {
                bound = bound + Addr((remO - 1) * c.perInv);
            }
        }
    }
    if (!have) {
        c.target = c.P;
        return;
    }
    Addr want = c.P + Addr(distance) * c.esz;
    if (!stream && c.perIter > c.usedPerIter && c.usedPerIter > 0)
        want = c.P + Addr(double(distance) * c.esz * double(c.perIter) / double(c.usedPerIter));
    if (bound < want) ++boundStops;
    c.target = std::min(bound, want);
}

void NVR::trigger(Chain &c) {
    updateBound(c);
    distanceDist.sample(double(distance));
    const Addr far = c.P + Addr(2 * distMax) * c.esz * 4;
    if (c.frontier < c.P || c.frontier > far) c.frontier = c.P;
    if (c.frontier < c.target) {
        if (!c.active) {
            c.active = true;
            ++runaheadEpisodes;
        }
        wakeEngine(curTick());
    } else {
        c.active = false;
    }
}

// ---------------------------------------------------------------------------
// The runahead engine: `lanes` index elements per NPU cycle.

void NVR::wakeEngine(Tick when) {
    const Tick period = npu->clockPeriod();
    when = std::max(when, curTick());
    when = (when + period - 1) / period * period;
    if (!engineEvent.scheduled()) schedule(engineEvent, when);
    else if (when < engineEvent.when()) reschedule(engineEvent, when);
}

void NVR::runEngine() {
    unsigned budget = lanes, used = 0;
    bool more = false;
    const unsigned n = unsigned(chains.size());
    for (unsigned k = 0; k < n && budget > 0; ++k) {
        Chain &c = chains[(rr + k) % n];
        if (!c.valid || !c.active) continue;
        while (budget > 0 && c.frontier < c.target) {
            const int r = processElement(c);
            if (r != 0) break;
            --budget;
            ++used;
        }
        if (c.frontier >= c.target) c.active = false;
        else if (budget == 0) more = true;
    }
    rr = (rr + 1) % n;
    if (used) {
        laneCycles += used;
        ++engineCycles;
        // Work may remain for chains that did not block: look again next cycle.
        for (const Chain &c : chains)
            if (c.valid && c.active) more = true;
    }
    if (more && used) wakeEngine(curTick() + npu->clockPeriod());
}

int NVR::findIndexLine(Addr l) const {
    for (unsigned i = 0; i < ilb.size(); ++i)
        if (ilb[i].valid && ilb[i].line == l) return int(i);
    return kNone;
}

bool NVR::requestIndexLine(Addr l) {
    if (indexInflight >= maxIndexLoads || !inMemory(l)) return false;
    int slot = kNone;
    for (unsigned i = 0; i < ilb.size(); ++i) {
        if (!ilb[i].valid) { slot = int(i); break; }
        if (ilb[i].pending) continue;
        if (slot == kNone || ilb[i].lru < ilb[std::size_t(slot)].lru) slot = int(i);
    }
    if (slot == kNone) return false;
    IndexLine &s = ilb[std::size_t(slot)];
    s.valid = true;
    s.pending = true;
    s.line = l;
    s.lru = ++tick;
    PacketPtr pkt = Packet::create(MemCmd::ReadReq, l, line, idxReqId);
    auto *pd = new Pending{};
    pd->addr = l;
    pd->sent = curTick();
    pkt->senderState = pd;
    ++indexInflight;
    ++indexLoads;
    sendIndexPacket(pkt);
    return true;
}

void NVR::issueFinalBoundLoad(Chain &c, Addr addr) {
    if (indexInflight >= maxIndexLoads) return;
    const RptEntry &e = rpt[std::size_t(loops[std::size_t(c.loop)].bndTaint)];
    const Addr l = addr & ~Addr(line - 1);
    if ((addr & Addr(line - 1)) + e.size > line || (e.size != 4 && e.size != 8)) return;
    PacketPtr pkt = Packet::create(MemCmd::ReadReq, l, line, idxReqId);
    auto *pd = new Pending{};
    pd->finalBound = true;
    pd->chain = int(&c - chains.data());
    pd->addr = addr;
    pd->size = e.size;
    pd->sent = curTick();
    pkt->senderState = pd;
    c.finalBoundPending = true;
    c.finalBoundAddr = addr;
    c.finalBoundValid = false;
    ++indexInflight;
    ++indexLoads;
    ++boundLoads;
    sendIndexPacket(pkt);
}

bool NVR::sendIndexPacket(PacketPtr pkt) {
    if (waitingRetry || !port.sendTimingReq(pkt)) {
        retryQueue.push_back(pkt);
        waitingRetry = true;
        return false;
    }
    return true;
}

void NVR::recvReqRetry(int) {
    waitingRetry = false;
    while (!retryQueue.empty()) {
        PacketPtr pkt = retryQueue.front();
        if (!port.sendTimingReq(pkt)) {
            waitingRetry = true;
            return;
        }
        retryQueue.pop_front();
    }
}

bool NVR::recvTimingResp(PacketPtr pkt, int) {
    auto *pd = static_cast<Pending *>(pkt->senderState);
    if (curTick() - pd->sent > indexMissLatency) ++indexLoadMisses;
    --indexInflight;
    if (pd->finalBound) {
        Chain &c = chains[std::size_t(pd->chain)];
        if (c.valid && c.finalBoundPending && c.finalBoundAddr == pd->addr) {
            const unsigned off = unsigned(pd->addr - pkt->addr);
            std::int64_t v = pd->size == 8 ? pkt->get<std::int64_t>(off) : std::int64_t(pkt->get<std::int32_t>(off));
            const std::int64_t b = c.C + std::int64_t(c.esz) * v;
            c.finalBound = Addr(std::max<std::int64_t>(b, 0));
            c.finalBoundValid = true;
        }
        c.finalBoundPending = false;
    } else {
        for (auto &s : ilb)
            if (s.valid && s.pending && s.line == pkt->addr) {
                std::memcpy(s.data.data(), pkt->data(), line);
                s.pending = false;
                break;
            }
    }
    delete pd;
    Packet::destroy(pkt);
    wakeEngine(curTick());
    return true;
}

int NVR::processElement(Chain &c) {
    Addr f = c.frontier;
    const bool stream = rpt[std::size_t(c.rpt)].streamConf >= confThreshold;
    if (!stream && c.perIter > c.usedPerIter && c.usedPerIter > 0 && f >= c.lastStart) {
        // An index stream with gaps: skip to the next iteration's elements.
        const std::uint64_t rel = f - c.lastStart;
        const std::uint64_t k = rel / std::uint64_t(c.perIter), off = rel % std::uint64_t(c.perIter);
        if (off >= std::uint64_t(c.usedPerIter)) f = c.lastStart + (k + 1) * std::uint64_t(c.perIter);
        c.frontier = f;
        if (f >= c.target) return 3;
    }
    const Addr l = f & ~Addr(line - 1);
    const int i = findIndexLine(l);
    if (i == kNone) return requestIndexLine(l) ? 1 : 2;
    IndexLine &s = ilb[std::size_t(i)];
    if (s.pending) return 1;
    s.lru = ++tick;
    const unsigned off = unsigned(f - l);
    std::int64_t v;
    if (c.esz == 8) std::memcpy(&v, s.data.data() + off, 8);
    else {
        std::int32_t w;
        std::memcpy(&w, s.data.data() + off, 4);
        v = w;
    }
    const std::int64_t addr = c.base + v * c.rowStride;
    const std::int64_t end = addr + std::int64_t(c.rowBytes);
    if (addr < 0 || !inMemory(Addr(addr)) || !inMemory(Addr(end - 1))) {
        c.frontier = f + c.esz;  // a value that cannot be a row of the table
        return 0;
    }
    const Addr first = Addr(addr) & ~Addr(line - 1), last = Addr(end - 1) & ~Addr(line - 1);
    const std::size_t nl = std::size_t((last - first) / line + 1);
    if (pfq.size() + nl > pfqSize) {
        stalledOnQueue = true;
        return 2;
    }
    const bool wasEmpty = pfq.empty();
    for (Addr x = first; x <= last; x += line) {
        if (mergeSet.count(x)) {
            ++linesMerged;
            continue;
        }
        mergeSet.insert(x);
        mergeFifo.push_back(x);
        if (mergeFifo.size() > mergeEntries) {
            mergeSet.erase(mergeFifo.front());
            mergeFifo.pop_front();
        }
        if (cache->inCache(x) || cache->inMissQueue(x)) {
            ++linesFiltered;
            continue;
        }
        pfq.push_back(PfEntry{x, c.pcG});
    }
    ++elementsGenerated;
    c.frontier = f + c.esz;
    // Keep the index stream flowing: read the next index line early.
    const Addr nextLine = l + line;
    if (nextLine < c.target && findIndexLine(nextLine) == kNone) requestIndexLine(nextLine);
    if (wasEmpty && !pfq.empty()) cache->schedulePrefetchIssue(curTick());
    return 0;
}

// ---------------------------------------------------------------------------
// The cache side: issue and feedback.

PacketPtr NVR::getPacket() {
    if (pfq.empty()) return nullptr;
    const PfEntry e = pfq.front();
    pfq.pop_front();
    PacketPtr pkt = makePrefetchPacket(e.line, e.pc, true);
    countIssued();
    if (!inflight.count(e.line)) {
        inflight.insert(e.line);
        inflightFifo.push_back(e.line);
        while (inflightFifo.size() > inflightEntries) {
            inflight.erase(inflightFifo.front());
            inflightFifo.pop_front();
        }
    }
    if (stalledOnQueue) {
        stalledOnQueue = false;
        wakeEngine(curTick());
    }
    return pkt;
}

Tick NVR::nextPrefetchReadyTime() const { return pfq.empty() ? kMaxTick : curTick(); }

void NVR::notify(const PrefetchInfo &info) {
    if (info.requestorId != npu->dmaRequestorId()) return;
    const Addr l = info.addr & ~Addr(line - 1);
    if (info.prefetchHit) {
        ++fbTimely;
        ++feedbackTimely;
    } else if (info.miss && inflight.count(l)) {
        inflight.erase(l);
        ++fbLate;
        ++feedbackLate;
    }
    adaptDistance();
}

void NVR::notifyFill(const PrefetchInfo &info) {
    if (info.cmd == MemCmd::HardPFReq) inflight.erase(info.lineAddr);
}

void NVR::notifyEvict(const EvictionInfo &info) {
    if (info.wasPrefetched && info.requestorId == reqId) {
        ++fbEarly;
        ++feedbackEarly;
        adaptDistance();
    }
}

void NVR::adaptDistance() {
    const std::uint64_t total = fbTimely + fbLate + fbEarly;
    if (total < adaptInterval) return;
    if (double(fbLate) > lateThreshold * double(total) && distance < distMax) {
        distance = std::min(distMax, distance + std::max(1u, distance / 2));
        ++distanceUp;
    } else if (double(fbEarly) > earlyThreshold * double(total) && distance > distMin) {
        distance = std::max(distMin, distance - std::max(1u, distance / 4));
        ++distanceDown;
    }
    fbTimely = fbLate = fbEarly = 0;
}

NPUSIM_REGISTER_SIMOBJECT(NVR, NVR);

}  // namespace npusim::nvr
