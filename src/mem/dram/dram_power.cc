#include "dram_power.hh"

#include <algorithm>
#include <bit>
#include <string>

#include "npusim/sim/eventq.hh"

namespace npusim::memory {

namespace {
std::int64_t atLeastZero(std::int64_t cycles) { return std::max<std::int64_t>(0, cycles); }
}  // namespace

void DramRankPower::init(const DramPowerSpec &s, Tick start) {
    spec = s;
    cycleOffset = std::int64_t((start + spec.tCK - 1) / spec.tCK);
    pending.clear();
    openBanks = 0;
    lastPreCycle = 0;
    clearCounters(0);
}

void DramRankPower::apply(DramCommand cmd, unsigned bank, Tick at) {
    const std::uint64_t bit = std::uint64_t(1) << bank;
    switch (cmd) {
    case DramCommand::ACT:
        if (openBanks & bit) return;  // DRAMPower ignores an ACT to an open bank
        ++acts;
        if (!openBanks) {
            // all banks were closed until now
            const std::int64_t cycle = cycleOf(at);
            firstActCycle = cycle;
            preCycles += atLeastZero(cycle - lastPreCycle);
        }
        openBanks |= bit;
        return;
    case DramCommand::PRE:
        if (!(openBanks & bit)) return;
        ++pres;
        if (openBanks == bit) {
            // the last open bank closes
            const std::int64_t cycle = cycleOf(at);
            actCycles += atLeastZero(cycle - firstActCycle);
            lastPreCycle = cycle;
        }
        openBanks &= ~bit;
        return;
    case DramCommand::PREA: {
        if (!openBanks) return;
        const std::int64_t cycle = cycleOf(at);
        actCycles += atLeastZero(cycle - firstActCycle);
        lastPreCycle = cycle;
        pres += unsigned(std::popcount(openBanks));
        openBanks = 0;
        return;
    }
    case DramCommand::REF: {
        // The refresh keeps the rank busy as if active for tRFC - tRP; its
        // last tRP count as precharged.
        const std::int64_t cycle = cycleOf(at);
        ++refreshes;
        firstActCycle = cycle;
        preCycles += atLeastZero(cycle - lastPreCycle);
        lastPreCycle = cycle + spec.rfc - spec.rp;
        actCycles += spec.rfc - spec.rp;
        openBanks = 0;
        return;
    }
    }
}

void DramRankPower::endWindow(std::int64_t cycle) {
    if (openBanks) actCycles += atLeastZero(cycle - firstActCycle);
    else preCycles += atLeastZero(cycle - lastPreCycle);
}

void DramRankPower::clearCounters(std::int64_t cycle) {
    acts = pres = reads = writes = refreshes = 0;
    actCycles = preCycles = 0;
    // the next window measures open or closed time from its own start
    firstActCycle = cycle;
    lastPreCycle = cycle == 0 ? 0 : std::max(cycle, lastPreCycle);
}

DramWindowEnergy DramRankPower::windowEnergy() const {
    const double ns = double(spec.tCK) / 1000.0;
    const double devices = double(spec.devicesPerRank);
    // cycles at currents i (VDD) and i2 (VDD2), for the whole rank: pJ
    auto energy = [&](double cycles, double i, double i2) {
        return (cycles * ns * i * spec.vdd + cycles * ns * i2 * spec.vdd2) * devices;
    };
    DramWindowEnergy e;
    e.act = energy(double(acts) * double(spec.ras), spec.idd0 - spec.idd3n, spec.idd02 - spec.idd3n2);
    e.pre = energy(double(pres) * double(spec.rc - spec.ras), spec.idd0 - spec.idd2n, spec.idd02 - spec.idd2n2);
    e.read = energy(double(reads) * double(spec.burstCycles), spec.idd4r - spec.idd3n, spec.idd4r2 - spec.idd3n2);
    e.write = energy(double(writes) * double(spec.burstCycles), spec.idd4w - spec.idd3n, spec.idd4w2 - spec.idd3n2);
    e.refresh = energy(double(refreshes) * double(spec.rfc), spec.idd5 - spec.idd3n, spec.idd52 - spec.idd3n2);
    e.actBack = energy(double(actCycles), spec.idd3n, spec.idd3n2);
    e.preBack = energy(double(preCycles), spec.idd2n, spec.idd2n2);
    return e;
}

void DramRankPower::TickOrdered::grow() {
    // Move what is left to the front; double when more than half full.
    const std::size_t n = last - first;
    if (n >= capacity / 2) {
        auto bigger = std::make_unique<Pending[]>(capacity = std::max<std::size_t>(2 * capacity, 64));
        std::copy(&buf[first], &buf[last], &bigger[0]);
        buf = std::move(bigger);
    } else {
        std::copy(&buf[first], &buf[last], &buf[0]);
    }
    first = 0;
    last = n;
}

void DramRankPower::takeUntil(Tick end) {
    for (; !pending.empty() && pending.front().at <= end; pending.pop()) {
        const Pending &c = pending.front();
        apply(c.cmd, c.bank, c.at);
    }
}

DramWindowEnergy DramRankPower::closeWindow(Tick end) {
    takeUntil(end);
    const std::int64_t cycle = cycleOf(end);
    endWindow(cycle);
    DramWindowEnergy e = windowEnergy();
    clearCounters(cycle);
    return e;
}

DramRankPowerStats::DramRankPowerStats(stats::Group *parent, unsigned rank, DramRankPower &m, DramPowerStates &st,
                                       const unsigned &open)
    : stats::Group(parent, "rank" + std::to_string(rank)),
      model(m),
      states(st),
      openBanks(open),
      actEnergy(this, "actEnergy", stats::units::Joule, "Energy for activate commands per rank (pJ)"),
      preEnergy(this, "preEnergy", stats::units::Joule, "Energy for precharge commands per rank (pJ)"),
      readEnergy(this, "readEnergy", stats::units::Joule, "Energy for read commands per rank (pJ)"),
      writeEnergy(this, "writeEnergy", stats::units::Joule, "Energy for write commands per rank (pJ)"),
      refreshEnergy(this, "refreshEnergy", stats::units::Joule, "Energy for refresh commands per rank (pJ)"),
      actBackEnergy(this, "actBackEnergy", stats::units::Joule, "Energy for active background per rank (pJ)"),
      preBackEnergy(this, "preBackEnergy", stats::units::Joule, "Energy for precharge background per rank (pJ)"),
      actPowerDownEnergy(this, "actPowerDownEnergy", stats::units::Joule,
                         "Energy for active power-down per rank (pJ)"),
      prePowerDownEnergy(this, "prePowerDownEnergy", stats::units::Joule,
                         "Energy for precharge power-down per rank (pJ)"),
      selfRefreshEnergy(this, "selfRefreshEnergy", stats::units::Joule, "Energy for self refresh per rank (pJ)"),
      totalEnergy(this, "totalEnergy", stats::units::Joule, "Total energy per rank (pJ)"),
      averagePower(this, "averagePower", stats::units::Watt, "Core power per rank (mW)"),
      totalIdleTime(this, "totalIdleTime", stats::units::Tick, "Total Idle time Per DRAM Rank"),
      pwrStateTime(this, "pwrStateTime", stats::units::Tick, "Time in different power states") {
    pwrStateTime.init(DramPowerStates::kNumStates);
    const char *names[] = {"IDLE", "REF", "SREF", "PRE_PDN", "ACT", "ACT_PDN"};
    for (unsigned i = 0; i < DramPowerStates::kNumStates; ++i) pwrStateTime.subname(i, names[i]);
}

void DramRankPowerStats::add(const DramWindowEnergy &e) {
    actEnergy += e.act;
    preEnergy += e.pre;
    readEnergy += e.read;
    writeEnergy += e.write;
    refreshEnergy += e.refresh;
    actBackEnergy += e.actBack;
    preBackEnergy += e.preBack;
    totalEnergy += e.total();
}

void DramRankPowerStats::preDumpStats() {
    const Tick now = curTick();
    add(model.closeWindow(now));
    // pJ per tick (ps) is W; times 1000, mW. (0/0 right after a reset: nan,
    // as in gem5.)
    averagePower = totalEnergy.value() / double(now - lastResetTick) * 1000.0;
    states.advance(now, openBanks);
    for (unsigned i = 0; i < DramPowerStates::kNumStates; ++i) pwrStateTime[i] = double(states.timeIn(i, now));
}

void DramRankPowerStats::resetStats() {
    stats::Group::resetStats();
    model.discardWindow(curTick());
    states.advance(curTick(), openBanks);
    states.resetTimes();
    lastResetTick = curTick();
}

}  // namespace npusim::memory
