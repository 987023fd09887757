"""SimpleMemory: latency, bandwidth limit with retries, real data, stats."""

import pytest

import npusim
from npusim.objects import ScriptedRequestor, SimpleMemory
from npusim.testing import stats_dict

from helpers import run_until_done, scripted_system

READ, WRITE = ScriptedRequestor.READ, ScriptedRequestor.WRITE
NS = 1000  # ticks


def ticks_per_byte(gib_per_s):
    return 1e12 / (gib_per_s * 2**30)


def build(mem=None, **req):
    return scripted_system("mem", mem or SimpleMemory(), **req)


def run(system):
    run_until_done("system.req")
    return stats_dict(system.req), stats_dict(system.mem)


def test_single_read_takes_the_latency():
    system = build(cmds=[READ], addrs=[0x40])
    req, _ = run(system)
    assert req["respTick::0"] == 30 * NS


def test_back_to_back_reads_are_limited_by_bandwidth():
    n, size = 10, 64
    system = build(cmds=[READ] * n, addrs=[i * size for i in range(n)], max_outstanding=n)
    req, mem = run(system)
    busy = int(size * ticks_per_byte(12.8))           # 4656 ticks per 64 B at 12.8 GiB/s
    assert busy == 4656
    for i in range(n):
        assert req[f"issueTick::{i}"] == i * busy      # refused while busy, retried on release
        assert req[f"respTick::{i}"] == i * busy + 30 * NS
    assert req["numRefused"] == n - 1
    # N requests occupy the memory for exactly N * size / bandwidth
    assert req["lastIssue"] + busy == n * busy
    assert mem["numReads::total"] == n and mem["bytesRead::total"] == n * size


def test_bandwidth_of_a_long_stream():
    n, size = 2000, 64
    system = build(SimpleMemory(bandwidth="8GiB/s", latency="10ns"), cmds=[READ] * n,
                   addrs=[(i * size) % (1 << 20) for i in range(n)], max_outstanding=16, record=False)
    req, mem = run(system)
    busy = int(size * ticks_per_byte(8))
    assert req["lastResp"] == (n - 1) * busy + 10 * NS
    achieved = n * size / ((req["lastIssue"] + busy) / 1e12)
    assert achieved == pytest.approx(8 * 2**30, rel=1e-3)
    assert mem["bwRead::total"] == pytest.approx(n * size / (req["lastResp"] / 1e12))


def test_infinite_bandwidth_and_latency_variance():
    n = 40
    system = build(SimpleMemory(bandwidth="1000000GiB/s", latency="20ns", latency_var="5ns"),
                   cmds=[READ] * n, addrs=[(i % 4) * 64 for i in range(n)], max_outstanding=n)
    req, _ = run(system)
    seen = {}
    for i in range(n):
        lat = req[f"respTick::{i}"] - req[f"issueTick::{i}"]
        assert 20 * NS <= lat <= 25 * NS + 100
        a = i % 4
        # responses to one address never overtake each other
        assert req[f"respTick::{i}"] >= seen.get(a, 0)
        seen[a] = req[f"respTick::{i}"]
    lats = {req[f"respTick::{i}"] - req[f"issueTick::{i}"] for i in range(n)}
    assert len(lats) > 1  # the variance is real


def test_timing_write_then_read_returns_the_data():
    system = build(cmds=[WRITE, READ, READ], addrs=[0x1000, 0x1000, 0x2000], max_outstanding=1)
    req, mem = run(system)
    expect = int.from_bytes(ScriptedRequestor.pattern(0x1000, 4), "little")
    assert req["readData::1"] == expect
    assert req["readData::2"] == 0  # untouched memory reads as zero
    assert npusim.functional_read(system.req, "port", 0x1000, 64) == ScriptedRequestor.pattern(0x1000, 64)
    assert mem["numWrites::req"] == 1 and mem["bytesWritten::total"] == 64


def test_functional_write_is_seen_by_timing_read():
    system = build(cmds=[READ], addrs=[0x300])
    npusim.functional_write(system.req, "port", 0x300, b"\x78\x56\x34\x12" + bytes(60))
    req, _ = run(system)
    assert req["readData::0"] == 0x12345678


def test_functional_round_trip_large_buffer():
    system = build(cmds=[READ], addrs=[0])
    data = bytes((i * 7) & 0xFF for i in range(100_000))
    npusim.functional_write(system.req, "port", 0x10_0000, data)
    assert npusim.functional_read(system.req, "port", 0x10_0000, len(data)) == data


def test_clean_evict_is_sunk_without_response():
    system = build(cmds=[10, READ], addrs=[0x40, 0x80], max_outstanding=2)
    req, mem = run(system)
    assert req["numResponses"] == 1
    assert "numWrites::total" not in mem or mem["numWrites::total"] == 0


def test_access_outside_the_range_names_the_memory():
    system = build(SimpleMemory(range="0:1MiB"), cmds=[READ], addrs=[2 << 20])
    with pytest.raises(npusim.SimulationError, match=r"system\.mem: .*outside this memory's range"):
        npusim.simulate()


def test_stats_reset_restarts_bandwidth_window():
    system = build(cmds=[READ] * 4, addrs=[0, 64, 128, 192], max_outstanding=4)
    run(system)
    system.mem.getCxx().reset_stats()
    mem = stats_dict(system.mem)
    # all zero after the reset: a nozero vector prints nothing, ::total included (gem5)
    assert "numReads::req" not in mem and "numReads::total" not in mem
