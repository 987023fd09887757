// DRAMInterface: the media model behind MemCtrl (gem5's DRAMInterface and
// MemInterface). It owns the address decoding, the rank/bank state machines
// (open row, per-bank earliest ACT/PRE/RD/WR), the activation window, a
// simple refresh model, and the DRAM-side stats (row hits, bytes per
// activate, latencies, bandwidth, bus utilisation).
//
// Timing follows gem5's model: commands are not simulated one event each;
// when the controller picks a burst, doBurstAccess() computes when its
// PRE/ACT/RD/WR commands can issue given all constraints and books them,
// possibly in the future, and returns when the data is ready.
//
// Refresh (gem5 runs a per-rank refresh state machine with events): here it
// is evaluated lazily, whenever the controller schedules, so an idle memory
// has no pending events. When a rank's refresh falls due at D: open banks
// are precharged (at the earliest allowed tick >= D), the refresh starts tRP
// later (or at D if all banks were closed), lasts tRFC, and the rank takes
// no bursts until it ends; the next one is due at D + tREFI. Missed
// refreshes of an idle rank are replayed the same way. Energy per rank is
// DRAMPower's, as gem5 reports it (dram_power.hh); there are no power-down
// states (enable_dram_powerdown=True is refused).
#pragma once
#include <algorithm>
#include <array>
#include <cstdint>
#include <memory>
#include <vector>

#include "abstract_mem.hh"
#include "command_windows.hh"
#include "dram_power.hh"
#include "npusim/sim/debug.hh"

NPUSIM_DECLARE_DEBUG_FLAG(DRAM)

namespace npusim::memory {

class MemCtrl;

// Shared by the bursts of a system packet larger than one burst.
struct BurstHelper {
    unsigned burstCount = 0;
    unsigned burstsServiced = 0;
};

struct DramRank;

// Constraints shared by the banks of one bank group (of all banks of the
// rank without bank groups).
struct DramGroupTiming {
    Tick rdAllowedAt = 0;
    Tick wrAllowedAt = 0;
    Tick actAllowedAt = 0;
};

// The earliest RD/WR/ACT tick of a bank is the larger of its own
// constraint (below) and its bank group's (DramRank::groups): every update
// of these is a max(), and the constraints one burst or activation puts
// on the other banks are the same for all banks of a group, so they are
// kept once per group instead of being written into every bank.
struct DramBank {
    std::uint32_t openRow = ~std::uint32_t(0);  // DRAMInterface::kNoRow
    std::uint8_t bank = 0;
    std::uint8_t bankgr = 0;
    Tick rdAllowedAt = 0;
    Tick wrAllowedAt = 0;
    Tick preAllowedAt = 0;
    Tick actAllowedAt = 0;
    unsigned rowAccesses = 0;  // bursts to the open row (each burstSize bytes)
    // The bank's rank and its group's timing (fixed at construction): the
    // scheduler and the burst path reach them from the bank in one load.
    DramRank *rankState = nullptr;
    DramGroupTiming *groupState = nullptr;
};

struct DramRank {
    std::vector<DramBank> banks;
    std::vector<DramGroupTiming> groups;
    // PRE to PRE (tPPD) applies to every bank of the rank: a bank's
    // earliest PRE is max(DramBank::preAllowedAt, prePending); see setPre().
    Tick prePending = 0;
    // Lower bounds on all of this rank's groups' rd/wr/actAllowedAt
    // (the constraints that reach every group alike: rank switching,
    // the burst gap and turnarounds, tRRD, tXAW, refresh), kept once
    // here instead of being written into each group.
    Tick rdFloor = 0;
    Tick wrFloor = 0;
    Tick actFloor = 0;
    unsigned numBanksActive = 0;
    // The last activation_limit ACT ticks, a ring; `oldest` indexes the
    // oldest entry (gem5 keeps them in a deque).
    std::vector<Tick> actTicks;
    std::size_t oldest = 0;
    Tick lastBurstTick = 0;
    Tick refreshDueAt = 0;
    Tick refreshUntil = 0;   // no bursts to this rank before this tick
    Tick lastPreDoneAt = 0;  // when the latest precharge completes
    std::uint64_t refreshes = 0;
    // Every command booked for this rank goes to its energy model and its
    // power states (read by its DramRankPowerStats at dumps).
    DramRankPower power;
    DramPowerStates powerStates;
    // The other rank of a two-rank channel (null otherwise): each burst
    // delays it by the rank-to-rank switch, without indexing.
    DramRank *otherRank = nullptr;
};

// One DRAM burst (gem5's MemPacket); pooled by the controller.
struct MemPacket {
    PacketPtr pkt = nullptr;
    Tick entryTime = 0;
    Tick readyTime = 0;
    Addr addr = 0;         // start of this burst's part of the request
    unsigned size = 0;     // bytes of the request inside this burst
    std::uint32_t row = 0;
    std::uint8_t rank = 0;
    std::uint8_t bank = 0;
    std::uint16_t bankId = 0;
    bool read = true;
    DramBank *bankState = nullptr;  // the bank decode() maps this burst to
    RequestorID requestorId = 0;
    BurstHelper *burstHelper = nullptr;
    MemPacket *nextFree = nullptr;  // the controller's pool of free packets
    bool isRead() const { return read; }
};

using MemPacketQueue = std::vector<MemPacket *>;

class DRAMInterface final : public AbstractMemory {
  public:
    enum class PageMgmt { Open, OpenAdaptive, Close, CloseAdaptive };
    enum class AddrMap { RoRaBaChCo, RoRaBaCoCh, RoCoRaBaCh };
    static constexpr std::uint32_t kNoRow = ~std::uint32_t(0);

    using Bank = DramBank;
    using GroupTiming = DramGroupTiming;
    using Rank = DramRank;

    explicit DRAMInterface(const Params &p);

    void startup() override;
    void resetStats() override;
    void preDumpStats() override;

    // Set by the controller that owns this interface.
    void setCtrl(MemCtrl *ctrl, Tick commandWindow);
    const MemCtrl *controller() const { return ctrl; }

    // --- geometry and timing the controller needs -------------------------
    unsigned bytesPerBurst() const { return burstSize; }
    unsigned burstBits() const { return burstShift; }  // log2(bytesPerBurst())
    unsigned readBufferSize() const { return readBufSize; }
    unsigned writeBufferSize() const { return writeBufSize; }
    Tick commandOffset() const { return cmdOffset; }
    Tick minReadToWriteDataGap() const { return std::min(tRTW, tCS); }
    Tick minWriteToReadDataGap() const { return std::min(tWTR, tCS); }
    Tick burstDelay() const { return burstInterleave ? tBURST_MAX / 2 : tBURST; }

    // Decodes the burst at `addr` into mp's rank, bank and row.
    [[gnu::always_inline]] void decode(MemPacket &mp, Addr addr) {
        if (!decodeByShift) [[unlikely]] return decodeByDivision(mp, addr);
        // the divisions and remainders of decodeByDivision(), all by powers
        // of two; the bank bits sit just below the rank bits, so together
        // they are the bank's id
        const Addr a = (addr - range.start) >> shiftLow;
        const unsigned bankId = unsigned(a & bankIdMask);
        mp.rank = std::uint8_t(bankId >> shiftBank);
        mp.bank = std::uint8_t(bankId & bankMask);
        mp.row = std::uint32_t((a >> shiftRow) & rowMask);
        mp.bankId = std::uint16_t(bankId);
        mp.bankState = banksById[bankId];
    }
    bool burstReady(const MemPacket *mp) const { return curTick() >= ranks[mp->rank].refreshUntil; }

    // Brings every rank's refresh up to now (see the file comment). Returns
    // true if all ranks are refreshing; `wake` gets the earliest tick at
    // which some rank becomes available again.
    bool checkRefresh(Tick &wake) {
        // Nothing due and no rank refreshing: the common case, inline.
        Tick now = curTick();
        if (now >= refreshQuietFrom && now < nextRefreshDue) {
            wake = kMaxTick;
            return false;
        }
        return checkRefreshScan(wake);
    }

    // FR-FCFS over the queue of the current bus state (reads if ReadState);
    // in the header so that the controller's scheduler can inline the scan.
    template <bool ReadState>
    [[gnu::always_inline]] MemPacketQueue::iterator chooseNextFRFCFS(MemPacketQueue &queue, Tick minColAt) {
        // checkRefresh() ran just before: no rank refreshes if now >= refreshQuietFrom
        if (curTick() < refreshQuietFrom) [[unlikely]] return chooseFRFCFSRefreshing<ReadState>(queue, minColAt);
        return chooseFRFCFS<ReadState, false>(queue, minColAt);
    }
    // Books the burst's commands, sets its readyTime and moves nextBurstAt
    // and nextReqTime on; `queue` is the burst's own queue (for the
    // adaptive page policies). In the header, inlined into the scheduler.
    template <bool IsRead>
    [[gnu::always_inline]] void doBurstAccess(MemPacket *mp, const MemPacketQueue &queue);

    // Bus state shared with the controller (gem5 keeps it in MemInterface).
    enum BusState { READ, WRITE };
    BusState busState = READ;
    BusState busStateNext = READ;
    Tick nextBurstAt = 0;
    Tick nextReqTime = 0;
    unsigned readsThisTime = 0;
    unsigned writesThisTime = 0;
    unsigned readQueueSize = 0;
    unsigned writeQueueSize = 0;

    const std::vector<Rank> &rankState() const { return ranks; }

    // The controller reports every burst it queues and removes, so that the
    // scheduler knows which banks have work without scanning the queues.
    // (IsRead: the burst's direction, which the controller knows)
    template <bool IsRead>
    void enqueued(const MemPacket *mp) { queued[IsRead ? 0 : 1].add(mp); }
    template <bool IsRead>
    void dequeued(const MemPacket *mp) { queued[IsRead ? 0 : 1].remove(mp); }

  private:
    [[gnu::noinline]] void decodeByDivision(MemPacket &mp, Addr addr);
    void setLocation(MemPacket &mp, unsigned rank, unsigned bank, std::uint64_t row) {
        mp.rank = std::uint8_t(rank);
        mp.bank = std::uint8_t(bank);
        mp.row = std::uint32_t(row);
        mp.bankId = std::uint16_t(banksPerRank * rank + bank);
        mp.bankState = &ranks[rank].banks[bank];
    }
    // bytesPerActivate, counted per number of bursts and handed to the
    // histogram when stats are collected: one increment per precharge
    // instead of a histogram update. The samples are whole numbers, so the
    // sums come out exactly as with one sample() each.
    std::vector<std::uint64_t> activationsByBursts;
    // An activation of `bursts` bursts: its bytes, wrapping at 2^32 as a
    // 32-bit byte counter would.
    [[gnu::always_inline]] void sampleActivation(unsigned bursts) {
        // below this the byte count neither wraps nor leaves the table: no
        // multiplication needed
        if (bursts < directActivationBursts) [[likely]]
            ++activationsByBursts[bursts];
        else
            sampleBytesPerActivate(std::uint32_t(bursts * burstSize));
    }
    void sampleBytesPerActivate(std::uint32_t bytes) {
        const std::uint32_t bursts = bytes >> burstShift;
        if (bursts < trackedActivationBursts && (bytes & (burstSize - 1)) == 0)
            ++activationsByBursts[bursts];
        else
            bytesPerActivate.sample(bytes);
    }
    void flushBytesPerActivate();
    std::uint32_t trackedActivationBursts = 0;  // activationsByBursts.size()
    std::uint32_t directActivationBursts = 0;   // min(trackedActivationBursts, 2^32 / burstSize)
    unsigned burstShift = 0;  // log2(burstSize)

    // doBurstAccess()'s trace point, out of line and given copies: a trace
    // point captures by reference, which would keep the burst's variables in
    // memory throughout the scheduler.
    [[gnu::cold, gnu::noinline]] void traceBurst(const MemPacket &mp, bool rowHit, Tick cmdAt) const;

    // (`now` is curTick())
    void activateBank(Rank &rank, Bank &bank, Tick actTick, std::uint32_t row, Tick now);
    // (`traced`: false for the banks a refresh's PREA closes, which the energy
    // model sees as that one command)
    void prechargeBank(Rank &rank, Bank &bank, Tick preTick, bool autoOrPreall, Tick now, bool traced = true);
    void refreshRank(Rank &rank, Tick due);
    [[gnu::noinline]] bool checkRefreshScan(Tick &wake);
    // Effective earliest RD / WR / ACT of a bank (own and group constraint).
    // (two-argument max: the initializer-list form costs a loop through memory)
    Tick rdAllowed(const Rank &r, const Bank &b) const {
        return std::max(std::max(b.rdAllowedAt, b.groupState->rdAllowedAt), r.rdFloor);
    }
    Tick wrAllowed(const Rank &r, const Bank &b) const {
        return std::max(std::max(b.wrAllowedAt, b.groupState->wrAllowedAt), r.wrFloor);
    }
    Tick colAllowed(const Rank &r, const Bank &b, bool read) const { return read ? rdAllowed(r, b) : wrAllowed(r, b); }
    Tick actAllowed(const Rank &r, const Bank &b) const {
        return std::max(std::max(b.actAllowedAt, b.groupState->actAllowedAt), r.actFloor);
    }
    Tick preAllowed(const Rank &r, const Bank &b) const { return std::max(b.preAllowedAt, r.prePending); }
    // Sets a bank's earliest PRE to exactly `t`.
    void setPre(Rank &r, Bank &b, Tick t) {
        if (t < r.prePending) {
            // (rare) the rank-wide part would hide `t`: fold it into every bank
            for (auto &x : r.banks) x.preAllowedAt = std::max(x.preAllowedAt, r.prePending);
            r.prePending = 0;
        }
        b.preAllowedAt = t;
    }
    Tick readToWriteDelay() const { return tBURST + tRTW; }
    Tick writeToReadDelay() const { return tBURST + tWTR + tWL; }
    Tick rankToRankDelay() const { return tBURST + tCS; }

    CommandWindows commands;
    const MemCtrl *ctrl = nullptr;

    // geometry
    std::uint64_t deviceSize;
    unsigned deviceBusWidth, burstLength, deviceRowBufferSize, devicesPerRank;
    unsigned burstSize, rowBufferSize, burstsPerRowBuffer, burstsPerStripe;
    unsigned ranksPerChannel, banksPerRank, bankGroupsPerRank;
    bool bankGroupArch;
    std::uint64_t rowsPerBank;
    unsigned readBufSize, writeBufSize;
    AddrMap addrMapping;
    PageMgmt pageMgmt;
    unsigned maxAccessesPerRow;
    // decode() without divisions (see the constructor)
    bool decodeByShift = false;
    unsigned shiftLow = 0, shiftBank = 0, shiftRow = 0;
    std::uint64_t bankIdMask = 0, bankMask = 0, rowMask = 0;
    std::vector<Bank *> banksById;  // every bank, by MemPacket::bankId

    // timing
    Tick tCK, tCS, tBURST, tRTW, tWTR;
    Tick tRL, tWL, tBURST_MIN, tBURST_MAX, tCCD_L_WR, tCCD_L, tRCD_RD, tRCD_WR, tRP, tRAS, tWR, tRTP, tRFC,
        tREFI, tRRD, tRRD_L, tPPD, tAAD, tXAW;
    Tick clkResyncDelay;
    bool dataClockSync, burstInterleave, twoCycleActivate;
    unsigned activationLimit;
    Tick wrToRdDlySameBG, rdToWrDlySameBG;
    // Sums and maxima of the timings above that every burst needs, fixed
    // at construction.
    Tick readDataDelay = 0, writeDataDelay = 0;  // tRL / tWL + tBURST: command to data done
    Tick readMaxSync = 0, writeMaxSync = 0;      // clkResyncDelay + tRL / tWL
    Tick rdToWrDelay = 0, wrToRdDelay = 0, r2rDelay = 0;  // readToWriteDelay() ...
    Tick ownGroupWrToRd = 0, ownGroupRdToWr = 0;  // max(tCCD_L, wrToRdDlySameBG / rdToWrDlySameBG)
    bool closeAfterEveryBurst = false;  // page policy close
    bool adaptivePolicy = false;        // open_adaptive or close_adaptive

    std::vector<Rank> ranks;
    // checkRefresh() has nothing to do while refreshQuietFrom <= now <
    // nextRefreshDue (no refresh due, no rank refreshing); both are
    // recomputed whenever it does the full scan.
    Tick nextRefreshDue = 0;
    Tick refreshQuietFrom = kMaxTick;
    unsigned numGroups = 1;  // bank groups per rank as kept in Rank::groups
    bool atMost64Banks = true;  // ranks * banks per rank <= 64 (chooseFRFCFS)
    Tick cmdOffset = 0;  // commandOffset(): tRP + max(tRCD_RD, tRCD_WR)
    // A burst's delays on its own bank group are at least those on the
    // other groups of its rank (true of every shipped device), so the
    // latter can go into Rank::rd/wrFloor; otherwise every group is written.
    bool ownGroupDominates = true;
    // Queued bursts per bank, and per rank a bit mask of the banks with any,
    // for the read queue [0] and the write queue [1].
    struct QueuedBursts {
        std::vector<std::uint16_t> perBank;  // by bankId
        std::vector<std::uint32_t> banksWithWork;  // by rank, bit = bank
        unsigned banksPerRank = 0;
        void init(unsigned ranks, unsigned banks) {
            banksPerRank = banks;
            perBank.assign(std::size_t(ranks) * banks, 0);
            banksWithWork.assign(ranks, 0);
        }
        void add(const MemPacket *mp) {
            if (perBank[mp->bankId]++ == 0) banksWithWork[mp->rank] |= std::uint32_t(1) << mp->bank;
        }
        void remove(const MemPacket *mp) {
            if (--perBank[mp->bankId] == 0) banksWithWork[mp->rank] &= ~(std::uint32_t(1) << mp->bank);
        }
    };
    QueuedBursts queued[2];
    // gem5's FR-FCFS choice (with its minBankPrep) in one pass over the
    // queue, without building the set of earliest banks. What gem5's scan
    // picks comes down to, in order: the first ready row hit whose column
    // command issues seamlessly (by minColAt); else the earliest row miss E
    // if its bank's preparation hides behind the current burst; else the
    // first ready row hit; else E (if any). E, a ready row miss, is the
    // first whose bank is seamless, or, without one, the first with the
    // earliest ACT, provided no bank with queued work but no candidate is
    // seamless or earlier. A queue holds only reads or only writes.
    template <bool ReadState, bool SomeRankRefreshing>
    [[gnu::always_inline]] MemPacketQueue::iterator chooseFRFCFS(MemPacketQueue &queue, Tick minColAt) const;
    template <bool ReadState>
    [[gnu::noinline]] MemPacketQueue::iterator chooseFRFCFSRefreshing(MemPacketQueue &queue, Tick minColAt) const;
    // When bank `b` could take an ACT (ignoring rank switching), and whether
    // its column command could then issue by minColAt.
    template <bool ReadState>
    [[gnu::always_inline]] bool bankPrep(const Rank &r, const Bank &b, Tick now, Tick minColAt, Tick &actAt) const {
        // with a row open: PRE at max(pre, prePending, now), ACT tRP later
        actAt = b.openRow == kNoRow
                    ? std::max(std::max(b.actAllowedAt, b.groupState->actAllowedAt), std::max(r.actFloor, now))
                    : std::max(std::max(b.preAllowedAt, r.prePending), now) + tRP;
        // max(column, actAt + tRCD) <= minColAt, the half that usually fails
        // first: most banks' preparation does not hide
        if (actAt + (ReadState ? tRCD_RD : tRCD_WR) > minColAt) return false;
        return (ReadState ? rdAllowed(r, b) : wrAllowed(r, b)) <= minColAt;
    }

  public:
    // --- stats (gem5 names) --------------------------------------------------
    stats::Counter readBursts, writeBursts;
    stats::CounterVector perBankRdBursts, perBankWrBursts;
    stats::Counter totQLat;
    stats::Formula totBusLat;  // tBURST per read burst
    stats::Counter totMemAccLat;
    stats::Formula avgQLat, avgBusLat, avgMemAccLat;
    stats::Counter readRowHits, writeRowHits;
    stats::Formula readRowHitRate, writeRowHitRate;
    stats::Histogram bytesPerActivate;
    stats::Formula dramBytesRead, dramBytesWritten;  // burstSize per burst
    stats::Formula avgRdBW, avgWrBW, peakBW, busUtil, busUtilRead, busUtilWrite, pageHitRate;
    stats::Scalar numRefreshes;

  private:
    DramPowerSpec powerSpec;
    std::vector<std::unique_ptr<DramRankPowerStats>> rankPowerStats;  // gem5's rankN groups
    // A refresh of `rank` from `at` for tRFC: the energy model's REF (taken
    // once `at` has come: a dump before it counts none of the refresh, as in
    // gem5) and the REF power state.
    void refreshPower(Rank &rank, Tick at) {
        rank.power.record(DramCommand::REF, 0, at, curTick());
        rank.powerStates.refresh(at, at + tRFC);
    }
};

template <bool ReadState, bool SomeRankRefreshing>
inline MemPacketQueue::iterator DRAMInterface::chooseFRFCFS(MemPacketQueue &queue, Tick minColAt) const {
    const Tick now = curTick();
    const auto end = queue.end();
    // !burstReady(p); checkRefresh() ran just before, so no rank refreshes
    // unless now < refreshQuietFrom
    auto refreshing = [&](const Bank &b) { return SomeRankRefreshing && now < b.rankState->refreshUntil; };
    auto seamlessHit = [&](const Bank &b) {
        const Rank &r = *b.rankState;
        return (ReadState ? rdAllowed(r, b) : wrAllowed(r, b)) <= minColAt;
    };
    auto firstHit = end;      // the first ready row hit (none of them seamless so far)
    auto earliestMiss = end;  // the first ready row miss with the earliest ACT so far
    Tick earliestActAt = kMaxTick;
    std::uint64_t missBanks = 0;  // by bankId (used if there are at most 64 banks)
    for (auto it = queue.begin(); it != end; ++it) {
        const MemPacket *p = *it;
        const Bank &b = *p->bankState;
        if (refreshing(b)) continue;
        if (b.openRow == p->row) {
            if (firstHit == end) {
                if (seamlessHit(b)) return it;
                firstHit = it;
            } else if (&b != (*firstHit)->bankState && seamlessHit(b)) {
                // (whether a row hit is seamless depends only on its bank: the
                // rest of a stream of hits to the first hit's bank is not)
                return it;
            }
            continue;
        }
        Tick actAt;
        if (bankPrep<ReadState>(*b.rankState, b, now, minColAt, actAt)) {
            // E, and hidden: only a seamless row hit further on comes first
            for (auto later = it + 1; later != end; ++later) {
                const MemPacket *q = *later;
                const Bank &qb = *q->bankState;
                if (qb.openRow == q->row && !refreshing(qb) && seamlessHit(qb)) return later;
            }
            return it;
        }
        if (actAt < earliestActAt) {
            earliestActAt = actAt;
            earliestMiss = it;
        }
        missBanks |= std::uint64_t(1) << (p->bankId & 63);
    }
    if (earliestMiss == end) return firstHit;
    // No row miss's bank is seamless. E is the earliest one unless a bank
    // with queued work but no ready row miss (in a rank not refreshing) is
    // seamless or has an earlier ACT; the candidates' banks need no second look.
    const QueuedBursts &q = queued[ReadState ? 0 : 1];
    Tick minActAt = kMaxTick;
    for (unsigned i = 0; i < ranksPerChannel; ++i) {
        std::uint32_t waiting = q.banksWithWork[i];
        if (atMost64Banks) waiting &= ~std::uint32_t(missBanks >> (i * banksPerRank));
        if (!waiting) continue;
        const Rank &r = ranks[i];
        if (now < r.refreshUntil) continue;
        do {
            const unsigned j = unsigned(std::countr_zero(waiting));
            waiting &= waiting - 1;
            Tick actAt;
            if (bankPrep<ReadState>(r, r.banks[j], now, minColAt, actAt)) return firstHit;
            minActAt = std::min(minActAt, actAt);
        } while (waiting);
    }
    if (minActAt < earliestActAt) return firstHit;  // E's bank is not among the earliest
    const Tick tRCD = ReadState ? tRCD_RD : tRCD_WR;
    const Tick hiddenActMax = std::max(minColAt > tRCD ? minColAt - tRCD : 0, now);
    if (earliestActAt <= hiddenActMax) return earliestMiss;
    return firstHit != end ? firstHit : earliestMiss;
}

// ------------------------------------------------------------ burst path
// Here rather than in the .cc so that the controller's scheduler inlines the
// whole burst path: one call and its register saves fewer per burst.

[[gnu::always_inline]] inline void DRAMInterface::activateBank(Rank &rank, Bank &bank, Tick actTick, std::uint32_t row,
                                                               Tick now) {
    Tick actAt = twoCycleActivate ? commands.verifyMulti(actTick, tAAD) : commands.verifySingle(actTick, now);
    bank.openRow = row;
    bank.rowAccesses = 0;
    rank.powerStates.advance(now, rank.numBanksActive);
    ++rank.numBanksActive;
    rank.power.record(DramCommand::ACT, bank.bank, actAt, now);
    rank.powerStates.activateAt(actAt);

    setPre(rank, bank, actAt + tRAS);
    bank.rdAllowedAt = std::max(actAt + tRCD_RD, bank.rdAllowedAt);
    bank.wrAllowedAt = std::max(actAt + tRCD_WR, bank.wrAllowedAt);

    // ACT to ACT: tRRD_L within a bank group, tRRD otherwise; tRRD_L >= tRRD
    // (checked in the constructor), so tRRD goes into the rank's floor.
    rank.actFloor = std::max(actAt + tRRD, rank.actFloor);
    if (bankGroupArch) {
        GroupTiming &own = *bank.groupState;
        own.actAllowedAt = std::max(actAt + tRRD_L, own.actAllowedAt);
    }

    // At most activation_limit ACTs in any tXAW window.
    if (activationLimit) {
        rank.actTicks[rank.oldest] = actAt;  // replaces the oldest
        if (++rank.oldest == activationLimit) rank.oldest = 0;
        Tick oldest = rank.actTicks[rank.oldest];
        if (oldest && oldest + tXAW > actAt) {
            rank.actFloor = std::max(oldest + tXAW, rank.actFloor);
        }
    }
}

[[gnu::always_inline]] inline void DRAMInterface::prechargeBank(Rank &rank, Bank &bank, Tick preTick, bool autoOrPreall,
                                                                Tick now, bool traced) {
    sampleActivation(bank.rowAccesses);
    bank.openRow = kNoRow;
    Tick preAt = preTick;
    if (autoOrPreall) {
        setPre(rank, bank, preAt);
    } else {
        preAt = commands.verifySingle(preTick, now);
        rank.prePending = std::max(rank.prePending, preAt + tPPD);  // every bank, tPPD
    }
    if (traced) rank.power.record(DramCommand::PRE, bank.bank, preAt, now);
    Tick preDone = preAt + tRP;
    bank.actAllowedAt = std::max(bank.actAllowedAt, preDone);
    rank.lastPreDoneAt = std::max(rank.lastPreDoneAt, preDone);
    rank.powerStates.advance(now, rank.numBanksActive);
    --rank.numBanksActive;
    rank.powerStates.prechargeDoneAt(preDone);
}

template <bool IsRead>
inline void DRAMInterface::doBurstAccess(MemPacket *mp, const MemPacketQueue &queue) {
    Bank &bank = *mp->bankState;
    Rank &rank = *bank.rankState;
    Tick now = curTick();

    bool rowHit = true;
    if (bank.openRow != mp->row) {
        rowHit = false;
        if (bank.openRow != kNoRow) prechargeBank(rank, bank, std::max(preAllowed(rank, bank), now), false, now);
        Tick actTick = std::max(actAllowed(rank, bank), now);
        activateBank(rank, bank, actTick, mp->row, now);
    }

    Tick colAllowedAt = colAllowed(rank, bank, IsRead);
    Tick cmdAt = std::max(std::max(colAllowedAt, nextBurstAt), now);

    const Tick maxSync = IsRead ? readMaxSync : writeMaxSync;
    if (dataClockSync && (cmdAt - rank.lastBurstTick) > maxSync)
        cmdAt = commands.verifyMulti(cmdAt, tCK);
    else
        cmdAt = commands.verifySingle(cmdAt, now);

    // Interleaved bursts (LPDDR5 BL32): never double-interleave, and stay on
    // a tBURST boundary.
    Tick burstGap = tBURST_MIN;
    if (burstInterleave) {
        if (cmdAt == rank.lastBurstTick + tBURST_MIN) burstGap = tBURST;
        else if (cmdAt < rank.lastBurstTick + tBURST) cmdAt = rank.lastBurstTick + tBURST;
    }

    mp->readyTime = cmdAt + (IsRead ? readDataDelay : writeDataDelay);
    rank.lastBurstTick = cmdAt;
    if constexpr (IsRead) rank.power.readBurst();
    else rank.power.writeBurst();
    if (NPUSIM_TRACING && debug::DRAM.on) [[unlikely]] traceBurst(*mp, rowHit, cmdAt);

    // Earliest next RD/WR for every bank: tCCD_L within a bank group, the
    // burst gap otherwise, read/write turnarounds, rank-to-rank switching
    // (kept per bank group: see Bank). The delays are the same for all
    // groups but the burst's own, so the loops carry no branch: the own
    // group is redone from its saved value afterwards.
    if (Rank *other = rank.otherRank) {
        const Tick r2r = cmdAt + r2rDelay;
        other->rdFloor = std::max(r2r, other->rdFloor);
        other->wrFloor = std::max(r2r, other->wrFloor);
    } else if (ranksPerChannel > 2) {
        const Tick r2r = cmdAt + r2rDelay;
        for (unsigned j = 0; j < ranksPerChannel; ++j)
            if (j != mp->rank) {
                ranks[j].rdFloor = std::max(r2r, ranks[j].rdFloor);
                ranks[j].wrFloor = std::max(r2r, ranks[j].wrFloor);
            }
    }
    {
        GroupTiming &own = *bank.groupState;
        const Tick rdAt = cmdAt + (IsRead ? burstGap : wrToRdDelay);
        const Tick wrAt = cmdAt + (IsRead ? rdToWrDelay : burstGap);
        const Tick dlyRd = IsRead ? tCCD_L : ownGroupWrToRd;
        const Tick dlyWr = IsRead ? ownGroupRdToWr : tCCD_L_WR;
        if (ownGroupDominates) {
            // the own group's bound is at least rdAt/wrAt: the floor may cover it too
            rank.rdFloor = std::max(rdAt, rank.rdFloor);
            rank.wrFloor = std::max(wrAt, rank.wrFloor);
            if (bankGroupArch) {
                own.rdAllowedAt = std::max(cmdAt + dlyRd, own.rdAllowedAt);
                own.wrAllowedAt = std::max(cmdAt + dlyWr, own.wrAllowedAt);
            }
        } else {
            const GroupTiming saved = own;
            for (GroupTiming &t : rank.groups) {
                t.rdAllowedAt = std::max(rdAt, t.rdAllowedAt);
                t.wrAllowedAt = std::max(wrAt, t.wrAllowedAt);
            }
            own.rdAllowedAt = std::max(cmdAt + dlyRd, saved.rdAllowedAt);
            own.wrAllowedAt = std::max(cmdAt + dlyWr, saved.wrAllowedAt);
        }
    }

    // Write recovery / read to precharge before this bank may close.
    bank.preAllowedAt = std::max(bank.preAllowedAt, IsRead ? cmdAt + tRTP : mp->readyTime + tWR);
    ++bank.rowAccesses;

    bool autoPrecharge = closeAfterEveryBurst || bank.rowAccesses == maxAccessesPerRow;
    if (!autoPrecharge && adaptivePolicy) {
        // open_adaptive closes the row if nothing queued hits it and some
        // queued request conflicts with it; close_adaptive closes it unless
        // something queued hits it.
        bool moreHits = false, conflict = false;
        // Only other queued bursts to this bank matter; often there are none.
        if (queued[IsRead ? 0 : 1].perBank[mp->bankId] > 1) {
            for (const MemPacket *q : queue) {
                if (q == mp) continue;
                bool sameBank = q->rank == mp->rank && q->bank == mp->bank;
                bool sameRow = q->row == mp->row;
                if (sameBank && sameRow) {
                    moreHits = true;
                    break;
                }
                conflict |= sameBank && !sameRow;
            }
        }
        autoPrecharge = !moreHits && (conflict || pageMgmt == PageMgmt::CloseAdaptive);
    }
    if (autoPrecharge) prechargeBank(rank, bank, std::max(now, preAllowed(rank, bank)), true, now);

    // (bytes and bus time follow from the burst counts: see the stats' formulas)
    if constexpr (IsRead) {
        ++readBursts;
        readRowHits += rowHit;
        ++perBankRdBursts[mp->bankId];
        totMemAccLat += mp->readyTime - mp->entryTime;
        totQLat += cmdAt - mp->entryTime;
    } else {
        ++writeBursts;
        writeRowHits += rowHit;
        ++perBankWrBursts[mp->bankId];
    }
    nextBurstAt = cmdAt + burstGap;
    // Wake up early enough to book the next burst without a bubble.
    nextReqTime = nextBurstAt > cmdOffset ? nextBurstAt - cmdOffset : 0;
}


}  // namespace npusim::memory
