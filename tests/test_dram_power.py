"""DRAM energy and power states per rank (gem5's rankN stats, DRAMPower's
model): energies worked by hand from gem5's DDR4-2400 8x8 datasheet values,
every cycle counted once as active or precharged background, refresh energy
and REF time, a stats reset, and presets without currents."""

import math

import pytest

import npusim
from npusim.objects import (DDR3_1600_8x8, DDR4_2400_4x16, DDR4_2400_8x8, DDR4_2400_16x4, HBM_2000_4H_1x64, MemCtrl,
                            ScriptedRequestor)
from npusim.testing import stats_dict

from helpers import run_until_done, scripted_system

READ = ScriptedRequestor.READ
NS = 1000

# gem5's DDR4_2400_8x8: tCK 0.833 ns; tRAS 32 ns, tRP 14.16 ns, tRFC 350 ns
# -> in whole clock cycles (rounded up, as gem5 hands them to DRAMPower):
TCK = 833
RAS, RC, RP, RFC = 39, 56, 17, 421
BURST_CYCLES = 8 // 2           # BL8, two beats per clock
DEVICES = 8
# currents (mA) and voltages (V); VDD2 feeds the IDDx2 currents
IDD0, IDD02, IDD2N, IDD3N, IDD3N2, IDD4R, IDD4W, IDD5 = 48, 3, 34, 43, 3, 135, 123, 250
VDD, VDD2 = 1.2, 2.5
# pJ per cycle for the whole rank: mA * V * ns
ACT_PJ = RAS * 0.833 * ((IDD0 - IDD3N) * VDD + (IDD02 - IDD3N2) * VDD2) * DEVICES
PRE_PJ = (RC - RAS) * 0.833 * ((IDD0 - IDD2N) * VDD + (IDD02 - 0) * VDD2) * DEVICES
READ_PJ = BURST_CYCLES * 0.833 * ((IDD4R - IDD3N) * VDD + (0 - IDD3N2) * VDD2) * DEVICES
WRITE_PJ = BURST_CYCLES * 0.833 * ((IDD4W - IDD3N) * VDD + (0 - IDD3N2) * VDD2) * DEVICES
REF_PJ = RFC * 0.833 * ((IDD5 - IDD3N) * VDD + (0 - IDD3N2) * VDD2) * DEVICES
ACT_BACK_PJ_PER_CYCLE = 0.833 * (IDD3N * VDD + IDD3N2 * VDD2) * DEVICES
PRE_BACK_PJ_PER_CYCLE = 0.833 * (IDD2N * VDD) * DEVICES

tRP = 14160
SAME_BANK_NEXT_ROW = 8192 * 16 * 2
ENERGIES = ("actEnergy", "preEnergy", "readEnergy", "writeEnergy", "refreshEnergy", "actBackEnergy",
            "preBackEnergy", "actPowerDownEnergy", "prePowerDownEnergy", "selfRefreshEnergy")


def cycle(tick):
    return math.ceil(tick / TCK)


def build(dram=None, **req):
    ctrl = MemCtrl()
    ctrl.dram = dram or DDR4_2400_8x8(range="0:2GiB")
    return scripted_system("mem_ctrl", ctrl, **req)


def rank(dram, r):
    return {k.split(".", 1)[1]: v for k, v in dram.items() if k.startswith(f"rank{r}.")}


def test_a_closed_row_a_hit_and_a_conflict_worked_by_hand():
    # the sequence of test_dram's latency test: one ACT at 100 ns (on
    # arrival; gem5 adds the frontend latency to the response), a row hit,
    # then a conflict at 300 ns: PRE there, ACT tRP later; the row stays
    # open to the end (open_adaptive, nothing queued)
    system = build(cmds=[READ] * 3, addrs=[0, 64, SAME_BANK_NEXT_ROW], ticks=[100 * NS, 200 * NS, 300 * NS])
    run_until_done("system.req")
    end = npusim.curTick()
    dram = stats_dict(system.mem_ctrl.dram)
    r0, r1 = rank(dram, 0), rank(dram, 1)

    act1, pre, act2 = 100 * NS, 300 * NS, 300 * NS + tRP
    assert r0["actEnergy"] == pytest.approx(2 * ACT_PJ, rel=1e-12)
    assert r0["preEnergy"] == pytest.approx(1 * PRE_PJ, rel=1e-12)
    assert r0["readEnergy"] == pytest.approx(3 * READ_PJ, rel=1e-12)
    assert r0["writeEnergy"] == r0["refreshEnergy"] == 0
    open_cycles = (cycle(pre) - cycle(act1)) + (cycle(end) - cycle(act2))
    closed_cycles = cycle(act1) + (cycle(act2) - cycle(pre))
    assert open_cycles + closed_cycles == cycle(end)
    assert r0["actBackEnergy"] == pytest.approx(open_cycles * ACT_BACK_PJ_PER_CYCLE, rel=1e-12)
    assert r0["preBackEnergy"] == pytest.approx(closed_cycles * PRE_BACK_PJ_PER_CYCLE, rel=1e-12)
    assert r0["totalEnergy"] == pytest.approx(sum(r0[e] for e in ENERGIES), rel=1e-12)
    # pJ per ps is W: averagePower is in mW
    assert r0["averagePower"] == pytest.approx(r0["totalEnergy"] / end * 1000, rel=1e-12)
    # gem5's power states: ACT from the first activation on (the second ACT
    # is booked with the precharge, so the rank never goes back to IDLE)
    assert r0["pwrStateTime::IDLE"] == act1
    assert r0["pwrStateTime::ACT"] == end - act1
    assert r0["pwrStateTime::REF"] == r0["totalIdleTime"] == 0

    # the other rank saw no command: precharged background only, all the time
    assert all(r1[e] == 0 for e in ENERGIES if e != "preBackEnergy")
    assert r1["preBackEnergy"] == pytest.approx(cycle(end) * PRE_BACK_PJ_PER_CYCLE, rel=1e-12)
    assert r1["pwrStateTime::IDLE"] == end and r1["pwrStateTime::ACT"] == 0


@pytest.mark.parametrize("ticks, page_policy, expected", [
    ([35_000 * NS], "open_adaptive", 4),
    ([0, 100_000 * NS], "open_adaptive", 12),
    ([0, 100_000 * NS], "close", 12),
])
def test_refreshes_of_an_idle_memory_are_counted_at_the_dump(ticks, page_policy, expected):
    # one read at 35 us: every rank has refreshed 4 times by then (the first
    # due tREFI - tRP after the start, then every tREFI - tRP), most of them
    # while the memory was idle. Or reads at 0 and 100 us: the first leaves
    # rank 0's row open (not under close), so its first refresh precharges
    # it, and the idle ones after it are taken at once, with the second read.
    due, period = 7_800_000 - tRP, 7_800_000 - tRP
    system = build(dram=DDR4_2400_8x8(range="0:2GiB", page_policy=page_policy), cmds=[READ] * len(ticks),
                   addrs=[0, 64][:len(ticks)], ticks=ticks)
    run_until_done("system.req")
    end = npusim.curTick()
    dram = stats_dict(system.mem_ctrl.dram)
    refreshes = (end - due) // period + 1
    assert refreshes == expected and dram["numRefreshes"] == 2 * refreshes
    for r in (0, 1):
        s = rank(dram, r)
        assert s["refreshEnergy"] == pytest.approx(refreshes * REF_PJ, rel=1e-12)
        assert s["pwrStateTime::REF"] == refreshes * 350_000
        # a refresh counts tRFC - tRP cycles as active background; every
        # cycle is counted once
        cycles = s["actBackEnergy"] / ACT_BACK_PJ_PER_CYCLE + s["preBackEnergy"] / PRE_BACK_PJ_PER_CYCLE
        assert cycles == pytest.approx(cycle(end), abs=1e-6)
        assert sum(v for k, v in s.items() if k.startswith("pwrStateTime::")) == end
    assert rank(dram, 1)["actBackEnergy"] == pytest.approx(refreshes * (RFC - RP) * ACT_BACK_PJ_PER_CYCLE, rel=1e-12)


def test_every_cycle_is_background_once_under_load():
    # reads and writes to both ranks, many banks and rows, across refreshes
    n = 3000
    addrs = [(k * 7919 * 64) % (1 << 27) for k in range(n)]
    cmds = [READ if k % 3 else ScriptedRequestor.WRITE for k in range(n)]
    system = build(cmds=cmds, addrs=addrs, max_outstanding=32, record=False)
    run_until_done("system.req")
    end = npusim.curTick()
    dram = stats_dict(system.mem_ctrl.dram)
    assert dram["numRefreshes"] > 0
    total_reads = total_writes = 0
    for r in (0, 1):
        s = rank(dram, r)
        cycles = s["actBackEnergy"] / ACT_BACK_PJ_PER_CYCLE + s["preBackEnergy"] / PRE_BACK_PJ_PER_CYCLE
        assert cycles == pytest.approx(cycle(end), abs=1e-6)
        # every activation is closed again or still open at the end
        acts, pres = s["actEnergy"] / ACT_PJ, s["preEnergy"] / PRE_PJ
        assert acts == pytest.approx(round(acts)) and pres == pytest.approx(round(pres))
        assert 0 <= round(acts) - round(pres) <= 16
        total_reads += s["readEnergy"] / READ_PJ
        total_writes += s["writeEnergy"] / WRITE_PJ
    # read and write energy are per burst, as the controller counts them
    assert total_reads == pytest.approx(dram["readBursts"])
    assert dram["writeBursts"] > 0 and total_writes == pytest.approx(dram["writeBursts"])


def test_a_reset_drops_what_came_before():
    # rank 0's row, opened at 100 ns, stays open; after a reset at 1 us the
    # dump sees its active background only, and no command energy (the
    # second read, at 1.9 us, goes to rank 1)
    system = build(cmds=[READ] * 2, addrs=[0, 8192 * 16], ticks=[100 * NS, 1900 * NS])
    npusim.simulate(1000 * NS)
    npusim.stats.reset()
    run_until_done("system.req")
    end = npusim.curTick()
    dram = stats_dict(system.mem_ctrl.dram)
    r0, r1 = rank(dram, 0), rank(dram, 1)
    assert r0["actEnergy"] == r0["readEnergy"] == r0["preBackEnergy"] == 0
    assert r0["actBackEnergy"] == pytest.approx((cycle(end) - cycle(1000 * NS)) * ACT_BACK_PJ_PER_CYCLE, rel=1e-12)
    assert r0["averagePower"] == pytest.approx(r0["totalEnergy"] / (end - 1000 * NS) * 1000, rel=1e-12)
    # as in gem5, the state's time runs from its start, before the reset
    assert r0["pwrStateTime::ACT"] == end - 100 * NS and r0["pwrStateTime::IDLE"] == 0
    assert r1["actEnergy"] == pytest.approx(ACT_PJ) and r1["readEnergy"] == pytest.approx(READ_PJ)


def test_presets_without_currents_report_zero_energy():
    # gem5 gives its HBM2 (and LPDDR5) presets no IDD values
    system = build(dram=HBM_2000_4H_1x64(range="0:256MiB"), cmds=[READ] * 4, addrs=[0, 4096, 1 << 20, 64])
    run_until_done("system.req")
    end = npusim.curTick()
    r0 = rank(stats_dict(system.mem_ctrl.dram), 0)
    assert all(r0[e] == 0 for e in ENERGIES) and r0["totalEnergy"] == 0
    # the power states are kept all the same: IDLE until the first
    # activation (on arrival, at tick 0), the rest of the run ACT or IDLE
    assert r0["pwrStateTime::IDLE"] + r0["pwrStateTime::ACT"] == end and r0["pwrStateTime::ACT"] > 0
    assert r0["pwrStateTime::REF"] == 0


@pytest.mark.parametrize("param, value, message", [
    ("IDD0", "-1mA", "must be finite and not negative"),
    ("VDD", "1.2A", "is not a voltage"),
    ("IDD4R", "lots", "is not a current"),
])
def test_bad_currents_and_voltages_name_the_parameter(param, value, message):
    with pytest.raises(npusim.ParamError, match=rf"system\.mem_ctrl\.dram\.{param}: .*{message}"):
        build(dram=DDR4_2400_8x8(range="0:2GiB", **{param: value}), cmds=[READ], addrs=[0])


def test_gem5_datasheet_values_read_in_amperes_and_volts():
    assert DDR4_2400_8x8().IDD0 == pytest.approx(0.048)
    assert DDR4_2400_8x8().VDD2 == pytest.approx(2.5)
    assert DDR4_2400_8x8(IDD5="0.25A").IDD5 == pytest.approx(0.25)
    assert DDR4_2400_8x8(IDD5="250000uA").IDD5 == pytest.approx(0.25)


def test_a_dump_before_a_refresh_starts_leaves_it_out():
    # rank 0's row, opened at 7.7 us, is open when the first refresh falls
    # due: the refresh precharges it and starts tRP later. A dump between
    # (the refresh booked, not begun) counts no refresh energy and every
    # cycle once, as gem5 (which hands DRAMPower the REF when it starts)
    # does; the refresh counts at the next dump. Rank 1, all banks closed,
    # starts its refresh when due: DRAMPower counts all of it (tRFC - tRP
    # cycles active) from its start on.
    due = 7_800_000 - tRP
    system = build(cmds=[READ] * 2, addrs=[0, 64], ticks=[7_700 * NS, 9_000 * NS])
    npusim.simulate(due + 5 * NS)
    now = npusim.curTick()
    dram = stats_dict(system.mem_ctrl.dram)
    assert dram["numRefreshes"] == 2
    r0, r1 = rank(dram, 0), rank(dram, 1)
    assert r0["refreshEnergy"] == 0 and r0["pwrStateTime::REF"] == 0
    assert r0["preEnergy"] == pytest.approx(PRE_PJ, rel=1e-12)  # the refresh's precharge, at `due`
    cycles = r0["actBackEnergy"] / ACT_BACK_PJ_PER_CYCLE + r0["preBackEnergy"] / PRE_BACK_PJ_PER_CYCLE
    assert cycles == pytest.approx(cycle(now), abs=1e-6)
    assert r1["refreshEnergy"] == pytest.approx(REF_PJ, rel=1e-12) and r1["pwrStateTime::REF"] == 5 * NS
    assert r1["actBackEnergy"] == pytest.approx((RFC - RP) * ACT_BACK_PJ_PER_CYCLE, rel=1e-12)
    run_until_done("system.req")
    end = npusim.curTick()
    dram = stats_dict(system.mem_ctrl.dram)
    for r in (0, 1):
        s = rank(dram, r)
        assert s["refreshEnergy"] == pytest.approx(REF_PJ, rel=1e-12) and s["pwrStateTime::REF"] == 350_000
        cycles = s["actBackEnergy"] / ACT_BACK_PJ_PER_CYCLE + s["preBackEnergy"] / PRE_BACK_PJ_PER_CYCLE
        assert cycles == pytest.approx(cycle(end), abs=1e-6)


def per_cycle_and_per_command_pj(dram):
    """A preset's energies from its parameters (DRAMPower's formulas, as in
    the file comment of src/mem/dram/dram_power.hh): background pJ per
    cycle, open and closed, and pJ per read and per write burst."""
    ns, devices = dram.tCK / 1000, dram.devices_per_rank
    burst = dram.burst_length // 2

    def pj(i, i2):  # A -> mA
        return ns * (1000 * i * dram.VDD + 1000 * i2 * dram.VDD2) * devices
    return (pj(dram.IDD3N, dram.IDD3N2), pj(dram.IDD2N, dram.IDD2N2),
            burst * pj(dram.IDD4R - dram.IDD3N, dram.IDD4R2 - dram.IDD3N2),
            burst * pj(dram.IDD4W - dram.IDD3N, dram.IDD4W2 - dram.IDD3N2))


@pytest.mark.parametrize("preset, params", [
    (DDR3_1600_8x8, {}),
    (DDR4_2400_16x4, {"page_policy": "close"}),
    (DDR4_2400_4x16, {"page_policy": "close_adaptive"}),
    (DDR4_2400_8x8, {"ranks_per_channel": 4, "page_policy": "open"}),
])
def test_every_cycle_once_and_a_burst_per_burst_on_other_presets(preset, params):
    n = 2000
    addrs = [(k * 7919 * 64) % (1 << 27) for k in range(n)]
    cmds = [READ if k % 3 else ScriptedRequestor.WRITE for k in range(n)]
    dram = preset(range="0:256MiB", **params)
    act_back, pre_back, read, write = per_cycle_and_per_command_pj(dram)
    system = build(dram=dram, cmds=cmds, addrs=addrs, max_outstanding=32, record=False)
    run_until_done("system.req")
    end = npusim.curTick()
    s = stats_dict(system.mem_ctrl.dram)
    assert s["numRefreshes"] > 0 and s["writeBursts"] > 0
    tck = dram.tCK
    reads = writes = 0
    for r in range(dram.ranks_per_channel):
        x = rank(s, r)
        assert x["actBackEnergy"] / act_back + x["preBackEnergy"] / pre_back == pytest.approx(-(-end // tck), abs=1e-6)
        assert x["totalEnergy"] == pytest.approx(sum(x[e] for e in ENERGIES), rel=1e-12)
        assert sum(v for k, v in x.items() if k.startswith("pwrStateTime::")) == end
        reads += x["readEnergy"] / read
        writes += x["writeEnergy"] / write
    assert reads == pytest.approx(s["readBursts"]) and writes == pytest.approx(s["writeBursts"])


def test_dumps_along_the_way_change_no_final_stat():
    # energy windows add up, and a dump takes refreshes due early (the
    # controller takes them first thing anyway): the last dump is the same
    # with or without dumps before it, at refreshes falling due or not
    period = 7_800_000 - tRP
    dumps = [1, 3_000_000] + [k * period + d for k in (1, 2, 3) for d in (0, 1, 5 * NS, 20 * NS, 200 * NS)]

    def run(dump_ticks):
        npusim.reset()
        n = 4000
        addrs = [(k * 7919 * 64) % (1 << 27) for k in range(n)]
        cmds = [READ if k % 3 else ScriptedRequestor.WRITE for k in range(n)]
        system = build(cmds=cmds, addrs=addrs, ticks=[k * 7 * NS for k in range(n)], max_outstanding=32,
                       record=False)
        for t in dump_ticks:
            npusim.simulate(t - npusim.curTick())
            npusim.stats.dump()
        run_until_done("system.req")
        return npusim.curTick(), stats_dict(system.mem_ctrl.dram), stats_dict(system.mem_ctrl)

    end, dram, ctrl = run([])
    assert dram["numRefreshes"] >= 6 and end > dumps[-1]
    end2, dram2, ctrl2 = run(dumps)
    assert end2 == end
    for before, after in ((dram, dram2), (ctrl, ctrl2)):
        assert after.keys() == before.keys()
        for k, v in before.items():
            if v == v:  # not nan
                assert after[k] == (pytest.approx(v, rel=1e-12) if "Energy" in k or "Power" in k else v), k
            else:
                assert after[k] != after[k], k
