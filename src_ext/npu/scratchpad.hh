// Scratchpad: the NPU's banked on-chip SRAM (also used for the accumulator).
//
// It holds the real data (the NPU reads and writes it functionally) and a
// timing model of its banks: every bank has `read_ports` read and
// `write_ports` write accesses per NPU cycle; an access is one row (the bank
// width, `row_bytes` = 4 * DIM by default). Users reserve accesses in
// absolute NPU cycles; an access that finds its bank's ports taken in the
// wanted cycle moves to the next cycle with a free port, and that delay is
// a bank conflict. Rows map to banks either in blocks (Gemmini: bank =
// row / rows_per_bank) or interleaved (bank = row % banks).
//
// Reservations are kept in a ring of kWindow cycles per bank and direction,
// so a reservation costs O(1) and nothing is allocated while simulating.
// Reservations further than kWindow cycles ahead are not checked for
// conflicts (no NPU operation schedules that far ahead in practice).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "npusim/sim/sim_object.hh"
#include "npusim/sim/stats.hh"

namespace npusim::npu {

class Scratchpad : public SimObject {
  public:
    static constexpr std::uint64_t kWindow = 8192;  // cycles tracked ahead (power of 2)

    explicit Scratchpad(const Params &p);

    // Called by the owning NPU in its constructor: `rowBytes` is the NPU's
    // row size (4 * DIM); a nonzero `row_bytes` param must agree with it.
    void configure(unsigned rowBytes, const std::string &owner, const std::string &ownerParam);

    std::uint64_t size() const { return sizeBytes; }
    unsigned rowBytes() const { return rowSize; }
    unsigned banks() const { return numBanks; }
    std::uint8_t *bytes() { return reinterpret_cast<std::uint8_t *>(store.data()); }
    const std::uint8_t *bytes() const { return reinterpret_cast<const std::uint8_t *>(store.data()); }
    float *floats() { return store.data(); }

    unsigned bankOf(std::uint64_t row) const {
        return blockMapping ? unsigned(row / rowsPerBank) : unsigned(row % numBanks);
    }

    // Reserves a burst of `beats` accesses, beat j to row (row0 + j) in cycle
    // s + j, at the earliest s >= earliest where every beat finds a free
    // port; returns s. `now` is the current cycle (reservations before it
    // are forgotten). Counts accesses and conflicts.
    std::uint64_t reserveBurst(std::uint64_t row0, std::uint64_t beats, bool write, std::uint64_t earliest,
                               std::uint64_t now);

    // Reserves the accesses to every row of the byte range [addr, addr+len)
    // in one cycle >= earliest (rows in different banks go in parallel, rows
    // in one bank one after another); returns the cycle of the last access.
    std::uint64_t reserveRange(std::uint64_t addr, std::uint64_t len, bool write, std::uint64_t earliest,
                               std::uint64_t now);

    void resetStats() override;

    stats::Scalar reads;
    stats::Scalar writes;
    stats::Scalar bankConflicts;
    stats::Scalar bankConflictCycles;

  private:
    struct Slot {
        std::uint64_t cycle = ~std::uint64_t(0);
        std::uint32_t used = 0;
    };
    Slot &slot(unsigned bank, bool write, std::uint64_t cycle) {
        return slots[((std::size_t(bank) * 2 + (write ? 1 : 0)) * kWindow) + (cycle & (kWindow - 1))];
    }
    bool isFree(unsigned bank, bool write, std::uint64_t cycle, std::uint64_t now) {
        if (cycle >= now + kWindow) return true;  // beyond the tracked horizon
        Slot &s = slot(bank, write, cycle);
        return s.cycle != cycle || s.used < (write ? writePorts : readPorts);
    }
    void take(unsigned bank, bool write, std::uint64_t cycle, std::uint64_t now) {
        if (cycle >= now + kWindow) return;
        Slot &s = slot(bank, write, cycle);
        if (s.cycle != cycle) {
            s.cycle = cycle;
            s.used = 0;
        }
        ++s.used;
    }

    std::uint64_t sizeBytes;
    unsigned numBanks;
    unsigned paramRowBytes;
    unsigned rowSize = 0;
    unsigned readPorts;
    unsigned writePorts;
    bool blockMapping;
    std::uint64_t rowsPerBank = 1;
    std::vector<float> store;
    std::vector<Slot> slots;
};

}  // namespace npusim::npu
