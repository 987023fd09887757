"""Edge values of memory-system parameters (prefetchers, caches, DRAM,
requestors), each a defect found by adversarial testing: the run must end
with an error naming the object and the parameter, or run sensibly, never hang, crash, eat the host's memory or silently ignore the value."""

import os
import subprocess
import sys

import pytest

import npusim
from npusim.objects import (DDR4_2400_8x8, AccessMapPatternMatching, AMPMPrefetcher, Cache, MemCtrl,
                            NextLinePrefetcher)

from test_bad_input import ROOT, raises_naming, system_with

RUN = """
import resource, sys
resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))   # a runaway allocation fails fast
import npusim
from npusim.objects import *
system = System(clk_domain=SrcClockDomain(clock="1GHz"))
system.cpu = {cpu}
system.mem = SimpleMemory(range="0:64MiB")
cache = {cache}
if cache is None:
    system.cpu.port = system.mem.port
else:
    system.l2 = cache
    system.cpu.port, system.l2.mem_side = system.l2.cpu_side, system.mem.port
Root(full_system=False, system=system)
try:
    npusim.instantiate(outdir={outdir!r})
    print(npusim.simulate().getCause())
except (npusim.ParamError, npusim.SimulationError) as err:
    print("ERROR", err)
"""


def run_isolated(tmp_path, cpu, cache="None", timeout=10):
    """Runs the system in a subprocess; returns its last output line, or
    'HANG' / 'CRASH <signal>'."""
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    code = RUN.format(cpu=cpu, cache=cache, outdir=str(tmp_path))
    try:
        r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=timeout)
    except subprocess.TimeoutExpired:
        return "HANG"
    if r.returncode < 0:
        return f"CRASH {-r.returncode}"
    lines = (r.stdout.strip() or r.stderr.strip() or "?").splitlines()
    return lines[-1]


# --- hangs: work or memory proportional to a count a user may type ----------

@pytest.mark.parametrize("prefetcher,param", [
    ("NextLinePrefetcher(degree=2**31)", "degree"), ("TaggedPrefetcher(degree=2**30)", "degree"),
    ("StridePrefetcher(degree=2**30)", "degree"), ("BOPPrefetcher(degree=2**30)", "degree"),
    ("IrregularStreamBufferPrefetcher(degree=2**31)", "degree"),
    ("IndirectMemoryPrefetcher(streaming_distance=2**31)", "streaming_distance"),
])
def test_huge_prefetch_degree_is_refused_not_built(tmp_path, prefetcher, param):
    # each access builds all `degree` candidates before the queue drops those
    # beyond the page, as gem5's prefetchers do: 2**31 took tens of GiB
    out = run_isolated(tmp_path, "TrafficGen(num_requests=1)", f"Cache(prefetcher={prefetcher})")
    assert out.startswith(f"ERROR system.l2.prefetcher.{param}: ") and "at most 65536" in out, out


def test_largest_accepted_prefetch_degree_runs(tmp_path):
    out = run_isolated(tmp_path, "TrafficGen(num_requests=20)", "Cache(prefetcher=NextLinePrefetcher(degree=65536))")
    assert out == "system.cpu finished", out


def test_unlimited_request_window_needs_no_memory_per_slot(tmp_path):
    out = run_isolated(tmp_path, "TrafficGen(num_requests=20, max_outstanding=2**32 - 1)")
    assert out == "system.cpu finished", out


# --- errors that do not name the parameter ---------------------------------------

def test_prefetcher_table_too_big_for_host_memory_runs_or_is_named(tmp_path):
    # a bare 'std::bad_alloc' escaped from init() (where prefetchers size
    # their tables); now an out-of-memory there names the object and its
    # largest size, and a table the host can map lazily simply runs
    out = run_isolated(tmp_path, "TrafficGen(num_requests=20)", "Cache(prefetcher=StridePrefetcher(table_entries=2**40))")
    assert out == "system.cpu finished" or (out.startswith("ERROR system.l2.prefetcher: not enough host memory")
                                            and "table_entries" in out), out


def test_dram_queue_too_big_for_host_memory_names_the_buffer():
    system_with(MemCtrl(dram=DDR4_2400_8x8(range="0:64MiB", read_buffer_size=2**31)))
    with raises_naming(npusim.ParamError, "read_buffer_size", "not enough host memory"):
        npusim.instantiate()


# --- values accepted and silently ignored or contradictory ---------------------------

def test_prefetcher_block_size_differing_from_the_cache_line_is_refused():
    system_with(cache=Cache(cache_line_size=128, prefetcher=NextLinePrefetcher(block_size=64)))
    with raises_naming(npusim.SimulationError, "system.l2.prefetcher.block_size", "128"):
        npusim.instantiate()


def test_prefetcher_page_smaller_than_a_line_is_refused():
    system_with(cache=Cache(prefetcher=NextLinePrefetcher(page_bytes="1B")))
    with raises_naming(npusim.SimulationError, "system.l2.prefetcher.page_bytes"):
        npusim.instantiate()


@pytest.mark.parametrize("param,value", [("tBURST_MIN", "10ns"), ("tBURST_MAX", "1ns")])
def test_dram_burst_bounds_must_bracket_tburst(param, value):
    system_with(MemCtrl(dram=DDR4_2400_8x8(range="0:64MiB", **{param: value})))
    with raises_naming(npusim.SimulationError, f"system.mem.dram.{param}", "tBURST"):
        npusim.instantiate()


@pytest.mark.parametrize("param,value", [("high_coverage_threshold", -1.0), ("high_cache_hit_threshold", 2.0),
                                         ("low_accuracy_threshold", 0.9)])   # above high_accuracy_threshold 0.5
def test_ampm_thresholds_are_ordered_ratios(param, value):
    system_with(cache=Cache(prefetcher=AMPMPrefetcher(ampm=AccessMapPatternMatching(**{param: value}))))
    with raises_naming(npusim.SimulationError, f"system.l2.prefetcher.ampm.{param}"):
        npusim.instantiate()


def test_dram_powerdown_is_refused_not_ignored():
    # gem5's low_power_sweep.py turns it on to study power-down; npusim ignored it
    system_with(MemCtrl(dram=DDR4_2400_8x8(range="0:64MiB", enable_dram_powerdown=True)))
    with raises_naming(npusim.SimulationError, "system.mem.dram.enable_dram_powerdown", "no DRAM power-down"):
        npusim.instantiate()
