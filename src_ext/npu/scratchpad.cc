#include "scratchpad.hh"

#include <algorithm>

namespace npusim::npu {

Scratchpad::Scratchpad(const Params &p)
    : SimObject(p),
      reads(this, "reads", stats::units::Count, "Row accesses that read a bank"),
      writes(this, "writes", stats::units::Count, "Row accesses that wrote a bank"),
      bankConflicts(this, "bankConflicts", stats::units::Count,
                    "Accesses (or bursts) delayed because their bank's ports were taken"),
      bankConflictCycles(this, "bankConflictCycles", stats::units::Cycle,
                         "Cycles by which bank conflicts delayed accesses (sum over accesses)"),
      sizeBytes(p.get<std::uint64_t>("size")),
      numBanks(p.get<unsigned>("banks")),
      paramRowBytes(p.get<unsigned>("row_bytes", 0u)),
      readPorts(p.get<unsigned>("read_ports", 1u)),
      writePorts(p.get<unsigned>("write_ports", 1u)),
      blockMapping(p.get<std::string>("bank_mapping", std::string("block")) == "block") {
    if (numBanks == 0) p.error("banks", "a scratchpad needs at least one bank");
    if (readPorts == 0) p.error("read_ports", "a bank needs at least one read port");
    if (writePorts == 0) p.error("write_ports", "a bank needs at least one write port");
    if (sizeBytes == 0) p.error("size", "must be positive");
    if (paramRowBytes && paramRowBytes % 4) p.error("row_bytes", "must be a multiple of 4 (float32 elements)");
}

void Scratchpad::configure(unsigned npuRowBytes, const std::string &owner, const std::string &ownerParam) {
    if (paramRowBytes && paramRowBytes != npuRowBytes)
        fatal(name(), ".row_bytes: ", paramRowBytes, " does not match the row of ", owner, " (4 * dim = ",
              npuRowBytes, " bytes); leave it 0 to follow the NPU");
    rowSize = npuRowBytes;
    if (sizeBytes % rowSize)
        fatal(name(), ".size: ", sizeBytes, " bytes is not a whole number of ", rowSize, "-byte rows (",
              owner, ".", ownerParam, ")");
    std::uint64_t rows = sizeBytes / rowSize;
    if (rows % numBanks)
        fatal(name(), ".banks: ", rows, " rows do not divide into ", numBanks, " equal banks");
    rowsPerBank = rows / numBanks;
    store.assign(sizeBytes / 4, 0.0f);
    slots.assign(std::size_t(numBanks) * 2 * kWindow, Slot{});
}

std::uint64_t Scratchpad::reserveBurst(std::uint64_t row0, std::uint64_t beats, bool write,
                                       std::uint64_t earliest, std::uint64_t now) {
    std::uint64_t s = std::max(earliest, now);
    // Look for the first start cycle at which every beat finds a port; give
    // up on conflict modelling past the tracked horizon.
    for (;;) {
        std::uint64_t j = 0;
        for (; j < beats; ++j)
            if (!isFree(bankOf(row0 + j), write, s + j, now)) break;
        if (j == beats) break;
        ++s;
        if (s >= now + kWindow) break;
    }
    for (std::uint64_t j = 0; j < beats; ++j) take(bankOf(row0 + j), write, s + j, now);
    if (s > earliest) {
        ++bankConflicts;
        bankConflictCycles += double(s - earliest);
    }
    (write ? writes : reads) += double(beats);
    return s;
}

std::uint64_t Scratchpad::reserveRange(std::uint64_t addr, std::uint64_t len, bool write, std::uint64_t earliest,
                                       std::uint64_t now) {
    std::uint64_t first = addr / rowSize, last = (addr + len - 1) / rowSize;
    std::uint64_t start = std::max(earliest, now), latest = start;
    for (std::uint64_t row = first; row <= last; ++row) {
        unsigned bank = bankOf(row);
        std::uint64_t c = start;
        while (!isFree(bank, write, c, now)) ++c;
        take(bank, write, c, now);
        if (c > start) {
            ++bankConflicts;
            bankConflictCycles += double(c - start);
        }
        latest = std::max(latest, c);
    }
    (write ? writes : reads) += double(last - first + 1);
    return latest;
}

void Scratchpad::resetStats() { SimObject::resetStats(); }

NPUSIM_REGISTER_SIMOBJECT(Scratchpad, Scratchpad);

}  // namespace npusim::npu
