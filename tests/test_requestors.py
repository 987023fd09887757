"""TrafficGen: exact address streams, windows, retries, determinism, data,
memory loading and parameter errors (driven straight into a SimpleMemory)."""

import numpy as np
import pytest

import npusim
from npusim import _core
from npusim.objects import Root, SimpleMemory, SrcClockDomain, System, TrafficGen
from npusim.testing import stats_dict
from npusim.traces import read_csv_trace


def run_gen(tmp_path, mem_latency="30ns", bandwidth="1000000GiB/s", load=None, **gen):
    system = System(clk_domain=SrcClockDomain(clock="2GHz"))
    system.mem = SimpleMemory(range="0:64MiB", latency=mem_latency, bandwidth=bandwidth)
    system.cpu = TrafficGen(request_trace_file=str(tmp_path / "req.csv"),
                            response_trace_file=str(tmp_path / "resp.csv"), **gen)
    system.cpu.port = system.mem.port
    if load is not None:
        system.cpu.load_memory(load)
    Root(full_system=False, system=system)
    npusim.instantiate()
    ev = npusim.simulate()
    req = read_csv_trace(tmp_path / "req.csv").packets
    resp = read_csv_trace(tmp_path / "resp.csv").packets
    return system, ev, req, resp


def max_in_flight(req, resp):
    """Most requests in flight at once, from issue and response ticks (a
    response at tick t frees its slot before an issue at the same tick)."""
    events = [(int(t), 1) for t in req["tick"]] + [(int(t), -1) for t in resp["tick"]]
    events.sort(key=lambda e: (e[0], e[1]))
    cur = best = 0
    for _, d in events:
        cur += d
        best = max(best, cur)
    return best


def test_linear_issues_consecutive_blocks_and_wraps(tmp_path):
    start, bs = 0x10000, 64
    system, ev, req, resp = run_gen(tmp_path, pattern="linear", start_addr=start, end_addr=start + 10 * bs,
                                    block_size=bs, num_requests=15)
    assert ev.getCause() == "system.cpu finished"
    expect = [start + (i % 10) * bs for i in range(15)]
    assert req["addr"].tolist() == expect
    assert set(req["size"].tolist()) == {bs} and set(req["cmd"].tolist()) == {1}
    assert _core.packets_live() == 0


def test_strided_sweeps_columns(tmp_path):
    # 4 KiB range, stride 1 KiB: 0, 1K, 2K, 3K, then the next 64-byte column.
    system, ev, req, resp = run_gen(tmp_path, pattern="strided", start_addr=0, end_addr=4096, block_size=64,
                                    stride=1024, num_requests=70)
    expect = [(i % 4) * 1024 + ((i // 4) % 16) * 64 for i in range(70)]
    assert req["addr"].tolist() == expect
    # 64 requests visit every block of the range exactly once
    assert sorted(expect[:64]) == list(range(0, 4096, 64))


def test_random_is_deterministic_per_seed_and_in_range(tmp_path):
    def addrs(seed, sub):
        d = tmp_path / sub
        d.mkdir()
        npusim.reset()
        _, _, req, _ = run_gen(d, pattern="random", start_addr=0x100000, end_addr=0x100000 + (1 << 20),
                               block_size=64, num_requests=2000, seed=seed, max_outstanding=8)
        return req["addr"].astype(np.int64)

    a, b, c = addrs(7, "a"), addrs(7, "b"), addrs(8, "c")
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)
    lo, hi = 0x100000, 0x100000 + (1 << 20)
    assert a.min() >= lo and a.max() + 64 <= hi
    assert np.all((a - lo) % 64 == 0)
    # roughly uniform: 2000 draws over 16 equal slices of the range
    counts = np.bincount((a - lo) * 16 // (hi - lo), minlength=16)
    assert counts.min() > 70 and counts.max() < 190


def test_blocking_never_has_two_in_flight(tmp_path):
    system, ev, req, resp = run_gen(tmp_path, pattern="random", num_requests=300, max_outstanding=1,
                                    bandwidth="1GiB/s", read_percent=50, seed=3)
    s = stats_dict(system.cpu)
    assert s["outstandingDist::max_value"] == 1
    assert max_in_flight(req, resp) == 1
    # each request goes out at or after the previous response
    assert np.all(req["tick"][1:] >= resp["tick"][:-1])


@pytest.mark.parametrize("window", [2, 4, 16])
def test_window_never_exceeds_n_and_fills_up(tmp_path, window):
    system, ev, req, resp = run_gen(tmp_path, pattern="linear", num_requests=400, max_outstanding=window)
    s = stats_dict(system.cpu)
    assert s["outstandingDist::max_value"] == window
    assert max_in_flight(req, resp) == window


def test_every_request_answered_once(tmp_path):
    system, ev, req, resp = run_gen(tmp_path, pattern="random", num_requests=1000, max_outstanding=8,
                                    read_percent=60, seed=11, bandwidth="4GiB/s")
    s = stats_dict(system.cpu)
    assert s["numPackets"] == 1000
    assert s["totalReads"] + s["totalWrites"] == 1000
    assert s["totalReads"] == np.count_nonzero(req["cmd"] == 1)
    assert s["totalWrites"] == np.count_nonzero(req["cmd"] == 4)
    assert len(resp) == 1000 and _core.packets_live() == 0
    assert sorted(req["addr"].tolist()) == sorted(resp["addr"].tolist())
    assert _core.demand_requests() == 1000
    assert s["latencyDist::samples"] == 1000


def test_fixed_latency_figures(tmp_path):
    # window 4, 30 ns memory, no bandwidth limit: 100 requests in 25 rounds of 30 ns
    system, ev, req, resp = run_gen(tmp_path, pattern="linear", num_requests=100, max_outstanding=4)
    s = stats_dict(system.cpu)
    assert npusim.curTick() == 25 * 30000
    assert s["avgReadLatency"] == 30000 and s["totalReadLatency"] == 100 * 30000
    assert s["bytesRead"] == 6400 and s["latencyDist::30000-30999"] == 100


def test_period_between_issues(tmp_path):
    system, ev, req, resp = run_gen(tmp_path, pattern="linear", num_requests=6, max_outstanding=16,
                                    min_period="10ns", max_period="10ns")
    assert req["tick"].tolist() == [0, 10000, 20000, 30000, 40000, 50000]
    assert npusim.curTick() == 50000 + 30000


def test_random_period_within_bounds(tmp_path):
    system, ev, req, resp = run_gen(tmp_path, pattern="linear", num_requests=200, max_outstanding=64,
                                    min_period="1ns", max_period="5ns", seed=5)
    gaps = np.diff(req["tick"].astype(np.int64))
    assert gaps.min() >= 1000 and gaps.max() <= 5000 and len(set(gaps.tolist())) > 100


def test_retries_when_memory_is_busy(tmp_path):
    # 64 B at 1 GiB/s keeps the memory busy ~60 ns per request: most sends are refused
    system, ev, req, resp = run_gen(tmp_path, pattern="linear", num_requests=50, max_outstanding=8,
                                    bandwidth="1GiB/s")
    s = stats_dict(system.cpu)
    assert s["numRetries"] > 0 and s["retryTicks"] > 0
    assert s["numPackets"] == 50 and len(resp) == 50 and _core.packets_live() == 0
    assert req["addr"].tolist() == [i * 64 for i in range(50)]


def test_writes_store_the_pattern(tmp_path):
    system, ev, req, resp = run_gen(tmp_path, pattern="linear", start_addr=0x2000, end_addr=0x3000,
                                    num_requests=64, read_percent=0)
    assert set(req["cmd"].tolist()) == {4}
    got = npusim.functional_read(system.cpu, "port", 0x2000, 0x1000)
    assert got == TrafficGen.pattern_bytes(0x2000, 0x1000)
    assert got[:16] == (0x2000).to_bytes(8, "little") + (0x2008).to_bytes(8, "little")


def test_loaded_memory_is_read_back_by_timing_reads(tmp_path):
    image = [(0x8000, TrafficGen.pattern_bytes(0x8000, 0x1000))]
    system, *_ = run_gen(tmp_path, pattern="random", start_addr=0x8000, end_addr=0x9000, num_requests=200,
                         max_outstanding=4, verify_data=True, load=image)
    s = stats_dict(system.cpu)
    assert s["totalReads"] == 200 and s["dataMismatches"] == 0


def test_wrong_memory_contents_are_detected(tmp_path):
    image = {0x8000: bytes(0x1000)}   # zeros: every 64-byte read differs from the pattern
    system, *_ = run_gen(tmp_path, pattern="linear", start_addr=0x8000, end_addr=0x9000, num_requests=64,
                         verify_data=True, load=image)
    assert stats_dict(system.cpu)["dataMismatches"] == 64


def test_load_memory_after_instantiate_writes_at_once(tmp_path):
    system = System(clk_domain=SrcClockDomain(clock="2GHz"))
    system.mem = SimpleMemory(range="0:1MiB")
    system.cpu = TrafficGen(num_requests=1)
    system.cpu.port = system.mem.port
    Root(full_system=False, system=system)
    npusim.instantiate()
    system.cpu.load_memory([(0x400, np.arange(16, dtype=np.uint8))])
    assert npusim.functional_read(system.cpu, "port", 0x400, 16) == bytes(range(16))


def test_pc_and_requestor_name(tmp_path):
    system, ev, req, resp = run_gen(tmp_path, num_requests=3, pc=0x10abc)
    assert req["pc"].tolist() == [0x10abc] * 3
    assert "cpu.data" in _core.requestor_names()


@pytest.mark.parametrize("params, where", [
    (dict(start_addr=0x1000, end_addr=0x1000), "system.cpu.end_addr"),
    (dict(start_addr=0, end_addr=32, block_size=64), "system.cpu.end_addr"),
    (dict(pattern="strided", stride=0), "system.cpu.stride"),
    (dict(pattern="strided", stride=100), "system.cpu.stride"),
    (dict(min_period="5ns", max_period="1ns"), "system.cpu.max_period"),
    (dict(max_outstanding=0), "system.cpu.max_outstanding"),
])
def test_bad_parameters_name_object_and_param(tmp_path, params, where):
    system = System(clk_domain=SrcClockDomain(clock="2GHz"))
    system.mem = SimpleMemory(range="0:1MiB")
    system.cpu = TrafficGen(num_requests=10, **params)
    system.cpu.port = system.mem.port
    Root(full_system=False, system=system)
    with pytest.raises(npusim.SimulationError, match=where.replace(".", r"\.")):
        npusim.instantiate()


def test_zero_requests_do_not_start():
    system = System(clk_domain=SrcClockDomain(clock="2GHz"))
    system.mem = SimpleMemory(range="0:1MiB")
    system.cpu = TrafficGen(num_requests=0)
    system.cpu.port = system.mem.port
    Root(full_system=False, system=system)
    npusim.instantiate()
    ev = npusim.simulate()
    assert ev.getCause() == "event queue empty" and npusim.curTick() == 0
