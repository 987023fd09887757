"""Every workload of the suite on the NPU: the output read back from
simulated memory equals the numpy result (the workload's check), on a plain
memory and through the whole hierarchy of configs/npu_system.py (L2,
crossbars, DRAM, optional NPU cache), in both dataflows; the NPU executes
exactly the instructions the golden interpreter does; and the config
script passes and fails as it should."""

import os

import pytest

import npusim
from npusim import workloads
from npusim.isa import run as golden_run
from npusim.testing import stats_dict

from helpers import load_config, npusim_cli, run_on_simple_memory

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONFIG = os.path.join(ROOT, "configs", "npu_system.py")
NAMES = workloads.names()


npu_system = load_config("npu_system")


@pytest.mark.parametrize("dataflow", ["WS", "OS"])
@pytest.mark.parametrize("name", NAMES)
def test_small_workload_matches_numpy_and_interpreter(name, dataflow):
    w = workloads.get(name, size="small")
    system, check = run_on_simple_memory(w, dataflow=dataflow)
    assert check.ok, check.message
    ref = golden_run(w.program, w.memory_image(), w.config)
    s = stats_dict(system.npu)
    assert s["instructions::total"] == ref.instructions
    assert s["numCycles"] == s["busyCycles"] + s["stallCycles::total"]


@pytest.mark.parametrize("name", NAMES)
def test_default_workload_through_the_hierarchy(name, tmp_path):
    """Default size, DDR4 behind a 256 KiB L2: the configuration the
    table in docs/npu.md uses."""
    args = npu_system.make_parser().parse_args(["--workload", name, "--quiet"])
    system, ev, check = npu_system.run_workload(args)
    assert ev.getCause() == "system.npu finished"
    assert check.ok, check.message


@pytest.mark.parametrize("name", ["spmm", "gnn", "embedding_bag", "gemm"])
@pytest.mark.parametrize("extra", [
    ["--npu-cache-size", "16KiB"],
    ["--mem-type", "HBM_2000_4H_1x64", "--l2-size", "0"],
    ["--mem-type", "LPDDR5_6400_1x16_BG_BL32", "--dataflow", "OS", "--dma-inflight", "4"],
    ["--l2-prefetcher", "NextLinePrefetcher", "--dim", "8", "--spad-banks", "8"],
])
def test_small_workloads_in_other_systems(name, extra):
    args = npu_system.make_parser().parse_args(["--workload", name, "--size", "small", "--quiet"] + extra)
    system, ev, check = npu_system.run_workload(args)
    assert ev.getCause() == "system.npu finished"
    assert check.ok, check.message
    s = stats_dict(system.npu)
    assert s["dmaRequestsInFlight::max_value"] <= args.dma_inflight


def test_seeds_and_sparsities():
    for sparsity, seed in ((0.5, 1), (0.95, 2), (0.99, 3)):
        npusim.reset()
        args = npu_system.make_parser().parse_args(
            ["--workload", "spmm", "--size", "small", "--sparsity", str(sparsity), "--seed", str(seed), "--quiet"])
        _, _, check = npu_system.run_workload(args)
        assert check.ok, check.message


def test_sparse_kernels_are_memory_bound_and_dense_ones_less_so():
    def memory_fraction(name):
        npusim.reset()
        args = npu_system.make_parser().parse_args(["--workload", name, "--size", "small", "--quiet"])
        system, _, check = npu_system.run_workload(args)
        assert check.ok
        s = stats_dict(system.npu)
        return s["stallCycles::memory"] / s["numCycles"], s["arrayUtilization"]
    spmm_mem, spmm_util = memory_fraction("spmm")
    conv_mem, conv_util = memory_fraction("conv")
    assert spmm_mem > 0.5 > conv_mem
    assert conv_util > 10 * max(spmm_util, 1e-4)


def run_cli(*args, cwd):
    return npusim_cli("-d", str(cwd / "m5out"), CONFIG, *args, cwd=cwd)


def test_config_script_passes(tmp_path):
    out = run_cli("--workload", "spmm", "--sparsity", "0.9", "--size", "small", cwd=tmp_path)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "PASS: spmm" in out.stdout
    stats = (tmp_path / "m5out" / "stats.txt").read_text()
    assert "system.npu.numCycles" in stats and "system.npu.stallCycles::memory" in stats
    assert "system.l2.overallMisses::total" in stats or "system.l2.demandMisses::total" in stats


def test_config_script_fails_when_the_result_is_wrong(tmp_path):
    # stopping the run early leaves the output unwritten: FAIL, exit code 1
    out = run_cli("--workload", "gemm", "--size", "small", "--max-ticks", "1000000", cwd=tmp_path)
    assert out.returncode == 1
    assert "FAIL" in out.stdout
    assert "system.npu.numCycles" in (tmp_path / "m5out" / "stats.txt").read_text()   # stats still written


def test_config_script_rejects_unknown_knobs(tmp_path):
    out = run_cli("--workload", "gemm", "--wl", "Q=3", cwd=tmp_path)
    assert out.returncode != 0
    assert "has no parameter 'Q'" in out.stdout + out.stderr
