// DRAM energy of one rank, computed as gem5 gets it from DRAMPower (the
// version bundled in gem5's ext/drampower), without power-down states.
//
// The interface records every ACT, PRE, PREA and REF it books, with the
// tick the command issues at (often in the future), and counts read and
// write bursts. Commands are taken in tick order once issued (a REF when
// the refresh starts, as gem5 hands it to DRAMPower, not when it is booked).
// A window closes at a stats dump and, discarding its energy, at a stats
// reset. (gem5 also closes one at each refresh, which changes no total:
// windows add up. gem5 hands commands to DRAMPower at refreshes and dumps
// only, so there the commands issued between the last refresh and a reset
// without a dump count after the reset; here they count before it, where
// they were issued.) Per window, in command-clock cycles: the counts of
// each command, the cycles with at least one bank open (a refresh counts
// tRFC - tRP of them) and the cycles with all banks closed. Energies are
// DRAMPower's, per device and times the devices of the rank:
//   ACT  nACT * RAS        * [(IDD0 - IDD3N) VDD + (IDD02 - IDD3N2) VDD2]
//   PRE  nPRE * (RC - RAS) * [(IDD0 - IDD2N) VDD + (IDD02 - IDD2N2) VDD2]
//   RD   nRD  * BL / beats * [(IDD4R - IDD3N) VDD + (IDD4R2 - IDD3N2) VDD2]
//   WR   nWR  * BL / beats * [(IDD4W - IDD3N) VDD + (IDD4W2 - IDD3N2) VDD2]
//   REF  nREF * RFC        * [(IDD5 - IDD3N) VDD + (IDD52 - IDD3N2) VDD2]
//   active background      open cycles   * [IDD3N VDD + IDD3N2 VDD2]
//   precharge background   closed cycles * [IDD2N VDD + IDD2N2 VDD2]
// each times the clock period; mA * V * ns = pJ. Timings are in cycles,
// rounded up (RC = tRAS + tRP).
#pragma once
#include <cstdint>
#include <memory>

#include "dram_power_states.hh"
#include "npusim/sim/stats.hh"
#include "npusim/sim/types.hh"

namespace npusim::memory {

enum class DramCommand : std::uint8_t { ACT, PRE, PREA, REF };

// What the energy model needs of a DRAMInterface's parameters.
struct DramPowerSpec {
    Tick tCK = 1;
    std::int64_t ras = 0, rc = 0, rp = 0, rfc = 0;  // cycles
    std::int64_t burstCycles = 0;                    // burst_length / beats_per_clock
    // currents in mA, voltages in V
    double idd0 = 0, idd02 = 0, idd2n = 0, idd2n2 = 0, idd3n = 0, idd3n2 = 0;
    double idd4r = 0, idd4r2 = 0, idd4w = 0, idd4w2 = 0, idd5 = 0, idd52 = 0;
    double vdd = 0, vdd2 = 0;
    unsigned devicesPerRank = 1;
};

// The energy of one window, in pJ, for all devices of the rank.
struct DramWindowEnergy {
    double act = 0, pre = 0, read = 0, write = 0, refresh = 0, actBack = 0, preBack = 0;
    double total() const { return act + pre + read + write + refresh + actBack + preBack; }
};

class DramRankPower {
  public:
    // `start`: the tick simulation starts at (cycle 0 of the command trace).
    void init(const DramPowerSpec &spec, Tick start);

    // A bank command booked at `now` to issue at `at` (>= now). Pending
    // commands are kept in tick order (a new one seldom lands before many
    // others) and taken in batches: none booked later can come before one
    // issued by `now`. Inline: on the burst path.
    [[gnu::always_inline]] void record(DramCommand cmd, unsigned bank, Tick at, Tick now) {
        pending.insert(Pending{at, cmd, std::uint8_t(bank)});
        if (pending.size() >= kBatch) [[unlikely]] takeUntil(now);
    }
    // A read or write burst: counted when booked, as the controller counts
    // readBursts and writeBursts (gem5 counts their energy once issued,
    // which differs only by the bursts in flight at a dump).
    void readBurst() { ++reads; }
    void writeBurst() { ++writes; }

    // Takes the commands issued at or before `end`, closes the window there
    // and returns its energy (at stats dumps).
    DramWindowEnergy closeWindow(Tick end);
    // A stats reset at `now`: closes the window there and drops its energy.
    void discardWindow(Tick now) { closeWindow(now); }

    std::size_t pendingCommands() const { return pending.size(); }

  private:
    struct Pending {
        Tick at;
        DramCommand cmd;
        std::uint8_t bank;
    };
    // Commands in tick order (equal ticks in booking order), taken from the
    // front. A plain buffer: inserting at the back is a store and a compare.
    class TickOrdered {
      public:
        [[gnu::always_inline]] void insert(const Pending &c) {
            if (last == capacity) [[unlikely]] grow();
            std::size_t i = last++;
            for (; i > first && buf[i - 1].at > c.at; --i) buf[i] = buf[i - 1];
            buf[i] = c;
        }
        std::size_t size() const { return last - first; }
        bool empty() const { return first == last; }
        const Pending &front() const { return buf[first]; }
        void pop() {
            if (++first == last) first = last = 0;
        }
        void clear() { first = last = 0; }

      private:
        [[gnu::noinline, gnu::cold]] void grow();
        std::unique_ptr<Pending[]> buf;
        std::size_t first = 0, last = 0, capacity = 0;
    };
    void takeUntil(Tick end);  // applies the pending commands issued by `end`
    static constexpr std::size_t kBatch = 32;
    std::int64_t cycleOf(Tick t) const { return std::int64_t((t + spec.tCK - 1) / spec.tCK) - cycleOffset; }
    // (the cycle is needed only when the rank goes from all banks closed to
    // one open or back: worked out only then, a division saved otherwise)
    void apply(DramCommand cmd, unsigned bank, Tick at);
    void endWindow(std::int64_t cycle);  // DRAMPower's end-of-window NOP
    DramWindowEnergy windowEnergy() const;
    void clearCounters(std::int64_t cycle);

    DramPowerSpec spec;
    std::int64_t cycleOffset = 0;
    TickOrdered pending;  // commands not yet taken

    // DRAMPower's state: open banks, and when the rank last went from all
    // banks closed to one open (firstActCycle) and back (lastPreCycle).
    std::uint64_t openBanks = 0;
    std::int64_t firstActCycle = 0;
    std::int64_t lastPreCycle = 0;
    // this window's counters
    std::uint64_t acts = 0, pres = 0, reads = 0, writes = 0, refreshes = 0;
    std::int64_t actCycles = 0, preCycles = 0;
};

// A rank's energy stats under gem5's names (the DRAMInterface's group
// rankN). A dump closes a window at the dump's tick and adds it.
class DramRankPowerStats : public stats::Group {
  public:
    // `openBanks`: the rank's count of open banks (as booked)
    DramRankPowerStats(stats::Group *parent, unsigned rank, DramRankPower &model, DramPowerStates &states,
                       const unsigned &openBanks);
    void preDumpStats() override;
    void resetStats() override;

  private:
    void add(const DramWindowEnergy &e);
    DramRankPower &model;
    DramPowerStates &states;
    const unsigned &openBanks;
    Tick lastResetTick = 0;
    stats::Scalar actEnergy, preEnergy, readEnergy, writeEnergy, refreshEnergy, actBackEnergy, preBackEnergy;
    stats::Scalar actPowerDownEnergy, prePowerDownEnergy, selfRefreshEnergy;  // no power-down states: 0
    stats::Scalar totalEnergy, averagePower, totalIdleTime;
    stats::Vector pwrStateTime;
};

}  // namespace npusim::memory
