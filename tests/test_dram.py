"""MemCtrl + DRAMInterface: latencies worked by hand from gem5's DDR4-2400
timings, FR-FCFS row-hit scheduling, bank-group spacing, bandwidth at the
preset's peak, write queue behaviour, refresh, data and stats."""

import pytest

import npusim
from npusim.objects import (DDR4_2400_8x8, HBM_2000_4H_1x64, LPDDR5_6400_1x16_BG_BL32, MemCtrl, Root,
                            ScriptedRequestor, SrcClockDomain, System)
from npusim.testing import packets_live, stats_dict

from helpers import run_until_done, scripted_system

READ, WRITE = ScriptedRequestor.READ, ScriptedRequestor.WRITE
NS = 1000

# DDR4_2400_8x8 (gem5): tRCD = tCL = tRP = 14.16 ns, tBURST = 3.332 ns,
# tCCD_L = 5 ns, tRRD = 3.332 ns, 64 B bursts, 8 KiB rows, 16 banks in 4
# bank groups (bank % 4), 2 ranks; MemCtrl frontend = backend = 10 ns.
tRCD = tCL = tRP = 14160
tBURST, tCCD_L, tRFC = 3332, 5000, 350000
FRONT = BACK = 10 * NS
ROW = 8192                  # bytes of one row (8 devices x 1 KiB)
BANK = ROW                  # RoRaBaCoCh: the bank bits sit right above the row's columns
SAME_BANK_NEXT_ROW = ROW * 16 * 2  # past the bank and rank bits


def build(dram=None, ctrl=None, **req):
    ctrl = ctrl or MemCtrl()
    ctrl.dram = dram or DDR4_2400_8x8(range="0:2GiB")
    return scripted_system("mem_ctrl", ctrl, **req)


def run(system):
    run_until_done("system.req")
    return stats_dict(system.req), stats_dict(system.mem_ctrl), stats_dict(system.mem_ctrl.dram)


def latencies(req, n):
    return [req[f"respTick::{i}"] - req[f"issueTick::{i}"] for i in range(n)]


def test_closed_bank_row_hit_and_row_conflict_latencies():
    # issued one at a time, well after the start-up bubble
    system = build(cmds=[READ] * 3, addrs=[0, 64, SAME_BANK_NEXT_ROW], ticks=[100 * NS, 200 * NS, 300 * NS])
    req, ctrl, dram = run(system)
    closed, hit, conflict = latencies(req, 3)
    assert closed == FRONT + tRCD + tCL + tBURST + BACK == 51652
    assert hit == FRONT + tCL + tBURST + BACK == 37492
    assert conflict == FRONT + tRP + tRCD + tCL + tBURST + BACK == 65812
    assert dram["readRowHits"] == 1 and dram["readBursts"] == 3
    assert dram["readRowHitRate"] == pytest.approx(100 / 3, abs=0.01)
    assert dram["totBusLat"] == 3 * tBURST
    # gem5's queueing delay runs from arrival to the column command
    assert dram["totQLat"] == (tRCD) + 0 + (tRP + tRCD)
    assert dram["totMemAccLat"] == (closed + hit + conflict) - 3 * (FRONT + BACK)
    # the conflict closed row 0, which had served two bursts (128 B): gem5's
    # 16-bucket histogram has widened to 16-byte buckets to hold it
    assert dram["bytesPerActivate::samples"] == 1 and dram["bytesPerActivate::128-143"] == 1


def test_startup_bubble_as_in_gem5():
    # gem5 books the data bus tRP + tRCD ahead at start-up, so a read at tick
    # 0 issues its column command at 28.32 ns instead of tRCD.
    req, _, _ = run(build(cmds=[READ], addrs=[0]))
    assert req["respTick::0"] == (tRP + tRCD) + tCL + tBURST + FRONT + BACK


def test_bank_groups_space_bursts_by_tccd_l_or_tburst():
    # two reads arriving together at 100 ns to closed banks
    def gap(second_bank):
        npusim.reset()
        system = build(cmds=[READ, READ], addrs=[0, second_bank * BANK], ticks=[100 * NS] * 2, max_outstanding=2)
        req, _, _ = run(system)
        return req["respTick::1"] - req["respTick::0"]
    assert gap(1) == tBURST          # bank 1 is in another bank group: bursts back to back
    assert gap(4) == tCCD_L          # bank 4 shares bank group 0: tCCD_L = 5 ns apart


def _crafted(policy):
    # A (row 0), B (row 0), C (row 1, same bank), D (row 0), all queued at once
    system = build(ctrl=MemCtrl(mem_sched_policy=policy),
                   cmds=[READ] * 4, addrs=[0, 64, SAME_BANK_NEXT_ROW, 128], ticks=[100 * NS] * 4,
                   max_outstanding=4)
    req, ctrl, dram = run(system)
    order = sorted(range(4), key=lambda i: req[f"respTick::{i}"])
    return order, dram


def test_frfcfs_serves_row_hits_first():
    order, dram = _crafted("frfcfs")
    assert order == [0, 1, 3, 2]      # D jumps ahead of the older conflicting C
    assert dram["readRowHits"] == 2


def test_fcfs_keeps_arrival_order():
    order, dram = _crafted("fcfs")
    assert order == [0, 1, 2, 3]
    # B hits; C conflicts; open_adaptive then closes row 1 (D conflicts, no
    # hits queued), so D finds the bank closed
    assert dram["readRowHits"] == 1


def test_streaming_reads_reach_ddr4_peak_bandwidth():
    # bursts round-robin over the 16 banks (and so the 4 bank groups), each
    # bank walking its row: the data bus is the only limit. 1500 bursts take
    # ~5 us, before the first refresh (tREFI - tRP = 7.786 us).
    n = 1500
    addrs = [(k % 16) * BANK + (k // 16) * 64 for k in range(n)]
    req, ctrl, dram = run(build(cmds=[READ] * n, addrs=addrs, max_outstanding=64, record=False))
    peak = 64 / 3.332e-9                     # 19.207 GB/s
    achieved = n * 64 / ((req["lastResp"] - req["firstIssue"]) / 1e12)
    assert dram["peakBW"] == 19207  # MB/s, with gem5's integer arithmetic
    assert 0.98 * peak <= achieved <= peak
    assert dram["numRefreshes"] == 0
    assert dram["busUtil"] > 97


def test_long_stream_loses_refresh_time():
    n = 12000  # ~40 us: five refreshes of each rank
    addrs = [(k % 16) * BANK + ((k // 16) * 64) % ROW + (k // (16 * 128)) * SAME_BANK_NEXT_ROW for k in range(n)]
    req, ctrl, dram = run(build(cmds=[READ] * n, addrs=addrs, max_outstanding=64, record=False))
    peak = 64 / 3.332e-9
    achieved = n * 64 / ((req["lastResp"] - req["firstIssue"]) / 1e12)
    period = 7.8e-6 - 14.16e-9
    refreshes = int(req["lastResp"] / 1e12 / period)
    assert dram["numRefreshes"] == 2 * refreshes    # both ranks
    # each refresh (tRP + tRFC) idles the only busy rank
    assert achieved == pytest.approx(peak * (1 - (tRFC + tRP) / 1e12 / period), rel=0.02)


def test_sequential_stream_is_limited_by_one_bank():
    # RoRaBaCoCh keeps 8 KiB in one bank: same bank group (tCCD_L) and a
    # forced precharge every max_accesses_per_row = 16 bursts
    n = 64
    req, _, dram = run(build(cmds=[READ] * n, addrs=[i * 64 for i in range(n)], max_outstanding=64))
    resp = [req[f"respTick::{i}"] for i in range(n)]
    gaps = [b - a for a, b in zip(resp, resp[1:])]
    assert gaps[:15] == [tCCD_L] * 15
    # row closed after 16 accesses: precharge after tRTP, then tRP + tRCD
    assert gaps[15] > tRP + tRCD
    assert dram["bytesPerActivate::mean"] == 16 * 64


def test_other_presets_stream_near_their_peak():
    for cls, row, size, peak in ((LPDDR5_6400_1x16_BG_BL32, 2048, 64, 12.8e9), (HBM_2000_4H_1x64, 1024, 32, 16e9)):
        npusim.reset()
        n = 1000
        addrs = [(k % 16) * row + (k // 16) * size for k in range(n)]
        req, _, dram = run(build(cls(range="0:256MiB"), cmds=[READ] * n, addrs=addrs, sizes=[size],
                                 max_outstanding=64, record=False))
        achieved = n * size / ((req["lastResp"] - req["firstIssue"]) / 1e12)
        assert dram["peakBW"] == pytest.approx(peak / 1e6)
        assert 0.9 * peak < achieved <= peak


def test_large_request_is_split_into_bursts():
    req, ctrl, dram = run(build(cmds=[READ], addrs=[0], sizes=[256], ticks=[100 * NS]))
    assert ctrl["readReqs"] == 1 and ctrl["readBursts"] == 4 and dram["readBursts"] == 4
    # one closed-bank burst, three row hits behind it (same bank group: tCCD_L)
    assert req["respTick::0"] - req["issueTick::0"] == FRONT + tRCD + tCL + 3 * tCCD_L + tBURST + BACK
    assert dram["readRowHits"] == 3


def test_writes_wait_in_the_write_queue_until_the_low_threshold():
    # 10 writes: acknowledged after the frontend latency, never written
    req, ctrl, dram = run(build(cmds=[WRITE] * 10, addrs=[i * 64 for i in range(10)], max_outstanding=10))
    assert all(lat == FRONT for lat in latencies(req, 10))
    assert ctrl["writeReqs"] == 10 and dram["writeBursts"] == 0
    assert ctrl["numReadWriteTurnArounds"] == 0


def test_write_drain_between_thresholds():
    # write_buffer_size 128: low threshold 64, drain stops when fewer than
    # 64 - min_writes_per_switch (16) = 48 writes are left
    n = 70
    system = build(cmds=[WRITE] * n, addrs=[i * 64 for i in range(n)], max_outstanding=n)
    run(system)  # ends when the last write is acknowledged; the drain goes on
    assert npusim.simulate().getCause() == "event queue empty"  # an idle controller schedules nothing
    ctrl, dram = stats_dict(system.mem_ctrl), stats_dict(system.mem_ctrl.dram)
    assert dram["writeBursts"] == n - 47
    assert ctrl["numReadWriteTurnArounds"] == 1 and ctrl["numWriteReadTurnArounds"] == 1
    assert ctrl["avgWrQLen"] > 0


def test_high_threshold_forces_writes_between_reads():
    # 120 queued writes exceed the high threshold (108): after 16 reads
    # (min_reads_per_switch) the bus turns around even though reads wait
    n_w, n_r = 120, 40
    cmds = [WRITE] * n_w + [READ] * n_r
    addrs = [(1 << 24) + i * 64 for i in range(n_w)] + [(k % 16) * BANK + (k // 16) * 64 for k in range(n_r)]
    req, ctrl, dram = run(build(cmds=cmds, addrs=addrs, max_outstanding=200, record=False))
    assert ctrl["numReadWriteTurnArounds"] >= 1
    assert dram["writeBursts"] >= n_w - 108


def test_read_after_write_is_forwarded_from_the_write_queue():
    system = build(cmds=[WRITE, READ], addrs=[0x4000, 0x4000], ticks=[100 * NS, 200 * NS])
    req, ctrl, dram = run(system)
    assert ctrl["servicedByWrQ"] == 1 and dram["readBursts"] == 0
    assert req["respTick::1"] - req["issueTick::1"] == FRONT
    assert req["readData::1"] == int.from_bytes(ScriptedRequestor.pattern(0x4000, 4), "little")
    # and the memory holds the data functionally
    assert npusim.functional_read(system.req, "port", 0x4000, 64) == ScriptedRequestor.pattern(0x4000, 64)


def test_functional_write_then_timing_read():
    system = build(cmds=[READ], addrs=[0x10040], ticks=[100 * NS])
    npusim.functional_write(system.req, "port", 0x10040, (0xCAFEF00D).to_bytes(4, "little") + bytes(60))
    req, _, _ = run(system)
    assert req["readData::0"] == 0xCAFEF00D


def test_full_read_queue_refuses_and_retries():
    n = 100  # read_buffer_size is 64 for DDR4 (counting bursts awaiting response)
    req, ctrl, _ = run(build(cmds=[READ] * n, addrs=[i * 64 for i in range(n)], max_outstanding=n, record=False))
    assert ctrl["numRdRetry"] >= 1 and req["numRefused"] >= 1
    assert req["numResponses"] == n and ctrl["readReqs"] == n


def test_refresh_blocks_the_rank():
    due = 7800 * NS - tRP              # first refresh of every rank
    system = build(cmds=[READ], addrs=[0], ticks=[due + 5 * NS])
    req, _, dram = run(system)
    # banks are closed, so the refresh starts when due and lasts tRFC; the
    # read then opens its row
    assert req["respTick::0"] == due + tRFC + tRCD + tCL + tBURST + FRONT + BACK
    assert dram["numRefreshes"] == 2


def test_gem5_stat_names_are_present():
    _, ctrl, dram = run(build(cmds=[READ, WRITE], addrs=[0, 64], ticks=[100 * NS, 200 * NS]))
    for name in ("readReqs", "writeReqs", "readBursts", "writeBursts", "servicedByWrQ", "mergedWrBursts",
                 "avgRdQLen", "avgWrQLen", "numRdRetry", "numWrRetry", "bytesReadSys", "bytesWrittenSys",
                 "requestorReadBytes::req", "requestorReadAccesses::req", "requestorWriteAccesses::req",
                 "rdQLenPdf::0", "wrQLenPdf::0", "totGap", "avgGap"):
        assert name in ctrl, name
    for name in ("bytesRead::req", "bytesWritten::req", "numReads::total", "numWrites::total", "bwRead::total",
                 "readRowHits", "writeRowHits", "readRowHitRate", "avgRdBW",
                 "avgWrBW", "peakBW", "busUtil", "pageHitRate", "avgQLat", "avgBusLat", "avgMemAccLat",
                 "totQLat", "totBusLat", "totMemAccLat", "perBankRdBursts::0"):
        assert name in dram, name
    assert dram["bytesRead::req"] == 64 and dram["bytesWritten::req"] == 64
    # no row has been closed: gem5's nozero histogram prints no line at all
    assert not any(name.startswith("bytesPerActivate") for name in dram)


def test_configuration_errors_name_the_parameter():
    with pytest.raises(npusim.SimulationError, match=r"system\.mem_ctrl\.dram\.burst_length: .*power of two"):
        build(DDR4_2400_8x8(range="0:2GiB", burst_length=6), cmds=[READ], addrs=[0])
    npusim.reset()
    with pytest.raises(npusim.SimulationError, match=r"system\.mem_ctrl\.write_low_thresh_perc"):
        build(ctrl=MemCtrl(write_low_thresh_perc=90), cmds=[READ], addrs=[0])


def test_access_outside_the_dram_range_is_an_error():
    build(DDR4_2400_8x8(range="0:1GiB"), cmds=[READ], addrs=[2 << 30])
    with pytest.raises(npusim.SimulationError, match=r"system\.mem_ctrl: .*outside the range"):
        npusim.simulate()


def test_gem5_config_idiom_and_self_defaults():
    from npusim.objects import DDR3_1600_8x8, SystemXBar
    system = System()
    system.clk_domain = SrcClockDomain(clock="1GHz")
    system.membus = SystemXBar()
    system.mem_ctrl = MemCtrl()
    system.mem_ctrl.dram = DDR3_1600_8x8()
    system.mem_ctrl.dram.range = "0:512MiB"
    system.mem_ctrl.port = system.membus.mem_side_ports
    system.req = ScriptedRequestor(cmds=[READ], addrs=[0x1000])
    system.membus.cpu_side_ports = system.req.port
    Root(full_system=False, system=system)
    npusim.instantiate()
    assert npusim.simulate().getCause() == "system.req finished"
    # DDR3-1600: tRCD = tCL = tRP = 13.75 ns, tBURST = 5 ns; the start-up
    # bubble puts the column command at tRP + tRCD = 27.5 ns. The membus
    # forwards at once with 3 + 4 cycles of header delay and 1 of snoop-filter
    # lookup, which the controller charges on the response (as gem5's does);
    # on the way back it adds the wait for its next clock edge, 2 cycles of
    # header and 4 of payload (64 bytes over 16), which the requestor waits out.
    back = 27500 + 13750 + 5000 + FRONT + BACK + 8 * NS
    assert back == 74250
    assert npusim.curTick() == -(-back // NS) * NS + (2 + 4) * NS
    dram = system.mem_ctrl.dram
    assert dram.tRCD_WR is not None
    import json, os
    cfg = json.load(open(os.path.join(npusim.simulation.outdir(), "config.json")))
    d = cfg["system"]["mem_ctrl"]["dram"]
    assert d["tRCD_WR"] == d["tRCD"] == 13750 and d["tCWL"] == d["tCL"] and d["tBURST_MAX"] == 5000


def test_random_reads_and_writes_return_the_latest_data():
    import random
    rng = random.Random(11)
    n = 400
    slots = [rng.randrange(0, 1 << 16) * 64 for _ in range(24)]
    cmds, addrs, sizes = [], [], []
    for _ in range(n):
        cmds.append(rng.choice([READ, READ, WRITE]))
        size = rng.choice([16, 32, 64, 128])
        addrs.append(rng.choice(slots) + rng.choice([0, 32]) * (size <= 32))
        sizes.append(size)
    # one request at a time, so "latest" is well defined
    req, ctrl, dram = run(build(cmds=cmds, addrs=addrs, sizes=sizes, max_outstanding=1))
    written = {}
    for i, (c, a, s) in enumerate(zip(cmds, addrs, sizes)):
        if c == WRITE:
            for b in range(a, a + s):
                written[b] = ((b * 131) + 7) & 0xFF
        else:
            expect = int.from_bytes(bytes(written.get(b, 0) for b in range(a, a + 4)), "little")
            assert req[f"readData::{i}"] == expect, i
    assert ctrl["servicedByWrQ"] > 0  # some reads were answered from the write queue


def test_many_requestors_through_a_membus_all_complete():
    import random
    from npusim.objects import SystemXBar
    rng = random.Random(5)
    system = System(clk_domain=SrcClockDomain(clock="2GHz"))
    system.membus = SystemXBar()
    system.mem_ctrl = MemCtrl(dram=DDR4_2400_8x8(range="0:2GiB"))
    system.membus.mem_side_ports = system.mem_ctrl.port
    counts = {}
    for i in range(4):
        n = 1500
        cmds = [rng.choice([READ, READ, WRITE, 7]) for _ in range(n)]
        addrs = [rng.randrange(0, 1 << 22) * 64 for _ in range(n)]
        sizes = [rng.choice([64, 64, 128, 32]) for _ in range(n)]
        req = ScriptedRequestor(cmds=cmds, addrs=addrs, sizes=sizes, max_outstanding=48, record=False)
        setattr(system, f"r{i}", req)
        req.port = system.membus.cpu_side_ports
        counts[f"r{i}"] = (n, sum(1 for c in cmds if c != 7))
    Root(full_system=False, system=system)
    npusim.instantiate()
    assert npusim.simulate().getCause().endswith("finished")
    for name, (issued, responses) in counts.items():
        s = stats_dict(getattr(system, name))
        assert s["numIssued"] == issued and s["numResponses"] == responses
    assert packets_live() == 0
    ctrl = stats_dict(system.mem_ctrl)
    assert ctrl["numRdRetry"] + ctrl["numWrRetry"] > 0  # the queues did fill up
