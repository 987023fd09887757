"""Bad input and misuse around the outputs: stats files, the sweep runner
and debug tracing. Each case is refused with a message naming what is
wrong, or gives the right numbers, never stale or silently altered ones."""

import gzip
import math
import os
import subprocess
import sys

import numpy as np
import pytest

import npusim
from npusim import debug
from npusim.analysis import read_stats, read_stats_json, read_trace
from npusim.analysis.stats_reader import StatsFormatError
from npusim.objects import Cache, Root, SimpleMemory, SrcClockDomain, TaggedPrefetcher, System, TrafficGen

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = os.path.join(ROOT, "configs", "examples", "traffic_gen.py")


def small_system(outdir, requests=300, prefetcher=False, pattern="random"):
    system = System(clk_domain=SrcClockDomain(clock="1GHz"))
    system.cpu = TrafficGen(pattern=pattern, num_requests=requests, max_outstanding=4, seed=3)
    system.l1 = Cache(size="4KiB", assoc=4, tag_latency=2, data_latency=2, response_latency=2, mshrs=4,
                      tgts_per_mshr=4)
    if prefetcher:
        system.l1.prefetcher = TaggedPrefetcher()
    system.mem = SimpleMemory(range="0:1MiB", latency="30ns")
    system.cpu.port = system.l1.cpu_side
    system.l1.mem_side = system.mem.port
    Root(full_system=False, system=system)
    npusim.instantiate(str(outdir))
    return system


# --- stats.txt / stats.json ---------------------------------------------------------


def test_stats_txt_and_json_hold_the_same_dumps(tmp_path):
    small_system(tmp_path, prefetcher=True, pattern="linear")
    npusim.stats.dump()                 # before any simulated time
    npusim.simulate(3000)
    npusim.stats.dump()
    npusim.stats.reset()
    npusim.simulate()
    npusim.stats.dump()
    npusim.stats.dump()                 # twice at the same tick
    txt, js = read_stats(tmp_path / "stats.txt"), read_stats_json(tmp_path / "stats.json")
    assert len(txt) == len(js) == 4 and list(txt.columns) == list(js.columns)
    for name in txt.columns:
        if name.startswith("host"):
            continue
        for a, b in zip(txt[name], js[name]):
            # stats.txt prints fractions with 6 decimals, as gem5 does; stats.json keeps them whole
            assert a == b or (math.isnan(a) and math.isnan(b)) or (isinstance(a, float) and abs(a - b) < 5e-7 * max(
                1, abs(b))), (name, a, b)
    assert txt["system.l1.prefetcher.pfIssued"].iloc[-1] > 0
    assert txt["simTicks"].tolist()[:2] == [0, 3000]


def test_a_run_that_never_dumps_leaves_no_earlier_runs_stats(tmp_path):
    small_system(tmp_path)
    npusim.simulate()
    npusim.stats.dump()
    npusim.reset()
    small_system(tmp_path)              # the same output folder, and this run fails before its dump
    for reader, path in ((read_stats, "stats.txt"), (read_stats_json, "stats.json")):
        with pytest.raises(StatsFormatError, match="no dumps|no '-+ Begin Simulation Statistics"):
            reader(tmp_path / path)


def test_periodic_dump_period_may_be_any_integer_type(tmp_path):
    small_system(tmp_path, requests=100)
    npusim.stats.periodicStatDump(np.int64(2000))
    assert npusim.stats.next_periodic_dump() == 2000
    npusim.simulate(4000)
    assert list(read_stats(tmp_path / "stats.txt")["simTicks"]) == [2000, 4000]
    for bad in (1000.0, -5, "1000", True):
        with pytest.raises(ValueError, match=r"periodicStatDump\(\): period must be a whole number"):
            npusim.stats.periodicStatDump(bad)


# --- debug tracing --------------------------------------------------------------------


@pytest.fixture
def restore_debug():
    yield
    debug.set_flags([])
    debug.set_window()
    debug.set_file(None)


@pytest.mark.parametrize("start,end,what", [(0, 2**64, "end"), (2**70, None, "start"), (-1, None, "start"),
                                            (0, 1.5e9, "end")])
def test_debug_window_out_of_tick_range_is_refused_by_name(start, end, what, restore_debug):
    with pytest.raises(ValueError, match=rf"debug window {what} \(--debug-{what}\) must be a whole number of ticks"):
        debug.set_window(start, end)


def test_debug_window_takes_numpy_integers(tmp_path, restore_debug):
    small_system(tmp_path, requests=20)
    debug.set_flags(["Requestor"])
    debug.set_window(np.int64(30000), np.uint64(90000))
    debug.set_file(tmp_path / "trace.out")
    npusim.simulate()
    debug.set_file(None)
    ticks = read_trace(tmp_path / "trace.out")["tick"]
    assert len(ticks) and ticks.min() >= 30000 and ticks.max() < 90000


@pytest.mark.parametrize("names", [5, [5], ["Cache", None]])
def test_debug_flags_that_are_not_names_are_a_type_error(names, restore_debug):
    with pytest.raises(TypeError, match="--debug-flags: give flag names"):
        debug.set_flags(names)


@pytest.mark.parametrize("name,fragment", [("cerr", "not to stderr"), ("trace.out.gz", "does not compress")])
def test_debug_files_npusim_cannot_write_as_gem5_would_are_refused(tmp_path, name, fragment, restore_debug):
    with pytest.raises(ValueError, match=fragment):
        debug.set_file(tmp_path / name)
    assert not (tmp_path / name).exists()


@pytest.mark.parametrize("args,fragment", [(["--debug-end=99999999999999999999999"], "--debug-end"),
                                           (["--debug-file=cerr"], "not to stderr")])
def test_cli_debug_options_out_of_range_are_usage_errors(tmp_path, args, fragment):
    from helpers import npusim_cli
    proc = npusim_cli("-d", str(tmp_path), "--debug-flags=Cache", *args, SCRIPT, "--requests", "5")
    assert proc.returncode == 2 and fragment in proc.stderr and "Traceback" not in proc.stderr


def test_read_trace_reads_a_gzipped_trace_and_names_a_broken_one(tmp_path):
    text = "      0: system.cpu: sending ReadReq [0x0:0x40] id 0\n   1500: system.mem: done\n"
    (tmp_path / "trace.out.gz").write_bytes(gzip.compress(text.encode()))
    t = read_trace(tmp_path / "trace.out.gz")
    assert t["tick"].tolist() == [0, 1500] and t["object"].tolist() == ["system.cpu", "system.mem"]
    (tmp_path / "cut.gz").write_bytes(gzip.compress(text.encode())[:25])
    with pytest.raises(StatsFormatError, match=r"cut\.gz: corrupt or truncated gzip"):
        read_trace(tmp_path / "cut.gz")
    (tmp_path / "empty.out").write_text("")
    assert read_trace(tmp_path / "empty.out").empty


# --- the sweep runner -----------------------------------------------------------------

from npusim.sweep import main as sweep_main, make_executor, read_results, sweep  # noqa: E402


@pytest.mark.parametrize("grid,fragment", [
    (["window=1", "window=2"], "--window is already in the grid"),
    (["window=1", "--window=2"], "--window is already in the grid"),
    (["window=1,,2"], "an empty value"),
    (["window=1,"], "an empty value"),
])
def test_sweep_grid_with_repeated_option_or_empty_value_is_a_usage_error(tmp_path, capsys, grid, fragment):
    args = [f"--grid={g}" for g in grid]
    with pytest.raises(SystemExit) as ex:
        sweep_main([SCRIPT, "-o", str(tmp_path), *args])
    assert ex.value.code == 2 and fragment in capsys.readouterr().err
    assert not (tmp_path / "results.jsonl").exists()


@pytest.mark.parametrize("args,fragment", [
    (["--jobs", "0"], "argument --jobs: must be >= 1, got 0"),
    (["--jobs", "-2"], "argument --jobs: must be >= 1, got -2"),
    (["--jobs", "two"], "argument --jobs: 'two' is not a whole number"),
    (["--stats", "l2.(demand"], "stats pattern 'l2.(demand' is not a regular expression"),
])
def test_sweep_bad_jobs_or_stats_regex_is_a_usage_error_before_any_run(tmp_path, capsys, args, fragment):
    with pytest.raises(SystemExit) as ex:
        sweep_main([SCRIPT, "-o", str(tmp_path), "--grid", "window=1", *args, "--", "--requests", "10"])
    assert ex.value.code == 2 and fragment in capsys.readouterr().err
    assert not (tmp_path / "results.jsonl").exists()


def test_sweep_output_folder_that_is_a_file_is_a_usage_error(tmp_path, capsys):
    (tmp_path / "out").write_text("")
    with pytest.raises(SystemExit) as ex:
        sweep_main([SCRIPT, "-o", str(tmp_path / "out"), "--grid", "window=1"])
    assert ex.value.code == 2 and "cannot make the output folder" in capsys.readouterr().err


def test_sweep_python_api_refuses_an_empty_value_list_and_a_bare_stats_string(tmp_path):
    with pytest.raises(ValueError, match="'--window': no values"):
        sweep(SCRIPT, {"--window": []}, str(tmp_path))
    with pytest.raises(TypeError, match="stats is a list of regular expressions"):
        sweep(SCRIPT, {"--window": [1]}, str(tmp_path), stats=r"numPackets")


def test_sweep_rerun_with_other_fixed_arguments_does_not_return_the_old_rows(tmp_path):
    first = sweep(SCRIPT, {"--window": [1]}, str(tmp_path), jobs=1, fixed_args=["--requests", "20"],
                  stats=["numPackets"])
    assert first["system.cpu.numPackets"].tolist() == [20]
    with pytest.raises(ValueError, match="holds runs made with another fixed arguments"):
        sweep(SCRIPT, {"--window": [1]}, str(tmp_path), jobs=1, fixed_args=["--requests", "30"], stats=["numPackets"])
    with pytest.raises(ValueError, match="another stats selection"):
        sweep(SCRIPT, {"--window": [1]}, str(tmp_path), jobs=1, fixed_args=["--requests", "20"], stats=["simTicks"])
    again = sweep(SCRIPT, {"--window": [1]}, str(tmp_path), jobs=1, fixed_args=["--requests", "30"],
                  stats=["numPackets"], force=True)
    assert again["system.cpu.numPackets"].tolist() == [30]
    assert read_results(str(tmp_path))["system.cpu.numPackets"].tolist() == [20, 30]


def test_sweep_stats_pattern_matching_nothing_is_reported(tmp_path, capsys):
    assert sweep_main([SCRIPT, "-o", str(tmp_path), "--grid", "window=1", "--stats", "l2\\.demandMisess",
                       "--", "--requests", "10"]) == 0
    assert "warning: sweep: stats pattern 'l2\\\\.demandMisess' matches no stat of any run" in capsys.readouterr().err


@pytest.mark.parametrize("script", ["configs/nvr_compare.py", "benchmarks/gem5_validation.py"])
def test_other_sweeps_refuse_jobs_below_one(script):
    # they silently ran one at a time
    run = subprocess.run([sys.executable, os.path.join(ROOT, script), "--jobs", "0"], capture_output=True, text=True)
    assert run.returncode == 2 and "argument --jobs: must be >= 1, got 0" in run.stderr


def test_sweep_python_api_refuses_jobs_below_one(tmp_path):
    with pytest.raises(ValueError, match="jobs must be a whole number >= 1, not 0"):
        sweep(SCRIPT, {"--window": [1]}, str(tmp_path), jobs=0)
    with pytest.raises(ValueError, match="jobs must be a whole number >= 1, not 0"):
        make_executor("thread", 0)
