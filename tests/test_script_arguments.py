"""Bad command-line arguments of the config scripts, scripts/ and
benchmarks/ are usage errors naming the option (argparse's "error:" line,
exit status 2), not tracebacks, silently wrong values or a sweep of failed
runs. One case per defect fixed; all cases run as subprocesses at once
(each is an interpreter start-up and a failed parse, about a second)."""

from __future__ import annotations

import concurrent.futures as cf
import os
import subprocess
import sys
from pathlib import Path

import pytest

from npusim.analysis.reference import reference_root

ROOT = Path(__file__).resolve().parent.parent
REF = reference_root()
HAVE_REF = REF.is_dir() and (REF / "stream_sum").is_dir()
CLI = ["-c", "import sys; from npusim.cli import main; sys.exit(main())"]


def _cases(tmp: Path) -> dict:
    """name -> (argv after the interpreter, fragments the error names, needs the reference data)."""
    a_file = tmp / "a_file"
    a_file.write_text("not a stats file\n")
    other = tmp / "refs" / "other"   # a kernel folder without a known set-up
    other.parent.mkdir()
    if HAVE_REF:
        other.symlink_to(REF / "stream_sum")
    out = str(tmp / "m5out")
    cfg = lambda script, *args: CLI + ["-d", out, str(ROOT / script)] + list(args)  # noqa: E731
    py = lambda script, *args: [str(ROOT / script)] + list(args)  # noqa: E731
    tr, pc = "configs/examples/trace_replay.py", "configs/examples/prefetcher_compare.py"
    wsr = "scripts/warm_start_replay.py"
    return {
        # trace_replay.py
        "trace_replay unknown prefetcher": (cfg(tr, "--kernel", "stream_sum", "--prefetcher", "STRIDE"),
                                            ["--prefetcher STRIDE", "not a prefetcher"], True),
        "trace_replay negative max-requests": (cfg(tr, "--kernel", "stream_sum", "--max-requests=-1"),
                                               ["--max-requests", "must be >= 0"], True),
        "trace_replay warm start without a set-up": (
            cfg(tr, "--kernel", "other", "--reference-root", str(other.parent), "--warm-start"),
            ["--warm-start", "no set-up known"], True),
        # traffic_gen.py
        "traffic_gen range without colon": (cfg("configs/examples/traffic_gen.py", "--range", "abc"),
                                            ["--range", "START:END"], False),
        "traffic_gen window 0": (cfg("configs/examples/traffic_gen.py", "--window", "0"),
                                 ["--window", "must be >= 1"], False),
        # prefetcher_compare.py
        "prefetcher_compare unknown multi": (cfg(pc, "--prefetchers", "MultiPrefetcher", "--multi", "Bogus"),
                                             ["--multi", "Bogus"], False),
        "prefetcher_compare jobs 0": (cfg(pc, "--jobs", "0"), ["--jobs", "must be >= 1, got 0"], False),
        "prefetcher_compare outdir is a file": (cfg(pc, "--outdir", str(a_file)), ["--outdir", "a_file"], False),
        "prefetcher_compare footprint past memory": (cfg(pc, "--footprint", "4GiB"),
                                                     ["--footprint 4GiB", "memory ends"], False),
        "prefetcher_compare missing trace": (cfg(pc, "--trace", "nope"), ["--trace nope", "no reference kernel"],
                                             False),
        # warm_start.py as a script
        "warm_start unknown kernel": (py("configs/examples/warm_start.py", "nope"), ["kernel nope"], False),
        # warm_start_replay.py
        "warm_start_replay set without =": (cfg(wsr, "--kernel", "stream_sum", "--prefetcher", "stride",
                                                "--set", "degree"), ["--set 'degree'", "PARAM=VALUE"], True),
        "warm_start_replay set without prefetcher": (cfg(wsr, "--kernel", "stream_sum", "--set", "degree=2"),
                                                     ["--set degree=2", "--prefetcher"], True),
        "warm_start_replay set unknown parameter": (cfg(wsr, "--kernel", "stream_sum", "--prefetcher", "stride",
                                                        "--set", "bogus=1"), ["--set bogus=1", "'bogus'"], True),
        "warm_start_replay unknown prefetcher": (cfg(wsr, "--kernel", "stream_sum", "--prefetcher", "bogus"),
                                                 ["--prefetcher bogus"], True),
        "warm_start_replay missing kernel": (cfg(wsr, "--kernel", "nope"), ["--kernel nope"], False),
        "warm_start_replay kernel without a warm-up": (
            cfg(wsr, "--kernel", "other", "--reference-root", str(other.parent)), ["--kernel other", "--no-warmup"],
            True),
        # npu_system.py
        "npu_system l2-size not a size": (cfg("configs/npu_system.py", "--l2-size", "abc"),
                                          ["--l2-size", "memory size"], False),
        "npu_system mem-size not a size": (cfg("configs/npu_system.py", "--mem-size", "abc"),
                                           ["--mem-size", "memory size"], False),
        # nvr_compare.py
        "nvr_compare nsb-size not a size": (cfg("configs/nvr_compare.py", "--nsb-size", "abc"),
                                            ["--nsb-size", "memory size"], False),
        # compare_stats.py
        "compare_stats missing file": (py("scripts/compare_stats.py", str(tmp / "nope.txt"), str(a_file)),
                                       ["OURS", "nope.txt"], False),
        "compare_stats not a stats file": (py("scripts/compare_stats.py", str(a_file), str(a_file)),
                                           ["OURS", "cannot read it as a stats file"], False),
        "compare_stats bad grep": (py("scripts/compare_stats.py", "x", "y", "--grep", "["),
                                   ["--grep", "regular expression"], False),
        "compare_stats unknown run": (py("scripts/compare_stats.py", "--run", "stream_sum", "bogus", "l2"),
                                      ["--run stream_sum bogus l2"], True),
        # nvr_suite.py
        "nvr_suite unbalanced compare-args": (py("scripts/nvr_suite.py", "-o", out, "--compare-args=--l2-size 'x"),
                                              ["--compare-args", "No closing quotation"], False),
        "nvr_suite negative seed": (py("scripts/nvr_suite.py", "-o", out, "--seed=-1"), ["--seed"], False),
        "nvr_suite empty workload name": (py("scripts/nvr_suite.py", "-o", out, "--workloads", "gemm,"),
                                          ["--workloads", "empty"], False),
        "nvr_suite bad workload parameter": (py("scripts/nvr_suite.py", "-o", out, "--workloads", "gemm",
                                                "--wl", "M=0"), ["--workloads gemm", "M=0"], False),
        "nvr_suite outdir is a file": (py("scripts/nvr_suite.py", "-o", str(a_file)), ["--outdir", "a_file"], False),
        # benchmarks
        "mem_throughput sizes not counts": (py("benchmarks/mem_throughput.py", "--sizes", "abc"),
                                            ["--sizes 'abc'"], False),
        "mem_throughput unknown pattern": (py("benchmarks/mem_throughput.py", "--patterns", "bogus"),
                                           ["--patterns", "'bogus'"], False),
        "mem_throughput span not a size": (py("benchmarks/mem_throughput.py", "--span", "abc"),
                                           ["--span 'abc'", "memory size"], False),
        "npu_speed unknown case": (py("benchmarks/npu_speed.py", "--cases", "bogus"), ["--cases", "'bogus'"], False),
        "npu_speed repeat 0": (py("benchmarks/npu_speed.py", "--repeat", "0"), ["--repeat", "at least 1"], False),
        "ab_compare negative requests": (py("benchmarks/ab_compare.py", ".", ".", "--requests=-5"),
                                         ["--requests", "at least 1"], False),
        "gem5_validation unknown kernel": (py("benchmarks/gem5_validation.py", "--kernels", "bogus", "--outdir", out),
                                           ["--kernels", "no reference kernel 'bogus'"], True),
        "gem5_validation negative max-packets": (py("benchmarks/gem5_validation.py", "--max-packets=-1",
                                                    "--report-only", "--outdir", out),
                                                 ["--max-packets", "must be >= 0"], False),
    }


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("script_arguments")
    cases = _cases(tmp)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT)] + [p for p in [os.environ.get("PYTHONPATH")] if p]))

    def run(argv):
        return subprocess.run([sys.executable] + argv, capture_output=True, text=True, timeout=60, env=env,
                              cwd=tmp)
    runnable = {name: c for name, c in cases.items() if HAVE_REF or not c[2]}
    with cf.ThreadPoolExecutor(max_workers=min(8, os.cpu_count() or 1)) as pool:
        futures = {name: pool.submit(run, c[0]) for name, c in runnable.items()}
        return {name: (cases[name], f.result()) for name, f in futures.items()}


def _case_names() -> list[str]:
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        return list(_cases(Path(tmp)))


@pytest.mark.parametrize("name", _case_names())
def test_bad_argument_is_a_usage_error(results, name):
    if name not in results:
        pytest.skip("reference data not present")
    (argv, fragments, _), proc = results[name]
    assert proc.returncode == 2, (proc.returncode, proc.stderr[-2000:])
    assert "Traceback" not in proc.stderr, proc.stderr[-2000:]
    assert "error:" in proc.stderr
    for fragment in fragments:
        assert fragment in proc.stderr, (fragment, proc.stderr[-2000:])


def test_warm_start_help_prints_usage():
    proc = subprocess.run([sys.executable, str(ROOT / "configs/examples/warm_start.py"), "--help"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and proc.stdout.startswith("usage:") and "Traceback" not in proc.stderr


@pytest.mark.skipif(not HAVE_REF, reason="reference data not present")
def test_warm_start_replay_set_value_is_not_evaluated(tmp_path):
    """--set VALUE is a literal or text, never code (it was passed to eval())."""
    marker = tmp_path / "evaluated"
    code = f"open({str(marker)!r}, 'w').close() or 1"
    proc = subprocess.run([sys.executable] + CLI + ["-d", str(tmp_path / "m5out"),
                           str(ROOT / "scripts/warm_start_replay.py"), "--kernel", "stream_sum",
                           "--prefetcher", "stride", "--set", f"degree={code}"],
                          capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert not marker.exists()
    assert proc.returncode != 0 and "system.l2.prefetcher.degree" in proc.stderr and "Traceback" not in proc.stderr


def test_nvr_compare_unknown_nvr_parameter_stops_before_the_sweep(tmp_path):
    proc = subprocess.run([sys.executable] + CLI + ["-d", str(tmp_path), str(ROOT / "configs/nvr_compare.py"),
                           "--size", "small", "--nvr", "foo=1"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1 and "--nvr foo=...: NVR has no parameter 'foo'" in proc.stderr
    assert "Traceback" not in proc.stderr and not list(tmp_path.glob("*.jsonl"))
