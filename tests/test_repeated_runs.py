"""Many simulations in one Python process (a notebook, a sweep in a loop):
each run's stats are those of the same configuration run alone in a fresh
process, and nothing of an earlier run (C++ handles, resolved parameters, a
max tick, a failed run's state) leaks into a later one."""

import functools
import json
import os
import subprocess
import sys
import textwrap
import warnings

import pytest

import npusim
from npusim import workloads
from npusim.objects import (DDR4_2400_8x8, HBM_2000_4H_1x64, NPU, Cache, MemCtrl, Parent, Root, SimpleMemory,
                            SrcClockDomain, System, TraceReplayer, TrafficGen)
from npusim.stats import HOST_STATS
from npusim.testing import stats_dict

HERE = os.path.dirname(os.path.abspath(__file__))
EXAMPLES = os.path.join(os.path.dirname(HERE), "configs", "examples")


def _tg_system(dram, cache, clock="2GHz", n=300, pattern="random"):
    s = System(clk_domain=SrcClockDomain(clock=clock))
    s.cpu = TrafficGen(pattern=pattern, start_addr=0, end_addr="64MiB", num_requests=n, max_outstanding=4, seed=3,
                       read_percent=70)
    s.mem = MemCtrl(dram=dram(range="0:64MiB"))
    if cache:
        s.l1 = Cache(size="4KiB", assoc=4, tag_latency=2, data_latency=2, response_latency=2, mshrs=4,
                     tgts_per_mshr=8)
        s.cpu.port = s.l1.cpu_side
        s.l1.mem_side = s.mem.port
    else:
        s.cpu.port = s.mem.port
    return s, []


@functools.lru_cache(None)
def _stream_sum(n):
    from npusim.analysis.reference import load_reference
    sys.path.insert(0, EXAMPLES)
    from reference_system import hierarchy_from_reference
    ref = load_reference("stream_sum")
    return ref.requests[:n], ref.think[:n - 1], ref.roi[0], hierarchy_from_reference(ref)


def _replay_system():
    sys.path.insert(0, EXAMPLES)
    from reference_system import build_hierarchy, make_system
    requests, think, start, h = _stream_sum(150)
    s = make_system(h)
    s.cpu = TraceReplayer(trace=requests, think_times=think, trace_start=start, line_size=h["cache_line_size"])
    build_hierarchy(s, s.cpu, h)
    return s, []


def _npu_system():
    w = workloads.get("gemm", size="small")
    s = System(clk_domain=SrcClockDomain(clock="1GHz"))
    s.npu = NPU(dim=w.config.dim)
    s.npu.program = w.program
    s.mem = SimpleMemory(range="0:2GiB", latency="40ns", bandwidth="16GiB/s")
    s.npu.dma_port = s.mem.port
    return s, w.memory


CONFIGS = {
    "tg_ddr4_cache": lambda: _tg_system(DDR4_2400_8x8, cache=True),
    "tg_hbm": lambda: _tg_system(HBM_2000_4H_1x64, cache=False, pattern="linear"),
    "npu_gemm": _npu_system,
    "replay_stream_sum": _replay_system,
}


def run_config(name, outdir):
    """Builds, instantiates and runs configuration `name` into `outdir`;
    returns stats.txt and stats.json without the host lines."""
    npusim.simulation.set_outdir(outdir)
    system, memory = CONFIGS[name]()
    Root(full_system=False, system=system)
    npusim.instantiate()
    for addr, data in memory:
        npusim.functional_write(system.npu, "dma_port", addr, data)
    assert npusim.simulate().getCause().endswith(" finished")
    npusim.stats.dump()
    with open(os.path.join(outdir, "stats.txt")) as f:
        txt = "".join(line for line in f if line.split(" ")[0] not in HOST_STATS)
    with open(os.path.join(outdir, "stats.json")) as f:
        dumps = json.load(f)["dumps"]
    return txt, json.dumps([{k: v for k, v in d.items() if k not in HOST_STATS} for d in dumps])


def _in_subprocess(code):
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(code)], cwd=HERE, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env={**os.environ, "PYTHONPATH": os.pathsep.join([os.path.dirname(HERE), HERE])})


def test_each_run_of_a_loop_matches_the_same_run_alone_in_a_fresh_process(tmp_path):
    pytest.importorskip("npusim.analysis.reference")
    try:
        _stream_sum(150)
    except Exception as err:   # no ../shared/reference here
        pytest.skip(f"no reference trace: {err}")
    alone = {name: _in_subprocess(f"""
        import json, test_repeated_runs as t
        print(json.dumps(t.run_config({name!r}, {str(tmp_path / ('alone_' + name))!r})))""") for name in CONFIGS}
    # different configurations one after another; once without reset() in between
    order = ["npu_gemm", "tg_ddr4_cache", "replay_stream_sum", "tg_hbm", "tg_ddr4_cache"]
    looped = []
    for i, name in enumerate(order):
        if i != 2:
            npusim.reset()
        looped.append((name, run_config(name, str(tmp_path / f"loop{i}"))))
    fresh = {}
    for name, proc in alone.items():
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        fresh[name] = tuple(json.loads(out.splitlines()[-1]))
    for i, (name, stats) in enumerate(looped):
        assert stats[0] == fresh[name][0], f"run {i} ({name}): stats.txt differs from a fresh process's"
        assert stats[1] == fresh[name][1], f"run {i} ({name}): stats.json differs from a fresh process's"


def _small(clock="1GHz", n=50, connect=True):
    s = System(clk_domain=SrcClockDomain(clock=clock))
    s.cpu = TrafficGen(pattern="linear", start_addr=0, end_addr="1MiB", num_requests=n)
    s.l1 = Cache(size="1KiB", assoc=2, tag_latency=20, data_latency=20, response_latency=20)
    s.mem = SimpleMemory(range="0:1MiB", latency="10ns")
    if connect:
        s.cpu.port = s.l1.cpu_side
    s.l1.mem_side = s.mem.port
    Root(full_system=False, system=s)
    return s


def test_instantiating_another_tree_detaches_the_previous_trees_objects():
    # the old objects kept handles to freed C++ objects: stats_dict() read
    # another object's stats (or crashed)
    old = _small()
    npusim.instantiate()
    npusim.simulate()
    _small(n=20)
    npusim.instantiate()
    with pytest.raises(RuntimeError, match="system.cpu is not instantiated"):
        stats_dict(old.cpu)


def test_a_tree_used_again_after_reset_takes_its_parents_new_values():
    # Parent.clk_domain was resolved once and kept: after a new clock domain
    # the cache ran, silently, at the old clock
    s = _small(clock="2GHz")
    npusim.instantiate()
    want = npusim.simulate().tick
    npusim.reset()
    s = _small(clock="1GHz")
    npusim.instantiate()
    npusim.simulate()
    npusim.reset()
    s.clk_domain = SrcClockDomain(clock="2GHz")
    Root(full_system=False, system=s)
    npusim.instantiate()
    assert s.l1.clk_domain is s.clk_domain
    assert npusim.simulate().tick == want
    clone = s.l1.clone()
    assert "clk_domain" not in clone._values, "a clone gets the proxy, not what it resolved to"


def test_self_and_explicit_parent_proxies_are_resolved_again():
    dram = DDR4_2400_8x8(range="0:1MiB")
    s = System(clk_domain=SrcClockDomain(clock="1GHz"))
    s.cpu = TrafficGen(pattern="linear", start_addr=0, end_addr="1MiB", num_requests=10)
    s.l1 = Cache(size="1KiB", assoc=2, tag_latency=2, data_latency=2, response_latency=2,
                 clk_domain=Parent.clk_domain)
    s.mem = MemCtrl(dram=dram)
    s.cpu.port = s.l1.cpu_side
    s.l1.mem_side = s.mem.port
    Root(full_system=False, system=s)
    npusim.instantiate()
    npusim.reset()
    dram.tCL = "20ns"                                     # tCWL is Self.tCL
    s.clk_domain = SrcClockDomain(clock="3GHz")
    Root(full_system=False, system=s)
    npusim.instantiate()
    assert dram.tCWL == 20_000
    assert s.l1.clk_domain is s.clk_domain


def test_set_max_tick_of_one_run_does_not_cut_the_next_one_short():
    _small()
    npusim.instantiate()
    npusim.setMaxTick(100_000)
    assert npusim.simulate().getCause() == "simulate() limit reached"
    _small()   # no reset(): instantiate() starts a new simulation, as reset() would
    npusim.instantiate()
    assert npusim.getMaxTick() == npusim.MaxTick
    assert npusim.simulate().getCause() == "system.cpu finished"


def test_periodic_dump_asked_before_a_failed_instantiate_still_starts():
    npusim.stats.periodicStatDump(200_000)
    s = _small(connect=False)
    with pytest.raises(npusim.ParamError, match="port is not connected"):
        npusim.instantiate()
    s.cpu.port = s.l1.cpu_side
    npusim.instantiate()
    npusim.simulate()
    assert npusim.stats.dumped() > 0


def test_simulate_after_a_failed_simulate_says_so():
    s = System(clk_domain=SrcClockDomain(clock="1GHz"))
    s.cpu = TrafficGen(pattern="linear", start_addr=0, end_addr="2MiB", num_requests=100)
    s.mem = SimpleMemory(range="0:4KiB", latency="10ns")   # the generator runs past its end
    s.cpu.port = s.mem.port
    Root(full_system=False, system=s)
    npusim.instantiate()
    with pytest.raises(npusim.SimulationError, match="outside this memory's range"):
        npusim.simulate()
    with warnings.catch_warnings():
        warnings.simplefilter("error")   # was: a warning of a deadlock, and an exit as if all were done
        with pytest.raises(RuntimeError, match="an earlier simulate.. of this simulation failed"):
            npusim.simulate()
    assert npusim.stats.dump()["system.mem.numReads::total"] > 0, "the failed run's stats can still be dumped"
    npusim.reset()
    _small()
    npusim.instantiate()
    assert npusim.simulate().getCause() == "system.cpu finished"


def test_ctrl_c_during_simulate_then_continue_and_reset():
    proc = _in_subprocess("""
        import os, signal, threading, npusim
        from npusim.objects import Root, SimpleMemory, SrcClockDomain, System, TrafficGen
        def build(n):
            npusim.reset()
            s = System(clk_domain=SrcClockDomain(clock="1GHz"))
            s.cpu = TrafficGen(pattern="random", start_addr=0, end_addr="1MiB", num_requests=n, seed=2)
            s.mem = SimpleMemory(range="0:1MiB", latency="10ns")
            s.cpu.port = s.mem.port
            Root(full_system=False, system=s)
            npusim.instantiate()
        build(10**9)
        threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT)).start()
        print(npusim.simulate().getCause())
        print(npusim.simulate(10**6).getCause())
        build(100)
        a = npusim.simulate().tick
        build(100)
        print(a == npusim.simulate().tick == 1_000_000)
        """)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert out.split("\n")[:3] == ["user interrupt received", "simulate() limit reached", "True"]


def test_host_memory_levels_off_over_many_runs(tmp_path):
    def rss_kib():
        with open("/proc/self/status") as f:
            return next(int(line.split()[1]) for line in f if line.startswith("VmRSS"))
    sizes = []
    for i in range(50):
        npusim.reset()
        Root(full_system=False, system=_tg_system(DDR4_2400_8x8, cache=True, n=100)[0])
        npusim.instantiate()
        npusim.simulate()
        npusim.stats.dump()
        sizes.append(rss_kib())
    assert sizes[-1] - sizes[10] < 4096, f"RSS grew from {sizes[10]} to {sizes[-1]} KiB over 40 runs"


def test_a_cxx_handle_kept_past_reset_gives_an_error_not_a_crash():
    proc = _in_subprocess("""
        import npusim
        from npusim.objects import Root, SimpleMemory, SrcClockDomain, System, TrafficGen
        s = System(clk_domain=SrcClockDomain())
        s.cpu = TrafficGen(pattern="linear", start_addr=0, end_addr="1MiB", num_requests=10)
        s.mem = SimpleMemory(range="0:1MiB")
        s.cpu.port = s.mem.port
        Root(full_system=False, system=s)
        npusim.instantiate()
        handle = s.cpu.getCxx()
        port = handle.get_port("port")
        rows = handle.stats_rows
        npusim.reset()
        for use in (lambda: handle.stats_rows(), rows, lambda: port.full_name):
            try:
                use()
            except RuntimeError as err:
                print("error:", err)
        """)
    out, err = proc.communicate(timeout=60)
    # getCxx() handles were raw references: using one after reset() read freed memory (a segfault)
    assert proc.returncode == 0, (proc.returncode, err[-500:])
    lines = out.splitlines()
    assert len(lines) == 3 and all("outlived its simulation" in line for line in lines), out
    assert lines[0].startswith("error: system.cpu:") and lines[2].startswith("error: system.cpu port port:"), out
