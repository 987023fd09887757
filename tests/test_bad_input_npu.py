"""Bad input to the NPU workloads and the config scripts that run them
(configs/npu_system.py, configs/nvr_compare.py): each is refused with a
message naming the workload or option and the parameter, never a numpy
traceback, a vacuous PASS or a result reused from other options."""

import pytest

from npusim import workloads

from helpers import load_config

npu_system = load_config("npu_system")


@pytest.mark.parametrize("name, kw, exc, fragment", [
    ("gemm", dict(M=0), ValueError, "parameter M=0 must be >= 1"),         # was a PASS on 0 elements
    ("conv", dict(H=-1), ValueError, "parameter H=-1 must be >= 1"),       # numpy "negative dimensions"
    ("spmm", dict(K=0), ValueError, "parameter K=0 must be >= 1"),         # ZeroDivisionError
    ("spmm", dict(N=0), ValueError, "parameter N=0 must be >= 1"),         # ProgramError of a vzero
    ("gemm", dict(M=1.5), TypeError, "parameter M=1.5 must be an integer"),
    ("moe", dict(top_k=2.0), TypeError, "parameter top_k=2.0 must be an integer"),   # "slice indices"
    ("gemm", dict(seed=2.5), TypeError, "parameter seed=2.5 must be an integer"),    # silently seed 2
    ("gemm", dict(seed=-1), ValueError, "parameter seed=-1 must be >= 0"),
    ("spmm", dict(sparsity="x"), TypeError, "parameter sparsity='x' must be a number"),
    ("spmm", dict(sparsity=1.0), ValueError, "parameter sparsity=1.0 must be in [0, 1)"),
    ("gnn", dict(avg_degree=0), ValueError, "parameter avg_degree=0 must be > 0"),   # a graph with no edges
    ("gnn", dict(exponent=1.0), ValueError, "parameter exponent=1.0 must be > 1"),   # ZeroDivisionError
    ("embedding_bag", dict(pooling=-1), ValueError, "parameter pooling=-1 must be >= 1"),  # ran as pooling 1
    ("spmm", dict(relu="no"), TypeError, "parameter relu='no' must be True or False"),
    ("gemm", dict(L=3), TypeError, "workload gemm: got an unexpected keyword argument 'L'"),
])
def test_bad_workload_parameter_is_named(name, kw, exc, fragment):
    with pytest.raises(exc, match=f"workload {name}") as info:
        workloads.get(name, size="small", **kw)
    assert fragment in str(info.value)


def test_workload_too_big_for_host_memory_is_named():
    with pytest.raises(ValueError, match=r"workload gemm\(M=1000000000000.*does not fit in host memory"):
        workloads.get("gemm", size="small", M=10**12)


def test_sparsity_that_leaves_no_nonzero_is_not_a_vacuous_pass():
    # 0.9999 of 32 x 48 weights keeps round(0.15) = 0 nonzeros: the expected
    # output is all zeros and any run that writes nothing would PASS.
    with pytest.raises(ValueError, match="expected output is all zeros"):
        workloads.get("spmm", size="small", sparsity=0.9999)
    assert workloads.get("spmm", size="small", sparsity=0.999).info["nnz"] > 0


def test_direct_factory_call_is_checked_too():
    from npusim.workloads.dense import gemm
    with pytest.raises(ValueError, match="workload gemm: parameter N=0 must be >= 1"):
        gemm(N=0)


@pytest.mark.parametrize("argv, fragment", [
    (["--workload", "nope"], "--workload: unknown workload 'nope'; known: conv"),
    (["--workload", "gemm", "--wl", "M=0"], "workload gemm: parameter M=0 must be >= 1"),
    (["--workload", "spmm", "--sparsity", "1.0"], "workload spmm: parameter sparsity=1.0 must be in [0, 1)"),
    (["--workload", "gemm", "--dim", "0"], "NPU geometry --dim 0 --spad-size 256KiB --acc-size 64KiB: dim must be"),
    (["--workload", "gemm", "--spad-size", "big"], "--spad-size big --acc-size 64KiB: cannot read 'big'"),
    (["--workload", "gemm", "--spad-size", "1KiB"], "workload gemm: buffer 'b' (1024 bytes) does not fit in the "
                                                    "scratchpad"),
])
def test_npu_system_bad_workload_or_geometry_is_a_usage_error(argv, fragment):
    args = npu_system.make_parser().parse_args(["--size", "small"] + argv)
    with pytest.raises(SystemExit) as info:
        npu_system.build_workload(args)
    assert str(info.value).startswith("npu_system.py: ") and fragment in str(info.value)


def test_npu_system_workload_beyond_the_memory_names_mem_size():
    args = npu_system.make_parser().parse_args(["--workload", "gemm", "--size", "small", "--mem-size", "1MiB"])
    with pytest.raises(SystemExit, match=r"--mem-size 1MiB: the workload's arrays reach address 0x1000"):
        npu_system.run_workload(args)


def test_npu_system_negative_max_ticks_is_a_usage_error(capsys):
    with pytest.raises(SystemExit):
        npu_system.make_parser().parse_args(["--max-ticks", "-5"])
    assert "argument --max-ticks: must be >= 0, got -5" in capsys.readouterr().err


compare = load_config("nvr_compare")


def test_nvr_compare_does_not_reuse_rows_of_other_system_options(tmp_path):
    argv = ["--workload", "spmv", "--size", "small", "--executor", "serial", "--configs", "none"]
    with_l2 = compare.run_sweep(argv, str(tmp_path), progress=False)
    without_l2 = compare.run_sweep(argv + ["--l2-size", "0"], str(tmp_path), progress=False)
    assert without_l2[0]["cycles"] > with_l2[0]["cycles"]   # was the 256 KiB L2's row, reused
    assert [r["cycles"] for r in compare.run_sweep(argv, str(tmp_path), progress=False)] == [with_l2[0]["cycles"]]


@pytest.mark.parametrize("config, option", [("none", ["--size", "default"]), ("nvr", ["--nvr", "lanes=4"]),
                                            ("nvr+nsb", ["--nsb-size", "8KiB"]),
                                            ("StridePrefetcher@npu_cache", ["--npu-cache-size", "8KiB"])])
def test_nvr_compare_row_key_holds_what_the_row_depends_on(config, option):
    argv = ["--workload", "spmv", "--size", "small", "--npu-cache-size", "4KiB"]
    params = [compare.workload_params(compare.make_parser().parse_args(a), config) for a in (argv, argv + option)]
    assert params[0] != params[1]


@pytest.mark.parametrize("argv, fragment", [
    (["--workload", "spmv", "--wl", "Kx=64"], "--wl Kx=...: no workload has a parameter 'Kx'"),  # was dropped
    (["--workload", "moe", "--sparsity", "0.5"], "--sparsity: workload moe has no sparsity"),    # was dropped
    (["--workload", "nope"], "--workload: unknown workload 'nope'"),
])
def test_nvr_compare_workload_options_that_would_be_ignored_are_refused(argv, fragment, tmp_path):
    with pytest.raises(SystemExit) as info:
        compare.run_sweep(argv + ["--size", "small"], str(tmp_path), progress=False)
    assert fragment in str(info.value)


def test_nvr_compare_unknown_memory_type_is_a_usage_error(capsys):
    # was a KeyError: 'FOO' in every row of the sweep
    with pytest.raises(SystemExit):
        compare.make_parser().parse_args(["--mem-type", "FOO"])
    assert "argument --mem-type: invalid choice: 'FOO'" in capsys.readouterr().err
