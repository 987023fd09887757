"""npusim.sweep: one process per run, one table, and an interrupted sweep
picks up where it stopped."""

import concurrent.futures as cf
import json
import os

import pytest

from npusim.sweep import ResultsTable, make_executor, read_results, run_all, run_name, sweep, main as sweep_main

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


# --- the shared pieces: ResultsTable and run_all -----------------------------------

def _square(name, x):
    # module level: a process pool sends it to a worker by name
    return {"name": name, "status": "ok" if x >= 0 else "error", "value": x * x}


def test_results_table_keeps_rows_around_a_torn_line(tmp_path):
    table = ResultsTable(tmp_path / "t.jsonl", key=("a", "b"))
    table.append({"a": 1, "b": "x", "status": "ok", "v": 1.5})
    table.append({"a": 1, "b": "y", "status": "error"})
    with open(table.path, "a") as f:
        f.write('{"a": 2, "b": "x", "sta')          # killed mid-row
    table.append({"a": 1, "b": "y", "status": "ok", "v": float("nan")})
    rows = table.rows()
    assert [(r["a"], r["b"], r["status"]) for r in rows] == [(1, "x", "ok"), (1, "y", "error"), (1, "y", "ok")]
    assert rows[0]["v"] == 1.5 and rows[2]["v"] != rows[2]["v"]   # NaN survives the round trip
    assert (tmp_path / "t.jsonl").read_text().count("\n") == 4    # the torn line was ended, not overwritten
    assert table.latest()[1, "y"]["status"] == "ok"
    assert table.pending([(2, "x"), (1, "x"), (1, "y")]) == [(2, "x")]
    assert table.pending([(1, "x"), (2, "x")], force=True) == [(1, "x"), (2, "x")]


def test_results_table_finished_rule_and_missing_file(tmp_path):
    table = ResultsTable(tmp_path / "none.jsonl", key="config", finished=lambda r: r["check"] in ("PASS", "FAIL"))
    assert table.rows() == [] and table.pending(["a"]) == ["a"]
    for config, check in (("a", "PASS"), ("b", "FAIL"), ("c", "ERROR")):
        table.append({"config": config, "check": check})
    assert table.pending(["a", "b", "c", "d"]) == ["c", "d"]


def test_run_all_writes_each_row_as_it_arrives(tmp_path):
    table = ResultsTable(tmp_path / "t.jsonl", key="name")
    seen = []
    rows = run_all(_square, [("p", 2), ("q", -3)], table, executor="thread", jobs=2,
                   progress=lambda i, n, row: seen.append((i, n)))
    assert sorted(r["name"] for r in rows) == ["p", "q"]
    assert seen == [(1, 2), (2, 2)]
    assert table.latest() == {"p": {"name": "p", "status": "ok", "value": 4},
                              "q": {"name": "q", "status": "error", "value": 9}}
    assert table.pending(["p", "q"]) == ["q"]


def test_an_interrupted_run_all_keeps_the_rows_before_it(tmp_path):
    table = ResultsTable(tmp_path / "t.jsonl", key="name")

    def stop_at_c(name, x):
        if name == "c":
            raise KeyboardInterrupt
        return _square(name, x)

    # the serial executor runs at submit time: rows a and b must be on disk before c runs
    tasks = [("a", 1), ("b", 2), ("c", 3), ("d", 4)]
    with pytest.raises(KeyboardInterrupt):
        run_all(stop_at_c, tasks, table, executor="serial")
    assert [r["name"] for r in table.rows()] == ["a", "b"]
    # the rerun repeats exactly what did not finish
    todo = table.pending([t[0] for t in tasks])
    assert todo == ["c", "d"]
    run_all(_square, [t for t in tasks if t[0] in todo], table, executor="serial")
    assert [r["name"] for r in table.rows()] == ["a", "b", "c", "d"]


def test_run_all_on_a_process_pool_and_a_given_executor(tmp_path):
    table = ResultsTable(tmp_path / "t.jsonl", key="name")
    run_all(_square, [("p", 5)], table, executor="process", jobs=1)
    with make_executor("thread", 1) as pool:
        run_all(_square, [("q", 6)], table, executor=pool)
        assert pool.submit(_square, "r", 7).result()["value"] == 49   # a given executor is left running
    assert [(r["name"], r["value"]) for r in table.rows()] == [("p", 25), ("q", 36)]


def test_grid_keys_without_dashes_are_long_options_as_on_the_command_line(tmp_path):
    table = sweep(SCRIPT, {"requests": [200]}, str(tmp_path), jobs=1, stats=[r"^system\.cpu\.numPackets$"])
    assert list(table["run"]) == ["requests=200"] and list(table["status"]) == ["ok"]
    assert list(table["system.cpu.numPackets"]) == [200]
    with pytest.raises(ValueError, match="'requests' and '--requests' name the same option"):
        sweep(SCRIPT, {"requests": [1], "--requests": [2]}, str(tmp_path / "b"), jobs=1)
