"""npusim.sweep: one process per run, one table, and an interrupted sweep
picks up where it stopped."""

import concurrent.futures as cf
import json
import os

import pytest

from npusim.sweep import read_results, run_name, sweep, main as sweep_main

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = os.path.join(ROOT, "configs", "examples", "traffic_gen.py")
GRID = {"--pattern": ["linear", "random"], "--requests": [300, 500]}


def test_each_combination_is_one_row_with_its_own_stats(tmp_path):
    table = sweep(SCRIPT, GRID, str(tmp_path), jobs=2, stats=[r"^system\.cpu\.numPackets$"])
    assert list(table["run"]) == ["pattern=linear,requests=300", "pattern=linear,requests=500",
                                  "pattern=random,requests=300", "pattern=random,requests=500"]
    assert (table["status"] == "ok").all()
    # the stat each run reports is the value its option asked for
    assert list(table["system.cpu.numPackets"]) == [300, 500, 300, 500]
    assert list(table["requests"]) == [300, 500, 300, 500]
    # only the selected stats (and simTicks, hostSeconds) are kept
    assert not any(c.startswith("system.mem.") for c in table.columns)
    for name in table["run"]:
        assert (tmp_path / "runs" / name / "stats.txt").exists()


def test_a_stopped_sweep_runs_only_what_is_missing(tmp_path):
    first = sweep(SCRIPT, GRID, str(tmp_path), jobs=2)
    results = tmp_path / "results.jsonl"
    lines = results.read_text().splitlines()
    # as if the sweep had been killed after three runs, in the middle of writing the fourth row
    results.write_text("\n".join(lines[:3]) + "\n" + lines[3][:40])
    missing = json.loads(lines[3])["run"]
    ran = []
    again = sweep(SCRIPT, GRID, str(tmp_path), jobs=2, progress=lambda i, n, row: ran.append(row["run"]))
    assert ran == [missing]
    assert list(again["run"]) == list(first["run"])
    # same inputs, same simulated results
    assert list(again["simTicks"]) == list(first["simTicks"])


def test_a_failing_run_is_a_row_saying_why_and_the_rest_go_on(tmp_path):
    grid = {"--latency": ["30ns", "30 parsecs"]}
    table = sweep(SCRIPT, grid, str(tmp_path), jobs=1, fixed_args=["--requests", "100"])
    ok, bad = table.iloc[0], table.iloc[1]
    assert ok["status"] == "ok" and bad["status"] == "error"
    assert "system.mem.latency" in bad["message"]
    # a second sweep tries the failed one again, not the good one
    ran = []
    sweep(SCRIPT, grid, str(tmp_path), jobs=1, fixed_args=["--requests", "100"],
          progress=lambda i, n, row: ran.append(row["run"]))
    assert ran == [run_name({"--latency": "30 parsecs"})]


def test_runs_go_to_the_executor_given(tmp_path):
    submitted = []

    class Recording(cf.ThreadPoolExecutor):
        def submit(self, fn, *args, **kwargs):
            submitted.append(args[1])
            return super().submit(fn, *args, **kwargs)

    with Recording(max_workers=1) as pool:
        table = sweep(SCRIPT, {"--window": [1, 4]}, str(tmp_path), executor=pool, fixed_args=["--requests", "50"])
    assert submitted == [{"--window": 1}, {"--window": 4}]
    assert (table["status"] == "ok").all()


def test_bad_grids_are_refused_by_name(tmp_path):
    with pytest.raises(TypeError, match="--pattern"):
        sweep(SCRIPT, {"--pattern": "random"}, str(tmp_path))
    with pytest.raises(FileNotFoundError, match="nope.py"):
        sweep("nope.py", GRID, str(tmp_path))


def test_command_line(tmp_path, capsys):
    rc = sweep_main([SCRIPT, "-o", str(tmp_path), "--jobs", "2", "--grid", "window=1,8",
                     "--stats", r"numPackets", "--", "--requests", "64"])
    assert rc == 0
    table = read_results(str(tmp_path))
    assert sorted(table["window"]) == ["1", "8"]
    assert list(table["system.cpu.numPackets"]) == [64, 64]
    with pytest.raises(SystemExit):
        sweep_main([SCRIPT, "-o", str(tmp_path), "--grid", "window"])
    assert "OPTION=V1,V2" in capsys.readouterr().err
