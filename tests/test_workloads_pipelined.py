"""The software-pipelined sparse kernels (each workload's ``pipeline=True``,
npusim/workloads/pipeline.py) on the cycle-level C++ NPU: the output read
back from simulated memory equals numpy, the NPU executes exactly the
instructions of the golden interpreter, in both dataflows, on a plain
memory, through configs/npu_system.py's hierarchy and in other systems;
the pipelining pays (DMA overlaps compute: fewer cycles and fewer memory
stalls than the plain kernels); and NVR still learns the pipelined
programs' chains without changing a result."""


import pytest

from npusim import workloads
from npusim.isa import run as golden_run
from npusim.testing import fresh_sim, stats_dict

from helpers import load_config, run_npu_system, run_on_simple_memory

SPARSE = ["spmm", "spmv", "sddmm", "embedding_bag", "gnn", "moe", "sparse_attention", "pointcloud"]

npu_system = load_config("npu_system")
compare = load_config("nvr_compare")


@pytest.mark.parametrize("dataflow", ["WS", "OS"])
@pytest.mark.parametrize("name", SPARSE)
def test_small_pipelined_matches_numpy_and_interpreter(name, dataflow):
    w = workloads.get(name, size="small", pipeline=True)
    with fresh_sim():
        system, check = run_on_simple_memory(w, dataflow=dataflow)
        assert check.ok, check.message
        s = stats_dict(system.npu)
    ref = golden_run(w.program, w.memory_image(), w.config)
    assert s["instructions::total"] == ref.instructions
    assert s["numCycles"] == s["busyCycles"] + s["stallCycles::total"]


def _system_run(name, extra, pipeline):
    with fresh_sim():
        args = npu_system.make_parser().parse_args(
            ["--workload", name, "--quiet", "--wl", f"pipeline={pipeline}"] + extra)
        system, ev, check = npu_system.run_workload(args)
        assert ev.getCause() == "system.npu finished"
        assert check.ok, check.message
        return stats_dict(system.npu), args


@pytest.mark.parametrize("name", SPARSE)
def test_default_pipelined_through_the_hierarchy_and_faster(name):
    """Default size on configs/npu_system.py's system (DDR4 behind a 256 KiB
    L2, 32 DMA requests in flight): the result is right, and the pipelined
    kernel takes fewer cycles than the plain one, with a smaller share of
    memory stalls: the gathers of the next chunk overlap this chunk's
    compute."""
    piped, _ = _system_run(name, [], True)
    plain, _ = _system_run(name, [], False)
    assert piped["numCycles"] < 0.9 * plain["numCycles"], (piped["numCycles"], plain["numCycles"])
    assert piped["stallCycles::memory"] < plain["stallCycles::memory"]


@pytest.mark.parametrize("name", SPARSE)
@pytest.mark.parametrize("extra", [
    ["--npu-cache-size", "16KiB"],
    ["--mem-type", "HBM_2000_4H_1x64", "--l2-size", "0", "--dataflow", "OS"],
    ["--mem-type", "LPDDR5_6400_1x16_BG_BL32", "--dma-inflight", "4", "--l2-prefetcher", "stride"],
])
def test_small_pipelined_in_other_systems(name, extra):
    s, args = _system_run(name, ["--size", "small"] + extra, True)
    assert s["dmaRequestsInFlight::max_value"] <= args.dma_inflight


@pytest.mark.parametrize("name", ["spmm", "embedding_bag", "pointcloud"])
def test_pipelined_other_geometry_on_the_npu(name):
    s, _ = _system_run(name, ["--size", "small", "--dim", "8", "--spad-banks", "8"], True)
    assert s["instructions::gather"] > 0


@pytest.mark.parametrize("name", SPARSE)
def test_nvr_learns_pipelined_chains_and_never_changes_a_result(name):
    """On the comparison system (NPU -> NSB + NVR -> L2 -> DDR4), the
    pipelined programs' strided index mvins and gathers are detected as
    chains, the runahead prefetches are used, and the output is unchanged."""
    w = workloads.get(name, pipeline=True)
    args = compare.make_parser().parse_args(["--workload", name])
    with fresh_sim():
        system = compare.build_system(args, w, "nvr+nsb")
        check = w.check(run_npu_system(system, w.memory))
        assert check.ok, check.message
        pf = stats_dict(system.nsb.prefetcher)
    assert pf["chainsDetected"] >= 2                  # one per code copy of the gather, at least
    if name != "moe":
        # moe: most of NVR's prefetches into the 16 KiB NSB are evicted unused,
        # crowded out by the expert-output stores the NSB write-allocates
        # (docs/nvr.md, "moe and sparse_attention")
        assert pf["balanced.pfUseful"] > 0.5 * pf["balanced.pfIssued"]
    assert pf["balanced.pfUseful"] > 100
    assert pf["balanced.pfIssued"] == (pf["balanced.pfUseful"] + pf["balanced.pfLate"] + pf["balanced.pfUseless"]
                                       + pf["balanced.pfPending"])


def test_nvr_runs_ahead_of_the_pipelined_spmm(tmp_path):
    """The pipelined spmm at the comparison size: NVR (with the NSB) cuts the
    NPU's L2 demand misses by more than 3/4 against no prefetching and the
    run is faster."""
    argv = ["--workload", "spmm", "--wl", "pipeline=True", "--jobs", "1", "--configs", "none,nvr+nsb"]
    rows = {}
    for config in ("none", "nvr+nsb"):
        args = compare.make_parser().parse_args(argv)
        with fresh_sim():
            rows[config] = compare.run_config(args, config, str(tmp_path))
    assert all(r["check"] == "PASS" for r in rows.values())
    assert rows["nvr+nsb"]["npu_l2_misses"] < 0.25 * rows["none"]["npu_l2_misses"]
    assert rows["nvr+nsb"]["cycles"] < rows["none"]["cycles"]
