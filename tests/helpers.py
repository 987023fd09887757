"""Set-up shared by the memory-system tests: small systems on a 1 GHz clock,
run to the end, and the list of requests a recording memory received.

    system = cache_system(CacheTestRequestor(...), l1=dict(size="512B", ...), prefetcher=NextLinePrefetcher())
    run_until_done(drain=True)
    memory_log(system.mem)   # [MemRequest(tick, cmd, addr, requestor), ...]
"""

import importlib.util
import os
import subprocess
import sys
from collections import namedtuple

import pytest

import npusim
from npusim.analysis.reference import ReferenceDataError, load_reference
from npusim.objects import (NPU, Cache, CacheTestMemory, Root, ScriptedRequestor, SimpleMemory, SrcClockDomain,
                            System)
from npusim.testing import packets_live, stats_dict

#: One request as CacheTestMemory recorded it; `requestor` is the sender's
#: name (e.g. "cpu.data", "l1.prefetcher").
MemRequest = namedtuple("MemRequest", "tick cmd addr requestor")


def _instantiate(system):
    Root(full_system=False, system=system)
    npusim.instantiate()
    return system


def cache_system(cpu, l1, prefetcher=None, l2=None, l2_prefetcher=None, mem=None, mem_init=None):
    """cpu -> L1 (Cache(**l1) with `prefetcher`) [-> L2 (Cache(**l2) with
    `l2_prefetcher`)] -> CacheTestMemory(**mem) (10 ns by default), as
    system.cpu, .l1, .l2 and .mem of a 1 GHz system, instantiated.
    `mem_init` ({addr: bytes}) is written into memory functionally."""
    system = System(clk_domain=SrcClockDomain(clock="1GHz"))
    system.cpu = cpu
    system.l1 = Cache(**l1)
    if prefetcher is not None:
        system.l1.prefetcher = prefetcher
    system.mem = CacheTestMemory(**(mem or {"latency": "10ns"}))
    system.cpu.port = system.l1.cpu_side
    if l2 is not None:
        system.l2 = Cache(**l2)
        if l2_prefetcher is not None:
            system.l2.prefetcher = l2_prefetcher
        system.l1.mem_side = system.l2.cpu_side
        system.l2.mem_side = system.mem.port
    else:
        system.l1.mem_side = system.mem.port
    _instantiate(system)
    for addr, data in (mem_init or {}).items():
        npusim.functional_write(system.l1, "mem_side", addr, data)
    return system


def scripted_system(name, memory, **req):
    """ScriptedRequestor(**req), as system.req, -> `memory`, as system.<name>,
    of a 1 GHz system, instantiated."""
    system = System(clk_domain=SrcClockDomain(clock="1GHz"))
    setattr(system, name, memory)
    system.req = ScriptedRequestor(**req)
    system.req.port = memory.port
    return _instantiate(system)


def run_until_done(requestor="system.cpu", drain=False, extra_ticks=0):
    """Simulates until `requestor` has every response; then, with `drain`,
    until the event queue is empty (prefetches still in flight land), and
    `extra_ticks` more. Checks that every packet came back."""
    assert npusim.simulate().getCause() == f"{requestor} finished"
    if drain:
        assert npusim.simulate().getCause() == "event queue empty"
    if extra_ticks:
        npusim.simulate(extra_ticks)
    assert packets_live() == 0, "every request answered once, every packet returned"


def memory_log(mem):
    """Every request a CacheTestMemory received, in order, as MemRequests;
    `mem` is the memory object or its stats_dict()."""
    rec = mem if isinstance(mem, dict) else stats_dict(mem)
    names = npusim._core.requestor_names()
    n = sum(1 for k in rec if k.startswith("reqTick::"))
    return [MemRequest(int(rec[f"reqTick::{i}"]), int(rec[f"reqCmd::{i}"]), int(rec[f"reqAddr::{i}"]),
                       names[int(rec[f"reqRequestor::{i}"])]) for i in range(n)]


# --- config scripts and NPU runs --------------------------------------------------

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def load_config(name):
    """configs/<name>.py as the module `name`, loaded once and kept in
    sys.modules (worker processes of a sweep find functions by module name)."""
    path = os.path.join(ROOT, "configs", name + ".py")
    mod = sys.modules.get(name)
    if mod is not None and os.path.abspath(getattr(mod, "__file__", "")) == path:
        return mod
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod


def run_npu_system(system, memory):
    """Puts `system` (with an NPU as system.npu) under a Root, instantiates
    it, writes `memory` ([(addr, bytes)]) through the NPU's dma_port and
    simulates until the NPU finishes. Returns a reader (addr, size) -> bytes
    of simulated memory, for a workload's check."""
    Root(full_system=False, system=system)
    npusim.instantiate()
    for addr, data in memory:
        npusim.functional_write(system.npu, "dma_port", addr, data)
    ev = npusim.simulate()
    assert ev.getCause() == "system.npu finished"
    return lambda a, n: npusim.functional_read(system.npu, "dma_port", a, n)


def run_on_simple_memory(w, **npu_kw):
    """Workload `w` on an NPU(**npu_kw) wired to a SimpleMemory (40 ns,
    16 GiB/s); returns (system, w's functional check)."""
    system = System(clk_domain=SrcClockDomain(clock="1GHz"))
    system.npu = NPU(dim=w.config.dim, **npu_kw)
    system.npu.program = w.program
    system.mem = SimpleMemory(range="0:2GiB", latency="40ns", bandwidth="16GiB/s")
    system.npu.dma_port = system.mem.port
    return system, w.check(run_npu_system(system, w.memory))


def npusim_cli(*args, cwd=None):
    """Runs the `npusim` command (the one installed beside this Python, as a
    user would; `python -m npusim.cli` where there is none) with `args`;
    returns the CompletedProcess (stdout and stderr as text)."""
    exe = os.path.join(os.path.dirname(sys.executable), "npusim")
    cmd = [exe, *args] if os.path.exists(exe) else [sys.executable, "-m", "npusim.cli", *args]
    return subprocess.run(cmd, capture_output=True, text=True, cwd=cwd)


def reference_or_skip(kernel):
    """The gem5 reference run of `kernel` (npusim.analysis.reference), or a
    pytest skip when ../shared/reference is not there."""
    try:
        return load_reference(kernel)
    except ReferenceDataError as e:
        pytest.skip(f"no reference data: {e}")


def replay_against_gem5(tmp_path, kernel, *args):
    """configs/examples/trace_replay.py --kernel `kernel` `args` run through
    the npusim command into tmp_path; returns (npusim's stats, gem5's
    stats/none-l2.txt), each a row by stat name."""
    from npusim.analysis.stats_reader import read_stats

    ref = reference_or_skip(kernel)
    out = tmp_path / "m5out"
    run = npusim_cli("-d", str(out), os.path.join(ROOT, "configs", "examples", "trace_replay.py"), "--kernel", kernel,
                     *args, cwd=ROOT)
    assert run.returncode == 0, run.stderr
    return read_stats(out / "stats.txt").iloc[-1], read_stats(ref.stats_path("none", "l2")).iloc[-1]
