"""Crossbars: routing by address range, latency, per-layer contention,
retries, configuration errors, and one response per request."""

import random

import pytest

import npusim
from npusim.objects import (DDR4_2400_8x8, L2XBar, MemCtrl, NoncoherentXBar, Root, ScriptedRequestor, SimpleMemory,
                            SrcClockDomain, System, SystemXBar)
from npusim.testing import packets_live, stats_dict

READ, WRITE, CLEAN_EVICT = ScriptedRequestor.READ, ScriptedRequestor.WRITE, 10
NS = 1000  # ticks; every system here runs at 1 GHz, so 1 cycle = 1 ns
FAST = "100000GiB/s"  # a memory whose bandwidth never limits


def system_with(xbar, mems, requestors):
    system = System(clk_domain=SrcClockDomain(clock="1GHz"))
    system.xbar = xbar
    for name, mem in mems.items():
        setattr(system, name, mem)
        system.xbar.mem_side_ports = mem.port
    for name, req in requestors.items():
        setattr(system, name, req)
        req.port = system.xbar.cpu_side_ports
    Root(full_system=False, system=system)
    npusim.instantiate()
    return system


def run_all(system, names):
    """Runs until every requestor is done (the last one to finish ends the run)."""
    cause = npusim.simulate().getCause()
    assert cause.endswith("finished"), cause
    assert packets_live() == 0
    return {n: stats_dict(getattr(system, n)) for n in names}


def test_read_latency_through_system_xbar():
    # request: frontend 3 + forward 4 cycles + 1 of snoop-filter lookup
    # (gem5's SystemXBar); memory 30 ns; response: 2 cycles + 64 B / 16 B =
    # 4 data cycles
    system = system_with(SystemXBar(), {"mem": SimpleMemory(latency="30ns", bandwidth=FAST)},
                         {"req": ScriptedRequestor(cmds=[READ], addrs=[0x40])})
    r = run_all(system, ["req"])["req"]
    assert r["respTick::0"] == (3 + 4 + 1) * NS + 30 * NS + (2 + 4) * NS


def test_traffic_gen_takes_a_response_with_its_header_as_gem5s():
    # The same read from a TrafficGen: gem5's takes the response when the
    # crossbar hands it on and does not wait for the 4 data cycles.
    from npusim.objects import TrafficGen
    gen = TrafficGen(pattern="linear", start_addr=0x40, end_addr=0x80, block_size=64, num_requests=1)
    system = system_with(SystemXBar(), {"mem": SimpleMemory(latency="30ns", bandwidth=FAST)}, {"gen": gen})
    assert npusim.simulate().getCause() == "system.gen finished"
    assert stats_dict(system.gen)["totalReadLatency"] == (3 + 4 + 1) * NS + 30 * NS + 2 * NS
    assert packets_live() == 0


def test_write_latency_counts_the_payload_on_the_way_in():
    system = system_with(L2XBar(), {"mem": SimpleMemory(latency="30ns", bandwidth=FAST)},
                         {"req": ScriptedRequestor(cmds=[WRITE], addrs=[0x40])})
    r = run_all(system, ["req"])["req"]
    # L2XBar: frontend 1 + forward 0, 64 B / 32 B = 2 data cycles; the write
    # response carries no data: response latency 1
    assert r["respTick::0"] == (1 + 0 + 2) * NS + 30 * NS + 1 * NS


def test_two_requestors_serialize_on_the_request_layer():
    # 64 B writes occupy a SystemXBar request layer for 1 header + 4 data cycles
    n = 8
    reqs = {f"r{i}": ScriptedRequestor(cmds=[WRITE] * n, addrs=[(i * n + k) * 64 for k in range(n)],
                                       max_outstanding=n) for i in range(2)}
    system = system_with(SystemXBar(), {"mem": SimpleMemory(latency="30ns", bandwidth=FAST)}, reqs)
    s = run_all(system, list(reqs))
    issues = sorted(s[f"r{i}"][f"issueTick::{k}"] for i in range(2) for k in range(n))
    assert issues == [5 * NS * j for j in range(2 * n)]
    # the layer was busy all along, and the waiting ports took turns (r0 won
    # tick 0 and its retry at 5 ns, r1 queued first for the next one)
    owner = {s[f"r{i}"][f"issueTick::{k}"]: i for i in range(2) for k in range(n)}
    assert [owner[t] for t in issues] == [0, 0] + [1, 0] * (n - 2) + [1, 1]
    bus = stats_dict(system.xbar)
    assert bus["reqLayer0.occupancy"] == 2 * n * 5 * NS
    assert bus["transDist::WriteReq"] == 2 * n and bus["transDist::WriteResp"] == 2 * n


def test_wider_crossbar_serializes_less():
    n = 8
    reqs = {f"r{i}": ScriptedRequestor(cmds=[WRITE] * n, addrs=[(i * n + k) * 64 for k in range(n)],
                                       max_outstanding=n) for i in range(2)}
    system = system_with(L2XBar(), {"mem": SimpleMemory(latency="30ns", bandwidth=FAST)}, reqs)
    s = run_all(system, list(reqs))
    issues = sorted(s[f"r{i}"][f"issueTick::{k}"] for i in range(2) for k in range(n))
    assert issues == [3 * NS * j for j in range(2 * n)]  # 1 header + 64 B / 32 B


def test_responses_from_two_memories_share_the_response_layer():
    mems = {"m0": SimpleMemory(range="0:1MiB", latency="30ns", bandwidth=FAST),
            "m1": SimpleMemory(range="1MiB:2MiB", latency="30ns", bandwidth=FAST)}
    req = ScriptedRequestor(cmds=[READ, READ], addrs=[0x100, (1 << 20) + 0x100], max_outstanding=2)
    system = system_with(SystemXBar(), mems, {"req": req})
    r = run_all(system, ["req"])["req"]
    # both requests leave at once (different request layers) ...
    assert r["issueTick::0"] == r["issueTick::1"] == 0
    # ... and their responses, ready together, take turns on the way back
    assert r["respTick::0"] == (3 + 4 + 1) * NS + 30 * NS + (2 + 4) * NS
    assert r["respTick::1"] == r["respTick::0"] + 5 * NS


def test_routing_by_address_range():
    mems = {"fast": SimpleMemory(range="0:1MiB", latency="10ns", bandwidth=FAST),
            "slow": SimpleMemory(range="1MiB:3MiB", latency="100ns", bandwidth=FAST)}
    req = ScriptedRequestor(cmds=[READ] * 3, addrs=[0x40, 0x100040, 0x2FFFC0])
    system = system_with(NoncoherentXBar(width=8, frontend_latency=1, forward_latency=1, response_latency=1),
                         mems, {"req": req})
    r = run_all(system, ["req"])["req"]
    lat = [r[f"respTick::{i}"] - r[f"issueTick::{i}"] for i in range(3)]
    assert lat == [2 * NS + 10 * NS + (1 + 8) * NS, 2 * NS + 100 * NS + 9 * NS, 2 * NS + 100 * NS + 9 * NS]
    assert stats_dict(system.fast)["numReads::total"] == 1
    assert stats_dict(system.slow)["numReads::total"] == 2
    bus = stats_dict(system.xbar)
    assert bus["pktCount_system.req.port::system.fast.port"] == 2
    assert bus["pktCount_system.req.port::system.slow.port"] == 4
    assert bus["pktCount::total"] == 6
    assert bus["pktSize::total"] == 3 * 64


def test_overlapping_ranges_are_a_configuration_error():
    mems = {"a": SimpleMemory(range="0:2MiB"), "b": SimpleMemory(range="1MiB:3MiB")}
    with pytest.raises(npusim.SimulationError) as err:
        system_with(SystemXBar(), mems, {"req": ScriptedRequestor()})
    msg = str(err.value)
    assert "system.xbar: overlapping address ranges" in msg
    assert "system.xbar.mem_side_ports[0] (system.a.port, [0x0:0x200000))" in msg
    assert "system.xbar.mem_side_ports[1] (system.b.port, [0x100000:0x300000))" in msg


def test_unmapped_address_names_the_crossbar_and_address():
    system = system_with(SystemXBar(), {"mem": SimpleMemory(range="0:1MiB")},
                         {"req": ScriptedRequestor(cmds=[READ], addrs=[0x4000_0000])})
    with pytest.raises(npusim.SimulationError, match=r"system\.xbar: no memory-side port claims address 0x40000000"):
        npusim.simulate()


def test_functional_access_through_the_crossbar():
    mems = {"m0": SimpleMemory(range="0:1MiB"), "m1": SimpleMemory(range="1MiB:2MiB")}
    system = system_with(SystemXBar(), mems, {"req": ScriptedRequestor(cmds=[READ], addrs=[(1 << 20) + 8])})
    npusim.functional_write(system.req, "port", (1 << 20) + 8, b"\x11\x22\x33\x44")
    assert npusim.functional_read(system.req, "port", (1 << 20) + 8, 4) == b"\x11\x22\x33\x44"
    r = run_all(system, ["req"])["req"]
    assert r["readData::0"] == 0x44332211


def test_data_written_through_the_crossbar_reads_back():
    req = ScriptedRequestor(cmds=[WRITE, READ], addrs=[0x2000, 0x2000], max_outstanding=1)
    system = system_with(SystemXBar(), {"mem": SimpleMemory()}, {"req": req})
    r = run_all(system, ["req"])["req"]
    assert r["readData::1"] == int.from_bytes(ScriptedRequestor.pattern(0x2000, 4), "little")


def test_point_of_coherency_sinks_clean_evictions():
    req = ScriptedRequestor(cmds=[CLEAN_EVICT, READ], addrs=[0x40, 0x80], max_outstanding=2)
    system = system_with(SystemXBar(), {"mem": SimpleMemory()}, {"req": req})
    r = run_all(system, ["req"])["req"]
    assert r["numResponses"] == 1
    bus = stats_dict(system.xbar)
    assert bus["transDist::CleanEvict"] == 1
    assert bus["pktCount_system.req.port::system.mem.port"] == 3  # counted like gem5, not forwarded


def test_slow_memory_blocks_the_layer_and_everyone_retries():
    # the memory refuses while busy (64 B at 1 GiB/s ~ 60 ns); the crossbar
    # holds the refused packet, refuses the senders, and retries them all
    n = 6
    reqs = {f"r{i}": ScriptedRequestor(cmds=[READ, WRITE] * (n // 2), addrs=[(i * n + k) * 64 for k in range(n)],
                                       max_outstanding=3, record=False) for i in range(3)}
    system = system_with(SystemXBar(), {"mem": SimpleMemory(latency="20ns", bandwidth="1GiB/s")}, reqs)
    s = run_all(system, list(reqs))
    busy = int(64 * 1e12 / 2**30)
    assert all(s[name]["numResponses"] == n for name in reqs)
    assert stats_dict(system.mem)["numReads::total"] == 3 * n // 2
    # the memory is the bottleneck: one request per `busy` ticks
    last = max(s[name]["lastResp"] for name in reqs)
    assert last >= (3 * n - 1) * busy


def test_chained_crossbars_to_a_dram_controller():
    system = System(clk_domain=SrcClockDomain(clock="1GHz"))
    system.l2bus = L2XBar()
    system.membus = SystemXBar()
    system.mem_ctrl = MemCtrl(dram=DDR4_2400_8x8(range="0:2GiB"))
    system.l2bus.mem_side_ports = system.membus.cpu_side_ports
    system.membus.mem_side_ports = system.mem_ctrl.port
    system.req = ScriptedRequestor(cmds=[READ], addrs=[0x40], ticks=[100 * NS])
    system.req.port = system.l2bus.cpu_side_ports
    Root(full_system=False, system=system)
    npusim.instantiate()
    assert npusim.simulate().getCause() == "system.req finished"
    r = stats_dict(system.req)
    dram_read = 51652  # closed-bank DDR4 read incl. the controller's 20 ns
    # Both crossbars forward at once (the controller sees the request at
    # 100 ns) with their request latency as header delay, L2XBar 1 + 0
    # cycles and SystemXBar 3 + 4 + 1 (its snoop filter's lookup), which the
    # controller charges on the response, as gem5's does.
    sent_back = 100 * NS + dram_read + (1 + 0) * NS + (3 + 4 + 1) * NS
    assert sent_back == 160652                           # between clock edges
    # gem5's SystemXBar holds the response for the wait to its next edge and
    # its response latency (2 cycles); the L2XBar then gets it on an edge
    # and adds only its 1 cycle. The payload is the slower link's, 64 bytes
    # over SystemXBar's 16-byte width: 4 cycles, which the requestor waits out.
    to_edge = -(-sent_back // NS) * NS - sent_back       # 348 ticks
    assert r["respTick::0"] == sent_back + (to_edge + 2 * NS) + 1 * NS + 4 * NS
    assert packets_live() == 0


def test_a_cache_filled_across_a_crossbar_aligns_once():
    # gem5's crossbar holds a response until its next edge plus its response
    # latency, and the cache aligns to its own clock from there: the wait for
    # the edge is paid once, not again by the cache.
    from npusim.objects import Cache
    system = System(clk_domain=SrcClockDomain(clock="1GHz"))
    system.req = ScriptedRequestor(cmds=[READ], addrs=[0x40])
    system.l1 = Cache(size="1KiB", assoc=2, tag_latency=2, data_latency=2, response_latency=2, mshrs=2,
                      tgts_per_mshr=2)
    system.membus = SystemXBar()
    system.mem = SimpleMemory(range="0:1MiB", latency="30.25ns", bandwidth=FAST)
    system.req.port = system.l1.cpu_side
    system.l1.mem_side = system.membus.cpu_side_ports
    system.membus.mem_side_ports = system.mem.port
    Root(full_system=False, system=system)
    npusim.instantiate()
    assert npusim.simulate().getCause() == "system.req finished"
    # miss sent after the 2-cycle tag lookup; the memory answers after the
    # membus's 3 + 4 + 1 cycles and its 30.25 ns, between clock edges
    answered = 2 * NS + (3 + 4 + 1) * NS + 30250
    # the membus holds it to the next edge (750 ticks) plus 2 cycles; the L1
    # answers response_latency (2 cycles) later; the requested word is the
    # line's first, so it does not wait for the rest of the payload
    arrives = answered + 750 + 2 * NS
    assert stats_dict(system.req)["respTick::0"] == arrives + 2 * NS == 45 * NS
    assert stats_dict(system.l1)["ReadReq.mshrMissLatency::req"] == arrives  # sent at 0


def test_every_request_gets_exactly_one_response():
    rng = random.Random(7)
    mems = {"m0": SimpleMemory(range="0:64KiB", latency="20ns", bandwidth="16GiB/s"),
            "m1": SimpleMemory(range="64KiB:128KiB", latency="45ns", latency_var="10ns", bandwidth="8GiB/s")}
    reqs = {}
    for i in range(4):
        n = 300
        cmds = [rng.choice([READ, READ, WRITE, 7]) for _ in range(n)]  # 7 = WritebackDirty: no response
        addrs = [rng.randrange(0, 128 * 1024 // 64) * 64 for _ in range(n)]
        reqs[f"r{i}"] = ScriptedRequestor(cmds=cmds, addrs=addrs, max_outstanding=rng.choice([1, 4, 16]),
                                          record=False)
    system = system_with(SystemXBar(), mems, reqs)
    s = run_all(system, list(reqs))
    for name, req in reqs.items():
        expect = sum(1 for c in req.cmds if c != 7)
        assert s[name]["numResponses"] == expect and s[name]["numIssued"] == len(req.cmds)
    assert packets_live() == 0


def test_refusals_below_chained_crossbars_reach_the_requestors():
    """A crossbar holds no packets: when the memory behind two crossbars is
    busy, its refusal goes back through both to the requestors, whose
    retries must all come back (no request lost, none answered twice)."""
    system = System(clk_domain=SrcClockDomain(clock="1GHz"))
    system.l2bus = L2XBar()
    system.membus = SystemXBar()
    system.mem = SimpleMemory(range="0:1MiB", latency="20ns", bandwidth="1GiB/s")  # 64 B every ~60 ns
    system.l2bus.mem_side_ports = system.membus.cpu_side_ports
    system.membus.mem_side_ports = system.mem.port
    n = 200
    names = []
    for i, window in enumerate((1, 8, 16)):
        req = ScriptedRequestor(cmds=[READ if k % 3 else WRITE for k in range(n)],
                                addrs=[(k * 64 + i * 4096) % (1 << 20) for k in range(n)],
                                max_outstanding=window, record=False)
        setattr(system, f"r{i}", req)
        req.port = system.l2bus.cpu_side_ports
        names.append(f"r{i}")
    Root(full_system=False, system=system)
    npusim.instantiate()
    s = run_all(system, names)
    for name in names:
        assert s[name]["numIssued"] == n and s[name]["numResponses"] == n
    # the memory's bandwidth bounds the run: each of the 600 packets keeps
    # it busy for 64 B / 1 GiB/s = 59.6 ns before the next can enter
    assert npusim.curTick() >= 599 * 64 * 1e12 / (1 << 30)
