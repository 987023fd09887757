#include "dram_interface.hh"

#include <algorithm>
#include <bit>
#include <cmath>
#include <utility>

#include "mem_ctrl.hh"
#include "npusim/sim/debug.hh"

NPUSIM_DEBUG_FLAG(DRAM, "DRAM bursts: bank, row hit or miss, when the data moves")

namespace npusim::memory {

namespace {

bool isPow2(std::uint64_t v) { return v && !(v & (v - 1)); }

std::uint64_t roundUpPow2(std::uint64_t v) { return v <= 1 ? 1 : std::uint64_t(1) << (64 - std::countl_zero(v - 1)); }

DRAMInterface::AddrMap parseAddrMap(const Params &p) {
    auto s = p.get<std::string>("addr_mapping");
    if (s == "RoRaBaChCo") return DRAMInterface::AddrMap::RoRaBaChCo;
    if (s == "RoRaBaCoCh") return DRAMInterface::AddrMap::RoRaBaCoCh;
    if (s == "RoCoRaBaCh") return DRAMInterface::AddrMap::RoCoRaBaCh;
    p.error("addr_mapping", "unknown address mapping '" + s + "' (RoRaBaChCo, RoRaBaCoCh or RoCoRaBaCh)");
}

DRAMInterface::PageMgmt parsePagePolicy(const Params &p) {
    auto s = p.get<std::string>("page_policy");
    if (s == "open") return DRAMInterface::PageMgmt::Open;
    if (s == "open_adaptive") return DRAMInterface::PageMgmt::OpenAdaptive;
    if (s == "close") return DRAMInterface::PageMgmt::Close;
    if (s == "close_adaptive") return DRAMInterface::PageMgmt::CloseAdaptive;
    p.error("page_policy", "unknown page policy '" + s + "' (open, open_adaptive, close or close_adaptive)");
}

}  // namespace

DRAMInterface::DRAMInterface(const Params &p)
    : AbstractMemory(p),
      deviceSize(p.get<std::uint64_t>("device_size")),
      deviceBusWidth(p.get<unsigned>("device_bus_width")),
      burstLength(p.get<unsigned>("burst_length")),
      deviceRowBufferSize(p.get<unsigned>("device_rowbuffer_size")),
      devicesPerRank(p.get<unsigned>("devices_per_rank")),
      burstSize(devicesPerRank * burstLength * deviceBusWidth / 8),
      rowBufferSize(devicesPerRank * deviceRowBufferSize),
      burstsPerRowBuffer(burstSize ? rowBufferSize / burstSize : 0),
      burstsPerStripe(1),
      ranksPerChannel(p.get<unsigned>("ranks_per_channel")),
      banksPerRank(p.get<unsigned>("banks_per_rank")),
      bankGroupsPerRank(p.get<unsigned>("bank_groups_per_rank")),
      bankGroupArch(bankGroupsPerRank > 0),
      rowsPerBank(0),
      readBufSize(p.get<unsigned>("read_buffer_size")),
      writeBufSize(p.get<unsigned>("write_buffer_size")),
      addrMapping(parseAddrMap(p)),
      pageMgmt(parsePagePolicy(p)),
      maxAccessesPerRow(p.get<unsigned>("max_accesses_per_row")),
      tCK(p.get<Tick>("tCK")),
      tCS(p.get<Tick>("tCS")),
      tBURST(p.get<Tick>("tBURST")),
      tRTW(p.get<Tick>("tRTW")),
      tWTR(p.get<Tick>("tWTR")),
      tRL(p.get<Tick>("tCL")),
      tWL(p.get<Tick>("tCWL")),
      tBURST_MIN(p.get<Tick>("tBURST_MIN")),
      tBURST_MAX(p.get<Tick>("tBURST_MAX")),
      tCCD_L_WR(p.get<Tick>("tCCD_L_WR")),
      tCCD_L(p.get<Tick>("tCCD_L")),
      tRCD_RD(p.get<Tick>("tRCD")),
      tRCD_WR(p.get<Tick>("tRCD_WR")),
      tRP(p.get<Tick>("tRP")),
      tRAS(p.get<Tick>("tRAS")),
      tWR(p.get<Tick>("tWR")),
      tRTP(p.get<Tick>("tRTP")),
      tRFC(p.get<Tick>("tRFC")),
      tREFI(p.get<Tick>("tREFI")),
      tRRD(p.get<Tick>("tRRD")),
      tRRD_L(p.get<Tick>("tRRD_L")),
      tPPD(p.get<Tick>("tPPD")),
      tAAD(p.get<Tick>("tAAD")),
      tXAW(p.get<Tick>("tXAW")),
      clkResyncDelay(tBURST_MAX),
      dataClockSync(p.get<bool>("data_clock_sync")),
      burstInterleave(tBURST != tBURST_MIN),
      twoCycleActivate(p.get<bool>("two_cycle_activate")),
      activationLimit(p.get<unsigned>("activation_limit")),
      wrToRdDlySameBG(tWL + tBURST_MAX + p.get<Tick>("tWTR_L")),
      rdToWrDlySameBG(tRTW + tBURST_MAX),
      readBursts(this, "readBursts", stats::units::Count, "Number of DRAM read bursts"),
      writeBursts(this, "writeBursts", stats::units::Count, "Number of DRAM write bursts"),
      perBankRdBursts(this, "perBankRdBursts", stats::units::Count, "Per bank write bursts"),
      perBankWrBursts(this, "perBankWrBursts", stats::units::Count, "Per bank write bursts"),
      totQLat(this, "totQLat", stats::units::Tick, "Total ticks spent queuing"),
      totBusLat(this, "totBusLat", stats::units::Tick, "Total ticks spent in databus transfers",
                [this] { return readBursts.value() * double(tBURST); }),
      totMemAccLat(this, "totMemAccLat", stats::units::Tick,
                   "Total ticks spent from burst creation until serviced by the DRAM"),
      avgQLat(this, "avgQLat", stats::units::rate(stats::units::Tick, stats::units::Count),
              "Average queueing delay per DRAM burst", [this] { return totQLat.value() / readBursts.value(); }),
      avgBusLat(this, "avgBusLat", stats::units::rate(stats::units::Tick, stats::units::Count),
                "Average bus latency per DRAM burst", [this] { return totBusLat.value() / readBursts.value(); }),
      avgMemAccLat(this, "avgMemAccLat", stats::units::rate(stats::units::Tick, stats::units::Count),
                   "Average memory access latency per DRAM burst",
                   [this] { return totMemAccLat.value() / readBursts.value(); }),
      readRowHits(this, "readRowHits", stats::units::Count, "Number of row buffer hits during reads"),
      writeRowHits(this, "writeRowHits", stats::units::Count, "Number of row buffer hits during writes"),
      readRowHitRate(this, "readRowHitRate", stats::units::Ratio, "Row buffer hit rate for reads",
                     [this] { return readRowHits.value() / readBursts.value() * 100; }),
      writeRowHitRate(this, "writeRowHitRate", stats::units::Ratio, "Row buffer hit rate for writes",
                      [this] { return writeRowHits.value() / writeBursts.value() * 100; }),
      bytesPerActivate(this, "bytesPerActivate", stats::units::Byte, "Bytes accessed per row activation"),
      dramBytesRead(this, "dramBytesRead", stats::units::Byte, "Total bytes read",
                    [this] { return readBursts.value() * double(burstSize); }),
      dramBytesWritten(this, "dramBytesWritten", stats::units::Byte, "Total bytes written",
                       [this] { return writeBursts.value() * double(burstSize); }),
      avgRdBW(this, "avgRdBW", stats::units::rate(stats::units::Byte, stats::units::Second),
              "Average DRAM read bandwidth in MiBytes/s",
              [this] { return dramBytesRead.value() / 1e6 / simSeconds(); }),
      avgWrBW(this, "avgWrBW", stats::units::rate(stats::units::Byte, stats::units::Second),
              "Average DRAM write bandwidth in MiBytes/s",
              [this] { return dramBytesWritten.value() / 1e6 / simSeconds(); }),
      peakBW(this, "peakBW", stats::units::rate(stats::units::Byte, stats::units::Second),
             "Theoretical peak bandwidth in MiByte/s",
             // integer arithmetic, as gem5 evaluates it (19207 for DDR4-2400)
             [this] { return double(kTicksPerSecond / burstDelay() * burstSize / 1000000); }),
      busUtil(this, "busUtil", stats::units::Ratio, "Data bus utilization in percentage",
              [this] { return (avgRdBW.value() + avgWrBW.value()) / peakBW.value() * 100; }),
      busUtilRead(this, "busUtilRead", stats::units::Ratio, "Data bus utilization in percentage for reads",
                  [this] { return avgRdBW.value() / peakBW.value() * 100; }),
      busUtilWrite(this, "busUtilWrite", stats::units::Ratio, "Data bus utilization in percentage for writes",
                   [this] { return avgWrBW.value() / peakBW.value() * 100; }),
      pageHitRate(this, "pageHitRate", stats::units::Ratio, "Row buffer hit rate, read and write combined",
                  [this] {
                      return (writeRowHits.value() + readRowHits.value()) /
                             (writeBursts.value() + readBursts.value()) * 100;
                  }),
      numRefreshes(this, "numRefreshes", stats::units::Count,
                   "npusim: refresh commands issued (all ranks); gem5 has no such count") {
    // Sanity checks, as gem5 does them (naming the parameter at fault).
    if (!burstSize || !isPow2(burstSize))
        p.error("burst_length", "DRAM burst size " + std::to_string(burstSize) +
                                    " B (devices_per_rank * burst_length * device_bus_width / 8) must be a power of two");
    if (!isPow2(ranksPerChannel)) p.error("ranks_per_channel", "must be a power of two");
    if (banksPerRank == 0 || banksPerRank > 32) p.error("banks_per_rank", "must be between 1 and 32");
    if (std::uint64_t(banksPerRank) * ranksPerChannel > 65536)
        p.error("ranks_per_channel", "at most 65536 banks per channel");
    if (burstsPerRowBuffer == 0)
        p.error("device_rowbuffer_size", "the row buffer must hold at least one burst");
    if (p.get<bool>("enable_dram_powerdown", false))
        p.error("enable_dram_powerdown", "npusim models no DRAM power-down states (its energy model assumes the "
                                         "rank never powers down); leave it False");
    if (tCK == 0) p.error("tCK", "the clock period must be positive");
    if (tBURST == 0) p.error("tBURST", "a burst must take time (zero would mean unlimited bandwidth)");
    if (tBURST_MIN > tBURST)
        p.error("tBURST_MIN", "must not exceed tBURST (" + std::to_string(tBURST) + " ticks), got " +
                                  std::to_string(tBURST_MIN));
    if (tBURST_MAX < tBURST)
        p.error("tBURST_MAX", "must not be below tBURST (" + std::to_string(tBURST) + " ticks), got " +
                                  std::to_string(tBURST_MAX));
    // gem5 only asks for tREFI > tRP and tREFI > tRFC; a refresh takes tRP + tRFC
    // of every tREFI, so anything shorter never lets a request through and the
    // run never ends.
    if (tREFI <= tRP + tRFC)
        p.error("tREFI", "must be larger than tRP + tRFC (" + std::to_string(tRP + tRFC) +
                             " ticks), the time one refresh takes, got " + std::to_string(tREFI));
    if (bankGroupArch) {
        if (bankGroupsPerRank > banksPerRank)
            p.error("bank_groups_per_rank", "must not exceed banks_per_rank");
        if (banksPerRank % bankGroupsPerRank)
            p.error("bank_groups_per_rank", "banks_per_rank must be a multiple of it");
        if (tCCD_L <= tBURST) p.error("tCCD_L", "must be larger than tBURST when bank groups are used");
        if (tCCD_L_WR <= tBURST) p.error("tCCD_L_WR", "must be larger than tBURST when bank groups are used");
        if (tRRD_L < tRRD) p.error("tRRD_L", "must not be smaller than tRRD when bank groups are used");
    }
    if (readBufSize == 0) p.error("read_buffer_size", "must be at least 1");
    if (writeBufSize == 0) p.error("write_buffer_size", "must be at least 1");

    std::uint64_t capacity = roundUpPow2(size());
    rowsPerBank = capacity / (std::uint64_t(rowBufferSize) * banksPerRank * ranksPerChannel);
    if (rowsPerBank == 0) rowsPerBank = 1;

    // decode() by shifts and masks when every divisor is a power of two
    // (a / x / y == a / (x * y) for unsigned integers).
    {
        bool roRa = addrMapping == AddrMap::RoRaBaChCo || addrMapping == AddrMap::RoRaBaCoCh;
        std::uint64_t low = roRa ? burstsPerRowBuffer
                                 : (burstsPerStripe > burstsPerRowBuffer ? burstsPerRowBuffer : burstsPerStripe);
        std::uint64_t high = (!roRa && burstsPerStripe < burstsPerRowBuffer) ? burstsPerRowBuffer / burstsPerStripe : 1;
        decodeByShift = isPow2(burstSize) && isPow2(low) && isPow2(banksPerRank) && isPow2(ranksPerChannel) &&
                        isPow2(high) && isPow2(rowsPerBank);
        if (decodeByShift) {
            shiftLow = unsigned(std::countr_zero(std::uint64_t(burstSize)) + std::countr_zero(low));
            shiftBank = unsigned(std::countr_zero(std::uint64_t(banksPerRank)));
            shiftRow = shiftBank +
                       unsigned(std::countr_zero(std::uint64_t(ranksPerChannel)) + std::countr_zero(high));
            bankIdMask = std::uint64_t(ranksPerChannel) * banksPerRank - 1;
            bankMask = banksPerRank - 1;
            rowMask = rowsPerBank - 1;
        }
    }

    if (bankGroupArch) {
        // own-group delays (doBurstAccess) against the other groups', for
        // every burst gap: read after read, write after read, read after
        // write, write after write
        for (Tick gap : {tBURST_MIN, tBURST}) {
            ownGroupDominates = ownGroupDominates && tCCD_L >= gap &&
                                std::max(tCCD_L, rdToWrDlySameBG) >= readToWriteDelay() &&
                                std::max(tCCD_L, wrToRdDlySameBG) >= writeToReadDelay() && tCCD_L_WR >= gap;
        }
    }

    readDataDelay = tRL + tBURST;
    writeDataDelay = tWL + tBURST;
    readMaxSync = clkResyncDelay + tRL;
    writeMaxSync = clkResyncDelay + tWL;
    rdToWrDelay = readToWriteDelay();
    wrToRdDelay = writeToReadDelay();
    r2rDelay = rankToRankDelay();
    ownGroupWrToRd = std::max(tCCD_L, wrToRdDlySameBG);
    ownGroupRdToWr = std::max(tCCD_L, rdToWrDlySameBG);
    closeAfterEveryBurst = pageMgmt == PageMgmt::Close;
    adaptivePolicy = pageMgmt == PageMgmt::OpenAdaptive || pageMgmt == PageMgmt::CloseAdaptive;

    atMost64Banks = std::uint64_t(ranksPerChannel) * banksPerRank <= 64;
    cmdOffset = tRP + std::max(tRCD_RD, tRCD_WR);
    ranks.resize(ranksPerChannel);
    numGroups = bankGroupArch ? bankGroupsPerRank : 1;
    for (auto &r : ranks) {
        r.banks.resize(banksPerRank);
        r.groups.assign(numGroups, GroupTiming{});
        for (unsigned b = 0; b < banksPerRank; ++b) {
            r.banks[b].bank = std::uint8_t(b);
            // Bank groups rotate with the low bank bits (gem5's assumption).
            r.banks[b].bankgr = std::uint8_t(bankGroupArch ? b % bankGroupsPerRank : b);
            r.banks[b].rankState = &r;
            r.banks[b].groupState = &r.groups[bankGroupArch ? b % bankGroupsPerRank : 0];
        }
        r.actTicks.assign(activationLimit, 0);
    }
    for (auto &r : ranks)
        for (auto &b : r.banks) banksById.push_back(&b);  // rank by rank: bankId order
    if (ranksPerChannel == 2) {
        ranks[0].otherRank = &ranks[1];
        ranks[1].otherRank = &ranks[0];
    }
    for (auto &q : queued) q.init(ranksPerChannel, banksPerRank);

    // The energy model's view (gem5's DRAMPower set-up): timings in whole
    // command-clock cycles, rounded up; currents arrive in A.
    {
        auto cycles = [this](Tick t) { return std::int64_t((t + tCK - 1) / tCK); };
        const unsigned beats = p.get<unsigned>("beats_per_clock", 2);
        if (beats == 0) p.error("beats_per_clock", "must be at least 1");
        DramPowerSpec &w = powerSpec;
        w.tCK = tCK;
        w.ras = cycles(tRAS);
        w.rc = cycles(tRAS + tRP);
        w.rp = cycles(tRP);
        w.rfc = cycles(tRFC);
        w.burstCycles = std::int64_t(burstLength / beats);
        const std::pair<const char *, double DramPowerSpec::*> currents[] = {
            {"IDD0", &DramPowerSpec::idd0},   {"IDD02", &DramPowerSpec::idd02}, {"IDD2N", &DramPowerSpec::idd2n},
            {"IDD2N2", &DramPowerSpec::idd2n2}, {"IDD3N", &DramPowerSpec::idd3n}, {"IDD3N2", &DramPowerSpec::idd3n2},
            {"IDD4R", &DramPowerSpec::idd4r}, {"IDD4R2", &DramPowerSpec::idd4r2}, {"IDD4W", &DramPowerSpec::idd4w},
            {"IDD4W2", &DramPowerSpec::idd4w2}, {"IDD5", &DramPowerSpec::idd5},   {"IDD52", &DramPowerSpec::idd52}};
        for (auto [name, field] : currents) {
            const double amps = p.get<double>(name, 0.0);
            if (!(amps >= 0.0)) p.error(name, "a current must not be negative");
            w.*field = amps * 1000.0;  // mA
        }
        w.vdd = p.get<double>("VDD", 0.0);
        w.vdd2 = p.get<double>("VDD2", 0.0);
        if (!(w.vdd >= 0.0)) p.error("VDD", "a voltage must not be negative");
        if (!(w.vdd2 >= 0.0)) p.error("VDD2", "a voltage must not be negative");
        w.devicesPerRank = devicesPerRank;
        for (unsigned i = 0; i < ranksPerChannel; ++i)
            rankPowerStats.push_back(std::make_unique<DramRankPowerStats>(this, i, ranks[i].power,
                                                                          ranks[i].powerStates,
                                                                          ranks[i].numBanksActive));
    }

    perBankRdBursts.init(std::size_t(banksPerRank) * ranksPerChannel);
    perBankWrBursts.init(std::size_t(banksPerRank) * ranksPerChannel);
    // gem5's sizing: one bucket per access a row may take, else per byte
    std::uint64_t maxBytes = maxAccessesPerRow ? std::uint64_t(maxAccessesPerRow) * burstSize : rowBufferSize;
    bytesPerActivate.init(maxAccessesPerRow ? maxAccessesPerRow : rowBufferSize);
    burstShift = unsigned(std::countr_zero(burstSize));
    activationsByBursts.assign(maxBytes / burstSize + 1, 0);
    trackedActivationBursts = std::uint32_t(std::min<std::size_t>(activationsByBursts.size(), UINT32_MAX));
    directActivationBursts =
        std::uint32_t(std::min<std::uint64_t>(trackedActivationBursts, (std::uint64_t(1) << 32) >> burstShift));
    bytesPerActivate.flags(stats::kNoZero);
    for (stats::Formula *f : {&avgQLat, &avgBusLat, &avgMemAccLat, &readRowHitRate, &writeRowHitRate, &peakBW,
                              &busUtil, &busUtilRead, &busUtilWrite, &pageHitRate})
        f->precision(2);
    avgRdBW.precision(6);
    avgWrBW.precision(6);
}

void DRAMInterface::setCtrl(MemCtrl *c, Tick commandWindow) {
    ctrl = c;
    unsigned maxCommandsPerWindow = unsigned(commandWindow / tCK);
    if (maxCommandsPerWindow == 0) maxCommandsPerWindow = 1;
    commands.init(commandWindow, maxCommandsPerWindow, &c->name());
}

void DRAMInterface::startup() {
    // gem5 fires the first refresh tRP before tREFI; every later one comes
    // tREFI - tRP after the previous (its event re-arms at due - tRP).
    for (auto &r : ranks) {
        r.refreshDueAt = curTick() + tREFI - tRP;
        r.power.init(powerSpec, curTick());
        r.powerStates.init(curTick());
    }
    nextRefreshDue = curTick() + tREFI - tRP;
    refreshQuietFrom = 0;
}

void DRAMInterface::resetStats() {
    AbstractMemory::resetStats();
    std::fill(activationsByBursts.begin(), activationsByBursts.end(), 0);
}

void DRAMInterface::preDumpStats() {
    // Refreshes fall due lazily, when the controller schedules; an idle
    // controller may not have reached the latest ones. (Taking them now
    // changes nothing else: the controller takes them first thing anyway.)
    Tick wake;
    checkRefresh(wake);
    flushBytesPerActivate();
    AbstractMemory::preDumpStats();
}

void DRAMInterface::flushBytesPerActivate() {
    for (std::size_t bursts = 0; bursts < activationsByBursts.size(); ++bursts) {
        if (std::uint64_t n = activationsByBursts[bursts]) {
            bytesPerActivate.sample(double(std::uint64_t(bursts) << burstShift), n);
            activationsByBursts[bursts] = 0;
        }
    }
}

void DRAMInterface::decodeByDivision(MemPacket &mp, Addr pktAddr) {
    unsigned rank, bank;
    std::uint64_t row;
    Addr a = (pktAddr - range.start) / burstSize;
    if (addrMapping == AddrMap::RoRaBaChCo || addrMapping == AddrMap::RoRaBaCoCh) {
        a /= burstsPerRowBuffer;  // column bits: sequential bursts share a row
        bank = unsigned(a % banksPerRank);
        a /= banksPerRank;
        rank = unsigned(a % ranksPerChannel);
        a /= ranksPerChannel;
        row = a % rowsPerBank;
    } else {
        a /= burstsPerStripe > burstsPerRowBuffer ? burstsPerRowBuffer : burstsPerStripe;
        bank = unsigned(a % banksPerRank);  // bank bits lowest: maximum parallelism
        a /= banksPerRank;
        rank = unsigned(a % ranksPerChannel);
        a /= ranksPerChannel;
        if (burstsPerStripe < burstsPerRowBuffer) a /= burstsPerRowBuffer / burstsPerStripe;
        row = a % rowsPerBank;
    }
    setLocation(mp, rank, bank, row);
}

// ---------------------------------------------------------------- refresh

void DRAMInterface::refreshRank(Rank &rank, Tick due) {
    rank.powerStates.advance(curTick(), rank.numBanksActive);
    Tick start;
    if (rank.numBanksActive) {
        Tick preAt = due;
        for (auto &b : rank.banks) preAt = std::max(preAt, preAllowed(rank, b));
        for (auto &b : rank.banks) {
            if (b.openRow != kNoRow) {
                prechargeBank(rank, b, preAt, true, curTick(), false);
            } else {
                b.actAllowedAt = std::max(b.actAllowedAt, preAt + tRP);
                b.preAllowedAt = std::max(b.preAllowedAt, preAt);
            }
        }
        rank.power.record(DramCommand::PREA, 0, preAt, curTick());
        start = preAt + tRP;
    } else {
        start = std::max(due, rank.lastPreDoneAt);
    }
    refreshPower(rank, start);
    Tick done = start + tRFC;
    rank.actFloor = std::max(rank.actFloor, done);
    rank.refreshUntil = std::max(rank.refreshUntil, done);
    rank.refreshDueAt = due + tREFI - tRP;
    ++rank.refreshes;
    ++numRefreshes;
}

bool DRAMInterface::checkRefreshScan(Tick &wake) {
    Tick now = curTick();
    bool allBusy = true;
    wake = kMaxTick;
    for (auto &r : ranks) {
        while (now >= r.refreshDueAt) {
            Tick period = tREFI - tRP;
            // An idle rank with closed banks: refreshes long past changed
            // nothing visible; count them and jump to the latest one.
            if (r.numBanksActive == 0 && r.refreshDueAt + period <= now && r.lastPreDoneAt <= r.refreshDueAt) {
                std::uint64_t skip = (now - r.refreshDueAt) / period;
                // each starts when due (the banks are closed); the power states
                // take what is pending (a refresh refreshRank just booked, with
                // its precharge) before each is booked over it
                for (std::uint64_t k = 0; k < skip; ++k) {
                    r.powerStates.advance(now, 0);
                    refreshPower(r, r.refreshDueAt + k * period);
                }
                r.refreshDueAt += skip * period;
                r.refreshes += skip;
                numRefreshes += double(skip);
            }
            refreshRank(r, r.refreshDueAt);
        }
        if (r.refreshUntil > now) wake = std::min(wake, r.refreshUntil);
        else allBusy = false;
    }
    nextRefreshDue = kMaxTick;
    refreshQuietFrom = 0;
    for (const auto &r : ranks) {
        nextRefreshDue = std::min(nextRefreshDue, r.refreshDueAt);
        refreshQuietFrom = std::max(refreshQuietFrom, r.refreshUntil);
    }
    return allBusy;
}

// ---------------------------------------------------------------- tracing

void DRAMInterface::traceBurst(const MemPacket &mp, bool rowHit, Tick cmdAt) const {
    NPUSIM_DPRINTF(DRAM, mp.isRead() ? "read" : "write", " burst ", debug::hex(mp.addr), " rank ", unsigned(mp.rank),
                   " bank ", unsigned(mp.bank), " row ", mp.row, rowHit ? " row hit" : " row miss", ", command at ",
                   cmdAt, ", data ready at ", mp.readyTime);
}

// -------------------------------------------------------------- scheduling

template <bool ReadState>
MemPacketQueue::iterator DRAMInterface::chooseFRFCFSRefreshing(MemPacketQueue &queue, Tick minColAt) const {
    return chooseFRFCFS<ReadState, true>(queue, minColAt);
}
template MemPacketQueue::iterator DRAMInterface::chooseFRFCFSRefreshing<true>(MemPacketQueue &, Tick) const;
template MemPacketQueue::iterator DRAMInterface::chooseFRFCFSRefreshing<false>(MemPacketQueue &, Tick) const;

}  // namespace npusim::memory
