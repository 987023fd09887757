// NPU: construction, program decoding and checking, the front end, the
// scoreboard, the event loop and the statistics. The DMA engine is in
// npu_dma.cc, the systolic array and vector unit in npu_exec.cc.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <iomanip>
#include <sstream>

#include "npu_impl.hh"
#include "npusim/mem/requestors.hh"
#include "npusim/sim/debug.hh"
#include "npusim/sim/logging.hh"
#include "npusim/sim/sim_exit.hh"

NPUSIM_DEBUG_FLAG(NPU, "NPU front end: each instruction dispatched to the load, execute or store queue")

namespace npusim::npu {

namespace {

constexpr std::int64_t kMemBytes = std::int64_t(1) << 48;  // the ISA's DRAM address space
constexpr unsigned kBatch = 4096;  // scalar instructions run per front-end event at most

using isa::Kind;
using isa::Op;

const isa::OpInfo *opByCode(std::int64_t code) {
    for (std::size_t i = 0; i < isa::kNumOps; ++i)
        if (isa::kOps[i].code == code) return &isa::kOps[i];
    return nullptr;
}

int col(int encodingColumn) { return encodingColumn - 1; }

std::int64_t wrapAdd(std::int64_t a, std::int64_t b) {
    return std::int64_t(std::uint64_t(a) + std::uint64_t(b));
}

}  // namespace

std::string hex(__int128 v) {
    std::ostringstream os;
    if (v < 0) {
        os << "-";
        v = -v;
    }
    unsigned __int128 u = static_cast<unsigned __int128>(v);
    std::uint64_t hi = std::uint64_t(u >> 64), lo = std::uint64_t(u);
    os << "0x" << std::hex;
    if (hi) os << hi << std::setfill('0') << std::setw(16);
    os << lo;
    return os.str();
}

// ---------------------------------------------------------------------------
// IntervalSet
// ---------------------------------------------------------------------------

void IntervalSet::add(Cyc from, Cyc to) {
    if (to <= from) return;
    auto it = std::lower_bound(iv.begin(), iv.end(), std::make_pair(from, Cyc(0)));
    if (it != iv.begin() && std::prev(it)->second >= from) --it;
    // merge every interval that touches [from, to)
    auto last = it;
    while (last != iv.end() && last->first <= to) {
        from = std::min(from, last->first);
        to = std::max(to, last->second);
        ++last;
    }
    it = iv.erase(it, last);
    iv.insert(it, {from, to});
}

Cyc IntervalSet::covered(Cyc from, Cyc to) const {
    Cyc sum = 0;
    for (auto &[a, b] : iv) {
        if (a >= to) break;
        Cyc lo = std::max(a, from), hi = std::min(b, to);
        if (hi > lo) sum += hi - lo;
    }
    return sum;
}

Cyc IntervalSet::coveredExcept(Cyc from, Cyc to, const IntervalSet &other) const {
    Cyc sum = 0;
    for (auto &[a, b] : iv) {
        if (a >= to) break;
        Cyc lo = std::max(a, from), hi = std::min(b, to);
        if (hi > lo) sum += (hi - lo) - other.covered(lo, hi);
    }
    return sum;
}

void IntervalSet::pruneBefore(Cyc t) {
    std::size_t k = 0;
    while (k < iv.size() && iv[k].second <= t) ++k;
    if (k) iv.erase(iv.begin(), iv.begin() + std::ptrdiff_t(k));
}

// ---------------------------------------------------------------------------
// Construction
// ---------------------------------------------------------------------------

NPU::NPU(const Params &p)
    : NPUBase(p),
      port("dma_port", this),
      D(p.get<unsigned>("dim")),
      weightStationary(p.get<std::string>("dataflow") == "WS"),
      overlapPreload(p.get<bool>("overlap_preload")),
      spad(p.get<Scratchpad *>("scratchpad")),
      acc(p.get<Scratchpad *>("accumulator")),
      rowB(0),
      line(p.get<unsigned>("line_size")),
      maxInflight(p.get<unsigned>("dma_max_inflight")),
      dmaPerCycle(p.get<unsigned>("dma_requests_per_cycle")),
      queueDepth{p.get<unsigned>("ld_queue_depth"), p.get<unsigned>("ex_queue_depth"),
                 p.get<unsigned>("st_queue_depth")},
      numRegs(p.get<unsigned>("num_regs")),
      lanes(p.get<unsigned>("vector_lanes")),
      vecLatency(p.get<unsigned>("vector_latency")),
      pcBase_(p.get<std::uint64_t>("pc_base")),
      tickEvent(this, Event::kCpuTickPri),
      numCycles(this, "numCycles", stats::units::Cycle, "NPU cycles from startup to the end of the program"),
      busyCycles(this, "busyCycles", stats::units::Cycle,
                 "Cycles in which the execute units (systolic array or vector unit) were busy"),
      stallCycles(this, "stallCycles", stats::units::Cycle,
                  "Cycles in which the execute units were idle, by cause (see docs/npu.md)"),
      instructions(this, "instructions", stats::units::Count, "Instructions issued, by kind"),
      instructionsByOp(this, "instructionsByOp", stats::units::Count, "Instructions issued, by mnemonic"),
      macs(this, "MACs", stats::units::Count, "Multiply-accumulates of matmul (m * k * n per matmul)"),
      matmuls(this, "matmuls", stats::units::Count, "matmul instructions executed"),
      weightPreloads(this, "weightPreloads", stats::units::Count,
                     "Tiles loaded into the array (WS: weight preloads; OS: output-tile folds)"),
      arrayActiveCycles(this, "arrayActiveCycles", stats::units::Cycle,
                        "Cycles the systolic array was occupied (preload/fill, stream, drain)"),
      arrayUtilization(this, "arrayUtilization", stats::units::Ratio,
                       "MACs / (dim * dim * numCycles)",
                       [this] { return numCycles.value() ? macs.value() / (double(D) * D * numCycles.value()) : NAN; }),
      computeUtilization(this, "computeUtilization", stats::units::Ratio,
                         "MACs / (dim * dim * arrayActiveCycles)",
                         [this] {
                             return arrayActiveCycles.value()
                                        ? macs.value() / (double(D) * D * arrayActiveCycles.value())
                                        : NAN;
                         }),
      vectorElements(this, "vectorElements", stats::units::Count, "float32 elements processed by vector ops"),
      dmaBytesRead(this, "dmaBytesRead", stats::units::Byte, "Bytes the DMA engine requested from memory"),
      dmaBytesWritten(this, "dmaBytesWritten", stats::units::Byte, "Bytes the DMA engine wrote to memory"),
      dmaReadReqs(this, "dmaReadReqs", stats::units::Count, "DMA read requests (lines or parts of lines)"),
      dmaWriteReqs(this, "dmaWriteReqs", stats::units::Count, "DMA write requests"),
      dmaTotalReadLatency(this, "dmaTotalReadLatency", stats::units::Tick, "Sum of DMA read latencies"),
      dmaTotalWriteLatency(this, "dmaTotalWriteLatency", stats::units::Tick, "Sum of DMA write latencies"),
      dmaAvgReadLatency(this, "dmaAvgReadLatency", stats::units::rate(stats::units::Tick, stats::units::Count),
                        "Average DMA read latency",
                        [this] { return dmaReadReqs.value() ? dmaTotalReadLatency.value() / dmaReadReqs.value() : NAN; }),
      dmaAvgWriteLatency(this, "dmaAvgWriteLatency", stats::units::rate(stats::units::Tick, stats::units::Count),
                         "Average DMA write latency",
                         [this] {
                             return dmaWriteReqs.value() ? dmaTotalWriteLatency.value() / dmaWriteReqs.value() : NAN;
                         }),
      dmaRequestsInFlight(this, "dmaRequestsInFlight", stats::units::Count,
                          "Requests outstanding on dma_port, one sample per NPU cycle"),
      dmaRetries(this, "dmaRetries", stats::units::Count, "Requests refused by the memory side (retried)"),
      scalarLoads(this, "scalarLoads", stats::units::Count, "Scalar ld instructions (each a memory read)"),
      queueFullStalls(this, "queueFullStalls", stats::units::Count,
                      "Times the front end stopped because the target queue was full") {
    maxInstsAnyThread = p.get<std::uint64_t>("max_insts_any_thread");
    if (maxInstsAnyThread == 0) maxInstsAnyThread = ~std::uint64_t(0);  // no limit: never reached
    if (D < 1 || D > 1024) p.error("dim", "must be in 1..1024");
    std::string df = p.get<std::string>("dataflow");
    if (df != "WS" && df != "OS") p.error("dataflow", "must be WS or OS, got '" + df + "'");
    if (!spad) p.error("scratchpad", "an NPU needs a scratchpad");
    if (!acc) p.error("accumulator", "an NPU needs an accumulator");
    if (spad == acc) p.error("accumulator", "must be a different Scratchpad object than the scratchpad");
    if (line < 8 || (line & (line - 1))) p.error("line_size", "must be a power of two >= 8");
    if (maxInflight < 1) p.error("dma_max_inflight", "must be at least 1");
    if (dmaPerCycle < 1) p.error("dma_requests_per_cycle", "must be at least 1");
    if (queueDepth[0] < 1) p.error("ld_queue_depth", "must be at least 1");
    if (queueDepth[1] < 1) p.error("ex_queue_depth", "must be at least 1");
    if (queueDepth[2] < 1) p.error("st_queue_depth", "must be at least 1");
    if (numRegs < 2 || numRegs > 65536) p.error("num_regs", "must be in 2..65536");
    if (lanes == 0) lanes = D;
    if (pcBase_ % isa::kInstrBytes) p.error("pc_base", "must be a multiple of 4");
    rowB = 4 * D;
    spad->configure(rowB, name(), "scratchpad");
    acc->configure(rowB, name(), "accumulator");

    decodeProgram(p.get<Blob>("program"));

    unsigned entries = queueDepth[0] + queueDepth[1] + queueDepth[2];
    pool.resize(entries);
    freeEntries.reserve(entries);
    for (auto &e : pool) freeEntries.push_back(&e);
    live.reserve(entries);
    reqPool.resize(maxInflight + 2);
    for (auto &r : reqPool) freeReq(&r);
    x.assign(numRegs, 0);
    vtmp.resize(std::max(spad->size(), acc->size()) / 4);
    mtmp.resize(std::size_t(D) * D + D);  // matmul: a row of sums + B in double
    for (IntervalSet *set : {&busySet, &arraySet, &spadWaitSet}) set->reserve(64);

    stallCycles.init(kNumReasons).subnames({"memory", "scratchpad", "dependency", "frontend"}).flags(stats::kTotal);
    std::vector<std::string> groups(isa::kGroupNames, isa::kGroupNames + isa::kNumGroups);
    instructions.init(groups.size()).subnames(groups).flags(stats::kTotal);
    std::vector<std::string> ops;
    for (std::size_t i = 0; i < isa::kNumOps; ++i) ops.emplace_back(isa::kOps[i].mnemonic);
    instructionsByOp.init(ops.size()).subnames(ops).flags(stats::kNoZero | stats::kTotal);
    dmaRequestsInFlight.init(0, double(maxInflight), 1);
}

NPU::~NPU() {
    if (tickEvent.scheduled()) deschedule(tickEvent);
}

Port &NPU::getPort(const std::string &portName, int idx) {
    if (portName == "dma_port") return port;
    return SimObject::getPort(portName, idx);
}

void NPU::init() {
    if (!port.isConnected()) fatal(name(), ".dma_port: the NPU's memory port is not connected");
    reqId = registerRequestor(name(), "dma");
    for (auto &r : port.getAddrRanges()) memRanges.emplace_back(r.start, r.end);
}

void NPU::startup() {
    startCycle = lastAcct = inflightSince = edgeCycle();
    frontReady = startCycle;
    requestorStarted();
    wake(startCycle);
}

// ---------------------------------------------------------------------------
// Decoding and static checks (the C++ twin of npusim/isa/validate.py)
// ---------------------------------------------------------------------------

void NPU::fault(std::uint32_t i, const char *operand, const std::string &detail) const {
    std::ostringstream os;
    os << name() << ": instruction #" << i << " at pc " << hex(pcOf(i));
    if (i < prog.size() && prog[i].info) os << " (" << prog[i].info->mnemonic << ")";
    if (operand) os << ": operand '" << operand << "'";
    os << ": " << detail;
    fatal(os.str());
}

void NPU::decodeProgram(const Blob &blob) {
    constexpr std::size_t kRowBytes = 8 * isa::kEncodingWidth;
    const std::string &b = blob.bytes;
    if (b.empty()) fatal(name(), ".program: the program is empty (assign an npusim.isa.Program)");
    if (b.size() % kRowBytes)
        fatal(name(), ".program: ", b.size(), " bytes is not a whole number of ", kRowBytes,
              "-byte instructions (8 int64 columns each)");
    std::size_t n = b.size() / kRowBytes;
    if (n > (std::size_t(1) << 30)) fatal(name(), ".program: too many instructions (", n, ")");
    prog.assign(n, Inst{});
    for (std::size_t i = 0; i < n; ++i) {
        std::int64_t cols[isa::kEncodingWidth];
        std::memcpy(cols, b.data() + i * kRowBytes, kRowBytes);
        Inst &in = prog[i];
        in.info = opByCode(cols[0]);
        if (!in.info) fault(std::uint32_t(i), nullptr, "unknown opcode " + hex(cols[0]));
        in.op = Op(cols[0]);
        for (int c = 1 + in.info->numFields; c < isa::kEncodingWidth; ++c)
            if (cols[c] != 0)
                fault(std::uint32_t(i), nullptr,
                      "unused column " + std::to_string(c) + " is " + std::to_string(cols[c]) + ", must be 0");
        for (int j = 0; j < isa::kEncodingWidth - 1; ++j) in.f[j] = cols[j + 1];
    }
    for (std::size_t i = 0; i < n; ++i) checkInst(std::uint32_t(i), prog[i], n);
}

void NPU::checkInst(std::uint32_t i, Inst &in, std::size_t count) {
    const isa::OpInfo &info = *in.info;
    // operand kinds
    for (int j = 0; j < info.numFields; ++j) {
        std::int64_t v = in.f[j];
        const char *fname = info.fieldNames[j];
        switch (info.kinds[j]) {
            case Kind::Rd:
            case Kind::Rs:
                if (v < 0 || v >= std::int64_t(numRegs))
                    fault(i, fname, "bad register " + std::to_string(v) + " (registers are r0..r" +
                                        std::to_string(numRegs - 1) + ")");
                break;
            case Kind::Fimm: {
                if (v < 0 || v > 0xFFFFFFFFll || ((v >> 23) & 0xFF) == 0xFF)
                    fault(i, fname, "float immediate bits " + hex(v) + " are not a finite float32");
                break;
            }
            case Kind::Label: {
                __int128 off = __int128(v) - __int128(pcBase_);
                if (off < 0 || off % isa::kInstrBytes || off / isa::kInstrBytes >= __int128(count))
                    fault(i, fname, "branch target " + hex(v) + " is not an instruction of the program");
                in.target = std::uint32_t(off / isa::kInstrBytes);
                break;
            }
            default:
                break;
        }
    }
    auto F = [&](int column) { return in.f[col(column)]; };
    auto positive = [&](const char *fname, std::int64_t v) {
        if (v <= 0) fault(i, fname, "count must be >= 1, got " + std::to_string(v));
    };
    auto multiple = [&](const char *fname, std::int64_t v, std::int64_t m, const std::string &what) {
        if (v % m) fault(i, fname, hex(v) + " is not " + what);
    };
    auto rowBytesOk = [&](const char *fname, std::int64_t v) {
        positive(fname, v);
        multiple(fname, v, 4, "a multiple of 4 (float32 elements)");
    };
    auto span = [&](const char *fname, int sp, std::int64_t addr, __int128 nbytes, bool rowAligned) {
        std::int64_t size = std::int64_t(sp ? acc->size() : spad->size());
        const char *sname = sp ? "accumulator" : "scratchpad";
        std::int64_t align = rowAligned ? rowB : 4;
        if (addr % align) {
            std::string what = rowAligned ? std::string("aligned to a ") + sname + " row (" + std::to_string(align) +
                                                " bytes)"
                                          : std::string("4-byte aligned");
            fault(i, fname, std::string(sname) + " address " + hex(addr) + " is not " + what);
        }
        if (addr < 0 || addr >= size)
            fault(i, fname, std::string(sname) + " address " + hex(addr) + " out of range [0, " + hex(size) + ")");
        if (__int128(addr) + nbytes > size)
            fault(i, fname, "transfer [" + hex(addr) + ", " + hex(__int128(addr) + nbytes) + ") runs past the end of the " +
                                sname + " (" + hex(size) + " bytes)");
    };
    auto pitch128 = [&](std::int64_t rb) { return __int128((rb + rowB - 1) / rowB) * rowB; };
    auto vaddr = [&](const char *rsName, std::int64_t rs, const char *offName, std::int64_t off, std::int64_t n,
                     int sp) {
        __int128 nbytes = __int128(4) * n;
        if (rs == 0) {
            span(offName, sp, off, nbytes, false);
        } else {
            multiple(offName, off, 4, "4-byte aligned");
            std::int64_t size = std::int64_t(sp ? acc->size() : spad->size());
            if (nbytes > size)
                fault(i, "n", std::to_string(n) + " elements do not fit in the " +
                                  (sp ? std::string("accumulator") : std::string("scratchpad")));
        }
        (void)rsName;
    };

    switch (in.op) {
        case Op::SHLI:
        case Op::SHRI:
            if (F(isa::kShli_imm) < 0 || F(isa::kShli_imm) > 63)
                fault(i, "imm", "shift amount must be in 0..63, got " + std::to_string(F(isa::kShli_imm)));
            break;
        case Op::LD:
            if (F(isa::kLd_size) != 4 && F(isa::kLd_size) != 8)
                fault(i, "size", "load size must be 4 or 8 bytes, got " + std::to_string(F(isa::kLd_size)));
            break;
        case Op::MVIN:
        case Op::MVIN_ACC:
        case Op::MVOUT:
        case Op::MVOUT_ACC: {
            int sp = (in.op == Op::MVIN_ACC || in.op == Op::MVOUT_ACC) ? 1 : 0;
            std::int64_t rows = F(isa::kMvin_rows), rb = F(isa::kMvin_row_bytes);
            positive("rows", rows);
            rowBytesOk("row_bytes", rb);
            if (F(isa::kMvin_dram_stride) < 0)
                fault(i, "dram_stride", "must be >= 0, got " + std::to_string(F(isa::kMvin_dram_stride)));
            multiple("dram_stride", F(isa::kMvin_dram_stride), 4, "a multiple of 4");
            multiple("dram_off", F(isa::kMvin_dram_off), 4, "a multiple of 4");
            span("addr", sp, F(isa::kMvin_addr), __int128(rows) * pitch128(rb), true);
            break;
        }
        case Op::GATHER:
        case Op::SCATTER: {
            std::int64_t rb = F(isa::kGather_row_bytes), stride = F(isa::kGather_row_stride);
            rowBytesOk("row_bytes", rb);
            if (stride < 0) fault(i, "row_stride", "must be >= 0, got " + std::to_string(stride));
            multiple("row_stride", stride, 4, "a multiple of 4");
            std::int64_t sz = F(isa::kGather_idx_size);
            if (sz != 4 && sz != 8)
                fault(i, "idx_size", "index size must be 4 or 8 bytes, got " + std::to_string(sz));
            span("idx_addr", 0, F(isa::kGather_idx_addr), sz, false);
            multiple("idx_addr", F(isa::kGather_idx_addr), sz,
                     "aligned to the index size (" + std::to_string(sz) + " bytes)");
            if (F(isa::kGather_rs_n) == 0)
                fault(i, "rs_n", "count register is r0, so the count would be 0 (counts must be >= 1)");
            span("addr", 0, F(isa::kGather_addr), pitch128(rb), true);
            break;
        }
        case Op::GATHER_R:
        case Op::SCATTER_R: {
            std::int64_t rb = F(isa::kGatherR_row_bytes), stride = F(isa::kGatherR_row_stride);
            rowBytesOk("row_bytes", rb);
            if (stride < 0) fault(i, "row_stride", "must be >= 0, got " + std::to_string(stride));
            multiple("row_stride", stride, 4, "a multiple of 4");
            span("addr", 0, F(isa::kGatherR_addr), pitch128(rb), true);
            break;
        }
        case Op::MATMUL: {
            const char *dims[3] = {"m", "k", "n"};
            std::int64_t vals[3] = {F(isa::kMatmul_m), F(isa::kMatmul_k), F(isa::kMatmul_n)};
            for (int d = 0; d < 3; ++d)
                if (vals[d] < 1 || vals[d] > std::int64_t(D))
                    fault(i, dims[d], "matrix dimension must be in 1..DIM=" + std::to_string(D) + ", got " +
                                          std::to_string(vals[d]));
            std::int64_t flags = F(isa::kMatmul_flags);
            if (flags & ~std::int64_t(3))
                fault(i, "flags", "unknown flag bits " + hex(flags) + " (bit0 accumulate, bit1 transpose B)");
            span("a", 0, F(isa::kMatmul_a), __int128(vals[0]) * rowB, true);
            span("b", 0, F(isa::kMatmul_b), __int128((flags & 2) ? vals[2] : vals[1]) * rowB, true);
            span("c", 1, F(isa::kMatmul_c), __int128(vals[0]) * rowB, true);
            break;
        }
        case Op::VZERO:
        case Op::VRELU:
        case Op::VSCALE: {
            std::int64_t sp = F(isa::kVzero_space);
            if (sp != 0 && sp != 1)
                fault(i, "space", "must be 0 (scratchpad) or 1 (accumulator), got " + std::to_string(sp));
            positive("n", F(isa::kVzero_n));
            vaddr("rs_addr", F(isa::kVzero_rs_addr), "addr_off", F(isa::kVzero_addr_off), F(isa::kVzero_n), int(sp));
            break;
        }
        case Op::VADD:
        case Op::VMUL:
        case Op::VMAX:
        case Op::VMOV: {
            std::int64_t spaces = F(isa::kVadd_spaces);
            if (spaces & ~std::int64_t(3))
                fault(i, "spaces",
                      "unknown bits " + hex(spaces) + " (bit0 dst in accumulator, bit1 src in accumulator)");
            positive("n", F(isa::kVadd_n));
            vaddr("rs_dst", F(isa::kVadd_rs_dst), "dst_off", F(isa::kVadd_dst_off), F(isa::kVadd_n), int(spaces & 1));
            vaddr("rs_src", F(isa::kVadd_rs_src), "src_off", F(isa::kVadd_src_off), F(isa::kVadd_n),
                  int((spaces >> 1) & 1));
            break;
        }
        case Op::VMACC:
            positive("n", F(isa::kVmacc_n));
            vaddr("rs_dst", F(isa::kVmacc_rs_dst), "dst_off", F(isa::kVmacc_dst_off), F(isa::kVmacc_n), 1);
            vaddr("rs_src", F(isa::kVmacc_rs_src), "src_off", F(isa::kVmacc_src_off), F(isa::kVmacc_n), 0);
            break;
        default:
            break;
    }
}

// ---------------------------------------------------------------------------
// The event loop
// ---------------------------------------------------------------------------

void NPU::wake(Cyc c) {
    Tick t = Tick(c) * clockPeriod();
    if (t < curTick()) t = curTick();
    if (!tickEvent.scheduled()) schedule(tickEvent, t);
    else if (tickEvent.when() > t) reschedule(tickEvent, t);
}

void NPU::tick() {
    Cyc now = nowCycle();
    account(now);
    retire(now);
    frontEnd(now);
    startTransfers(now);
    startExec(now);
    dmaIssue(now);
    checkFinish(now);
    if (done) return;
    reason = classify(now);
    scheduleNext(now);
}

void NPU::retire(Cyc now) {
    std::size_t w = 0;
    bool freed = false;
    for (Entry *e : live) {
        if (e->doneCycle <= now) {
            --inQueue[int(e->q)];
            if (issuing[int(e->q)] == e) issuing[int(e->q)] = nullptr;
            freeEntries.push_back(e);
            freed = true;
        } else {
            live[w++] = e;
        }
    }
    live.resize(w);
    if (freed && (block == Block::Queue || block == Block::DramOrder)) block = Block::None;
}

void NPU::checkFinish(Cyc now) {
    if (done || !halted || !live.empty() || inflight || ldPending || retryPkt) return;
    account(now);
    sampleInflight(now);
    done = true;
    finishCycle = now;
    numCycles = double(lastAcct - startCycle);
    requestorFinished(name());
}

void NPU::scheduleNext(Cyc now) {
    Cyc next = kNever;
    auto consider = [&](Cyc c) {
        if (c > now && c < next) next = c;
    };
    if (!halted && block == Block::None) consider(std::max(frontReady, now + 1));
    const Entry *execHead = nullptr;
    for (const Entry *e : live) {
        if (!e->started) {
            consider(e->readyCycle);
            if (e->q == Q::Exec && !execHead) execHead = e;
        }
        if (e->readsDoneCycle != kNever) consider(e->readsDoneCycle);
        if (e->doneCycle != kNever) consider(e->doneCycle);
    }
    if (execHead) consider(execHead->inst->op == Op::MATMUL ? arrayAccept : vectorFree);
    // A transfer that can start as soon as its queue's current one has sent
    // its last request starts in the next cycle.
    for (int q : {0, 2}) {
        if (issuing[q] && !issuing[q]->allIssued) continue;
        for (const Entry *e : live)
            if (int(e->q) == q && !e->started) {
                if (e->readyCycle <= now && !hazard(*e, now)) consider(now + 1);
                break;
            }
    }
    if (!retryPkt && inflight < maxInflight) {
        if (ldPending) consider(now + 1);
        for (int q : {0, 2})
            if (issuing[q] && !issuing[q]->allIssued) consider(std::max(issuing[q]->nextIssue, now + 1));
    }
    if (next != kNever) wake(next);
}

// ---------------------------------------------------------------------------
// Front end
// ---------------------------------------------------------------------------

bool NPU::executeScalar(const Inst &in) {
    const std::int64_t *f = in.f;
    auto &r = x;
    auto set = [&](std::int64_t rd, std::int64_t v) {
        if (rd) r[std::size_t(rd)] = v;
    };
    auto u = [&](std::int64_t reg) { return std::uint64_t(r[std::size_t(reg)]); };
    auto s = [&](std::int64_t reg) { return r[std::size_t(reg)]; };
    std::uint32_t next = fpc + 1;
    switch (in.op) {
        case Op::NOP: break;
        case Op::LI: set(f[0], f[1]); break;
        case Op::MOV: set(f[0], s(f[1])); break;
        case Op::ADD: set(f[0], std::int64_t(u(f[1]) + u(f[2]))); break;
        case Op::ADDI: set(f[0], std::int64_t(u(f[1]) + std::uint64_t(f[2]))); break;
        case Op::SUB: set(f[0], std::int64_t(u(f[1]) - u(f[2]))); break;
        case Op::MUL: set(f[0], std::int64_t(u(f[1]) * u(f[2]))); break;
        case Op::SHL: set(f[0], std::int64_t(u(f[1]) << (u(f[2]) & 63))); break;
        case Op::SHLI: set(f[0], std::int64_t(u(f[1]) << f[2])); break;
        case Op::SHR: set(f[0], std::int64_t(u(f[1]) >> (u(f[2]) & 63))); break;
        case Op::SHRI: set(f[0], std::int64_t(u(f[1]) >> f[2])); break;
        case Op::AND: set(f[0], s(f[1]) & s(f[2])); break;
        case Op::ANDI: set(f[0], s(f[1]) & f[2]); break;
        case Op::OR: set(f[0], s(f[1]) | s(f[2])); break;
        case Op::XOR: set(f[0], s(f[1]) ^ s(f[2])); break;
        case Op::SLT: set(f[0], s(f[1]) < s(f[2]) ? 1 : 0); break;
        case Op::SLTU: set(f[0], u(f[1]) < u(f[2]) ? 1 : 0); break;
        case Op::BEQ: if (s(f[0]) == s(f[1])) next = in.target; break;
        case Op::BNE: if (s(f[0]) != s(f[1])) next = in.target; break;
        case Op::BLT: if (s(f[0]) < s(f[1])) next = in.target; break;
        case Op::BGE: if (s(f[0]) >= s(f[1])) next = in.target; break;
        case Op::JAL:
            set(f[0], std::int64_t(pcOf(fpc + 1)));
            next = in.target;
            break;
        case Op::JALR: {
            std::int64_t t = wrapAdd(s(f[1]), f[2]);
            __int128 off = __int128(t) - __int128(pcBase_);
            if (off < 0 || off % isa::kInstrBytes || off / isa::kInstrBytes >= __int128(prog.size()))
                fault(fpc, "rs1", "jump target " + hex(t) + " is not the PC of an instruction");
            set(f[0], std::int64_t(pcOf(fpc + 1)));
            next = std::uint32_t(off / isa::kInstrBytes);
            break;
        }
        default:
            return false;
    }
    fpc = next;
    return true;
}

void NPU::notifyIssue(const Inst &in, Cyc now, std::uint64_t seq) {
    IssueInfo info;
    info.tick = curTick();
    info.cycle = now;
    info.seq = seq;
    info.index = fpc;
    info.pc = pcOf(fpc);
    info.opcode = in.info->code;
    info.mnemonic = in.info->mnemonic;
    static const char *units[] = {"scalar", "load", "exec", "store"};
    info.unit = units[int(in.info->unit)];
    info.group = isa::kGroupNames[in.info->group];
    info.numOperands = in.info->numFields;
    for (int j = 0; j < in.info->numFields; ++j) {
        info.operands[j] = in.f[j];
        info.operandNames[j] = in.info->fieldNames[j];
        info.isRegister[j] = in.info->kinds[j] == Kind::Rs;
        info.regValues[j] = info.isRegister[j] ? x[std::size_t(in.f[j])] : 0;
    }
    for (NPUListener *l : listeners) l->instructionIssued(info);
}

void NPU::frontEnd(Cyc now) {
    if (halted || now < frontReady || block == Block::LdResponse) return;
    bool wasQueueBlocked = block == Block::Queue;
    block = Block::None;
    Cyc c = now;
    unsigned budget = listeners.empty() ? kBatch : 1;
    while (budget > 0) {
        if (nextSeq == maxInstsAnyThread) [[unlikely]] {
            // gem5's BaseCPU max_insts_any_thread: simulate() returns at the
            // end of this tick with gem5's cause (the front end finishes its
            // batch, so timing is the same as without the limit); a later
            // simulate() goes on.
            exitSimLoop("a thread reached the max instruction count");
            maxInstsAnyThread = ~std::uint64_t(0);  // once
        }
        if (fpc >= prog.size())
            fault(std::uint32_t(prog.size() - 1), nullptr,
                  "execution ran past the last instruction (pc " + hex(pcOf(std::uint32_t(prog.size()))) +
                      ") without halt");
        const Inst &in = prog[fpc];
        auto unit = in.info->unit;
        if (unit == isa::Unit::Scalar && in.op != Op::HALT) {
            if (!listeners.empty()) notifyIssue(in, c, nextSeq);
            ++nextSeq;
            instructions[in.info->group] += 1;
            instructionsByOp[std::size_t(in.info - isa::kOps)] += 1;
            executeScalar(in);
            ++c;
            --budget;
            continue;
        }
        if (c > now) break;  // a non-scalar instruction acts in its own cycle
        if (in.op == Op::HALT) {
            if (!listeners.empty()) notifyIssue(in, c, nextSeq);
            ++nextSeq;
            instructions[in.info->group] += 1;
            instructionsByOp[std::size_t(in.info - isa::kOps)] += 1;
            halted = true;
            block = Block::Halted;
            frontReady = c + 1;
            return;
        }
        if (in.op == Op::LD) {
            std::int64_t sz = in.f[col(isa::kLd_size)];
            __int128 a = __int128(x[std::size_t(in.f[col(isa::kLd_rs1)])]) + in.f[col(isa::kLd_imm)];
            if (a < 0 || a + sz > kMemBytes || a % sz)
                fault(fpc, "rs1",
                      a % sz ? "DRAM address " + hex(a) + " is not " + std::to_string(sz) + "-byte aligned"
                             : "DRAM access [" + hex(a) + ", " + hex(a + sz) + ") outside memory [0, " +
                                   hex(kMemBytes) + ")");
            if (!inMemory(std::int64_t(a), std::int64_t(a + sz)))
                fault(fpc, "rs1", "DRAM access [" + hex(a) + ", " + hex(a + sz) + ") is not backed by memory on " +
                                      name() + ".dma_port");
            Entry probe;
            probe.seq = nextSeq;
            probe.inst = &in;
            probe.q = Q::Load;
            probe.nrd = 1;
            probe.rd[0] = Range{std::uint64_t(a), std::uint64_t(a + sz), kDram};
            if (hazard(probe, now)) {
                block = Block::DramOrder;  // an older store to these bytes is still in flight
                return;
            }
            if (!listeners.empty()) notifyIssue(in, c, nextSeq);
            ++nextSeq;
            instructions[in.info->group] += 1;
            instructionsByOp[std::size_t(in.info - isa::kOps)] += 1;
            ++scalarLoads;
            ldPending = true;
            ldAddr = Addr(a);
            ldSize = unsigned(sz);
            ldReg = std::uint8_t(in.f[col(isa::kLd_rd)]);
            ldIndex = fpc;
            block = Block::LdResponse;
            ++fpc;
            return;
        }
        Q q = unit == isa::Unit::Load ? Q::Load : unit == isa::Unit::Exec ? Q::Exec : Q::Store;
        if (inQueue[int(q)] >= queueDepth[int(q)]) {
            if (!wasQueueBlocked) ++queueFullStalls;
            block = Block::Queue;
            blockQueue = q;
            return;
        }
        if (!listeners.empty()) notifyIssue(in, c, nextSeq);
        instructions[in.info->group] += 1;
        instructionsByOp[std::size_t(in.info - isa::kOps)] += 1;
        dispatch(in, c);
        ++fpc;
        ++c;
        --budget;
    }
    frontReady = c;
}

bool NPU::inMemory(std::int64_t lo, std::int64_t hi) const {
    if (lo < 0 || hi > kMemBytes || hi < lo) return false;
    if (memRanges.empty()) return true;
    for (auto &[s, e] : memRanges)
        if (Addr(lo) >= s && Addr(hi) <= e) return true;
    return false;
}

void NPU::dispatch(const Inst &in, Cyc now) {
    Entry *ep = freeEntries.back();
    freeEntries.pop_back();
    Entry &e = *ep;
    e = Entry{};
    e.seq = nextSeq++;
    e.index = fpc;
    e.inst = &in;
    auto unit = in.info->unit;
    e.q = unit == isa::Unit::Load ? Q::Load : unit == isa::Unit::Exec ? Q::Exec : Q::Store;
    NPUSIM_DPRINTF(NPU, "dispatch #", fpc, " (", in.info->mnemonic, ") to the ",
                   e.q == Q::Load ? "load" : e.q == Q::Exec ? "execute" : "store", " queue, cycle ", now);
    e.readyCycle = now + 1;
    for (int j = 0; j < in.info->numFields; ++j)
        if (in.info->kinds[j] == Kind::Rs) e.reg[j] = x[std::size_t(in.f[j])];
    const std::int64_t *f = in.f;
    auto addRd = [&](std::uint64_t lo, std::uint64_t hi, std::uint8_t sp) { e.rd[e.nrd++] = Range{lo, hi, sp}; };
    auto addWr = [&](std::uint64_t lo, std::uint64_t hi, std::uint8_t sp) { e.wr[e.nwr++] = Range{lo, hi, sp}; };
    auto checkDram = [&](const char *operand, __int128 lo, __int128 hi) {
        if (lo < 0 || hi > kMemBytes)
            fault(e, operand, "DRAM access [" + hex(lo) + ", " + hex(hi) + ") outside memory [0, " + hex(kMemBytes) + ")");
        if (lo % 4) fault(e, operand, "DRAM address " + hex(lo) + " is not 4-byte aligned");
        if (!inMemory(std::int64_t(lo), std::int64_t(hi)))
            fault(e, operand, "DRAM access [" + hex(lo) + ", " + hex(hi) + ") is not backed by memory on " + name() +
                                  ".dma_port");
    };
    auto checkLocal = [&](const char *operand, int sp, __int128 addr, __int128 nbytes, int align) {
        std::int64_t size = std::int64_t(sp ? acc->size() : spad->size());
        const char *sname = sp ? "accumulator" : "scratchpad";
        if (addr % align)
            fault(e, operand, std::string(sname) + " address " + hex(addr) + " is not " + std::to_string(align) +
                                  "-byte aligned");
        if (addr < 0 || addr + nbytes > size)
            fault(e, operand, std::string(sname) + " access [" + hex(addr) + ", " + hex(addr + nbytes) +
                                  ") outside [0, " + hex(size) + ")");
    };
    constexpr std::uint64_t kAll = ~std::uint64_t(0);

    switch (in.op) {
        case Op::MVIN:
        case Op::MVIN_ACC:
        case Op::MVOUT:
        case Op::MVOUT_ACC: {
            bool toLocal = in.op == Op::MVIN || in.op == Op::MVIN_ACC;
            std::uint8_t sp = (in.op == Op::MVIN_ACC || in.op == Op::MVOUT_ACC) ? kAcc : kSpad;
            std::int64_t rows = f[col(isa::kMvin_rows)], rb = f[col(isa::kMvin_row_bytes)];
            std::int64_t stride = f[col(isa::kMvin_dram_stride)];
            std::int64_t n = rows;
            if (f[col(isa::kMvin_rs_rows)] != 0) {
                n = e.reg[col(isa::kMvin_rs_rows)];
                if (n < 1)
                    fault(e, "rs_rows", "count from register is " + std::to_string(n) + "; counts must be >= 1");
                if (n > rows)
                    fault(e, "rs_rows", "count from register is " + std::to_string(n) +
                                            ", above the static maximum " + std::to_string(rows));
            }
            __int128 base = __int128(e.reg[col(isa::kMvin_rs_dram)]) + f[col(isa::kMvin_dram_off)];
            __int128 hi = base + __int128(n - 1) * stride + rb;
            checkDram("rs_dram", base, hi);
            e.n = std::uint64_t(n);
            e.dramBase = std::int64_t(base);
            e.stride = stride;
            e.rowBytes = std::uint32_t(rb);
            e.pitch = pitchOf(rb);
            e.local = sp;
            e.localAddr = std::uint64_t(f[col(isa::kMvin_addr)]);
            e.isWrite = !toLocal;
            std::uint64_t llo = e.localAddr, lhi = e.localAddr + e.n * e.pitch;
            if (toLocal) {
                addRd(std::uint64_t(base), std::uint64_t(hi), kDram);
                addWr(llo, lhi, sp);
            } else {
                addRd(llo, lhi, sp);
                addWr(std::uint64_t(base), std::uint64_t(hi), kDram);
            }
            break;
        }
        case Op::GATHER:
        case Op::SCATTER: {
            bool gather = in.op == Op::GATHER;
            std::int64_t n = e.reg[col(isa::kGather_rs_n)];
            if (n < 1) fault(e, "rs_n", "count from register is " + std::to_string(n) + "; counts must be >= 1");
            std::int64_t rb = f[col(isa::kGather_row_bytes)];
            std::uint32_t pitch = pitchOf(rb);
            std::int64_t addr = f[col(isa::kGather_addr)], idx = f[col(isa::kGather_idx_addr)];
            std::int64_t isz = f[col(isa::kGather_idx_size)];
            checkLocal("rs_n", 0, addr, __int128(n) * pitch, 4);
            checkLocal("rs_n", 0, idx, __int128(n) * isz, int(isz));
            e.indexed = true;
            e.n = std::uint64_t(n);
            e.dramBase = e.reg[col(isa::kGather_rs_base)];
            e.stride = f[col(isa::kGather_row_stride)];
            e.rowBytes = std::uint32_t(rb);
            e.pitch = pitch;
            e.local = kSpad;
            e.localAddr = std::uint64_t(addr);
            e.idxAddr = std::uint64_t(idx);
            e.idxSize = std::uint8_t(isz);
            e.isWrite = !gather;
            addRd(std::uint64_t(idx), std::uint64_t(idx + n * isz), kSpad);
            if (gather) {
                addRd(0, kAll, kDram);  // refined when the indices are read (at start)
                addWr(std::uint64_t(addr), std::uint64_t(addr) + e.n * pitch, kSpad);
            } else {
                addRd(std::uint64_t(addr), std::uint64_t(addr) + e.n * pitch, kSpad);
                addWr(0, kAll, kDram);
            }
            break;
        }
        case Op::GATHER_R:
        case Op::SCATTER_R: {
            bool gather = in.op == Op::GATHER_R;
            std::int64_t rb = f[col(isa::kGatherR_row_bytes)];
            __int128 start = __int128(e.reg[col(isa::kGatherR_rs_base)]) +
                             __int128(e.reg[col(isa::kGatherR_rs_idx)]) * f[col(isa::kGatherR_row_stride)];
            checkDram("rs_idx", start, start + rb);
            e.n = 1;
            e.dramBase = std::int64_t(start);
            e.stride = 0;
            e.rowBytes = std::uint32_t(rb);
            e.pitch = pitchOf(rb);
            e.local = kSpad;
            e.localAddr = std::uint64_t(f[col(isa::kGatherR_addr)]);
            e.isWrite = !gather;
            if (gather) {
                addRd(std::uint64_t(start), std::uint64_t(start + rb), kDram);
                addWr(e.localAddr, e.localAddr + e.pitch, kSpad);
            } else {
                addRd(e.localAddr, e.localAddr + e.pitch, kSpad);
                addWr(std::uint64_t(start), std::uint64_t(start + rb), kDram);
            }
            break;
        }
        case Op::MATMUL: {
            std::uint64_t a = std::uint64_t(f[col(isa::kMatmul_a)]), b = std::uint64_t(f[col(isa::kMatmul_b)]);
            std::uint64_t c = std::uint64_t(f[col(isa::kMatmul_c)]);
            std::uint64_t m = std::uint64_t(f[col(isa::kMatmul_m)]), k = std::uint64_t(f[col(isa::kMatmul_k)]);
            std::uint64_t n = std::uint64_t(f[col(isa::kMatmul_n)]);
            std::int64_t flags = f[col(isa::kMatmul_flags)];
            std::uint64_t bRows = (flags & 2) ? n : k;
            addRd(a, a + m * rowB, kSpad);
            addRd(b, b + bRows * rowB, kSpad);
            if (flags & 1) addRd(c, c + m * rowB, kAcc);
            addWr(c, c + m * rowB, kAcc);
            break;
        }
        case Op::VZERO:
        case Op::VRELU:
        case Op::VSCALE: {
            std::uint8_t sp = std::uint8_t(f[col(isa::kVzero_space)]);
            std::int64_t n = f[col(isa::kVzero_n)];
            __int128 addr = __int128(e.reg[col(isa::kVzero_rs_addr)]) + f[col(isa::kVzero_addr_off)];
            checkLocal("rs_addr", sp, addr, __int128(4) * n, 4);
            e.vdst = std::uint64_t(addr);
            e.vdstSpace = sp;
            e.n = std::uint64_t(n);
            if (in.op != Op::VZERO) addRd(e.vdst, e.vdst + 4 * e.n, sp);
            addWr(e.vdst, e.vdst + 4 * e.n, sp);
            if (in.op == Op::VSCALE) {
                std::int64_t rs = f[col(isa::kVscale_rs_s)];
                std::uint32_t bits = rs ? std::uint32_t(std::uint64_t(e.reg[col(isa::kVscale_rs_s)]) & 0xFFFFFFFFu)
                                        : std::uint32_t(f[col(isa::kVscale_fimm)]);
                std::memcpy(&e.vscalar, &bits, 4);
            }
            break;
        }
        case Op::VADD:
        case Op::VMUL:
        case Op::VMAX:
        case Op::VMOV: {
            std::int64_t spaces = f[col(isa::kVadd_spaces)];
            std::int64_t n = f[col(isa::kVadd_n)];
            std::uint8_t ds = std::uint8_t(spaces & 1), ss = std::uint8_t((spaces >> 1) & 1);
            __int128 dst = __int128(e.reg[col(isa::kVadd_rs_dst)]) + f[col(isa::kVadd_dst_off)];
            __int128 src = __int128(e.reg[col(isa::kVadd_rs_src)]) + f[col(isa::kVadd_src_off)];
            checkLocal("rs_dst", ds, dst, __int128(4) * n, 4);
            checkLocal("rs_src", ss, src, __int128(4) * n, 4);
            e.vdst = std::uint64_t(dst);
            e.vsrc = std::uint64_t(src);
            e.vdstSpace = ds;
            e.vsrcSpace = ss;
            e.n = std::uint64_t(n);
            if (in.op != Op::VMOV) addRd(e.vdst, e.vdst + 4 * e.n, ds);
            addRd(e.vsrc, e.vsrc + 4 * e.n, ss);
            addWr(e.vdst, e.vdst + 4 * e.n, ds);
            break;
        }
        case Op::VMACC: {
            std::int64_t n = f[col(isa::kVmacc_n)];
            __int128 dst = __int128(e.reg[col(isa::kVmacc_rs_dst)]) + f[col(isa::kVmacc_dst_off)];
            __int128 src = __int128(e.reg[col(isa::kVmacc_rs_src)]) + f[col(isa::kVmacc_src_off)];
            checkLocal("rs_dst", 1, dst, __int128(4) * n, 4);
            checkLocal("rs_src", 0, src, __int128(4) * n, 4);
            e.vdst = std::uint64_t(dst);
            e.vsrc = std::uint64_t(src);
            e.vdstSpace = kAcc;
            e.vsrcSpace = kSpad;
            e.n = std::uint64_t(n);
            std::int64_t rs = f[col(isa::kVmacc_rs_w)];
            std::uint32_t bits = rs ? std::uint32_t(std::uint64_t(e.reg[col(isa::kVmacc_rs_w)]) & 0xFFFFFFFFu)
                                    : std::uint32_t(f[col(isa::kVmacc_fimm)]);
            std::memcpy(&e.vscalar, &bits, 4);
            addRd(e.vdst, e.vdst + 4 * e.n, kAcc);
            addRd(e.vsrc, e.vsrc + 4 * e.n, kSpad);
            addWr(e.vdst, e.vdst + 4 * e.n, kAcc);
            break;
        }
        default:
            panic(name(), ": instruction ", in.info->mnemonic, " has no queue");
    }
    live.push_back(ep);
    ++inQueue[int(e.q)];
}

// ---------------------------------------------------------------------------
// Scoreboard
// ---------------------------------------------------------------------------

const Entry *NPU::hazard(const Entry &x, Cyc now) const {
    bool xMatmul = x.inst && x.inst->op == Op::MATMUL;
    for (const Entry *y : live) {
        if (y->seq >= x.seq) break;
        if (y->doneCycle <= now) continue;
        // The array applies its tiles in order (accumulation included).
        if (xMatmul && y->inst->op == Op::MATMUL) continue;
        for (int i = 0; i < y->nwr; ++i) {
            for (int j = 0; j < x.nrd; ++j)
                if (overlaps(y->wr[i], x.rd[j])) return y;  // RAW
            for (int j = 0; j < x.nwr; ++j)
                if (overlaps(y->wr[i], x.wr[j])) return y;  // WAW
        }
        for (int i = 0; i < y->nrd; ++i) {
            // Local reads end when the operand has been read; DRAM reads
            // when the data has come back.
            bool pending = y->rd[i].space == kDram || y->readsDoneCycle > now;
            if (!pending) continue;
            for (int j = 0; j < x.nwr; ++j)
                if (overlaps(y->rd[i], x.wr[j])) return y;  // WAR
        }
    }
    return nullptr;
}

void NPU::startTransfers(Cyc now) {
    for (int q : {0, 2}) {
        if (issuing[q] && !issuing[q]->allIssued) continue;  // one transfer issues at a time per queue
        Entry *head = nullptr;
        for (Entry *e : live)
            if (int(e->q) == q && !e->started) {
                head = e;
                break;
            }
        if (!head || head->readyCycle > now || hazard(*head, now)) continue;
        startTransfer(*head, now);
        issuing[q] = head;
    }
}

void NPU::startTransfer(Entry &e, Cyc now) {
    e.started = true;
    invalidateWeights(e);
    e.nextIssue = now;
    if (!e.indexed) return;
    // Read the index vector: one burst of scratchpad rows; the first request
    // can go once the first row has been read.
    std::uint64_t idxRows = (e.idxAddr + e.n * e.idxSize - 1) / rowB - e.idxAddr / rowB + 1;
    Cyc s = spad->reserveBurst(e.idxAddr / rowB, idxRows, false, now, now);
    e.nextIssue = s + 1;
    // The DRAM rows it touches are known now: refine the scoreboard range.
    const std::uint8_t *base = spad->bytes() + e.idxAddr;
    __int128 lo = 0, hi = 0;
    for (std::uint64_t i = 0; i < e.n; ++i) {
        std::int64_t idx;
        if (e.idxSize == 4) {
            std::int32_t v;
            std::memcpy(&v, base + 4 * i, 4);
            idx = v;
        } else {
            std::memcpy(&idx, base + 8 * i, 8);
        }
        __int128 a = __int128(e.dramBase) + __int128(idx) * e.stride;
        if (i == 0 || a < lo) lo = a;
        if (i == 0 || a > hi) hi = a;
    }
    hi += e.rowBytes;
    if (lo < 0 || hi > kMemBytes)
        fault(e, "idx_addr", "DRAM access [" + hex(lo) + ", " + hex(hi) + ") outside memory [0, " + hex(kMemBytes) + ")");
    if (lo % 4) fault(e, "idx_addr", "DRAM address " + hex(lo) + " is not 4-byte aligned");
    Range &r = e.isWrite ? e.wr[0] : e.rd[1];
    r.lo = std::uint64_t(lo);
    r.hi = std::uint64_t(hi);
}

// ---------------------------------------------------------------------------
// Accounting and statistics
// ---------------------------------------------------------------------------

NPU::Reason NPU::classify(Cyc now) const {
    const Entry *head = nullptr;
    for (const Entry *e : live)
        if (e->q == Q::Exec && !e->started) {
            head = e;
            break;
        }
    if (head) {
        if (head->readyCycle > now) return kFrontend;
        if (const Entry *b = hazard(*head, now)) return b->q == Q::Exec ? kDependency : kMemory;
        return kDependency;  // waiting for the array or the vector unit
    }
    switch (block) {
        case Block::LdResponse:
        case Block::DramOrder:
            return kMemory;
        case Block::Queue:
            return blockQueue == Q::Exec ? kDependency : kMemory;
        case Block::Halted:
            for (const Entry *e : live)
                if (e->q != Q::Exec) return kMemory;
            return inflight ? kMemory : kDependency;
        default:
            return kFrontend;
    }
}

void NPU::account(Cyc now) {
    if (done || now <= lastAcct) return;
    Cyc len = now - lastAcct;
    Cyc busy = busySet.covered(lastAcct, now);
    Cyc wait = spadWaitSet.coveredExcept(lastAcct, now, busySet);
    arrayActiveCycles += double(arraySet.covered(lastAcct, now));
    busyCycles += double(busy);
    stallCycles[kScratchpad] += double(wait);
    stallCycles[reason] += double(len - busy - wait);
    busySet.pruneBefore(now);
    arraySet.pruneBefore(now);
    spadWaitSet.pruneBefore(now);
    lastAcct = now;
}

void NPU::sampleInflight(Cyc now) {
    if (done) return;
    if (now > inflightSince) dmaRequestsInFlight.sample(double(inflight), now - inflightSince);
    if (now > inflightSince) inflightSince = now;
}

void NPU::preDumpStats() {
    if (!done) {
        Cyc now = nowCycle();
        account(now);
        sampleInflight(std::max(now, lastAcct));
        numCycles = double(lastAcct - startCycle);
    }
}

void NPU::resetStats() {
    Cyc now = std::max(nowCycle(), lastAcct);
    if (!done) {
        account(now);
        sampleInflight(now);
    }
    NPUBase::resetStats();
    startCycle = lastAcct = inflightSince = now;
    numCycles = 0;
}

NPUSIM_REGISTER_SIMOBJECT(NPU, NPU);

}  // namespace npusim::npu
